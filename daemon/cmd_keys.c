/* cmd_keys.c - the keyspace family: DEL/UNLINK, EXISTS, TOUCH, TYPE, the
 * TTL family, KEYS, SCAN, RANDOMKEY, RENAME/RENAMENX, MOVE, COPY and SWAPDB,
 * with Redis 7's syntax and replies.
 * Only the keyspace (store.h) is touched; locks and pools answer through
 * their type, and are bound to their (db, key): they are never renamed,
 * moved, copied or swapped, only replaced as SET replaces them.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acl.h"
#include "clock.h"
#include "cmd.h"
#include "client.h"
#include "cmd_args.h"
#include "object.h"
#include "keymatch.h"
#include "kevent.h"
#include "reply.h"
#include "lock.h"
#include "server.h"
#include "store.h"
#include "waitq.h"

#define SCAN_COUNT_DEFAULT 10 /* buckets per SCAN call, as Redis */

#define ERR_SAME_OBJECT "ERR source and destination objects are the same"
#define ERR_DB_RANGE	"ERR DB index is out of range"
#define ERR_BOUND                                                                   \
	"WRONGTYPE Operation against a lock or pool: locks and pools cannot be renamed, " \
	"moved or copied"

void cmd_del(struct conn *c, int argc, struct resp_arg *argv)
{
	long long n = 0;

	if (keys_check_force(c, argc, argv, 1) != 0)
		return;
	for (int i = 1; i < argc; i++) {
		if (!store_delete(server.store, c->db, argv[i].ptr, argv[i].len, STORE_DEL_DELETED))
			continue;
		kevent_notify(KEV_GENERIC, "del", c->db, argv[i].ptr, argv[i].len);
		n++;
	}
	reply_int(c, n);
}

void cmd_exists(struct conn *c, int argc, struct resp_arg *argv)
{
	long long n = 0;

	for (int i = 1; i < argc; i++)
		n += store_find(server.store, c->db, argv[i].ptr, argv[i].len) != NULL;
	reply_int(c, n);
}

/* As EXISTS, but the keys count as used (LRU). */
void cmd_touch(struct conn *c, int argc, struct resp_arg *argv)
{
	long long n = 0;

	for (int i = 1; i < argc; i++)
		n += store_find(server.store, c->db, argv[i].ptr, argv[i].len) != NULL;
	reply_int(c, n);
}

void cmd_type(struct conn *c, int argc, struct resp_arg *argv)
{
	struct sentry *e = store_peek(server.store, c->db, argv[1].ptr, argv[1].len);

	(void)argc;
	reply_simple(c, e ? object_type_name(e) : "none");
}

/* Redis's "Unsupported option %s": the option as a C string, up to a NUL
 * (the writer turns CR and LF into spaces, as Redis does). */
static void reply_unsupported(struct conn *c, const struct resp_arg *opt)
{
	const char *nul = memchr(opt->ptr, '\0', opt->len);
	size_t n = nul ? (size_t)(nul - opt->ptr) : opt->len;

	reply_errorf(c, "ERR Unsupported option %.*s", (int)(n > INT_MAX ? INT_MAX : n), opt->ptr);
}

/* EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT key time [NX|XX|GT|LT] */
static void expire_generic(struct conn *c, int argc, struct resp_arg *argv, bool seconds,
			   bool absolute, const char *cmd)
{
	bool nx = false, xx = false, gt = false, lt = false;
	int64_t deadline, cur;
	struct sentry *e;

	for (int i = 3; i < argc; i++) {
		if (arg_is(&argv[i], "nx"))
			nx = true;
		else if (arg_is(&argv[i], "xx"))
			xx = true;
		else if (arg_is(&argv[i], "gt"))
			gt = true;
		else if (arg_is(&argv[i], "lt"))
			lt = true;
		else {
			reply_unsupported(c, &argv[i]);
			return;
		}
	}
	if (nx && (xx || gt || lt)) {
		reply_error(c, "ERR NX and XX, GT or LT options at the same time are not compatible");
		return;
	}
	if (gt && lt) {
		reply_error(c, "ERR GT and LT options at the same time are not compatible");
		return;
	}
	if (arg_expire_any(c, &argv[2], seconds, absolute, cmd, &deadline) != 0)
		return;
	e = store_find_write(server.store, c->db, argv[1].ptr, argv[1].len);
	if (!e) {
		reply_int(c, 0);
		return;
	}
	if (acl_check_force(c, e) != 0)
		return;
	/* A key without a TTL counts as an infinite TTL for GT and LT. */
	cur = sentry_expire(e);
	if ((nx && cur != STORE_NO_EXPIRE) || (xx && cur == STORE_NO_EXPIRE) ||
	    (gt && (cur == STORE_NO_EXPIRE || deadline <= cur)) ||
	    (lt && cur != STORE_NO_EXPIRE && deadline >= cur)) {
		reply_int(c, 0);
		return;
	}
	if (deadline <= clock_ms()) {
		/* A deletion by command, as Redis counts and reports it ("del",
		 * not "expired"; a lock on the key is forced, not expired). */
		store_delete_entry(server.store, c->db, e, STORE_DEL_DELETED);
		kevent_notify(KEV_GENERIC, "del", c->db, argv[1].ptr, argv[1].len);
	} else if (!store_set_expire(server.store, c->db, e, deadline)) {
		reply_error(c, ERR_OOM);
		return;
	} else {
		kevent_notify(KEV_GENERIC, "expire", c->db, argv[1].ptr, argv[1].len);
	}
	/* Waiters on this key time their wake-up by its TTL: re-arm. */
	waitq_wake(c->db, argv[1].ptr, argv[1].len);
	reply_int(c, 1);
}

void cmd_expire(struct conn *c, int argc, struct resp_arg *argv)
{
	expire_generic(c, argc, argv, true, false, "expire");
}

void cmd_pexpire(struct conn *c, int argc, struct resp_arg *argv)
{
	expire_generic(c, argc, argv, false, false, "pexpire");
}

void cmd_expireat(struct conn *c, int argc, struct resp_arg *argv)
{
	expire_generic(c, argc, argv, true, true, "expireat");
}

void cmd_pexpireat(struct conn *c, int argc, struct resp_arg *argv)
{
	expire_generic(c, argc, argv, false, true, "pexpireat");
}

/* ms to s, rounded to nearest as Redis's (ms + 500) / 1000, which its
 * compiler keeps exact even next to INT64_MAX: so is this. */
static int64_t ms_to_s_rounded(int64_t ms)
{
	if (ms < 0)
		return (ms + 500) / 1000;
	return ms / 1000 + (ms % 1000 >= 500);
}

static void ttl_generic(struct conn *c, struct resp_arg *key, bool seconds)
{
	struct sentry *e = store_peek(server.store, c->db, key->ptr, key->len);
	int64_t at, left;

	if (!e) {
		reply_int(c, -2);
		return;
	}
	at = sentry_expire(e);
	if (at == STORE_NO_EXPIRE) {
		reply_int(c, -1);
		return;
	}
	left = at - clock_ms();
	if (left < 0)
		left = 0;
	reply_int(c, seconds ? ms_to_s_rounded(left) : left);
}

void cmd_ttl(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	ttl_generic(c, &argv[1], true);
}

void cmd_pttl(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	ttl_generic(c, &argv[1], false);
}

/* EXPIRETIME/PEXPIRETIME: the absolute Unix time, as EXPIREAT/PXAT set it. */
static void expiretime_generic(struct conn *c, struct resp_arg *key, bool seconds)
{
	struct sentry *e = store_peek(server.store, c->db, key->ptr, key->len);
	int64_t at;

	if (!e) {
		reply_int(c, -2);
		return;
	}
	at = sentry_expire(e);
	if (at == STORE_NO_EXPIRE) {
		reply_int(c, -1);
		return;
	}
	at = deadline_to_unix_ms(at);
	reply_int(c, seconds ? ms_to_s_rounded(at) : at);
}

void cmd_expiretime(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	expiretime_generic(c, &argv[1], true);
}

void cmd_pexpiretime(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	expiretime_generic(c, &argv[1], false);
}

