/* cmd_args.h - argument helpers every command family shares. Each replies
 * the error itself when the argument is bad, so a handler just returns. */
#ifndef CACHIFY_CMD_ARGS_H
#define CACHIFY_CMD_ARGS_H

#include <stdbool.h>
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

#endif /* CACHIFY_CMD_ARGS_H */
