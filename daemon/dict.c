/* dict.c - chained hash table with incremental rehashing and a SCAN cursor.
 *
 * Owns bucket arrays, the hash function and its seed, and the allocation
 * seam. Entries are the store's: this file links and unlinks them but never
 * frees one, and never decides whether growing fits under maxmemory.
 */
#include "dict.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "random.h"

/* SipHash-1-3: one compression and three finalisation rounds, the variant
 * Python and Rust use for their tables: keyed, so clients cannot pick keys
 * that collide, and cheap enough for 16-byte keys. */
#define DICT_SIP_CROUNDS 1
#define DICT_SIP_DROUNDS 3

#define DICT_MMAP_MIN      1024        /* bytes: bucket arrays this big bypass malloc */
#define DICT_RELEASE_CHUNK (64 * 1024) /* bytes of drained buckets unmapped at once */

static uint64_t dict_seed[2];
static bool dict_seeded;
static long dict_alloc_left = -1; /* allocations before failing; < 0 = never fail */

void dict_seed_init(void)
{
	if (dict_seeded)
		return;
	/* random_bytes falls back to /dev/urandom and never blocks; if even
	 * that fails, random_init has already refused the start. */
	if (random_bytes(dict_seed, sizeof dict_seed) == 0)
		dict_seeded = true;
}

static inline uint64_t dict_rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t dict_load64le(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

#define DICT_SIPROUND                                                                              \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = dict_rotl(v1, 13);                                                            \
		v1 ^= v0;                                                                          \
		v0 = dict_rotl(v0, 32);                                                            \
		v2 += v3;                                                                          \
		v3 = dict_rotl(v3, 16);                                                            \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = dict_rotl(v3, 21);                                                            \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = dict_rotl(v1, 17);                                                            \
		v1 ^= v2;                                                                          \
		v2 = dict_rotl(v2, 32);                                                            \
	} while (0)

uint64_t dict_hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	const unsigned char *end = p + (len & ~(size_t)7);
	uint64_t v0 = 0x736f6d6570736575ULL ^ dict_seed[0];
	uint64_t v1 = 0x646f72616e646f6dULL ^ dict_seed[1];
	uint64_t v2 = 0x6c7967656e657261ULL ^ dict_seed[0];
	uint64_t v3 = 0x7465646279746573ULL ^ dict_seed[1];
	uint64_t m, last = (uint64_t)len << 56;
	int i;

	for (; p != end; p += 8) {
		m = dict_load64le(p);
		v3 ^= m;
		for (i = 0; i < DICT_SIP_CROUNDS; i++)
			DICT_SIPROUND;
		v0 ^= m;
	}
	for (i = (int)(len & 7) - 1; i >= 0; i--)
		last |= (uint64_t)p[i] << (8 * i);
	v3 ^= last;
	for (i = 0; i < DICT_SIP_CROUNDS; i++)
		DICT_SIPROUND;
	v0 ^= last;
	v2 ^= 0xff;
	for (i = 0; i < DICT_SIP_DROUNDS; i++)
		DICT_SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static bool dict_may_alloc(void)
{
	if (dict_alloc_left == 0)
		return false;
	if (dict_alloc_left > 0)
		dict_alloc_left--;
	return true;
}

void *dict_malloc(size_t size)
{
	return dict_may_alloc() ? malloc(size) : NULL;
}

void *dict_calloc(size_t n, size_t size)
{
	return dict_may_alloc() ? calloc(n, size) : NULL;
}

/* Arrays past glibc's small-bin sizes come straight from mmap: glibc would
 * first consolidate every small chunk freed since (after a mass expiry, a
 * million entries: a pause of 100+ ms), then, once its mmap threshold has
 * adapted, zero them by hand. Fresh pages are zero for free. */
static struct sentry **dict_tab_alloc(size_t n)
{
	size_t bytes = n * sizeof(struct sentry *);
	void *p;

	if (bytes < DICT_MMAP_MIN)
		return dict_calloc(n, sizeof(struct sentry *));
	if (!dict_may_alloc())
		return NULL;
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* Frees a table whose first released buckets are already unmapped. */
static void dict_tab_free(struct sentry **tab, size_t n, size_t released)
{
	if (n * sizeof *tab < DICT_MMAP_MIN)
		free(tab);
	else if (tab)
		munmap(tab + released, (n - released) * sizeof *tab);
}

void dict_fail_alloc_after(long n)
{
	dict_alloc_left = n < 0 ? -1 : n;
}

void dict_init(struct dict *d)
{
	memset(d, 0, sizeof *d);
}

static inline bool dict_key_is(const struct sentry *e, const void *key, size_t klen)
{
	return e->klen == klen && memcmp(sentry_key(e), key, klen) == 0;
}

struct sentry **dict_find(struct dict *d, uint64_t hash, const void *key, size_t klen)
{
	struct sentry **link;
	size_t i;
	int t;

