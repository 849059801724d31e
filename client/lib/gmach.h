/* gmach.h - the library's algorithms as sans-I/O state machines, shared by
 * the blocking API (generic.c's and cachify.c's drivers run them with
 * blocking calls and sleeps) and the async API (async.c runs them with
 * libevent callbacks and timers), so the two faces cannot drift.
 *
 * A machine never does I/O: each step gets the result of the action it
 * asked for last and names the next one (a get/set/delete on the backend,
 * a native lock acquire/release, a pause, the user's compute) or says it
 * is done with a code. It reads the clock (clock.h) for deadlines.
 */
#ifndef CACHIFY_GMACH_H
#define CACHIFY_GMACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "token.h"

#define LC_U64_DIGITS 20

enum lc_act {
	LC_ACT_GET,	  /* key -> rc 1 with value/len (taken by the machine), 0, < 0 */
	LC_ACT_SET,	  /* key, val, ex_s, nx -> rc 1 set, 0 not set (nx), < 0 */
	LC_ACT_DEL,	  /* key -> rc: how many existed, < 0 */
	LC_ACT_SLEEP,	  /* ms (polling key again after) -> rc 0 */
	LC_ACT_NLOCK_ACQ, /* native acquire: key, ttl_ms, wait -> rc, grant (taken) */
	LC_ACT_NLOCK_REL, /* native release of *grant, then end its session -> rc */
	LC_ACT_COMPUTE,	  /* the user's compute -> rc (0 or its non-zero code), value/len */
	LC_ACT_DONE,	  /* finished: rc */
	/* Native one-shots the async face asks for directly (never a machine's):
	 * renew *grant to ttl_ms; pool acquire (max, ttl_ms, wait) -> grant;
	 * pool release of *grant (then its session ends); pool size -> rc. */
	LC_ACT_NLOCK_RENEW,
	LC_ACT_NPOOL_ACQ,
	LC_ACT_NPOOL_REL,
	LC_ACT_NPOOL_SIZE,
};

/* What a machine asks for. Pointers are the machine's, valid until the
 * next step. */
struct lc_step {
	enum lc_act act;
	const char *key;
	size_t klen;
	const char *val;
	size_t vlen;
	int64_t ex_s;	 /* SET: s, 0 = none */
	bool nx;
	int64_t ms;	 /* SLEEP */
	int64_t ttl_ms;	 /* NLOCK_ACQ: < 0 none */
	struct backend_wait wait;
	struct backend_grant *grant; /* NLOCK_REL, NLOCK_RENEW, NPOOL_REL */
	long max;	 /* NPOOL_ACQ */
	int rc;		 /* DONE */
};

/* What the action gave back. */
struct lc_result {
	int rc;
	char *value; /* GET/COMPUTE: malloc'ed (NULL for an empty one); taken */
	size_t len;
	struct backend_grant grant; /* NLOCK_ACQ: taken */
};

struct lc_mach {
	/* last is NULL on the first step. Fills *next. */
	void (*step)(struct lc_mach *m, struct lc_result *last, struct lc_step *next);
};

/* ---- generic locks (SET NX + polling, owner-checked release) ------------ */

struct lc_glock {
	struct lc_mach m;
	int state;
	const char *key; /* borrowed */
	size_t klen;
	int64_t ex_s;
	struct backend_wait w;
	double poll_s;
	bool want_fence;
	int64_t deadline; /* ms, monotonic */
	char tok[LC_TOKEN_HEX + 1];
	struct backend_grant *g; /* borrowed: filled on success */
	char *fkey;
	size_t flen;
	uint64_t fence;
	char fbuf[LC_U64_DIGITS + 1];
	int saved;	 /* undo: the error to finish with */
};

/* Acquire into *g (left empty on failure): 0, ELOCKED, ETIMEOUT, or the
 * backend's code. */
void lc_glock_acquire_init(struct lc_glock *l, const char *key, size_t klen, int64_t ex_s,
			   const struct backend_wait *w, double poll_s, bool want_fence,
			   struct backend_grant *g);
/* Release (GET == token, then DEL) or renew (GET == token, then SET EX):
 * 0 or ENOTOWNER. g is borrowed. */
void lc_glock_release_init(struct lc_glock *l, const char *key, size_t klen,
			   struct backend_grant *g);
void lc_glock_renew_init(struct lc_glock *l, const char *key, size_t klen,
			 struct backend_grant *g, int64_t ex_s);
/* Frees what a machine kept (safe at any state, e.g. when cancelled). */
void lc_glock_clear(struct lc_glock *l);

/* ---- generic pools (a slot list under a meta-lock) ---------------------- */

struct lc_gpool {
	struct lc_mach m;
	int state;
	int op; /* acquire, release, size */
	const char *key;
	size_t klen;
	long max;
	int64_t ex_s;
	double poll_s;
	double timeout; /* acquire: s to wait for a slot; CACHIFY_WAIT_FOREVER; 0 none */
	int64_t deadline;
	struct backend_grant *g;
	char tok[LC_TOKEN_HEX + 1];
	char *mkey;
	size_t mlen;
	struct backend_grant meta;
	struct lc_glock sub;
	bool sub_on;
	char *list; /* the slot list to write */
	size_t listlen;
	int64_t list_ex;
	int rc;	  /* the result to finish with after the meta-lock is given back */
	long size;
};

void lc_gpool_acquire_init(struct lc_gpool *p, const char *key, size_t klen, long max,
			   int64_t ex_s, double poll_s, double timeout, struct backend_grant *g);
void lc_gpool_release_init(struct lc_gpool *p, const char *key, size_t klen, double poll_s,
			   struct backend_grant *g);
/* Done with rc = live slots (or a negative code). */
void lc_gpool_size_init(struct lc_gpool *p, const char *key, size_t klen);
void lc_gpool_clear(struct lc_gpool *p);

/* ---- cached: get-or-compute under a fill lock --------------------------- */

struct lc_cached {
	struct lc_mach m;
	int state;
	bool native; /* the backend has native locks */
	const char *key;
	size_t klen;
	char *fill;
	size_t flen;
	int64_t ttl_s;
	int64_t fill_ex_s;
	double poll_s;
	const struct cachify_codec *codec;
	struct backend_grant g;
	struct lc_glock sub;
	bool sub_on;
	char *value; /* the result (new), handed over by lc_cached_take */
	size_t len;
	char *enc;
	int rc;
	int fn_err; /* the compute's own code when rc is ECALLBACK */
};

void lc_cached_init(struct lc_cached *c, bool native, const char *key, size_t klen,
		    int64_t ttl_s, int64_t fill_ex_s, double poll_s,
		    const struct cachify_codec *codec);
/* After DONE with 0: the value (new, NUL-terminated) and its length. */
void lc_cached_take(struct lc_cached *c, char **value, size_t *len);
void lc_cached_clear(struct lc_cached *c);

/* ---- blocking driver (generic.c) ------------------------------------------ */

/* Runs m to its end on cl with blocking calls. compute (may be NULL when
 * m never asks) runs LC_ACT_COMPUTE. Returns DONE's rc. */
int lc_mach_run(cachify_client *cl, struct lc_mach *m, cachify_compute_fn *compute, void *arg);

#endif /* CACHIFY_GMACH_H */
