/* cmd_string.c - the string family with Redis 7's syntax, replies and
 * errors: GET, SET and its variants (SETNX, SETEX, PSETEX, GETSET, GETDEL,
 * GETEX), MGET, MSET, MSETNX, APPEND, SETRANGE, GETRANGE/SUBSTR, STRLEN,
 * the INCR family, INCRBYFLOAT and LCS.
 *
 * A lock key reads as its token through GET and MGET (shown to its holder
 * only); every other string command answers -WRONGTYPE on a lock or pool
 * and leaves it alone, so a held lock never changes owner or loses its TTL
 * by accident. Only SET (without NX), SETEX, PSETEX and MSET replace one,
 * as a forced release. Values change only through store_put() and
 * store_set_expire(), whose callers others watch (WATCH, waiters).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "clock.h"
#include "client.h"
#include "cmd.h"
#include "cmd_args.h"
#include "kevent.h"
#include "lock.h"
#include "reply.h"
#include "server.h"
#include "store.h"
#include "waitq.h"

#define ERR_BIG_STRING	"ERR string exceeds maximum allowed size (proto-max-bulk-len)"
#define ERR_NOT_FLOAT	"ERR value is not a valid float"

/* The options of SET and GETEX, as Redis parses them. */
enum {
	OPT_NX = 1 << 0,
	OPT_XX = 1 << 1,
	OPT_GET = 1 << 2,
	OPT_KEEPTTL = 1 << 3,
	OPT_PERSIST = 1 << 4,
	OPT_EX = 1 << 5,
	OPT_PX = 1 << 6,
	OPT_EXAT = 1 << 7,
	OPT_PXAT = 1 << 8,
};
#define OPT_EXPIRE (OPT_EX | OPT_PX | OPT_EXAT | OPT_PXAT)

/* Is option argument a the word w? As Redis, which compares options as C
 * strings, only the bytes before a NUL count ("nx\0junk" is NX). */
static bool opt_is(const struct resp_arg *a, const char *w)
{
	const char *nul = a->len ? memchr(a->ptr, '\0', a->len) : NULL;
	struct resp_arg head = {a->ptr, nul ? (size_t)(nul - a->ptr) : a->len};

	return arg_is(&head, w);
}

/* Redis's parseExtendedStringArgumentsOrReply: argv[from..] of SET (set)
 * or GETEX. A repeated time option is allowed and the last one counts
 * (SET k v EX 1 EX 2 is EX 2, as in Redis); two different ones, a time
 * with KEEPTTL or PERSIST, or NX with XX are a syntax error. */
static int string_opts(struct conn *c, int argc, struct resp_arg *argv, int from, bool set,
		       unsigned *opts, const struct resp_arg **when)
{
	static const struct {
		const char *word;
		unsigned opt;
	} units[] = {{"ex", OPT_EX}, {"px", OPT_PX}, {"exat", OPT_EXAT}, {"pxat", OPT_PXAT}};

	*opts = 0;
	*when = NULL;
	for (int i = from; i < argc; i++) {
		const struct resp_arg *a = &argv[i];
		unsigned u = 0;

		for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
			if (opt_is(a, units[k].word))
				u = units[k].opt;
		if (set && opt_is(a, "nx") && !(*opts & OPT_XX)) {
			*opts |= OPT_NX;
		} else if (set && opt_is(a, "xx") && !(*opts & OPT_NX)) {
			*opts |= OPT_XX;
		} else if (set && opt_is(a, "get")) {
			*opts |= OPT_GET;
		} else if (set && opt_is(a, "keepttl") && !(*opts & OPT_EXPIRE)) {
			*opts |= OPT_KEEPTTL;
		} else if (!set && opt_is(a, "persist") && !(*opts & OPT_EXPIRE)) {
			*opts |= OPT_PERSIST;
		} else if (u && i + 1 < argc &&
			   !(*opts & (OPT_KEEPTTL | OPT_PERSIST | (OPT_EXPIRE & ~u)))) {
			*opts |= u;
			*when = &argv[++i];
		} else {
			reply_error(c, ERR_SYNTAX);
			return -1;
		}
	}
	return 0;
}

