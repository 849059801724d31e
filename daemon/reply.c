/* reply.c - RESP replies appended to a client's output (see reply.h). */
#include "reply.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "clock.h"
#include "config.h"
#include "command_stats.h"
#include "log.h"

#define REPLY_ERROR_MAX 1024 /* bytes of a formatted error line */
#define REPLY_HEADER_MAX 32  /* bytes of a RESP header ("$<len>\r\n", "*<n>\r\n") */

static struct obuf_limits limits; /* client-output-buffer-limit; 0 = none */

void reply_set_output_limits(const struct obuf_limits *l)
{
	limits = *l;
}

/* c can no longer be answered in order (no memory, or over its output
 * limit): it is closed, and nothing more is appended. Its read callback
 * (woken here, or by the path that replied to it) frees it. */
static void reply_failed(struct conn *c, const char *why)
{
	if (c->flags & CONN_CLOSING)
		return;
	log_notice("client %llu: %s; closing", (unsigned long long)c->id, why);
	c->flags |= CONN_CLOSING;
	if (c->ev_read)
		event_active(c->ev_read, EV_READ, 0);
}

/* May len more bytes go to c's output? Checked before every append, so a
 * reply that would pass the limit is never built: a huge MGET costs the
 * limit, not its whole size, in memory and time. */
static bool reply_fits(struct conn *c, size_t len)
{
	const struct obuf_limit *l;
	size_t after = conn_pending_out(c) + len;
	char why[128];

	if (c->flags & CONN_CLOSING)
		return false;
	/* A subscriber is judged by the pubsub class: a slow one must not
	 * hold unbounded messages, while a normal client's big GET may. */
	l = (c->flags & CONN_SUBSCRIBED) ? &limits.pubsub : &limits.normal;
	if (l->hard && after > l->hard) {
		snprintf(why, sizeof why, "output buffer over %zu bytes (client-output-buffer-limit)",
			 l->hard);
		reply_failed(c, why);
		return false;
	}
	if (!l->soft || after <= l->soft) {
		c->obuf_soft_since_ms = 0;
		return true;
	}
	if (c->obuf_soft_since_ms == 0) {
		c->obuf_soft_since_ms = clock_ms();
	} else if (clock_ms() - c->obuf_soft_since_ms > l->soft_s * 1000) {
		snprintf(why, sizeof why,
			 "output buffer over %zu bytes for %lld s (client-output-buffer-limit)",
			 l->soft, (long long)l->soft_s);
		reply_failed(c, why);
		return false;
	}
	return true;
}

void reply_raw(struct conn *c, const char *s, size_t len)
{
	if (reply_fits(c, len) && resp_buf_append(&c->out, s, len) != 0)
		reply_failed(c, "out of memory for a reply");
}

void reply_ok(struct conn *c)
{
	reply_raw(c, "+OK\r\n", 5);
}

void reply_simple(struct conn *c, const char *s)
{
	if (reply_fits(c, strlen(s) + 3) && resp_add_simple_cstr(&c->out, s) != 0)
		reply_failed(c, "out of memory for a reply");
}

void reply_lines(struct conn *c, const char *const *lines, size_t n)
{
	reply_array(c, n);
	for (size_t i = 0; i < n; i++)
		reply_simple(c, lines[i]);
}

void reply_error(struct conn *c, const char *msg)
{
	command_stats_error(msg, strlen(msg));
	if (reply_fits(c, strlen(msg) + 3) && resp_add_error(&c->out, msg, strlen(msg)) != 0)
		reply_failed(c, "out of memory for a reply");
}

void reply_errorf(struct conn *c, const char *fmt, ...)
{
	char buf[REPLY_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	reply_error(c, buf);
}

void reply_int(struct conn *c, long long v)
{
	if (reply_fits(c, REPLY_HEADER_MAX) && resp_add_int(&c->out, v) != 0)
		reply_failed(c, "out of memory for a reply");
}

void reply_bulk(struct conn *c, const char *p, size_t len)
{
	if (reply_fits(c, len + REPLY_HEADER_MAX) && resp_add_bulk(&c->out, p, len) != 0)
		reply_failed(c, "out of memory for a reply");
}

void reply_bulk_cstr(struct conn *c, const char *s)
{
	reply_bulk(c, s, strlen(s));
}

void reply_nil(struct conn *c)
{
	reply_raw(c, "$-1\r\n", 5);
}

void reply_array(struct conn *c, size_t n)
{
	if (reply_fits(c, REPLY_HEADER_MAX) && resp_add_array(&c->out, n) != 0)
		reply_failed(c, "out of memory for a reply");
}
