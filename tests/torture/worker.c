/* worker.c - one worker process: acquire a lock or a pool slot, enter the
 * critical section (marker file), check it with the daemon, leave, release;
 * over and over until its slot has done its attempts. Every reply is checked
 * against what the protocol allows at that moment, and every outcome is
 * counted on the scoreboard so the supervisor can account for the requests
 * a SIGKILL cut short. The supervisor kills, stops and respawns workers; a
 * new life resumes the slot's count with a fresh connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hold.h"
#include "record.h"
#include "torture.h"

#define WORK_MAX_US  1500 /* longest stay in a critical section */
#define RENEW_ONE_IN 5    /* long grants renewed once in this many */
#define LIT(s)       ((struct resp_arg){(s), sizeof(s) - 1})
#define STR(s)       ((struct resp_arg){(s), strlen(s)})

/* What workers contend for. Long grants outlive any SIGSTOP, so a holder
 * keeps them until it lets go or dies; short ones may lapse under a stop. */
struct res {
	const char *name; /* in markers and records */
	const char *key;
	bool short_ttl;
	long max; /* pools: max-size; locks: 1 */
};

static const struct res lock_res[] = {
    {"L0", "tt:lock:0", false, 1},
    {"L1", "tt:lock:1", false, 1},
    {"S0", "tt:lock:short", true, 1},
};

static const struct res pool_res[] = {
    {"P0", "tt:pool:0", false, 3},
    {"P1", "tt:pool:short", true, 2},
};

struct worker {
	int idx;
	struct tt_slot *sl;
	uint64_t rnd;
	struct rconn c; /* fd -1 while not connected */
	int gen;        /* the daemon generation c talks to */
	pid_t dpid;
};

static void worker_drop(struct worker *w)
{
	rconn_close(&w->c);
}

static int worker_connect(struct worker *w)
{
	if (w->c.fd >= 0)
		return 0;
	if (tt_connect(&w->c, &w->gen, tt_ms(TT_HANG_MS)) != 0)
		return -1;
	if (w->gen < 0) {
		tt_violation(INV_INTERNAL, "connected to a daemon of no known generation");
		worker_drop(w);
		tt_sleep_us(10000);
		return -1;
	}
	w->dpid = tt_shm->gens[w->gen].pid;
	return 0;
}

/* The connection ended under a command: fine during a restart, else the
 * daemon dropped a client it should have kept. */
static void conn_lost(struct worker *w, const char *what, int rc)
{
	if (rc < 0 && errno == EPROTO)
		tt_violation(INV_REPLY, "%s: unreadable reply: %s", what, w->c.rd.err);
	else if (!tt_close_expected(w->gen))
		tt_violation(INV_REPLY, "%s: connection lost (%s) while daemon gen %d is up", what,
		             rc == 0 ? "EOF" : strerror(errno), w->gen);
	worker_drop(w);
}

/* Sends a command and reads its reply within the hang bound: the reply
 * (new), or NULL when the connection is gone (then it is dropped). */
static struct resp_reply *call(struct worker *w, int argc, const struct resp_arg *argv)
{
	struct resp_reply *r;
	int rc;

	if (rconn_send(&w->c, argc, argv) != 0) {
		conn_lost(w, argv[0].ptr, -1);
		return NULL;
	}
	rc = rconn_reply(&w->c, tt_ms(TT_HANG_MS), &r, NULL);
	tt_checked(INV_HANG, 1);
	if (rc == 1) {
		tt_checked(INV_REPLY, 1);
		return r;
	}
	if (rc < 0 && errno == ETIMEDOUT) {
		tt_violation(INV_HANG, "%s %.*s: no reply in %d ms", argv[0].ptr, (int)argv[1].len,
		             argv[1].ptr, tt_ms(TT_HANG_MS));
		worker_drop(w);
		return NULL;
	}
	conn_lost(w, argv[0].ptr, rc);
	return NULL;
}

static bool is_error(const struct resp_reply *r, const char *word)
{
	size_t n = strlen(word);

	return r->type == RESP_ERROR && r->len >= n && memcmp(r->str, word, n) == 0 &&
	       (r->len == n || r->str[n] == ' ');
}

static bool is_int(const struct resp_reply *r, long long v)
{
	return r->type == RESP_INTEGER && r->integer == v;
}

/* WAIT: mostly 1-5 ms (grants race timeouts), some longer, some forever,
 * some none. -1 means no WAIT. */
