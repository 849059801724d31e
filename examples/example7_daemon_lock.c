/* example7_daemon_lock.c - a lock across processes on cachifyd: four forked
 * workers each add 1 to a shared counter 25 times with a read, a pause and
 * a write (a race without the lock). Each update runs under
 * cachify_lock_run with nowait false: waiters queue on the daemon, in
 * arrival order, and are woken the moment the holder releases. One worker
 * also holds the lock for longer than its TTL, kept alive by auto_renew.
 *
 *   CACHIFY_URL=unix:run/cachifyd.sock build/examples/example7_daemon_lock
 *
 * While it runs, `cachify locks` shows the holder's name (example7-worker-N).
 * Exits 0 when no update was lost and the long hold never lapsed.
 */
#include "example_daemon.h"

#define WORKERS 4
#define ROUNDS	25

static cachify *wc; /* the worker's instance */

/* The critical section: read, pause, write. */
static int add_one(void *arg)
{
	long long v = ex_ll(wc, "GET", "counter");

	ex_sleep_ms(1);
	return v < 0 ? 1 : ex_set_ll(wc, "counter", v + 1);
}

/* A job longer than the lock's 2 s TTL: auto_renew keeps it held. */
static int long_job(void *arg)
{
	ex_sleep_ms(3000);
	return cachify_is_locked(wc, "counter") == 1 ? 0 : 1;
}

static int worker(int i)
{
	struct cachify_lock_options o;
	char name[32];
	int fn_ret = 0, rc = 0;

	snprintf(name, sizeof name, "example7-worker-%d", i);
	if (!(wc = ex_connect(name)))
		return 2;
	cachify_lock_options_init(&o);
	o.nowait = false; /* @lock(key='counter', nowait=False, timeout=30) */
	o.timeout = 30;
	for (int r = 0; r < ROUNDS && rc == 0; r++)
		rc = cachify_lock_run(wc, &o, add_one, NULL, &fn_ret, "counter");
	if (rc == 0 && i == 0) {
		o.exp = 2;
		o.auto_renew = true;
		rc = cachify_lock_run(wc, &o, long_job, NULL, &fn_ret, "counter");
		printf("  worker 0 held the lock 3 s on a 2 s TTL: %s\n",
		       rc == 0 && fn_ret == 0 ? "renewed, never lost" : "LOST");
		rc = rc ? rc : fn_ret;
	}
	if (rc)
		fprintf(stderr, "  worker %d: %s (%s)\n", i, cachify_strerror(rc),
			cachify_last_error());
	cachify_free(wc);
	return rc ? 1 : 0;
}

int main(void)
{
	cachify *c = ex_begin("example7");
	long long total;
	int failures;

	if (!c)
		return 1;
	printf("example7: %d processes, %d locked updates each\n", WORKERS, ROUNDS);
	failures = ex_fork_workers(WORKERS, worker);
	total = ex_ll(c, "GET", "counter");
	printf("example7: counter = %lld (want %d)\n", total, WORKERS * ROUNDS);
	if (total != WORKERS * ROUNDS)
		failures++;
	if (cachify_is_locked(c, "counter") != 0)
		failures++;
	ex_ll(c, "DEL", "counter");
	cachify_free(c);
	printf("example7: %s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
