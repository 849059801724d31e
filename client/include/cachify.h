/* cachify.h - libcachify: caching, locks, once and pools for C programs.
 *
 * The C form of py-cachify's init_cachify/cached/lock/once/pool/pooled API.
 * Keys are written as prefix + key + "-cached" / "-lock" / "-once" / "-pool",
 * the layout py-cachify uses, so C and Python processes sharing a backend
 * and a prefix coordinate on the same names.
 *
 * Thread safety: an instance (cachify *) and a client (cachify_client *) may
 * be used from many threads at once; the memory client locks internally, the
 * cachifyd client gives each call its own connection from a small pool, so a
 * thread blocked waiting for a lock never holds up another thread's calls.
 * Handles returned by acquire calls (cachify_lock *, cachify_slot *) belong
 * to one thread at a time (cachify_lock_lost may be asked from any).
 * Auto-renewed locks (cachify_lock_options.auto_renew) add one thread per
 * client while any of them is held. cachify_init with is_global and
 * cachify_free of the global instance must not race with calls that use
 * the global one.
 *
 * The library never aborts and never prints: every call returns a code
 * (0 or a negative CACHIFY_E*), and cachify_last_error() describes the
 * calling thread's latest failure.
 */
#ifndef CACHIFY_H
#define CACHIFY_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden visibility; what is declared here is
 * its whole ABI. */
#pragma GCC visibility push(default)

#define CACHIFY_VERSION_MAJOR 0
#define CACHIFY_VERSION_MINOR 1
#define CACHIFY_VERSION_PATCH 0
#define CACHIFY_VERSION_STRING "0.1.0"

/* The library's version at run time ("0.1.0"). Static storage. */
const char *cachify_version(void);

/* ---- errors ------------------------------------------------------------ */

enum cachify_error {
	CACHIFY_OK = 0,
	CACHIFY_ENOTINIT = -1,	/* no global instance: cachify_init(is_global) first (CachifyInitError) */
	CACHIFY_ELOCKED = -2,	/* the lock is held by someone else (CachifyLockError) */
	CACHIFY_EFULL = -3,	/* the pool has no free slot (CachifyPoolFullError) */
	CACHIFY_ETIMEOUT = -4,	/* waited the whole timeout without a grant */
	CACHIFY_ENOTOWNER = -5,	/* release/renew by a token that does not hold it */
	CACHIFY_EIO = -6,	/* cannot reach the backend, or the connection broke */
	CACHIFY_EPROTO = -7,	/* the backend answered something unexpected */
	CACHIFY_ENOMEM = -8,	/* out of memory */
	CACHIFY_EINVAL = -9,	/* bad argument */
	CACHIFY_ESERVER = -10,	/* the server answered an error (see cachify_last_error) */
	CACHIFY_ELOST = -11,	/* a held lock or slot was lost with its connection */
	CACHIFY_ECALLBACK = -12, /* the user's callback failed (its code is passed back) */
	CACHIFY_ECODEC = -13,	/* the encoder or decoder failed */
	CACHIFY_ECANCELED = -14, /* async: the operation was cancelled (cachify_aop_cancel,
				  * or its instance or client was freed) */
	CACHIFY_ENOTSUP = -15,	/* the backend cannot do this: shared locks on a custom
				 * client or on the async memory face, or a cachifyd too
				 * old for LOCK.ACQUIRE ... SHARED */
};

/* A short description of a code. Static storage. */
const char *cachify_strerror(int err);
/* The calling thread's latest failure, more precisely (e.g. the server's
 * error text). Valid until the thread's next cachify call. Never NULL. */
const char *cachify_last_error(void);

/* ---- durations ----------------------------------------------------------
 * Expirations are whole seconds, as in the reference. Two named values give
 * the reference's tri-state: "not given" and None. */
#define CACHIFY_TTL_DEFAULT (-1) /* not given: use the instance's default */
#define CACHIFY_TTL_NEVER   (-2) /* None: never expires */

/* Wait timeouts are seconds as a double; this one means "wait forever". */
#define CACHIFY_WAIT_FOREVER (-1.0)

/* ---- clients (backends): the reference's SyncClient protocol ----------- */

