/* listen.c - the listening socket: safe creation (path checks; a live,
 * stale, symlinked or regular file at the path; umask around bind; the
 * directory's permissions) or adoption from systemd (LISTEN_FDS), and
 * accept (peer credentials, maxclients, EMFILE back-off). What an accepted
 * client does is conn.c's. The listener's state is this file's own.
 */
#include "listen.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "conn.h"
#include "log.h"
#include "resp.h"
#include "security.h"
#include "server.h"

#define LISTEN_BACKLOG	  511
#define LISTEN_EMFILE_PAUSE 100	 /* ms accept stays off after EMFILE */
#define LISTEN_BATCH	  64	 /* accepts per wake-up: fair to connected clients */
#define LISTEN_REJECT_LOG_WINDOW 1000 /* ms: refused peers are logged per window... */
#define LISTEN_REJECT_LOG_BURST	 10   /* ...one line each for this many, then one sum */
#define LISTEN_PAUSE_LOG_GAP  10000 /* ms between two logged EMFILE pauses */
#define LISTEN_REJECT_LINGER  1000 /* ms a rejected peer's input is drained before close */
#define LISTEN_REJECT_MAX     64   /* rejected peers draining at once; more close at once */
#define LISTEN_FDS_START      3	   /* first socket passed by systemd (SD_LISTEN_FDS_START) */

static struct {
	int fd;				/* -1 when not listening */
	bool created;			/* we bound it, so we unlink it */
	bool activated;			/* adopted from systemd (LISTEN_FDS): never unlinked */
	dev_t dev;			/* the socket file we bound, to unlink only that */
	ino_t ino;
	struct event *ev_accept;
	struct event *ev_resume;	/* re-enables accept after EMFILE */
	struct event *ev_reject_sum;	/* logs the window's suppressed rejections */
	int64_t reject_window_ms;	/* ms, monotonic: the current window's start */
	unsigned reject_logged;		/* rejections logged in this window */
	uint64_t reject_suppressed;	/* rejections not logged in this window */
	int64_t pause_log_ms;		/* ms, monotonic: last EMFILE pause logged */
	uint64_t pauses;		/* EMFILE pauses since then */
} lsn = {.fd = -1};

static void listen_reject_sum(void);

/* Is something listening on path? Distinguishes a live daemon from a
 * stale socket file left by a crash. */
static int listen_socket_is_live(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int rc, err;

	if (fd < 0)
		return -1;
	rc = connect(fd, (const struct sockaddr *)sa, sizeof *sa);
	err = errno;
	close(fd);
	if (rc == 0)
		return 1;
	return err == ECONNREFUSED ? 0 : -1;
}

/* Remembers the socket file's group, for "socket" in allow-gid. */
static void listen_note_socket_group(void)
{
	const char *path = server.cfg.unixsocket;
	struct stat st;

	if (path[0] != '@' && stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		security_set_socket_gid(true, st.st_gid);
	else
		security_set_socket_gid(false, 0);
}

/* Checks that fd is what a socket unit for cachifyd passes: a listening
 * AF_UNIX stream socket. Its address goes to path ("@name" if abstract). */
static int listen_check_passed_fd(int fd, char *path, size_t size)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof sa;
	int type = 0, listening = 0;
	socklen_t ilen = sizeof type;
	struct stat st;
	size_t plen;

	if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) {
		log_warning("LISTEN_FDS: fd %d is not a socket", fd);
		return -1;
	}
	memset(&sa, 0, sizeof sa);
	if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0 || sa.sun_family != AF_UNIX) {
		log_warning("LISTEN_FDS: fd %d is not a Unix socket; cachifyd only listens on "
			    "Unix sockets (ListenStream=/path)", fd);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &ilen) != 0 || type != SOCK_STREAM) {
		log_warning("LISTEN_FDS: fd %d is not a stream socket (ListenStream=)", fd);
		return -1;
	}
	ilen = sizeof listening;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ilen) != 0 || !listening) {
		log_warning("LISTEN_FDS: fd %d is not listening (Accept=yes is not supported)",
			    fd);
		return -1;
	}
	plen = len > offsetof(struct sockaddr_un, sun_path)
		       ? len - offsetof(struct sockaddr_un, sun_path)
		       : 0;
	if (plen == 0) {
		log_warning("LISTEN_FDS: fd %d has no address", fd);
		return -1;
	}
	if (sa.sun_path[0] == '\0') {
		/* Abstract: the name may hold any byte; show the printable part. */
		snprintf(path, size, "@%.*s", (int)strnlen(sa.sun_path + 1, plen - 1),
			 sa.sun_path + 1);
	} else {
		snprintf(path, size, "%.*s", (int)strnlen(sa.sun_path, plen), sa.sun_path);
	}
	return 0;
}

