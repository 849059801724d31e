/* cmd_list_block.c - the blocking list commands: BLPOP, BRPOP, BLMOVE,
 * BRPOPLPUSH and BLMPOP, with Redis 7's syntax, replies and errors.
 *
 * Each first tries its non-blocking form on the keys in argument order;
 * with nothing to take it blocks (block.c) with the list kind below, which
 * serves it exactly as that form would once a key holds a list. Inside
 * MULTI or a script nothing blocks: the reply is the timeout's.
 */
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "client.h"
#include "cmd_args.h"
#include "cmd.h"
#include "cmd_list.h"
#include "entry.h"
#include "multi.h"
#include "reply.h"
#include "server.h"
#include "store.h"

/* What a blocked pop will do once served. */
struct bpop {
	bool head;       /* pop from the head (LEFT) */
	long long count; /* BLMPOP's COUNT; -1 for BLPOP/BRPOP's reply shape */
	bool move;       /* BLMOVE/BRPOPLPUSH: push to dst */
	bool to_head;
	struct resp_arg dst; /* its ptr owned */
};

static void bpop_free(void *state)
{
	struct bpop *p = state;

	if (!p)
		return;
	free((char *)p->dst.ptr);
	free(p);
}

static bool bpop_ready(const struct blocked *b, int db, const char *key, size_t klen)
{
	struct sentry *e = store_peek(server.store, db, key, klen);

	(void)b;
	return e && e->type == STORE_LIST;
}

/* Serves from a list that exists: what the command does when it need not block. */
static void bpop_take(struct conn *c, const struct bpop *p, int db, const struct resp_arg *key,
                      struct list *l)
{
	if (p->move)
		list_move_reply(c, db, key, l, &p->dst, p->head, p->to_head);
	else
		list_pop_reply(c, db, key, l, p->head, p->count, true);
}

static void bpop_serve(struct blocked *b, int db, const char *key, size_t klen)
{
	struct resp_arg k = {key, klen};
	struct sentry *e = store_peek(server.store, db, key, klen);

	bpop_take(block_conn(b), block_state(b), db, &k, sentry_object(e));
}

static void bpop_reply_timeout(struct conn *c, const struct bpop *p)
{
	if (p->move)
		reply_nil(c);
	else
		reply_raw(c, "*-1\r\n", 5); /* a null array */
}

static void bpop_timeout(struct blocked *b)
{
	bpop_reply_timeout(block_conn(b), block_state(b));
}

static const struct block_kind bpop_kind = {
    .name = "list",
    .ready = bpop_ready,
    .serve = bpop_serve,
    .timeout = bpop_timeout,
    .free = bpop_free,
};

/* Serves p from the first of keys holding a list, or blocks on them all
 * (takes p). */
static void bpop_generic(struct conn *c, const struct resp_arg *keys, int nkeys, int64_t ms,
                         struct bpop *p)
{
	for (int i = 0; i < nkeys; i++) {
		bool bad;
		struct list *l = list_find(c, c->db, &keys[i], true, &bad);

		if (bad || l) {
			if (l)
				bpop_take(c, p, c->db, &keys[i], l);
			bpop_free(p);
			return;
		}
	}
	if (multi_in_exec(c)) {
		bpop_reply_timeout(c, p);
		bpop_free(p);
		return;
	}
	if (block_add(c, &bpop_kind, p, c->db, keys, nkeys, ms) != 0)
		reply_error(c, ERR_OOM);
}

static struct bpop *bpop_new(struct conn *c, bool head, long long count)
{
	struct bpop *p = calloc(1, sizeof *p);

	if (!p) {
		reply_error(c, ERR_OOM);
		return NULL;
	}
	p->head = head;
	p->count = count;
	return p;
}

static void bpop_cmd(struct conn *c, int argc, struct resp_arg *argv, bool head)
{
	int64_t ms;
	struct bpop *p;

	if (arg_timeout(c, &argv[argc - 1], &ms) != 0 || !(p = bpop_new(c, head, -1)))
		return;
	bpop_generic(c, &argv[1], argc - 2, ms, p);
}

void cmd_blpop(struct conn *c, int argc, struct resp_arg *argv)
{
	bpop_cmd(c, argc, argv, true);
}

void cmd_brpop(struct conn *c, int argc, struct resp_arg *argv)
{
	bpop_cmd(c, argc, argv, false);
}

void cmd_blmpop(struct conn *c, int argc, struct resp_arg *argv)
{
	long long numkeys, count;
	int64_t ms;
	bool head;
	struct bpop *p;

	if (list_arg_mpop(c, argc, argv, 2, &numkeys, &head, &count) != 0 ||
	    list_check_keys(c, &argv[3], numkeys) != 0 || arg_timeout(c, &argv[1], &ms) != 0 ||
	    !(p = bpop_new(c, head, count)))
		return;
	bpop_generic(c, &argv[3], (int)numkeys, ms, p);
}

static void bmove(struct conn *c, struct resp_arg *argv, const struct resp_arg *timeout,
                  bool from_head, bool to_head)
{
	int64_t ms;
	struct bpop *p;
	char *dst;

	if (arg_timeout(c, timeout, &ms) != 0 || !(p = bpop_new(c, from_head, -1)))
		return;
	if (!(dst = malloc(argv[2].len ? argv[2].len : 1))) {
		bpop_free(p);
		reply_error(c, ERR_OOM);
		return;
	}
	memcpy(dst, argv[2].ptr, argv[2].len);
	p->move = true;
	p->to_head = to_head;
	p->dst.ptr = dst;
	p->dst.len = argv[2].len;
	bpop_generic(c, &argv[1], 1, ms, p);
}

void cmd_blmove(struct conn *c, int argc, struct resp_arg *argv)
{
	bool from, to;

	(void)argc;
	if (list_arg_where(c, &argv[3], &from) != 0 || list_arg_where(c, &argv[4], &to) != 0)
		return;
	bmove(c, argv, &argv[5], from, to);
}

void cmd_brpoplpush(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	bmove(c, argv, &argv[3], false, true);
}