typedef struct cachify_client cachify_client;
/* An instance (init_cachify's Cachify); see cachify_init below. */
typedef struct cachify cachify;

/* A custom backend: the three calls of the reference's SyncClient, over
 * binary-safe keys and values. Every call may block. ctx is the ops'
 * owner's; keys are NOT NUL-terminated. */
struct cachify_client_ops {
	/* Looks name up. Returns 1 and sets *value (malloc'ed, freed by the
	 * library with free()) and *len when found, 0 when absent, or a
	 * negative CACHIFY_E* code. */
	int (*get)(void *ctx, const char *name, size_t nlen, char **value, size_t *len);
	/* Stores name = value. ex: expiry in seconds, or 0 for none. With nx
	 * it must be an atomic set-if-absent: 1 when it set the value, 0 when
	 * the name existed. Without nx, returns 1. Negative on failure. */
	int (*set)(void *ctx, const char *name, size_t nlen, const char *value, size_t len,
		   int64_t ex, bool nx);
	/* Deletes names; returns how many existed, or a negative code. */
	int (*del)(void *ctx, size_t n, const char *const *names, const size_t *nlens);
	/* Called when the last reference to the client goes; may be NULL. */
	void (*destroy)(void *ctx);
};

/* A client over user ops (copied) and ctx (borrowed until destroy). NULL
 * when out of memory. lock/once/pool then run the reference's algorithms:
 * SET NX and polling every lock_poll_interval. */
cachify_client *cachify_client_custom(const struct cachify_client_ops *ops, void *ctx);

/* A new in-process memory client: thread-safe, atomic NX, lazy expiry.
 * Its blocking face's locks (exclusive and shared) are in-process
 * reader/writer locks whose waits queue in arrival order on condition
 * variables (no polling); pools, cached's fill locks and its async face
 * run the reference's algorithms over get/set/delete. */
cachify_client *cachify_client_memory(void);

#define CACHIFY_NAME_MAX 64 /* bytes of a connection's name, after sanitising */

struct cachify_daemon_options {
	double connect_timeout; /* s to connect; default 5 */
	double io_timeout;	/* s for one reply (not a lock WAIT); default 30; 0 = none */
	unsigned max_idle;	/* idle connections kept for reuse; default 4 */
	unsigned retries;	/* reconnect attempts per call, with backoff; default 3 */
	int db;			/* SELECTed database; default 0 */
	/* The name every connection gives itself (CLIENT SETNAME, sent right
	 * after connecting, before SELECT), shown by LOCK.INFO's holder `name`,
	 * CLIENT LIST and `cachify locks`. NULL (the default) = the program's
	 * name (program_invocation_short_name); "" = no name. Borrowed for the
	 * constructor's call only (it keeps a copy). Sanitised to what CLIENT
	 * SETNAME accepts: each byte outside '!'..'~' (spaces, newlines,
	 * controls, non-ASCII) becomes '_', and the name is cut at
	 * CACHIFY_NAME_MAX bytes. A daemon that refuses the name (an error
	 * reply) does not fail the connection. */
	const char *name;
};
/* Fills o with the defaults above. */
void cachify_daemon_options_init(struct cachify_daemon_options *o);

/* A client for cachifyd at address: a socket path or "unix:PATH" /
 * "unix://PATH" (with an optional "?db=N"). NULL address means the
 * environment's CACHIFY_URL, else /run/cachifyd/cachifyd.sock. opts may be
 * NULL for defaults. Connects lazily: a bad address fails on first use.
 * lock/once/pool use cachifyd's native commands (server-side waits, one
 * round trip). NULL when out of memory or the address is malformed. */
cachify_client *cachify_client_daemon(const char *address, const struct cachify_daemon_options *opts);

/* The reference's get/set/delete, usable directly on any client. Same
 * returns as the ops above. */
int cachify_client_get(cachify_client *cl, const char *name, size_t nlen, char **value, size_t *len);
int cachify_client_set(cachify_client *cl, const char *name, size_t nlen, const char *value,
		       size_t len, int64_t ex, bool nx);
int cachify_client_del(cachify_client *cl, size_t n, const char *const *names, const size_t *nlens);

