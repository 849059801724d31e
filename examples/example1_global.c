/* example1_global.c - the reference's usage example 1, "classic global
 * initialization": cachify_init once (is_global, the default), then the
 * global cached / lock / once / pooled (c NULL in every call). The
 * reference wires Redis; this uses the in-process memory client, which is
 * what cachify_init creates when sync_client is NULL.
 *
 * Prints what it does; exits 0 when every step behaved as documented.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cachify.h"

static int failures;

#define EXPECT(cond, ...)                                   \
	do {                                                \
		if (!(cond)) {                              \
			fprintf(stderr, "FAILED: " __VA_ARGS__); \
			fprintf(stderr, " (%s)\n", cachify_last_error()); \
			failures++;                         \
		}                                           \
	} while (0)

/* @cached(key='sum-{a}-{b}', ttl=30) def sum_two(a, b): return a + b */
struct sum_args {
	int a, b;
	int calls;
};

static int sum_two(void *arg, char **value, size_t *len)
{
	struct sum_args *s = arg;
	char buf[32];

	s->calls++;
	*len = (size_t)snprintf(buf, sizeof buf, "%d", s->a + s->b);
	*value = strdup(buf);
	return *value ? 0 : -1;
}

/* @lock(key='critical-{id}', nowait=False, timeout=10) */
static int critical_section(void *arg)
{
	printf("  critical_section(%d) holds APP-critical-%d-lock\n",
	       *(int *)arg, *(int *)arg);
	return 0;
}

/* @once(key='run-once-{id}', raise_on_locked=True): tries itself again
 * while running, which must be refused with CACHIFY_ELOCKED. */
static int run_once(void *arg)
{
	int id = *(int *)arg, rc;

	rc = cachify_once(NULL, &(struct cachify_once_options){ .raise_on_locked = true }, run_once,
			  arg, NULL, NULL, "run-once-%d", id);
	printf("  run_once %d: a second run while this one runs -> %s\n", id,
	       cachify_strerror(rc));
	EXPECT(rc == CACHIFY_ELOCKED, "nested once should be locked, got %d", rc);
	return 0;
}

/* @pooled(key='worker-pool', max_size=5) */
static int worker_task(void *arg)
{
	printf("  worker_task: processed-%s\n", (const char *)arg);
	return 0;
}

int main(void)
{
	struct cachify_options o;
	struct cachify_cached_options co = { .ttl = 30 };
	struct cachify_lock_options lo;
	struct cachify_pool_options po;
	struct sum_args s = { .a = 1, .b = 2 };
	cachify_pool *pool;
	char *v = NULL;
	size_t len;
	bool ran;
	int id = 7, rc, ret;

	/* Before init the global calls fail: the reference's CachifyInitError. */
	rc = cachify_cached(NULL, &co, sum_two, &s, NULL, &v, &len, "sum-%d-%d", s.a, s.b);
	printf("before cachify_init: cached -> %s\n", cachify_strerror(rc));
	EXPECT(rc == CACHIFY_ENOTINIT, "expected ENOTINIT, got %d", rc);

	cachify_options_init(&o);
	o.default_lock_expiration = 60;
	o.default_cache_ttl = 300;
	o.default_pool_slot_expiration = 600;
	o.prefix = "APP-";
	rc = cachify_init(&o, NULL); /* is_global: the return value is not needed */
	EXPECT(rc == 0, "cachify_init: %d", rc);
	printf("cachify_init: global instance, prefix %s\n", cachify_get_prefix(NULL));

	for (int i = 0; i < 2; i++) {
		rc = cachify_cached(NULL, &co, sum_two, &s, NULL, &v, &len, "sum-%d-%d", s.a, s.b);
		EXPECT(rc == 0 && strcmp(v, "3") == 0, "sum_two(1, 2)");
		printf("sum_two(1, 2) = %s (%s)\n", rc == 0 ? v : "?", i ? "cached" : "computed");
		free(v);
	}
	EXPECT(s.calls == 1, "sum_two computed %d times", s.calls);

	cachify_lock_options_init(&lo);
	lo.nowait = false;
	lo.timeout = 10;
	printf("critical_section(7):\n");
	rc = cachify_lock_run(NULL, &lo, critical_section, &id, &ret, "critical-%d", id);
	EXPECT(rc == 0, "lock_run: %d", rc);
	EXPECT(cachify_is_locked(NULL, "critical-%d", id) == 0, "lock left behind");

	printf("run_once(7):\n");
	rc = cachify_once(NULL, &(struct cachify_once_options){ .raise_on_locked = true }, run_once,
			  &id, &ret, &ran, "run-once-%d", id);
	EXPECT(rc == 0 && ran, "once: %d", rc);

	cachify_pool_options_init(&po);
	po.max_size = 5;
	pool = cachify_pool_new(NULL, &po, "worker-pool");
	EXPECT(pool != NULL, "pool_new");
	if (pool) {
		rc = cachify_pooled(pool, worker_task, "data", &ret, &ran);
		EXPECT(rc == 0 && ran, "pooled: %d", rc);
		EXPECT(cachify_pool_size(pool) == 0, "slot not given back");
		cachify_pool_free(pool);
	}

	cachify_global_free();
	printf(failures ? "example1: %d failure(s)\n" : "example1: all good\n", failures);
	return failures ? 1 : 0;
}
