/* rconn.c - blocking RESP connections over Unix sockets (see rconn.h). Owns
 * the socket and its buffers; the codec is proto/'s.
 */
#include "rconn.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define RCONN_READ_CHUNK 16384 /* bytes per read() */

int64_t rconn_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void rconn_init(struct rconn *c)
{
	c->fd = -1;
	resp_reader_init(&c->rd);
	resp_buf_init(&c->out);
}

int rconn_open(struct rconn *c, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(path);
	int saved;

	rconn_init(c);
	if (len >= sizeof sa.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, len + 1);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) == 0)
		return 0;
	saved = errno;
	rconn_close(c);
	errno = saved;
	return -1;
}

void rconn_close(struct rconn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	resp_reader_free(&c->rd);
	resp_buf_free(&c->out);
	rconn_init(c);
}

int rconn_send_raw(struct rconn *c, const void *p, size_t n)
{
	size_t off = 0;

	while (off < n) {
		ssize_t w = send(c->fd, (const char *)p + off, n - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

int rconn_send(struct rconn *c, int argc, const struct resp_arg *argv)
{
	int rc;

	c->out.len = 0;
	if (resp_add_command(&c->out, argc, argv) != 0) {
		errno = ENOMEM;
		return -1;
	}
	rc = rconn_send_raw(c, c->out.data, c->out.len);
	c->out.len = 0;
	return rc;
}

/* Waits until fd is readable, at most timeout_ms (forever when negative).
 * 0 readable, -1 with errno (ETIMEDOUT). Restarts after signals. */
static int wait_readable(int fd, int timeout_ms)
{
	int64_t deadline = rconn_now_ns() + (int64_t)timeout_ms * 1000000;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int left = -1, n;

		if (timeout_ms >= 0) {
			int64_t ns = deadline - rconn_now_ns();

			left = ns > 0 ? (int)((ns + 999999) / 1000000) : 0;
		}
		n = poll(&p, 1, left);
		if (n > 0)
			return 0;
		if (n == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR)
			return -1;
	}
}

long rconn_fill(struct rconn *c, int timeout_ms, int64_t *t_ns)
{
	char buf[RCONN_READ_CHUNK];
	ssize_t n;

	if (timeout_ms >= 0 && wait_readable(c->fd, timeout_ms) != 0)
		return -1;
	do
		n = read(c->fd, buf, sizeof buf);
	while (n < 0 && errno == EINTR);
	if (t_ns)
		*t_ns = rconn_now_ns();
	if (n > 0 && resp_reader_feed(&c->rd, buf, (size_t)n) != 0) {
		errno = ENOMEM;
		return -1;
	}
	return (long)n;
}

int rconn_reply(struct rconn *c, int timeout_ms, struct resp_reply **out, int64_t *t_ns)
{
	int64_t start = rconn_now_ns();
	int rc;

	if (t_ns)
		*t_ns = start;
	while ((rc = resp_reader_get(&c->rd, out)) == 0) {
		int left = -1;
		long n;

		if (timeout_ms >= 0) {
			int64_t spent_ms = (rconn_now_ns() - start) / 1000000;

			left = spent_ms < timeout_ms ? timeout_ms - (int)spent_ms : 0;
		}
		n = rconn_fill(c, left, t_ns);
		if (n <= 0)
			return (int)n;
	}
	if (rc < 0) {
		errno = EPROTO;
		return -1;
	}
	return 1;
}

const char *rconn_desc(const struct resp_reply *r, char *buf, size_t size)
{
	switch (r->type) {
	case RESP_STRING:
		snprintf(buf, size, "+%.120s", r->str);
		break;
	case RESP_ERROR:
		snprintf(buf, size, "-%.120s", r->str);
		break;
	case RESP_INTEGER:
		snprintf(buf, size, ":%lld", r->integer);
		break;
	case RESP_BULK:
		snprintf(buf, size, "bulk \"%.120s\"", r->str);
		break;
	case RESP_NIL:
		snprintf(buf, size, "nil");
		break;
	case RESP_ARRAY:
		snprintf(buf, size, "array of %zu", r->elements);
		break;
	}
	return buf;
}

int rconn_grant(const struct resp_reply *r, struct rconn_grant *g)
{
	if (r->type != RESP_ARRAY || r->elements != 2 || r->element[0]->type != RESP_BULK ||
	    r->element[1]->type != RESP_INTEGER || r->element[0]->len == 0 ||
	    r->element[0]->len > sizeof g->id)
		return -1;
	memcpy(g->id, r->element[0]->str, r->element[0]->len);
	g->len = r->element[0]->len;
	g->fence = r->element[1]->integer;
	return 0;
}

int rconn_pair_int(const struct resp_reply *r, const char *field, long long *out)
{
	if (r->type != RESP_ARRAY || r->elements % 2 != 0)
		return -1;
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const struct resp_reply *k = r->element[i], *v = r->element[i + 1];

		if (k->type == RESP_BULK && strcmp(k->str, field) == 0 && v->type == RESP_INTEGER) {
			*out = v->integer;
			return 0;
		}
	}
	return -1;
}
