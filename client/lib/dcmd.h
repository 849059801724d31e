/* dcmd.h - cachifyd's commands as data, for both faces of the cachifyd
 * backend: what the library sends for each operation (argument vectors)
 * and what each reply means (result codes, values, grants). No I/O, no
 * clock, no libevent: daemon.c drives these over blocking sockets and
 * adaemon.c over libevent, so the two cannot read a reply differently.
 */
#ifndef CACHIFY_DCMD_H
#define CACHIFY_DCMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "resp.h"

#define LC_DCMD_ARGS_MAX 8		/* arguments of any command built here */
#define LC_DCMD_MS_MAX	 (INT64_MAX / 4) /* the daemon's bound on PX and WAIT */

/* One request. argv may point into num[] and into the caller's key/value
 * buffers: use it in place (never copy the struct) while they live. */
struct lc_dcmd {
	const char *name; /* for messages: "GET", "LOCK.ACQUIRE"... */
	int argc;
	struct resp_arg argv[LC_DCMD_ARGS_MAX];
	char num[3][24];
	/* Acquires only: the reply may wait server-side. wait_s is the
	 * timeout (s), or CACHIFY_WAIT_FOREVER. */
	bool waits;
	double wait_s;
};

/* Builders: 0, or CACHIFY_EINVAL with the message recorded. */
void lc_dcmd_get(struct lc_dcmd *c, const char *key, size_t klen);
int lc_dcmd_set(struct lc_dcmd *c, const char *key, size_t klen, const char *v, size_t vlen,
		int64_t ex_s, bool nx);
void lc_dcmd_del1(struct lc_dcmd *c, const char *key, size_t klen);
int lc_dcmd_lock_acquire(struct lc_dcmd *c, const char *key, size_t klen, int64_t ttl_ms,
			 const struct backend_wait *w);
int lc_dcmd_pool_acquire(struct lc_dcmd *c, const char *key, size_t klen, long max,
			 int64_t ttl_ms, const struct backend_wait *w);
/* LOCK.RELEASE or POOL.RELEASE (pool true) of g's token or slot id. */
void lc_dcmd_release(struct lc_dcmd *c, bool pool, const char *key, size_t klen,
		     const struct backend_grant *g);
int lc_dcmd_lock_renew(struct lc_dcmd *c, const char *key, size_t klen,
		       const struct backend_grant *g, int64_t ttl_ms);
void lc_dcmd_pool_size(struct lc_dcmd *c, const char *key, size_t klen);
void lc_dcmd_select(struct lc_dcmd *c, int db);
/* CLIENT SETNAME name (NUL-terminated, already sanitised). */
void lc_dcmd_setname(struct lc_dcmd *c, const char *name);
/* The name a client gives its connections (cachify_daemon_options.name):
 * NULL -> the program's name, each byte outside '!'..'~' -> '_', cut at
 * CACHIFY_NAME_MAX bytes, into out. "" stays "" (no name is sent). */
void lc_dcmd_name(const char *name, char out[CACHIFY_NAME_MAX + 1]);

/* Reply readers. where names the daemon in messages (its socket path).
 * None frees r; strings they hand out are taken from it. */

/* An error reply's class as a code (-LOCKED -> ELOCKED, ...; other words
 * ESERVER), with the server's text recorded. */
int lc_dcmd_server_error(const struct resp_reply *r);
/* GET: 1 with *v (new) / *len, 0 for nil, or a negative code. */
int lc_dcmd_get_reply(struct resp_reply *r, const char *where, char **v, size_t *len);
/* SET [NX]: 1 set, 0 not set (NX), or a negative code. */
int lc_dcmd_set_reply(const struct resp_reply *r, const char *where);
/* DEL: how many existed, or a negative code. */
long long lc_dcmd_del_reply(const struct resp_reply *r, const char *where);
/* LOCK/POOL.ACQUIRE: 0 with g->id (new), idlen and fence filled (session
 * left alone), or a negative code. */
int lc_dcmd_grant_reply(struct resp_reply *r, const char *where, const char *cmd,
			struct backend_grant *g);
/* RELEASE/RENEW: :1 -> 0, -NOTOWNER -> ENOTOWNER, else a negative code. */
int lc_dcmd_one_reply(const struct resp_reply *r, const char *where, const char *cmd);
/* POOL.SIZE: live slots, or a negative code. */
long lc_dcmd_size_reply(const struct resp_reply *r, const char *where);
/* LOCK.ACQUIRE ... SHARED answered with a syntax error (a daemon that
 * predates shared locks): CACHIFY_ENOTSUP with a message; else rc as is. */
int lc_dcmd_shared_reply(int rc, const char *where);
/* SELECT: 0, or a negative code. */
int lc_dcmd_select_reply(const struct resp_reply *r, const char *where, int db);

/* daemon.c: splits a cachifyd address (PATH, unix:PATH, unix://PATH, with
 * an optional ?db=N that replaces *db) into path (LC_DCONN_PATH_MAX bytes).
 * 0, or CACHIFY_EINVAL with the reason recorded. */
int lc_daemon_parse_address(const char *address, char *path, int *db);

#endif /* CACHIFY_DCMD_H */
