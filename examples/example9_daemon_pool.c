/* example9_daemon_pool.c - a pool across processes on cachifyd: six forked
 * workers share two slots of a "gpu" pool. Unlike the reference's pooled,
 * which gives up when the pool is full, cachify_pool_options.timeout makes
 * pooled wait for a slot (server-side, in arrival order), so every worker
 * gets its turn and never more than two run at once.
 *
 *   CACHIFY_URL=unix:run/cachifyd.sock build/examples/example9_daemon_pool
 *
 * Exits 0 when all six ran and at most two were ever inside together.
 */
#include "example_daemon.h"

#define WORKERS	  6
#define SLOTS	  2
#define WAIT_S	  60.0 /* pooled waits up to this long for a slot */

static cachify *wc;

/* @pooled(key='gpu', max_size=2): counts who is inside with it. */
static int render(void *arg)
{
	long long inside = ex_ll(wc, "INCR", "inside");

	if (inside > SLOTS)
		ex_ll(wc, "INCR", "too-many");
	printf("  worker %d rendering (%lld inside)\n", *(int *)arg, inside);
	ex_sleep_ms(100);
	ex_ll(wc, "DECR", "inside");
	ex_ll(wc, "INCR", "done");
	return 0;
}

static int worker(int i)
{
	struct cachify_pool_options po;
	cachify_pool *p;
	char name[32];
	int fn_ret = -1, rc = -1;
	bool ran = false;

	snprintf(name, sizeof name, "example9-worker-%d", i);
	if (!(wc = ex_connect(name)))
		return 2;
	cachify_pool_options_init(&po);
	po.max_size = SLOTS;
	po.timeout = WAIT_S;
	po.raise_on_full = true;
	if ((p = cachify_pool_new(wc, &po, "gpu"))) {
		rc = cachify_pooled(p, render, &i, &fn_ret, &ran);
		cachify_pool_free(p);
	}
	if (rc)
		fprintf(stderr, "  worker %d: %s (%s)\n", i, cachify_strerror(rc),
			cachify_last_error());
	cachify_free(wc);
	return rc == 0 && ran && fn_ret == 0 ? 0 : 1;
}

int main(void)
{
	cachify *c = ex_begin("example9");
	long long done, too_many;
	int failures;

	if (!c)
		return 1;
	printf("example9: %d processes, %d slots\n", WORKERS, SLOTS);
	failures = ex_fork_workers(WORKERS, worker);
	done = ex_ll(c, "GET", "done");
	too_many = ex_ll(c, "GET", "too-many");
	printf("example9: %lld of %d ran, %lld time(s) over %d inside\n", done, WORKERS, too_many,
	       SLOTS);
	if (done != WORKERS || too_many != 0)
		failures++;
	ex_ll(c, "DEL", "done");
	ex_ll(c, "DEL", "inside");
	ex_ll(c, "DEL", "too-many");
	cachify_free(c);
	printf("example9: %s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
