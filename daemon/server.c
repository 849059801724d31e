/* server.c - the listening socket, the event loop and the daemon's life:
 * safe socket creation or adoption from systemd (LISTEN_FDS), accept (peer
 * credentials, maxclients, EMFILE back-off), signals (SIGTERM/SIGINT
 * graceful stop, SIGHUP reload), service manager notifications, and the
 * background cycle (active expiry in time-boxed slices, rehashing, client
 * timeouts).
 */
#include "server.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "conn.h"
#include "dispatch.h"
#include "lock.h"
#include "log.h"
#include "notify.h"
#include "security.h"
#include "store.h"
#include "waitq.h"

#define CRON_REHASH_BUCKETS 1024 /* buckets moved per background step */
#define EXPIRE_SLICE_BUCKETS 256 /* buckets swept between clock reads */

struct server server = {.listen_fd = -1};

static void accept_cb(evutil_socket_t fd, short what, void *arg);

/* ---- the listening socket ---------------------------------------------- */

/* Is something listening on path? Distinguishes a live daemon from a
 * stale socket file left by a crash. */
static int socket_is_live(const struct sockaddr_un *sa)
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
static void server_note_socket_group(void)
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
static int server_check_passed_fd(int fd, char *path, size_t size)
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
static int server_adopt_listen_fd(void)
{
	const char *pid_s = getenv("LISTEN_PID"), *fds_s = getenv("LISTEN_FDS");
	int fd = SERVER_LISTEN_FDS_START;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 2];
	char fds_text[32];
	bool passed = pid_s && fds_s;
	char *dup;
	long pid = -1, n = -1;

	if (pid_s && *pid_s && strspn(pid_s, "0123456789") == strlen(pid_s))
		pid = strtol(pid_s, NULL, 10);
	if (fds_s && *fds_s && strspn(fds_s, "0123456789") == strlen(fds_s))
		n = strtol(fds_s, NULL, 10);
	snprintf(fds_text, sizeof fds_text, "%s", fds_s ? fds_s : "");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (!passed || pid != (long)getpid())
		return 0;
	if (n < 0) {
		log_warning("malformed LISTEN_FDS=%s", fds_text);
		return -1;
	}
	if (n == 0)
		return 0;
	if (n != 1) {
		log_warning("systemd passed %ld sockets (LISTEN_FDS); cachifyd takes exactly one",
			    n);
		return -1;
	}
	if (server_check_passed_fd(fd, path, sizeof path) != 0)
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
	server.listen_fd = fd;
	server.socket_activated = true;
	/* The socket unit decides where the file lives; warn if others may
	 * replace it, as we refuse for a socket we bind ourselves. */
	if (path[0] == '/') {
		char why[512];

		if (security_check_socket_dir(path, why, sizeof why) != 0)
			log_warning("%s", why);
	}
	return 1;
}

