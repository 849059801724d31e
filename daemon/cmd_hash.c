/* cmd_hash.c - the hash family with Redis 7's syntax, replies and errors:
 * HSET/HMSET, HSETNX, HGET, HMGET, HDEL, HEXISTS, HLEN, HSTRLEN, HKEYS,
 * HVALS, HGETALL, HINCRBY, HINCRBYFLOAT, HRANDFIELD and HSCAN.
 *
 * The object and its encodings are hash.c's. A new hash is built apart and
 * put into the keyspace once it holds its first field; a change in place
 * is told to WATCH with store_touch; a hash that loses its last field is
 * deleted. Every other type under the key answers -WRONGTYPE.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "client.h"
#include "cmd.h"
#include "cmd_args.h"
#include "hash.h"
#include "keymatch.h"
#include "kevent.h"
#include "object.h"
#include "reply.h"
#include "server.h"
#include "store.h"

#define HSCAN_COUNT_DEFAULT 10	 /* pairs per HSCAN call, as Redis */
#define HRAND_BATCH	    1024 /* pairs sampled at a time for a negative count */

#define ERR_RANGE_LONG                                                                            \
	"ERR value is out of range, value must between -9223372036854775807 and "                  \
	"9223372036854775807"

/* The hash under key: 0 with *h set (NULL: absent), or -1 having replied
 * -WRONGTYPE. A read counts a hit or miss; a write does not. */
static int hash_find(struct conn *c, const struct resp_arg *key, bool write, struct hash **h)
{
	struct sentry *e = write ? store_find_write(server.store, c->db, key->ptr, key->len)
				 : store_find(server.store, c->db, key->ptr, key->len);

	*h = NULL;
	if (e && e->type != STORE_HASH) {
		reply_error(c, ERR_WRONGTYPE);
		return -1;
	}
	if (e)
		*h = sentry_object(e);
	return 0;
}

/* The hash under key for a write; a new empty one, not in the keyspace
 * yet (*fresh), when absent. NULL having replied (-WRONGTYPE, -OOM). */
static struct hash *hash_for_write(struct conn *c, const struct resp_arg *key, bool *fresh)
{
	struct hash *h;

	if (hash_find(c, key, true, &h) != 0)
		return NULL;
	*fresh = h == NULL;
	if (!h && !(h = hash_new()))
		reply_error(c, ERR_OOM);
	return h;
}

/* Ends a write of h under key: a fresh hash goes into the keyspace (an
 * empty one is dropped), a changed one is told to WATCH. 0, or -1 having
 * replied -OOM. */
static int hash_commit(struct conn *c, const struct resp_arg *key, struct hash *h, bool fresh)
{
	if (!fresh) {
		store_touch(server.store, c->db, key->ptr, key->len);
		return 0;
	}
	if (hash_len(h) == 0) {
		hash_free(h);
		return 0;
	}
	if (!object_put(server.store, c->db, key->ptr, key->len, STORE_HASH, h)) {
		hash_free(h);
		reply_error(c, ERR_OOM);
		return -1;
	}
	return 0;
}

/* Out of memory half-way through a write: keep what was done, reply. */
static void hash_fail(struct conn *c, const struct resp_arg *key, struct hash *h, bool fresh)
{
	if (hash_commit(c, key, h, fresh) == 0)
		reply_error(c, ERR_OOM);
}

/* HSET key field value [field value ...], and HMSET (+OK). */
static void hset_generic(struct conn *c, int argc, struct resp_arg *argv, bool hmset)
{
	long long created = 0;
	size_t maxlen = 0;
	struct hash *h;
	bool fresh;
	int r;

	if (argc % 2 == 1) {
		reply_errorf(c, "ERR wrong number of arguments for '%s' command",
			     hmset ? "hmset" : "hset");
		return;
	}
	h = hash_for_write(c, &argv[1], &fresh);
	if (!h)
		return;
	for (int i = 2; i < argc; i++)
		maxlen = argv[i].len > maxlen ? argv[i].len : maxlen;
	if (hash_prepare(h, maxlen) != 0) {
		hash_fail(c, &argv[1], h, fresh);
		return;
	}
	for (int i = 2; i < argc; i += 2) {
		r = hash_set(h, argv[i].ptr, argv[i].len, argv[i + 1].ptr, argv[i + 1].len);
		if (r < 0) {
			hash_fail(c, &argv[1], h, fresh);
			return;
		}
		created += r;
	}
	if (hash_commit(c, &argv[1], h, fresh) != 0)
		return;
	kevent_notify(KEV_HASH, "hset", c->db, argv[1].ptr, argv[1].len);
	if (hmset)
		reply_ok(c);
	else
		reply_int(c, created);
}

