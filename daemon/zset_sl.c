/* zset_sl.c - the skiplist encoding of a sorted set: Pugh's skip list
 * ordered by (score, member), with a span on every link so ranks cost
 * O(log n) (Redis's zskiplist), and a member -> node index in the
 * keyspace's own hash table (dict.c) for O(1) ZSCORE and updates.
 *
 * A member's bytes live once, as the key of its index entry (struct
 * sentry: key and a value holding the node's address, one allocation); the
 * node points at that entry. Every allocation, and the index's buckets, is
 * accounted to the set (zset_alloc, zset_reaccount).
 */
#include <stdlib.h>
#include <string.h>

#include "zset_int.h"

#define ZSL_P 0.25 /* a node's chance of one more level, as Redis's */

/* The index's bucket arrays come and go inside dict.c: re-account them
 * after every change. */
static void zsl_sync_index(struct zset *z, struct zsl *sl)
{
	zset_reaccount(z, &sl->index_bytes, dict_bytes(&sl->index));
}

static struct zsl_node *node_new(struct zset *z, int level)
{
	struct zsl_node *x =
		zset_alloc(z, sizeof *x + (size_t)level * sizeof(struct zsl_level));

	if (x) {
		memset(x, 0, sizeof *x + (size_t)level * sizeof(struct zsl_level));
		x->nlevel = level;
	}
	return x;
}

struct zsl *zsl_new(struct zset *z)
{
	struct zsl *sl = zset_alloc(z, sizeof *sl);

	if (!sl)
		return NULL;
	memset(sl, 0, sizeof *sl);
	sl->header = node_new(z, ZSL_MAXLEVEL);
	if (!sl->header) {
		zset_release(z, sl);
		return NULL;
	}
	sl->level = 1;
	dict_init(&sl->index);
	return sl;
}

static void entry_free_cb(void *ctx, struct sentry *e)
{
	zset_release(ctx, e);
}

void zsl_free(struct zset *z, struct zsl *sl)
{
	struct zsl_node *x = sl->header->level[0].forward, *next;

	for (; x; x = next) {
		next = x->level[0].forward;
		zset_release(z, x);
	}
	zset_release(z, sl->header);
	dict_clear(&sl->index, entry_free_cb, z);
	zsl_sync_index(z, sl);
	zset_release(z, sl);
}

static int random_level(void)
{
	int level = 1;

	while (level < ZSL_MAXLEVEL &&
	       (zset_random() & 0xffff) < (uint64_t)(ZSL_P * 0xffff))
		level++;
	return level;
}

struct zsl_node *zsl_lookup(const struct zsl *sl, const char *m, size_t len)
{
	struct dict *d = (struct dict *)&sl->index;
	struct sentry **link = dict_find(d, dict_hash(m, len), m, len);
	struct zsl_node *x;

	if (!link)
		return NULL;
	memcpy(&x, sentry_value(*link), sizeof x);
	return x;
}

/* The index entry for member m (not linked yet), pointing at x. */
static struct sentry *index_entry_new(struct zset *z, const char *m, size_t len,
				      struct zsl_node *x)
{
	struct sentry *e = zset_alloc(z, sizeof *e + len + sizeof x);

	if (!e)
		return NULL;
	memset(e, 0, sizeof *e);
	e->klen = (uint32_t)len;
	e->vlen = sizeof x;
	memcpy(e->data, m, len);
	memcpy(e->data + len, &x, sizeof x);
	return e;
}

/* Links x into the list at its (score, member) place. */
static void zsl_link(struct zsl *sl, struct zsl_node *x)
{
	struct zsl_node *update[ZSL_MAXLEVEL], *p = sl->header;
	size_t rank[ZSL_MAXLEVEL], xlen, plen;
	const char *xm = zsl_member(x, &xlen);
	int i, level = x->nlevel;

	for (i = sl->level - 1; i >= 0; i--) {
		rank[i] = i == sl->level - 1 ? 0 : rank[i + 1];
		while (p->level[i].forward) {
			struct zsl_node *f = p->level[i].forward;
			const char *fm = zsl_member(f, &plen);

			if (zset_cmp(f->score, fm, plen, x->score, xm, xlen) >= 0)
				break;
			rank[i] += p->level[i].span;
			p = f;
		}
		update[i] = p;
	}
	if (level > sl->level) {
		for (i = sl->level; i < level; i++) {
			rank[i] = 0;
			update[i] = sl->header;
			update[i]->level[i].span = sl->length;
		}
		sl->level = level;
	}
	for (i = 0; i < level; i++) {
		x->level[i].forward = update[i]->level[i].forward;
		update[i]->level[i].forward = x;
		x->level[i].span = update[i]->level[i].span - (rank[0] - rank[i]);
		update[i]->level[i].span = (rank[0] - rank[i]) + 1;
	}
	for (i = level; i < sl->level; i++)
		update[i]->level[i].span++;
	x->backward = update[0] == sl->header ? NULL : update[0];
	if (x->level[0].forward)
		x->level[0].forward->backward = x;
	else
		sl->tail = x;
	sl->length++;
}

int zsl_insert(struct zset *z, struct zsl *sl, double score, const char *m, size_t len)
{
	struct zsl_node *x = node_new(z, random_level());
	struct sentry *e;

	if (!x)
		return -1;
	e = index_entry_new(z, m, len, x);
	if (!e) {
		zset_release(z, x);
		return -1;
	}
	dict_step(&sl->index);
	if (dict_insert(&sl->index, dict_hash(m, len), e, true) != 0) {
		zset_release(z, e);
		zset_release(z, x);
		zsl_sync_index(z, sl);
		return -1;
	}
	zsl_sync_index(z, sl);
	x->ent = e;
	x->score = score;
	zsl_link(sl, x);
	return 0;
}

