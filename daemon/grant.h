/* grant.h - what locks and pool slots have in common: the request a client
 * makes, the record of who was granted, fences, tokens and the replies.
 *
 * lock.c and pool.c each implement a struct grant_kind; the wait queue and
 * the commands reach a kind only through it, so "can this key be granted
 * now?" is answered in exactly one place per kind.
 */
#ifndef CACHIFY_GRANT_H
#define CACHIFY_GRANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define GRANT_TOKEN_MAX 256 /* bytes in a client-chosen TOKEN */
#define GRANT_TOKEN_HEX 32  /* hex digits of a generated token or slot id (128 bits) */

struct conn;
struct grant_kind;

/* What a client asked for (LOCK.ACQUIRE / POOL.ACQUIRE options). While it
 * waits, the wait queue owns it and its token. */
struct grant_req {
	struct conn *c;
	const struct grant_kind *kind;
	int64_t ttl_ms;		/* ms: PX of the grant, or -1 for none */
	long long max;		/* pools: max-size */
	bool detach;		/* DETACH: the grant outlives the connection */
	bool shared;		/* locks: SHARED, a reader's hold */
	char *token;		/* locks: TOKEN, or NULL to generate one */
	size_t toklen;
};

struct grant_kind {
	const char *name; /* "lock", "pool" */
	/* Could r be granted on (db, key) now, ignoring who waits in line?
	 * (May drop expired pool slots.) */
	bool (*can_grant)(const struct grant_req *r, int db, const char *key, size_t klen);
	/* Grants r on (db, key), which can_grant allowed, and replies the
	 * grant (or -OOM) to r->c. 0 granted, -1 not. */
	int (*grant)(const struct grant_req *r, int db, const char *key, size_t klen);
	/* When what blocks r's kind on (db, key) may end by itself (ms,
	 * monotonic), or -1 (STORE_NO_EXPIRE): the queue's wake-up timer. */
	int64_t (*next_expiry)(int db, const char *key, size_t klen);
};

/* Who was granted something, for LOCK.INFO, POOL.INFO and CLIENT LIST. */
struct holder {
	struct conn *owner;	/* NULL when DETACHed or the client is gone */
	uint64_t client_id;
	pid_t pid;
	uid_t uid;
	char *name;		/* owned copy of the client's name, or NULL */
	int64_t since_ms;	/* ms, monotonic: when granted */
};

/* A fresh fence: strictly larger than every fence granted before, and at
 * least the wall clock in microseconds, so fences also grow across restarts
 * (while the clock does). Reads the wall clock through clock.h. */
uint64_t grant_next_fence(void);
/* The highest fence granted so far (0 before the first): what a
 * snapshot keeps. */
uint64_t grant_fence_hwm(void);
/* Makes every later fence larger than floor (a snapshot's high-water mark
 * plus its margin: persist.c). Never lowers the counter. */
void grant_fence_raise(uint64_t floor);
/* Fills buf with GRANT_TOKEN_HEX random hex digits and a NUL. */
void grant_token(char *buf);

/* A DETACHed grant's holder as a snapshot keeps it (name borrowed). */
struct grant_saved {
	uint64_t fence;
	pid_t pid;
	uid_t uid;
	const char *name;	/* nlen bytes, no NUL among them; nlen 0: none */
	size_t nlen;
	int64_t since_ms;	/* ms, monotonic: when granted (from the file's Unix ms) */
};

/* Records c as holder now; session-bound (owner = c) unless detach. */
void holder_init(struct holder *h, struct conn *c, bool detach);
/* A holder restored from a snapshot: DETACHed, client-id 0 (no client
 * ever has it), the saved pid, uid, name and grant time. 0, or -1 when
 * out of memory. */
int holder_restore(struct holder *h, const struct grant_saved *g);
void holder_free(struct holder *h);
/* Bytes a holder record owns (its name copy), for maxmemory. */
size_t holder_bytes(const struct holder *h);

/* Replies *2 [id, fence]: the answer to every grant. */
void grant_reply(struct conn *c, const char *id, size_t len, uint64_t fence);
/* Replies the holder's fields of LOCK.INFO and POOL.INFO: client-id pid
 * uid name held-ms ttl-ms (6 pairs), given its expire (ms, monotonic). */
void grant_reply_holder(struct conn *c, const struct holder *h, int64_t expire);
/* Replies the pair "session" 0|1. */
void grant_reply_session(struct conn *c, const struct holder *h);

#endif /* CACHIFY_GRANT_H */