/* The deadline of a SET or GETEX time option (see arg_expire_set). */
static int opts_deadline(struct conn *c, unsigned opts, const struct resp_arg *when,
			 const char *cmd, int64_t *deadline)
{
	return arg_expire_set(c, when, opts & (OPT_EX | OPT_EXAT), opts & (OPT_EXAT | OPT_PXAT), cmd,
			      deadline);
}

/* Redis's checkStringLength: may a string grow to have + add bytes? */
static int string_len_ok(struct conn *c, uint64_t have, uint64_t add)
{
	if (have + add < have || have + add > server.cfg.proto_max_bulk_len) {
		reply_error(c, ERR_BIG_STRING);
		return -1;
	}
	return 0;
}

/* The live string entry of key for a read, or NULL having replied: nil
 * when absent (or absent_reply's int when not negative), -WRONGTYPE for
 * a lock or pool. */
static struct sentry *string_find(struct conn *c, const struct resp_arg *key, bool write,
				  long long absent_reply)
{
	struct sentry *e = write ? store_find_write(server.store, c->db, key->ptr, key->len)
				 : store_find(server.store, c->db, key->ptr, key->len);

	if (!e) {
		if (absent_reply < 0)
			reply_nil(c);
		else
			reply_int(c, absent_reply);
		return NULL;
	}
	if (e->type != STORE_STRING) {
		reply_error(c, ERR_WRONGTYPE);
		return NULL;
	}
	return e;
}

/* GET on a lock: its token (a shared lock's oldest reader's), hidden from
 * other uids, so a Redis client's bool(GET k) means "locked". */
static void reply_lock_token(struct conn *c, struct sentry *e)
{
	const struct lock_hold *h = lock_oldest(e);

	acl_reply_token(c, h->h.uid, h->token, h->toklen);
}

void cmd_get(struct conn *c, int argc, struct resp_arg *argv)
{
	struct sentry *e = store_find(server.store, c->db, argv[1].ptr, argv[1].len);

	(void)argc;
	if (!e)
		reply_nil(c);
	else if (e->type == STORE_LOCK)
		reply_lock_token(c, e);
	else if (e->type != STORE_STRING)
		reply_error(c, ERR_WRONGTYPE);
	else
		reply_bulk(c, sentry_value(e), e->vlen);
}

/* Redis's setGenericCommand, behind SET, SETNX, SETEX and PSETEX: the
 * expire time, then GET's old value, then NX/XX, then the put. int_reply
 * answers :1/:0 (SETNX) instead of +OK/nil. */
static void set_generic(struct conn *c, struct resp_arg *key, struct resp_arg *val, unsigned opts,
			const struct resp_arg *when, const char *cmd, bool int_reply)
{
	int64_t expire = STORE_NO_EXPIRE;
	bool get = opts & OPT_GET;
	struct sentry *old;
	size_t mark;

	if (when && opts_deadline(c, opts, when, cmd, &expire) != 0)
		return;
	/* With GET this is a read too, counted in keyspace_hits/misses. */
	old = get ? store_find(server.store, c->db, key->ptr, key->len)
		  : store_find_write(server.store, c->db, key->ptr, key->len);
	if (get && old && old->type != STORE_STRING) {
		reply_error(c, ERR_WRONGTYPE);
		return;
	}
	/* Replacing another user's lock or pool would force-release it. */
	if (old && !(opts & OPT_NX) && acl_check_force(c, old) != 0)
		return;
	/* SET ... GET answers with the old value; write it before the put
	 * frees it, and take it back if the put fails. */
	mark = c->out.len;
	if (get) {
		if (old)
			reply_bulk(c, sentry_value(old), old->vlen);
		else
			reply_nil(c);
	}
	if (((opts & OPT_NX) && old) || ((opts & OPT_XX) && !old)) {
		if (int_reply)
			reply_int(c, 0);
		else if (!get)
			reply_nil(c);
		return;
	}
	if ((opts & OPT_KEEPTTL) && old)
		expire = sentry_expire(old);
	if (expire != STORE_NO_EXPIRE && expire <= clock_ms()) {
		/* An absolute time already past: the key is set and gone. A
		 * watcher hears what Redis tells: [new,] set, expire, expired. */
		if (!old)
			kevent_notify(KEV_NEW, "new", c->db, key->ptr, key->len);
		kevent_notify(KEV_STRING, "set", c->db, key->ptr, key->len);
		kevent_notify(KEV_GENERIC, "expire", c->db, key->ptr, key->len);
		if (!store_delete(server.store, c->db, key->ptr, key->len, STORE_DEL_EXPIRED))
			kevent_notify(KEV_EXPIRED, "expired", c->db, key->ptr, key->len);
	} else if (!store_put(server.store, c->db, key->ptr, key->len, val->ptr, val->len,
			      STORE_STRING, expire)) {
		c->out.len = mark;
		reply_error(c, ERR_OOM);
		return;
	} else {
		kevent_notify(KEV_STRING, "set", c->db, key->ptr, key->len);
		if (expire != STORE_NO_EXPIRE && !(opts & OPT_KEEPTTL))
			kevent_notify(KEV_GENERIC, "expire", c->db, key->ptr, key->len);
	}
	if (int_reply)
		reply_int(c, 1);
	else if (!get)
		reply_ok(c);
}

/* SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL] */
void cmd_set(struct conn *c, int argc, struct resp_arg *argv)
{
	const struct resp_arg *when;
	unsigned opts;

	if (string_opts(c, argc, argv, 3, true, &opts, &when) == 0)
		set_generic(c, &argv[1], &argv[2], opts, when, "set", false);
}

void cmd_setnx(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	set_generic(c, &argv[1], &argv[2], OPT_NX, NULL, "setnx", true);
}

void cmd_setex(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	set_generic(c, &argv[1], &argv[3], OPT_EX, &argv[2], "setex", false);
}

void cmd_psetex(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	set_generic(c, &argv[1], &argv[3], OPT_PX, &argv[2], "psetex", false);
}

/* GETSET key value: GET, then a SET that drops the TTL. */
void cmd_getset(struct conn *c, int argc, struct resp_arg *argv)
{
	size_t mark = c->out.len;
	struct sentry *e = store_find(server.store, c->db, argv[1].ptr, argv[1].len);

	(void)argc;
	if (e && e->type != STORE_STRING) {
		reply_error(c, ERR_WRONGTYPE);
		return;
	}
	if (e)
		reply_bulk(c, sentry_value(e), e->vlen);
	else
		reply_nil(c);
	if (!store_put(server.store, c->db, argv[1].ptr, argv[1].len, argv[2].ptr, argv[2].len,
		       STORE_STRING, STORE_NO_EXPIRE)) {
		c->out.len = mark;
		reply_error(c, ERR_OOM);
		return;
	}
	kevent_notify(KEV_STRING, "set", c->db, argv[1].ptr, argv[1].len);
}

void cmd_getdel(struct conn *c, int argc, struct resp_arg *argv)
{
	struct sentry *e = string_find(c, &argv[1], false, -1);

	(void)argc;
	if (!e)
		return;
	reply_bulk(c, sentry_value(e), e->vlen);
	store_delete_entry(server.store, c->db, e, STORE_DEL_DELETED);
	kevent_notify(KEV_GENERIC, "del", c->db, argv[1].ptr, argv[1].len);
}

/* GETEX key [EX s|PX ms|EXAT s|PXAT ms|PERSIST]: as Redis, a bad time is
 * judged only once the key is found to be a string. */
void cmd_getex(struct conn *c, int argc, struct resp_arg *argv)
{
	int64_t expire = STORE_NO_EXPIRE;
	const struct resp_arg *when;
	struct sentry *e;
	unsigned opts;
	size_t mark;

	if (string_opts(c, argc, argv, 2, false, &opts, &when) != 0)
		return;
	e = string_find(c, &argv[1], false, -1);
	if (!e)
		return;
	if (when && opts_deadline(c, opts, when, "getex", &expire) != 0)
		return;
	mark = c->out.len;
	reply_bulk(c, sentry_value(e), e->vlen);
	if (when && expire <= clock_ms()) {
		/* EXAT/PXAT in the past: Redis deletes the key. */
		store_delete_entry(server.store, c->db, e, STORE_DEL_DELETED);
		kevent_notify(KEV_GENERIC, "del", c->db, argv[1].ptr, argv[1].len);
		return;
	}
	if (!when && (!(opts & OPT_PERSIST) || sentry_expire(e) == STORE_NO_EXPIRE))
		return;
	if (!store_set_expire(server.store, c->db, e, expire)) {
		c->out.len = mark;
		reply_error(c, ERR_OOM);
		return;
	}
	kevent_notify(KEV_GENERIC, when ? "expire" : "persist", c->db, argv[1].ptr, argv[1].len);
	/* Lock waiters blocked by this key time their wake-up by its TTL. */
	waitq_wake(c->db, argv[1].ptr, argv[1].len);
}

