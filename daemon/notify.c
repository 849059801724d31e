/* notify.c - sd_notify(3) done by hand: one datagram per notification to
 * the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or '@' for the
 * abstract namespace), plus the watchdog variables. No libsystemd: the
 * protocol is a documented, stable text datagram.
 */
#include "notify.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "resp.h"

static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_addrlen;
static int64_t watchdog_usec;

/* A positive decimal that fits, else -1. */
static long long parse_positive(const char *s)
{
	unsigned long long v;

	if (!s || resp_parse_ull(s, strlen(s), LLONG_MAX, &v) != 0 || v == 0)
		return -1;
	return (long long)v;
}

static void read_watchdog(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	long long v = parse_positive(usec);

	watchdog_usec = 0;
	if (!usec)
		return;
	if (v < 0) {
		log_warning("ignoring malformed WATCHDOG_USEC=%s", usec);
		return;
	}
	/* WATCHDOG_PID names the process meant; absent means us. */
	if (pid && parse_positive(pid) != (long long)getpid())
		return;
	watchdog_usec = v;
}

int notify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;
	int rc = 0;

	read_watchdog();
	if (!path)
		goto out;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len < 2 ||
	    len >= sizeof notify_addr.sun_path) {
		log_warning("ignoring NOTIFY_SOCKET=%s: not an absolute path or @name", path);
		rc = -1;
		goto out;
	}
	memset(&notify_addr, 0, sizeof notify_addr);
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, path, len);
	if (path[0] == '@') {
		/* Abstract: a leading NUL, and the length says where it ends. */
		notify_addr.sun_path[0] = '\0';
		notify_addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	} else {
		notify_addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	}
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd < 0) {
		log_warning("notify socket: %s", strerror(errno));
		rc = -1;
		goto out;
	}
	{
		struct timeval tv = {NOTIFY_SEND_TIMEOUT / 1000, (NOTIFY_SEND_TIMEOUT % 1000) * 1000};

		setsockopt(notify_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	}
out:
	/* Nothing this process starts should talk to the manager as us. */
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	if (notify_fd < 0)
		watchdog_usec = 0;
	return rc;
}

void notify_free(void)
{
	if (notify_fd >= 0)
		close(notify_fd);
	notify_fd = -1;
	watchdog_usec = 0;
}

bool notify_enabled(void)
{
	return notify_fd >= 0;
}

int notify_send(const char *fmt, ...)
{
	char msg[NOTIFY_MSG_MAX];
	va_list ap;
	int n;
	ssize_t sent;

	if (notify_fd < 0)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof msg)
		n = (int)sizeof msg - 1;
	do
		sent = sendto(notify_fd, msg, (size_t)n, MSG_NOSIGNAL,
			      (const struct sockaddr *)&notify_addr, notify_addrlen);
	while (sent < 0 && errno == EINTR);
	if (sent < 0) {
		log_debug("notify: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int64_t notify_watchdog_usec(void)
{
	return watchdog_usec;
}

uint64_t notify_monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
