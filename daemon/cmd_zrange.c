/* cmd_zrange.c - the sorted-set range commands, with Redis 7.2's syntax,
 * replies and errors: ZRANGE (BYSCORE, BYLEX, REV, LIMIT, WITHSCORES) and
 * its older forms (ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE,
 * ZRANGEBYLEX, ZREVRANGEBYLEX), ZRANGESTORE, ZCOUNT, ZLEXCOUNT and the
 * ZREMRANGEBY family.
 *
 * Every range becomes an interval of ascending ranks (zset.c finds a score
 * or lex interval's ends in O(log n)), then a walk from one end.
 */
#include <stdio.h>
#include <string.h>

#include "acl.h"
#include "client.h"
#include "cmd.h"
#include "cmd_args.h"
#include "cmd_zset.h"
#include "entry.h"
#include "kevent.h"
#include "reply.h"
#include "server.h"
#include "store.h"

#define ERR_LIMIT_RANK                                                                             \
	"ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
#define ERR_LEX_SCORES "ERR syntax error, WITHSCORES not supported in combination with BYLEX"

enum zr_type { ZR_AUTO, ZR_RANK, ZR_SCORE, ZR_LEX };
enum zr_dir { ZR_DIR_AUTO, ZR_FORWARD, ZR_REVERSE };

/* One range request, as Redis's zrangeGenericCommand parses it. */
struct zrange_req {
	const struct resp_arg *key, *dst; /* dst: ZRANGESTORE's destination, else NULL */
	const struct resp_arg *min, *max; /* as given (REV ranges: already swapped) */
	enum zr_type type;
	enum zr_dir dir;
	bool withscores;
	long long offset, limit; /* LIMIT; limit -1: none */
	long long start, end;	 /* by rank */
	struct zset_score_range score;
	struct zset_lex_range lex;
};

/* The options after key min max (argv[from..]). */
static int zrange_options(struct conn *c, int argc, struct resp_arg *argv, int from,
			  struct zrange_req *q)
{
	for (int j = from; j < argc; j++) {
		int left = argc - j - 1;

		if (!q->dst && arg_is(&argv[j], "withscores")) {
			q->withscores = true;
		} else if (arg_is(&argv[j], "limit") && left >= 2) {
			if (arg_ll(c, &argv[j + 1], &q->offset) != 0 ||
			    arg_ll(c, &argv[j + 2], &q->limit) != 0)
				return -1;
			j += 2;
		} else if (q->dir == ZR_DIR_AUTO && arg_is(&argv[j], "rev")) {
			q->dir = ZR_REVERSE;
		} else if (q->type == ZR_AUTO && arg_is(&argv[j], "bylex")) {
			q->type = ZR_LEX;
		} else if (q->type == ZR_AUTO && arg_is(&argv[j], "byscore")) {
			q->type = ZR_SCORE;
		} else {
			reply_error(c, ERR_SYNTAX);
			return -1;
		}
	}
	return 0;
}

/* Parses the range of q (its type decided): 0, or -1 having replied. */
static int zrange_parse_range(struct conn *c, struct zrange_req *q)
{
	switch (q->type) {
	case ZR_SCORE:
		if (zcmd_score_range(q->min, q->max, &q->score) != 0) {
			reply_error(c, ERR_RANGE_FLOAT);
			return -1;
		}
		return 0;
	case ZR_LEX:
		if (zcmd_lex_range(q->min, q->max, &q->lex) != 0) {
			reply_error(c, ERR_RANGE_LEX);
			return -1;
		}
		return 0;
	default:
		if (arg_ll(c, q->min, &q->start) != 0 || arg_ll(c, q->max, &q->end) != 0)
			return -1;
		return 0;
	}
}

/* Rank indexes as Redis sanitizes them (negative from the end): the
 * inclusive interval, false when empty. */
static bool rank_span(long long start, long long end, size_t len, size_t *first, size_t *last)
{
	long long llen = (long long)len;

	if (start < 0)
		start += llen;
	if (end < 0)
		end += llen;
	if (start < 0)
		start = 0;
	if (start > end || start >= llen)
		return false;
	if (end >= llen)
		end = llen - 1;
	*first = (size_t)start;
	*last = (size_t)end;
	return true;
}

/* The members q selects from z: the ascending rank to start from, the
 * direction, and how many. */
