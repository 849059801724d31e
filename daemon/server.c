/* server.c - the event loop and the daemon's life: start-up and shutdown,
 * signals (SIGTERM/SIGINT graceful stop, SIGHUP reload), service manager
 * notifications, and the background cycle (active expiry in time-boxed
 * slices, rehashing, client timeouts). The listening socket is listen.c's.
 */
#include "server.h"

#include <event2/event.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "acl.h"
#include "block.h"
#include "clock.h"
#include "conn.h"
#include "command.h"
#include "command_stats.h"
#include "diag.h"
#include "hash.h"
#include "kevent.h"
#include "list.h"
#include "listen.h"
#include "lock.h"
#include "log.h"
#include "notify.h"
#include "object.h"
#include "pause.h"
#include "persist.h"
#include "pool.h"
#include "random.h"
#include "reply.h"
#include "script.h"
#include "security.h"
#include "store.h"
#include "waitq.h"
#include "watch.h"
#include "zset.h"

#define CRON_REHASH_BUCKETS 1024 /* buckets moved per background step */
#define EXPIRE_SLICE_BUCKETS 256 /* buckets swept between clock reads */

_Static_assert((int)MAXMEMORY_VOLATILE_LRU == (int)STORE_VOLATILE_LRU &&
		       (int)MAXMEMORY_VOLATILE_TTL == (int)STORE_VOLATILE_TTL &&
		       (int)MAXMEMORY_ALLKEYS_LRU == (int)STORE_ALLKEYS_LRU &&
		       (int)MAXMEMORY_ALLKEYS_RANDOM == (int)STORE_ALLKEYS_RANDOM,
	       "config.h's maxmemory policies are in store.h's order");

struct server server = {.clients = LIST_HEAD_INITIALIZER(server.clients)};

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
	latency_add("expire-cycle", (clock_us() - start) / 1000);
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
	persist_cron();
	command_stats_sample_ops(now, server.stats.commands);
	if (store_used_memory(server.store) > server.stats.used_memory_peak)
		server.stats.used_memory_peak = store_used_memory(server.store);
	/* Not while a snapshot child shares the memory: moving buckets
	 * would copy pages for nothing (Redis holds off resizing too). */
	while (!persist_bgsave_running() && store_rehash_step(server.store, CRON_REHASH_BUCKETS) &&
	       clock_us() - start < SERVER_EXPIRE_BUDGET)
		;
	for (c = LIST_FIRST(&server.clients); c; c = next) {
		next = LIST_NEXT(c, link);
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
	listen_close();
	waitq_shutdown();
	block_shutdown();
	LIST_FOREACH(c, &server.clients, link)
		conn_close_after_reply(c);
	event_add(server.ev_shutdown, &grace);
	server_maybe_exit();
}

static bool stop_refused; /* a signal's final snapshot failed: the next stops without */

/* SIGHUP first reopens the logfile, so logrotate can rename it and signal
 * (no copytruncate); if that fails the old file keeps the lines. */
