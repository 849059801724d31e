/* hash.c - the hash object's two encodings (listpack, hashtable), the
 * conversion between them, its memory accounting and its obj_type.
 *
 * A listpack hash is one lp of field, value, field, value ...; a hashtable
 * hash is a dict of struct sentry (key = field, value = value, one
 * allocation per field, no TTL). The accounting keeps one figure per hash,
 * re-measured after every change, so what free un-accounts is exactly
 * what was accounted. What the commands mean is cmd_hash.c's business.
 */
#include "hash.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "lp.h"
#include "random.h"
#include "snapio.h"

#define HASH_SCAN_STEPS 10 /* bucket steps per requested pair, as Redis's maxiterations */

enum hash_enc { HASH_LP, HASH_HT };

struct hash {
	enum hash_enc enc;
	size_t acct;	   /* bytes reported with object_account */
	size_t ebytes;	   /* hashtable: malloc_usable_size summed over the entries */
	unsigned char *lp; /* listpack: field, value, field, value ... */
	struct dict *d;	   /* hashtable (allocated when it converts) */
};

static size_t max_entries = HASH_MAX_LISTPACK_ENTRIES;
static size_t max_value = HASH_MAX_LISTPACK_VALUE;
static uint64_t rng_state;

void hash_set_limits(size_t entries, size_t value)
{
	max_entries = entries;
	max_value = value;
}