void cmd_mget(struct conn *c, int argc, struct resp_arg *argv)
{
	reply_array(c, (size_t)argc - 1);
	for (int i = 1; i < argc; i++) {
		struct sentry *e = store_find(server.store, c->db, argv[i].ptr, argv[i].len);

		if (e && e->type == STORE_STRING)
			reply_bulk(c, sentry_value(e), e->vlen);
		else if (e && e->type == STORE_LOCK)
			reply_lock_token(c, e);
		else
			reply_nil(c);
	}
}

/* Puts MSET's and MSETNX's pairs; 0, or -1 having replied -OOM. */
static int mset_put(struct conn *c, int argc, struct resp_arg *argv)
{
	for (int i = 1; i < argc; i += 2) {
		if (!store_put(server.store, c->db, argv[i].ptr, argv[i].len, argv[i + 1].ptr,
			       argv[i + 1].len, STORE_STRING, STORE_NO_EXPIRE)) {
			reply_error(c, ERR_OOM);
			return -1;
		}
		kevent_notify(KEV_STRING, "set", c->db, argv[i].ptr, argv[i].len);
	}
	return 0;
}

void cmd_mset(struct conn *c, int argc, struct resp_arg *argv)
{
	if (argc % 2 == 0) {
		reply_error(c, "ERR wrong number of arguments for 'mset' command");
		return;
	}
	if (keys_check_force(c, argc, argv, 2) != 0)
		return;
	if (mset_put(c, argc, argv) == 0)
		reply_ok(c);
}

/* MSETNX: all or nothing; a lock or pool counts as an existing key. */
void cmd_msetnx(struct conn *c, int argc, struct resp_arg *argv)
{
	if (argc % 2 == 0) {
		reply_error(c, "ERR wrong number of arguments for 'msetnx' command");
		return;
	}
	for (int i = 1; i < argc; i += 2) {
		if (store_find_write(server.store, c->db, argv[i].ptr, argv[i].len)) {
			reply_int(c, 0);
			return;
		}
	}
	if (mset_put(c, argc, argv) == 0)
		reply_int(c, 1);
}

/* Writes key as the string e held (none if NULL), grown to len bytes (new
 * bytes zero) with patch over it at offset, keeping e's TTL. The new value
 * is built apart: the put frees e. 0, or -1 having replied -OOM. */
static int string_patch(struct conn *c, const struct resp_arg *key, struct sentry *e, size_t len,
			size_t offset, const void *patch, size_t plen)
{
	size_t olen = e ? e->vlen : 0;
	char *buf = malloc(len ? len : 1);
	struct sentry *put;

	if (!buf) {
		reply_error(c, ERR_OOM);
		return -1;
	}
	if (olen)
		memcpy(buf, sentry_value(e), olen < len ? olen : len);
	if (offset > olen)
		memset(buf + olen, 0, offset - olen);
	memcpy(buf + offset, patch, plen);
	put = store_put(server.store, c->db, key->ptr, key->len, buf, len, STORE_STRING,
			e ? sentry_expire(e) : STORE_NO_EXPIRE);
	free(buf);
	if (!put) {
		reply_error(c, ERR_OOM);
		return -1;
	}
	return 0;
}

void cmd_append(struct conn *c, int argc, struct resp_arg *argv)
{
	struct sentry *e = store_find_write(server.store, c->db, argv[1].ptr, argv[1].len);
	size_t olen;

	(void)argc;
	if (e && e->type != STORE_STRING) {
		reply_error(c, ERR_WRONGTYPE);
		return;
	}
	olen = e ? e->vlen : 0;
	/* A new key is the argument itself, which the protocol already bounds. */
	if (e && string_len_ok(c, olen, argv[2].len) != 0)
		return;
	if (string_patch(c, &argv[1], e, olen + argv[2].len, olen, argv[2].ptr, argv[2].len) != 0)
		return;
	kevent_notify(KEV_STRING, "append", c->db, argv[1].ptr, argv[1].len);
	reply_int(c, (long long)(olen + argv[2].len));
}

