/* daemon_conn.h - one connection to cachifyd: the cachifyd backend's core.
 *
 * Two halves kept apart so a non-blocking variant (a libevent event_base
 * driving the same struct) can be added without touching the protocol:
 * encode/decode only move bytes between RESP values and the buffers; open,
 * flush and read are the blocking socket I/O (poll-bounded by deadlines).
 * Pooling, retries and what each command means belong to daemon.c.
 */
#ifndef CACHIFY_DAEMON_CONN_H
#define CACHIFY_DAEMON_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "resp.h"

#define LC_DCONN_NO_DEADLINE (-1) /* a deadline that never comes */
#define LC_DCONN_PATH_MAX    108  /* bytes in sun_path, NUL included */

struct lc_dconn {
	int fd;                       /* -1 once closed or broken */
	pid_t pid;                    /* process that opened it: a forked child never reuses it */
	bool holds;                   /* a session-bound grant may live on it (never pool it) */
	char path[LC_DCONN_PATH_MAX]; /* the socket, for messages */
	struct resp_buf out;          /* encoded requests not yet written */
	struct resp_reader in;        /* bytes read, decoded into replies */
};

/* A deadline (ms on CLOCK_MONOTONIC) timeout s from now;
 * LC_DCONN_NO_DEADLINE when timeout <= 0 (none). */
int64_t lc_dconn_deadline(double timeout);

/* ---- protocol half: no I/O ------------------------------------------------ */

/* Appends one command to c->out. 0, or CACHIFY_ENOMEM. */
int lc_dconn_encode(struct lc_dconn *c, int argc, const struct resp_arg *argv);
/* Takes the next whole reply decoded from c->in: 1 with *out set (new:
 * resp_reply_free), 0 when more bytes are needed, or CACHIFY_EPROTO (the
 * stream is unusable; the message is recorded). */
int lc_dconn_decode(struct lc_dconn *c, struct resp_reply **out);

/* ---- blocking I/O half ---------------------------------------------------- */

/* Connects to the Unix socket at path within deadline (ms, monotonic, or
 * LC_DCONN_NO_DEADLINE). *out is new (lc_dconn_close). 0, or CACHIFY_EIO /
 * CACHIFY_ENOMEM with the message recorded. Blocks up to the deadline. */
int lc_dconn_open(const char *path, int64_t deadline, struct lc_dconn **out);
/* Closes the socket and frees c (NULL is fine). Sends nothing: a
 * session-bound grant on c ends with it, on the server. */
void lc_dconn_close(struct lc_dconn *c);
/* Closes the socket but keeps the struct (the connection is broken). */
void lc_dconn_break(struct lc_dconn *c);
/* Whether an idle connection can still carry a request: open, no EOF or
 * error from the peer, and no bytes the caller did not ask for. Never
 * blocks. A false answer breaks c. */
bool lc_dconn_is_usable(struct lc_dconn *c);
/* Writes all of c->out. 0, or CACHIFY_EIO (the connection is broken, the
 * message recorded); *sent (if not NULL) tells whether any byte left, i.e.
 * whether the server may have seen the request. Blocks up to deadline. */
int lc_dconn_flush(struct lc_dconn *c, int64_t deadline, bool *sent);
/* Reads until one whole reply is decoded: 0 with *out set (new), or
 * CACHIFY_EIO (peer closed, error, or deadline passed) / CACHIFY_EPROTO /
 * CACHIFY_ENOMEM; on any failure the connection is broken. Blocks up to
 * deadline. */
int lc_dconn_read(struct lc_dconn *c, int64_t deadline, struct resp_reply **out);

#endif /* CACHIFY_DAEMON_CONN_H */
