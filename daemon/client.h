/* client.h - a connected client as commands see it: identity, selected
 * database, output buffer, and what it holds or waits for.
 *
 * Only the data: conn.c drives a client's socket (read, parse, dispatch,
 * write, close); reply.c appends to its output; lock.c, pool.c and waitq.c
 * hang grants and waits off it. Keeping the struct apart from conn.c lets
 * those modules use a client without depending on its I/O.
 */
#ifndef CACHIFY_CLIENT_H
#define CACHIFY_CLIENT_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "resp.h"

enum conn_flags {
	CONN_CLOSE_AFTER_REPLY = 1 << 0, /* flush, then close (QUIT, protocol error) */
	CONN_CLOSING = 1 << 1,		 /* being freed: no more callbacks */
	CONN_BLOCKED = 1 << 2,		 /* waiting for a lock/pool or on keys: input stays queued */
	CONN_WRITE_ARMED = 1 << 3,	 /* ev_write is pending */
	CONN_SAW_COMMAND = 1 << 4,	 /* has sent at least one command */
	CONN_RESUME = 1 << 5,		 /* run queued input before reading more (yield, unblock) */
	CONN_MULTI = 1 << 6,		 /* after MULTI: commands are queued (cmd_multi.c) */
	CONN_DIRTY_EXEC = 1 << 7,	 /* a command failed to queue: EXEC answers EXECABORT */
	CONN_DIRTY_CAS = 1 << 8,	 /* a watched key changed: EXEC answers a nil array */
	CONN_IN_EXEC = 1 << 9,		 /* running EXEC's queue: nothing may block */
	CONN_MONITOR = 1 << 10,		 /* MONITOR: receives every command run (monitor.c) */
	CONN_PAUSED = 1 << 11,		 /* held by CLIENT PAUSE: the next command waits (pause.c) */
	CONN_NO_EVICT = 1 << 12,	 /* CLIENT NO-EVICT on (shown; clients are never evicted) */
	CONN_NO_TOUCH = 1 << 13,	 /* CLIENT NO-TOUCH on: its reads leave keys' LRU alone */
	CONN_NOT_RUN = 1 << 14,		 /* the handler refused an unknown subcommand or its
					  * arity: not logged nor monitored, as Redis (diag.c) */
	CONN_SUBSCRIBED = 1 << 15,	 /* has a (p|s)subscription: pubsub output limits (pubsub.c) */
};

/* The commands a client queued since MULTI (cmd_multi.c fills it). */
struct multi_state {
	struct multi_cmd *cmds;
	size_t n, cap;
	unsigned flags; /* the queued commands' CMD_* flags, or'ed (EXEC's OOM rule) */
};

struct waiter;
struct blocked;
struct acl_rule;
struct multi_state;
struct pubsub_state;
LIST_HEAD(lock_list, lock_hold);
LIST_HEAD(slot_list, slot);
LIST_HEAD(watch_list, watch);

struct conn {
	int fd;
	uint64_t id;
	unsigned flags;
	int db;				/* SELECTed database */
	char *name;			/* owned, CLIENT SETNAME; NULL if none */
	char *lib_name;			/* owned, CLIENT SETINFO LIB-NAME; NULL if none */
	char *lib_ver;			/* owned, CLIENT SETINFO LIB-VER; NULL if none */
	pid_t pid;			/* peer credentials (SO_PEERCRED) */
	uid_t uid;
	gid_t gid;
	int64_t created_ms;		/* ms, monotonic */
	int64_t last_ms;		/* ms, monotonic: last byte read */
	int64_t partial_since_ms;	/* ms, monotonic: first byte of an unfinished request; 0 if none */
	int64_t obuf_soft_since_ms;	/* ms, monotonic: output past its soft limit since; 0 if not */
	const char *last_cmd;		/* static name of the last command */
	unsigned acl_gen;		/* acl.c: rules generation acl_rule was found in; 0 = none */
	const struct acl_rule *acl_rule; /* acl.c: the access rule in force for this peer */

	struct event *ev_read;
	struct event *ev_write;
	struct resp_buf in;		/* bytes read; the current request starts at in_pos */
	size_t in_pos;
	struct resp_req req;
	struct resp_req *ahead;		/* while blocked: frames queued input (conn.c) */
	size_t ahead_len;		/* bytes after in_pos known to be whole requests */
	struct resp_buf out;		/* replies; out_pos bytes of it already written */
	size_t out_pos;

	struct waiter *waiting;		/* the wait it is blocked in, or NULL */
	struct blocked *blocked;	/* blocked on keys (BLPOP...: block.c), or NULL */
	struct lock_list locks;		/* session-bound lock holds it has */
	struct slot_list slots;		/* session-bound pool slots it holds */
	struct multi_state *multi;	/* commands queued since MULTI, or NULL (cmd_multi.c) */
	struct watch_list watches;	/* keys it WATCHes (watch.c) */
	struct pubsub_state *pubsub;	/* its subscriptions, or NULL (pubsub.c) */

	LIST_ENTRY(conn) link;		/* server.clients */
	LIST_ENTRY(conn) monitor_link;	/* monitor.c's list, while CONN_MONITOR */
	TAILQ_ENTRY(conn) pause_link;	/* pause.c's queue, while CONN_PAUSED */
};

/* Commands queued since MULTI (CLIENT LIST's multi=), -1 outside MULTI. */
static inline long client_multi_queued(const struct conn *c)
{
	if (!(c->flags & CONN_MULTI))
		return -1;
	return c->multi ? (long)c->multi->n : 0;
}

/* Bytes of output not yet written. */
static inline size_t conn_pending_out(const struct conn *c)
{
	return c->out.len - c->out_pos;
}

/* Wakes c's own read callback, which runs its queued input and flushes its
 * output, or frees it when CONN_CLOSING is set. How another client's
 * grant, timeout or error reaches the socket. */
static inline void client_wake(struct conn *c)
{
	c->flags |= CONN_RESUME;
	event_active(c->ev_read, EV_READ, 0);
}

#endif /* CACHIFY_CLIENT_H */