static long pick_wait(struct worker *w)
{
	long p = tt_range(&w->rnd, 0, 99);

	if (p < 40)
		return tt_range(&w->rnd, 1, 5);
	if (p < 75)
		return tt_range(&w->rnd, 20, 400);
	if (p < 85)
		return 0;
	return -1;
}

/* Judges an acquire's reply; counts grants and timeouts per generation
 * before the slot's outcome, so a kill in between is never missed. */
static enum tt_out classify(struct worker *w, const struct resp_reply *r, const char *cmd,
                            long wait_ms, int64_t elapsed_ns, struct rconn_grant *g)
{
	struct tt_gen *gen = &tt_shm->gens[w->gen];
	char desc[160];

	if (rconn_grant(r, g) == 0) {
		tt_add(w->sl->kind == TT_LOCK ? &gen->lock_grants : &gen->slot_grants, 1);
		return OUT_GRANT;
	}
	if (is_error(r, "TIMEOUT")) {
		tt_add(&gen->timeouts, 1);
		if (wait_ms <= 0)
			tt_violation(INV_REPLY, "%s %s: -TIMEOUT", cmd,
			             wait_ms < 0 ? "without WAIT" : "with WAIT 0 (forever)");
		tt_checked(INV_EARLY_TIMEOUT, 1);
		if (wait_ms > 0 && elapsed_ns < (wait_ms - 1) * 1000000LL)
			tt_violation(INV_EARLY_TIMEOUT, "%s WAIT %ld: -TIMEOUT after %.3f ms", cmd,
			             wait_ms, (double)elapsed_ns / 1e6);
		return OUT_TIMEOUT;
	}
	if (is_error(r, "LOCKED") || is_error(r, "FULL")) {
		if (wait_ms >= 0)
			tt_violation(INV_REPLY, "%s WAIT %ld: %s", cmd, wait_ms,
			             rconn_desc(r, desc, sizeof desc));
		return OUT_BUSY;
	}
	if (is_error(r, "SHUTDOWN")) {
		if (!tt_close_expected(w->gen))
			tt_violation(INV_REPLY, "%s: -SHUTDOWN while daemon gen %d is up", cmd,
			             w->gen);
		return OUT_SHUTDOWN;
	}
	tt_violation(INV_REPLY, "%s: unexpected %s", cmd, rconn_desc(r, desc, sizeof desc));
	return OUT_OTHER;
}

/* Sends an acquire and reads how it ended. On OUT_GRANT *g is the grant and
 * *t_send when the request left. */
static enum tt_out acquire(struct worker *w, int argc, const struct resp_arg *argv, long wait_ms,
                           struct rconn_grant *g, int64_t *t_send)
{
	const char *cmd = argv[0].ptr;
	struct resp_reply *r;
	enum tt_out out;
	int64_t t_rx;
	int rc;

	w->sl->inflight_gen = w->gen;
	tt_add(&w->sl->sent, 1);
	*t_send = rconn_now_ns();
	if (rconn_send(&w->c, argc, argv) != 0) {
		conn_lost(w, cmd, -1);
		out = OUT_CLOSED;
		goto done;
	}
	rc = rconn_reply(&w->c, (int)(wait_ms > 0 ? wait_ms : 0) + tt_ms(TT_HANG_MS), &r, &t_rx);
	tt_checked(INV_HANG, 1);
	if (rc < 0 && errno == ETIMEDOUT) {
		tt_violation(INV_HANG, "%s %.*s WAIT %ld: no reply after %.0f ms", cmd,
		             (int)argv[1].len, argv[1].ptr, wait_ms,
		             (double)(rconn_now_ns() - *t_send) / 1e6);
		tt_add(&tt_shm->gens[w->gen].lost, 1);
		worker_drop(w);
		out = OUT_HUNG;
		goto done;
	}
	if (rc != 1) {
		conn_lost(w, cmd, rc);
		out = OUT_CLOSED;
		goto done;
	}
	tt_checked(INV_REPLY, 1);
	out = classify(w, r, cmd, wait_ms, t_rx - *t_send, g);
	resp_reply_free(r);
	if (out == OUT_SHUTDOWN)
		worker_drop(w);
done:
	tt_add(&w->sl->out[out], 1);
	return out;
}

static void peak_update(uint64_t *peak, uint64_t v)
{
	uint64_t cur = __atomic_load_n(peak, __ATOMIC_SEQ_CST);

	while (v > cur && !__atomic_compare_exchange_n(peak, &cur, v, false, __ATOMIC_SEQ_CST,
	                                               __ATOMIC_SEQ_CST))
		;
}

