/* zset.c - the sorted set as the keyspace sees it (obj_type zset_type),
 * its listpack encoding, and the operations over both encodings: the
 * conversion from listpack to skiplist at Redis's limits, memory
 * accounting, ranks, ranges as rank intervals, and iteration.
 *
 * The listpack holds member, score, member, score... sorted; a score is
 * its shortest round-tripping text. The skiplist encoding is zset_sl.c's;
 * what both use (accounting, order, randomness) is zset_mem.c's.
 */
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp.h"
#include "snapio.h"
#include "zset_int.h"

static size_t max_entries = ZSET_LISTPACK_ENTRIES;
static size_t max_value = ZSET_LISTPACK_VALUE;

void zset_set_limits(size_t entries, size_t value)
{
	max_entries = entries;
	max_value = value;
}

/* The listpack's allocation changes with every write: re-account it. */
static size_t lp_acct(const unsigned char *lp)
{
	return lp ? lp_alloc_size(lp) : 0;
}

/* Replaces z->lp with lp (the result of an lp_* call, which may have
 * moved or freed the old one), re-accounting. */
static void lp_set(struct zset *z, unsigned char *lp)
{
	z->lp = lp;
	zset_reaccount(z, &z->lp_bytes, lp_acct(lp));
}

size_t zset_format_score(double score, char *buf)
{
	int n = snprintf(buf, ZSET_SCORE_MAX, "%.17g", score);

	return n > 0 ? (size_t)n : 0;
}

/* ---- the listpack encoding ---- */

/* A score is kept as Redis's listpack keeps it: as text, the shortest
 * that reads back as the same double (an integral score takes a byte or
 * a few, not eight). */
static double lp_score_at(const unsigned char *lp, size_t pos)
{
	char buf[ZSET_SCORE_MAX];
	size_t len;
	const char *p = lp_get(lp, pos, &len);

	if (len >= sizeof buf)
		len = sizeof buf - 1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return strtod(buf, NULL);
}

/* score's shortest round-tripping text into buf (ZSET_SCORE_MAX bytes). */
static size_t lp_score_text(double score, char *buf)
{
	int n = 0;

	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(buf, ZSET_SCORE_MAX, "%.*g", prec, score);
		if (strtod(buf, NULL) == score)
			break;
	}
	return n > 0 ? (size_t)n : 0;
}

/* The position of member m, or LP_END. */
static size_t zlp_find(const unsigned char *lp, const char *m, size_t len)
{
	return lp_first(lp) == LP_END ? LP_END : lp_find(lp, lp_first(lp), m, len, 1);
}

/* Inserts (score, m) at its place: 0 or -1 (out of memory, unchanged). */
static int zlp_insert(struct zset *z, double score, const char *m, size_t len)
{
	char text[ZSET_SCORE_MAX];
	unsigned char *lp = z->lp, *grown;
	size_t pos, mpos, ml;

	/* Redis's listpack keeps a score as text, and "-0" reads back as 0. */
	if (score == 0)
		score = 0;

	for (pos = lp_first(lp); pos != LP_END; pos = lp_next(lp, lp_next(lp, pos))) {
		const char *pm = lp_get(lp, pos, &ml);

		if (zset_cmp(lp_score_at(lp, lp_next(lp, pos)), pm, ml, score, m, len) > 0)
			break;
	}
	grown = lp_insert(lp, pos, m, len, &mpos);
	if (!grown)
		return -1;
	lp_set(z, grown);
	grown = lp_insert(z->lp, lp_next(z->lp, mpos), text, lp_score_text(score, text), NULL);
	if (!grown) {
		lp_set(z, lp_delete(z->lp, mpos, 1));
		return -1;
	}
	lp_set(z, grown);
	return 0;
}

/* ---- the set ---- */

struct zset *zset_new(size_t size_hint, size_t maxlen_hint)
{
	struct zset *z = malloc(sizeof *z);