void cmd_hset(struct conn *c, int argc, struct resp_arg *argv)
{
	hset_generic(c, argc, argv, false);
}

void cmd_hmset(struct conn *c, int argc, struct resp_arg *argv)
{
	hset_generic(c, argc, argv, true);
}

void cmd_hsetnx(struct conn *c, int argc, struct resp_arg *argv)
{
	struct hash *h;
	const char *v;
	size_t vlen;
	bool fresh;

	(void)argc;
	if (!(h = hash_for_write(c, &argv[1], &fresh)))
		return;
	if (hash_get(h, argv[2].ptr, argv[2].len, &v, &vlen)) {
		reply_int(c, 0);
		return;
	}
	if (hash_prepare(h, argv[2].len > argv[3].len ? argv[2].len : argv[3].len) != 0 ||
	    hash_set(h, argv[2].ptr, argv[2].len, argv[3].ptr, argv[3].len) < 0) {
		hash_fail(c, &argv[1], h, fresh);
		return;
	}
	if (hash_commit(c, &argv[1], h, fresh) != 0)
		return;
	kevent_notify(KEV_HASH, "hset", c->db, argv[1].ptr, argv[1].len);
	reply_int(c, 1);
}

void cmd_hget(struct conn *c, int argc, struct resp_arg *argv)
{
	struct hash *h;
	const char *v;
	size_t vlen;

	(void)argc;
	if (hash_find(c, &argv[1], false, &h) != 0)
		return;
	if (h && hash_get(h, argv[2].ptr, argv[2].len, &v, &vlen))
		reply_bulk(c, v, vlen);
	else
		reply_nil(c);
}

void cmd_hmget(struct conn *c, int argc, struct resp_arg *argv)
{
	struct hash *h;
	const char *v;
	size_t vlen;

	if (hash_find(c, &argv[1], false, &h) != 0)
		return;
	reply_array(c, (size_t)argc - 2);
	for (int i = 2; i < argc; i++) {
		if (h && hash_get(h, argv[i].ptr, argv[i].len, &v, &vlen))
			reply_bulk(c, v, vlen);
		else
			reply_nil(c);
	}
}

/* HDEL key field [field ...]: a hash left empty is deleted ("hdel", then
 * "del", as Redis tells it). */
void cmd_hdel(struct conn *c, int argc, struct resp_arg *argv)
{
	long long deleted = 0;
	bool removed = false;
	struct hash *h;

	if (hash_find(c, &argv[1], true, &h) != 0)
		return;
	for (int i = 2; h && i < argc; i++) {
		deleted += hash_del(h, argv[i].ptr, argv[i].len);
		if (hash_len(h) == 0) {
			store_delete(server.store, c->db, argv[1].ptr, argv[1].len,
				     STORE_DEL_DELETED);
			removed = true;
			break;
		}
	}
	if (deleted) {
		if (!removed)
			store_touch(server.store, c->db, argv[1].ptr, argv[1].len);
		kevent_notify(KEV_HASH, "hdel", c->db, argv[1].ptr, argv[1].len);
		if (removed)
			kevent_notify(KEV_GENERIC, "del", c->db, argv[1].ptr, argv[1].len);
	}
	reply_int(c, deleted);
}

void cmd_hexists(struct conn *c, int argc, struct resp_arg *argv)
{
	struct hash *h;
	const char *v;
	size_t vlen;

	(void)argc;
	if (hash_find(c, &argv[1], false, &h) == 0)
		reply_int(c, h && hash_get(h, argv[2].ptr, argv[2].len, &v, &vlen));
}

void cmd_hlen(struct conn *c, int argc, struct resp_arg *argv)
{
	struct hash *h;

	(void)argc;
	if (hash_find(c, &argv[1], false, &h) == 0)
		reply_int(c, h ? (long long)hash_len(h) : 0);
}

void cmd_hstrlen(struct conn *c, int argc, struct resp_arg *argv)
{
	struct hash *h;
	const char *v;
	size_t vlen = 0;

	(void)argc;
	if (hash_find(c, &argv[1], false, &h) != 0)
		return;
	if (!h || !hash_get(h, argv[2].ptr, argv[2].len, &v, &vlen))
		vlen = 0;
	reply_int(c, (long long)vlen);
}

enum { WANT_FIELDS = 1, WANT_VALUES = 2 };

/* HKEYS, HVALS and HGETALL: every pair in the encoding's order. */
static void hgetall_generic(struct conn *c, const struct resp_arg *key, unsigned want)
{
	struct hash_iter it;
	struct hash_pair p;
	struct hash *h;

	if (hash_find(c, key, false, &h) != 0)
		return;
	if (!h) {
		reply_array(c, 0);
		return;
	}
	reply_array(c, hash_len(h) * (want == (WANT_FIELDS | WANT_VALUES) ? 2 : 1));
	hash_iter_init(&it, h);
	while (hash_iter_next(&it, &p)) {
		if (want & WANT_FIELDS)
			reply_bulk(c, p.f, p.flen);
		if (want & WANT_VALUES)
			reply_bulk(c, p.v, p.vlen);
	}
}

