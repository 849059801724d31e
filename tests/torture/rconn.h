/* rconn.h - one blocking RESP connection to a Unix socket, for the programs
 * that drive cachifyd from outside: bench/lockbench and tests/torture.
 * Encodes commands and reads replies through proto/resp.h; every wait can be
 * bounded. Nothing here exits or prints: each call returns a code and leaves
 * errno (or rd.err) saying why.
 */
#ifndef CACHIFY_RCONN_H
#define CACHIFY_RCONN_H

#include <stddef.h>
#include <stdint.h>

#include "resp.h"

struct rconn {
	int fd;                /* -1 when closed */
	struct resp_reader rd; /* bytes read and not yet taken as replies */
	struct resp_buf out;   /* scratch for encoding one command */
};

/* A grant, as LOCK.ACQUIRE and POOL.ACQUIRE reply it: *2 [id, fence]. */
struct rconn_grant {
	char id[128]; /* token or slot id, not NUL-terminated */
	size_t len;
	long long fence;
};

/* ns, CLOCK_MONOTONIC (one clock for every process on the machine). */
int64_t rconn_now_ns(void);

/* Makes c a closed connection (fd -1, empty buffers). */
void rconn_init(struct rconn *c);
/* Connects to the socket at path (blocking, close-on-exec). 0, or -1 with
 * errno set (ENAMETOOLONG for a path that does not fit); c is then closed. */
int rconn_open(struct rconn *c, const char *path);
/* Closes the socket and frees the buffers; harmless on a closed c. */
void rconn_close(struct rconn *c);

/* Encodes one command and writes it whole. 0, or -1 with errno (EPIPE or
 * ECONNRESET when the peer is gone; never raises SIGPIPE). */
int rconn_send(struct rconn *c, int argc, const struct resp_arg *argv);
/* Writes n raw bytes whole. 0, or -1 with errno. */
int rconn_send_raw(struct rconn *c, const void *p, size_t n);

/* Reads what the socket has (waiting at most timeout_ms, or forever when
 * negative) into the reader. Returns the bytes read, 0 on EOF, -1 on error
 * with errno (ETIMEDOUT when nothing came in time). *t_ns (if not NULL) is
 * when read() returned. */
long rconn_fill(struct rconn *c, int timeout_ms, int64_t *t_ns);

/* The next reply, waiting at most timeout_ms in all (forever when negative).
 * 1 with *out set (new: free with resp_reply_free), 0 on EOF, -1 on error
 * with errno: ETIMEDOUT, EPROTO (a reply the reader rejects: rd.err says
 * why) or the read's. *t_ns (if not NULL): when the read that completed the
 * reply returned, or the time of the call if it was already buffered. */
int rconn_reply(struct rconn *c, int timeout_ms, struct resp_reply **out, int64_t *t_ns);

/* Renders r for messages (+OK, -ERR ..., :5, bulk "x", nil, array of 2)
 * into buf; returns buf. */
const char *rconn_desc(const struct resp_reply *r, char *buf, size_t size);
/* 0 and *g filled when r is a grant [non-empty id, integer fence]; -1 if r
 * is anything else. r stays the caller's. */
int rconn_grant(const struct resp_reply *r, struct rconn_grant *g);

/* The integer value of field in a reply of field/value pairs (LOCK.INFO,
 * POOL.INFO): 0 with *out set, or -1 if r has no such integer field. */
int rconn_pair_int(const struct resp_reply *r, const char *field, long long *out);

#endif /* CACHIFY_RCONN_H */
