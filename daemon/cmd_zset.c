/* cmd_zset.c - the sorted-set commands on members, with Redis 7.2's
 * syntax, replies and errors: ZADD, ZINCRBY, ZREM, ZSCORE, ZMSCORE, ZCARD,
 * ZRANK, ZREVRANK, ZPOPMIN, ZPOPMAX, ZRANDMEMBER, ZSCAN, and the helpers
 * the range commands (cmd_zrange.c) and BZPOPMIN/BZPOPMAX share.
 *
 * The set itself is zset.c's. A write changes it in place, then touches
 * the key (WATCH) and sends its keyspace event; a write that empties it
 * deletes the key, as Redis never keeps an empty set.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "cmd_args.h"
#include "cmd_zset.h"
#include "entry.h"
#include "kevent.h"
#include "keymatch.h"
#include "reply.h"
#include "server.h"
#include "store.h"

#define ZNUM_STACK 128 /* bytes of a number argument copied on the stack */

#define ERR_ZADD_XX_NX	 "ERR XX and NX options at the same time are not compatible"
#define ERR_ZADD_GT_LT	 "ERR GT, LT, and/or NX options at the same time are not compatible"
#define ERR_ZADD_INCR	 "ERR INCR option supports a single increment-element pair"
#define ERR_ZADD_NAN	 "ERR resulting score is not a number (NaN)"
#define ERR_POSITIVE	 "ERR value is out of range, must be positive"
#define ERR_RAND_RANGE                                                                             \
	"ERR value is out of range, value must between -9223372036854775807 and "                \
	"9223372036854775807"

/* ---- shared helpers ---- */

int zcmd_find(struct conn *c, const struct resp_arg *key, bool write, struct zset **z)
{
	struct sentry *e = write ? store_find_write(server.store, c->db, key->ptr, key->len)
				 : store_find(server.store, c->db, key->ptr, key->len);

	*z = NULL;
	if (!e)
		return 0;
	if (e->type != STORE_ZSET) {
		reply_error(c, ERR_WRONGTYPE);
		return -1;
	}
	*z = sentry_object(e);
	return 1;
}

/* strtod over a NUL-terminated copy of a (which may hold a NUL itself). */
static double strtod_arg(const struct resp_arg *a, size_t *used, int *err)
{
	char stack[ZNUM_STACK], *buf = a->len < sizeof stack ? stack : malloc(a->len + 1), *end;
	double d;

	if (!buf) {
		*used = 0;
		*err = ENOMEM;
		return 0;
	}
	memcpy(buf, a->ptr, a->len);
	buf[a->len] = '\0';
	errno = 0;
	d = strtod(buf, &end);
	*err = errno;
	*used = (size_t)(end - buf);
	if (buf != stack)
		free(buf);
	return d;
}

int zcmd_score(struct conn *c, const struct resp_arg *a, double *out)
{
	size_t used;
	int err;
	double d = strtod_arg(a, &used, &err);

	if (a->len == 0 || isspace((unsigned char)a->ptr[0]) || used != a->len ||
	    (err == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL || d == 0)) || err == ENOMEM ||
	    isnan(d)) {
		reply_error(c, ERR_NOT_FLOAT);
		return -1;
	}
	*out = d;
	return 0;
}

/* One end of a score interval: "(" makes it exclusive; strtod must stop at
 * the end of the C string (as Redis reads the argument), "" is 0. */
static int score_end(const struct resp_arg *a, double *out, bool *ex)
{
	struct resp_arg rest = *a;
	const char *nul;
	size_t used;
	int err;

	*ex = a->len > 0 && a->ptr[0] == '(';
	if (*ex) {
		rest.ptr++;
		rest.len--;
	}
	nul = rest.len ? memchr(rest.ptr, '\0', rest.len) : NULL;
	*out = strtod_arg(&rest, &used, &err);
	if (err == ENOMEM || isnan(*out))
		return -1;
	return used == (nul ? (size_t)(nul - rest.ptr) : rest.len) ? 0 : -1;
}

int zcmd_score_range(const struct resp_arg *min, const struct resp_arg *max,
		     struct zset_score_range *r)
{
	if (score_end(min, &r->min, &r->minex) != 0 || score_end(max, &r->max, &r->maxex) != 0)
		return -1;
	return 0;
}