static size_t zrange_select(const struct zrange_req *q, const struct zset *z, size_t *from)
{
	bool rev = q->dir == ZR_REVERSE, found;
	size_t first = 0, last = 0, n, len = zset_len(z);

	if (q->type == ZR_RANK) {
		if (!rank_span(q->start, q->end, len, &first, &last))
			return 0;
		*from = rev ? len - 1 - first : first;
		return last - first + 1;
	}
	found = q->type == ZR_SCORE ? zset_score_span(z, &q->score, &first, &last)
				    : zset_lex_span(z, &q->lex, true, &first, &last);
	/* LIMIT: a negative offset selects nothing, a negative count all. */
	if (!found || q->offset < 0 || (unsigned long long)q->offset > last - first)
		return 0;
	n = last - first + 1 - (size_t)q->offset;
	if (q->limit >= 0 && (unsigned long long)q->limit < n)
		n = (size_t)q->limit;
	*from = rev ? last - (size_t)q->offset : first + (size_t)q->offset;
	return n;
}

static void zrange_reply(struct conn *c, const struct zrange_req *q, const struct zset *z)
{
	size_t from = 0, n = z ? zrange_select(q, z, &from) : 0;
	struct zset_iter it;
	const char *m;
	size_t len;
	double score;

	reply_array(c, q->withscores ? 2 * n : n);
	if (!n)
		return;
	zset_iter_init(&it, z, from, q->dir == ZR_REVERSE);
	for (size_t i = 0; i < n && zset_iter_next(&it, &m, &len, &score); i++) {
		reply_bulk(c, m, len);
		if (q->withscores)
			zcmd_reply_score(c, score);
	}
}

/* ZRANGESTORE: the selection as a new set under dst (none: dst goes). */
static void zrange_store(struct conn *c, const struct zrange_req *q, const struct zset *z)
{
	size_t from = 0, n = z ? zrange_select(q, z, &from) : 0;
	struct sentry *old = store_find_write(server.store, c->db, q->dst->ptr, q->dst->len);
	struct zset *dst = NULL;
	struct zset_iter it;
	const char *m;
	size_t len;
	double score;
	unsigned out;

	if (old && acl_check_force(c, old) != 0)
		return;
	if (n == 0) {
		if (old) {
			store_delete_entry(server.store, c->db, old, STORE_DEL_DELETED);
			kevent_notify(KEV_GENERIC, "del", c->db, q->dst->ptr, q->dst->len);
		}
		reply_int(c, 0);
		return;
	}
	dst = zset_new(n, 0);
	zset_iter_init(&it, z, from, q->dir == ZR_REVERSE);
	for (size_t i = 0; dst && i < n && zset_iter_next(&it, &m, &len, &score); i++)
		if (zset_add(dst, score, m, len, 0, &out, &score) != 0) {
			zset_type.free(dst);
			dst = NULL;
		}
	if (!dst || !object_put(server.store, c->db, q->dst->ptr, q->dst->len, STORE_ZSET, dst)) {
		if (dst)
			zset_type.free(dst);
		reply_error(c, ERR_OOM);
		return;
	}
	reply_int(c, (long long)n);
	kevent_notify(KEV_ZSET, "zrangestore", c->db, q->dst->ptr, q->dst->len);
}

/* Redis's zrangeGenericCommand: argv[first] is the source key, then min
 * and max, then options; type and dir fixed by the older commands. */
static void zrange_generic(struct conn *c, int argc, struct resp_arg *argv, int first,
			   const struct resp_arg *dst, enum zr_type type, enum zr_dir dir)
{
	struct zrange_req q = {.key = &argv[first], .dst = dst, .type = type, .dir = dir,
			       .limit = -1};
	struct zset *z;

	if (zrange_options(c, argc, argv, first + 3, &q) != 0)
		return;
	if (q.dir == ZR_DIR_AUTO)
		q.dir = ZR_FORWARD;
	if (q.type == ZR_AUTO)
		q.type = ZR_RANK;
	if (q.limit != -1 && q.type == ZR_RANK) {
		reply_error(c, ERR_LIMIT_RANK);
		return;
	}
	if (q.withscores && q.type == ZR_LEX) {
		reply_error(c, ERR_LEX_SCORES);
		return;
	}
	/* BYSCORE and BYLEX ranges are given max first in reverse. */
	bool swap = q.dir == ZR_REVERSE && q.type != ZR_RANK;

	q.min = &argv[first + (swap ? 2 : 1)];
	q.max = &argv[first + (swap ? 1 : 2)];
	if (zrange_parse_range(c, &q) != 0 || zcmd_find(c, q.key, false, &z) < 0)
		return;
	if (dst)
		zrange_store(c, &q, z);
	else
		zrange_reply(c, &q, z);
}

/* ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES] */
void cmd_zrange(struct conn *c, int argc, struct resp_arg *argv)
{
	zrange_generic(c, argc, argv, 1, NULL, ZR_AUTO, ZR_DIR_AUTO);
}

/* ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] */
void cmd_zrangestore(struct conn *c, int argc, struct resp_arg *argv)
{
	zrange_generic(c, argc, argv, 2, &argv[1], ZR_AUTO, ZR_DIR_AUTO);
}

void cmd_zrevrange(struct conn *c, int argc, struct resp_arg *argv)
{
	zrange_generic(c, argc, argv, 1, NULL, ZR_RANK, ZR_REVERSE);
}

void cmd_zrangebyscore(struct conn *c, int argc, struct resp_arg *argv)
{
	zrange_generic(c, argc, argv, 1, NULL, ZR_SCORE, ZR_FORWARD);
}

void cmd_zrevrangebyscore(struct conn *c, int argc, struct resp_arg *argv)
{
	zrange_generic(c, argc, argv, 1, NULL, ZR_SCORE, ZR_REVERSE);
}

void cmd_zrangebylex(struct conn *c, int argc, struct resp_arg *argv)
{
	zrange_generic(c, argc, argv, 1, NULL, ZR_LEX, ZR_FORWARD);
}

void cmd_zrevrangebylex(struct conn *c, int argc, struct resp_arg *argv)
{
	zrange_generic(c, argc, argv, 1, NULL, ZR_LEX, ZR_REVERSE);
}

/* ---- counting ---- */

/* ZCOUNT key min max */
void cmd_zcount(struct conn *c, int argc, struct resp_arg *argv)
{
	struct zset_score_range r;
	size_t first, last;
	struct zset *z;

	(void)argc;
	if (zcmd_score_range(&argv[2], &argv[3], &r) != 0) {
		reply_error(c, ERR_RANGE_FLOAT);
		return;
	}
	if (zcmd_find(c, &argv[1], false, &z) < 0)
		return;
	reply_int(c, z && zset_score_span(z, &r, &first, &last) ? (long long)(last - first + 1) : 0);
}

/* ZLEXCOUNT key min max */
void cmd_zlexcount(struct conn *c, int argc, struct resp_arg *argv)
{
	struct zset_lex_range r;
	size_t first, last;
	struct zset *z;

	(void)argc;
	if (zcmd_lex_range(&argv[2], &argv[3], &r) != 0) {
		reply_error(c, ERR_RANGE_LEX);
		return;
	}
	if (zcmd_find(c, &argv[1], false, &z) < 0)
		return;
	reply_int(c, z && zset_lex_span(z, &r, false, &first, &last) ? (long long)(last - first + 1) : 0);
}

/* ---- ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX ---- */

static void zremrange_generic(struct conn *c, struct resp_arg *argv, enum zr_type type)
{
	static const char *const events[] = {
		[ZR_RANK] = "zremrangebyrank", [ZR_SCORE] = "zremrangebyscore",
		[ZR_LEX] = "zremrangebylex"};
	struct zrange_req q = {.type = type, .min = &argv[2], .max = &argv[3]};
	size_t first = 0, last = 0;
	struct zset *z;
	bool found;

	if (zrange_parse_range(c, &q) != 0 || zcmd_find(c, &argv[1], true, &z) < 0)
		return;
	if (!z) {
		reply_int(c, 0);
		return;
	}
	if (type == ZR_RANK)
		found = rank_span(q.start, q.end, zset_len(z), &first, &last);
	else if (type == ZR_SCORE)
		found = zset_score_span(z, &q.score, &first, &last);
	else
		found = zset_lex_span(z, &q.lex, true, &first, &last);
	if (!found) {
		reply_int(c, 0);
		return;
	}
	zset_del_range(z, first, last);
	zcmd_written(c, &argv[1], z, events[type]);
	reply_int(c, (long long)(last - first + 1));
}

void cmd_zremrangebyrank(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	zremrange_generic(c, argv, ZR_RANK);
}

void cmd_zremrangebyscore(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	zremrange_generic(c, argv, ZR_SCORE);
}

void cmd_zremrangebylex(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	zremrange_generic(c, argv, ZR_LEX);
}
