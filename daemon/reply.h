/* reply.h - appending RESP replies to a client's output buffer.
 *
 * Every handler answers through these. They only append; conn.c writes.
 * When memory runs out, or the client's unwritten output would pass
 * client-output-buffer-limit, the client is marked CONN_CLOSING (it can no
 * longer be answered in order), later appends are dropped, and its own
 * callback frees it.
 */
#ifndef CACHIFY_REPLY_H
#define CACHIFY_REPLY_H

#include <stddef.h>

struct conn;

struct obuf_limits;
/* The most unwritten output a client may have, by class (client-output-
 * buffer-limit): past the hard limit, or past the soft one for longer than
 * its seconds, the client is closed. Copied. */
void reply_set_output_limits(const struct obuf_limits *l);

void reply_raw(struct conn *c, const char *s, size_t len);
void reply_ok(struct conn *c);
void reply_simple(struct conn *c, const char *s);
/* An array of n simple strings: the HELP subcommands' replies. */
void reply_lines(struct conn *c, const char *const *lines, size_t n);
void reply_error(struct conn *c, const char *msg); /* msg starts with its class: "ERR ..." */
void reply_errorf(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_int(struct conn *c, long long v);
void reply_bulk(struct conn *c, const char *p, size_t len);
void reply_bulk_cstr(struct conn *c, const char *s);
void reply_nil(struct conn *c);
void reply_array(struct conn *c, size_t n);

/* Canned error texts, as Redis words them. */
#define ERR_SYNTAX	"ERR syntax error"
#define ERR_NOT_INT	"ERR value is not an integer or out of range"
#define ERR_WRONGTYPE	"WRONGTYPE Operation against a key holding the wrong kind of value"
#define ERR_OOM		"OOM command not allowed when used memory > 'maxmemory'."
#define ERR_OVERFLOW	"ERR increment or decrement would overflow"

#endif /* CACHIFY_REPLY_H */
