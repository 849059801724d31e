/* reply.c - RESP replies appended to a client's output (see reply.h). */
#include "reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "log.h"

#define REPLY_ERROR_MAX 1024 /* bytes of a formatted error line */

/* Out of memory for c's reply: it can no longer be answered in order.
 * Its read callback (woken by the caller's path or here) frees it. */
static void reply_failed(struct conn *c)
{
	if (c->flags & CONN_CLOSING)
		return;
	log_warning("client %llu: out of memory for a reply; closing", (unsigned long long)c->id);
	c->flags |= CONN_CLOSING;
	if (c->ev_read)
		event_active(c->ev_read, EV_READ, 0);
}

void reply_raw(struct conn *c, const char *s, size_t len)
{
	if (resp_buf_append(&c->out, s, len) != 0)
		reply_failed(c);
}

void reply_ok(struct conn *c)
{
	reply_raw(c, "+OK\r\n", 5);
}

void reply_simple(struct conn *c, const char *s)
{
	if (resp_add_simple_cstr(&c->out, s) != 0)
		reply_failed(c);
}

void reply_error(struct conn *c, const char *msg)
{
	if (resp_add_error(&c->out, msg, strlen(msg)) != 0)
		reply_failed(c);
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
	if (resp_add_int(&c->out, v) != 0)
		reply_failed(c);
}

void reply_bulk(struct conn *c, const char *p, size_t len)
{
	if (resp_add_bulk(&c->out, p, len) != 0)
		reply_failed(c);
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
	if (resp_add_array(&c->out, n) != 0)
		reply_failed(c);
}
