/* example5_async.c - the async face: a libevent program serving many
 * concurrent requests on one thread. Each request is guarded by a pool
 * (at most POOL_SIZE computations at once, the others queue) and by
 * cached (each user's profile is computed once; concurrent misses on one
 * key wait for that computation instead of repeating it). The "backend"
 * the profiles come from answers after a delay, from the loop, as a
 * database driver on the same loop would.
 *
 * Runs on the in-process memory client, or on cachifyd when an address is
 * given (argv[1] or CACHIFY_URL): `example5_async unix:/run/cachifyd.sock`.
 * Prints what it did; exits 0 when every request was served as documented.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cachify.h"

#define REQUESTS  200 /* concurrent requests */
#define USERS	  20  /* distinct keys among them */
#define POOL_SIZE 4   /* computations at once */
#define BACKEND_MS 10 /* the slow backend's answer time */

struct app {
	struct event_base *base;
	cachify *c;
	cachify_pool *pool;
	int served, failed, computed, in_pool, max_in_pool;
};

struct request {
	struct app *app;
	int user;
	cachify_async_slot *slot;
};

struct fetch { /* one backend call */
	struct app *app;
	int user;
	cachify_async_job *job;
};

static void backend_answer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fetch *f = arg;
	char buf[64];
	int n = snprintf(buf, sizeof buf, "{\"user\":%d,\"name\":\"user-%d\"}", f->user, f->user);

	cachify_async_job_value(f->job, 0, strdup(buf), (size_t)n);
	free(f);
}

/* cached's compute: ask the slow backend; answer when it does. */
static void load_profile(void *arg, cachify_async_job *job)
{
	struct request *r = arg;
	struct fetch *f = malloc(sizeof *f);
	struct timeval tv = { 0, BACKEND_MS * 1000 };

	r->app->computed++;
	*f = (struct fetch){ r->app, r->user, job };
	event_base_once(r->app->base, -1, EV_TIMEOUT, backend_answer_cb, f, &tv);
}

static void profile_cb(void *arg, struct cachify_async_result *res)
{
	struct request *r = arg;
	struct app *app = r->app;

	if (res->rc == 0 && strstr(res->value, "\"user\":"))
		app->served++;
	else
		app->failed++;
	app->in_pool--;
	cachify_async_slot_release(r->slot, NULL, NULL, NULL);
	free(r);
}

static void slot_cb(void *arg, struct cachify_async_result *res)
{
	struct request *r = arg;
	struct app *app = r->app;

	if (res->rc != 0) {
		fprintf(stderr, "request for user %d: no slot: %s\n", r->user,
			cachify_strerror(res->rc));
		app->failed++;
		free(r);
		return;
	}
	r->slot = res->slot; /* ours now */
	res->slot = NULL;
	if (++app->in_pool > app->max_in_pool)
		app->max_in_pool = app->in_pool;
	if (cachify_async_cached(app->c, NULL, load_profile, r, profile_cb, r, NULL, "profile-%d",
				 r->user) != 0) {
		app->failed++;
		app->in_pool--;
		cachify_async_slot_release(r->slot, NULL, NULL, NULL);
		free(r);
	}
}

int main(int argc, char **argv)
{
	struct app app = { 0 };
	struct cachify_options o;
	struct cachify_pool_options po;
	const char *address = argc > 1 ? argv[1] : getenv("CACHIFY_URL");
	cachify_async_client *ac = NULL;

	app.base = event_base_new();
	cachify_options_init(&o);
	o.is_global = false;
	o.prefix = "EX5-";
	if (address && *address) { /* cachifyd; else the memory client on this loop */
		ac = cachify_async_client_daemon(app.base, address, NULL);
		o.async_client = ac;
		o.sync_client = cachify_client_daemon(address, NULL);
	} else {
		o.event_base = app.base;
	}
	if (cachify_init(&o, &app.c) != 0) {
		fprintf(stderr, "init: %s\n", cachify_last_error());
		return 1;
	}
	cachify_async_client_free(ac);		 /* the instance holds them */
	cachify_client_free(o.sync_client);
	cachify_pool_options_init(&po);
	po.max_size = POOL_SIZE;
	app.pool = cachify_pool_new(app.c, &po, "profile-workers");

	printf("%d concurrent requests for %d users, pool of %d, on one thread (%s)\n", REQUESTS,
	       USERS, POOL_SIZE, address && *address ? address : "memory");
	for (int i = 0; i < REQUESTS; i++) {
		struct request *r = malloc(sizeof *r);

		*r = (struct request){ &app, i % USERS, NULL };
		if (cachify_async_pool_acquire(app.pool, 10, slot_cb, r, NULL) != 0) {
			app.failed++;
			free(r);
		}
	}
	event_base_dispatch(app.base); /* returns when nothing is pending */

	printf("served %d, failed %d, backend calls %d, at most %d in the pool at once\n",
	       app.served, app.failed, app.computed, app.max_in_pool);
	cachify_pool_free(app.pool);
	cachify_free(app.c);
	event_base_dispatch(app.base); /* releases still on their way */
	event_base_free(app.base);
	return app.served == REQUESTS && app.failed == 0 && app.computed == USERS &&
			       app.max_in_pool <= POOL_SIZE
		       ? 0
		       : 1;
}
