/* cmd_list.c - the list commands with Redis 7's syntax, replies and
 * errors: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LRANGE, LINDEX,
 * LSET, LREM, LTRIM, LINSERT, LPOS, LMOVE, RPOPLPUSH and LMPOP. The
 * blocking forms are cmd_list_block.c's; the object is list.c's.
 *
 * Every write notifies its event and calls store_touch (WATCH, and the
 * clients blocked on the key: block.c serves them after the command); a
 * command that empties a list deletes the key, as Redis never keeps one.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "client.h"
#include "cmd.h"
#include "cmd_args.h"
#include "cmd_list.h"
#include "entry.h"
#include "kevent.h"
#include "list.h"
#include "object.h"
#include "reply.h"
#include "server.h"
#include "store.h"

#define ERR_NO_KEY   "ERR no such key"
#define ERR_RANGE    "ERR index out of range"
#define ERR_POSITIVE "ERR value is out of range, must be positive"

/* ---- shared with cmd_list_block.c ------------------------------------------ */

struct list *list_find(struct conn *c, int db, const struct resp_arg *key, bool write,
                       bool *wrongtype)
{
	struct sentry *e = write ? store_find_write(server.store, db, key->ptr, key->len)
	                         : store_find(server.store, db, key->ptr, key->len);

	*wrongtype = e && e->type != STORE_LIST;
	if (*wrongtype) {
		reply_error(c, ERR_WRONGTYPE);
		return NULL;
	}
	return e ? sentry_object(e) : NULL;
}

/* A new empty list under key, or NULL having replied -OOM. */
static struct list *list_create(struct conn *c, int db, const struct resp_arg *key)
{
	struct list *l = list_new();

	if (l && object_put(server.store, db, key->ptr, key->len, STORE_LIST, l))
		return l;
	if (l)
		list_free(l);
	reply_error(c, ERR_OOM);
	return NULL;
}

/* After elements left l: notify, then delete the key if it is empty, else
 * maybe go back to a listpack. */
static void list_removed(int db, const struct resp_arg *key, struct list *l, const char *event)
{
	kevent_notify(KEV_LIST, event, db, key->ptr, key->len);
	if (list_len(l) == 0) {
		store_delete(server.store, db, key->ptr, key->len, STORE_DEL_DELETED);
		kevent_notify(KEV_GENERIC, "del", db, key->ptr, key->len);
		return;
	}
	list_shrunk(l);
	store_touch(server.store, db, key->ptr, key->len);
}

static void list_written(int db, const struct resp_arg *key, const char *event)
{
	kevent_notify(KEV_LIST, event, db, key->ptr, key->len);
	store_touch(server.store, db, key->ptr, key->len);
}

static void reply_elem(struct conn *c, const struct list_it *it)
{
	size_t len;
	const char *p = list_it_get(it, &len);

	reply_bulk(c, p, len);
}

void list_pop_reply(struct conn *c, int db, const struct resp_arg *key, struct list *l, bool head,
                    long long count, bool with_key)
{
	size_t n = count < 0 ? 1 : (size_t)count, len = list_len(l);
	struct list_it it;

	if (n > len)
		n = len;
	if (with_key) {
		reply_array(c, 2);
		reply_bulk(c, key->ptr, key->len);
	}
	if (count >= 0)
		reply_array(c, n);
	if (n > 0) {
		/* The elements in pop order: from the head forwards, or from the
		 * tail backwards. */
		list_seek(l, head ? 0 : len - 1, &it);
		for (size_t i = 0; i < n; i++) {
			reply_elem(c, &it);
			if (i + 1 < n)
				head ? list_it_next(&it) : list_it_prev(&it);
		}
		list_delete_range(l, head ? 0 : len - n, n);
	}
	list_removed(db, key, l, head ? "lpop" : "rpop");
}