static int server_listen(void)
{
	const char *path = server.cfg.unixsocket;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	mode_t old_umask;
	char why[512];
	int fd, rc;

	switch (server_adopt_listen_fd()) {
	case 1:
		server_note_socket_group();
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
	if (security_check_socket_dir(path, why, sizeof why) != 0) {
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
		switch (socket_is_live(&sa)) {
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
	server.socket_created = true;
	if (chmod(path, server.cfg.unixsocketperm) != 0 ||
	    listen(fd, SERVER_LISTEN_BACKLOG) != 0) {
		log_warning("listen %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		server.socket_created = false;
		return -1;
	}
	server.listen_fd = fd;
	server_note_socket_group();
	return 0;
}

static void server_stop_listening(void)
{
	if (server.ev_accept)
		event_del(server.ev_accept);
	if (server.ev_accept_resume)
		event_del(server.ev_accept_resume);
	if (server.listen_fd >= 0)
		close(server.listen_fd);
	server.listen_fd = -1;
	/* A socket passed by systemd belongs to its socket unit: the file
	 * stays, and the unit keeps listening for the next start. */
	if (server.socket_created) {
		if (unlink(server.cfg.unixsocket) != 0 && errno != ENOENT)
			log_warning("cannot remove socket %s: %s", server.cfg.unixsocket,
				    strerror(errno));
		server.socket_created = false;
	}
}

static void accept_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (server.listen_fd >= 0)
		event_add(server.ev_accept, NULL);
}

/* A rejected peer whose input is drained (never parsed) for a moment
 * before the close, so a client that wrote its first command before
 * reading gets the -NOPERM line and EOF, not EPIPE or a reset. */
struct reject {
	int fd;
	int64_t deadline_ms; /* ms, monotonic: closed then whatever it sends */
	struct event *ev;
	struct reject *prev, *next;
};

static struct reject *rejects;
static size_t nrejects;

static void reject_free(struct reject *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		rejects = r->next;
	if (r->next)
		r->next->prev = r->prev;
	nrejects--;
	event_free(r->ev);
	close(r->fd);
	free(r);
}

static void server_rejects_free(void)
{
	while (rejects)
		reject_free(rejects);
}

static void reject_cb(evutil_socket_t fd, short what, void *arg)
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
	reject_free(r);
}

/* Turns a peer away before reading a byte from it: one -NOPERM line, the
 * end of our side, then close (after at most SERVER_REJECT_LINGER ms of
 * draining). Logged at most every SERVER_REJECT_LOG_GAP ms. */
static void server_reject_peer(int fd, const struct ucred *cr)
{
	struct timeval linger = {SERVER_REJECT_LINGER / 1000, (SERVER_REJECT_LINGER % 1000) * 1000};
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
	if (nrejects < SERVER_REJECT_MAX && (r = calloc(1, sizeof *r)) &&
	    (r->ev = event_new(server.base, fd, EV_READ | EV_PERSIST, reject_cb, r)) &&
	    event_add(r->ev, &linger) == 0) {
		r->fd = fd;
		r->deadline_ms = now + SERVER_REJECT_LINGER;
		r->next = rejects;
		if (rejects)
			rejects->prev = r;
		rejects = r;
		nrejects++;
	} else {
		if (r && r->ev)
			event_free(r->ev);
		free(r);
		close(fd);
	}
	if (server.reject_log_ms == 0 || now - server.reject_log_ms >= SERVER_REJECT_LOG_GAP) {
		char more[64] = "";

		if (server.reject_unlogged)
			snprintf(more, sizeof more, " (%llu more since the last one logged)",
				 (unsigned long long)server.reject_unlogged);
		log_notice("refused a client: pid %d uid %u gid %u is not in allow-uid or "
			   "allow-gid%s",
			   (int)cr->pid, (unsigned)cr->uid, (unsigned)cr->gid, more);
		server.reject_log_ms = now;
		server.reject_unlogged = 0;
	} else {
		server.reject_unlogged++;
	}
}

/* The credentials check on every accepted socket; false when it was
 * rejected (and closed). */
static bool server_peer_ok(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof cr;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) {
		cr.pid = -1;
		cr.uid = (uid_t)-1;
		cr.gid = (gid_t)-1;
	}
	if (security_peer_is_allowed(fd, cr.uid, cr.gid))
		return true;
	server_reject_peer(fd, &cr);
	return false;
}

static void accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	static const char full[] = "-ERR max number of clients reached\r\n";

	(void)what;
	(void)arg;
	/* A bounded batch per wake-up keeps a connection storm fair to the
	 * clients already connected. */
	for (int i = 0; i < 64; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				struct timeval tv = {0, SERVER_EMFILE_PAUSE * 1000};

				log_warning("accept: %s; pausing accepts for %d ms",
					    strerror(errno), SERVER_EMFILE_PAUSE);
				event_del(server.ev_accept);
				event_add(server.ev_accept_resume, &tv);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
				   errno != ECONNABORTED) {
				log_warning("accept: %s", strerror(errno));
			}
			return;
		}
		if (!server_peer_ok(fd))
			continue;
		if (server.nclients >= (size_t)server.cfg.maxclients) {
			server.stats.rejected++;
			if (write(fd, full, sizeof full - 1) < 0)
				log_debug("rejected client: %s", strerror(errno));
			close(fd);
			continue;
		}
		conn_new(fd);
	}
}

/* ---- background work ---------------------------------------------------- */

/* Active expiry in slices of at most SERVER_EXPIRE_BUDGET us: when a slice
 * runs out of time with work left, it yields to I/O and comes back 1 ms
 * later instead of stalling the loop. */