/* One end of a lex interval: "-", "+", "[str" or "(str". */
static int lex_end(const struct resp_arg *a, const char **s, size_t *len, int *inf, bool *ex)
{
	const char *p = a->ptr;
	bool alone = a->len == 1 || (a->len > 1 && p[1] == '\0');

	*s = NULL;
	*len = 0;
	*inf = 0;
	if (a->len == 0)
		return -1;
	switch (p[0]) {
	case '+':
	case '-':
		if (!alone)
			return -1;
		*inf = p[0] == '+' ? 1 : -1;
		*ex = true;
		return 0;
	case '(':
	case '[':
		*ex = p[0] == '(';
		*s = p + 1;
		*len = a->len - 1;
		return 0;
	default:
		return -1;
	}
}

int zcmd_lex_range(const struct resp_arg *min, const struct resp_arg *max,
		   struct zset_lex_range *r)
{
	if (lex_end(min, &r->min, &r->minlen, &r->mininf, &r->minex) != 0 ||
	    lex_end(max, &r->max, &r->maxlen, &r->maxinf, &r->maxex) != 0)
		return -1;
	return 0;
}

void zcmd_written(struct conn *c, const struct resp_arg *key, struct zset *z, const char *event)
{
	kevent_notify(KEV_ZSET, event, c->db, key->ptr, key->len);
	if (zset_len(z) == 0) {
		store_delete(server.store, c->db, key->ptr, key->len, STORE_DEL_DELETED);
		kevent_notify(KEV_GENERIC, "del", c->db, key->ptr, key->len);
	} else {
		store_touch(server.store, c->db, key->ptr, key->len);
	}
}

void zcmd_reply_score(struct conn *c, double score)
{
	char buf[ZSET_SCORE_MAX];

	reply_bulk(c, buf, zset_format_score(score, buf));
}

/* ---- ZADD, ZINCRBY ---- */

/* ZADD's options before the first score: their flags, and whether CH was
 * given; the index of the first score. */
static int zadd_options(int argc, struct resp_arg *argv, unsigned *in, bool *ch)
{
	static const struct {
		const char *word;
		unsigned flag;
	} opts[] = {{"nx", ZADD_IN_NX}, {"xx", ZADD_IN_XX}, {"incr", ZADD_IN_INCR},
		    {"gt", ZADD_IN_GT}, {"lt", ZADD_IN_LT}};
	int i = 2;

	*in = 0;
	*ch = false;
	for (; i < argc; i++) {
		size_t k;

		if (arg_is(&argv[i], "ch")) {
			*ch = true;
			continue;
		}
		for (k = 0; k < sizeof opts / sizeof opts[0]; k++)
			if (arg_is(&argv[i], opts[k].word))
				break;
		if (k == sizeof opts / sizeof opts[0])
			break;
		*in |= opts[k].flag;
	}
	return i;
}

/* Checks ZADD's option combinations as Redis does, in its order. */
static int zadd_check(struct conn *c, unsigned in, int pairs, int rest)
{
	bool nx = in & ZADD_IN_NX, gt = in & ZADD_IN_GT, lt = in & ZADD_IN_LT;

	if (rest % 2 || pairs == 0) {
		reply_error(c, ERR_SYNTAX);
		return -1;
	}
	if (nx && (in & ZADD_IN_XX)) {
		reply_error(c, ERR_ZADD_XX_NX);
		return -1;
	}
	if ((gt && nx) || (lt && nx) || (gt && lt)) {
		reply_error(c, ERR_ZADD_GT_LT);
		return -1;
	}
	if ((in & ZADD_IN_INCR) && pairs > 1) {
		reply_error(c, ERR_ZADD_INCR);
		return -1;
	}
	return 0;
}

/* Redis's zaddGenericCommand, behind ZADD and ZINCRBY: every score is
 * parsed before anything changes. */