void list_move_reply(struct conn *c, int db, const struct resp_arg *src, struct list *l,
                     const struct resp_arg *dst, bool from_head, bool to_head)
{
	struct list_it it;
	struct sentry *e;
	struct list *d;
	bool bad;
	size_t len;
	const char *p;
	char *val;

	d = list_find(c, db, dst, true, &bad);
	if (bad)
		return;
	if (!d && !(d = list_create(c, db, dst)))
		return;
	/* Making room for dst may have evicted src. */
	e = store_peek(server.store, db, src->ptr, src->len);
	if (!e || e->type != STORE_LIST || sentry_object(e) != l) {
		reply_nil(c);
		if (list_len(d) == 0)
			store_delete(server.store, db, dst->ptr, dst->len, STORE_DEL_DELETED);
		return;
	}
	list_seek(l, from_head ? 0 : list_len(l) - 1, &it);
	p = list_it_get(&it, &len);
	if (!(val = malloc(len ? len : 1))) {
		reply_error(c, ERR_OOM);
		return;
	}
	memcpy(val, p, len);
	/* Pop first, then push: the same key rotates its list in place. */
	list_delete_range(l, from_head ? 0 : list_len(l) - 1, 1);
	list_will_grow(d, len, 1);
	if (list_push(d, to_head, val, len) != 0) {
		reply_error(c, ERR_OOM);
		list_push(l, from_head, val, len); /* put it back if it fits */
	} else {
		reply_bulk(c, val, len);
		list_written(db, dst, to_head ? "lpush" : "rpush");
	}
	free(val);
	if (list_len(d) == 0)
		store_delete(server.store, db, dst->ptr, dst->len, STORE_DEL_DELETED);
	if (d != l)
		list_removed(db, src, l, from_head ? "lpop" : "rpop");
	else
		kevent_notify(KEV_LIST, from_head ? "lpop" : "rpop", db, src->ptr, src->len);
}

int list_arg_where(struct conn *c, const struct resp_arg *a, bool *head)
{
	if (arg_is(a, "left"))
		*head = true;
	else if (arg_is(a, "right"))
		*head = false;
	else {
		reply_error(c, ERR_SYNTAX);
		return -1;
	}
	return 0;
}

/* Redis's getRangeLongFromObjectOrReply with a message for both failures. */
static int arg_range(struct conn *c, const struct resp_arg *a, long long min, const char *msg,
                     long long *out)
{
	if (resp_parse_ll(a->ptr, a->len, out) != 0 || *out < min) {
		reply_error(c, msg);
		return -1;
	}
	return 0;
}

int list_arg_mpop(struct conn *c, int argc, struct resp_arg *argv, int numkeys_at,
                  long long *numkeys, bool *head, long long *count)
{
	long long where_at;

	if (arg_range(c, &argv[numkeys_at], 1, "ERR numkeys should be greater than 0", numkeys) !=
	    0)
		return -1;
	if (*numkeys > argc || (where_at = numkeys_at + *numkeys + 1) >= argc) {
		reply_error(c, ERR_SYNTAX);
		return -1;
	}
	if (list_arg_where(c, &argv[where_at], head) != 0)
		return -1;
	*count = -1;
	for (int j = (int)where_at + 1; j < argc; j++) {
		if (*count == -1 && arg_is(&argv[j], "count") && j + 1 < argc) {
			if (arg_range(c, &argv[++j], 1, "ERR count should be greater than 0",
			              count) != 0)
				return -1;
		} else {
			reply_error(c, ERR_SYNTAX);
			return -1;
		}
	}
	if (*count == -1)
		*count = 1;
	return 0;
}

int list_check_keys(struct conn *c, const struct resp_arg *keys, long long n)
{
	for (long long i = 0; i < n; i++) {
		if (!acl_key_is_visible(c, keys[i].ptr, keys[i].len)) {
			reply_error(c, "NOPERM No permissions to access a key");
			return -1;
		}
	}
	return 0;
}

/* ---- push ------------------------------------------------------------------- */

static void push(struct conn *c, int argc, struct resp_arg *argv, bool head, bool only_existing)
{
	struct list *l;
	size_t bytes = 0;
	bool bad;

	if (!(l = list_find(c, c->db, &argv[1], true, &bad))) {
		if (bad)
			return;
		if (only_existing) {
			reply_int(c, 0);
			return;
		}
		if (!(l = list_create(c, c->db, &argv[1])))
			return;
	}
	for (int i = 2; i < argc; i++)
		bytes += argv[i].len;
	list_will_grow(l, bytes, (size_t)(argc - 2));
	for (int i = 2; i < argc; i++) {
		if (list_push(l, head, argv[i].ptr, argv[i].len) != 0) {
			reply_error(c, ERR_OOM);
			break;
		}
		if (i == argc - 1)
			reply_int(c, (long long)list_len(l));
	}
	if (list_len(l) == 0) { /* a new list that got nothing: out of memory */
		store_delete(server.store, c->db, argv[1].ptr, argv[1].len, STORE_DEL_DELETED);
		return;
	}
	list_written(c->db, &argv[1], head ? "lpush" : "rpush");
}