/* Socket activation (sd_listen_fds semantics): when LISTEN_PID is our pid
 * and LISTEN_FDS is 1, fd 3 is our listening socket, already bound and
 * owned by the socket unit. 1 adopted, 0 nothing passed to us, -1 refused
 * (logged). The variables are unset either way, so nothing we start
 * mistakes them for its own. */
static int listen_adopt_fd(void)
{
	const char *pid_s = getenv("LISTEN_PID"), *fds_s = getenv("LISTEN_FDS");
	int fd = LISTEN_FDS_START;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 2];
	char fds_text[32];
	bool passed = pid_s && fds_s;
	char *dup;
	long long pid = -1, n = -1;

	/* Malformed or negative values count as absent (pid) or bad (fds). */
	if (pid_s && (resp_parse_ll(pid_s, strlen(pid_s), &pid) != 0 || pid < 0))
		pid = -1;
	if (fds_s && (resp_parse_ll(fds_s, strlen(fds_s), &n) != 0 || n < 0))
		n = -1;
	snprintf(fds_text, sizeof fds_text, "%s", fds_s ? fds_s : "");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (!passed || pid != (long long)getpid())
		return 0;
	if (n < 0) {
		log_warning("malformed LISTEN_FDS=%s", fds_text);
		return -1;
	}
	if (n == 0)
		return 0;
	if (n != 1) {
		log_warning("systemd passed %lld sockets (LISTEN_FDS); cachifyd takes exactly one",
			    n);
		return -1;
	}
	if (listen_check_passed_fd(fd, path, sizeof path) != 0)
		return -1;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
		log_warning("LISTEN_FDS: fd %d: %s", fd, strerror(errno));
		return -1;
	}
	if (strcmp(path, server.cfg.unixsocket) != 0)
		log_notice("using the socket passed by systemd, %s (unixsocket %s is not used)",
			   path, server.cfg.unixsocket);
	dup = strdup(path);
	if (!dup) {
		log_warning("out of memory at start-up");
		return -1;
	}
	free(server.cfg.unixsocket);
	server.cfg.unixsocket = dup;
	lsn.fd = fd;
	lsn.activated = true;
	/* The socket unit decides where the file lives; warn if others may
	 * replace it, as we refuse for a socket we bind ourselves. */
	if (path[0] == '/') {
		char why[512];

		if (security_check_socket_dir(path, server.cfg.user, why, sizeof why) != 0)
			log_warning("%s", why);
	}
	return 1;
}