static void zadd_generic(struct conn *c, int argc, struct resp_arg *argv, int first, unsigned in,
			 bool ch)
{
	int pairs = (argc - first) / 2, added = 0, updated = 0, processed = 0;
	bool incr = in & ZADD_IN_INCR, created = false;
	double *scores, score = 0;
	size_t maxlen = 0;
	struct zset *z;
	unsigned out;
	int rc = 0;

	if (zadd_check(c, in, pairs, argc - first) != 0)
		return;
	scores = malloc(sizeof *scores * (size_t)pairs);
	if (!scores) {
		reply_error(c, ERR_OOM);
		return;
	}
	for (int j = 0; j < pairs; j++) {
		if (zcmd_score(c, &argv[first + 2 * j], &scores[j]) != 0)
			goto out;
		if (argv[first + 2 * j + 1].len > maxlen)
			maxlen = argv[first + 2 * j + 1].len;
	}
	if (zcmd_find(c, &argv[1], true, &z) < 0)
		goto out;
	if (!z && !(in & ZADD_IN_XX)) {
		z = zset_new((size_t)pairs, maxlen);
		created = true;
	}
	for (int j = 0; z && j < pairs; j++) {
		const struct resp_arg *m = &argv[first + 2 * j + 1];

		if ((rc = zset_add(z, scores[j], m->ptr, m->len, in, &out, &score)) != 0)
			break;
		added += (out & ZADD_OUT_ADDED) != 0;
		updated += (out & ZADD_OUT_UPDATED) != 0;
		processed += !(out & ZADD_OUT_NOP);
	}
	if (created && (!z || rc != 0 ||
			!object_put(server.store, c->db, argv[1].ptr, argv[1].len, STORE_ZSET, z))) {
		if (z)
			zset_type.free(z);
		reply_error(c, ERR_OOM);
		goto out;
	}
	if (rc != 0)
		reply_error(c, (out & ZADD_OUT_NAN) ? ERR_ZADD_NAN : ERR_OOM);
	else if (incr && processed)
		zcmd_reply_score(c, score);
	else if (incr)
		reply_nil(c);
	else
		reply_int(c, ch ? added + updated : added);
	if (added || updated) {
		kevent_notify(KEV_ZSET, incr ? "zincr" : "zadd", c->db, argv[1].ptr, argv[1].len);
		if (!created)
			store_touch(server.store, c->db, argv[1].ptr, argv[1].len);
	}
out:
	free(scores);
}

/* ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...] */
void cmd_zadd(struct conn *c, int argc, struct resp_arg *argv)
{
	unsigned in;
	bool ch;
	int first = zadd_options(argc, argv, &in, &ch);

	zadd_generic(c, argc, argv, first, in, ch);
}

/* ZINCRBY key increment member */
void cmd_zincrby(struct conn *c, int argc, struct resp_arg *argv)
{
	zadd_generic(c, argc, argv, 2, ZADD_IN_INCR, false);
}

/* ---- single members ---- */

/* ZREM key member [member ...] */
void cmd_zrem(struct conn *c, int argc, struct resp_arg *argv)
{
	long long deleted = 0;
	struct zset *z;

	if (zcmd_find(c, &argv[1], true, &z) < 0)
		return;
	for (int i = 2; z && i < argc && zset_len(z) > 0; i++)
		deleted += zset_del(z, argv[i].ptr, argv[i].len);
	if (deleted)
		zcmd_written(c, &argv[1], z, "zrem");
	reply_int(c, deleted);
}

/* ZSCORE key member */
void cmd_zscore(struct conn *c, int argc, struct resp_arg *argv)
{
	struct zset *z;
	double score;

	(void)argc;
	if (zcmd_find(c, &argv[1], false, &z) < 0)
		return;
	if (z && zset_score(z, argv[2].ptr, argv[2].len, &score))
		zcmd_reply_score(c, score);
	else
		reply_nil(c);
}

/* ZMSCORE key member [member ...] */
void cmd_zmscore(struct conn *c, int argc, struct resp_arg *argv)
{
	struct zset *z;
	double score;

	if (zcmd_find(c, &argv[1], false, &z) < 0)
		return;
	reply_array(c, (size_t)(argc - 2));
	for (int i = 2; i < argc; i++) {
		if (z && zset_score(z, argv[i].ptr, argv[i].len, &score))
			zcmd_reply_score(c, score);
		else
			reply_nil(c);
	}
}

