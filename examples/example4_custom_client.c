/* example4_custom_client.c - the reference's custom client example: a
 * backend of your own behind the SyncClient protocol (get, set with ex and
 * an atomic nx, delete), here a small thread-safe list in memory, used for
 * the global instance and for a dedicated one. Locks, once and pools then
 * run the reference's algorithms over it (SET NX + polling).
 *
 * Prints what it does; exits 0 when every step behaved as documented.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* ---- CustomSyncClient: a linked list of entries under one mutex ------- */

struct entry {
	struct entry *next;
	char *name, *value;
	size_t nlen, vlen;
	time_t expires; /* 0 = never */
};

struct store {
	pthread_mutex_t mu;
	struct entry *head;
	const char *label;
	unsigned gets, sets, dels;
};

static void entry_free(struct entry *e)
{
	free(e->name);
	free(e->value);
	free(e);
}

/* The live entry called name; expired entries are dropped on the way. */
static struct entry **find(struct store *s, const char *name, size_t nlen)
{
	struct entry **p = &s->head;

	while (*p) {
		struct entry *e = *p;

		if (e->expires && e->expires <= time(NULL)) {
			*p = e->next;
			entry_free(e);
			continue;
		}
		if (e->nlen == nlen && memcmp(e->name, name, nlen) == 0)
			return p;
		p = &e->next;
	}
	return NULL;
}

static char *copy(const char *p, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, p, n);
		d[n] = '\0';
	}
	return d;
}

/* get(name) -> Optional[Any] */
static int store_get(void *ctx, const char *name, size_t nlen, char **value, size_t *len)
{
	struct store *s = ctx;
	struct entry **p;
	int rc = 0;

	pthread_mutex_lock(&s->mu);
	s->gets++;
	p = find(s, name, nlen);
	if (p) {
		*value = copy((*p)->value, (*p)->vlen);
		*len = (*p)->vlen;
		rc = *value ? 1 : CACHIFY_ENOMEM;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* set(name, value, ex=None, nx=False): with nx an atomic set-if-absent
 * (the mutex makes it so) returning truthy only when it set. */
static int store_set(void *ctx, const char *name, size_t nlen, const char *value, size_t len,
		     int64_t ex, bool nx)
{
	struct store *s = ctx;
	struct entry **p, *e;
	char *v = copy(value, len);
	int rc = 1;

	if (!v)
		return CACHIFY_ENOMEM;
	pthread_mutex_lock(&s->mu);
	s->sets++;
	p = find(s, name, nlen);
	if (p && nx) {
		free(v);
		rc = 0;
	} else if (p) {
		e = *p;
		free(e->value);
		e->value = v;
		e->vlen = len;
		e->expires = ex ? time(NULL) + ex : 0;
	} else if ((e = calloc(1, sizeof *e)) && (e->name = copy(name, nlen))) {
		e->nlen = nlen;
		e->value = v;
		e->vlen = len;
		e->expires = ex ? time(NULL) + ex : 0;
		e->next = s->head;
		s->head = e;
	} else {
		free(e);
		free(v);
		rc = CACHIFY_ENOMEM;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* delete(*names) */
static int store_del(void *ctx, size_t n, const char *const *names, const size_t *nlens)
{
	struct store *s = ctx;
	int count = 0;

	pthread_mutex_lock(&s->mu);
	s->dels++;
	for (size_t i = 0; i < n; i++) {
		struct entry **p = find(s, names[i], nlens[i]);

		if (p) {
			struct entry *e = *p;

			*p = e->next;
			entry_free(e);
			count++;
		}
	}
	pthread_mutex_unlock(&s->mu);
	return count;
}

/* Called when the library drops its last reference to the client. */
static void store_destroy(void *ctx)
{
	struct store *s = ctx;

	printf("%s store: %u gets, %u sets, %u deletes, now closed\n", s->label, s->gets, s->sets,
	       s->dels);
	while (s->head) {
		struct entry *e = s->head;

		s->head = e->next;
		entry_free(e);
	}
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static const struct cachify_client_ops custom_sync_client = {
	.get = store_get,
	.set = store_set,
	.del = store_del,
	.destroy = store_destroy,
};

static cachify_client *custom_client(const char *label)
{
	struct store *s = calloc(1, sizeof *s);
	cachify_client *cl;

	if (!s)
		return NULL;
	pthread_mutex_init(&s->mu, NULL);
	s->label = label;
	cl = cachify_client_custom(&custom_sync_client, s);
	if (!cl)
		store_destroy(s);
	return cl;
}

/* ---- using it ---------------------------------------------------------- */

static int greet(void *arg, char **value, size_t *len)
{
	*value = strdup(arg);
	*len = strlen(arg);
	return *value ? 0 : -1;
}

static int job(void *arg)
{
	printf("  job %s runs\n", (char *)arg);
	return 0;
}

int main(void)
{
	struct cachify_options o;
	cachify *custom_cachify = NULL;
	cachify_lock *l1, *l2;
	char *v;
	size_t len;
	bool ran;
	int rc;

	/* init_cachify(sync_client=CustomSyncClient()) */
	cachify_options_init(&o);
	o.sync_client = custom_client("global");
	EXPECT(o.sync_client != NULL, "custom client");
	EXPECT(cachify_init(&o, NULL) == 0, "global init");
	cachify_client_free(o.sync_client); /* the instance keeps its own reference */

	/* custom_cachify = init_cachify(sync_client=CustomSyncClient(), is_global=False) */
	cachify_options_init(&o);
	o.sync_client = custom_client("dedicated");
	o.is_global = false;
	EXPECT(cachify_init(&o, &custom_cachify) == 0, "instance init");
	cachify_client_free(o.sync_client);
	if (!custom_cachify)
		return 1;

	rc = cachify_cached(NULL, NULL, greet, "hello from the global custom client", NULL, &v,
			    &len, "greeting");
	EXPECT(rc == 0, "cached");
	printf("cached: %s\n", rc == 0 ? v : "?");
	free(v);

	/* The nx contract at work: the second acquire must be refused. */
	EXPECT(cachify_lock_acquire(custom_cachify, NULL, &l1, "resource") == 0, "lock");
	rc = cachify_lock_acquire(custom_cachify, NULL, &l2, "resource");
	printf("lock resource: first granted, second -> %s\n", cachify_strerror(rc));
	EXPECT(rc == CACHIFY_ELOCKED, "second acquire should be locked, got %d", rc);
	EXPECT(cachify_lock_release(l1) == 0, "release");
	EXPECT(cachify_is_locked(custom_cachify, "resource") == 0, "released");

	printf("once on the dedicated instance:\n");
	EXPECT(cachify_once(custom_cachify, NULL, job, "nightly", NULL, &ran, "nightly") == 0 && ran,
	       "once");

	cachify_free(custom_cachify);
	cachify_global_free();
	printf(failures ? "example4: %d failure(s)\n" : "example4: all good\n", failures);
	return failures ? 1 : 0;
}
