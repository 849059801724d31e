/* client_info.h - a client as one CLIENT LIST line. */
#ifndef CACHIFY_CLIENT_INFO_H
#define CACHIFY_CLIENT_INFO_H

#include <stdint.h>

#include "resp.h"

struct conn;

/* Appends x's CLIENT LIST line (id, addr, fd, name, age, ..., holds,
 * waits) and a newline to b; now is ms, monotonic. */
void client_info_describe(struct resp_buf *b, const struct conn *x, int64_t now);

#endif /* CACHIFY_CLIENT_INFO_H */