/* The "slots" array of a POOL.INFO reply, or NULL. */
static const struct resp_reply *pool_slots(const struct resp_reply *r)
{
	for (size_t i = 0; r->type == RESP_ARRAY && i + 1 < r->elements; i += 2)
		if (r->element[i]->type == RESP_BULK && strcmp(r->element[i]->str, "slots") == 0 &&
		    r->element[i + 1]->type == RESP_ARRAY)
			return r->element[i + 1];
	return NULL;
}

/* Renders POOL.INFO's slots as "N slots: fence F pid P, ..." into buf. */
static const char *slots_desc(const struct resp_reply *slots, char *buf, size_t size)
{
	size_t o = (size_t)snprintf(buf, size, "%zu slots:", slots->elements);

	for (size_t i = 0; i < slots->elements && o < size; i++) {
		long long fence = 0, pid = 0;

		rconn_pair_int(slots->element[i], "fence", &fence);
		rconn_pair_int(slots->element[i], "pid", &pid);
		o += (size_t)snprintf(buf + o, size - o, " fence %lld pid %lld,", fence, pid);
	}
	return buf;
}

/* What the daemon says about a resource, for violation messages:
 * "holder fence F pid P" or "N slots: fence F pid P, ...". */
static const char *daemon_view(struct worker *w, const struct res *rs, bool pool, char *buf,
                               size_t size)
{
	struct resp_arg a[] = {pool ? LIT("POOL.INFO") : LIT("LOCK.INFO"), STR(rs->key)};
	const struct resp_reply *slots;
	long long fence = 0, pid = 0;
	struct resp_reply *r;

	snprintf(buf, size, "(no answer)");
	if (w->c.fd < 0 || !(r = call(w, 2, a)))
		return buf;
	if (!pool && rconn_pair_int(r, "fence", &fence) == 0 && rconn_pair_int(r, "pid", &pid) == 0)
		snprintf(buf, size, "holder fence %lld pid %lld", fence, pid);
	else if (pool && (slots = pool_slots(r)))
		slots_desc(slots, buf, size);
	else
		rconn_desc(r, buf, size);
	resp_reply_free(r);
	return buf;
}

/* Counts the live holders of h's resource: at most 1 for a lock, max for a
 * pool. */
static void check_holders(struct worker *w, const struct res *rs, bool pool, const struct hold *h,
                          long long fence, const char *when)
{
	char others[768], view[512];
	int n = hold_count(h, others, sizeof others);

	if (n < 0) {
		tt_violation(INV_INTERNAL, "cannot read the holds directory");
		return;
	}
	if (!pool) {
		tt_checked(INV_OVERLAP, 1);
		if (n > 1)
			tt_violation(INV_OVERLAP,
			             "%s fence %lld %s: %d live holders:%s; "
			             "daemon: %s",
			             rs->key, fence, when, n, others,
			             daemon_view(w, rs, pool, view, sizeof view));
		return;
	}
	tt_checked(INV_POOL_MAX, 1);
	peak_update(&tt_shm->pool_peak, (uint64_t)n);
	if (n > rs->max)
		tt_violation(INV_POOL_MAX,
		             "%s max %ld, fence %lld %s: %d live holders:%s; "
		             "daemon: %s",
		             rs->key, rs->max, fence, when, n, others,
		             daemon_view(w, rs, pool, view, sizeof view));
}

/* POOL.INFO while holding: at most max slots, ours among them unless our
 * TTL may have run out. Returns whether ours is listed (false too when the
 * connection is gone). */
static bool pool_check(struct worker *w, const struct res *rs, long long fence, int64_t lease_ns)
{
	struct resp_arg a[] = {LIT("POOL.INFO"), STR(rs->key)};
	struct resp_reply *r = call(w, 2, a);
	const struct resp_reply *slots;
	long long size = 0, f;
	bool found = false;
	int64_t early;
	char desc[512];

	if (!r)
		return false;
	early = lease_ns - rconn_now_ns();
	slots = pool_slots(r);
	if (r->type != RESP_NIL && (!slots || rconn_pair_int(r, "size", &size) != 0)) {
		tt_violation(INV_REPLY, "POOL.INFO %s: %s", rs->key,
		             rconn_desc(r, desc, sizeof desc));
		resp_reply_free(r);
		return false;
	}
	for (size_t i = 0; slots && i < slots->elements; i++)
		found |= rconn_pair_int(slots->element[i], "fence", &f) == 0 && f == fence;
	tt_checked(INV_POOL_MAX, 1);
	if (size > rs->max)
		tt_violation(INV_POOL_MAX, "POOL.INFO %s: size %lld, max %ld: %s", rs->key, size,
		             rs->max, slots_desc(slots, desc, sizeof desc));
	tt_checked(INV_CHECK, 1);
	if (!found && early > 0)
		tt_violation(INV_CHECK,
		             "%s fence %lld: not in POOL.INFO %.1f ms before its TTL could "
		             "end (%s)",
		             rs->key, fence, (double)early / 1e6,
		             slots ? slots_desc(slots, desc, sizeof desc) : "nil");
	else if (!found)
		tt_add(&tt_shm->lost_by_ttl, 1);
	resp_reply_free(r);
	return found;
}