void cmd_lpush(struct conn *c, int argc, struct resp_arg *argv)
{
	push(c, argc, argv, true, false);
}

void cmd_rpush(struct conn *c, int argc, struct resp_arg *argv)
{
	push(c, argc, argv, false, false);
}

void cmd_lpushx(struct conn *c, int argc, struct resp_arg *argv)
{
	push(c, argc, argv, true, true);
}

void cmd_rpushx(struct conn *c, int argc, struct resp_arg *argv)
{
	push(c, argc, argv, false, true);
}

/* ---- pop -------------------------------------------------------------------- */

/* LPOP/RPOP key [count]: a bulk (nil when absent) without count; with it
 * an array (a null array when absent, empty for count 0). */
static void pop(struct conn *c, int argc, struct resp_arg *argv, bool head)
{
	long long count = -1;
	struct list *l;
	bool bad;

	if (argc > 3) {
		reply_errorf(c, "ERR wrong number of arguments for '%s' command",
		             head ? "lpop" : "rpop");
		return;
	}
	if (argc == 3 && arg_range(c, &argv[2], 0, ERR_POSITIVE, &count) != 0)
		return;
	if (!(l = list_find(c, c->db, &argv[1], true, &bad))) {
		if (!bad)
			count < 0 ? reply_nil(c) : reply_raw(c, "*-1\r\n", 5);
		return;
	}
	if (count == 0) {
		reply_array(c, 0);
		return;
	}
	list_pop_reply(c, c->db, &argv[1], l, head, count, false);
}

void cmd_lpop(struct conn *c, int argc, struct resp_arg *argv)
{
	pop(c, argc, argv, true);
}

void cmd_rpop(struct conn *c, int argc, struct resp_arg *argv)
{
	pop(c, argc, argv, false);
}

void cmd_lmpop(struct conn *c, int argc, struct resp_arg *argv)
{
	long long numkeys, count;
	bool head, bad;

	if (list_arg_mpop(c, argc, argv, 1, &numkeys, &head, &count) != 0 ||
	    list_check_keys(c, &argv[2], numkeys) != 0)
		return;
	for (long long i = 0; i < numkeys; i++) {
		struct list *l = list_find(c, c->db, &argv[2 + i], true, &bad);

		if (bad)
			return;
		if (l) {
			list_pop_reply(c, c->db, &argv[2 + i], l, head, count, true);
			return;
		}
	}
	reply_raw(c, "*-1\r\n", 5);
}

/* ---- reads ------------------------------------------------------------------ */

void cmd_llen(struct conn *c, int argc, struct resp_arg *argv)
{
	struct list *l;
	bool bad;

	(void)argc;
	l = list_find(c, c->db, &argv[1], false, &bad);
	if (!bad)
		reply_int(c, l ? (long long)list_len(l) : 0);
}

/* Redis's start/stop normalisation (LRANGE, LTRIM): false when empty. */
static bool list_span(long long len, long long *start, long long *end)
{
	if (*start < 0)
		*start += len;
	if (*end < 0)
		*end += len;
	if (*start < 0)
		*start = 0;
	if (*start > *end || *start >= len)
		return false;
	if (*end >= len)
		*end = len - 1;
	return true;
}

void cmd_lrange(struct conn *c, int argc, struct resp_arg *argv)
{
	long long start, end;
	struct list_it it;
	struct list *l;
	bool bad;

	(void)argc;
	if (arg_ll(c, &argv[2], &start) != 0 || arg_ll(c, &argv[3], &end) != 0)
		return;
	if (!(l = list_find(c, c->db, &argv[1], false, &bad))) {
		if (!bad)
			reply_array(c, 0);
		return;
	}
	if (!list_span((long long)list_len(l), &start, &end)) {
		reply_array(c, 0);
		return;
	}
	reply_array(c, (size_t)(end - start + 1));
	list_seek(l, (size_t)start, &it);
	for (long long i = start; i <= end; i++) {
		reply_elem(c, &it);
		list_it_next(&it);
	}
}