void cmd_hkeys(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	hgetall_generic(c, &argv[1], WANT_FIELDS);
}

void cmd_hvals(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	hgetall_generic(c, &argv[1], WANT_VALUES);
}

void cmd_hgetall(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	hgetall_generic(c, &argv[1], WANT_FIELDS | WANT_VALUES);
}

/* Writes field = v[0..n) into h under key (fresh: not in the keyspace
 * yet) and tells event. 0, or -1 having replied -OOM. */
static int hash_store(struct conn *c, const struct resp_arg *key, struct hash *h, bool fresh,
		      const struct resp_arg *field, const char *v, size_t n, const char *event)
{
	if (hash_set(h, field->ptr, field->len, v, n) < 0) {
		hash_fail(c, key, h, fresh);
		return -1;
	}
	if (hash_commit(c, key, h, fresh) != 0)
		return -1;
	kevent_notify(KEV_HASH, event, c->db, key->ptr, key->len);
	return 0;
}

/* HINCRBY key field increment: the field (0 if absent) must hold a 64-bit
 * decimal integer. */
void cmd_hincrby(struct conn *c, int argc, struct resp_arg *argv)
{
	long long by, v = 0;
	struct hash *h;
	const char *old;
	size_t olen;
	char buf[24];
	bool fresh;

	(void)argc;
	if (arg_ll(c, &argv[3], &by) != 0 || !(h = hash_for_write(c, &argv[1], &fresh)))
		return;
	if (hash_get(h, argv[2].ptr, argv[2].len, &old, &olen) &&
	    resp_parse_ll(old, olen, &v) != 0) {
		reply_error(c, "ERR hash value is not an integer");
		return;
	}
	if ((by < 0 && v < 0 && by < LLONG_MIN - v) || (by > 0 && v > 0 && by > LLONG_MAX - v)) {
		reply_error(c, ERR_OVERFLOW);
		return;
	}
	v += by;
	if (hash_store(c, &argv[1], h, fresh, &argv[2], buf, resp_ll_to_str(buf, v), "hincrby") == 0)
		reply_int(c, v);
}

/* HINCRBYFLOAT key field increment: long double arithmetic and Redis's
 * formatting, as INCRBYFLOAT. */
void cmd_hincrbyfloat(struct conn *c, int argc, struct resp_arg *argv)
{
	long double v = 0, by;
	char buf[LD_CHARS_MAX];
	struct hash *h;
	const char *old;
	size_t olen, n;
	bool fresh;

	(void)argc;
	if (arg_parse_ld(argv[3].ptr, argv[3].len, &by) != 0) {
		reply_error(c, "ERR value is not a valid float");
		return;
	}
	if (isnan(by) || isinf(by)) {
		reply_error(c, "ERR value is NaN or Infinity");
		return;
	}
	if (!(h = hash_for_write(c, &argv[1], &fresh)))
		return;
	if (hash_get(h, argv[2].ptr, argv[2].len, &old, &olen) &&
	    arg_parse_ld(old, olen, &v) != 0) {
		reply_error(c, "ERR hash value is not a float");
		return;
	}
	v += by;
	if (isnan(v) || isinf(v)) {
		if (fresh)
			hash_free(h);
		reply_error(c, "ERR increment would produce NaN or Infinity");
		return;
	}
	n = arg_format_ld(buf, v);
	if (hash_store(c, &argv[1], h, fresh, &argv[2], buf, n, "hincrbyfloat") == 0)
		reply_bulk(c, buf, n);
}

static void reply_pairs(struct conn *c, const struct hash_pair *p, size_t n, bool withvalues)
{
	for (size_t i = 0; i < n; i++) {
		reply_bulk(c, p[i].f, p[i].flen);
		if (withvalues)
			reply_bulk(c, p[i].v, p[i].vlen);
	}
}

/* HRANDFIELD key count [WITHVALUES], count parsed: Redis's cases. A
 * negative count samples with repeats, any number of times; a positive one
 * gives distinct fields, the whole hash when count reaches its size. */
