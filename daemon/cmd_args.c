/* cmd_args.c - argument helpers shared by the cmd_*.c families. */
#include "cmd_args.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Unix ms minus monotonic ms. Two readings a moment apart may differ by a
 * millisecond (each clock is truncated on its own), which would bring a
 * Unix time converted to a deadline and back (PXAT, then PEXPIRETIME) back
 * off by one: the offset is kept until the wall clock really moves. */
static int64_t wall_offset_ms(void)
{
	static int64_t offset;
	static bool known;
	int64_t now = clock_wall_ms() - clock_ms();

	if (!known || now > offset + 1 || now < offset - 1) {
		offset = now;
		known = true;
	}
	return offset;
}

/* a + b, saturated to (INT64_MIN, INT64_MAX] */
static int64_t add_saturated(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN + 1 - b)
		return INT64_MIN + 1;
	return a + b;
}

/* The Unix time a relative TTL is added to: the monotonic clock seen
 * through the same offset, so "now" converts to exactly now and a time of
 * 0 is already past, as Redis judges it. */
static int64_t unix_now_ms(void)
{
	return add_saturated(clock_ms(), wall_offset_ms());
}

int64_t deadline_from_unix_ms(int64_t unix_ms)
{
	int64_t off = wall_offset_ms();

	/* -off cannot overflow: the offset is a wall time, far from INT64_MIN */
	return add_saturated(unix_ms, -off);
}

int64_t deadline_to_unix_ms(int64_t deadline)
{
	return add_saturated(deadline, wall_offset_ms());
}

/* Parses an expire argument by Redis's rules: SET's (positive only) when
 * positive, else EXPIRE's (any value); seconds become ms, a relative time
 * is added to now, and each step must fit in 64 bits. */
static int arg_expire(struct conn *c, const struct resp_arg *arg, bool seconds, bool absolute,
		      bool positive, const char *cmd, int64_t *deadline)
{
	long long v;

	if (arg_ll(c, arg, &v) != 0)
		return -1;
	if ((positive && v <= 0) ||
	    (seconds && (v > LLONG_MAX / 1000 || v < LLONG_MIN / 1000)))
		goto bad;
	if (seconds)
		v *= 1000;
	if (!absolute) {
		int64_t wall = unix_now_ms();

		if (v > INT64_MAX - wall)
			goto bad;
		v += wall;
	}
	*deadline = deadline_from_unix_ms(v);
	return 0;
bad:
	reply_errorf(c, "ERR invalid expire time in '%s' command", cmd);
	return -1;
}

int arg_expire_set(struct conn *c, const struct resp_arg *arg, bool seconds, bool absolute,
		   const char *cmd, int64_t *deadline)
{
	return arg_expire(c, arg, seconds, absolute, true, cmd, deadline);
}

int arg_expire_any(struct conn *c, const struct resp_arg *arg, bool seconds, bool absolute,
		   const char *cmd, int64_t *deadline)
{
	return arg_expire(c, arg, seconds, absolute, false, cmd, deadline);
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

/* Redis's string2ld: the whole of p is one strtold number, without
 * leading blanks; "nan" and overflow are refused, "inf" is not. */
int arg_parse_ld(const char *p, size_t len, long double *out)
{
	char buf[LD_CHARS_MAX], *end;
	long double v;

	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	errno = 0;
	v = strtold(buf, &end);
	if (isspace((unsigned char)buf[0]) || *end != '\0' || (size_t)(end - buf) != len ||
	    (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO)) ||
	    errno == EINVAL || isnan(v))
		return -1;
	*out = v;
	return 0;
}

int arg_timeout(struct conn *c, const struct resp_arg *a, int64_t *ms)
{
	long double v;

	if (arg_parse_ld(a->ptr, a->len, &v) != 0) {
		reply_error(c, "ERR timeout is not a float or out of range");
		return -1;
	}
	/* Rounded up to ms, then cut to an integer as x86 does: out of range
	 * (inf included) gives the lowest, so "negative", as Redis 7.0 says. */
	v = ceill(v * 1000.0L);
	*ms = v >= -9223372036854775808.0L && v < 9223372036854775808.0L ? (int64_t)v : INT64_MIN;
	if (*ms < 0) {
		reply_error(c, "ERR timeout is negative");
		return -1;
	}
	if (*ms > INT64_MAX - clock_wall_ms()) {
		reply_error(c, "ERR timeout is out of range");
		return -1;
	}
	return 0;
}

/* Redis's ld2string in its human-friendly mode: 17 decimals, trailing
 * zeros (and a bare '.') removed, "-0" written as "0". buf holds
 * LD_CHARS_MAX bytes, enough for any finite long double. */
size_t arg_format_ld(char *buf, long double v)
{
	size_t n = (size_t)snprintf(buf, LD_CHARS_MAX, "%.17Lf", v);

	if (memchr(buf, '.', n)) {
		while (buf[n - 1] == '0')
			n--;
		if (buf[n - 1] == '.')
			n--;
	}
	if (n == 2 && buf[0] == '-' && buf[1] == '0') {
		buf[0] = '0';
		n = 1;
	}
	return n;
}

/* A cursor read as Redis reads it (strtoul, base 10, up to a NUL): an
 * optional sign, then digits; "-1" wraps to 2^64-1 and "" is 0. Leading
 * spaces and overflow are errors. 0 or -1. */
int arg_cursor(const struct resp_arg *a, uint64_t *out)
{
	const char *p = a->ptr, *nul = memchr(a->ptr, '\0', a->len);
	const char *end = nul ? nul : a->ptr + a->len;
	bool neg = false;
	uint64_t v = 0;

	if (p == end) {
		*out = 0;
		return 0;
	}
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (p == end)
		return -1;
	for (; p < end; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (!isdigit((unsigned char)*p) || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = neg ? -v : v;
	return 0;
}
