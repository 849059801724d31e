/* pubsub.c - who subscribes to what (see pubsub.h). One hash table per
 * kind maps a name to its subscribers, in subscription order; each
 * subscriber keeps the list of its own topics, newest last, so closing a
 * connection costs its subscriptions, not the server's.
 */
#include "pubsub.h"

#include <stdlib.h>
#include <string.h>

/* uthash must not exit() on OOM: report it and fail the subscribe. */
static int add_failed;
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (add_failed = 1)
#include <uthash.h>

#include "client.h"
#include "keymatch.h"
#include "reply.h"

/* A channel, pattern or shard channel with at least one subscriber. */
struct topic {
	UT_hash_handle hh;
	struct conn **subs; /* in subscription order */
	size_t nsubs, cap;
	size_t len;
	char name[];
};

/* What one connection subscribes to. */
struct pubsub_state {
	struct topic **topics[PUBSUB_KINDS]; /* newest last */
	size_t n[PUBSUB_KINDS], cap[PUBSUB_KINDS];
};

static struct topic *topics[PUBSUB_KINDS];

/* Grows *arr (of elements of size sz) to hold one more than n. 0 or -1. */
static int grow(void *arr, size_t *cap, size_t n, size_t sz)
{
	void **p = arr;
	size_t ncap;
	void *q;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 4;
	if (!(q = realloc(*p, ncap * sz)))
		return -1;
	*p = q;
	*cap = ncap;
	return 0;
}

static struct topic *topic_find(enum pubsub_kind k, const char *name, size_t len)
{
	struct topic *t;

	HASH_FIND(hh, topics[k], name, len, t);
	return t;
}

static struct topic *topic_get(enum pubsub_kind k, const char *name, size_t len)
{
	struct topic *t = topic_find(k, name, len);

	if (t)
		return t;
	if (!(t = calloc(1, sizeof *t + len + 1)))
		return NULL;
	memcpy(t->name, name, len);
	t->len = len;
	add_failed = 0;
	HASH_ADD_KEYPTR(hh, topics[k], t->name, len, t);
	if (add_failed) {
		free(t);
		return NULL;
	}
	return t;
}

static void topic_drop_sub(enum pubsub_kind k, struct topic *t, struct conn *c)
{
	for (size_t i = 0; i < t->nsubs; i++) {
		if (t->subs[i] != c)
			continue;
		memmove(&t->subs[i], &t->subs[i + 1], (t->nsubs - i - 1) * sizeof t->subs[0]);
		t->nsubs--;
		break;
	}
	if (t->nsubs == 0) {
		HASH_DEL(topics[k], t);
		free(t->subs);
		free(t);
	}
}

static ssize_t state_index(const struct pubsub_state *ps, enum pubsub_kind k,
			   const struct topic *t)
{
	for (size_t i = 0; i < ps->n[k]; i++)
		if (ps->topics[k][i] == t)
			return (ssize_t)i;
	return -1;
}

int pubsub_subscribe(struct conn *c, enum pubsub_kind k, const char *name, size_t len)
{
	struct pubsub_state *ps = c->pubsub;
	struct topic *t;

	if (!ps && !(ps = c->pubsub = calloc(1, sizeof *ps)))
		return -1;
	t = topic_find(k, name, len);
	if (t && state_index(ps, k, t) >= 0)
		return 0;
	if (grow(&ps->topics[k], &ps->cap[k], ps->n[k], sizeof(struct topic *)) != 0)
		return -1;
	if (!t && !(t = topic_get(k, name, len)))
		return -1;
	if (grow(&t->subs, &t->cap, t->nsubs, sizeof(struct conn *)) != 0) {
		if (t->nsubs == 0) {
			HASH_DEL(topics[k], t);
			free(t);
		}
		return -1;
	}
	t->subs[t->nsubs++] = c;
	ps->topics[k][ps->n[k]++] = t;
	c->flags |= CONN_SUBSCRIBED;
	return 1;
}

