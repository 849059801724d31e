/* cmd_keys.c - the keyspace family: DEL, EXISTS, TYPE, the TTL family and
 * SCAN, with Redis 7's syntax and replies.
 * Only the keyspace (store.h) is touched; locks and pools answer through
 * their type.
 */
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
#include "keymatch.h"
#include "reply.h"
#include "lock.h"
#include "server.h"
#include "store.h"
#include "waitq.h"

#define SCAN_COUNT_DEFAULT 10 /* buckets per SCAN call, as Redis */

static const char *type_name(const struct sentry *e)
{
	switch (e->type) {
	case STORE_LOCK:
		return "lock";
	case STORE_POOL:
		return "pool";
	default:
		return "string";
	}
}

void cmd_del(struct conn *c, int argc, struct resp_arg *argv)
{
	long long n = 0;

	if (keys_check_force(c, argc, argv, 1) != 0)
		return;
	for (int i = 1; i < argc; i++)
		n += store_delete(server.store, c->db, argv[i].ptr, argv[i].len,
				  STORE_DEL_DELETED);
	reply_int(c, n);
}

void cmd_exists(struct conn *c, int argc, struct resp_arg *argv)
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
	reply_simple(c, e ? type_name(e) : "none");
}

/* EXPIRE/PEXPIRE key time [NX|XX|GT|LT] */
static void expire_generic(struct conn *c, int argc, struct resp_arg *argv, bool seconds)
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
			reply_errorf(c, "ERR Unsupported option %.*s", (int)argv[i].len,
				     argv[i].ptr);
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
	if (arg_expire_any(c, &argv[2], seconds, false, seconds ? "expire" : "pexpire",
			   &deadline) != 0)
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
		store_delete_entry(server.store, c->db, e, STORE_DEL_EXPIRED);
	} else if (!store_set_expire(server.store, c->db, e, deadline)) {
		reply_error(c, ERR_OOM);
		return;
	}
	/* Waiters on this key time their wake-up by its TTL: re-arm. */
	waitq_wake(c->db, argv[1].ptr, argv[1].len);
	reply_int(c, 1);
}

void cmd_expire(struct conn *c, int argc, struct resp_arg *argv)
{
	expire_generic(c, argc, argv, true);
}

void cmd_pexpire(struct conn *c, int argc, struct resp_arg *argv)
{
	expire_generic(c, argc, argv, false);
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
	reply_int(c, seconds ? (left + 500) / 1000 : left);
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
	unsigned long long cursor = 0;
	char buf[24]; /* the next cursor, in decimal */
	size_t kept = 0;

	/* Cursors are unsigned 64-bit: parse them apart from signed numbers. */
	if (resp_parse_ull(argv[1].ptr, argv[1].len, ULLONG_MAX, &cursor) != 0) {
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
		if (type && !arg_is(type, type_name(e)))
			continue;
		st.found[kept++] = e;
	}
	reply_array(c, 2);
	reply_bulk(c, buf, (size_t)snprintf(buf, sizeof buf, "%llu", cursor));
	reply_array(c, kept);
	for (size_t i = 0; i < kept; i++)
		reply_bulk(c, sentry_key(st.found[i]), st.found[i]->klen);
	free(st.found);
}
