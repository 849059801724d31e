/* cmd_args.h - argument helpers every command family shares. Each replies
 * the error itself when the argument is bad, so a handler just returns. */
#ifndef CACHIFY_CMD_ARGS_H
#define CACHIFY_CMD_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "resp.h"

struct conn;

/* True when arg equals the ASCII word w, ignoring case. */
bool arg_is(const struct resp_arg *arg, const char *w);
/* Parses an integer argument; on failure replies ERR_NOT_INT and returns -1. */
int arg_ll(struct conn *c, const struct resp_arg *arg, long long *out);
/* Parses a positive millisecond TTL (PX) for command cmd; replies Redis's
 * "invalid expire time in 'cmd' command" and returns -1 if bad. */
int arg_ttl_ms(struct conn *c, const struct resp_arg *arg, const char *cmd, int64_t *out);

/* Refuses (-1, having replied NOPERM) when one of argv's keys, from 1 to
 * argc by step, holds another user's lock or pool: all or nothing. */
int keys_check_force(struct conn *c, int argc, struct resp_arg *argv, int step);

/* Expire times, with Redis's rules. Clients speak Unix time (relative times
 * are added to it, and overflow is judged against it, as Redis does); the
 * keyspace keeps monotonic deadlines. These two convert, saturating. */
int64_t deadline_from_unix_ms(int64_t unix_ms);
int64_t deadline_to_unix_ms(int64_t deadline);

/* The expire argument of SET, SETEX, PSETEX and GETEX (EX/PX/EXAT/PXAT):
 * must be > 0, and seconds * 1000 (+ now, if relative) must fit in 64 bits.
 * On success stores the monotonic deadline (possibly already past, for an
 * absolute time) and returns 0; otherwise replies "ERR invalid expire time
 * in 'cmd' command" (or not-an-integer) and returns -1. */
int arg_expire_set(struct conn *c, const struct resp_arg *arg, bool seconds, bool absolute,
		   const char *cmd, int64_t *deadline);
/* The time argument of EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT: any
 * integer (zero and negative times are in the past) whose conversion to
 * Unix ms does not overflow. Same replies as arg_expire_set. */
int arg_expire_any(struct conn *c, const struct resp_arg *arg, bool seconds, bool absolute,
		   const char *cmd, int64_t *deadline);

/* Bytes of a long double as text, as Redis's MAX_LONG_DOUBLE_CHARS: longer
 * numbers are not floats, and any long double printed "%.17Lf" fits. */
#define LD_CHARS_MAX (5 * 1024)

/* Redis's string2ld (INCRBYFLOAT, HINCRBYFLOAT): the whole of p[0..len) is
 * one strtold number without leading blanks; "nan" and overflow are
 * refused, "inf" is not. 0, or -1. */
int arg_parse_ld(const char *p, size_t len, long double *out);
/* A blocking command's timeout in seconds (Redis's
 * getTimeoutFromObjectOrReply: a long double, inf refused as negative),
 * in ms rounded up; 0 = forever. 0, or -1 after replying the error. */
int arg_timeout(struct conn *c, const struct resp_arg *a, int64_t *ms);

/* Redis's ld2string in its human mode, into buf (LD_CHARS_MAX bytes):
 * 17 decimals, trailing zeros and a bare '.' dropped, "-0" as "0".
 * Returns the length (no NUL counted). */
size_t arg_format_ld(char *buf, long double v);

/* A SCAN-family cursor read as Redis reads it (strtoul, base 10, up to a
 * NUL): an optional sign, then digits; "-1" wraps to 2^64-1 and "" is 0.
 * 0, or -1 (leading spaces, overflow, other bytes): the caller replies
 * "ERR invalid cursor". */
int arg_cursor(const struct resp_arg *a, uint64_t *out);

#endif /* CACHIFY_CMD_ARGS_H */
