/* pause.h - CLIENT PAUSE: while a pause is on, a client's next command
 * (every command, or only writes) waits, unanswered and in arrival order,
 * until the pause ends; then the held clients resume in the order they
 * were held. Nothing fails: as in Redis 7, a paused command just runs late.
 */
#ifndef CACHIFY_PAUSE_H
#define CACHIFY_PAUSE_H

#include <stdbool.h>
#include <stdint.h>

#include "resp.h"

struct conn;

/* Pauses until ms (monotonic) every command (all) or only write commands.
 * Over a running pause the later end and the wider mode win, as in Redis. */
void pause_start(int64_t until_ms, bool all);
/* Ends the pause now (CLIENT UNPAUSE, or its timer) and resumes the held
 * clients. Nothing if no pause is on. */
void pause_end(void);

/* conn.c, before running c's parsed command argv: true when the pause
 * holds it. c is then marked CONN_PAUSED (and blocked) and must run the
 * same command again when woken. Unknown commands and wrong arities are
 * not held: their errors come at once, as in Redis. */
bool pause_holds(struct conn *c, int argc, const struct resp_arg *argv);

/* c is closing: it leaves the held queue. */
void pause_conn_gone(struct conn *c);
/* Frees the timer (at exit). */
void pause_free(void);

#endif /* CACHIFY_PAUSE_H */