	if (!z)
		return NULL;
	memset(z, 0, sizeof *z);
	z->bytes = malloc_usable_size(z);
	object_account(z->bytes, 0);
	if (size_hint <= max_entries && maxlen_hint <= max_value) {
		unsigned char *lp = lp_new();

		if (lp)
			lp_set(z, lp);
	} else {
		z->sl = zsl_new(z);
	}
	if (!z->lp && !z->sl) {
		zset_type.free(z);
		return NULL;
	}
	return z;
}

size_t zset_len(const struct zset *z)
{
	return z->lp ? lp_count(z->lp) / 2 : z->sl->length;
}

bool zset_is_listpack(const struct zset *z)
{
	return z->lp != NULL;
}

size_t zset_bytes(const struct zset *z)
{
	return z->bytes;
}

/* Listpack to skiplist: 0, or -1 out of memory (z unchanged). */
static int zset_convert(struct zset *z)
{
	struct zsl *sl = zsl_new(z);
	size_t pos, len;

	if (!sl)
		return -1;
	for (pos = lp_first(z->lp); pos != LP_END; pos = lp_next(z->lp, lp_next(z->lp, pos))) {
		const char *m = lp_get(z->lp, pos, &len);

		if (zsl_insert(z, sl, lp_score_at(z->lp, lp_next(z->lp, pos)), m, len) != 0) {
			zsl_free(z, sl);
			return -1;
		}
	}
	unsigned char *old = z->lp;

	lp_set(z, NULL);
	lp_free(old);
	z->sl = sl;
	return 0;
}

bool zset_score(const struct zset *z, const char *m, size_t len, double *score)
{
	if (z->lp) {
		size_t pos = zlp_find(z->lp, m, len);

		if (pos == LP_END)
			return false;
		*score = lp_score_at(z->lp, lp_next(z->lp, pos));
		return true;
	}
	const struct zsl_node *x = zsl_lookup(z->sl, m, len);

	if (!x)
		return false;
	*score = x->score;
	return true;
}

/* Moves an existing member to a new score. 0 or -1 (out of memory). */
static int zset_rescore(struct zset *z, const char *m, size_t len, double score)
{
	if (z->sl) {
		zsl_update(z, z->sl, zsl_lookup(z->sl, m, len), score);
		return 0;
	}
	/* m may point into the listpack: keep a copy while it moves. */
	char stack[ZSET_LISTPACK_VALUE], *copy = len <= sizeof stack ? stack : malloc(len);
	size_t pos = zlp_find(z->lp, m, len);
	int rc;

	if (!copy)
		return -1;
	memcpy(copy, m, len);
	lp_set(z, lp_delete(z->lp, pos, 2));
	rc = zlp_insert(z, score, copy, len);
	if (copy != stack)
		free(copy);
	return rc;
}

/* Adds a new member, converting first when it would pass the limits. */
static int zset_insert(struct zset *z, double score, const char *m, size_t len)
{
	if (z->lp && (zset_len(z) + 1 > max_entries || len > max_value) && zset_convert(z) != 0)
		return -1;
	if (z->lp)
		return zlp_insert(z, score, m, len);
	return zsl_insert(z, z->sl, score, m, len);
}

int zset_add(struct zset *z, double score, const char *m, size_t len, unsigned in, unsigned *out,
	     double *newscore)
{
	double cur;

	*out = 0;
	if (!zset_score(z, m, len, &cur)) {
		if (in & ZADD_IN_XX) {
			*out = ZADD_OUT_NOP;
			return 0;
		}
		if (zset_insert(z, score, m, len) != 0)
			return -1;
		*newscore = score;
		*out = ZADD_OUT_ADDED;
		return 0;
	}
	if (in & ZADD_IN_NX) {
		*out = ZADD_OUT_NOP;
		return 0;
	}
	if (in & ZADD_IN_INCR) {
		score += cur;
		if (isnan(score)) {
			*out = ZADD_OUT_NAN;
			return -1;
		}
	}
	if (((in & ZADD_IN_GT) && score <= cur) || ((in & ZADD_IN_LT) && score >= cur)) {
		*out = ZADD_OUT_NOP;
		return 0;
	}
	*newscore = score;
	if (score != cur) {
		if (zset_rescore(z, m, len, score) != 0)
			return -1;
		*out = ZADD_OUT_UPDATED;
	}
	return 0;
}