static void server_reopen_log(void)
{
	char err[256];

	if (log_reopen(err, sizeof err) != 0)
		log_warning("SIGHUP: cannot reopen the log, still writing to the old file: %s", err);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	if (sig == SIGHUP) {
		server_reopen_log();
		log_notice("SIGHUP: reloading the configuration");
		notify_send("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading the configuration",
			    (unsigned long long)notify_monotonic_usec());
		server_reload();
		server_notify_ready();
		return;
	}
	if (!server.shutting_down && persist_before_stop(false, stop_refused, false) != 0) {
		stop_refused = true;
		return;
	}
	server_shutdown(sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

void server_apply_config(void)
{
	server.lim.inline_max = server.cfg.proto_inline_max;
	server.lim.args_max = server.cfg.proto_max_args;
	server.lim.bulk_max = server.cfg.proto_max_bulk_len;
	struct conn *c;

	LIST_FOREACH(c, &server.clients, link)
		resp_req_set_limits(&c->req, &server.lim);
	log_set_level(server.cfg.loglevel);
	log_set_format(server.cfg.log_format);
	/* config.h lists the policies in store.h's order. */
	store_set_maxmemory(server.store, server.cfg.maxmemory,
			    (enum store_policy)server.cfg.maxmemory_policy);
	store_set_eviction(server.store, (unsigned)server.cfg.maxmemory_samples,
			   (unsigned)server.cfg.lfu_log_factor, (unsigned)server.cfg.lfu_decay_time);
	/* The rules and the admin set change together or not at all (both
	 * were validated; only memory can fail here). */
	if (acl_configure(&server.cfg) == 0)
		security_configure(&server.cfg);
	waitq_set_max_waiters(server.cfg.lock_max_waiters);
	hash_set_limits(server.cfg.hash_max_listpack_entries, server.cfg.hash_max_listpack_value);
	zset_set_limits(server.cfg.zset_max_listpack_entries, server.cfg.zset_max_listpack_value);
	list_set_fill(server.cfg.list_max_listpack_size);
	kevent_configure(server.cfg.notify_keyspace_events);
	reply_set_output_limits(&server.cfg.obuf);
	/* hz may have changed: the cron follows it (expiry reads it each turn). */
	if (server.ev_cron) {
		struct timeval tv = {0, 1000000 / server.cfg.hz};

		event_add(server.ev_cron, &tv);
	}
}

/* Directives that need a restart keep their running value on reload
 * (config_is_restart_only names the same ones for CONFIG SET). */
static void keep_restart_only(struct config *next)
{
	free(next->unixsocket);
	next->unixsocket = strdup(server.cfg.unixsocket);
	next->unixsocketperm = server.cfg.unixsocketperm;
	free(next->user);
	next->user = strdup(server.cfg.user);
	free(next->logfile);
	next->logfile = strdup(server.cfg.logfile);
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
	return server_check_config(c, err);
}

static int server_fit_maxclients(void);

int server_check_config(const struct config *c, char *err)
{
	if (config_validate(c, err) != 0 || persist_check_dir(c, false, err) != 0 ||
	    security_validate(c, err) != 0)
		return -1;
	return acl_validate(c, err);
}

void server_commit_config(struct config *next)
{
	config_free(&server.cfg);
	server.cfg = *next;
	server_apply_config();
	server_fit_maxclients();
}

int server_reload(void)
{
	char err[CONFIG_ERR_MAX];
	struct config next;

	if (server_load_config(&next, err) != 0)
		goto fail;
	keep_restart_only(&next);
	if (!next.unixsocket || !next.user || !next.logfile) {
		snprintf(err, sizeof err, "out of memory");
		goto fail;
	}
	server_commit_config(&next);
	log_notice("configuration reloaded (loglevel %s)",
		   config_loglevel_name(server.cfg.loglevel));
	return 0;
fail:
	log_warning("reload failed, keeping the running configuration: %s", err);
	config_free(&next);
	return -1;
}

/* Every key that leaves the keyspace: free what a lock, pool or object
 * entry points to, and give the key's waiters their chance. */
static void store_hook(void *ctx, int db, struct sentry *e, enum store_reason why)
{
	(void)ctx;
	/* Told before the lock or pool is gone, so a watcher that acts on the
	 * event finds the state it describes. Commands report their own
	 * deletions (del, rename_from, ...); only these happen on their own. */
	if (why == STORE_DEL_EXPIRED) {
		kevent_notify(KEV_EXPIRED, "expired", db, sentry_key(e), e->klen);
		if (!store_type_is_data(e->type))
			kevent_notify(KEV_LOCK, e->type == STORE_LOCK ? "lock.expired" : "pool.expired",
				      db, sentry_key(e), e->klen);
	} else if (why == STORE_DEL_EVICTED) {
		kevent_notify(KEV_EVICTED, "evicted", db, sentry_key(e), e->klen);
	} else if (why == STORE_DEL_RELEASED && e->type == STORE_LOCK) {
		/* A pool's slots tell their own releases (pool.c). */
		kevent_notify(KEV_LOCK, "lock.release", db, sentry_key(e), e->klen);
	}
	if (e->type == STORE_LOCK)
		lock_entry_gone(e, why);
	else if (e->type == STORE_POOL)
		pool_entry_gone(e, why);
	else if (store_type_is_object(e->type))
		object_entry_gone(e, why);
	waitq_wake(db, sentry_key(e), e->klen);
}

static void store_add_cb(void *ctx, int db, const void *key, size_t klen)
{
	(void)ctx;
	kevent_notify(KEV_NEW, "new", db, key, klen);
}

/* Eviction would hand a waited-on key to its first waiter: a cache's
 * memory pressure must not decide who gets a lock. */
static bool store_pinned(void *ctx, int db, const struct sentry *e)
{
	(void)ctx;
	return waitq_waiting() && waitq_count(db, sentry_key(e), e->klen) > 0;
}

/* Every changed key: WATCH (watch.c), and clients blocked on it (block.c). */
static void store_touch_cb(void *ctx, int db, const void *key, size_t klen)
{
	persist_note_change();
	/* A change may end what blocks the key's lock and pool waiters sooner
	 * (EXPIRE on it): their queue re-times at the loop's next turn (it is
	 * only marked here; the hook must not change the store). */
	if (key && waitq_waiting())
		waitq_wake(db, key, klen);
	watch_touch_cb(ctx, db, key, klen);
	block_touch(db, key, klen);
}

#define SERVE_OTHERS_MAX 1024 /* sockets served per round while a script is busy */

/* One round of every client's input but the busy script's caller (and of
 * new connections), without the event loop, which the script's EVAL holds. */
static void server_serve_others(struct conn *caller)
{
	static struct pollfd fds[SERVE_OTHERS_MAX];
	static struct conn *who[SERVE_OTHERS_MAX];
	nfds_t n = 0;
	struct conn *c;

	if (listen_fd() >= 0) {
		fds[n] = (struct pollfd){listen_fd(), POLLIN, 0};
		who[n++] = NULL;
	}
	LIST_FOREACH(c, &server.clients, link) {
		if (n == SERVE_OTHERS_MAX)
			break;
		if (c == caller || (c->flags & CONN_CLOSING))
			continue;
		fds[n] = (struct pollfd){c->fd, POLLIN, 0};
		who[n++] = c;
	}
	if (poll(fds, n, 0) <= 0)
		return;
	for (nfds_t i = 0; i < n; i++) {
		if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (who[i])
			conn_serve_busy(who[i]);
		else
			listen_accept();
	}
}

struct store *server_store_new(void)
{
	struct store *st = store_new();

	if (!st)
		return NULL;
	store_set_delete_hook(st, store_hook, NULL);
	store_set_touch_hook(st, store_touch_cb, st);
	store_set_add_hook(st, store_add_cb, NULL);
	store_set_pinned(st, store_pinned, NULL);
	lock_init(st);
	pool_init(st);
	object_set_store(st);
	object_register(STORE_HASH, &hash_type);
	object_register(STORE_ZSET, &zset_type);
	object_register(STORE_LIST, &list_type);
	return st;
}

/* Enough descriptors for maxclients: raise the soft limit if the hard one
 * allows it; else lower maxclients to what fits and say so, as Redis does,
 * so clients past the limit get "max number of clients reached" instead of
 * waiting unanswered in the listen backlog while accept fails with EMFILE.
 * 0, or -1 (logged) when not even one client fits. */
static int server_fit_maxclients(void)
{
	rlim_t want = (rlim_t)server.cfg.maxclients + SERVER_RESERVED_FDS;
	struct rlimit rl;
	int fits;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= want)
		return 0;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= want)
		return 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur <= SERVER_RESERVED_FDS) {
		log_warning("the file descriptor limit (%llu) leaves no room for clients: cachifyd "
			    "keeps %d for itself; raise it (ulimit -n, LimitNOFILE=)",
			    (unsigned long long)rl.rlim_cur, SERVER_RESERVED_FDS);
		return -1;
	}
	fits = (int)(rl.rlim_cur - SERVER_RESERVED_FDS);
	log_warning("maxclients lowered from %d to %d: the file descriptor limit is %llu and "
		    "cachifyd keeps %d for itself; raise it (ulimit -n, LimitNOFILE=)",
		    server.cfg.maxclients, fits, (unsigned long long)rl.rlim_cur,
		    SERVER_RESERVED_FDS);
	server.cfg.maxclients = fits;
	return 0;
}

