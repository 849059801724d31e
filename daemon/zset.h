/* zset.h - the sorted set: members (binary strings) ordered by score, then
 * by member bytes (memcmp, a shorter prefix first), as Redis orders them.
 *
 * Two encodings, as Redis 7.2's: "listpack" (an lp of member, score,
 * member, score... kept sorted; a score is the double's 8 bytes) while the
 * set is small, "skiplist" (a skip list with span counts for O(log n)
 * ranks, plus a member -> node hash index) past either limit. A set only
 * grows out of the listpack; it is built back small only when created
 * anew (ZRANGESTORE, COPY keeps the encoding). Everything a zset owns is
 * reported with object_account. Commands are cmd_zset.c's; this module
 * knows nothing of clients.
 */
#ifndef CACHIFY_ZSET_H
#define CACHIFY_ZSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "object.h"

/* Redis 7.2's defaults: zset-max-listpack-entries, zset-max-listpack-value. */
#define ZSET_LISTPACK_ENTRIES 128 /* members */
#define ZSET_LISTPACK_VALUE   64  /* bytes of one member */

#define ZSET_SCORE_MAX 32 /* bytes of a score as text ("%.17g"), NUL included */

struct zset;

extern const struct obj_type zset_type;

/* The listpack limits in force (CONFIG SET zset-max-listpack-*). They
 * decide the encoding of sets created or grown from now on. */
void zset_set_limits(size_t entries, size_t value);

/* A new, empty set, in the encoding a set of size_hint members of at most
 * maxlen_hint bytes gets (Redis's zsetTypeCreate). Accounted; NULL when out
 * of memory. Free with zset_type.free. */
struct zset *zset_new(size_t size_hint, size_t maxlen_hint);
size_t zset_len(const struct zset *z);
bool zset_is_listpack(const struct zset *z);
/* Bytes accounted for z (all it owns). */
size_t zset_bytes(const struct zset *z);

/* ZADD's options and outcomes (Redis's zsetAdd). */
enum {
	ZADD_IN_NX = 1 << 0,   /* only add new members */
	ZADD_IN_XX = 1 << 1,   /* only update existing ones */
	ZADD_IN_GT = 1 << 2,   /* update only to a greater score */
	ZADD_IN_LT = 1 << 3,   /* update only to a lesser score */
	ZADD_IN_INCR = 1 << 4, /* the score is an increment */
};
enum {
	ZADD_OUT_ADDED = 1 << 0,
	ZADD_OUT_UPDATED = 1 << 1,
	ZADD_OUT_NOP = 1 << 2,
	ZADD_OUT_NAN = 1 << 3, /* INCR made NaN: nothing changed */
};

/* Adds or updates member m with score (or by it, ZADD_IN_INCR) under the
 * flags in. *out gets the ZADD_OUT_ flags and *newscore the member's score
 * afterwards (when not a NOP). 0, or -1 when out of memory or on NaN
 * (ZADD_OUT_NAN); z is then unchanged. May convert z to a skiplist. */
int zset_add(struct zset *z, double score, const char *m, size_t len, unsigned in, unsigned *out,
	     double *newscore);
/* Removes m: true if it was there. */
bool zset_del(struct zset *z, const char *m, size_t len);
/* m's score: true if m is a member. */
bool zset_score(const struct zset *z, const char *m, size_t len, double *score);
/* m's 0-based rank (from the highest when rev), and its score when score
 * is not NULL; -1 if m is not a member. O(log n) on a skiplist. */
long long zset_rank(const struct zset *z, const char *m, size_t len, bool rev, double *score);

/* A score interval (Redis's zrangespec): "(" makes an end exclusive. */
struct zset_score_range {
	double min, max;
	bool minex, maxex;
};

/* A lex interval: an end is "-" (inf < 0), "+" (inf > 0) or a string,
 * inclusive "[" or exclusive "(". */
struct zset_lex_range {
	const char *min, *max;
	size_t minlen, maxlen;
	int mininf, maxinf;
	bool minex, maxex;
};

/* The ranks (0-based, ascending) of the first and last member in the
 * interval: false when none is in it. O(log n) on a skiplist. */
bool zset_score_span(const struct zset *z, const struct zset_score_range *r, size_t *first,
		     size_t *last);
/* walk: find the end by walking from the start, as Redis's range commands
 * do (the same answer when all scores are equal, as lex ranges assume). */
bool zset_lex_span(const struct zset *z, const struct zset_lex_range *r, bool walk,
		   size_t *first, size_t *last);

/* Removes the members of ascending ranks first..last (inclusive, in
 * range). O(log n + removed) on a skiplist. */
void zset_del_range(struct zset *z, size_t first, size_t last);

/* Walks members from ascending rank `rank` on, upwards or (rev) down.
 * What zset_iter_next returns is borrowed: valid until z changes. */
struct zset_iter {
	const struct zset *z;
	size_t pos;	/* listpack: the member's position */
	void *node;	/* skiplist: the node */
	bool rev;
};
void zset_iter_init(struct zset_iter *it, const struct zset *z, size_t rank, bool rev);
bool zset_iter_next(struct zset_iter *it, const char **m, size_t *len, double *score);

/* A skiplist set's member index, for ZSCAN: calls fn for the members of
 * about count buckets from cursor on, returns the next cursor (0: done);
 * every member present throughout is reported at least once. Must not be
 * called on a listpack set. */
typedef void zset_scan_fn(void *ctx, const char *m, size_t len, double score);
uint64_t zset_scan(const struct zset *z, uint64_t cursor, size_t count, zset_scan_fn *fn,
		   void *ctx);

/* A uniformly random member: its ascending rank (z must not be empty). */
size_t zset_random_rank(const struct zset *z);
/* 64 random bits from the module's generator (ZRANDMEMBER's sampling). */
uint64_t zset_random(void);

/* score as Redis's RESP2 reply writes it ("%.17g": "inf", "-inf", "-0"),
 * into buf (ZSET_SCORE_MAX bytes); returns its length. */
size_t zset_format_score(double score, char *buf);


#endif /* CACHIFY_ZSET_H */