bool zset_del(struct zset *z, const char *m, size_t len)
{
	if (z->lp) {
		size_t pos = zlp_find(z->lp, m, len);

		if (pos == LP_END)
			return false;
		lp_set(z, lp_delete(z->lp, pos, 2));
		return true;
	}
	struct zsl_node *x = zsl_lookup(z->sl, m, len);

	if (!x)
		return false;
	zsl_delete(z, z->sl, x);
	return true;
}

long long zset_rank(const struct zset *z, const char *m, size_t len, bool rev, double *score)
{
	size_t n = zset_len(z), rank = 0, pos;

	if (z->sl) {
		const struct zsl_node *x = zsl_lookup(z->sl, m, len);

		if (!x)
			return -1;
		rank = zsl_rank(z->sl, x) - 1;
		if (score)
			*score = x->score;
	} else {
		for (pos = lp_first(z->lp); pos != LP_END; pos = lp_next(z->lp, lp_next(z->lp, pos))) {
			if (lp_eq(z->lp, pos, m, len))
				break;
			rank++;
		}
		if (pos == LP_END)
			return -1;
		if (score)
			*score = lp_score_at(z->lp, lp_next(z->lp, pos));
	}
	return (long long)(rev ? n - 1 - rank : rank);
}

/* ---- ranges as rank intervals ---- */

static size_t count_while(const struct zset *z, zset_pred *pred, const void *ctx)
{
	size_t n = 0, pos, len;

	if (z->sl)
		return zsl_count_while(z->sl, pred, ctx);
	for (pos = lp_first(z->lp); pos != LP_END; pos = lp_next(z->lp, lp_next(z->lp, pos))) {
		const char *m = lp_get(z->lp, pos, &len);

		if (!pred(ctx, lp_score_at(z->lp, lp_next(z->lp, pos)), m, len))
			break;
		n++;
	}
	return n;
}

static bool below_min_score(const void *ctx, double score, const char *m, size_t len)
{
	const struct zset_score_range *r = ctx;

	(void)m;
	(void)len;
	return r->minex ? score <= r->min : score < r->min;
}

static bool upto_max_score(const void *ctx, double score, const char *m, size_t len)
{
	const struct zset_score_range *r = ctx;

	(void)m;
	(void)len;
	return r->maxex ? score < r->max : score <= r->max;
}

/* Lex order of m against an end of r: < 0, 0, > 0. */
static int lex_cmp(const char *m, size_t len, int inf, const char *s, size_t slen)
{
	if (inf)
		return -inf;
	return zset_memcmp(m, len, s, slen);
}

static bool below_min_lex(const void *ctx, double score, const char *m, size_t len)
{
	const struct zset_lex_range *r = ctx;
	int c = lex_cmp(m, len, r->mininf, r->min, r->minlen);

	(void)score;
	return r->minex ? c <= 0 : c < 0;
}

static bool upto_max_lex(const void *ctx, double score, const char *m, size_t len)
{
	const struct zset_lex_range *r = ctx;
	int c = lex_cmp(m, len, r->maxinf, r->max, r->maxlen);

	(void)score;
	return r->maxex ? c < 0 : c <= 0;
}

bool zset_score_span(const struct zset *z, const struct zset_score_range *r, size_t *first,
		     size_t *last)
{
	size_t below, upto;

	if (r->min > r->max || (r->min == r->max && (r->minex || r->maxex)))
		return false;
	below = count_while(z, below_min_score, r);
	upto = count_while(z, upto_max_score, r);
	if (upto <= below)
		return false;
	*first = below;
	*last = upto - 1;
	return true;
}

