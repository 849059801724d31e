/* server.h - the daemon's process-wide state and its life cycle.
 *
 * Owns the event loop, the client list, the keyspace and the background
 * cycle (active expiry, rehashing, client timeouts). The listening socket
 * is listen.c's; connections, commands and the keyspace have their own
 * modules.
 */
#ifndef CACHIFY_SERVER_H
#define CACHIFY_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "config.h"
#include "resp.h"

#define CACHIFY_VERSION	      "0.1.0"
#define REDIS_COMPAT_VERSION  "7.0.15" /* what INFO reports as redis_version */
#define SERVER_SHUTDOWN_GRACE 5000 /* ms to flush replies on shutdown */
#define SERVER_EXPIRE_BUDGET  1000 /* us, longest slice of active expiry */
#define SERVER_STATUS_PERIOD  2000 /* ms between STATUS= updates to systemd */
#define SERVER_RESERVED_FDS   32   /* descriptors kept beyond maxclients */

struct event_base;
struct event;
struct store;
struct conn;

struct server_stats {
	uint64_t connections;	/* accepted since start */
	uint64_t rejected;	/* refused: maxclients */
	uint64_t rejected_peer;	/* refused: credentials not in allow-uid/allow-gid */
	uint64_t commands;	/* processed */
	uint64_t net_in;	/* bytes read */
	uint64_t net_out;	/* bytes written */
	uint64_t proto_errors;	/* connections closed on a protocol error */
	size_t used_memory_peak; /* bytes: the most store_used_memory seen (cron, INFO) */
};

struct server {
	struct event_base *base;
	struct config cfg;
	char *config_file;		/* owned; NULL if started without one */
	char **overrides;		/* borrowed from argv: name, value, ...; re-applied on reload */
	size_t noverrides;		/* entries in overrides (twice the pairs) */
	struct resp_limits lim;		/* from cfg, for new requests */
	struct store *store;

	struct event *ev_cron;
	struct event *ev_expire;
	struct event *ev_signals[3];	/* SIGTERM, SIGINT, SIGHUP */
	struct event *ev_shutdown;	/* grace timer */
	struct event *ev_watchdog;	/* WATCHDOG=1 pings, when systemd asks for them */
	int64_t status_ms;		/* ms, monotonic: last STATUS= sent */

	LIST_HEAD(conn_list, conn) clients; /* newest first */
	size_t nclients;
	uint64_t next_client_id;
	int64_t start_ms;		/* ms, monotonic */
	time_t start_wall;		/* s since the epoch */
	bool shutting_down;
	bool ignore_snapshot;		/* --ignore-snapshot: move the file aside, start empty */
	int exit_code;
	struct server_stats stats;
};

extern struct server server;

/* Sets up everything from server.cfg and binds the socket. 0 or -1 (logged). */
int server_init(void);
/* Runs the loop until shutdown; returns the exit code. */
int server_run(void);
/* Frees everything (the socket file we created is unlinked at shutdown). */
void server_free(void);

/* Fills c from defaults, the config file and the command-line overrides,
 * then validates it. 0, or -1 with the reason in err (CONFIG_ERR_MAX). */
int server_load_config(struct config *c, char *err);
/* Applies server.cfg's runtime-changeable parts (log level, limits). */
void server_apply_config(void);
/* The cross-directive checks a whole configuration must pass (limits,
 * users and groups, ACL rules). 0, or -1 with the reason in err. */
int server_check_config(const struct config *c, char *err);
/* Makes next (checked) the running configuration and applies it; takes
 * what next owns. Reload and CONFIG SET end here. */
void server_commit_config(struct config *next);
/* Re-reads the configuration file (SIGHUP). 0 or -1 (logged, nothing changed). */
int server_reload(void);

/* Graceful stop, as on SIGTERM: stop accepting, flush replies, exit 0
 * once every client is gone (or after SERVER_SHUTDOWN_GRACE). why names
 * the cause in the log. Safe to call from a command handler. */
void server_shutdown(const char *why);

/* Called by conn_free: a connection left the client list. */
void server_conn_gone(struct conn *c);

/* A new keyspace wired to the lock, pool and wait-queue modules: its
 * delete hook frees lock and pool objects and wakes the key's waiters; its
 * touch hook marks the clients that WATCH a changed key (watch.c).
 * NULL when out of memory. (server_init uses it; so do in-process tests.) */
struct store *server_store_new(void);

#endif /* CACHIFY_SERVER_H */