/* LOCK.RENEW / POOL.RENEW of a long grant: :1. */
static void renew(struct worker *w, const struct res *rs, bool pool, const struct rconn_grant *g)
{
	char ttl[24];
	struct resp_arg a[] = {pool ? LIT("POOL.RENEW") : LIT("LOCK.RENEW"),
	                       STR(rs->key),
	                       {g->id, g->len},
	                       LIT("PX"),
	                       {ttl, 0}};
	struct resp_reply *r;
	char desc[160];

	a[4].len = (size_t)snprintf(ttl, sizeof ttl, "%d", TT_LONG_TTL_MS);
	if (!(r = call(w, 5, a)))
		return;
	tt_checked(INV_OWNER, 1);
	if (!is_int(r, 1))
		tt_violation(INV_OWNER, "%s %s fence %lld: %s while holding", a[0].ptr, rs->key,
		             g->fence, rconn_desc(r, desc, sizeof desc));
	resp_reply_free(r);
}

/* LOCK.CHECK key fence: true while the daemon says we hold it (false too
 * when the connection is gone). A :0 is fine only once the TTL may have run
 * out (we were stopped). */
static bool lock_check(struct worker *w, const struct res *rs, long long fence, int64_t lease_ns)
{
	char f[24];
	struct resp_arg a[] = {LIT("LOCK.CHECK"), STR(rs->key), {f, 0}};
	struct resp_reply *r;
	bool held = false;
	char desc[160];

	a[2].len = (size_t)snprintf(f, sizeof f, "%lld", fence);
	if (!(r = call(w, 3, a)))
		return false;
	tt_checked(INV_CHECK, 1);
	if (is_int(r, 1)) {
		held = true;
	} else if (is_int(r, 0)) {
		int64_t early = lease_ns - rconn_now_ns();

		if (early > 0)
			tt_violation(INV_CHECK,
			             "%s fence %lld: LOCK.CHECK :0 %.1f ms before the TTL "
			             "could end",
			             rs->key, fence, (double)early / 1e6);
		else
			tt_add(&tt_shm->lost_by_ttl, 1);
	} else {
		tt_violation(INV_REPLY, "LOCK.CHECK %s: %s", rs->key,
		             rconn_desc(r, desc, sizeof desc));
	}
	resp_reply_free(r);
	return held;
}

/* LOCK.RELEASE / POOL.RELEASE: :1 while held; -NOTOWNER only once the TTL
 * may have run out. */
static void release(struct worker *w, const struct res *rs, bool pool, const struct rconn_grant *g,
                    int64_t lease_ns, bool held)
{
	struct resp_arg a[] = {
	    pool ? LIT("POOL.RELEASE") : LIT("LOCK.RELEASE"), STR(rs->key), {g->id, g->len}};
	struct resp_reply *r = call(w, 3, a);
	char desc[160];

	if (!r)
		return;
	tt_checked(INV_OWNER, 1);
	if (is_int(r, 1)) {
		if (!held)
			tt_violation(INV_OWNER, "%s %s fence %lld: :1 after LOCK.CHECK said :0",
			             a[0].ptr, rs->key, g->fence);
	} else if (is_error(r, "NOTOWNER")) {
		int64_t early = lease_ns - rconn_now_ns();

		if (held && early > 0)
			tt_violation(INV_OWNER,
			             "%s %s fence %lld: -NOTOWNER %.1f ms before the TTL "
			             "could end",
			             a[0].ptr, rs->key, g->fence, (double)early / 1e6);
		else if (held)
			tt_add(&tt_shm->lost_by_ttl, 1);
	} else {
		tt_violation(INV_REPLY, "%s %s: %s", a[0].ptr, rs->key,
		             rconn_desc(r, desc, sizeof desc));
	}
	resp_reply_free(r);
}