/* min against max, as Redis's sdscmplex: "-" below all, "+" above. */
static int lex_bounds_cmp(const struct zset_lex_range *r)
{
	if (r->mininf && r->mininf == r->maxinf)
		return 0;
	if (r->mininf < 0 || r->maxinf > 0)
		return -1;
	if (r->mininf > 0 || r->maxinf < 0)
		return 1;
	return zset_memcmp(r->min, r->minlen, r->max, r->maxlen);
}

/* Redis's lex ranges assume every score is the same; where they are not,
 * its answers depend on how it looks, and so do these: the interval is
 * empty unless the last member is >= min and the first <= max (Redis's
 * zslIsInLexRange); it starts at the first member >= min; it ends at the
 * last member <= max found by a descent (skiplist, walk false: ZLEXCOUNT)
 * or where a walk from its start meets one > max (Redis's range commands,
 * and every listpack). */
bool zset_lex_span(const struct zset *z, const struct zset_lex_range *r, bool walk,
		   size_t *first, size_t *last)
{
	size_t n = zset_len(z), below, upto, len;
	int c = lex_bounds_cmp(r);
	struct zset_iter it;
	const char *m;
	double score;

	if (n == 0 || c > 0 || (c == 0 && (r->minex || r->maxex)))
		return false;
	zset_iter_init(&it, z, n - 1, false);
	zset_iter_next(&it, &m, &len, &score);
	if (below_min_lex(r, score, m, len))
		return false;
	zset_iter_init(&it, z, 0, false);
	zset_iter_next(&it, &m, &len, &score);
	if (!upto_max_lex(r, score, m, len))
		return false;
	below = count_while(z, below_min_lex, r);
	if (below >= n)
		return false;
	if (walk || z->lp) {
		zset_iter_init(&it, z, below, false);
		for (upto = below; zset_iter_next(&it, &m, &len, &score); upto++)
			if (!upto_max_lex(r, score, m, len))
				break;
	} else {
		upto = count_while(z, upto_max_lex, r);
	}
	if (upto <= below)
		return false;
	*first = below;
	*last = upto - 1;
	return true;
}

void zset_del_range(struct zset *z, size_t first, size_t last)
{
	if (z->sl) {
		zsl_delete_range(z, z->sl, first + 1, last + 1);
		return;
	}
	lp_set(z, lp_delete(z->lp, lp_seek(z->lp, (long long)first * 2), (last - first + 1) * 2));
}

/* ---- iteration ---- */

void zset_iter_init(struct zset_iter *it, const struct zset *z, size_t rank, bool rev)
{
	it->z = z;
	it->rev = rev;
	it->node = NULL;
	it->pos = LP_END;
	if (rank >= zset_len(z))
		return;
	if (z->sl)
		it->node = zsl_by_rank(z->sl, rank + 1);
	else
		it->pos = lp_seek(z->lp, (long long)rank * 2);
}

bool zset_iter_next(struct zset_iter *it, const char **m, size_t *len, double *score)
{
	const unsigned char *lp = it->z->lp;

	if (lp) {
		size_t pos = it->pos;

		if (pos == LP_END)
			return false;
		*m = lp_get(lp, pos, len);
		*score = lp_score_at(lp, lp_next(lp, pos));
		if (it->rev)
			it->pos = pos == lp_first(lp) ? LP_END : lp_prev(lp, lp_prev(lp, pos));
		else
			it->pos = lp_next(lp, lp_next(lp, pos));
		return true;
	}
	struct zsl_node *x = it->node;

	if (!x)
		return false;
	*m = zsl_member(x, len);
	*score = x->score;
	it->node = it->rev ? x->backward : x->level[0].forward;
	return true;
}

size_t zset_random_rank(const struct zset *z)
{
	return (size_t)(zset_random() % zset_len(z));
}

/* ---- ZSCAN over the index ---- */

