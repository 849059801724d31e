/* lp.h - a packed list: byte strings back to back in one allocation.
 *
 * The memory-lean encoding of small hashes, sorted sets and lists (what
 * Redis calls a listpack): no pointer per element, a few bytes of header
 * per entry, walkable both ways. Each entry is a varint length, the bytes,
 * and the entry's size again (backwards varint) so lp_prev is O(1).
 * Positions are byte offsets into the list; any call that changes the list
 * may move it (use the pointer it returns) and invalidates positions after
 * the change. Every operation is O(bytes) at worst: callers convert to a
 * pointer-based encoding past a size limit, as Redis does.
 */
#ifndef CACHIFY_LP_H
#define CACHIFY_LP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LP_END 0 /* the position after the last entry / before the first: none */

/* An empty list, or NULL when out of memory. */
unsigned char *lp_new(void);
void lp_free(unsigned char *lp);
/* A copy, or NULL when out of memory. */
unsigned char *lp_dup(const unsigned char *lp);

/* Entries, and bytes used (header included). */
uint32_t lp_count(const unsigned char *lp);
size_t lp_bytes(const unsigned char *lp);
/* Bytes allocated (what memory accounting should count). */
size_t lp_alloc_size(const unsigned char *lp);

/* Walking: the position of the first / last entry, and of the entry
 * after / before pos; LP_END when there is none. */
size_t lp_first(const unsigned char *lp);
size_t lp_last(const unsigned char *lp);
size_t lp_next(const unsigned char *lp, size_t pos);
size_t lp_prev(const unsigned char *lp, size_t pos);
/* The position of entry i (0-based; negative counts from the end, -1 the
 * last), or LP_END when out of range. O(n). */
size_t lp_seek(const unsigned char *lp, long long i);

/* The bytes of the entry at pos (not NUL-terminated) and their length. */
const char *lp_get(const unsigned char *lp, size_t pos, size_t *len);
/* Whether the entry at pos holds exactly s[0..len). */
bool lp_eq(const unsigned char *lp, size_t pos, const void *s, size_t len);

/* The position of the first entry equal to s at or after pos, looking at
 * every (skip + 1)th entry (skip 1: the fields of field/value pairs), or
 * LP_END. */
size_t lp_find(const unsigned char *lp, size_t pos, const void *s, size_t len, unsigned skip);

/* Inserts s before the entry at pos (pos LP_END: appends). Returns the
 * list, maybe moved, or NULL when out of memory (lp unchanged). *newpos,
 * when not NULL, gets the position of the inserted entry. */
unsigned char *lp_insert(unsigned char *lp, size_t pos, const void *s, size_t len, size_t *newpos);
unsigned char *lp_append(unsigned char *lp, const void *s, size_t len);
unsigned char *lp_prepend(unsigned char *lp, const void *s, size_t len);
/* Replaces the entry at pos with s (NULL when out of memory, lp unchanged). */
unsigned char *lp_replace(unsigned char *lp, size_t pos, const void *s, size_t len);
/* Removes up to n entries from pos on. Never fails (it may not shrink the
 * allocation); returns the list. */
unsigned char *lp_delete(unsigned char *lp, size_t pos, size_t n);

#endif /* CACHIFY_LP_H */