/* ZCARD key */
void cmd_zcard(struct conn *c, int argc, struct resp_arg *argv)
{
	struct zset *z;

	(void)argc;
	if (zcmd_find(c, &argv[1], false, &z) < 0)
		return;
	reply_int(c, z ? (long long)zset_len(z) : 0);
}

/* ZRANK / ZREVRANK key member [WITHSCORE] (WITHSCORE: Redis 7.2) */
static void zrank_generic(struct conn *c, int argc, struct resp_arg *argv, bool rev)
{
	bool withscore = argc == 4;
	struct zset *z;
	long long rank;
	double score;

	if (argc > 4) {
		reply_errorf(c, "ERR wrong number of arguments for '%s' command",
			     rev ? "zrevrank" : "zrank");
		return;
	}
	if (withscore && !arg_is(&argv[3], "withscore")) {
		reply_error(c, ERR_SYNTAX);
		return;
	}
	if (zcmd_find(c, &argv[1], false, &z) < 0)
		return;
	rank = z ? zset_rank(z, argv[2].ptr, argv[2].len, rev, &score) : -1;
	if (rank < 0) {
		if (withscore)
			reply_raw(c, "*-1\r\n", 5);
		else
			reply_nil(c);
		return;
	}
	if (withscore)
		reply_array(c, 2);
	reply_int(c, rank);
	if (withscore)
		zcmd_reply_score(c, score);
}

void cmd_zrank(struct conn *c, int argc, struct resp_arg *argv)
{
	zrank_generic(c, argc, argv, false);
}

void cmd_zrevrank(struct conn *c, int argc, struct resp_arg *argv)
{
	zrank_generic(c, argc, argv, true);
}

/* ---- pops ---- */

/* Replies (member, score) pairs of the n lowest (max: highest) members and
 * removes them. */
static void zpop_members(struct zset *z, struct conn *c, size_t n, bool max)
{
	size_t len = zset_len(z), first = max ? len - n : 0;
	struct zset_iter it;
	const char *m;
	size_t mlen;
	double score;

	zset_iter_init(&it, z, max ? len - 1 : 0, max);
	for (size_t i = 0; i < n && zset_iter_next(&it, &m, &mlen, &score); i++) {
		reply_bulk(c, m, mlen);
		zcmd_reply_score(c, score);
	}
	zset_del_range(z, first, first + n - 1);
}

/* ZPOPMIN / ZPOPMAX key [count] */
static void zpop_generic(struct conn *c, int argc, struct resp_arg *argv, bool max)
{
	long long count = 1;
	struct zset *z;
	size_t n;

	if (argc > 3) {
		reply_error(c, ERR_SYNTAX);
		return;
	}
	if (argc == 3) {
		if (resp_parse_ll(argv[2].ptr, argv[2].len, &count) != 0 || count < 0) {
			reply_error(c, ERR_POSITIVE);
			return;
		}
	}
	if (zcmd_find(c, &argv[1], true, &z) < 0)
		return;
	if (!z || count == 0) {
		reply_array(c, 0);
		return;
	}
	n = (unsigned long long)count < zset_len(z) ? (size_t)count : zset_len(z);
	reply_array(c, 2 * n);
	zpop_members(z, c, n, max);
	zcmd_written(c, &argv[1], z, max ? "zpopmax" : "zpopmin");
}

void cmd_zpopmin(struct conn *c, int argc, struct resp_arg *argv)
{
	zpop_generic(c, argc, argv, false);
}

void cmd_zpopmax(struct conn *c, int argc, struct resp_arg *argv)
{
	zpop_generic(c, argc, argv, true);
}

bool zset_key_is_nonempty(int db, const void *key, size_t klen)
{
	struct sentry *e = store_peek(server.store, db, key, klen);

	return e && e->type == STORE_ZSET && zset_len(sentry_object(e)) > 0;
}

void zset_pop_reply(struct conn *c, int db, const void *key, size_t klen, bool max)
{
	struct sentry *e = store_find_write(server.store, db, key, klen);
	struct resp_arg k = {key, klen};
	struct zset *z = sentry_object(e);
	int saved = c->db;

	reply_array(c, 3);
	reply_bulk(c, key, klen);
	zpop_members(z, c, 1, max);
	c->db = db;
	zcmd_written(c, &k, z, max ? "zpopmax" : "zpopmin");
	c->db = saved;
}

