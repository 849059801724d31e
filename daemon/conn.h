/* conn.h - one client connection: socket I/O, buffering, request framing.
 *
 * Reads bytes, runs them through the RESP request parser, hands each command
 * to dispatch, and writes the replies the handlers appended. Enforces the
 * per-client limits (query and output buffers, partial-request and idle
 * timeouts) and owns the close path, where everything a client holds is
 * given back. The client's data is client.h's; replies are reply.c's.
 */
#ifndef CACHIFY_CONN_H
#define CACHIFY_CONN_H

#include "client.h"

#define CONN_READ_CHUNK	   (16 * 1024) /* bytes read per turn: pipelining fairness */
#define CONN_CMDS_PER_TURN 1000	       /* commands run before yielding to others */

struct conn;
struct ucred;
/* Adopts an accepted socket whose peer credentials (SO_PEERCRED, read by
 * the listener's allow-list check) are cred; NULL (fd closed) on failure. */
struct conn *conn_new(int fd, const struct ucred *cred);
/* Closes now: frees everything the client holds. */
void conn_free(struct conn *c);
/* Tries to write pending output now; arms the write event if it cannot. */
void conn_flush(struct conn *c);
/* Stops reading; closes once the output is flushed (shutdown, QUIT). */
void conn_close_after_reply(struct conn *c);
/* While a script runs past busy-reply-threshold (script.c polls from its
 * hook, the event loop being inside the script): reads c once, runs its
 * commands (dispatch answers them BUSY) and writes. A client that closed
 * is only marked: its own callback frees it after the script, so what it
 * holds does not change under a running script. */
void conn_serve_busy(struct conn *c);
#endif /* CACHIFY_CONN_H */
