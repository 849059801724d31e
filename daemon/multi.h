/* multi.h - what routing, connections and other commands need from
 * transactions (cmd_multi.c): whether a command is queued, a refused
 * command's effect on the transaction, and discarding a client's state.
 */
#ifndef CACHIFY_MULTI_H
#define CACHIFY_MULTI_H

#include <stdbool.h>
#include <stddef.h>

#include "resp.h"

struct command;
struct conn;

/* Should cmd be queued rather than run? True in MULTI for every command
 * but EXEC, DISCARD, MULTI, WATCH, QUIT and RESET. */
bool multi_queues(const struct conn *c, const struct command *cmd);
/* Is cmd refused when memory is full? Denyoom commands are, and in MULTI
 * every command that would be queued (queuing grows memory), and EXEC when
 * it would run a denyoom command (Redis 7.0's rules). */
bool multi_needs_room(const struct conn *c, const struct command *cmd);
/* Queues a copy of argv for c's EXEC and replies +QUEUED (or -OOM, which
 * marks the transaction failed). */
void multi_queue(struct conn *c, const struct command *cmd, int argc,
		 const struct resp_arg *argv);
/* Dispatch refused cmd (NULL: unknown) before running it, and appended its
 * error reply at offset mark of c's output. In MULTI that fails the
 * transaction (EXEC answers EXECABORT); a refused EXEC instead discards it,
 * its error rewritten as "EXECABORT Transaction discarded because of: ..."
 * (both as Redis). */
void multi_rejected(struct conn *c, const struct command *cmd, size_t mark);

/* Is c running EXEC's queue? Then commands that would block must answer
 * at once, as without a wait (Redis's BLPOP in MULTI). */
bool multi_in_exec(const struct conn *c);
/* Discards c's transaction and unwatches its keys (DISCARD, RESET, and the
 * connection's close). */
void multi_reset(struct conn *c);

#endif /* CACHIFY_MULTI_H */