int pubsub_unsubscribe(struct conn *c, enum pubsub_kind k, const char *name, size_t len)
{
	struct pubsub_state *ps = c->pubsub;
	struct topic *t = ps ? topic_find(k, name, len) : NULL;
	ssize_t i = t ? state_index(ps, k, t) : -1;

	if (i < 0)
		return 0;
	memmove(&ps->topics[k][i], &ps->topics[k][i + 1],
		(ps->n[k] - (size_t)i - 1) * sizeof(struct topic *));
	ps->n[k]--;
	topic_drop_sub(k, t, c);
	if (!pubsub_is_subscribed(c))
		c->flags &= ~CONN_SUBSCRIBED;
	return 1;
}

bool pubsub_last(const struct conn *c, enum pubsub_kind k, const char **name, size_t *len)
{
	const struct pubsub_state *ps = c->pubsub;
	const struct topic *t;

	if (!ps || ps->n[k] == 0)
		return false;
	t = ps->topics[k][ps->n[k] - 1];
	*name = t->name;
	*len = t->len;
	return true;
}

size_t pubsub_count(const struct conn *c, enum pubsub_kind k)
{
	return c->pubsub ? c->pubsub->n[k] : 0;
}

bool pubsub_is_subscribed(const struct conn *c)
{
	const struct pubsub_state *ps = c->pubsub;

	return ps && (ps->n[PUBSUB_CHANNEL] || ps->n[PUBSUB_PATTERN] || ps->n[PUBSUB_SHARD]);
}

void pubsub_conn_gone(struct conn *c)
{
	struct pubsub_state *ps = c->pubsub;

	if (!ps)
		return;
	for (int k = 0; k < PUBSUB_KINDS; k++) {
		for (size_t i = 0; i < ps->n[k]; i++)
			topic_drop_sub(k, ps->topics[k][i], c);
		free(ps->topics[k]);
	}
	free(ps);
	c->pubsub = NULL;
	c->flags &= ~CONN_SUBSCRIBED;
}

/* Queues one message to sub and wakes it to write it. */
static void pubsub_deliver(struct conn *sub, const struct topic *pat, bool shard, const char *ch,
			   size_t chlen, const char *msg, size_t mlen)
{
	if (sub->flags & CONN_CLOSING)
		return;
	if (pat) {
		reply_array(sub, 4);
		reply_bulk(sub, "pmessage", 8);
		reply_bulk(sub, pat->name, pat->len);
	} else {
		reply_array(sub, 3);
		if (shard)
			reply_bulk(sub, "smessage", 8);
		else
			reply_bulk(sub, "message", 7);
	}
	reply_bulk(sub, ch, chlen);
	reply_bulk(sub, msg, mlen);
	client_wake(sub);
}

size_t pubsub_publish(enum pubsub_kind k, const char *ch, size_t chlen, const char *msg,
		      size_t mlen)
{
	struct topic *t = topic_find(k, ch, chlen), *p, *tmp;
	size_t n = 0;

	for (size_t i = 0; t && i < t->nsubs; i++, n++)
		pubsub_deliver(t->subs[i], NULL, k == PUBSUB_SHARD, ch, chlen, msg, mlen);
	if (k != PUBSUB_CHANNEL)
		return n;
	HASH_ITER(hh, topics[PUBSUB_PATTERN], p, tmp) {
		if (!keymatch_matches(p->name, p->len, ch, chlen, false))
			continue;
		for (size_t i = 0; i < p->nsubs; i++, n++)
			pubsub_deliver(p->subs[i], p, false, ch, chlen, msg, mlen);
	}
	return n;
}

size_t pubsub_numsub(enum pubsub_kind k, const char *name, size_t len)
{
	struct topic *t = topic_find(k, name, len);

	return t ? t->nsubs : 0;
}

size_t pubsub_numpat(void)
{
	return HASH_COUNT(topics[PUBSUB_PATTERN]);
}

void pubsub_each(enum pubsub_kind k, pubsub_each_fn *fn, void *ctx)
{
	struct topic *t, *tmp;

	HASH_ITER(hh, topics[k], t, tmp)
		fn(ctx, t->name, t->len);
}
