/* cmd_list.h - what the list commands (cmd_list.c) share with their
 * blocking forms (cmd_list_block.c): finding a list, popping with Redis's
 * reply shapes, moving an element. Each replies to c itself. */
#ifndef CACHIFY_CMD_LIST_H
#define CACHIFY_CMD_LIST_H

#include <stdbool.h>

#include "resp.h"

struct conn;
struct list;

/* The list under key in db, or NULL: absent (*wrongtype false), or another
 * type (*wrongtype true, -WRONGTYPE replied). */
struct list *list_find(struct conn *c, int db, const struct resp_arg *key, bool write,
                       bool *wrongtype);

/* Pops up to count elements (count < 0: one, replied as a bulk) from the
 * head or tail of l under key, replying them: a bulk, or an array, or with
 * with_key *2 [key, bulk] (count < 0, BLPOP) / *2 [key, array] (LMPOP).
 * Notifies lpop/rpop and deletes the key when it empties ("del"). */
void list_pop_reply(struct conn *c, int db, const struct resp_arg *key, struct list *l, bool head,
                    long long count, bool with_key);

/* LMOVE from src (a non-empty list) to dst, replying the element moved, or
 * -WRONGTYPE (nothing moved) when dst holds another type. */
void list_move_reply(struct conn *c, int db, const struct resp_arg *src, struct list *l,
                     const struct resp_arg *dst, bool from_head, bool to_head);

/* LEFT or RIGHT: 0 with *head set, or -1 having replied a syntax error. */
int list_arg_where(struct conn *c, const struct resp_arg *a, bool *head);

/* LMPOP/BLMPOP's arguments from argv[numkeys_at] on: 0, or -1 having
 * replied the error. */
int list_arg_mpop(struct conn *c, int argc, struct resp_arg *argv, int numkeys_at,
                  long long *numkeys, bool *head, long long *count);

/* The ACL key rules for keys the command table cannot locate (after
 * numkeys): 0, or -1 having replied -NOPERM. */
int list_check_keys(struct conn *c, const struct resp_arg *keys, long long n);

#endif /* CACHIFY_CMD_LIST_H */
