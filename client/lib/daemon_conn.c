/* daemon_conn.c - one blocking connection to cachifyd over a Unix socket.
 *
 * Owns the socket calls and their deadlines (poll before every wait, so a
 * silent daemon costs at most the deadline) and the RESP buffers. What a
 * command means, pooling and retries are daemon.c's; the codec is proto/'s.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "backend.h"
#include "clock.h"
#include "daemon_conn.h"

#define READ_CHUNK    16384 /* bytes per recv() */
#define BUSY_FIRST_MS 1     /* first pause when the listen backlog is full */
#define BUSY_MAX_MS   50    /* longest such pause */

int64_t lc_dconn_deadline(double timeout)
{
	if (!(timeout > 0))
		return LC_DCONN_NO_DEADLINE;
	if (timeout > (double)(INT64_MAX / 4000))
		return LC_DCONN_NO_DEADLINE; /* centuries: the same as none */
	/* Round up: a 0.0005 s timeout still allows one poll of 1 ms. */
	return lc_clock_ms() + (int64_t)(timeout * 1000.0 + 0.999);
}

/* ms left until deadline for poll(): -1 for none, 0 when passed. */
static int poll_ms(int64_t deadline)
{
	int64_t left;

	if (deadline == LC_DCONN_NO_DEADLINE)
		return -1;
	left = deadline - lc_clock_ms();
	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* Waits until fd is ready for events: 0, or -1 with errno (ETIMEDOUT when
 * the deadline passed). Signals restart the wait with the time left. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};

	for (;;) {
		int ms = poll_ms(deadline), n = poll(&p, 1, ms);

		if (n > 0)
			return 0; /* ready, or POLLHUP/POLLERR: the next call says which */
		if (n == 0 && ms == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* ---- protocol half --------------------------------------------------------- */

int lc_dconn_encode(struct lc_dconn *c, int argc, const struct resp_arg *argv)
{
	if (resp_add_command(&c->out, argc, argv) != 0)
		return lc_set_error(CACHIFY_ENOMEM, "out of memory encoding a command");
	return 0;
}

int lc_dconn_decode(struct lc_dconn *c, struct resp_reply **out)
{
	int rc = resp_reader_get(&c->in, out);

	if (rc < 0)
		return lc_set_error(CACHIFY_EPROTO, "cachifyd at %s: unreadable reply: %s", c->path,
		                    c->in.err ? c->in.err : "?");
	return rc;
}

/* ---- blocking I/O half ----------------------------------------------------- */

/* One connect() on a fresh socket: the fd, or -1 with errno (EAGAIN when
 * the listen backlog is full: AF_UNIX offers nothing to poll for then). */
static int connect_once(const struct sockaddr_un *sa, int64_t deadline)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), err;
	socklen_t elen = sizeof err;

	if (fd < 0)
		return -1;
	while (connect(fd, (const struct sockaddr *)sa, sizeof *sa) != 0) {
		if (errno == EINTR)
			continue;
		if (errno != EINPROGRESS)
			goto fail;
		/* Not for AF_UNIX today, but the shape a stream connect takes. */
		if (wait_fd(fd, POLLOUT, deadline) != 0)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
			goto fail;
		if (err) {
			errno = err;
			goto fail;
		}
		break;
	}
	/* Blocking from now on; each send/recv says MSG_DONTWAIT itself and
	 * waits in poll(), where the deadline is. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0)
		goto fail;
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

int lc_dconn_open(const char *path, int64_t deadline, struct lc_dconn **out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t plen = strlen(path);
	int64_t pause = BUSY_FIRST_MS;
	struct lc_dconn *c;
	int fd;

	*out = NULL;
	if (plen >= sizeof sa.sun_path)
		return lc_set_error(CACHIFY_EINVAL, "socket path too long (%zu bytes, at most %zu)",
		                    plen, sizeof sa.sun_path - 1);
	memcpy(sa.sun_path, path, plen + 1);
	while ((fd = connect_once(&sa, deadline)) < 0) {
		int err = errno, left = poll_ms(deadline);

		if (err == ETIMEDOUT || (err == EAGAIN && left == 0))
			return lc_set_error(CACHIFY_EIO, "cachifyd at %s: connect timed out", path);
		if (err != EAGAIN)
			return lc_set_error(
			    CACHIFY_EIO, "cachifyd at %s: connect: %s%s", path, strerror(err),
			    err == ENOENT || err == ECONNREFUSED ? " (is cachifyd running?)" : "");
		/* Backlog full: the daemon is busy accepting; try again shortly. */
		lc_clock_sleep_ms(left < 0 || left > pause ? pause : left);
		pause = pause * 2 > BUSY_MAX_MS ? BUSY_MAX_MS : pause * 2;
	}
	if (!(c = calloc(1, sizeof *c))) {
		close(fd);
		return lc_set_error(CACHIFY_ENOMEM, "out of memory");
	}
	c->fd = fd;
	c->pid = getpid();
	memcpy(c->path, path, plen + 1);
	resp_buf_init(&c->out);
	resp_reader_init(&c->in);
	*out = c;
	return 0;
}

