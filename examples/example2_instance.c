/* example2_instance.c - the reference's usage example 2: a global client
 * for the global calls (prefix GLOBAL-) and a dedicated instance
 * (is_global false, prefix LOCAL-, its own in-memory client) that does not
 * touch it: same key names, no interference.
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

struct add {
	int x, y, calls;
	const char *who;
};

/* @local_cachify.cached(key='local-sum-{x}-{y}') and its global twin. */
static int add_fn(void *arg, char **value, size_t *len)
{
	struct add *a = arg;
	char buf[64];

	a->calls++;
	*len = (size_t)snprintf(buf, sizeof buf, "%s:%d", a->who, a->x + a->y);
	*value = strdup(buf);
	return *value ? 0 : -1;
}

static int local_locked(void *arg)
{
	printf("  local_locked(%s) holds LOCAL-local-lock-%s-lock\n", (char *)arg, (char *)arg);
	return 0;
}

static int local_once(void *arg)
{
	printf("  local_once(%s) runs\n", (char *)arg);
	return 0;
}

static int local_worker(void *arg)
{
	printf("  local_worker(%s)\n", (char *)arg);
	return 0;
}

int main(void)
{
	struct cachify_options o;
	struct cachify_pool_options po;
	struct add g = { .x = 1, .y = 2, .who = "global" }, l = { .x = 1, .y = 2, .who = "local" };
	cachify *local = NULL;
	cachify_pool *pool;
	char *v;
	size_t len;
	bool ran;
	int rc;

	cachify_options_init(&o); /* the global one */
	o.prefix = "GLOBAL-";
	EXPECT(cachify_init(&o, NULL) == 0, "global init");

	cachify_options_init(&o); /* sync_client NULL: a fresh in-memory client */
	o.prefix = "LOCAL-";
	o.is_global = false;
	EXPECT(cachify_init(&o, &local) == 0, "local init");
	if (!local)
		return 1;
	printf("global prefix %s, local prefix %s, separate clients: %s\n",
	       cachify_get_prefix(NULL), cachify_get_prefix(local),
	       cachify_get_client(NULL) != cachify_get_client(local) ? "yes" : "no");
	EXPECT(strcmp(cachify_get_prefix(NULL), "GLOBAL-") == 0, "global untouched");

	for (int i = 0; i < 2; i++) {
		rc = cachify_cached(local, NULL, add_fn, &l, NULL, &v, &len, "local-sum-%d-%d", l.x,
				    l.y);
		EXPECT(rc == 0 && strcmp(v, "local:3") == 0, "local_sum");
		printf("local_sum(1, 2) = %s\n", rc == 0 ? v : "?");
		free(v);
		rc = cachify_cached(NULL, NULL, add_fn, &g, NULL, &v, &len, "local-sum-%d-%d", g.x,
				    g.y);
		EXPECT(rc == 0 && strcmp(v, "global:3") == 0, "global twin");
		printf("global twin with the same key = %s\n", rc == 0 ? v : "?");
		free(v);
	}
	EXPECT(l.calls == 1 && g.calls == 1, "each computed once (%d, %d)", l.calls, g.calls);

	printf("local_locked:\n");
	EXPECT(cachify_lock_run(local, NULL, local_locked, "a", NULL, "local-lock-%s", "a") == 0,
	       "local lock");
	printf("local_once:\n");
	EXPECT(cachify_once(local, NULL, local_once, "t1", NULL, &ran, "local-once-%s", "t1") == 0 &&
		       ran,
	       "local once");

	cachify_pool_options_init(&po);
	po.max_size = 3;
	pool = cachify_pool_new(local, &po, "local-pool");
	EXPECT(pool != NULL, "local pool");
	if (pool) {
		printf("local_worker:\n");
		EXPECT(cachify_pooled(pool, local_worker, "job", NULL, &ran) == 0 && ran, "pooled");
		cachify_pool_free(pool);
	}

	cachify_free(local);
	cachify_global_free();
	printf(failures ? "example2: %d failure(s)\n" : "example2: all good\n", failures);
	return failures ? 1 : 0;
}