/* An index argument against a list's length: the position, or -1. */
static long long list_index(long long i, size_t len)
{
	if (i < 0)
		i += (long long)len;
	return i >= 0 && i < (long long)len ? i : -1;
}

void cmd_lindex(struct conn *c, int argc, struct resp_arg *argv)
{
	long long i;
	struct list_it it;
	struct list *l;
	bool bad;

	(void)argc;
	if (!(l = list_find(c, c->db, &argv[1], false, &bad))) {
		if (!bad)
			reply_nil(c);
		return;
	}
	if (arg_ll(c, &argv[2], &i) != 0)
		return;
	if ((i = list_index(i, list_len(l))) < 0) {
		reply_nil(c);
		return;
	}
	list_seek(l, (size_t)i, &it);
	reply_elem(c, &it);
}

void cmd_lpos(struct conn *c, int argc, struct resp_arg *argv)
{
	long long rank = 1, count = -1, maxlen = 0, matches = 0, found = -1, n = 0, len, need;
	struct list_it it;
	struct list *l;
	bool bad, more;

	for (int j = 3; j < argc; j++) {
		bool has_value = j + 1 < argc;

		if (arg_is(&argv[j], "rank") && has_value) {
			if (arg_ll(c, &argv[++j], &rank) != 0)
				return;
			if (rank == 0) {
				reply_error(c,
				            "ERR RANK can't be zero: use 1 to start from the first "
				            "match, 2 from the second ... or use negative to start "
				            "from the end of the list");
				return;
			}
		} else if (arg_is(&argv[j], "count") && has_value) {
			if (arg_range(c, &argv[++j], 0, "ERR COUNT can't be negative", &count) != 0)
				return;
		} else if (arg_is(&argv[j], "maxlen") && has_value) {
			if (arg_range(c, &argv[++j], 0, "ERR MAXLEN can't be negative", &maxlen) !=
			    0)
				return;
		} else {
			reply_error(c, ERR_SYNTAX);
			return;
		}
	}
	if (!(l = list_find(c, c->db, &argv[1], false, &bad))) {
		if (!bad)
			count != -1 ? reply_array(c, 0) : reply_nil(c);
		return;
	}
	/* The matches' positions go to an array whose length is only known at
	 * the end: gather them first. */
	len = (long long)list_len(l);
	/* As Redis, RANK LLONG_MIN stays negative when negated: any match. */
	need = rank == LLONG_MIN ? 1 : llabs(rank);
	long long *pos = NULL, npos = 0, cap = 0;

	list_seek(l, rank > 0 ? 0 : (size_t)len - 1, &it);
	for (more = true; more && (maxlen == 0 || n < maxlen); n++) {
		if (list_it_eq(&it, argv[2].ptr, argv[2].len) && ++matches >= need) {
			found = rank > 0 ? n : len - n - 1;
			if (count == -1)
				break;
			if (npos == cap) {
				long long *p =
				    realloc(pos, (size_t)(cap = cap ? cap * 2 : 16) * sizeof *p);

				if (!p) {
					free(pos);
					reply_error(c, ERR_OOM);
					return;
				}
				pos = p;
			}
			pos[npos++] = found;
			if (count && npos >= count)
				break;
		}
		more = rank > 0 ? list_it_next(&it) : list_it_prev(&it);
	}
	if (count == -1) {
		found >= 0 ? reply_int(c, found) : reply_nil(c);
		return;
	}
	reply_array(c, (size_t)npos);
	for (long long i = 0; i < npos; i++)
		reply_int(c, pos[i]);
	free(pos);
}

/* ---- changes in place --------------------------------------------------------- */

void cmd_lset(struct conn *c, int argc, struct resp_arg *argv)
{
	long long i;
	struct list_it it;
	struct list *l;
	bool bad;

	(void)argc;
	if (!(l = list_find(c, c->db, &argv[1], true, &bad))) {
		if (!bad)
			reply_error(c, ERR_NO_KEY);
		return;
	}
	if (arg_ll(c, &argv[2], &i) != 0)
		return;
	list_will_grow(l, argv[3].len, 1);
	if ((i = list_index(i, list_len(l))) < 0) {
		reply_error(c, ERR_RANGE);
		return;
	}
	list_seek(l, (size_t)i, &it);
	if (list_it_replace(&it, argv[3].ptr, argv[3].len) != 0) {
		reply_error(c, ERR_OOM);
		return;
	}
	reply_ok(c);
	list_shrunk(l);
	list_written(c->db, &argv[1], "lset");
}

