/* list.h - the list object: Redis 7.2's two encodings and its rules for
 * moving between them.
 *
 * A list is a chain of packed-list nodes (lp.h). While it is small it is one
 * node and reports "listpack"; past list-max-listpack-size it reports
 * "quicklist" and grows by nodes of at most that size, so work at either end
 * stays O(1) amortised; when it shrinks to one node of half the limit it is
 * a listpack again. Sizes are judged as Redis judges them (the bytes its own
 * listpack would use), so OBJECT ENCODING agrees with redis-server 7.2.
 * Commands (cmd_list.c) reach the elements through list_it; every byte a
 * list owns is reported with object_account.
 */
#ifndef CACHIFY_LIST_H
#define CACHIFY_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "object.h"

/* list-max-listpack-size's default: negative = a size class (-1 4 KB ...
 * -5 64 KB per node), positive = entries per node. */
#define LIST_MAX_LISTPACK_SIZE (-2)

struct list;
struct qnode;

/* OBJECT's and COPY's view of a list; registered by the server. */
extern const struct obj_type list_type;

/* Sets list-max-listpack-size (the lead wires CONFIG SET to it). */
void list_set_fill(int fill);
int list_get_fill(void);

/* An empty list in the listpack encoding (accounted), or NULL. */
struct list *list_new(void);
void list_free(struct list *l);
size_t list_len(const struct list *l);
bool list_is_packed(const struct list *l);
/* Nodes in the chain (1 for a listpack): for the tests. */
size_t list_nodes(const struct list *l);

/* Redis's conversions: before adding n elements of bytes total (growing:
 * listpack to quicklist), and after removing some (shrinking: back). */
void list_will_grow(struct list *l, size_t bytes, size_t n);
void list_shrunk(struct list *l);

/* Pushes s at the head or the tail. 0, or -1 when out of memory. */
int list_push(struct list *l, bool head, const void *s, size_t len);
/* Removes n elements from index start on (start + n <= length). */
void list_delete_range(struct list *l, size_t start, size_t n);

/* A position in a list. Valid until the list changes other than through
 * the list_it calls below. */
struct list_it {
	struct list *l;
	struct qnode *node;
	size_t pos;   /* byte offset in node's packed list */
	uint32_t off; /* index within the node */
};

/* Positions it at index i (0 <= i < length), walking from the nearer end. */
void list_seek(struct list *l, size_t i, struct list_it *it);
/* The element's bytes (borrowed) and length. */
const char *list_it_get(const struct list_it *it, size_t *len);
bool list_it_eq(const struct list_it *it, const void *s, size_t len);
/* Moves towards the tail / the head: false when there is no element there. */
bool list_it_next(struct list_it *it);
bool list_it_prev(struct list_it *it);
/* Removes the element; it moves to the next one towards the tail (false
 * when there is none). */
bool list_it_delete(struct list_it *it);
/* Replaces the element / inserts s before or after it. 0 or -1 (out of
 * memory); it is invalid afterwards. */
int list_it_replace(struct list_it *it, const void *s, size_t len);
int list_it_insert(struct list_it *it, const void *s, size_t len, bool after);

/* Bytes Redis's listpack spends on s (header, data, back-length): the
 * measure behind every size limit. */
size_t list_entry_rsize(const void *s, size_t len);

#endif /* CACHIFY_LIST_H */
