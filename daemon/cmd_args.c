/* cmd_args.c - argument helpers shared by the cmd_*.c families. */
#include "cmd_args.h"

#include <strings.h>
#include <string.h>

#include "reply.h"

/* Largest TTL in ms accepted: far beyond any real use, and small enough
 * that now + ttl can never overflow the monotonic clock's int64_t. */
#define ARG_TTL_MAX (INT64_MAX / 4)

bool arg_is(const struct resp_arg *arg, const char *w)
{
	size_t n = strlen(w);

	return arg->len == n && strncasecmp(arg->ptr, w, n) == 0;
}

int arg_ll(struct conn *c, const struct resp_arg *arg, long long *out)
{
	if (resp_parse_ll(arg->ptr, arg->len, out) == 0)
		return 0;
	reply_error(c, ERR_NOT_INT);
	return -1;
}

int arg_ttl_ms(struct conn *c, const struct resp_arg *arg, const char *cmd, int64_t *out)
{
	long long v;

	if (arg_ll(c, arg, &v) != 0)
		return -1;
	if (v <= 0 || v > ARG_TTL_MAX) {
		reply_errorf(c, "ERR invalid expire time in '%s' command", cmd);
		return -1;
	}
	*out = v;
	return 0;
}