void cmd_setrange(struct conn *c, int argc, struct resp_arg *argv)
{
	const struct resp_arg *val = &argv[3];
	long long offset;
	struct sentry *e;
	size_t olen, end;

	(void)argc;
	if (arg_ll(c, &argv[2], &offset) != 0)
		return;
	if (offset < 0) {
		reply_error(c, "ERR offset is out of range");
		return;
	}
	e = store_find_write(server.store, c->db, argv[1].ptr, argv[1].len);
	if (e && e->type != STORE_STRING) {
		reply_error(c, ERR_WRONGTYPE);
		return;
	}
	olen = e ? e->vlen : 0;
	/* Writing nothing changes nothing, wherever the offset points. */
	if (val->len == 0) {
		reply_int(c, (long long)olen);
		return;
	}
	if (string_len_ok(c, (uint64_t)offset, val->len) != 0)
		return;
	end = (size_t)offset + val->len;
	if (string_patch(c, &argv[1], e, end > olen ? end : olen, (size_t)offset, val->ptr,
			 val->len) != 0)
		return;
	kevent_notify(KEV_STRING, "setrange", c->db, argv[1].ptr, argv[1].len);
	reply_int(c, (long long)(end > olen ? end : olen));
}

/* GETRANGE and SUBSTR key start end: Redis's arithmetic, including its
 * empty reply when both ends are negative and start > end. */
void cmd_getrange(struct conn *c, int argc, struct resp_arg *argv)
{
	long long start, end, len;
	struct sentry *e;

	(void)argc;
	if (arg_ll(c, &argv[2], &start) != 0 || arg_ll(c, &argv[3], &end) != 0)
		return;
	e = store_find(server.store, c->db, argv[1].ptr, argv[1].len);
	if (!e) {
		reply_bulk(c, "", 0);
		return;
	}
	if (e->type != STORE_STRING) {
		reply_error(c, ERR_WRONGTYPE);
		return;
	}
	len = e->vlen;
	if (start < 0 && end < 0 && start > end) {
		reply_bulk(c, "", 0);
		return;
	}
	if (start < 0)
		start = len + start < 0 ? 0 : len + start;
	if (end < 0)
		end = len + end < 0 ? 0 : len + end;
	if (end >= len)
		end = len - 1;
	if (start > end || len == 0)
		reply_bulk(c, "", 0);
	else
		reply_bulk(c, sentry_value(e) + start, (size_t)(end - start + 1));
}

void cmd_strlen(struct conn *c, int argc, struct resp_arg *argv)
{
	struct sentry *e = string_find(c, &argv[1], false, 0);

	(void)argc;
	if (e)
		reply_int(c, e->vlen);
}

static void incr_generic(struct conn *c, struct resp_arg *key, long long by)
{
	struct sentry *e = store_find_write(server.store, c->db, key->ptr, key->len);
	long long v = 0;
	char buf[24];
	size_t n;

	if (e && e->type != STORE_STRING) {
		reply_error(c, ERR_WRONGTYPE);
		return;
	}
	if (e && resp_parse_ll(sentry_value(e), e->vlen, &v) != 0) {
		reply_error(c, ERR_NOT_INT);
		return;
	}
	if ((by > 0 && v > LLONG_MAX - by) || (by < 0 && v < LLONG_MIN - by)) {
		reply_error(c, ERR_OVERFLOW);
		return;
	}
	v += by;
	n = resp_ll_to_str(buf, v);
	if (!store_put(server.store, c->db, key->ptr, key->len, buf, n, STORE_STRING,
		       e ? sentry_expire(e) : STORE_NO_EXPIRE)) {
		reply_error(c, ERR_OOM);
		return;
	}
	kevent_notify(KEV_STRING, "incrby", c->db, key->ptr, key->len);
	reply_int(c, v);
}

void cmd_incr(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	incr_generic(c, &argv[1], 1);
}

void cmd_decr(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	incr_generic(c, &argv[1], -1);
}