	for (t = 0; t < 2 && d->tab[t]; t++) {
		i = hash & (d->size[t] - 1);
		if (!dict_bucket(d, t, i))
			continue;
		for (link = &d->tab[t][i]; *link; link = &(*link)->next)
			if (dict_key_is(*link, key, klen))
				return link;
	}
	return NULL;
}

struct sentry **dict_link_of(struct dict *d, const struct sentry *e)
{
	uint64_t hash = dict_hash(sentry_key(e), e->klen);
	struct sentry **link;
	size_t i;
	int t;

	for (t = 0; t < 2 && d->tab[t]; t++) {
		i = hash & (d->size[t] - 1);
		if (!dict_bucket(d, t, i))
			continue;
		for (link = &d->tab[t][i]; *link; link = &(*link)->next)
			if (*link == e)
				return link;
	}
	return NULL;
}

size_t dict_grow_bytes(const struct dict *d)
{
	if (!d->tab[0])
		return DICT_MIN_SIZE * sizeof(struct sentry *);
	if (dict_is_rehashing(d) || d->count < d->size[0])
		return 0;
	return 2 * d->size[0] * sizeof(struct sentry *);
}

/* Allocates t[1] with size buckets; the next steps drain t[0] into it. */
static void dict_start_rehash(struct dict *d, size_t size)
{
	struct sentry **tab = dict_tab_alloc(size);

	if (!tab)
		return;
	d->tab[1] = tab;
	d->size[1] = size;
	d->rehash_idx = 0;
}

int dict_insert(struct dict *d, uint64_t hash, struct sentry *e, bool may_grow)
{
	struct sentry **head;
	int t;

	if (!d->tab[0]) {
		d->tab[0] = dict_tab_alloc(DICT_MIN_SIZE);
		if (!d->tab[0])
			return -1;
		d->size[0] = DICT_MIN_SIZE;
	} else if (may_grow && !dict_is_rehashing(d) && d->count >= d->size[0]) {
		dict_start_rehash(d, 2 * d->size[0]);
	}
	t = dict_is_rehashing(d) ? 1 : 0;
	head = &d->tab[t][hash & (d->size[t] - 1)];
	e->next = *head;
	*head = e;
	d->count++;
	return 0;
}

static void dict_free_tables(struct dict *d)
{
	dict_tab_free(d->tab[0], d->size[0], d->released);
	dict_tab_free(d->tab[1], d->size[1], 0);
	dict_init(d);
}

int dict_reserve(struct dict *d, size_t n)
{
	size_t size = DICT_MIN_SIZE;
	struct sentry **tab;

	if (d->count > 0 || dict_is_rehashing(d))
		return 0;
	while (size < n && size < ((size_t)1 << 40))
		size *= 2;
	if (size <= d->size[0])
		return 0;
	if (!(tab = dict_tab_alloc(size)))
		return -1;
	dict_free_tables(d);
	d->tab[0] = tab;
	d->size[0] = size;
	return 0;
}

void dict_maybe_shrink(struct dict *d)
{
	size_t size = DICT_MIN_SIZE;

	if (dict_is_rehashing(d) || d->size[0] <= DICT_MIN_SIZE ||
	    d->count * DICT_SHRINK_RATIO >= d->size[0])
		return;
	/* An empty big table is shrunk like any other: unmapping it at once
	 * would take time in proportion to its size. */
	if (d->count == 0 && d->size[0] * sizeof *d->tab[0] < DICT_MMAP_MIN) {
		dict_free_tables(d);
		return;
	}
	/* Half full, so a few inserts do not grow it straight back; and not
	 * too many times smaller, since one SCAN step visits every bucket of
	 * the big table that a bucket of the small one maps to. */
	while (size < 2 * d->count || size < d->size[0] / DICT_SHRINK_STEP)
		size *= 2;
	dict_start_rehash(d, size);
}

/* Unmaps the drained head of an mmapped t[0] a chunk at a time, so that
 * finishing a rehash never unmaps a whole big table in one go. */
static void dict_release_drained(struct dict *d)
{
	const size_t chunk = DICT_RELEASE_CHUNK / sizeof *d->tab[0];

	if (d->size[0] * sizeof *d->tab[0] < DICT_MMAP_MIN)
		return;
	while (d->rehash_idx - d->released >= chunk) {
		munmap(d->tab[0] + d->released, DICT_RELEASE_CHUNK);
		d->released += chunk;
	}
}

static void dict_finish_rehash(struct dict *d)
{
	dict_tab_free(d->tab[0], d->size[0], d->released);
	d->tab[0] = d->tab[1];
	d->size[0] = d->size[1];
	d->tab[1] = NULL;
	d->size[1] = 0;
	d->rehash_idx = 0;
	d->released = 0;
}

size_t dict_rehash(struct dict *d, size_t max_moves, size_t max_visits)
{
	size_t visits = 0, mask = d->size[1] - 1;
	struct sentry *e, *next, **head;

	while (dict_is_rehashing(d) && d->rehash_idx < d->size[0] && visits < max_visits &&
	       max_moves > 0) {
		e = d->tab[0][d->rehash_idx];
		d->tab[0][d->rehash_idx++] = NULL;
		visits++;
		if (!e)
			continue;
		max_moves--;
		for (; e; e = next) {
			next = e->next;
			head = &d->tab[1][dict_hash(sentry_key(e), e->klen) & mask];
			e->next = *head;
			*head = e;
		}
	}
	if (dict_is_rehashing(d) && d->rehash_idx == d->size[0])
		dict_finish_rehash(d);
	else if (dict_is_rehashing(d))
		dict_release_drained(d);
	return visits;
}

static uint64_t dict_rev64(uint64_t v)
{
	v = (v >> 1 & 0x5555555555555555ULL) | (v & 0x5555555555555555ULL) << 1;
	v = (v >> 2 & 0x3333333333333333ULL) | (v & 0x3333333333333333ULL) << 2;
	v = (v >> 4 & 0x0f0f0f0f0f0f0f0fULL) | (v & 0x0f0f0f0f0f0f0f0fULL) << 4;
	v = (v >> 8 & 0x00ff00ff00ff00ffULL) | (v & 0x00ff00ff00ff00ffULL) << 8;
	v = (v >> 16 & 0x0000ffff0000ffffULL) | (v & 0x0000ffff0000ffffULL) << 16;
	return v >> 32 | v << 32;
}

/* Adds one to the cursor's masked bits counting from the top bit down. The
 * buckets visited so far are then those whose index read backwards is below
 * the cursor read backwards: a set defined by low index bits, which means the
 * same keys in a table half or twice the size, so a resize between two calls
 * never puts an unvisited key behind the cursor. */
static uint64_t dict_cursor_next(uint64_t v, uint64_t mask)
{
	v |= ~mask;
	return dict_rev64(dict_rev64(v) + 1);
}

static void dict_visit(struct sentry *e, dict_scan_fn *fn, void *ctx)
{
	for (; e; e = e->next)
		fn(ctx, e);
}

uint64_t dict_scan(struct dict *d, uint64_t v, size_t count, dict_scan_fn *fn, void *ctx)
{
	size_t visited = 0;
	uint64_t msmall, mbig;
	int small;

	if (d->count == 0)
		return 0;
	do {
		if (!dict_is_rehashing(d)) {
			msmall = d->size[0] - 1;
			dict_visit(dict_bucket(d, 0, v & msmall), fn, ctx);
			v = dict_cursor_next(v, msmall);
			visited++;
			continue;
		}
		/* The cursor names a bucket of the smaller table; visit it and
		 * every bucket of the bigger table its entries can map to. */
		small = d->size[0] <= d->size[1] ? 0 : 1;
		msmall = d->size[small] - 1;
		mbig = d->size[!small] - 1;
		dict_visit(dict_bucket(d, small, v & msmall), fn, ctx);
		visited++;
		do {
			dict_visit(dict_bucket(d, !small, v & mbig), fn, ctx);
			v = dict_cursor_next(v, mbig);
			visited++;
		} while (v & (msmall ^ mbig));
	} while (v != 0 && visited < count);
	return v;
}

void dict_clear(struct dict *d, dict_scan_fn *fn, void *ctx)
{
	struct sentry *e, *next;
	size_t i;
	int t;

	for (t = 0; t < 2; t++) {
		for (i = 0; i < d->size[t]; i++) {
			for (e = dict_bucket(d, t, i); e; e = next) {
				next = e->next;
				fn(ctx, e);
			}
		}
	}
	dict_free_tables(d);
}
