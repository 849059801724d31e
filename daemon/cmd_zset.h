/* cmd_zset.h - what the sorted-set command files (cmd_zset.c, the
 * single-member and pop commands; cmd_zrange.c, the range commands;
 * cmd_zset_block.c, BZPOPMIN and BZPOPMAX) share:
 * key lookup, the score and range parsers, and what a write must do after.
 */
#ifndef CACHIFY_CMD_ZSET_H
#define CACHIFY_CMD_ZSET_H

#include <stdbool.h>

#include "resp.h"
#include "zset.h"

struct conn;

#define ERR_NOT_FLOAT	 "ERR value is not a valid float"
#define ERR_RANGE_FLOAT	 "ERR min or max is not a float"
#define ERR_RANGE_LEX	 "ERR min or max not valid string range item"

/* The sorted set at key: 1 with *z set, 0 when absent, -1 having replied
 * -WRONGTYPE (any other type). write: looked up for a write. */
int zcmd_find(struct conn *c, const struct resp_arg *key, bool write, struct zset **z);

/* A score argument as Redis's getDoubleFromObject reads it (the whole
 * argument, no leading blank, no NaN, no overflow): 0, or -1 having
 * replied ERR_NOT_FLOAT. */
int zcmd_score(struct conn *c, const struct resp_arg *a, double *out);
/* Score and lex interval ends as Redis's zslParseRange and
 * zslParseLexRange read them: 0, or -1 (nothing replied). The lex range
 * points into the arguments. */
int zcmd_score_range(const struct resp_arg *min, const struct resp_arg *max,
		     struct zset_score_range *r);
int zcmd_lex_range(const struct resp_arg *min, const struct resp_arg *max,
		   struct zset_lex_range *r);

/* After an in-place write of z at key: sends event (class z), then, if z
 * is now empty, deletes the key and sends "del"; else touches the key
 * (WATCH). */
void zcmd_written(struct conn *c, const struct resp_arg *key, struct zset *z, const char *event);

/* For BZPOPMIN/BZPOPMAX: does (db, key) hold a sorted set (then non-empty,
 * as an empty one never stays)? */
bool zset_key_is_nonempty(int db, const void *key, size_t klen);
/* Pops the lowest (max: highest) member of the zset at (db, key), which
 * must be non-empty, and replies BZPOP's *3 [key, member, score] to c;
 * sends "zpopmin"/"zpopmax" (and "del" when the set empties, deleting the
 * key) and touches the key for WATCH. */
void zset_pop_reply(struct conn *c, int db, const void *key, size_t klen, bool max);

/* Replies a score as a bulk string ("%.17g", "inf", "-inf"). */
void zcmd_reply_score(struct conn *c, double score);

#endif /* CACHIFY_CMD_ZSET_H */
