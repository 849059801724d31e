/* cmd_zset_block.c - BZPOPMIN and BZPOPMAX, with Redis 7's syntax, replies
 * and errors, on the block-on-keys facility the list pops use (block.c).
 *
 * Each key is tried in argument order: the first that holds a sorted set
 * is popped at once (a key of another type answers -WRONGTYPE, as Redis
 * checks each key before blocking); with none, the client blocks on them
 * all and is served, in the order clients blocked, when one gets a member.
 * Inside MULTI nothing blocks: the reply is the timeout's null array.
 */
#include <stdlib.h>

#include "block.h"
#include "client.h"
#include "cmd.h"
#include "cmd_args.h"
#include "cmd_zset.h"
#include "multi.h"
#include "reply.h"

static bool bzpop_ready(const struct blocked *b, int db, const char *key, size_t klen)
{
	(void)b;
	return zset_key_is_nonempty(db, key, klen);
}

static void bzpopmin_serve(struct blocked *b, int db, const char *key, size_t klen)
{
	zset_pop_reply(block_conn(b), db, key, klen, false);
}

static void bzpopmax_serve(struct blocked *b, int db, const char *key, size_t klen)
{
	zset_pop_reply(block_conn(b), db, key, klen, true);
}

static void bzpop_timeout(struct blocked *b)
{
	reply_raw(block_conn(b), "*-1\r\n", 5); /* a null array */
}

/* One kind per end; they keep no state. */
static const struct block_kind bzpop_kind[2] = {
    {.name = "zset", .ready = bzpop_ready, .serve = bzpopmin_serve, .timeout = bzpop_timeout},
    {.name = "zset", .ready = bzpop_ready, .serve = bzpopmax_serve, .timeout = bzpop_timeout},
};

static void bzpop_generic(struct conn *c, int argc, struct resp_arg *argv, bool max)
{
	const struct resp_arg *keys = &argv[1];
	int nkeys = argc - 2;
	int64_t ms;

	if (arg_timeout(c, &argv[argc - 1], &ms) != 0)
		return;
	for (int i = 0; i < nkeys; i++) {
		struct zset *z;
		int found = zcmd_find(c, &keys[i], true, &z);

		if (found < 0)
			return;
		if (found > 0) {
			zset_pop_reply(c, c->db, keys[i].ptr, keys[i].len, max);
			return;
		}
	}
	if (multi_in_exec(c)) {
		reply_raw(c, "*-1\r\n", 5);
		return;
	}
	if (block_add(c, &bzpop_kind[max], NULL, c->db, keys, nkeys, ms) != 0)
		reply_error(c, ERR_OOM);
}

void cmd_bzpopmin(struct conn *c, int argc, struct resp_arg *argv)
{
	bzpop_generic(c, argc, argv, false);
}

void cmd_bzpopmax(struct conn *c, int argc, struct resp_arg *argv)
{
	bzpop_generic(c, argc, argv, true);
}
