/* glob.h - Redis-style glob matching (SCAN MATCH, CONFIG GET).
 *
 * Supports *, ?, [abc], [^a-z] and \ escapes on binary-safe strings, in time
 * linear in len(pattern) * len(string) at worst: no backtracking blow-up on
 * patterns like "a*a*a*a*b".
 */
#ifndef CACHIFY_GLOB_H
#define CACHIFY_GLOB_H

#include <stdbool.h>
#include <stddef.h>

bool glob_match(const char *pat, size_t plen, const char *s, size_t slen, bool nocase);

#endif /* CACHIFY_GLOB_H */