int listen_open(void)
{
	const char *path = server.cfg.unixsocket;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	mode_t old_umask;
	char why[512];
	int fd, rc;

	switch (listen_adopt_fd()) {
	case 1:
		listen_note_socket_group();
		return 0;
	case -1:
		return -1;
	default:
		break;
	}
	if (strlen(path) >= sizeof sa.sun_path) {
		log_warning("socket path too long (%zu bytes, at most %zu): %s", strlen(path),
			    sizeof sa.sun_path - 1, path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* Whoever can write the directory can swap our socket for theirs. */
	if (security_check_socket_dir(path, server.cfg.user, why, sizeof why) != 0) {
		log_warning("%s", why);
		return -1;
	}

	/* Never unlink what is not a stale socket of ours to take. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_warning("%s exists and is not a socket%s; refusing to remove it", path,
				    S_ISLNK(st.st_mode) ? " (a symlink)" : "");
			return -1;
		}
		switch (listen_socket_is_live(&sa)) {
		case 1:
			log_warning("%s: another server is already listening there", path);
			return -1;
		case 0:
			log_notice("removing stale socket %s", path);
			if (unlink(path) != 0 && errno != ENOENT) {
				log_warning("unlink %s: %s", path, strerror(errno));
				return -1;
			}
			break;
		default:
			log_warning("%s: cannot tell whether it is in use: %s", path,
				    strerror(errno));
			return -1;
		}
	} else if (errno != ENOENT) {
		log_warning("%s: %s", path, strerror(errno));
		return -1;
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		log_warning("socket: %s", strerror(errno));
		return -1;
	}
	/* The file must never exist with looser permissions than asked, not
	 * even between bind() and chmod(): set the umask around bind. */
	old_umask = umask((mode_t)(~server.cfg.unixsocketperm & 0777));
	rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old_umask);
	if (rc != 0) {
		log_warning("bind %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	lsn.created = true;
	if (chmod(path, server.cfg.unixsocketperm) != 0 ||
	    listen(fd, LISTEN_BACKLOG) != 0) {
		log_warning("listen %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		lsn.created = false;
		return -1;
	}
	if (lstat(path, &st) == 0) {
		lsn.dev = st.st_dev;
		lsn.ino = st.st_ino;
	}
	lsn.fd = fd;
	listen_note_socket_group();
	return 0;
}

/* Removes path only if it is still the socket we bound: whatever someone
 * put there since (a rename, a new file) is not ours to delete. */
static void listen_unlink_ours(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno != ENOENT)
			log_warning("cannot check socket %s: %s", path, strerror(errno));
		return;
	}
	if (!S_ISSOCK(st.st_mode) || st.st_dev != lsn.dev || st.st_ino != lsn.ino) {
		log_warning("not removing %s: it is no longer the socket this daemon bound", path);
		return;
	}
	if (unlink(path) != 0 && errno != ENOENT)
		log_warning("cannot remove socket %s: %s", path, strerror(errno));
}

void listen_close(void)
{
	if (lsn.ev_accept)
		event_del(lsn.ev_accept);
	if (lsn.ev_resume)
		event_del(lsn.ev_resume);
	if (lsn.ev_reject_sum)
		event_del(lsn.ev_reject_sum);
	listen_reject_sum();
	if (lsn.fd >= 0)
		close(lsn.fd);
	lsn.fd = -1;
	/* A socket passed by systemd belongs to its socket unit: the file
	 * stays, and the unit keeps listening for the next start. */
	if (lsn.created) {
		listen_unlink_ours(server.cfg.unixsocket);
		lsn.created = false;
	}
}

/* accept failed for lack of descriptors: logged at most every
 * LISTEN_PAUSE_LOG_GAP ms with the count since, not every pause. */
static void listen_log_pause(int err)
{
	int64_t now = clock_ms();

	lsn.pauses++;
	if (lsn.pause_log_ms != 0 && now - lsn.pause_log_ms < LISTEN_PAUSE_LOG_GAP)
		return;
	log_warning("accept: %s; pausing accepts for %d ms (%llu pauses since the last "
		    "message); raise the descriptor limit or lower maxclients",
		    strerror(err), LISTEN_EMFILE_PAUSE, (unsigned long long)lsn.pauses);
	lsn.pause_log_ms = now;
	lsn.pauses = 0;
}

static void listen_accept_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (lsn.fd >= 0)
		event_add(lsn.ev_accept, NULL);
}

/* A rejected peer whose input is drained (never parsed) for a moment
 * before the close, so a client that wrote its first command before
 * reading gets the -NOPERM line and EOF, not EPIPE or a reset. */
struct reject {
	int fd;
	int64_t deadline_ms; /* ms, monotonic: closed then whatever it sends */
	struct event *ev;
	LIST_ENTRY(reject) link;
};

static LIST_HEAD(, reject) rejects = LIST_HEAD_INITIALIZER(rejects);
static size_t nrejects;

static void listen_reject_free(struct reject *r)
{
	LIST_REMOVE(r, link);
	nrejects--;
	event_free(r->ev);
	close(r->fd);
	free(r);
}

static void listen_rejects_free(void)
{
	while (!LIST_EMPTY(&rejects))
		listen_reject_free(LIST_FIRST(&rejects));
}

static void listen_reject_cb(evutil_socket_t fd, short what, void *arg)
{
	struct reject *r = arg;
	char buf[4096];
	ssize_t n = 1;

	if (!(what & EV_TIMEOUT) && clock_ms() < r->deadline_ms) {
		for (int i = 0; i < 16 && (n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0; i++)
			;
		if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)))
			return;
	}
	listen_reject_free(r);
}

/* Logs the rejections the window suppressed, in one line. */
static void listen_reject_sum(void)
{
	if (!lsn.reject_suppressed)
		return;
	log_notice("refused %llu more clients in %d ms (suppressed: at most %d lines per "
		   "%d ms)",
		   (unsigned long long)lsn.reject_suppressed, LISTEN_REJECT_LOG_WINDOW,
		   LISTEN_REJECT_LOG_BURST, LISTEN_REJECT_LOG_WINDOW);
	lsn.reject_suppressed = 0;
}

static void listen_reject_sum_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	listen_reject_sum();
}

/* One line per refused peer, at most LISTEN_REJECT_LOG_BURST per window;
 * the rest are counted and summed when the window ends (a timer, so the
 * sum comes even if nobody else is refused). */
static void listen_reject_log(const struct ucred *cr, int64_t now)
{
	if (now - lsn.reject_window_ms >= LISTEN_REJECT_LOG_WINDOW) {
		listen_reject_sum();
		lsn.reject_window_ms = now;
		lsn.reject_logged = 0;
	}
	if (lsn.reject_logged < LISTEN_REJECT_LOG_BURST) {
		lsn.reject_logged++;
		log_notice("refused a client: pid %d uid %u gid %u is not in allow-uid or "
			   "allow-gid",
			   (int)cr->pid, (unsigned)cr->uid, (unsigned)cr->gid);
		return;
	}
	if (lsn.reject_suppressed++ == 0 && lsn.ev_reject_sum) {
		int64_t left = lsn.reject_window_ms + LISTEN_REJECT_LOG_WINDOW - now;
		struct timeval tv = {left / 1000, (left % 1000) * 1000};

		event_add(lsn.ev_reject_sum, &tv);
	}
}