void lc_dconn_break(struct lc_dconn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->out.len = 0;
}

void lc_dconn_close(struct lc_dconn *c)
{
	if (!c)
		return;
	lc_dconn_break(c);
	resp_buf_free(&c->out);
	resp_reader_free(&c->in);
	free(c);
}

bool lc_dconn_is_usable(struct lc_dconn *c)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	int n;

	if (c->fd < 0)
		return false;
	if (c->pid != getpid()) {
		/* Inherited across fork(): the parent still talks on it. */
		lc_dconn_break(c);
		return false;
	}
	while ((n = poll(&p, 1, 0)) < 0 && errno == EINTR)
		;
	/* Readable while idle means EOF, an error, or bytes nobody asked
	 * for (the stream is out of step): unusable in every case. */
	if (n != 0) {
		lc_dconn_break(c);
		return false;
	}
	return true;
}

int lc_dconn_flush(struct lc_dconn *c, int64_t deadline, bool *sent)
{
	size_t off = 0;

	if (sent)
		*sent = false;
	while (off < c->out.len) {
		ssize_t n;

		if (c->fd < 0) {
			errno = EBADF;
			goto fail;
		}
		n = send(c->fd, c->out.data + off, c->out.len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			off += (size_t)n;
			if (sent)
				*sent = true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(c->fd, POLLOUT, deadline) != 0)
				goto fail;
			continue;
		}
		goto fail;
	}
	c->out.len = 0;
	return 0;
fail:
	lc_set_error(CACHIFY_EIO, "cachifyd at %s: send: %s", c->path,
	             errno == ETIMEDOUT ? "timed out" : strerror(errno));
	lc_dconn_break(c);
	return CACHIFY_EIO;
}

int lc_dconn_read(struct lc_dconn *c, int64_t deadline, struct resp_reply **out)
{
	char buf[READ_CHUNK];
	int rc;

	*out = NULL;
	while ((rc = lc_dconn_decode(c, out)) == 0) {
		ssize_t n;

		if (c->fd < 0) {
			rc =
			    lc_set_error(CACHIFY_EIO, "cachifyd at %s: connection closed", c->path);
			goto fail;
		}
		if (wait_fd(c->fd, POLLIN, deadline) != 0) {
			rc = lc_set_error(CACHIFY_EIO, "cachifyd at %s: %s", c->path,
			                  errno == ETIMEDOUT ? "no reply within the I/O timeout"
			                                     : strerror(errno));
			goto fail;
		}
		n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n > 0) {
			if (resp_reader_feed(&c->in, buf, (size_t)n) != 0) {
				rc = lc_set_error(CACHIFY_ENOMEM, "out of memory reading a reply");
				goto fail;
			}
		} else if (n == 0 || errno == ECONNRESET) {
			rc = lc_set_error(CACHIFY_EIO,
			                  "cachifyd at %s: connection closed by the server",
			                  c->path);
			goto fail;
		} else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
			rc = lc_set_error(CACHIFY_EIO, "cachifyd at %s: recv: %s", c->path,
			                  strerror(errno));
			goto fail;
		}
	}
	if (rc == 1)
		return 0;
fail:
	lc_dconn_break(c);
	return rc;
}
