/* example6_daemon_cached.c - cached across processes on cachifyd: four
 * forked workers ask for the same slow value at once; one computes it, the
 * others wait for that result (cached's fill lock is a cachifyd lock,
 * waited on server-side), and all four print the same value. Run it
 * against a daemon:
 *
 *   make run &                                  # or any cachifyd
 *   CACHIFY_URL=unix:run/cachifyd.sock build/examples/example6_daemon_cached
 *
 * Exits 0 when exactly one worker computed and every worker got the value.
 */
#include "example_daemon.h"

#define WORKERS 4
#define VALUE	"quarterly report: 42"

/* @cached(key='report-{year}'): 300 ms of work, counted on the daemon. */
static int report(void *arg, char **value, size_t *len)
{
	ex_ll(arg, "INCR", "computes");
	ex_sleep_ms(300);
	*value = strdup(VALUE);
	*len = strlen(VALUE);
	return *value ? 0 : -1;
}

static int worker(int i)
{
	char name[32];
	char *v = NULL;
	size_t len;
	int fn_err, rc;
	cachify *c;

	snprintf(name, sizeof name, "example6-worker-%d", i);
	if (!(c = ex_connect(name)))
		return 2;
	rc = cachify_cached(c, NULL, report, c, &fn_err, &v, &len, "report-%d", 2026);
	if (rc == 0)
		printf("  worker %d (pid %d): %s\n", i, (int)getpid(), v);
	else
		fprintf(stderr, "  worker %d: %s (%s)\n", i, cachify_strerror(rc),
			cachify_last_error());
	rc = rc == 0 && strcmp(v, VALUE) == 0 ? 0 : 1;
	free(v);
	cachify_free(c);
	return rc;
}

int main(void)
{
	cachify *c = ex_begin("example6");
	long long computes;
	int failures;

	if (!c)
		return 1;
	printf("example6: %d processes ask for one cached value\n", WORKERS);
	failures = ex_fork_workers(WORKERS, worker);
	computes = ex_ll(c, "GET", "computes");
	printf("example6: computed %lld time(s) for %d workers\n", computes, WORKERS);
	if (computes != 1)
		failures++;
	cachify_cached_reset(c, "report-%d", 2026);
	ex_ll(c, "DEL", "computes");
	cachify_free(c);
	printf("example6: %s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