void cmd_lrem(struct conn *c, int argc, struct resp_arg *argv)
{
	long long count;
	unsigned long long removed = 0, limit;
	struct list_it it;
	struct list *l;
	bool bad, more;

	(void)argc;
	if (arg_ll(c, &argv[2], &count) != 0)
		return;
	/* 0 = all; Redis negates LLONG_MIN into itself, which also means all. */
	limit = count == LLONG_MIN ? 0 : (unsigned long long)llabs(count);
	if (!(l = list_find(c, c->db, &argv[1], true, &bad))) {
		if (!bad)
			reply_int(c, 0);
		return;
	}
	list_seek(l, count >= 0 ? 0 : list_len(l) - 1, &it);
	for (more = true; more && (limit == 0 || removed < limit);) {
		if (!list_it_eq(&it, argv[3].ptr, argv[3].len)) {
			more = count >= 0 ? list_it_next(&it) : list_it_prev(&it);
			continue;
		}
		removed++;
		if (count >= 0) {
			more = list_it_delete(&it);
		} else {
			/* Backwards: step back first, then delete what we left
			 * (a delete never moves what lies before it). */
			struct list_it gone = it;

			more = list_it_prev(&it);
			list_it_delete(&gone);
		}
	}
	reply_int(c, (long long)removed);
	if (removed)
		list_removed(c->db, &argv[1], l, "lrem");
}

void cmd_ltrim(struct conn *c, int argc, struct resp_arg *argv)
{
	long long start, end, len;
	struct list *l;
	bool bad;

	(void)argc;
	if (arg_ll(c, &argv[2], &start) != 0 || arg_ll(c, &argv[3], &end) != 0)
		return;
	if (!(l = list_find(c, c->db, &argv[1], true, &bad))) {
		if (!bad)
			reply_ok(c);
		return;
	}
	len = (long long)list_len(l);
	if (!list_span(len, &start, &end))
		start = len, end = len - 1; /* everything goes */
	list_delete_range(l, (size_t)end + 1, (size_t)(len - end - 1));
	list_delete_range(l, 0, (size_t)start);
	reply_ok(c);
	list_removed(c->db, &argv[1], l, "ltrim");
}

void cmd_linsert(struct conn *c, int argc, struct resp_arg *argv)
{
	struct list_it it;
	struct list *l;
	bool after, bad, more;

	(void)argc;
	if (arg_is(&argv[2], "after"))
		after = true;
	else if (arg_is(&argv[2], "before"))
		after = false;
	else {
		reply_error(c, ERR_SYNTAX);
		return;
	}
	if (!(l = list_find(c, c->db, &argv[1], true, &bad))) {
		if (!bad)
			reply_int(c, 0);
		return;
	}
	list_will_grow(l, argv[4].len, 1);
	list_seek(l, 0, &it);
	for (more = true; more; more = list_it_next(&it))
		if (list_it_eq(&it, argv[3].ptr, argv[3].len))
			break;
	if (!more) {
		reply_int(c, -1);
		return;
	}
	if (list_it_insert(&it, argv[4].ptr, argv[4].len, after) != 0) {
		reply_error(c, ERR_OOM);
		return;
	}
	reply_int(c, (long long)list_len(l));
	list_written(c->db, &argv[1], "linsert");
}

/* ---- moves ------------------------------------------------------------------ */

static void move(struct conn *c, struct resp_arg *argv, bool from_head, bool to_head)
{
	struct list *l;
	bool bad;

	if (!(l = list_find(c, c->db, &argv[1], true, &bad))) {
		if (!bad)
			reply_nil(c);
		return;
	}
	list_move_reply(c, c->db, &argv[1], l, &argv[2], from_head, to_head);
}

void cmd_lmove(struct conn *c, int argc, struct resp_arg *argv)
{
	bool from, to;

	(void)argc;
	if (list_arg_where(c, &argv[3], &from) != 0 || list_arg_where(c, &argv[4], &to) != 0)
		return;
	move(c, argv, from, to);
}

void cmd_rpoplpush(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	move(c, argv, false, true);
}
