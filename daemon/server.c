/* server.c - the listening socket, the event loop and the daemon's life:
 * safe socket creation, accept (maxclients, EMFILE back-off), signals
 * (SIGTERM/SIGINT graceful stop, SIGHUP reload), and the background cycle
 * (active expiry in time-boxed slices, rehashing, client timeouts).
 */
#include "server.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int server_listen(void)
{
	const char *path = server.cfg.unixsocket;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	mode_t old_umask;
	int fd, rc;

	if (strlen(path) >= sizeof sa.sun_path) {
		log_warning("socket path too long (%zu bytes, at most %zu): %s", strlen(path),
			    sizeof sa.sun_path - 1, path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);

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
	if (server.socket_created) {
		unlink(server.cfg.unixsocket);
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

static void cron_cb(evutil_socket_t fd, short what, void *arg)
{
	int64_t now = clock_ms();
	int64_t start = clock_us();
	struct conn *c, *next;

	(void)fd;
	(void)what;
	(void)arg;
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

static void server_begin_shutdown(const char *why)
{
	struct timeval grace = {SERVER_SHUTDOWN_GRACE / 1000, (SERVER_SHUTDOWN_GRACE % 1000) * 1000};
	struct conn *c;

	if (server.shutting_down) {
		log_warning("%s again: exiting now", why);
		event_base_loopbreak(server.base);
		return;
	}
	log_notice("%s: shutting down, flushing replies to %zu clients", why, server.nclients);
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
		server_reload();
		return;
	}
	server_begin_shutdown(sig == SIGTERM ? "SIGTERM" : "SIGINT");
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
}

/* Directives that need a restart keep their running value on reload. */
static void keep_restart_only(struct config *next)
{
	free(next->unixsocket);
	next->unixsocket = strdup(server.cfg.unixsocket);
	next->unixsocketperm = server.cfg.unixsocketperm;
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
	return config_validate(c, err);
}

int server_reload(void)
{
	char err[CONFIG_ERR_MAX];
	struct config next;

	if (server_load_config(&next, err) != 0)
		goto fail;
	keep_restart_only(&next);
	if (!next.unixsocket) {
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

int server_init(void)
{
	static const int sigs[3] = {SIGTERM, SIGINT, SIGHUP};
	struct timeval cron_tv = {0, 1000000 / server.cfg.hz};

	signal(SIGPIPE, SIG_IGN);
	server.start_ms = clock_ms();
	server.start_wall = time(NULL);
	server.base = event_base_new();
	server.store = store_new();
	if (!server.base || !server.store || dispatch_init() != 0) {
		log_warning("out of memory at start-up");
		return -1;
	}
	store_set_delete_hook(server.store, store_hook, NULL);
	server_apply_config();
	if (server_listen() != 0)
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
	log_notice("cachifyd %s ready: pid %d, socket %s", CACHIFY_VERSION, (int)getpid(),
		   server.cfg.unixsocket);
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
	server.shutting_down = false;
	waitq_free();
	while (server.clients)
		conn_free(server.clients);
	if (server.store)
		store_free(server.store);
	struct event **evs[] = {&server.ev_accept, &server.ev_accept_resume, &server.ev_cron,
				&server.ev_expire, &server.ev_shutdown, &server.ev_signals[0],
				&server.ev_signals[1], &server.ev_signals[2]};
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
}