/* ---- ZRANDMEMBER ---- */

static void reply_rank(struct conn *c, const struct zset *z, size_t rank, bool withscores)
{
	struct zset_iter it;
	const char *m;
	size_t len;
	double score;

	zset_iter_init(&it, z, rank, false);
	if (!zset_iter_next(&it, &m, &len, &score))
		return;
	reply_bulk(c, m, len);
	if (withscores)
		zcmd_reply_score(c, score);
}

/* count distinct members at random (count < the set's size): ranks drawn
 * until count distinct ones are marked, or, past half the set, the ones
 * left out drawn instead. */
static int zrand_distinct(struct conn *c, const struct zset *z, size_t count, bool withscores)
{
	size_t size = zset_len(z), want = count * 2 > size ? size - count : count, got = 0;
	unsigned char *mark = calloc((size + 7) / 8, 1);

	if (!mark)
		return -1;
	reply_array(c, withscores ? 2 * count : count);
	while (got < want) {
		size_t r = zset_random_rank(z);

		if (mark[r / 8] & (1u << (r % 8)))
			continue;
		mark[r / 8] |= (unsigned char)(1u << (r % 8));
		got++;
		if (want == count)
			reply_rank(c, z, r, withscores);
	}
	if (want != count) {
		struct zset_iter it;
		const char *m;
		size_t len, r = 0;
		double score;

		zset_iter_init(&it, z, 0, false);
		for (; zset_iter_next(&it, &m, &len, &score); r++) {
			if (mark[r / 8] & (1u << (r % 8)))
				continue;
			reply_bulk(c, m, len);
			if (withscores)
				zcmd_reply_score(c, score);
		}
	}
	free(mark);
	return 0;
}

/* ZRANDMEMBER key count [WITHSCORES]: Redis's cases: negative counts may
 * repeat; a count past the size is the whole set, highest first. */
static void zrandmember_count(struct conn *c, int argc, struct resp_arg *argv)
{
	bool withscores = argc == 4, uniq = true;
	unsigned long long count;
	long long l;
	struct zset *z;

	if (argc > 4 || (withscores && !arg_is(&argv[3], "withscores"))) {
		reply_error(c, ERR_SYNTAX);
		return;
	}
	if (arg_ll(c, &argv[2], &l) != 0)
		return;
	if (l == INT64_MIN) {
		reply_error(c, ERR_RAND_RANGE);
		return;
	}
	/* Redis's guard against count * 2 overflowing. */
	if (withscores && l < -(INT64_MAX / 2)) {
		reply_error(c, "ERR value is out of range");
		return;
	}
	count = l >= 0 ? (unsigned long long)l : (unsigned long long)-l;
	uniq = l >= 0;
	if (zcmd_find(c, &argv[1], false, &z) < 0)
		return;
	if (!z || count == 0) {
		reply_array(c, 0);
		return;
	}
	if (!uniq || count == 1) {
		reply_array(c, withscores ? 2 * count : count);
		/* A huge count ends with the client, closed past its output limit. */
		for (unsigned long long i = 0; i < count && !(c->flags & CONN_CLOSING); i++)
			reply_rank(c, z, zset_random_rank(z), withscores);
	} else if (count >= zset_len(z)) {
		struct zset_iter it;
		const char *m;
		size_t len;
		double score;

		reply_array(c, withscores ? 2 * zset_len(z) : zset_len(z));
		zset_iter_init(&it, z, zset_len(z) - 1, true);
		while (zset_iter_next(&it, &m, &len, &score)) {
			reply_bulk(c, m, len);
			if (withscores)
				zcmd_reply_score(c, score);
		}
	} else if (zrand_distinct(c, z, (size_t)count, withscores) != 0) {
		reply_error(c, ERR_OOM);
	}
}

