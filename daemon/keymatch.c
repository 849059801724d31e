/* keymatch.c - Redis-style pattern matching for SCAN MATCH and CONFIG GET.
 *
 * Owns the pattern syntax only; callers decide what the strings mean. Every token but '*'
 * matches exactly one byte, so greedy matching with a single backtrack point (the last '*')
 * is exact and bounds the work at O(len(pattern) * len(string)), where a recursive matcher
 * such as Redis's stringmatchlen() can take exponential time on "a*a*a*...b".
 */
#include "keymatch.h"

#include <stdint.h>

/* ASCII folding, so a match never depends on the process locale. */
static unsigned char keymatch_fold(unsigned char c, bool nocase)
{
	if (nocase && c >= 'A' && c <= 'Z')
		return (unsigned char)(c - 'A' + 'a');
	return c;
}

/* Reads one set member at pat[*i], honouring a backslash escape, and steps past it. */
static unsigned char keymatch_set_byte(const char *pat, size_t plen, size_t *i)
{
	if (pat[*i] == '\\' && *i + 1 < plen)
		(*i)++;
	return (unsigned char)pat[(*i)++];
}

/*
 * Matches byte c against the set whose body starts at pat[*i] (just after the '['), and
 * moves *i past the closing ']'. As in Redis: a leading '^' negates, "[]" is an empty set,
 * and a set with no closing ']' runs to the end of the pattern. Unlike Redis, a '-' just
 * before the ']' is a literal dash rather than a range up to ']'.
 */
static bool keymatch_set_match(const char *pat, size_t plen, size_t *i, unsigned char c, bool nocase)
{
	bool negate = false, hit = false;

	if (*i < plen && pat[*i] == '^') {
		negate = true;
		(*i)++;
	}
	c = keymatch_fold(c, nocase);
	while (*i < plen && pat[*i] != ']') {
		unsigned char lo = keymatch_set_byte(pat, plen, i), hi = lo;

		if (*i + 1 < plen && pat[*i] == '-' && pat[*i + 1] != ']') {
			(*i)++;
			hi = keymatch_set_byte(pat, plen, i);
		}
		lo = keymatch_fold(lo, nocase);
		hi = keymatch_fold(hi, nocase);
		if (lo > hi) {
			unsigned char t = lo;

			lo = hi;
			hi = t;
		}
		if (c >= lo && c <= hi)
			hit = true;
	}
	if (*i < plen)
		(*i)++;
	return hit != negate;
}

bool keymatch_matches(const char *pat, size_t plen, const char *s, size_t slen, bool nocase)
{
	size_t p = 0, i = 0;
	size_t star_p = SIZE_MAX; /* pattern index just after the last '*' seen */
	size_t star_i = 0;	  /* string index that '*' is currently assumed to end at */

	while (i < slen) {
		if (p < plen) {
			size_t q = p + 1;
			bool ok;

			switch (pat[p]) {
			case '*':
				while (p < plen && pat[p] == '*')
					p++;
				if (p == plen)
					return true;
				star_p = p;
				star_i = i;
				continue;
			case '?':
				ok = true;
				break;
			case '[':
				ok = keymatch_set_match(pat, plen, &q, (unsigned char)s[i], nocase);
				break;
			case '\\':
				/* A trailing backslash stands for itself, as in Redis. */
				if (q < plen)
					q++;
				ok = keymatch_fold((unsigned char)pat[q - 1], nocase) ==
				     keymatch_fold((unsigned char)s[i], nocase);
				break;
			default:
				ok = keymatch_fold((unsigned char)pat[p], nocase) ==
				     keymatch_fold((unsigned char)s[i], nocase);
				break;
			}
			if (ok) {
				p = q;
				i++;
				continue;
			}
		}
		/* Mismatch: let the last '*' swallow one more byte and retry from there. */
		if (star_p == SIZE_MAX)
			return false;
		p = star_p;
		i = ++star_i;
	}
	while (p < plen && pat[p] == '*')
		p++;
	return p == plen;
}