struct scan_ctx {
	zset_scan_fn *fn;
	void *ctx;
};

static void scan_cb(void *ctx, struct sentry *e)
{
	struct scan_ctx *sc = ctx;
	struct zsl_node *x;

	memcpy(&x, sentry_value(e), sizeof x);
	sc->fn(sc->ctx, sentry_key(e), e->klen, x->score);
}

uint64_t zset_scan(const struct zset *z, uint64_t cursor, size_t count, zset_scan_fn *fn,
		   void *ctx)
{
	struct scan_ctx sc = {fn, ctx};

	return dict_scan(&z->sl->index, cursor, count, scan_cb, &sc);
}

/* ---- the object type ---- */

static const char *zset_encoding_cb(const void *obj)
{
	return zset_is_listpack(obj) ? "listpack" : "skiplist";
}

static void zset_free_cb(void *obj)
{
	struct zset *z = obj;

	if (z->lp) {
		lp_free(z->lp);
		lp_set(z, NULL);
	}
	if (z->sl)
		zsl_free(z, z->sl);
	object_account(0, z->bytes);
	free(z);
}

static void *zset_dup_cb(const void *obj)
{
	const struct zset *src = obj;
	struct zset *z = zset_new(src->lp ? 0 : SIZE_MAX, 0);
	struct zset_iter it;
	const char *m;
	size_t len;
	double score;

	if (!z)
		return NULL;
	if (src->lp) {
		unsigned char *lp = lp_dup(src->lp);

		if (!lp) {
			zset_free_cb(z);
			return NULL;
		}
		unsigned char *old = z->lp;

		lp_set(z, lp);
		lp_free(old);
		return z;
	}
	zset_iter_init(&it, src, 0, false);
	while (zset_iter_next(&it, &m, &len, &score))
		if (zsl_insert(z, z->sl, score, m, len) != 0) {
			zset_free_cb(z);
			return NULL;
		}
	return z;
}

static size_t zset_len_cb(const void *obj)
{
	return zset_len(obj);
}

/* A count, then member and score (8 bytes) in ascending order. */
static void zset_save_cb(const void *obj, struct snap_out *o)
{
	struct zset_iter it;
	const char *m;
	size_t len;
	double score;

	snap_put_len(o, zset_len(obj));
	zset_iter_init(&it, obj, 0, false);
	while (zset_iter_next(&it, &m, &len, &score)) {
		snap_put_str(o, m, len);
		snap_put_double(o, score);
	}
}

/* Sized as ZADD of all the members would size it (zset_new's hint), then
 * member by member, so a long member converts it as ZADD would. */
static void *zset_load_cb(struct snap_in *in)
{
	struct zset *z;
	size_t n;

	if (snap_get_count(in, 9, &n) != 0)
		return NULL;
	if (n == 0) {
		snap_fail(in, "an empty sorted set (commands never leave one)");
		return NULL;
	}
	if (!(z = zset_new(n, 0))) {
		snap_fail(in, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const char *m;
		size_t len;
		double score, now;
		unsigned out = 0;

		if (snap_get_str(in, &m, &len) != 0 || snap_get_double(in, &score) != 0)
			goto fail;
		if (isnan(score)) {
			snap_fail(in, "a sorted-set score is not a number");
			goto fail;
		}
		if (zset_add(z, score, m, len, ZADD_IN_NX, &out, &now) != 0 ||
		    !(out & ZADD_OUT_ADDED)) {
			snap_fail(in, out & ZADD_OUT_NOP ? "a sorted-set member appears twice"
							 : "out of memory");
			goto fail;
		}
	}
	return z;
fail:
	zset_free_cb(z);
	return NULL;
}

const struct obj_type zset_type = {
	.name = "zset",
	.encoding = zset_encoding_cb,
	.dup = zset_dup_cb,
	.free = zset_free_cb,
	.len = zset_len_cb,
	.save = zset_save_cb,
	.load = zset_load_cb,
};