/* xorshift64*: HRANDFIELD needs spread, not secrecy. Seeded once. */
static uint64_t hash_rand(void)
{
	if (rng_state == 0 && (random_bytes(&rng_state, sizeof rng_state) != 0 || rng_state == 0))
		rng_state = 0x9e3779b97f4a7c15ULL;
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* A uniform index in [0, n), n > 0. */
static size_t hash_rand_below(size_t n)
{
	return (size_t)(hash_rand() % n);
}

/* Re-measures h and reports the difference. */
static void hash_sync(struct hash *h)
{
	size_t now = malloc_usable_size(h);

	if (h->enc == HASH_LP)
		now += lp_alloc_size(h->lp);
	else
		now += h->ebytes + malloc_usable_size(h->d) + dict_bytes(h->d);
	object_account(now, h->acct);
	h->acct = now;
}

size_t hash_bytes(const struct hash *h)
{
	return h->acct;
}

struct hash *hash_new(void)
{
	struct hash *h = calloc(1, sizeof *h);

	if (!h)
		return NULL;
	h->enc = HASH_LP;
	h->lp = lp_new();
	if (!h->lp) {
		free(h);
		return NULL;
	}
	hash_sync(h);
	return h;
}

static void entry_free_cb(void *ctx, struct sentry *e)
{
	(void)ctx;
	free(e);
}

void hash_free(struct hash *h)
{
	if (!h)
		return;
	if (h->enc == HASH_LP)
		lp_free(h->lp);
	else
		dict_clear(h->d, entry_free_cb, NULL);
	free(h->d);
	object_account(0, h->acct);
	free(h);
}

size_t hash_len(const struct hash *h)
{
	return h->enc == HASH_LP ? lp_count(h->lp) / 2 : h->d->count;
}

bool hash_is_listpack(const struct hash *h)
{
	return h->enc == HASH_LP;
}

const char *hash_encoding(const struct hash *h)
{
	return h->enc == HASH_LP ? "listpack" : "hashtable";
}

/* ---- hashtable entries ---- */

static struct sentry *entry_new(const void *f, size_t flen, const void *v, size_t vlen)
{
	struct sentry *e = malloc(sizeof *e + flen + vlen);

	if (!e)
		return NULL;
	memset(e, 0, sizeof *e);
	e->klen = (uint32_t)flen;
	e->vlen = (uint32_t)vlen;
	memcpy(e->data, f, flen);
	if (vlen)
		memcpy(e->data + flen, v, vlen);
	return e;
}

/* Links a new entry for a field not in the table yet. 0 or -1. */
static int ht_add(struct hash *h, const void *f, size_t flen, const void *v, size_t vlen)
{
	struct sentry *e = entry_new(f, flen, v, vlen);

	if (!e)
		return -1;
	if (dict_insert(h->d, dict_hash(f, flen), e, true) != 0) {
		free(e);
		return -1;
	}
	h->ebytes += malloc_usable_size(e);
	return 0;
}

/* Converts a listpack hash to a hashtable. 0, or -1 (h unchanged). */
static int hash_convert(struct hash *h)
{
	struct hash tmp = {.enc = HASH_HT};
	struct hash_iter it;
	struct hash_pair p;

	if (!(tmp.d = malloc(sizeof *tmp.d)))
		return -1;
	dict_init(tmp.d);
	hash_iter_init(&it, h);
	while (hash_iter_next(&it, &p)) {
		if (ht_add(&tmp, p.f, p.flen, p.v, p.vlen) != 0) {
			dict_clear(tmp.d, entry_free_cb, NULL);
			free(tmp.d);
			return -1;
		}
	}
	lp_free(h->lp);
	h->lp = NULL;
	h->enc = HASH_HT;
	h->d = tmp.d;
	h->ebytes = tmp.ebytes;
	hash_sync(h);
	return 0;
}

int hash_prepare(struct hash *h, size_t maxlen)
{
	if (h->enc == HASH_LP && maxlen > max_value)
		return hash_convert(h);
	return 0;
}

/* ---- lookups and changes ---- */

/* The listpack position of field f, or LP_END. */
static size_t lp_field(const struct hash *h, const void *f, size_t flen)
{
	size_t pos = lp_first(h->lp);

	return pos == LP_END ? LP_END : lp_find(h->lp, pos, f, flen, 1);
}

static struct sentry **ht_link(struct hash *h, const void *f, size_t flen)
{
	dict_step(h->d);
	return dict_find(h->d, dict_hash(f, flen), f, flen);
}

bool hash_get(struct hash *h, const void *f, size_t flen, const char **v, size_t *vlen)
{
	struct sentry **link;
	size_t pos;

	if (h->enc == HASH_LP) {
		pos = lp_field(h, f, flen);
		if (pos == LP_END)
			return false;
		*v = lp_get(h->lp, lp_next(h->lp, pos), vlen);
		return true;
	}
	link = ht_link(h, f, flen);
	hash_sync(h); /* the rehash step may have freed a table */
	if (!link)
		return false;
	*v = sentry_value(*link);
	*vlen = (*link)->vlen;
	return true;
}

static int lp_set(struct hash *h, const void *f, size_t flen, const void *v, size_t vlen)
{
	size_t pos = lp_field(h, f, flen);
	unsigned char *lp;

	if (pos != LP_END) {
		lp = lp_replace(h->lp, lp_next(h->lp, pos), v, vlen);
		if (!lp)
			return -1;
		h->lp = lp;
		return 0;
	}
	lp = lp_append(h->lp, f, flen);
	if (!lp)
		return -1;
	h->lp = lp;
	lp = lp_append(h->lp, v, vlen);
	if (!lp) {
		h->lp = lp_delete(h->lp, lp_last(h->lp), 1);
		return -1;
	}
	h->lp = lp;
	return 1;
}

/* Replaces the value of the entry *link points at (a new allocation). */
static int ht_replace(struct hash *h, struct sentry **link, const void *v, size_t vlen)
{
	struct sentry *old = *link;
	struct sentry *e = entry_new(sentry_key(old), old->klen, v, vlen);

	if (!e)
		return -1;
	dict_replace(link, e);
	h->ebytes += malloc_usable_size(e);
	h->ebytes -= malloc_usable_size(old);
	free(old);
	return 0;
}

int hash_set(struct hash *h, const void *f, size_t flen, const void *v, size_t vlen)
{
	struct sentry **link;
	int r;

	/* Redis's hashTypeSet: too long for a listpack converts first, too
	 * many converts after. */
	if (h->enc == HASH_LP && (flen > max_value || vlen > max_value) && hash_convert(h) != 0)
		return -1;
	if (h->enc == HASH_LP) {
		r = lp_set(h, f, flen, v, vlen);
		if (r == 1 && hash_len(h) > max_entries)
			hash_convert(h); /* failing, it just stays a listpack */
	} else {
		link = ht_link(h, f, flen);
		if (link)
			r = ht_replace(h, link, v, vlen);
		else
			r = ht_add(h, f, flen, v, vlen) == 0 ? 1 : -1;
	}
	hash_sync(h);
	return r;
}

int hash_del(struct hash *h, const void *f, size_t flen)
{
	struct sentry **link, *e;
	size_t pos;

	if (h->enc == HASH_LP) {
		pos = lp_field(h, f, flen);
		if (pos == LP_END)
			return 0;
		h->lp = lp_delete(h->lp, pos, 2);
		hash_sync(h);
		return 1;
	}
	link = ht_link(h, f, flen);
	if (link) {
		e = *link;
		dict_unlink(h->d, link);
		h->ebytes -= malloc_usable_size(e);
		free(e);
		dict_maybe_shrink(h->d);
	}
	hash_sync(h);
	return link != NULL;
}

/* ---- iteration ---- */

void hash_iter_init(struct hash_iter *it, struct hash *h)
{
	memset(it, 0, sizeof *it);
	it->h = h;
	if (h->enc == HASH_LP)
		it->pos = lp_first(h->lp);
}

static void pair_of(struct sentry *e, struct hash_pair *p)
{
	p->f = sentry_key(e);
	p->flen = e->klen;
	p->v = sentry_value(e);
	p->vlen = e->vlen;
}

static bool lp_pair_at(const unsigned char *lp, size_t pos, struct hash_pair *p)
{
	if (pos == LP_END)
		return false;
	p->f = lp_get(lp, pos, &p->flen);
	p->v = lp_get(lp, lp_next(lp, pos), &p->vlen);
	return true;
}

bool hash_iter_next(struct hash_iter *it, struct hash_pair *p)
{
	struct dict *d = it->h->d;

	if (it->h->enc == HASH_LP) {
		if (!lp_pair_at(it->h->lp, it->pos, p))
			return false;
		it->pos = lp_next(it->h->lp, lp_next(it->h->lp, it->pos));
		return true;
	}
	while (!it->e) {
		if (it->t > 1 || !d->tab[it->t])
			return false;
		if (it->bucket >= d->size[it->t]) {
			it->t++;
			it->bucket = 0;
			continue;
		}
		it->e = dict_bucket(d, it->t, it->bucket++);
	}
	pair_of(it->e, p);
	it->e = it->e->next;
	return true;
}

struct scan_ctx {
	hash_scan_fn *fn;
	void *ctx;
	size_t seen;
};

static void scan_entry_cb(void *ctx, struct sentry *e)
{
	struct scan_ctx *sc = ctx;
	struct hash_pair p;

	pair_of(e, &p);
	sc->fn(sc->ctx, &p);
	sc->seen++;
}

uint64_t hash_scan(struct hash *h, uint64_t cursor, size_t count, hash_scan_fn *fn, void *ctx)
{
	struct scan_ctx sc = {fn, ctx, 0};
	size_t steps = count > SIZE_MAX / HASH_SCAN_STEPS ? SIZE_MAX : count * HASH_SCAN_STEPS;
	struct hash_iter it;
	struct hash_pair p;

	if (h->enc == HASH_LP) {
		hash_iter_init(&it, h);
		while (hash_iter_next(&it, &p))
			fn(ctx, &p);
		return 0;
	}
	do
		cursor = dict_scan(h->d, cursor, 1, scan_entry_cb, &sc);
	while (cursor != 0 && steps-- > 0 && sc.seen < count);
	return cursor;
}

/* ---- random sampling (HRANDFIELD) ---- */

/* A random entry of a non-empty hashtable: a random non-empty bucket of
 * either table, then a random entry of its chain (Redis's approach). */
static struct sentry *ht_random(struct hash *h)
{
	struct dict *d = h->d;
	size_t total = d->size[0] + d->size[1], n = 0, i;
	struct sentry *e, *head;

	do {
		i = hash_rand_below(total);
		head = i < d->size[0] ? dict_bucket(d, 0, i) : dict_bucket(d, 1, i - d->size[0]);
	} while (!head);
	for (e = head; e; e = e->next)
		n++;
	for (e = head, n = hash_rand_below(n); n > 0; n--)
		e = e->next;
	return e;
}

/* The listpack positions of h's fields (new; free it), or NULL. */
static size_t *lp_fields(struct hash *h)
{
	size_t n = hash_len(h), *pos = malloc((n ? n : 1) * sizeof *pos), k = 0;

	if (!pos)
		return NULL;
	for (size_t p = lp_first(h->lp); p != LP_END; p = lp_next(h->lp, lp_next(h->lp, p)))
		pos[k++] = p;
	return pos;
}

void hash_sample_any(struct hash *h, size_t n, struct hash_pair *out)
{
	size_t len = hash_len(h), *pos = NULL;

	if (h->enc == HASH_HT) {
		for (size_t i = 0; i < n; i++)
			pair_of(ht_random(h), &out[i]);
		return;
	}
	/* One walk to index the fields, then O(1) per pick; without memory
	 * for the index, a walk per pick. */
	pos = lp_fields(h);
	for (size_t i = 0; i < n; i++) {
		size_t k = hash_rand_below(len);

		lp_pair_at(h->lp, pos ? pos[k] : lp_seek(h->lp, 2 * (long long)k), &out[i]);
	}
	free(pos);
}

/* n distinct entries of a hashtable, n small next to its size: random
 * picks, repeats rejected through a small open-addressing set. */
static int ht_sample_sparse(struct hash *h, size_t n, struct hash_pair *out)
{
	size_t cap = 4, got = 0;
	struct sentry **set, *e;

	while (cap < 2 * n)
		cap *= 2;
	set = calloc(cap, sizeof *set);
	if (!set)
		return -1;
	while (got < n) {
		size_t i;

		e = ht_random(h);
		i = (size_t)(((uintptr_t)e >> 4) * 0x9e3779b97f4a7c15ULL) & (cap - 1);
		while (set[i] && set[i] != e)
			i = (i + 1) & (cap - 1);
		if (set[i])
			continue;
		set[i] = e;
		pair_of(e, &out[got++]);
	}
	free(set);
	return 0;
}

/* n distinct entries of a hashtable, n a good share of it: a partial
 * Fisher-Yates shuffle of all of them. */
static int ht_sample_dense(struct hash *h, size_t n, struct hash_pair *out)
{
	size_t len = hash_len(h), k = 0;
	struct hash_pair *all = malloc(len * sizeof *all), tmp;
	struct hash_iter it;

	if (!all)
		return -1;
	hash_iter_init(&it, h);
	while (k < len && hash_iter_next(&it, &all[k]))
		k++;
	for (size_t i = 0; i < n; i++) {
		size_t j = i + hash_rand_below(len - i);

		tmp = all[i];
		all[i] = all[j];
		all[j] = tmp;
		out[i] = all[i];
	}
	free(all);
	return 0;
}

int hash_sample_unique(struct hash *h, size_t n, struct hash_pair *out)
{
	size_t len = hash_len(h), need = n, k = 0;
	struct hash_iter it;
	struct hash_pair p;

	if (h->enc == HASH_HT)
		return n * 3 > len ? ht_sample_dense(h, n, out) : ht_sample_sparse(h, n, out);
	/* Selection sampling (Knuth's algorithm S): one walk, in order. */
	hash_iter_init(&it, h);
	for (size_t left = len; need > 0 && hash_iter_next(&it, &p); left--) {
		if (hash_rand_below(left) < need) {
			out[k++] = p;
			need--;
		}
	}
	return 0;
}

/* ---- the object type ---- */

static const char *type_encoding(const void *obj)
{
	return hash_encoding(obj);
}

static void *type_dup(const void *obj)
{
	struct hash *src = (struct hash *)obj, *h = calloc(1, sizeof *h);
	struct hash_iter it;
	struct hash_pair p;

	if (!h)
		return NULL;
	h->enc = src->enc;
	if (src->enc == HASH_LP) {
		h->lp = lp_dup(src->lp);
		if (!h->lp) {
			free(h);
			return NULL;
		}
		hash_sync(h);
		return h;
	}
	if (!(h->d = malloc(sizeof *h->d))) {
		free(h);
		return NULL;
	}
	dict_init(h->d);
	hash_iter_init(&it, src);
	while (hash_iter_next(&it, &p)) {
		if (ht_add(h, p.f, p.flen, p.v, p.vlen) != 0) {
			hash_sync(h);
			hash_free(h);
			return NULL;
		}
	}
	hash_sync(h);
	return h;
}

static void type_free(void *obj)
{
	hash_free(obj);
}

static size_t type_len(const void *obj)
{
	return hash_len(obj);
}

/* A count, then field and value of each pair in the encoding's order. */
static void type_save(const void *obj, struct snap_out *o)
{
	struct hash_iter it;
	struct hash_pair p;

	snap_put_len(o, hash_len(obj));
	hash_iter_init(&it, (struct hash *)obj);
	while (hash_iter_next(&it, &p)) {
		snap_put_str(o, p.f, p.flen);
		snap_put_str(o, p.v, p.vlen);
	}
}

/* Pair by pair through hash_set, so it converts where HSET would. */
static void *type_load(struct snap_in *in)
{
	struct hash *h;
	size_t n;

	if (snap_get_count(in, 2, &n) != 0)
		return NULL;
	if (n == 0) {
		snap_fail(in, "an empty hash (commands never leave one)");
		return NULL;
	}
	if (!(h = hash_new())) {
		snap_fail(in, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const char *f, *v;
		size_t flen, vlen;
		int r;

		if (snap_get_str(in, &f, &flen) != 0 || snap_get_str(in, &v, &vlen) != 0)
			goto fail;
		if ((r = hash_set(h, f, flen, v, vlen)) != 1) {
			snap_fail(in, r == 0 ? "a hash field appears twice" : "out of memory");
			goto fail;
		}
	}
	return h;
fail:
	hash_free(h);
	return NULL;
}

const struct obj_type hash_type = {
	.name = "hash",
	.encoding = type_encoding,
	.dup = type_dup,
	.free = type_free,
	.len = type_len,
	.save = type_save,
	.load = type_load,
};