/* The nodes before x on each level (Redis's update[] of zslDelete). */
static void zsl_path(const struct zsl *sl, const struct zsl_node *x, struct zsl_node **update)
{
	struct zsl_node *p = sl->header;
	size_t xlen, plen;
	const char *xm = zsl_member(x, &xlen);

	for (int i = sl->level - 1; i >= 0; i--) {
		while (p->level[i].forward && p->level[i].forward != x) {
			struct zsl_node *f = p->level[i].forward;
			const char *fm = zsl_member(f, &plen);

			if (zset_cmp(f->score, fm, plen, x->score, xm, xlen) >= 0)
				break;
			p = f;
		}
		update[i] = p;
	}
}

/* Takes x out of the list (not freed). */
static void zsl_unlink(struct zsl *sl, struct zsl_node *x, struct zsl_node **update)
{
	for (int i = 0; i < sl->level; i++) {
		if (update[i]->level[i].forward == x) {
			update[i]->level[i].span += x->level[i].span - 1;
			update[i]->level[i].forward = x->level[i].forward;
		} else {
			update[i]->level[i].span--;
		}
	}
	if (x->level[0].forward)
		x->level[0].forward->backward = x->backward;
	else
		sl->tail = x->backward;
	while (sl->level > 1 && !sl->header->level[sl->level - 1].forward)
		sl->level--;
	sl->length--;
}

/* Unindexes and frees x, already unlinked. */
static void zsl_node_free(struct zset *z, struct zsl *sl, struct zsl_node *x)
{
	struct sentry **link = dict_link_of(&sl->index, x->ent);

	if (link)
		dict_unlink(&sl->index, link);
	zset_release(z, x->ent);
	zset_release(z, x);
}

void zsl_delete(struct zset *z, struct zsl *sl, struct zsl_node *x)
{
	struct zsl_node *update[ZSL_MAXLEVEL];

	zsl_path(sl, x, update);
	zsl_unlink(sl, x, update);
	zsl_node_free(z, sl, x);
	dict_step(&sl->index);
	dict_maybe_shrink(&sl->index);
	zsl_sync_index(z, sl);
}

void zsl_update(struct zset *z, struct zsl *sl, struct zsl_node *x, double score)
{
	struct zsl_node *update[ZSL_MAXLEVEL];
	struct zsl_node *prev = x->backward, *next = x->level[0].forward;
	size_t len, pl = 0, nl = 0;
	const char *m = zsl_member(x, &len);
	const char *pm = prev ? zsl_member(prev, &pl) : NULL;
	const char *nm = next ? zsl_member(next, &nl) : NULL;

	(void)z;
	/* Still in place: change the score alone (Redis's fast path). */
	if ((!prev || zset_cmp(prev->score, pm, pl, score, m, len) < 0) &&
	    (!next || zset_cmp(next->score, nm, nl, score, m, len) > 0)) {
		x->score = score;
		return;
	}
	zsl_path(sl, x, update);
	zsl_unlink(sl, x, update);
	x->score = score;
	for (int i = 0; i < x->nlevel; i++) {
		x->level[i].forward = NULL;
		x->level[i].span = 0;
	}
	zsl_link(sl, x);
}

size_t zsl_rank(const struct zsl *sl, const struct zsl_node *x)
{
	const struct zsl_node *p = sl->header;
	size_t rank = 0, xlen, plen;
	const char *xm = zsl_member(x, &xlen);

	for (int i = sl->level - 1; i >= 0; i--) {
		while (p->level[i].forward) {
			const struct zsl_node *f = p->level[i].forward;
			const char *fm = zsl_member(f, &plen);

			if (zset_cmp(f->score, fm, plen, x->score, xm, xlen) > 0)
				break;
			rank += p->level[i].span;
			p = f;
		}
		if (p == x)
			return rank;
	}
	return 0;
}

struct zsl_node *zsl_by_rank(const struct zsl *sl, size_t rank)
{
	struct zsl_node *p = sl->header;
	size_t traversed = 0;

	for (int i = sl->level - 1; i >= 0; i--) {
		while (p->level[i].forward && traversed + p->level[i].span <= rank) {
			traversed += p->level[i].span;
			p = p->level[i].forward;
		}
		if (traversed == rank)
			return p == sl->header ? NULL : p;
	}
	return NULL;
}

size_t zsl_count_while(const struct zsl *sl, zset_pred *pred, const void *ctx)
{
	const struct zsl_node *p = sl->header;
	size_t rank = 0, len;

	for (int i = sl->level - 1; i >= 0; i--) {
		while (p->level[i].forward) {
			const struct zsl_node *f = p->level[i].forward;
			const char *m = zsl_member(f, &len);

			if (!pred(ctx, f->score, m, len))
				break;
			rank += p->level[i].span;
			p = f;
		}
	}
	return rank;
}

void zsl_delete_range(struct zset *z, struct zsl *sl, size_t start, size_t end)
{
	struct zsl_node *update[ZSL_MAXLEVEL], *p = sl->header, *x;
	size_t traversed = 0;

	for (int i = sl->level - 1; i >= 0; i--) {
		while (p->level[i].forward && traversed + p->level[i].span < start) {
			traversed += p->level[i].span;
			p = p->level[i].forward;
		}
		update[i] = p;
	}
	x = p->level[0].forward;
	for (traversed++; x && traversed <= end; traversed++) {
		struct zsl_node *next = x->level[0].forward;

		zsl_unlink(sl, x, update);
		zsl_node_free(z, sl, x);
		x = next;
	}
	dict_maybe_shrink(&sl->index);
	zsl_sync_index(z, sl);
}