static void expire_cb(evutil_socket_t fd, short what, void *arg)
{
	int64_t start = clock_us();
	int64_t now = clock_ms();
	struct timeval tv = {0, 0};
	bool more = false;

	(void)fd;
	(void)what;
	(void)arg;
	for (;;) {
		size_t freed = store_expire_cycle(server.store, now, EXPIRE_SLICE_BUCKETS);
		bool have_ttls = false;

		for (int db = 0; db < STORE_DBS; db++)
			have_ttls |= store_expires(server.store, db) > 0;
		if (!have_ttls)
			break;
		if (clock_us() - start >= SERVER_EXPIRE_BUDGET) {
			more = freed > 0;
			break;
		}
		/* One full pass found nothing more: rest until the next period. */
		if (freed == 0 && clock_us() - start > SERVER_EXPIRE_BUDGET / 4)
			break;
	}
	waitq_run();
	if (more)
		tv.tv_usec = 1000;
	else
		tv.tv_usec = 1000000 / server.cfg.hz;
	event_add(server.ev_expire, &tv);
}

/* ---- the service manager ------------------------------------------------ */

/* STATUS= text: what `systemctl status cachifyd` shows. */
static void server_status_text(char *buf, size_t size)
{
	size_t keys = 0;

	for (int db = 0; db < STORE_DBS; db++)
		keys += store_dbsize(server.store, db);
	snprintf(buf, size, "%zu clients, %zu keys, %zu locks, %zu pools", server.nclients, keys,
		 lock_count(), pool_count());
}

static char status_sent[128]; /* the last STATUS= text */

static void server_notify_ready(void)
{
	if (!notify_enabled())
		return;
	server_status_text(status_sent, sizeof status_sent);
	notify_send("READY=1\nSTATUS=%s", status_sent);
	server.status_ms = clock_ms();
}

/* Every SERVER_STATUS_PERIOD ms, when the numbers changed. */
static void server_notify_status(int64_t now)
{
	char status[sizeof status_sent];

	if (!notify_enabled() || server.shutting_down ||
	    now - server.status_ms < SERVER_STATUS_PERIOD)
		return;
	server.status_ms = now;
	server_status_text(status, sizeof status);
	if (strcmp(status, status_sent) == 0)
		return;
	memcpy(status_sent, status, sizeof status_sent);
	notify_send("STATUS=%s", status);
}

/* Pings from the loop itself: a stuck loop stops pinging, and systemd
 * restarts it (WatchdogSec=). */
static void watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	notify_send("WATCHDOG=1");
}

static void cron_cb(evutil_socket_t fd, short what, void *arg)
{
	int64_t now = clock_ms();
	int64_t start = clock_us();
	struct conn *c, *next;

	(void)fd;
	(void)what;
	(void)arg;
	server_notify_status(now);
	while (store_rehash_step(server.store, CRON_REHASH_BUCKETS) &&
	       clock_us() - start < SERVER_EXPIRE_BUDGET)
		;
	for (c = server.clients; c; c = next) {
		next = c->next;
		if (c->flags & CONN_CLOSING)
			continue;
		/* conn_free below may close clients after c; restart-safe
		 * because it only frees c itself and grants to others. */
		if (server.cfg.client_request_timeout > 0 && c->partial_since_ms > 0 &&
		    now - c->partial_since_ms > server.cfg.client_request_timeout) {
			log_notice("client %llu: request unfinished after %lld ms; closing",
				   (unsigned long long)c->id, (long long)(now - c->partial_since_ms));
			conn_free(c);
		} else if (server.cfg.timeout > 0 && !(c->flags & CONN_BLOCKED) &&
			   now - c->last_ms > server.cfg.timeout) {
			log_verbose("client %llu: idle timeout; closing", (unsigned long long)c->id);
			conn_free(c);
		}
	}
}

/* ---- life cycle --------------------------------------------------------- */

static void server_maybe_exit(void)
{
	if (server.shutting_down && server.nclients == 0)
		event_base_loopbreak(server.base);
}

void server_conn_gone(struct conn *c)
{
	(void)c;
	server_maybe_exit();
}

static void shutdown_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	log_warning("replies not flushed after %d ms; exiting anyway", SERVER_SHUTDOWN_GRACE);
	event_base_loopbreak(server.base);
}