int server_init(void)
{
	static const int sigs[3] = {SIGTERM, SIGINT, SIGHUP};
	struct timeval cron_tv = {0, 1000000 / server.cfg.hz};
	char err[CONFIG_ERR_MAX];

	signal(SIGPIPE, SIG_IGN);
	/* A file size limit (ulimit -f) fails a snapshot with EFBIG instead of
	 * killing the daemon. */
	signal(SIGXFSZ, SIG_IGN);
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
	if (random_init() != 0)
		return -1;
	server.store = server_store_new();
	if (!server.base || !server.store || command_init() != 0) {
		log_warning("out of memory at start-up");
		return -1;
	}
	waitq_init(server.base);
	block_init(server.base);
	script_set_serve_others(server_serve_others);
	if (script_init() != 0)
		return -1;
	server_apply_config();
	if (server_fit_maxclients() != 0)
		return -1;
	if (listen_open() != 0)
		return -1;
	/* Root is needed, if at all, only to bind: give it up right after. */
	if (security_drop_privileges(server.cfg.user) != 0)
		return -1;
	/* The snapshot goes in before the first client (and READY=1), and
	 * as the user that will write the next one. */
	if (persist_init(server.base) != 0 || persist_load(server.ignore_snapshot) != 0)
		return -1;
	if (server.cfg.save.n > 0 && persist_check_dir(&server.cfg, true, err) != 0)
		log_warning("snapshots will fail: %s", err);
	if (listen_start(server.base) != 0)
		return -1;
	server.ev_cron = event_new(server.base, -1, EV_PERSIST, cron_cb, NULL);
	server.ev_expire = evtimer_new(server.base, expire_cb, NULL);
	server.ev_shutdown = evtimer_new(server.base, shutdown_timeout_cb, NULL);
	for (int i = 0; i < 3; i++)
		server.ev_signals[i] = evsignal_new(server.base, sigs[i], signal_cb, NULL);
	if (!server.ev_cron ||
	    !server.ev_expire || !server.ev_shutdown || !server.ev_signals[0] ||
	    !server.ev_signals[1] || !server.ev_signals[2]) {
		log_warning("out of memory at start-up");
		return -1;
	}
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
		   server.cfg.unixsocket, listen_is_activated() ? " (from systemd)" : "");
	server_notify_ready();
	return 0;
}

int server_run(void)
{
	event_base_dispatch(server.base);
	listen_close();
	log_notice("cachifyd exiting");
	return server.exit_code;
}

void server_free(void)
{
	listen_free();
	persist_free();
	server.shutting_down = false;
	waitq_free();
	block_free();
	while (!LIST_EMPTY(&server.clients))
		conn_free(LIST_FIRST(&server.clients));
	if (server.store)
		store_free(server.store);
	struct event **evs[] = {&server.ev_cron, &server.ev_expire, &server.ev_shutdown, &server.ev_signals[0],
				&server.ev_signals[1], &server.ev_signals[2], &server.ev_watchdog};
	for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
		if (*evs[i]) {
			event_free(*evs[i]);
			*evs[i] = NULL;
		}
	command_free();
	command_stats_free();
	pause_free();
	diag_free();
	script_free();
	if (server.base)
		event_base_free(server.base);
	config_free(&server.cfg);
	free(server.config_file);
	security_free();
	acl_free();
	notify_free();
}