static void hrandfield_count(struct conn *c, const struct resp_arg *key, long long count,
			     bool withvalues)
{
	unsigned long long want = count < 0 ? -(unsigned long long)count : (unsigned long long)count;
	struct hash_pair *p;
	struct hash *h;
	size_t len, n;

	if (hash_find(c, key, false, &h) != 0)
		return;
	if (!h || count == 0) {
		reply_array(c, 0);
		return;
	}
	len = hash_len(h);
	if (count > 0 && want >= len) {
		hgetall_generic(c, key, withvalues ? WANT_FIELDS | WANT_VALUES : WANT_FIELDS);
		return;
	}
	n = count < 0 ? (want < HRAND_BATCH ? (size_t)want : HRAND_BATCH) : (size_t)want;
	p = malloc(n * sizeof *p);
	if (!p || (count > 0 && hash_sample_unique(h, n, p) != 0)) {
		free(p);
		reply_error(c, ERR_OOM);
		return;
	}
	reply_array(c, (size_t)want * (withvalues ? 2 : 1));
	if (count > 0) {
		reply_pairs(c, p, n, withvalues);
	} else {
		/* A client closed for its output (a count of billions) stops
		 * the sampling, as Redis's CLIENT_CLOSE_ASAP does. */
		for (unsigned long long done = 0; done < want && !(c->flags & CONN_CLOSING);
		     done += n) {
			n = want - done < HRAND_BATCH ? (size_t)(want - done) : HRAND_BATCH;
			hash_sample_any(h, n, p);
			reply_pairs(c, p, n, withvalues);
		}
	}
	free(p);
}

/* HRANDFIELD key [count [WITHVALUES]] */
void cmd_hrandfield(struct conn *c, int argc, struct resp_arg *argv)
{
	struct hash_pair p;
	long long count;
	struct hash *h;

	if (argc >= 3) {
		if (arg_ll(c, &argv[2], &count) != 0)
			return;
		if (count == LLONG_MIN) {
			reply_error(c, ERR_RANGE_LONG);
			return;
		}
		if (argc > 4 || (argc == 4 && !arg_is(&argv[3], "withvalues"))) {
			reply_error(c, ERR_SYNTAX);
			return;
		}
		/* Redis bounds the count so that pairs * 2 fit a long. */
		if (argc == 4 && (count < -LLONG_MAX / 2 || count > LLONG_MAX / 2)) {
			reply_error(c, "ERR value is out of range");
			return;
		}
		hrandfield_count(c, &argv[1], count, argc == 4);
		return;
	}
	if (hash_find(c, &argv[1], false, &h) != 0)
		return;
	if (!h) {
		reply_nil(c);
		return;
	}
	hash_sample_any(h, 1, &p);
	reply_bulk(c, p.f, p.flen);
}

struct hscan_state {
	struct hash_pair *found;
	size_t n, cap;
	bool oom;
	const struct resp_arg *match;
};

static void hscan_collect_cb(void *ctx, const struct hash_pair *p)
{
	struct hscan_state *st = ctx;

	if (st->oom || (st->match && !keymatch_matches(st->match->ptr, st->match->len, p->f,
							p->flen, false)))
		return;
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 32;
		struct hash_pair *q = realloc(st->found, cap * sizeof *q);

		if (!q) {
			st->oom = true;
			return;
		}
		st->found = q;
		st->cap = cap;
	}
	st->found[st->n++] = *p;
}

/* HSCAN key cursor [MATCH pattern] [COUNT count]: as Redis, the cursor is
 * judged first, then the key, then the options. */
void cmd_hscan(struct conn *c, int argc, struct resp_arg *argv)
{
	struct hscan_state st = {0};
	long long count = HSCAN_COUNT_DEFAULT;
	uint64_t cursor;
	struct hash *h;
	char buf[24]; /* the next cursor, in decimal */

	if (arg_cursor(&argv[2], &cursor) != 0) {
		reply_error(c, "ERR invalid cursor");
		return;
	}
	if (hash_find(c, &argv[1], false, &h) != 0)
		return;
	if (!h) {
		reply_array(c, 2);
		reply_bulk(c, "0", 1);
		reply_array(c, 0);
		return;
	}
	for (int i = 3; i < argc; i += 2) {
		if (arg_is(&argv[i], "count") && i + 1 < argc) {
			if (arg_ll(c, &argv[i + 1], &count) != 0)
				return;
			if (count < 1) {
				reply_error(c, ERR_SYNTAX);
				return;
			}
		} else if (arg_is(&argv[i], "match") && i + 1 < argc) {
			st.match = &argv[i + 1];
		} else {
			reply_error(c, ERR_SYNTAX);
			return;
		}
	}
	cursor = hash_scan(h, cursor, (size_t)count, hscan_collect_cb, &st);
	if (st.oom) {
		free(st.found);
		reply_error(c, ERR_OOM);
		return;
	}
	reply_array(c, 2);
	reply_bulk(c, buf, (size_t)snprintf(buf, sizeof buf, "%llu", (unsigned long long)cursor));
	reply_array(c, 2 * st.n);
	reply_pairs(c, st.found, st.n, true);
	free(st.found);
}