/* Any command, for clients that speak a command protocol (cachifyd; not
 * memory or custom clients: EINVAL). The reply comes back whole, error
 * replies included (type CACHIFY_REPLY_ERROR, return 0); *out is new (free
 * with cachify_reply_free). Used by the cachify CLI for INFO, LOCK.INFO... */
enum cachify_reply_type {
	CACHIFY_REPLY_STRING = 1, /* +status: str/len */
	CACHIFY_REPLY_ERROR,	  /* -error: str/len, without the '-' */
	CACHIFY_REPLY_INTEGER,	  /* :integer */
	CACHIFY_REPLY_BULK,	  /* $bulk: str/len, binary safe, NUL-terminated */
	CACHIFY_REPLY_NIL,	  /* nil bulk or array */
	CACHIFY_REPLY_ARRAY,	  /* elements/element */
};

typedef struct cachify_reply {
	enum cachify_reply_type type;
	long long integer;
	char *str;
	size_t len;
	size_t elements;
	struct cachify_reply **element;
} cachify_reply;

int cachify_client_call(cachify_client *cl, int argc, const char *const *argv, const size_t *argvlen,
			cachify_reply **out);
void cachify_reply_free(cachify_reply *r);

/* The instance's client (borrowed), e.g. for cachify_client_call. */
cachify_client *cachify_get_client(cachify *c);
/* The instance's prefix (borrowed). */
const char *cachify_get_prefix(cachify *c);

/* Clients are reference counted: each instance using one holds a reference.
 * Drops the caller's reference (the one a constructor returned). */
void cachify_client_free(cachify_client *cl);

/* ---- instances: init_cachify ------------------------------------------- */

/* The async (libevent) face's client; see "async" below. */
typedef struct cachify_async_client cachify_async_client;
struct event_base;

struct cachify_options {
	cachify_client *sync_client;	/* borrowed (a reference is taken); NULL = new memory client */
	/* borrowed (a reference is taken). NULL: with event_base set, an async
	 * memory client over sync_client when that is a memory client (the
	 * same data), else over a new memory client, as the reference's
	 * defaulting; without event_base the instance has no async face. */
	cachify_async_client *async_client;
	int64_t default_lock_expiration; /* s, or CACHIFY_TTL_NEVER; default 30 */
	int64_t default_cache_ttl;	/* s, or CACHIFY_TTL_NEVER (default) */
	const char *prefix;		/* copied; default "PYC-" */
	double lock_poll_interval;	/* s between polls of custom clients; default 0.1 */
	int64_t default_pool_slot_expiration; /* s, or CACHIFY_TTL_NEVER; default 600 */
	bool is_global;			/* register as the global instance; default true */
	struct event_base *event_base;	/* borrowed: the loop of the default async client */
};

/* Fills o with the reference's defaults. */
void cachify_options_init(struct cachify_options *o);

/* init_cachify. o NULL means all defaults (a global in-memory instance).
 * On success *out (if not NULL) is the new instance: with is_global it is
 * owned by the library (it replaces and frees any previous global one; do
 * not free it, use cachify_global_free), else owned by the caller (free
 * with cachify_free). */
int cachify_init(const struct cachify_options *o, cachify **out);

/* Frees an instance made with is_global false. Its pending async
 * operations are cancelled first: each callback runs once, with
 * CACHIFY_ECANCELED, before this returns (so call it on the loop's thread
 * when it has any). */
void cachify_free(cachify *c);
/* Frees the global instance (cancelling its async operations, as
 * cachify_free); later global calls fail with ENOTINIT. */
void cachify_global_free(void);

/* In every call below, c NULL means the global instance (ENOTINIT without
 * one), and keys are printf formats (the C form of 'sum-{a}-{b}'). */

/* ---- cached ------------------------------------------------------------ */

/* Computes the value on a miss: sets *value (malloc'ed; taken by the
 * library) and *len and returns 0, or returns non-zero to fail (nothing is
 * cached and cachify_cached returns CACHIFY_ECALLBACK, the code in *fn_err). */
typedef int cachify_compute_fn(void *arg, char **value, size_t *len);

/* Optional transformation between what compute returns and what is stored:
 * each returns 0 with a malloc'ed *out, or non-zero (CACHIFY_ECODEC). */
