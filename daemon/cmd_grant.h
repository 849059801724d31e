/* cmd_grant.h - what LOCK.ACQUIRE and POOL.ACQUIRE share: their options
 * and the grant-now-or-queue step, with the one admission rule. */
#ifndef CACHIFY_CMD_GRANT_H
#define CACHIFY_CMD_GRANT_H

#include <stdbool.h>
#include <stdint.h>

#include "grant.h"
#include "resp.h"

struct conn;

/* Parses [PX ms] [WAIT ms] [TOKEN t] [DETACH] [SHARED] from argv[first..]
 * into r (TOKEN and SHARED only when lock_opts; r->token then borrows from
 * argv) and
 * *wait_ms (-1 when no WAIT). Replies and returns -1 on bad input. */
int cmd_grant_opts(struct conn *c, int argc, struct resp_arg *argv, int first, const char *cmd,
		   bool lock_opts, struct grant_req *r, int64_t *wait_ms);

/* Grants r on key now when waitq_admits it (0), or queues r->c for wait_ms
 * (0), or replies an error when it cannot be queued (0). Returns 1, having
 * replied nothing, when the key is busy and no WAIT was given, or c runs
 * EXEC (which never blocks): the caller replies -LOCKED or -FULL. */
int cmd_grant_acquire(struct conn *c, struct grant_req *r, const struct resp_arg *key,
		      int64_t wait_ms);

#endif /* CACHIFY_CMD_GRANT_H */