/* ZRANDMEMBER key [count [WITHSCORES]] */
void cmd_zrandmember(struct conn *c, int argc, struct resp_arg *argv)
{
	struct zset *z;

	if (argc >= 3) {
		zrandmember_count(c, argc, argv);
		return;
	}
	if (zcmd_find(c, &argv[1], false, &z) < 0)
		return;
	if (!z)
		reply_nil(c);
	else
		reply_rank(c, z, zset_random_rank(z), false);
}

/* ---- ZSCAN ---- */

struct zscan_state {
	const struct resp_arg *match;
	struct conn *c;
	size_t n;	  /* pairs replied */
	char *out;	  /* the pairs, as RESP, until the array header is known */
	size_t len, cap;
	bool oom;
};

static void zscan_add(struct zscan_state *st, const char *m, size_t len, double score)
{
	char sbuf[ZSET_SCORE_MAX], hdr[48];
	size_t slen = zset_format_score(score, sbuf), need;
	int h1, h2;

	if (st->match && !keymatch_matches(st->match->ptr, st->match->len, m, len, false))
		return;
	h1 = snprintf(hdr, sizeof hdr, "$%zu\r\n", len);
	h2 = snprintf(hdr + h1, sizeof hdr - (size_t)h1, "$%zu\r\n", slen);
	need = (size_t)h1 + len + 2 + (size_t)h2 + slen + 2;
	if (st->len + need > st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 1024;
		char *p;

		while (cap < st->len + need)
			cap *= 2;
		p = realloc(st->out, cap);
		if (!p) {
			st->oom = true;
			return;
		}
		st->out = p;
		st->cap = cap;
	}
	memcpy(st->out + st->len, hdr, (size_t)h1);
	memcpy(st->out + st->len + h1, m, len);
	memcpy(st->out + st->len + h1 + len, "\r\n", 2);
	st->len += (size_t)h1 + len + 2;
	memcpy(st->out + st->len, hdr + h1, (size_t)h2);
	memcpy(st->out + st->len + h2, sbuf, slen);
	memcpy(st->out + st->len + h2 + slen, "\r\n", 2);
	st->len += (size_t)h2 + slen + 2;
	st->n++;
}

static void zscan_cb(void *ctx, const char *m, size_t len, double score)
{
	zscan_add(ctx, m, len, score);
}

/* ZSCAN key cursor [MATCH pattern] [COUNT count]: a listpack set whole in
 * one call (cursor 0), a skiplist set by its index's buckets. */
void cmd_zscan(struct conn *c, int argc, struct resp_arg *argv)
{
	struct zscan_state st = {0};
	long long count = 10;
	uint64_t cursor;
	struct zset *z;
	char buf[24];

	if (arg_cursor(&argv[2], &cursor) != 0) {
		reply_error(c, "ERR invalid cursor");
		return;
	}
	if (zcmd_find(c, &argv[1], false, &z) < 0)
		return;
	for (int i = 3; z && i < argc; i += 2) {
		if (i + 1 >= argc) {
			reply_error(c, ERR_SYNTAX);
			return;
		}
		if (arg_is(&argv[i], "count")) {
			if (arg_ll(c, &argv[i + 1], &count) != 0)
				return;
			if (count < 1) {
				reply_error(c, ERR_SYNTAX);
				return;
			}
		} else if (arg_is(&argv[i], "match")) {
			st.match = &argv[i + 1];
		} else {
			reply_error(c, ERR_SYNTAX);
			return;
		}
	}
	if (!z) {
		cursor = 0;
	} else if (zset_is_listpack(z)) {
		struct zset_iter it;
		const char *m;
		size_t len;
		double score;

		zset_iter_init(&it, z, 0, false);
		while (zset_iter_next(&it, &m, &len, &score))
			zscan_add(&st, m, len, score);
		cursor = 0;
	} else {
		cursor = zset_scan(z, cursor, (size_t)count, zscan_cb, &st);
	}
	if (st.oom) {
		free(st.out);
		reply_error(c, ERR_OOM);
		return;
	}
	reply_array(c, 2);
	reply_bulk(c, buf, (size_t)snprintf(buf, sizeof buf, "%llu", (unsigned long long)cursor));
	reply_array(c, 2 * st.n);
	if (st.len)
		reply_raw(c, st.out, st.len);
	free(st.out);
}
