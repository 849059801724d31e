/* example8_daemon_once.c - once across processes on cachifyd: four forked
 * workers start the same nightly job at once; exactly one runs it, the
 * others get return_on_locked at once (the reference's @once with
 * raise_on_locked=False). While the job runs, any process can ask whether
 * it is running (cachify_once_is_locked); a stuck run's key could be freed
 * with cachify_once_release.
 *
 *   CACHIFY_URL=unix:run/cachifyd.sock build/examples/example8_daemon_once
 *
 * The running job waits until the three others have been turned away, so
 * the outcome does not depend on timing. Exits 0 when the job ran once.
 */
#include "example_daemon.h"

#define WORKERS	    4
#define SKIPPED	    (-1)  /* return_on_locked */
#define TURN_AWAY_MS 20000 /* the job waits this long at most for the others */

static cachify *wc;

/* @once(key='nightly-{day}'): counts its runs, waits for the others. */
static int nightly(void *arg)
{
	for (int waited = 0; ex_ll(wc, "GET", "turned-away") < WORKERS - 1 && waited < TURN_AWAY_MS;
	     waited += 10)
		ex_sleep_ms(10);
	printf("  nightly job running; is_locked from inside: %d\n",
	       cachify_once_is_locked(wc, "nightly-%s", "2026-12-02"));
	return ex_ll(wc, "INCR", "runs") > 0 ? 0 : 1;
}

static int worker(int i)
{
	struct cachify_once_options o = { .raise_on_locked = false, .return_on_locked = SKIPPED };
	char name[32];
	int fn_ret = 0, rc;
	bool ran = false;

	snprintf(name, sizeof name, "example8-worker-%d", i);
	if (!(wc = ex_connect(name)))
		return 2;
	rc = cachify_once(wc, &o, nightly, NULL, &fn_ret, &ran, "nightly-%s", "2026-12-02");
	if (rc == 0 && !ran && fn_ret == SKIPPED) {
		printf("  worker %d: already running elsewhere, skipped\n", i);
		ex_ll(wc, "INCR", "turned-away");
	} else if (rc == 0 && ran) {
		printf("  worker %d: ran the job\n", i);
	}
	cachify_free(wc);
	return rc == 0 && fn_ret != 1 ? 0 : 1;
}

int main(void)
{
	cachify *c = ex_begin("example8");
	long long runs;
	int failures;

	if (!c)
		return 1;
	printf("example8: %d processes start one nightly job\n", WORKERS);
	failures = ex_fork_workers(WORKERS, worker);
	runs = ex_ll(c, "GET", "runs");
	printf("example8: the job ran %lld time(s); running now: %d\n", runs,
	       cachify_once_is_locked(c, "nightly-%s", "2026-12-02"));
	if (runs != 1 || ex_ll(c, "GET", "turned-away") != WORKERS - 1)
		failures++;
	ex_ll(c, "DEL", "runs");
	ex_ll(c, "DEL", "turned-away");
	cachify_free(c);
	printf("example8: %s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
