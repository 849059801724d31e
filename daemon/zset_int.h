/* zset_int.h - what zset.c (the set and its listpack encoding) and
 * zset_sl.c (the skiplist encoding) share; nothing else includes it.
 */
#ifndef CACHIFY_ZSET_INT_H
#define CACHIFY_ZSET_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "dict.h"
#include "zset.h"

#define ZSL_MAXLEVEL 32 /* as Redis's ZSKIPLIST_MAXLEVEL */

/* A skiplist node. Its member is the key of ent, an entry of the member
 * index whose value bytes are this node's address. */
struct zsl_node {
	struct sentry *ent;
	double score;
	struct zsl_node *backward;
	int nlevel;
	struct zsl_level {
		struct zsl_node *forward;
		size_t span; /* nodes crossed by following forward */
	} level[];
};

struct zsl {
	struct zsl_node *header, *tail;
	size_t length;
	int level;
	struct dict index;  /* member -> node */
	size_t index_bytes; /* the index's buckets, as accounted */
};

struct zset {
	unsigned char *lp; /* the listpack encoding, or NULL */
	size_t lp_bytes;   /* lp's allocation, as accounted */
	struct zsl *sl;	   /* the skiplist encoding, or NULL */
	size_t bytes;	   /* accounted: all of the above's memory */
};

/* Allocations z owns, accounted to z and to the store. */
void *zset_alloc(struct zset *z, size_t size);
void zset_release(struct zset *z, void *p);
/* Re-accounts a size that changed outside zset_alloc (lp, dict buckets):
 * *acct is what was accounted for it, now is its size. */
void zset_reaccount(struct zset *z, size_t *acct, size_t now);

/* (score, member) order: < 0, 0, > 0 as (s1, m1) sorts before, with, after (s2, m2). */
int zset_cmp(double s1, const char *m1, size_t l1, double s2, const char *m2, size_t l2);
int zset_memcmp(const char *a, size_t la, const char *b, size_t lb);

/* zset_sl.c: the skiplist encoding. */
struct zsl *zsl_new(struct zset *z);
void zsl_free(struct zset *z, struct zsl *sl);
struct zsl_node *zsl_lookup(const struct zsl *sl, const char *m, size_t len);
/* Inserts a new member (not yet in sl): 0, or -1 out of memory. */
int zsl_insert(struct zset *z, struct zsl *sl, double score, const char *m, size_t len);
/* Removes node x (found by zsl_lookup). */
void zsl_delete(struct zset *z, struct zsl *sl, struct zsl_node *x);
/* Moves x to a new score. */
void zsl_update(struct zset *z, struct zsl *sl, struct zsl_node *x, double score);
/* 1-based rank of x. */
size_t zsl_rank(const struct zsl *sl, const struct zsl_node *x);
/* The node of 1-based rank, or NULL. */
struct zsl_node *zsl_by_rank(const struct zsl *sl, size_t rank);
/* How many nodes from the first on satisfy pred (true for a prefix). */
typedef bool zset_pred(const void *ctx, double score, const char *m, size_t len);
size_t zsl_count_while(const struct zsl *sl, zset_pred *pred, const void *ctx);
/* Removes nodes of 1-based ranks start..end. */
void zsl_delete_range(struct zset *z, struct zsl *sl, size_t start, size_t end);

static inline const char *zsl_member(const struct zsl_node *x, size_t *len)
{
	*len = x->ent->klen;
	return sentry_key(x->ent);
}

#endif /* CACHIFY_ZSET_INT_H */
