/* keymatch.h - Redis-style pattern matching of keys and names (SCAN MATCH,
 * CONFIG GET), Redis's stringmatchlen().
 *
 * Supports *, ?, [abc], [^a-z] and \ escapes on binary-safe strings, in time
 * linear in len(pattern) * len(string) at worst: no backtracking blow-up on
 * patterns like "a*a*a*a*b". Not named glob: that would shadow <glob.h>,
 * which the config reader's `include` uses for file names.
 */
#ifndef CACHIFY_KEYMATCH_H
#define CACHIFY_KEYMATCH_H

#include <stdbool.h>
#include <stddef.h>

/* Does s[0..slen) match pat[0..plen)? nocase folds ASCII letters only, so
 * the answer never depends on the locale. Both strings are borrowed. */
bool keymatch_matches(const char *pat, size_t plen, const char *s, size_t slen, bool nocase);

#endif /* CACHIFY_KEYMATCH_H */
