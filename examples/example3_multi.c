/* example3_multi.c - the reference's usage example 3: several independent
 * instances (USER- and METRICS-), each with its own in-memory client.
 * Entries written through one never affect the other, even under the same
 * key, and one client could be swapped for another backend alone.
 *
 * Prints what it does; exits 0 when every step behaved as documented.
 */
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

struct call {
	const char *fmt; /* what the "function" returns, with the argument */
	const char *arg;
	int calls;
};

static int compute(void *arg, char **value, size_t *len)
{
	struct call *c = arg;
	char buf[128];

	c->calls++;
	*len = (size_t)snprintf(buf, sizeof buf, c->fmt, c->arg);
	*value = strdup(buf);
	return *value ? 0 : -1;
}

static cachify *instance(const char *prefix)
{
	struct cachify_options o;
	cachify *c = NULL;

	cachify_options_init(&o);
	o.prefix = prefix;
	o.is_global = false;
	if (cachify_init(&o, &c) != 0)
		fprintf(stderr, "init %s: %s\n", prefix, cachify_last_error());
	return c;
}

int main(void)
{
	cachify *user_cache = instance("USER-"), *metrics_cache = instance("METRICS-");
	struct call get_user = { .fmt = "{\"id\": %s, \"name\": \"ada\"}", .arg = "42" };
	struct call metric = { .fmt = "3.14 (%s)", .arg = "42" };
	char *v;
	size_t len;
	int rc;

	if (!user_cache || !metrics_cache)
		return 1;
	/* @user_cache.cached(key='user-{user_id}') */
	rc = cachify_cached(user_cache, NULL, compute, &get_user, NULL, &v, &len, "user-%s", "42");
	EXPECT(rc == 0, "get_user");
	printf("get_user(42) = %s\n", rc == 0 ? v : "?");
	free(v);
	/* @metrics_cache.cached(key='metric-{name}'), here with the very same key. */
	rc = cachify_cached(metrics_cache, NULL, compute, &metric, NULL, &v, &len, "user-%s", "42");
	EXPECT(rc == 0 && strncmp(v, "3.14", 4) == 0, "metric under the same key");
	printf("compute_metric with the same key = %s\n", rc == 0 ? v : "?");
	free(v);
	rc = cachify_cached(user_cache, NULL, compute, &get_user, NULL, &v, &len, "user-%s", "42");
	EXPECT(rc == 0 && strncmp(v, "{\"id\"", 5) == 0, "user entry intact");
	printf("get_user(42) again = %s (cached, untouched by metrics)\n", rc == 0 ? v : "?");
	free(v);
	EXPECT(get_user.calls == 1 && metric.calls == 1, "each computed once");

	/* Resetting one does not reach into the other. */
	EXPECT(cachify_cached_reset(metrics_cache, "user-%s", "42") == 0, "reset");
	rc = cachify_cached(user_cache, NULL, compute, &get_user, NULL, &v, &len, "user-%s", "42");
	EXPECT(rc == 0 && get_user.calls == 1, "user entry survives a metrics reset");
	free(v);
	printf("after resetting metrics' entry, users' is still cached: %s\n",
	       get_user.calls == 1 ? "yes" : "no");

	cachify_free(user_cache);
	cachify_free(metrics_cache);
	printf(failures ? "example3: %d failure(s)\n" : "example3: all good\n", failures);
	return failures ? 1 : 0;
}
