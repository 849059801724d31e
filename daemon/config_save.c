/* config_save.c - the `save` directive's value: Redis's snapshot rules,
 * pairs of <seconds> <changes>, parsed and written back.
 *
 * As in Redis, each `save` line of a file adds its pairs (the first line
 * replaces the default, which here is none), `save ""` clears them, and
 * CONFIG SET replaces them all.
 */
#include <stdio.h>
#include <string.h>

#include "config_int.h"
#include "resp.h"

#define SAVE_SECONDS_MAX 2147483647LL /* s: Redis reads them into an int */
#define SAVE_INVALID	 "Invalid save parameters"

int config_parse_save(const char *value, struct save_rules *rules, bool replace,
		      const char **why)
{
	struct save_rules next = replace ? (struct save_rules){.n = 0} : *rules;
	size_t words = 0;

	*why = SAVE_INVALID;
	for (const char *p = value;;) {
		long long v;
		size_t len;

		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		len = strcspn(p, " \t");
		/* Only "" alone clears: an empty word among numbers is not one. */
		if (len == 2 && p[0] == '"' && p[1] == '"' && words == 0 && p[2] == '\0') {
			rules->n = 0;
			return 0;
		}
		if (resp_parse_ll(p, len, &v) != 0 || v < (words % 2 == 0 ? 1 : 0) ||
		    v > SAVE_SECONDS_MAX)
			return -1;
		if (words % 2 == 0) {
			if (next.n == CONFIG_SAVE_RULES_MAX)
				return -1;
			next.r[next.n].seconds = v;
		} else {
			next.r[next.n++].changes = v;
		}
		words++;
		p += len;
	}
	if (words % 2 != 0)
		return -1;
	*rules = words == 0 ? (struct save_rules){.n = 0} : next;
	return 0;
}

void config_format_save(const struct save_rules *rules, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < rules->n && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%lld %lld", i ? " " : "",
				      (long long)rules->r[i].seconds, (long long)rules->r[i].changes);
}