void cmd_persist(struct conn *c, int argc, struct resp_arg *argv)
{
	struct sentry *e = store_find_write(server.store, c->db, argv[1].ptr, argv[1].len);

	(void)argc;
	if (!e || sentry_expire(e) == STORE_NO_EXPIRE) {
		reply_int(c, 0);
		return;
	}
	if (acl_check_force(c, e) != 0)
		return;
	if (!store_set_expire(server.store, c->db, e, STORE_NO_EXPIRE)) {
		reply_error(c, ERR_OOM);
		return;
	}
	kevent_notify(KEV_GENERIC, "persist", c->db, argv[1].ptr, argv[1].len);
	reply_int(c, 1);
}

struct scan_state {
	struct sentry **found;
	size_t n, cap;
	bool oom;
};

static void scan_collect_cb(void *ctx, struct sentry *e)
{
	struct scan_state *st = ctx;

	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 32;
		struct sentry **p = realloc(st->found, cap * sizeof *p);

		if (!p) {
			st->oom = true;
			return;
		}
		st->found = p;
		st->cap = cap;
	}
	st->found[st->n++] = e;
}

/* SCAN cursor [MATCH pattern] [COUNT n] [TYPE type] */
void cmd_scan(struct conn *c, int argc, struct resp_arg *argv)
{
	const struct resp_arg *match = NULL, *type = NULL;
	struct scan_state st = {0};
	long long count = SCAN_COUNT_DEFAULT;
	uint64_t cursor = 0;
	char buf[24]; /* the next cursor, in decimal */
	size_t kept = 0;

	if (arg_scan_cursor(&argv[1], &cursor) != 0) {
		reply_error(c, "ERR invalid cursor");
		return;
	}
	for (int i = 2; i < argc; i += 2) {
		if (i + 1 >= argc) {
			reply_error(c, ERR_SYNTAX);
			return;
		}
		if (arg_is(&argv[i], "match")) {
			match = &argv[i + 1];
		} else if (arg_is(&argv[i], "count")) {
			if (arg_ll(c, &argv[i + 1], &count) != 0)
				return;
			if (count < 1) {
				reply_error(c, ERR_SYNTAX);
				return;
			}
		} else if (arg_is(&argv[i], "type")) {
			type = &argv[i + 1];
		} else {
			reply_error(c, ERR_SYNTAX);
			return;
		}
	}
	cursor = store_scan(server.store, c->db, cursor, (size_t)count, scan_collect_cb, &st);
	if (st.oom) {
		free(st.found);
		reply_error(c, ERR_OOM);
		return;
	}
	/* Filter in place, then answer. */
	for (size_t i = 0; i < st.n; i++) {
		struct sentry *e = st.found[i];

		if (match && !keymatch_matches(match->ptr, match->len, sentry_key(e), e->klen, false))
			continue;
		if (!acl_key_is_visible(c, sentry_key(e), e->klen))
			continue;
		if (type && !arg_is(type, object_type_name(e)))
			continue;
		st.found[kept++] = e;
	}
	reply_array(c, 2);
	reply_bulk(c, buf, (size_t)snprintf(buf, sizeof buf, "%llu", (unsigned long long)cursor));
	reply_array(c, kept);
	for (size_t i = 0; i < kept; i++)
		reply_bulk(c, sentry_key(st.found[i]), st.found[i]->klen);
	free(st.found);
}

/* KEYS pattern: every live key that matches and that c may see. */
void cmd_keys(struct conn *c, int argc, struct resp_arg *argv)
{
	struct scan_state st = {0};
	uint64_t cursor = 0;
	size_t kept = 0;

	(void)argc;
	/* One command, no change in between: each key is met exactly once. */
	do
		cursor = store_scan(server.store, c->db, cursor, SIZE_MAX, scan_collect_cb, &st);
	while (cursor != 0 && !st.oom);
	if (st.oom) {
		free(st.found);
		reply_error(c, ERR_OOM);
		return;
	}
	for (size_t i = 0; i < st.n; i++) {
		struct sentry *e = st.found[i];

		if (keymatch_matches(argv[1].ptr, argv[1].len, sentry_key(e), e->klen, false) &&
		    acl_key_is_visible(c, sentry_key(e), e->klen))
			st.found[kept++] = e;
	}
	reply_array(c, kept);
	for (size_t i = 0; i < kept; i++)
		reply_bulk(c, sentry_key(st.found[i]), st.found[i]->klen);
	free(st.found);
}