/* Turns a peer away before reading a byte from it: one -NOPERM line, the
 * end of our side, then close (after at most LISTEN_REJECT_LINGER ms of
 * draining), and a log line (listen_reject_log). */
static void listen_reject_peer(int fd, const struct ucred *cr)
{
	struct timeval linger = {LISTEN_REJECT_LINGER / 1000, (LISTEN_REJECT_LINGER % 1000) * 1000};
	struct reject *r = NULL;
	char msg[160];
	int n;
	int64_t now = clock_ms();

	server.stats.rejected_peer++;
	n = snprintf(msg, sizeof msg,
		     "-NOPERM uid %u (gid %u) may not use this server: see allow-uid and "
		     "allow-gid\r\n",
		     (unsigned)cr->uid, (unsigned)cr->gid);
	if (write(fd, msg, (size_t)n) < 0)
		log_debug("rejected peer: %s", strerror(errno));
	shutdown(fd, SHUT_WR);
	if (nrejects < LISTEN_REJECT_MAX && (r = calloc(1, sizeof *r)) &&
	    (r->ev = event_new(server.base, fd, EV_READ | EV_PERSIST, listen_reject_cb, r)) &&
	    event_add(r->ev, &linger) == 0) {
		r->fd = fd;
		r->deadline_ms = now + LISTEN_REJECT_LINGER;
		LIST_INSERT_HEAD(&rejects, r, link);
		nrejects++;
	} else {
		if (r && r->ev)
			event_free(r->ev);
		free(r);
		close(fd);
	}
	listen_reject_log(cr, now);
}

/* The credentials check on every accepted socket: fills *cr (the peer's,
 * or -1s if unknown) and returns false when it was rejected (and closed). */
static bool listen_peer_ok(int fd, struct ucred *cr)
{
	socklen_t len = sizeof *cr;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cr, &len) != 0) {
		cr->pid = -1;
		cr->uid = (uid_t)-1;
		cr->gid = (gid_t)-1;
	}
	if (security_peer_is_allowed(fd, cr->uid, cr->gid))
		return true;
	listen_reject_peer(fd, cr);
	return false;
}

static void listen_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	static const char full[] = "-ERR max number of clients reached\r\n";

	(void)what;
	(void)arg;
	/* A bounded batch per wake-up keeps a connection storm fair to the
	 * clients already connected. */
	for (int i = 0; i < LISTEN_BATCH; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ucred cr;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				struct timeval tv = {0, LISTEN_EMFILE_PAUSE * 1000};

				listen_log_pause(errno);
				event_del(lsn.ev_accept);
				event_add(lsn.ev_resume, &tv);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
				   errno != ECONNABORTED) {
				log_warning("accept: %s", strerror(errno));
			}
			return;
		}
		if (!listen_peer_ok(fd, &cr))
			continue;
		if (server.nclients >= (size_t)server.cfg.maxclients) {
			server.stats.rejected++;
			if (write(fd, full, sizeof full - 1) < 0)
				log_debug("rejected client: %s", strerror(errno));
			close(fd);
			continue;
		}
		conn_new(fd, &cr);
	}
}

int listen_fd(void)
{
	return lsn.ev_accept && event_pending(lsn.ev_accept, EV_READ, NULL) ? lsn.fd : -1;
}

void listen_accept(void)
{
	listen_accept_cb(lsn.fd, EV_READ, NULL);
}

int listen_start(struct event_base *base)
{
	lsn.ev_accept = event_new(base, lsn.fd, EV_READ | EV_PERSIST, listen_accept_cb, NULL);
	lsn.ev_resume = evtimer_new(base, listen_accept_resume_cb, NULL);
	lsn.ev_reject_sum = evtimer_new(base, listen_reject_sum_cb, NULL);
	if (!lsn.ev_accept || !lsn.ev_resume || !lsn.ev_reject_sum ||
	    event_add(lsn.ev_accept, NULL) != 0) {
		log_warning("out of memory at start-up");
		return -1;
	}
	return 0;
}

bool listen_is_activated(void)
{
	return lsn.activated;
}

void listen_free(void)
{
	listen_close();
	listen_rejects_free();
	if (lsn.ev_accept)
		event_free(lsn.ev_accept);
	if (lsn.ev_resume)
		event_free(lsn.ev_resume);
	if (lsn.ev_reject_sum)
		event_free(lsn.ev_reject_sum);
	lsn.ev_accept = lsn.ev_resume = lsn.ev_reject_sum = NULL;
}