/* The critical section of a grant: marker in, holder count, a little work
 * (where stops land), the daemon's view, marker out, release. */
static void section(struct worker *w, const struct res *rs, bool pool, const struct rconn_grant *g,
                    int64_t lease_ns)
{
	struct hold h;
	bool held = true;
	int64_t t_rec;
	int rc = hold_enter(&h, rs->name, g->fence, lease_ns, w->dpid);

	if (rc == -2)
		tt_violation(INV_FENCE_UNIQUE, "%s: fence %lld granted twice (marker exists)",
		             rs->key, g->fence);
	else if (rc < 0)
		tt_violation(INV_INTERNAL, "cannot create a marker: %s", strerror(errno));
	check_holders(w, rs, pool, &h, g->fence, "on entry");
	if (pool)
		pool_check(w, rs, g->fence, lease_ns);
	if (w->c.fd >= 0) {
		tt_sleep_us(tt_range(&w->rnd, 0, WORK_MAX_US));
		if (!rs->short_ttl && tt_range(&w->rnd, 1, RENEW_ONE_IN) == 1)
			renew(w, rs, pool, g);
	}
	check_holders(w, rs, pool, &h, g->fence, "on exit");
	t_rec = rconn_now_ns();
	if (w->c.fd >= 0)
		held = pool ? pool_check(w, rs, g->fence, lease_ns)
		            : lock_check(w, rs, g->fence, lease_ns);
	if (held && w->c.fd >= 0 &&
	    record_write(pool ? 'P' : 'L', rs->name, g->fence, t_rec, w->gen, g->id, g->len) != 0)
		tt_violation(INV_INTERNAL, "cannot write a record: %s", strerror(errno));
	hold_leave(&h);
	if (w->c.fd >= 0)
		release(w, rs, pool, g, lease_ns, held);
}

/* One attempt: acquire a random resource with a random TTL and WAIT, then
 * the critical section if granted. */
static void round_once(struct worker *w)
{
	bool pool = w->sl->kind == TT_POOL;
	const struct res *rs =
	    pool ? &pool_res[tt_range(&w->rnd, 0, 1)] : &lock_res[tt_range(&w->rnd, 0, 2)];
	long ttl =
	    rs->short_ttl ? tt_range(&w->rnd, TT_SHORT_TTL_MIN, TT_SHORT_TTL_MAX) : TT_LONG_TTL_MS;
	bool detach = rs->short_ttl && tt_range(&w->rnd, 0, 3) == 0;
	long wait_ms = pick_wait(w);
	char maxs[24], ttls[24], waits[24];
	struct resp_arg a[9];
	struct rconn_grant g;
	int64_t t_send;
	int n = 0;

	a[n++] = pool ? LIT("POOL.ACQUIRE") : LIT("LOCK.ACQUIRE");
	a[n++] = STR(rs->key);
	if (pool)
		a[n++] =
		    (struct resp_arg){maxs, (size_t)snprintf(maxs, sizeof maxs, "%ld", rs->max)};
	a[n++] = LIT("PX");
	a[n++] = (struct resp_arg){ttls, (size_t)snprintf(ttls, sizeof ttls, "%ld", ttl)};
	if (wait_ms >= 0) {
		a[n++] = LIT("WAIT");
		a[n++] =
		    (struct resp_arg){waits, (size_t)snprintf(waits, sizeof waits, "%ld", wait_ms)};
	}
	if (detach)
		a[n++] = LIT("DETACH");
	if (acquire(w, n, a, wait_ms, &g, &t_send) == OUT_GRANT)
		section(w, rs, pool, &g, t_send + (ttl - 1) * 1000000LL);
}

void worker_main(int idx)
{
	struct worker w = {.idx = idx, .sl = &tt_shm->slots[idx]};
	long target = w.sl->kind == TT_LOCK ? tt_opts.lock_iters : tt_opts.pool_iters;

	rconn_init(&w.c);
	w.rnd = tt_seed_for(1, (uint64_t)idx, w.sl->lives);
	if (record_open(idx, w.sl->lives) != 0) {
		tt_violation(INV_INTERNAL, "cannot open a record file: %s", strerror(errno));
		exit(1);
	}
	while (!tt_load(&tt_shm->stop) && (long)w.sl->iters < target) {
		if (worker_connect(&w) != 0)
			continue;
		round_once(&w);
		tt_add(&w.sl->iters, 1);
	}
	rconn_close(&w.c);
	record_close();
	exit(0);
}