void cmd_randomkey(struct conn *c, int argc, struct resp_arg *argv)
{
	struct sentry *e = store_random(server.store, c->db);

	(void)argc;
	(void)argv;
	if (e)
		reply_bulk(c, sentry_key(e), e->klen);
	else
		reply_nil(c);
}

/* A database index argument (MOVE, COPY ... DB): Redis's int, then its
 * range. 0, or -1 having replied. */
static int arg_db(struct conn *c, const struct resp_arg *arg, int *db)
{
	long long v;

	if (arg_ll(c, arg, &v) != 0)
		return -1;
	if (v < INT_MIN || v > INT_MAX) {
		reply_error(c, "ERR value is out of range, value must between -2147483648 and "
			       "2147483647");
		return -1;
	}
	if (v < 0 || v >= STORE_DBS) {
		reply_error(c, ERR_DB_RANGE);
		return -1;
	}
	*db = (int)v;
	return 0;
}

static bool same_key(const struct resp_arg *a, const struct resp_arg *b)
{
	return a->len == b->len && memcmp(a->ptr, b->ptr, a->len) == 0;
}

/* RENAME/RENAMENX key newkey. The TTL goes with the value. A lock or pool
 * under newkey is replaced as SET replaces it (RENAME only). */
static void rename_generic(struct conn *c, struct resp_arg *argv, bool nx)
{
	struct sentry *src, *dst;

	src = store_find_write(server.store, c->db, argv[1].ptr, argv[1].len);
	if (!src) {
		reply_error(c, "ERR no such key");
		return;
	}
	if (!store_type_is_data(src->type)) {
		reply_error(c, ERR_BOUND);
		return;
	}
	if (same_key(&argv[1], &argv[2])) {
		if (nx)
			reply_int(c, 0);
		else
			reply_ok(c);
		return;
	}
	/* Another key's lookup may delete that key (expired), never src. */
	dst = store_find_write(server.store, c->db, argv[2].ptr, argv[2].len);
	if (dst && nx) {
		reply_int(c, 0);
		return;
	}
	if (dst && acl_check_force(c, dst) != 0)
		return;
	if (store_rename(server.store, c->db, src, c->db, argv[2].ptr, argv[2].len) != 0) {
		reply_error(c, ERR_OOM);
		return;
	}
	kevent_notify(KEV_GENERIC, "rename_from", c->db, argv[1].ptr, argv[1].len);
	kevent_notify(KEV_GENERIC, "rename_to", c->db, argv[2].ptr, argv[2].len);
	if (nx)
		reply_int(c, 1);
	else
		reply_ok(c);
}

void cmd_rename(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	rename_generic(c, argv, false);
}

void cmd_renamenx(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	rename_generic(c, argv, true);
}

/* MOVE key db: only onto a free name; the TTL goes with the value. */
void cmd_move(struct conn *c, int argc, struct resp_arg *argv)
{
	struct sentry *src;
	int db;

	(void)argc;
	if (arg_db(c, &argv[2], &db) != 0)
		return;
	if (db == c->db) {
		reply_error(c, ERR_SAME_OBJECT);
		return;
	}
	src = store_find_write(server.store, c->db, argv[1].ptr, argv[1].len);
	if (!src) {
		reply_int(c, 0);
		return;
	}
	if (!store_type_is_data(src->type)) {
		reply_error(c, ERR_BOUND);
		return;
	}
	if (store_find_write(server.store, db, argv[1].ptr, argv[1].len)) {
		reply_int(c, 0);
		return;
	}
	if (store_rename(server.store, c->db, src, db, argv[1].ptr, argv[1].len) != 0) {
		reply_error(c, ERR_OOM);
		return;
	}
	kevent_notify(KEV_GENERIC, "move_from", c->db, argv[1].ptr, argv[1].len);
	kevent_notify(KEV_GENERIC, "move_to", db, argv[1].ptr, argv[1].len);
	reply_int(c, 1);
}

