/* cmd_args.c - argument helpers shared by the cmd_*.c families. */
#include "cmd_args.h"

#include <limits.h>
#include <strings.h>
#include <string.h>

#include "acl.h"
#include "client.h"
#include "clock.h"
#include "reply.h"
#include "server.h"
#include "store.h"

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

int64_t deadline_from_unix_ms(int64_t unix_ms)
{
	int64_t wall = clock_wall_ms(), now = clock_ms();

	/* unix_ms - wall + now, without overflow either way */
	if (unix_ms < 0 && wall > 0 && unix_ms < INT64_MIN + wall)
		return INT64_MIN + 1;
	unix_ms -= wall;
	if (now > 0 && unix_ms > INT64_MAX - now)
		return INT64_MAX;
	if (now < 0 && unix_ms < INT64_MIN + 1 - now)
		return INT64_MIN + 1;
	return unix_ms + now;
}

int64_t deadline_to_unix_ms(int64_t deadline)
{
	int64_t wall = clock_wall_ms(), now = clock_ms();
	int64_t left = deadline - now; /* both are non-negative clocks */

	if (left > 0 && wall > INT64_MAX - left)
		return INT64_MAX;
	return wall + left;
}

static void reply_bad_expire(struct conn *c, const char *cmd)
{
	reply_errorf(c, "ERR invalid expire time in '%s' command", cmd);
}

int arg_expire_set(struct conn *c, const struct resp_arg *arg, bool seconds, bool absolute,
		   const char *cmd, int64_t *deadline)
{
	long long v;

	if (arg_ll(c, arg, &v) != 0)
		return -1;
	if (v <= 0 || (seconds && v > LLONG_MAX / 1000)) {
		reply_bad_expire(c, cmd);
		return -1;
	}
	if (seconds)
		v *= 1000;
	if (!absolute) {
		int64_t wall = clock_wall_ms();

		if (v > INT64_MAX - wall) {
			reply_bad_expire(c, cmd);
			return -1;
		}
		v += wall;
	}
	*deadline = deadline_from_unix_ms(v);
	return 0;
}

int arg_expire_any(struct conn *c, const struct resp_arg *arg, bool seconds, bool absolute,
		   const char *cmd, int64_t *deadline)
{
	long long v;

	if (arg_ll(c, arg, &v) != 0)
		return -1;
	if (seconds) {
		if (v > LLONG_MAX / 1000 || v < LLONG_MIN / 1000) {
			reply_bad_expire(c, cmd);
			return -1;
		}
		v *= 1000;
	}
	if (!absolute) {
		int64_t wall = clock_wall_ms();

		if (v > INT64_MAX - wall) {
			reply_bad_expire(c, cmd);
			return -1;
		}
		v += wall;
	}
	*deadline = deadline_from_unix_ms(v);
	return 0;
}

/* Refuses (0 or -1, having replied) when one of argv's keys, first to
 * last by step, holds another user's lock or pool: all or nothing. */
int keys_check_force(struct conn *c, int argc, struct resp_arg *argv, int step)
{
	for (int i = 1; i < argc; i += step) {
		struct sentry *e = store_peek(server.store, c->db, argv[i].ptr, argv[i].len);

		if (e && acl_check_force(c, e) != 0)
			return -1;
	}
	return 0;
}
