/* zset_mem.c - what both sorted-set encodings (zset.c's listpack,
 * zset_sl.c's skiplist) use: memory accounted to the set and to the store,
 * the (score, member) order, and the random source of skiplist levels and
 * ZRANDMEMBER. Kept apart so neither encoding's file needs the other's.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "object.h"
#include "random.h"
#include "zset_int.h"

/* ---- randomness: xorshift64*, seeded once from random.c ---- */

static uint64_t rng_state;

uint64_t zset_random(void)
{
	if (!rng_state && (random_bytes(&rng_state, sizeof rng_state) != 0 || !rng_state))
		rng_state = 0x9E3779B97F4A7C15ULL;
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

/* ---- memory ---- */

void *zset_alloc(struct zset *z, size_t size)
{
	void *p = malloc(size);
	size_t got;

	if (!p)
		return NULL;
	got = malloc_usable_size(p);
	z->bytes += got;
	object_account(got, 0);
	return p;
}

void zset_release(struct zset *z, void *p)
{
	size_t got;

	if (!p)
		return;
	got = malloc_usable_size(p);
	z->bytes -= got;
	object_account(0, got);
	free(p);
}

void zset_reaccount(struct zset *z, size_t *acct, size_t now)
{
	z->bytes = z->bytes - *acct + now;
	object_account(now, *acct);
	*acct = now;
}

/* ---- ordering ---- */

int zset_memcmp(const char *a, size_t la, const char *b, size_t lb)
{
	int c = memcmp(a, b, la < lb ? la : lb);

	if (c)
		return c;
	return la < lb ? -1 : la > lb;
}

int zset_cmp(double s1, const char *m1, size_t l1, double s2, const char *m2, size_t l2)
{
	if (s1 < s2)
		return -1;
	if (s1 > s2)
		return 1;
	return zset_memcmp(m1, l1, m2, l2);
}