/* Puts a copy of the data entry src, with its TTL, under key in db: 0, or
 * -1 when out of memory or over maxmemory (nothing changed). */
static int copy_entry(struct sentry *src, int db, const struct resp_arg *key)
{
	const struct obj_type *t = object_type(src->type);
	int64_t expire = sentry_expire(src);
	struct sentry *e;
	void *obj;

	/* store_put copies the value before it may evict anything, src too. */
	if (!t)
		return store_put(server.store, db, key->ptr, key->len, sentry_value(src), src->vlen,
				 STORE_STRING, expire)
			       ? 0
			       : -1;
	/* Eviction may free src's object: copy it first. */
	obj = t->dup(sentry_object(src));
	if (!obj)
		return -1;
	e = object_put(server.store, db, key->ptr, key->len, src->type, obj);
	if (!e) {
		t->free(obj);
		return -1;
	}
	if (expire != STORE_NO_EXPIRE && !store_set_expire(server.store, db, e, expire)) {
		store_delete_entry(server.store, db, e, STORE_DEL_DELETED);
		return -1;
	}
	return 0;
}

/* COPY source destination [DB db] [REPLACE] */
void cmd_copy(struct conn *c, int argc, struct resp_arg *argv)
{
	bool replace = false;
	struct sentry *src, *dst;
	int db = c->db;

	for (int i = 3; i < argc; i++) {
		if (arg_is(&argv[i], "replace")) {
			replace = true;
		} else if (arg_is(&argv[i], "db") && i + 1 < argc) {
			if (arg_db(c, &argv[++i], &db) != 0)
				return;
		} else {
			reply_error(c, ERR_SYNTAX);
			return;
		}
	}
	if (db == c->db && same_key(&argv[1], &argv[2])) {
		reply_error(c, ERR_SAME_OBJECT);
		return;
	}
	src = store_find(server.store, c->db, argv[1].ptr, argv[1].len);
	if (!src) {
		reply_int(c, 0);
		return;
	}
	if (!store_type_is_data(src->type)) {
		reply_error(c, ERR_BOUND);
		return;
	}
	/* Another key's lookup may delete that key (expired), never src. */
	dst = store_find_write(server.store, db, argv[2].ptr, argv[2].len);
	if (dst && !replace) {
		reply_int(c, 0);
		return;
	}
	if (dst && acl_check_force(c, dst) != 0)
		return;
	if (copy_entry(src, db, &argv[2]) != 0) {
		reply_error(c, ERR_OOM);
		return;
	}
	/* Redis deletes a replaced destination and adds it anew. */
	if (dst)
		kevent_notify(KEV_NEW, "new", db, argv[2].ptr, argv[2].len);
	kevent_notify(KEV_GENERIC, "copy_to", db, argv[2].ptr, argv[2].len);
	reply_int(c, 1);
}

/* SWAPDB index1 index2, in O(1). Refused while either database holds a lock
 * or pool or has waiters: those are bound to their (db, key). */
void cmd_swapdb(struct conn *c, int argc, struct resp_arg *argv)
{
	const char *what[2] = {"ERR invalid first DB index", "ERR invalid second DB index"};
	long long id[2];

	(void)argc;
	for (int i = 0; i < 2; i++) {
		if (resp_parse_ll(argv[i + 1].ptr, argv[i + 1].len, &id[i]) != 0 ||
		    id[i] < INT_MIN || id[i] > INT_MAX) {
			reply_error(c, what[i]);
			return;
		}
	}
	for (int i = 0; i < 2; i++) {
		if (id[i] < 0 || id[i] >= STORE_DBS) {
			reply_error(c, ERR_DB_RANGE);
			return;
		}
	}
	if (id[0] == id[1]) {
		reply_ok(c);
		return;
	}
	for (int i = 0; i < 2; i++) {
		if (store_owned(server.store, (int)id[i]) || waitq_db_waiting((int)id[i])) {
			reply_errorf(c, "ERR SWAPDB refused: database %lld holds locks, pools or waiters",
				     id[i]);
			return;
		}
	}
	store_swapdb(server.store, (int)id[0], (int)id[1]);
	reply_ok(c);
}