void cmd_incrby(struct conn *c, int argc, struct resp_arg *argv)
{
	long long by;

	(void)argc;
	if (arg_ll(c, &argv[2], &by) == 0)
		incr_generic(c, &argv[1], by);
}

void cmd_decrby(struct conn *c, int argc, struct resp_arg *argv)
{
	long long by;

	(void)argc;
	if (arg_ll(c, &argv[2], &by) != 0)
		return;
	if (by == LLONG_MIN) {
		reply_error(c, "ERR decrement would overflow");
		return;
	}
	incr_generic(c, &argv[1], -by);
}

void cmd_incrbyfloat(struct conn *c, int argc, struct resp_arg *argv)
{
	struct sentry *e = store_find_write(server.store, c->db, argv[1].ptr, argv[1].len);
	long double v = 0, by;
	char buf[LD_CHARS_MAX];
	size_t n;

	(void)argc;
	if (e && e->type != STORE_STRING) {
		reply_error(c, ERR_WRONGTYPE);
		return;
	}
	if ((e && arg_parse_ld(sentry_value(e), e->vlen, &v) != 0) ||
	    arg_parse_ld(argv[2].ptr, argv[2].len, &by) != 0) {
		reply_error(c, ERR_NOT_FLOAT);
		return;
	}
	v += by;
	if (isnan(v) || isinf(v)) {
		reply_error(c, "ERR increment would produce NaN or Infinity");
		return;
	}
	n = arg_format_ld(buf, v);
	if (!store_put(server.store, c->db, argv[1].ptr, argv[1].len, buf, n, STORE_STRING,
		       e ? sentry_expire(e) : STORE_NO_EXPIRE)) {
		reply_error(c, ERR_OOM);
		return;
	}
	kevent_notify(KEV_STRING, "incrbyfloat", c->db, argv[1].ptr, argv[1].len);
	reply_bulk(c, buf, n);
}

/* One common run LCS IDX reports: a[a0..a1] == b[b0..b1]. */
struct lcs_range {
	uint32_t a0, a1, b0, b1;
};

/* The LCS table of a and b: LCS_AT(dp, blen, i, j) is the LCS length of
 * a's first i and b's first j bytes. */
#define LCS_AT(dp, blen, i, j) (dp)[(size_t)(i) * ((size_t)(blen) + 1) + (j)]

static void lcs_table(uint32_t *dp, const char *a, uint32_t alen, const char *b, uint32_t blen)
{
	for (uint32_t i = 0; i <= alen; i++) {
		for (uint32_t j = 0; j <= blen; j++) {
			uint32_t up, left;

			if (i == 0 || j == 0) {
				LCS_AT(dp, blen, i, j) = 0;
			} else if (a[i - 1] == b[j - 1]) {
				LCS_AT(dp, blen, i, j) = LCS_AT(dp, blen, i - 1, j - 1) + 1;
			} else {
				up = LCS_AT(dp, blen, i - 1, j);
				left = LCS_AT(dp, blen, i, j - 1);
				LCS_AT(dp, blen, i, j) = up > left ? up : left;
			}
		}
	}
}

/* Walks the table back from the end as Redis does, writing the LCS into
 * out (if not NULL) and its runs of at least min bytes into ranges (if not
 * NULL; room for one per LCS byte), last run first. Returns the runs. */
static size_t lcs_walk(const uint32_t *dp, const char *a, uint32_t alen, const char *b,
		       uint32_t blen, char *out, struct lcs_range *ranges, long long min)
{
	uint32_t i = alen, j = blen, idx = LCS_AT(dp, blen, alen, blen);
	uint32_t a0 = alen, a1 = 0, b0 = 0, b1 = 0; /* a0 == alen: no run open */
	size_t n = 0;

	while (i > 0 && j > 0) {
		bool emit = false;

		if (a[i - 1] == b[j - 1]) {
			if (out)
				out[idx - 1] = a[i - 1];
			if (a0 == alen) {
				a0 = a1 = i - 1;
				b0 = b1 = j - 1;
			} else if (a0 == i && b0 == j) {
				a0--;
				b0--;
			} else {
				emit = true;
			}
			if (a0 == 0 || b0 == 0)
				emit = true;
			idx--;
			i--;
			j--;
		} else {
			if (LCS_AT(dp, blen, i - 1, j) > LCS_AT(dp, blen, i, j - 1))
				i--;
			else
				j--;
			if (a0 != alen)
				emit = true;
		}
		if (emit) {
			if (ranges && (min == 0 || a1 - a0 + 1 >= min))
				ranges[n++] = (struct lcs_range){a0, a1, b0, b1};
			a0 = alen;
		}
	}
	return n;
}

/* LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN] */
void cmd_lcs(struct conn *c, int argc, struct resp_arg *argv)
{
	struct sentry *ea = store_find(server.store, c->db, argv[1].ptr, argv[1].len);
	struct sentry *eb = store_find(server.store, c->db, argv[2].ptr, argv[2].len);
	bool getlen = false, getidx = false, withlen = false;
	struct lcs_range *ranges = NULL;
	long long min = 0;
	uint32_t alen, blen;
	const char *a, *b;
	uint64_t cells;
	uint32_t *dp;
	char *out;
	size_t n;

	if ((ea && ea->type != STORE_STRING) || (eb && eb->type != STORE_STRING)) {
		reply_error(c, "ERR The specified keys must contain string values");
		return;
	}
	for (int i = 3; i < argc; i++) {
		if (opt_is(&argv[i], "idx")) {
			getidx = true;
		} else if (opt_is(&argv[i], "len")) {
			getlen = true;
		} else if (opt_is(&argv[i], "withmatchlen")) {
			withlen = true;
		} else if (opt_is(&argv[i], "minmatchlen") && i + 1 < argc) {
			if (arg_ll(c, &argv[++i], &min) != 0)
				return;
			if (min < 0)
				min = 0;
		} else {
			reply_error(c, ERR_SYNTAX);
			return;
		}
	}
	if (getidx && getlen) {
		reply_error(c, "ERR If you want both the length and indexes, please just use IDX.");
		return;
	}
	a = ea ? sentry_value(ea) : "";
	b = eb ? sentry_value(eb) : "";
	alen = ea ? ea->vlen : 0;
	blen = eb ? eb->vlen : 0;
	/* The table is transient memory Redis bounds by proto-max-bulk-len. */
	cells = ((uint64_t)alen + 1) * ((uint64_t)blen + 1);
	if (cells * sizeof *dp > server.cfg.proto_max_bulk_len) {
		reply_error(c, "ERR Insufficient memory, transient memory for LCS exceeds "
			       "proto-max-bulk-len");
		return;
	}
	dp = malloc((size_t)cells * sizeof *dp);
	if (!dp) {
		reply_error(c, "ERR Insufficient memory, failed allocating transient memory for LCS");
		return;
	}
	lcs_table(dp, a, alen, b, blen);
	n = dp[cells - 1];
	out = getidx || getlen ? NULL : malloc(n ? n : 1);
	if (getidx)
		ranges = malloc((n ? n : 1) * sizeof *ranges);
	if ((!getidx && !getlen && !out) || (getidx && !ranges)) {
		reply_error(c, "ERR Insufficient memory, failed allocating transient memory for LCS");
	} else if (getlen) {
		reply_int(c, (long long)n);
	} else if (!getidx) {
		lcs_walk(dp, a, alen, b, blen, out, NULL, 0);
		reply_bulk(c, out, n);
	} else {
		size_t runs = lcs_walk(dp, a, alen, b, blen, NULL, ranges, min);

		/* RESP2 writes Redis's two-entry map as a flat array. */
		reply_array(c, 4);
		reply_bulk_cstr(c, "matches");
		reply_array(c, runs);
		for (size_t k = 0; k < runs; k++) {
			reply_array(c, withlen ? 3 : 2);
			reply_array(c, 2);
			reply_int(c, ranges[k].a0);
			reply_int(c, ranges[k].a1);
			reply_array(c, 2);
			reply_int(c, ranges[k].b0);
			reply_int(c, ranges[k].b1);
			if (withlen)
				reply_int(c, ranges[k].a1 - ranges[k].a0 + 1);
		}
		reply_bulk_cstr(c, "len");
		reply_int(c, (long long)n);
	}
	free(ranges);
	free(out);
	free(dp);
}
