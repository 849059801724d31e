/* conn.h - one client connection: socket I/O, buffering, request framing.
 *
 * Reads bytes, runs them through the RESP request parser, hands each command
 * to dispatch, and writes the replies the handlers appended. Enforces the
 * per-client limits (query and output buffers, partial-request and idle
 * timeouts) and owns the close path, where everything a client holds is
 * given back.
 */
#ifndef CACHIFY_CONN_H
#define CACHIFY_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "resp.h"

#define CONN_READ_CHUNK	   (16 * 1024) /* bytes read per turn: pipelining fairness */
#define CONN_CMDS_PER_TURN 1000	       /* commands run before yielding to others */
#define CONN_NAME_MAX	   128	       /* bytes in CLIENT SETNAME */

enum conn_flags {
	CONN_CLOSE_AFTER_REPLY = 1 << 0, /* flush, then close (QUIT, protocol error) */
	CONN_CLOSING = 1 << 1,		 /* being freed: no more callbacks */
	CONN_BLOCKED = 1 << 2,		 /* waiting for a lock/pool: input stays queued */
	CONN_WRITE_ARMED = 1 << 3,	 /* ev_write is pending */
	CONN_SAW_COMMAND = 1 << 4,	 /* has sent at least one command */
	CONN_YIELDED = 1 << 5,		 /* stopped at CONN_CMDS_PER_TURN with commands left */
};

struct event;

struct conn {
	int fd;
	uint64_t id;
	unsigned flags;
	int db;				/* SELECTed database */
	char *name;			/* owned, CLIENT SETNAME; NULL if none */
	pid_t pid;			/* peer credentials (SO_PEERCRED) */
	uid_t uid;
	gid_t gid;
	int64_t created_ms;		/* ms, monotonic */
	int64_t last_ms;		/* ms, monotonic: last byte read */
	int64_t partial_since_ms;	/* ms, monotonic: first byte of an unfinished request; 0 if none */
	const char *last_cmd;		/* static name of the last command */

	struct event *ev_read;
	struct event *ev_write;
	struct resp_buf in;		/* bytes read; the current request starts at in_pos */
	size_t in_pos;
	struct resp_req req;
	struct resp_buf out;		/* replies; out_pos bytes of it already written */
	size_t out_pos;

	struct waiter *waiting;		/* the wait it is blocked in, or NULL */
	struct lock *locks;		/* session-bound locks it holds */
	struct slot *slots;		/* session-bound pool slots it holds */

	struct conn *prev, *next;	/* server.clients */
};

struct ucred;
/* Adopts an accepted socket whose peer credentials (SO_PEERCRED, read by
 * the listener's allow-list check) are cred; NULL (fd closed) on failure. */
struct conn *conn_new(int fd, const struct ucred *cred);
/* Closes now: frees everything the client holds. */
void conn_free(struct conn *c);
/* Runs queued input (after being unblocked, or after a yield). */
void conn_schedule(struct conn *c);
/* Tries to write pending output now; arms the write event if it cannot. */
void conn_flush(struct conn *c);
/* Stops reading; closes once the output is flushed (shutdown, QUIT). */
void conn_close_after_reply(struct conn *c);
/* Bytes of output not yet written. */
static inline size_t conn_pending_out(const struct conn *c)
{
	return c->out.len - c->out_pos;
}

/* Reply helpers: each appends one RESP value to c->out. On allocation
 * failure the client is marked to close (it could not be answered). */
void reply_raw(struct conn *c, const char *s, size_t len);
void reply_ok(struct conn *c);
void reply_simple(struct conn *c, const char *s);
void reply_error(struct conn *c, const char *msg); /* msg starts with its class: "ERR ..." */
void reply_errorf(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_int(struct conn *c, long long v);
void reply_bulk(struct conn *c, const char *p, size_t len);
void reply_bulk_cstr(struct conn *c, const char *s);
void reply_nil(struct conn *c);
void reply_array(struct conn *c, size_t n);

/* Canned error texts, as Redis words them. */
#define ERR_SYNTAX	"ERR syntax error"
#define ERR_NOT_INT	"ERR value is not an integer or out of range"
#define ERR_WRONGTYPE	"WRONGTYPE Operation against a key holding the wrong kind of value"
#define ERR_OOM		"OOM command not allowed when used memory > 'maxmemory'."
#define ERR_OVERFLOW	"ERR increment or decrement would overflow"

#endif /* CACHIFY_CONN_H */
