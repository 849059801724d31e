/* cmd.h - every command handler, by family (one cmd_*.c file per family),
 * and the argument helpers they share. */
#ifndef CACHIFY_CMD_H
#define CACHIFY_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dispatch.h"

/* cmd_server.c: connection and server commands */
cmd_proc cmd_ping, cmd_echo, cmd_quit, cmd_select, cmd_dbsize, cmd_flushdb, cmd_flushall,
	cmd_info, cmd_client, cmd_command, cmd_config, cmd_shutdown;

/* cmd_keys.c: keys and strings */
cmd_proc cmd_get, cmd_set, cmd_del, cmd_exists, cmd_type, cmd_expire, cmd_pexpire, cmd_ttl,
	cmd_pttl, cmd_persist, cmd_mget, cmd_mset, cmd_incr, cmd_incrby, cmd_decr, cmd_decrby,
	cmd_scan;

/* cmd_lock.c and cmd_pool.c: locks and pools */
cmd_proc cmd_lock_acquire, cmd_lock_release, cmd_lock_renew, cmd_lock_info, cmd_lock_check,
	cmd_pool_acquire, cmd_pool_release, cmd_pool_renew, cmd_pool_size, cmd_pool_info;

struct waiter;
struct holder;
/* Parses [PX ms] [WAIT ms] [TOKEN t] [DETACH] from argv[first..] into w
 * (TOKEN only when allow_token; w->token then borrows from argv) and
 * *wait_ms (-1 when no WAIT). Replies and returns -1 on bad input. */
int grant_opts_parse(struct conn *c, int argc, struct resp_arg *argv, int first, const char *cmd,
		     bool allow_token, struct waiter *w, int64_t *wait_ms);
/* Queues c for key as described by w; replies an error and returns -1 if
 * it cannot. */
int grant_wait(struct conn *c, struct waiter *w, int db, const struct resp_arg *key,
	       int64_t wait_ms);
/* Reply the holder fields of LOCK.INFO / POOL.INFO: client-id pid uid
 * name held-ms ttl-ms (6 pairs), and session (1 pair). */
void reply_holder(struct conn *c, const struct holder *h, int64_t expire);
void reply_session(struct conn *c, const struct holder *h);

/* True when arg equals the ASCII word w, ignoring case. */
bool arg_is(const struct resp_arg *arg, const char *w);
/* Parses an integer argument; on failure replies ERR_NOT_INT and returns -1. */
int arg_ll(struct conn *c, const struct resp_arg *arg, long long *out);

#endif /* CACHIFY_CMD_H */
