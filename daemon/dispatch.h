/* dispatch.h - from a parsed command to its handler.
 *
 * dispatch() finds a command's row (command.h), checks arity, access rules
 * (acl.c) and memory, and calls its handler, which appends exactly one
 * reply.
 */
#ifndef CACHIFY_DISPATCH_H
#define CACHIFY_DISPATCH_H

#include "resp.h"

struct conn;

/* Runs one parsed command for c (argc >= 1). */
void dispatch(struct conn *c, int argc, struct resp_arg *argv);

#endif /* CACHIFY_DISPATCH_H */