void server_shutdown(const char *why)
{
	struct timeval grace = {SERVER_SHUTDOWN_GRACE / 1000, (SERVER_SHUTDOWN_GRACE % 1000) * 1000};
	struct conn *c;

	if (server.shutting_down) {
		log_warning("%s again: exiting now", why);
		event_base_loopbreak(server.base);
		return;
	}
	log_notice("%s: shutting down, flushing replies to %zu clients", why, server.nclients);
	notify_send("STOPPING=1\nSTATUS=shutting down (%s)", why);
	server.shutting_down = true;
	server_stop_listening();
	waitq_shutdown();
	for (c = server.clients; c; c = c->next)
		conn_close_after_reply(c);
	event_add(server.ev_shutdown, &grace);
	server_maybe_exit();
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	if (sig == SIGHUP) {
		log_notice("SIGHUP: reloading the configuration");
		notify_send("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading the configuration",
			    (unsigned long long)notify_monotonic_usec());
		server_reload();
		server_notify_ready();
		return;
	}
	server_shutdown(sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

void server_apply_config(void)
{
	server.lim.inline_max = server.cfg.proto_inline_max;
	server.lim.args_max = server.cfg.proto_max_args;
	server.lim.bulk_max = server.cfg.proto_max_bulk_len;
	for (struct conn *c = server.clients; c; c = c->next)
		resp_req_set_limits(&c->req, &server.lim);
	log_set_level(server.cfg.loglevel);
	store_set_maxmemory(server.store, server.cfg.maxmemory,
			    server.cfg.maxmemory_policy == MAXMEMORY_VOLATILE_LRU
				    ? STORE_VOLATILE_LRU
				    : STORE_NOEVICTION);
	security_configure(&server.cfg);
}

/* Directives that need a restart keep their running value on reload. */
static void keep_restart_only(struct config *next)
{
	free(next->unixsocket);
	next->unixsocket = strdup(server.cfg.unixsocket);
	next->unixsocketperm = server.cfg.unixsocketperm;
	free(next->user);
	next->user = strdup(server.cfg.user);
}

/* Applies the command line's --directive value pairs over a configuration. */
static int server_apply_overrides(struct config *c, char *err)
{
	for (size_t i = 0; i + 1 < server.noverrides; i += 2)
		if (config_set(c, server.overrides[i], server.overrides[i + 1], err) != 0)
			return -1;
	return 0;
}

int server_load_config(struct config *c, char *err)
{
	config_defaults(c);
	if (server.config_file && config_load_file(c, server.config_file, err) != 0)
		return -1;
	if (server_apply_overrides(c, err) != 0)
		return -1;
	if (config_validate(c, err) != 0)
		return -1;
	return security_validate(c, err);
}

int server_reload(void)
{
	char err[CONFIG_ERR_MAX];
	struct config next;

	if (server_load_config(&next, err) != 0)
		goto fail;
	keep_restart_only(&next);
	if (!next.unixsocket || !next.user) {
		snprintf(err, sizeof err, "out of memory");
		goto fail;
	}
	config_free(&server.cfg);
	server.cfg = next;
	server_apply_config();
	log_notice("configuration reloaded (loglevel %s)",
		   config_loglevel_name(server.cfg.loglevel));
	return 0;
fail:
	log_warning("reload failed, keeping the running configuration: %s", err);
	config_free(&next);
	return -1;
}

/* Every key that leaves the keyspace: free what a lock or pool entry
 * points to, and give the key's waiters their chance. */
static void store_hook(void *ctx, int db, struct sentry *e, enum store_reason why)
{
	(void)ctx;
	if (e->type == STORE_LOCK)
		lock_entry_gone(e, why);
	else if (e->type == STORE_POOL)
		pool_entry_gone(e, why);
	waitq_wake(db, sentry_key(e), e->klen);
}

/* Enough descriptors for maxclients: raise the soft limit if the hard one
 * allows it, else say what to change. */
static void server_raise_nofile(void)
{
	rlim_t want = (rlim_t)server.cfg.maxclients + SERVER_RESERVED_FDS;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
		log_warning("maxclients %d needs %llu file descriptors but the limit is %llu; "
			    "raise it (ulimit -n, LimitNOFILE=)",
			    server.cfg.maxclients, (unsigned long long)want,
			    (unsigned long long)rl.rlim_cur);
}

int server_init(void)
{
	static const int sigs[3] = {SIGTERM, SIGINT, SIGHUP};
	struct timeval cron_tv = {0, 1000000 / server.cfg.hz};

	signal(SIGPIPE, SIG_IGN);
	notify_init();
	server.start_ms = clock_ms();
	server.start_wall = time(NULL);
	/* Timers on the precise CLOCK_MONOTONIC: libevent's default is the
	 * coarse clock (4 ms ticks here), which can end a WAIT before it is due. */
	{
		struct event_config *ec = event_config_new();

		if (ec && event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER) == 0)
			server.base = event_base_new_with_config(ec);
		if (ec)
			event_config_free(ec);
		if (!server.base)
			server.base = event_base_new();
	}
	server.store = store_new();
	if (!server.base || !server.store || dispatch_init() != 0) {
		log_warning("out of memory at start-up");
		return -1;
	}
	store_set_delete_hook(server.store, store_hook, NULL);
	server_apply_config();
	server_raise_nofile();
	if (server_listen() != 0)
		return -1;
	/* Root is needed, if at all, only to bind: give it up right after. */
	if (security_drop_privileges(server.cfg.user) != 0)
		return -1;
	server.ev_accept =
		event_new(server.base, server.listen_fd, EV_READ | EV_PERSIST, accept_cb, NULL);
	server.ev_accept_resume = evtimer_new(server.base, accept_resume_cb, NULL);
	server.ev_cron = event_new(server.base, -1, EV_PERSIST, cron_cb, NULL);
	server.ev_expire = evtimer_new(server.base, expire_cb, NULL);
	server.ev_shutdown = evtimer_new(server.base, shutdown_timeout_cb, NULL);
	for (int i = 0; i < 3; i++)
		server.ev_signals[i] = evsignal_new(server.base, sigs[i], signal_cb, NULL);
	if (!server.ev_accept || !server.ev_accept_resume || !server.ev_cron ||
	    !server.ev_expire || !server.ev_shutdown || !server.ev_signals[0] ||
	    !server.ev_signals[1] || !server.ev_signals[2]) {
		log_warning("out of memory at start-up");
		return -1;
	}
	event_add(server.ev_accept, NULL);
	event_add(server.ev_cron, &cron_tv);
	event_add(server.ev_expire, &cron_tv);
	for (int i = 0; i < 3; i++)
		event_add(server.ev_signals[i], NULL);
	if (notify_watchdog_usec() > 0) {
		int64_t half = notify_watchdog_usec() / 2;
		struct timeval wd = {(time_t)(half / 1000000), (suseconds_t)(half % 1000000)};

		server.ev_watchdog = event_new(server.base, -1, EV_PERSIST, watchdog_cb, NULL);
		if (!server.ev_watchdog) {
			log_warning("out of memory at start-up");
			return -1;
		}
		event_add(server.ev_watchdog, &wd);
	}
	log_notice("cachifyd %s ready: pid %d, socket %s%s", CACHIFY_VERSION, (int)getpid(),
		   server.cfg.unixsocket, server.socket_activated ? " (from systemd)" : "");
	server_notify_ready();
	return 0;
}

int server_run(void)
{
	event_base_dispatch(server.base);
	server_stop_listening();
	log_notice("cachifyd exiting");
	return server.exit_code;
}

void server_free(void)
{
	server_stop_listening();
	server_rejects_free();
	server.shutting_down = false;
	waitq_free();
	while (server.clients)
		conn_free(server.clients);
	if (server.store)
		store_free(server.store);
	struct event **evs[] = {&server.ev_accept, &server.ev_accept_resume, &server.ev_cron,
				&server.ev_expire, &server.ev_shutdown, &server.ev_signals[0],
				&server.ev_signals[1], &server.ev_signals[2], &server.ev_watchdog};
	for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
		if (*evs[i]) {
			event_free(*evs[i]);
			*evs[i] = NULL;
		}
	dispatch_free();
	if (server.base)
		event_base_free(server.base);
	config_free(&server.cfg);
	free(server.config_file);
	security_free();
	notify_free();
}