struct cachify_codec {
	int (*encode)(void *ctx, const char *in, size_t inlen, char **out, size_t *outlen);
	int (*decode)(void *ctx, const char *in, size_t inlen, char **out, size_t *outlen);
	void *ctx;
};

struct cachify_cached_options {
	int64_t ttl;				/* s, CACHIFY_TTL_DEFAULT or CACHIFY_TTL_NEVER */
	const struct cachify_codec *codec;	/* NULL: store the bytes as they are */
};

/* Get-or-compute: returns the cached value of the key, or runs fn once and
 * caches its result. Concurrent misses on one key compute once: the others
 * wait for that result. On success *value (new: free with free()) and *len
 * are set; an empty value is a value, never a miss. opts NULL = defaults. */
int cachify_cached(cachify *c, const struct cachify_cached_options *opts, cachify_compute_fn *fn,
		   void *arg, int *fn_err, char **value, size_t *len, const char *keyfmt, ...)
	__attribute__((format(printf, 8, 9)));
/* Forgets the cached value of the key (the reference's reset). */
int cachify_cached_reset(cachify *c, const char *keyfmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- lock -------------------------------------------------------------- */

typedef struct cachify_lock cachify_lock;

/* Told once that a held lock was lost (see auto_renew). key is the full
 * key, borrowed for the call. */
typedef void cachify_lost_fn(void *arg, const char *key);

struct cachify_lock_options {
	bool nowait;	/* fail with ELOCKED at once when held; default true */
	double timeout; /* s to wait when !nowait; CACHIFY_WAIT_FOREVER (default) */
	int64_t exp;	/* s, CACHIFY_TTL_DEFAULT (default) or CACHIFY_TTL_NEVER */
	/* Keeps the lock alive while its handle lives (Redisson's watchdog):
	 * every exp/3 it is renewed to exp again, until it is released. Does
	 * nothing when exp is never. Default false (the reference has none).
	 * Blocking face: one renewer thread per client (cachify_client),
	 * started with its first auto-renewed lock and joined when the last
	 * one is released; a release waits for a renew in flight, and no renew
	 * follows it. Async face: a loop timer per handle. Memory clients
	 * extend the TTL under their lock; cachifyd uses LOCK.RENEW (owner-
	 * checked); custom clients the generic GET-compare-SET, which is not
	 * atomic there (a renew racing the lock's expiry and someone else's
	 * acquire can put our token back over theirs for one TTL, as the
	 * check-then-delete release can delete theirs). */
	bool auto_renew;
	/* A reader's (shared) hold: readers hold the key together, a writer
	 * (shared false) needs it free. Waits are FIFO between readers and
	 * writers: a reader that arrives while anyone waits queues too, so
	 * writers do not starve; a run of readers at the head of the queue is
	 * granted together. Each reader has its own token, fence, TTL and
	 * release/renew. cachifyd: LOCK.ACQUIRE ... SHARED (CACHIFY_ENOTSUP
	 * from a daemon that predates it); memory client, blocking face: an
	 * in-process reader/writer lock with the same rules. Custom clients
	 * and the async memory face cannot: CACHIFY_ENOTSUP. Default false. */
	bool shared;
	/* With auto_renew: called once when a renew finds the lock lost
	 * (NOTOWNER: expired or taken over; ELOST: the connection that held
	 * it is gone, e.g. cachifyd stopped) or when renews kept failing for
	 * a whole exp. Blocking face: it runs on the renewer thread, so it
	 * must be thread-safe and must not release or renew this lock (kill(),
	 * write() to a pipe, setting an atomic flag are fine). Async face: it
	 * runs from the loop. NULL: only cachify_lock_lost() tells. */
	cachify_lost_fn *on_lost;
	void *on_lost_arg; /* passed to on_lost */
};
/* Fills o with the defaults above. */
void cachify_lock_options_init(struct cachify_lock_options *o);

/* Acquires the lock named by the key. On success *out is a new handle
 * (release it with cachify_lock_release, which also frees it). ELOCKED when
 * nowait and held, ETIMEOUT when the wait ran out. opts NULL = defaults. */
int cachify_lock_acquire(cachify *c, const struct cachify_lock_options *opts, cachify_lock **out,
			 const char *keyfmt, ...) __attribute__((format(printf, 4, 5)));
/* Releases (owner-checked: never deletes a lock someone else holds now)
 * and frees the handle. ENOTOWNER when the lock expired or was taken over
 * in the meantime; the handle is freed whatever the result. NULL is fine. */
int cachify_lock_release(cachify_lock *l);
/* Extends the lock to exp seconds from now. ENOTOWNER if it was lost. */
int cachify_lock_renew(cachify_lock *l, int64_t exp);
/* The fencing token of the grant: larger than every earlier grant's on the
 * same backend (cachifyd: daemon-wide; custom clients: per key). */
uint64_t cachify_lock_fence(const cachify_lock *l);
/* The full key ("PYC-job-42-lock"). Borrowed from the handle. */
const char *cachify_lock_key(const cachify_lock *l);
/* Whether the auto-renewer found the lock lost (always false without
 * auto_renew). Safe from any thread while the handle lives. */
bool cachify_lock_lost(const cachify_lock *l);

/* 1 if the key's lock is held, 0 if not, or a negative code. */
int cachify_is_locked(cachify *c, const char *keyfmt, ...) __attribute__((format(printf, 2, 3)));
/* Force-releases the key's lock whoever holds it (the reference's
 * release on the decorated function). 0 or a negative code. */
int cachify_lock_force_release(cachify *c, const char *keyfmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The decorator form: acquire, run fn(arg), release. fn's return value is
 * stored in *fn_ret (if not NULL); a lost lock (released by expiry before
 * fn returned, or found lost by auto_renew) makes the call return
 * ENOTOWNER (ELOST when its connection went) after fn ran. */
typedef int cachify_run_fn(void *arg);
int cachify_lock_run(cachify *c, const struct cachify_lock_options *opts, cachify_run_fn *fn,
		     void *arg, int *fn_ret, const char *keyfmt, ...)
	__attribute__((format(printf, 6, 7)));

/* ---- once -------------------------------------------------------------- */

struct cachify_once_options {
	bool raise_on_locked;	/* when already running: return ELOCKED (default false) */
	int return_on_locked;	/* else: store this in *fn_ret and return CACHIFY_OK */
};

/* Runs fn(arg) unless a run of the same key is in progress. *ran (if not
 * NULL) says whether fn ran; its result goes to *fn_ret. A failure of fn is
 * fn's result, never "locked". opts NULL = defaults. */
int cachify_once(cachify *c, const struct cachify_once_options *opts, cachify_run_fn *fn, void *arg,
		 int *fn_ret, bool *ran, const char *keyfmt, ...) __attribute__((format(printf, 7, 8)));
/* The reference's is_locked and release on a once-decorated function:
 * 1 if a run of the key is in progress, 0 if not, or a negative code;
 * and force-releasing the key's once lock whoever holds it (0 or a
 * code), so that the next cachify_once runs. Keys as cachify_once's
 * (prefix + key + "-once"). */
int cachify_once_is_locked(cachify *c, const char *keyfmt, ...) __attribute__((format(printf, 2, 3)));
int cachify_once_release(cachify *c, const char *keyfmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- pool / pooled ----------------------------------------------------- */

typedef struct cachify_pool cachify_pool;
typedef struct cachify_slot cachify_slot;

struct cachify_pool_options {
	long max_size;		/* concurrent slots; required, >= 1 */
	int64_t slot_exp;	/* s, CACHIFY_TTL_DEFAULT (default) or CACHIFY_TTL_NEVER */
	bool raise_on_full;	/* pooled: return EFULL when full (beats on_full) */
	cachify_run_fn *on_full; /* pooled: called with arg when full (if not raising) */
	/* pooled: s to wait for a free slot before it counts as full; 0 (the
	 * default) waits not at all, as the reference's pooled, which cannot
	 * wait; CACHIFY_WAIT_FOREVER: no limit. cachifyd waits server-side in
	 * arrival order, other clients poll every lock_poll_interval. When
	 * the time runs out: raise_on_full -> CACHIFY_ETIMEOUT, else on_full
	 * or nothing, as when full. Not used by cachify_pool_acquire(_wait). */
	double timeout;
};
void cachify_pool_options_init(struct cachify_pool_options *o);

/* A pool description (the reference's pool()): new; free with
 * cachify_pool_free. NULL with cachify_last_error() set on failure. */
cachify_pool *cachify_pool_new(cachify *c, const struct cachify_pool_options *opts,
			       const char *keyfmt, ...) __attribute__((format(printf, 3, 4)));
void cachify_pool_free(cachify_pool *p);

/* Takes a slot: *out is a new handle (release with cachify_slot_release,
 * which frees it). EFULL when max_size slots are taken. */
int cachify_pool_acquire(cachify_pool *p, cachify_slot **out);
/* Like cachify_pool_acquire, but waits up to timeout seconds for a free
 * slot (CACHIFY_WAIT_FOREVER: no limit; 0: do not wait). cachifyd waits
 * server-side in arrival order; other clients poll every
 * lock_poll_interval. ETIMEOUT when the time ran out. */
int cachify_pool_acquire_wait(cachify_pool *p, double timeout, cachify_slot **out);
/* The slot's id (NUL-terminated) and fence. Borrowed from the handle. */
const char *cachify_slot_id(const cachify_slot *s);
uint64_t cachify_slot_fence(const cachify_slot *s);
/* Gives the slot back and frees the handle. ENOTOWNER if it had expired. */
int cachify_slot_release(cachify_slot *s);
/* Live slots of the pool (expired ones never count), or a negative code. */
long cachify_pool_size(cachify_pool *p);

/* The decorator form: take a slot (waiting up to the pool's timeout), run
 * fn(arg), give it back. When full: raise_on_full -> EFULL (ETIMEOUT after
 * a wait); else on_full -> its result in *fn_ret, *ran false, CACHIFY_OK;
 * else nothing runs, *ran false, CACHIFY_OK. */
int cachify_pooled(cachify_pool *p, cachify_run_fn *fn, void *arg, int *fn_ret, bool *ran);

/* ---- async: the same API on a libevent loop ------------------------------
 *
 * Every blocking call above has an async counterpart that never blocks the
 * caller's event_base: it starts the operation and returns 0 (the callback
 * will run exactly once, from the loop, never inside the starting call), or
 * returns a negative code at once (bad argument, no async client, out of
 * memory: then the callback never runs). Result codes are the blocking
 * calls', plus CACHIFY_ECANCELED.
 *
 * The loop: event_base_dispatch returns once no async operation is pending
 * and no async lock or slot is held (idle connections do not keep it).
 *
 * Threads: an async client, the instances using it for async calls, and
 * every handle and operation below belong to the thread that runs the
 * client's event_base. Blocking calls on the same instance stay usable
 * from other threads (they use the sync client), and blocking and async
 * callers interoperate on the same keys (cachifyd queues both in one FIFO).
 *
 * Cancelling: cachify_aop_cancel(op) runs the callback at once with
 * CACHIFY_ECANCELED, and whatever the operation held or was about to be
 * granted is given back (cachifyd: its wait connection is closed, a grant
 * that was already on its way is released; custom clients: a request in
 * flight finishes in the background and what it took is released). Freeing
 * the instance (cachify_free) cancels the operations started on it;
 * those started on a pool or a lock/slot handle (which outlive their
 * instance, as in the blocking API) run to their end unless cancelled. A
 * callback may start, cancel or free anything, including its own
 * instance.
 */

/* One pending operation; valid from the starting call until its callback
 * returns (borrowed: never freed by the caller). */
typedef struct cachify_aop cachify_aop;
typedef struct cachify_async_lock cachify_async_lock;
typedef struct cachify_async_slot cachify_async_slot;
/* The user's part of an operation that runs user code (cached's compute,
 * lock_run/once/pooled's function): completed with cachify_async_job_done
 * or cachify_async_job_value, at once or later from the loop. */
typedef struct cachify_async_job cachify_async_job;

/* What an operation produced; valid during the callback. */
struct cachify_async_result {
	int rc;		/* 0 or a negative CACHIFY_E* code */
	char *value;	/* cached on success: malloc'ed, NUL-terminated; the
			 * callback may take it (set it to NULL), else it is freed */
	size_t len;
	int fn_ret;	/* run/once/pooled: fn's result (or return_on_locked, on_full's);
			 * cached with CACHIFY_ECALLBACK: the compute's code */
	bool ran;	/* run/once/pooled: fn ran */
	long n;		/* is_locked: 1 or 0; pool size: live slots */
	/* lock acquire / pool acquire on success: new handles. The callback
	 * takes them by setting the field to NULL (then release them with
	 * cachify_async_lock_release / cachify_async_slot_release); a handle
	 * left here is released by the library after the callback. */
	cachify_async_lock *lock;
	cachify_async_slot *slot;
};

typedef void cachify_async_cb(void *arg, struct cachify_async_result *res);
/* cached's compute: finish with cachify_async_job_value. */
typedef void cachify_async_compute_fn(void *arg, cachify_async_job *job);
/* lock_run/once/pooled's function: finish with cachify_async_job_done. */
typedef void cachify_async_run_fn(void *arg, cachify_async_job *job);

/* Completes a compute: err 0 with value (malloc'ed, taken; NULL for an
 * empty one) and len, or err non-zero (nothing is cached; the operation
 * ends with CACHIFY_ECALLBACK and fn_ret = err). The job is gone after. */
void cachify_async_job_value(cachify_async_job *job, int err, char *value, size_t len);
/* Completes a function run with its result. The job is gone after. */
void cachify_async_job_done(cachify_async_job *job, int ret);

/* Cancels (see above). NULL, or an operation whose callback already ran,
 * must not be passed: op pointers die with their callbacks. */
void cachify_aop_cancel(cachify_aop *op);

/* ---- async clients ---- */

/* The reference's AsyncClient protocol for custom backends. Each call
 * starts a request and returns 0, then completes it exactly once with
 * cachify_async_kv_done (before returning or later, from base's thread);
 * or returns a negative code without completing it. Results as in
 * cachify_client_ops. keys are NOT NUL-terminated and borrowed for the
 * call only. */
typedef struct cachify_async_kv cachify_async_kv;
struct cachify_async_client_ops {
	int (*get)(void *ctx, const char *name, size_t nlen, cachify_async_kv *req);
	int (*set)(void *ctx, const char *name, size_t nlen, const char *value, size_t len,
		   int64_t ex, bool nx, cachify_async_kv *req);
	int (*del)(void *ctx, size_t n, const char *const *names, const size_t *nlens,
		   cachify_async_kv *req);
	void (*destroy)(void *ctx); /* may be NULL */
};
/* Completes req: rc as the sync protocol's (get: 1 with value, malloc'ed
 * and taken, or 0 / a negative code). */
void cachify_async_kv_done(cachify_async_kv *req, int rc, char *value, size_t len);

/* A custom async client on base (borrowed: it must outlive the client).
 * lock/once/pool run the generic algorithms, polling with loop timers every
 * lock_poll_interval. NULL when out of memory or ops is incomplete. */
cachify_async_client *cachify_async_client_custom(struct event_base *base,
						  const struct cachify_async_client_ops *ops,
						  void *ctx);
/* The async face of a memory client (mem: a cachify_client_memory, a
 * reference is taken; NULL: a new one): the same data as mem's blocking
 * users see. Its operations complete from the loop without blocking;
 * waits poll with loop timers, and a release by an operation of the same
 * client wakes the oldest wait on that key at once. NULL when mem is not
 * a memory client. */
cachify_async_client *cachify_async_client_memory(struct event_base *base, cachify_client *mem);
/* cachifyd over its socket, non-blocking: independent requests pipelined
 * on one connection, and a connection of its own for each server-side
 * WAIT (and for the grant it brings: the lock lives as long as it).
 * address and opts as cachify_client_daemon (io_timeout bounds each
 * reply on the shared connection; retries/backoff reconnect it; max_idle
 * wait connections are kept for reuse). Connects lazily. */
cachify_async_client *cachify_async_client_daemon(struct event_base *base, const char *address,
						  const struct cachify_daemon_options *opts);
/* Drops the caller's reference. Instances, handles and operations hold
 * their own; the client (and its connections) goes with the last one. */
void cachify_async_client_free(cachify_async_client *ac);
/* The instance's async client (borrowed), or NULL. */
cachify_async_client *cachify_get_async_client(cachify *c);

/* ---- async operations: c NULL means the global instance ---- */

int cachify_async_cached(cachify *c, const struct cachify_cached_options *opts,
			 cachify_async_compute_fn *fn, void *fnarg, cachify_async_cb *cb, void *arg,
			 cachify_aop **op, const char *keyfmt, ...)
	__attribute__((format(printf, 8, 9)));
int cachify_async_cached_reset(cachify *c, cachify_async_cb *cb, void *arg, cachify_aop **op,
			       const char *keyfmt, ...) __attribute__((format(printf, 5, 6)));

/* res->lock on success (ELOCKED / ETIMEOUT as the blocking call). */
int cachify_async_lock_acquire(cachify *c, const struct cachify_lock_options *opts,
			       cachify_async_cb *cb, void *arg, cachify_aop **op,
			       const char *keyfmt, ...) __attribute__((format(printf, 6, 7)));
/* Release and renew of a handle; release frees it whatever the result (so
 * does cancelling the release). */
int cachify_async_lock_release(cachify_async_lock *l, cachify_async_cb *cb, void *arg,
			       cachify_aop **op);
int cachify_async_lock_renew(cachify_async_lock *l, int64_t exp, cachify_async_cb *cb, void *arg,
			     cachify_aop **op);
uint64_t cachify_async_lock_fence(const cachify_async_lock *l);
const char *cachify_async_lock_key(const cachify_async_lock *l);
/* Whether the handle's auto-renew timer found the lock lost. */
bool cachify_async_lock_lost(const cachify_async_lock *l);
/* res->n = 1 when held, 0 when not. */
int cachify_async_is_locked(cachify *c, cachify_async_cb *cb, void *arg, cachify_aop **op,
			    const char *keyfmt, ...) __attribute__((format(printf, 5, 6)));
int cachify_async_lock_force_release(cachify *c, cachify_async_cb *cb, void *arg,
				     cachify_aop **op, const char *keyfmt, ...)
	__attribute__((format(printf, 5, 6)));
/* The lock decorator on an async function: acquire, fn, release.
 * opts->auto_renew is not available here (CACHIFY_ENOTSUP at once):
 * acquire a handle, which renews itself, instead. */
int cachify_async_lock_run(cachify *c, const struct cachify_lock_options *opts,
			   cachify_async_run_fn *fn, void *fnarg, cachify_async_cb *cb, void *arg,
			   cachify_aop **op, const char *keyfmt, ...)
	__attribute__((format(printf, 8, 9)));
int cachify_async_once(cachify *c, const struct cachify_once_options *opts,
		       cachify_async_run_fn *fn, void *fnarg, cachify_async_cb *cb, void *arg,
		       cachify_aop **op, const char *keyfmt, ...)
	__attribute__((format(printf, 8, 9)));
/* cachify_once_is_locked (res->n = 1 or 0) and cachify_once_release. */
int cachify_async_once_is_locked(cachify *c, cachify_async_cb *cb, void *arg, cachify_aop **op,
				 const char *keyfmt, ...) __attribute__((format(printf, 5, 6)));
int cachify_async_once_release(cachify *c, cachify_async_cb *cb, void *arg, cachify_aop **op,
			       const char *keyfmt, ...) __attribute__((format(printf, 5, 6)));

/* Pools: p from cachify_pool_new on an instance with an async client.
 * timeout as cachify_pool_acquire_wait (0: EFULL at once). */
int cachify_async_pool_acquire(cachify_pool *p, double timeout, cachify_async_cb *cb, void *arg,
			       cachify_aop **op);
int cachify_async_slot_release(cachify_async_slot *s, cachify_async_cb *cb, void *arg,
			       cachify_aop **op);
const char *cachify_async_slot_id(const cachify_async_slot *s);
uint64_t cachify_async_slot_fence(const cachify_async_slot *s);
/* res->n = live slots. */
int cachify_async_pool_size(cachify_pool *p, cachify_async_cb *cb, void *arg, cachify_aop **op);
int cachify_async_pooled(cachify_pool *p, cachify_async_run_fn *fn, void *fnarg,
			 cachify_async_cb *cb, void *arg, cachify_aop **op);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* CACHIFY_H */
