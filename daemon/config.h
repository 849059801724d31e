/* config.h - cachifyd's configuration: directives, defaults, parsing.
 *
 * One table describes every directive (name, type, default, bounds); the
 * file parser (redis.conf syntax), the command line (--name value) and
 * CONFIG GET all go through it. Applying a configuration to the running
 * daemon is the server's business, not this module's.
 */
#ifndef CACHIFY_CONFIG_H
#define CACHIFY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CONFIG_PATH_DEFAULT   "/etc/cachifyd/cachifyd.conf"
#define CONFIG_SOCKET_DEFAULT "/run/cachifyd/cachifyd.sock"
#define CONFIG_INCLUDE_DEPTH  8    /* nested include limit */
/* Bytes in one line of a file, without its '\n'. The longest legal line, a
 * PATH_MAX logfile written entirely as \xHH escapes, takes 16 KiB; 64 KiB
 * leaves room and matches RESP_INLINE_MAX, the daemon's other line limit. */
#define CONFIG_LINE_MAX	      (64 * 1024)
/* Bytes read by one load, the file and all it includes: ~40 times a fully
 * commented redis.conf. It stops an endless source (a FIFO fed by `yes`)
 * within a second; memory is bounded by CONFIG_LINE_MAX either way. */
#define CONFIG_TOTAL_MAX      (4 * 1024 * 1024)
#define CONFIG_ERR_MAX	      512  /* bytes, room for "file:line: message" */
#define CONFIG_IDS_MAX	      64   /* names or ids in one allow-uid/allow-gid/admin-uid */
#define CONFIG_IDS_TEXT_MAX   4096 /* bytes of such a list as written */
#define CONFIG_ID_NAME_MAX    64   /* bytes of one user or group name */
#define CONFIG_ID_MAX	      4294967294ULL /* highest uid or gid: (uid_t)-1 means "none" */
#define CONFIG_RULES_MAX      256  /* acl-uid (or acl-gid) rules */
#define CONFIG_RULE_TEXT_MAX  4096 /* bytes of one rule as written */

/* Keywords of the id lists: everyone, the daemon's own uid (after the
 * `user` switch), the group of the listening socket's file. */
#define CONFIG_ID_ANY	 "*"
#define CONFIG_ID_SELF	 "self"
#define CONFIG_ID_SOCKET "socket"

enum log_level {
	LOG_DEBUG_ = 0,
	LOG_VERBOSE_ = 1,
	LOG_NOTICE_ = 2,
	LOG_WARNING_ = 3,
};

/* How log lines look (log-format): auto is journal when stderr is the
 * journal (JOURNAL_STREAM), else plain. */
enum log_format {
	LOG_FORMAT_AUTO = 0,
	LOG_FORMAT_PLAIN = 1,
	LOG_FORMAT_JOURNAL = 2,
	LOG_FORMAT_JSON = 3,
};

/* In store.h's enum store_policy order (server.c relies on it). */
enum maxmemory_policy {
	MAXMEMORY_NOEVICTION = 0,
	MAXMEMORY_VOLATILE_LRU = 1,
	MAXMEMORY_VOLATILE_LFU = 2,
	MAXMEMORY_VOLATILE_RANDOM = 3,
	MAXMEMORY_VOLATILE_TTL = 4,
	MAXMEMORY_ALLKEYS_LRU = 5,
	MAXMEMORY_ALLKEYS_LFU = 6,
	MAXMEMORY_ALLKEYS_RANDOM = 7,
};

/* One client class's output limits (client-output-buffer-limit). */
struct obuf_limit {
	size_t hard;	 /* bytes; past it the client is closed; 0 = none */
	size_t soft;	 /* bytes; past it for soft_s seconds, closed; 0 = none */
	int64_t soft_s;	 /* s */
};

/* Classes: normal clients, and subscribers (RESP2's subscribed mode). */
struct obuf_limits {
	struct obuf_limit normal; /* default 0 0 0, as Redis */
	struct obuf_limit replica; /* kept and shown for Redis's configurations; no replicas */
	struct obuf_limit pubsub; /* default 32mb 8mb 60, as Redis */
};

#define CONFIG_SAVE_RULES_MAX 16 /* save <seconds> <changes> pairs */

/* One snapshot rule: save when at least `changes` keys changed and
 * `seconds` passed since the last save (Redis's `save`). */
struct save_rule {
	int64_t seconds; /* s, >= 1 */
	int64_t changes; /* >= 0 */
};

struct save_rules {
	size_t n; /* 0: no automatic snapshots */
	struct save_rule r[CONFIG_SAVE_RULES_MAX];
};

struct config {
	char *unixsocket;		  /* owned; socket path */
	mode_t unixsocketperm;		  /* octal, default 0660 */
	int maxclients;			  /* default 10000, as Redis */
	size_t maxmemory;		  /* bytes, 0 = unlimited */
	int maxmemory_policy;		  /* enum maxmemory_policy */
	int maxmemory_samples;		  /* keys sampled per database per eviction, default 5 */
	int lfu_log_factor;		  /* LFU counter's logarithm factor, default 10 */
	int lfu_decay_time;		  /* min per LFU counter decrement, default 1; 0 = never */
	int loglevel;			  /* enum log_level, default notice */
	char *logfile;			  /* owned; "" = stderr */
	int log_format;			  /* enum log_format, default auto */
	size_t proto_inline_max;	  /* bytes, default 64kb */
	size_t proto_max_bulk_len;	  /* bytes, default and most 512mb */
	size_t proto_max_args;		  /* arguments per command, default 1048576 */
	size_t client_query_buffer_limit; /* bytes, default 1gb, > max bulk */
	struct obuf_limits obuf;	  /* client-output-buffer-limit, by client class */
	int64_t client_request_timeout;	  /* ms a partial request may take; default 10s, 0 = off */
	int64_t timeout;		  /* ms an idle client may stay; 0 = forever (default) */
	int hz;				  /* background cycles per second, default 10 */
	size_t lock_max_waiters;	  /* waiters per key, default 10000 */
	int64_t busy_reply_threshold;	  /* ms a script runs before others get BUSY; 0 = never */
	char *user;			  /* owned; switch to it after binding (root only); "" = stay */
	char *allow_uid;		  /* owned; peers accepted by uid: "self,root" */
	char *allow_gid;		  /* owned; peers accepted by group: "socket" */
	char *admin_uid;		  /* owned; who may run admin commands: "self,root" */
	char *acl_uid;			  /* owned; access rules by uid, one a line: "1000 ~k* +get" */
	char *acl_gid;			  /* owned; the same by group: "www-data +@read" */
	char *acl_default;		  /* owned; rule words for everyone else; "" = built-in */
	int64_t slowlog_log_slower_than;  /* us a command must take to be logged; -1 = off */
	size_t slowlog_max_len;		  /* entries SLOWLOG keeps, default 128 */
	size_t latency_monitor_threshold; /* ms a LATENCY sample takes at least; 0 = off (default) */
	int notify_keyspace_events;	  /* enum kevent_class flags; 0 = off (default) */
	size_t hash_max_listpack_entries; /* fields of a packed hash, default 128 */
	size_t hash_max_listpack_value;	  /* bytes of its fields and values, default 64 */
	size_t zset_max_listpack_entries; /* members of a packed sorted set, default 128 */
	size_t zset_max_listpack_value;	  /* bytes of its members, default 64 */
	int list_max_listpack_size;	  /* per list node: -1..-5 = 4..64 KB, n > 0 = items; -2 */
	struct save_rules save;		  /* snapshot rules; none (default) = only SAVE, BGSAVE, SHUTDOWN SAVE */
	char *dir;			  /* owned; where the snapshot lives, default "." */
	char *dbfilename;		  /* owned; its name in dir, default "cachifyd.snap" */
};

/* Fills c with every directive's default. */
void config_defaults(struct config *c);
/* Frees the strings c owns (c itself is the caller's). */
void config_free(struct config *c);
/* Deep copy; 0 or -1 when out of memory. */
int config_copy(struct config *dst, const struct config *src);

/* Sets one directive from its text form (as in the file: "64kb", "10s",
 * "0660", "yes", ...). 0, or -1 with a message in err (err has room for
 * CONFIG_ERR_MAX bytes). Unknown names are errors. */
int config_set(struct config *c, const char *name, const char *value, char *err);

/* CONFIG SET: like config_set, but a rule directive's value replaces all
 * its rules (one a line; "" for none), and err gives the reason in the
 * words Redis's CONFIG SET uses for the same kind of value ("argument
 * must be a memory value", ...). 0 or -1; on -1 c may hold part of the
 * change (CONFIG SET works on a copy). */
int config_set_runtime(struct config *c, const char *name, const char *value, char *err);
/* Directives only a restart can change (the socket, its mode, the user
 * the daemon runs as, the logfile): CONFIG SET refuses them and a reload
 * keeps them. */
bool config_is_restart_only(const char *name);

/* Writes c's values into the file at path, keeping its comments and order
 * and rewriting only the directives whose value differs from what the
 * file gives; others are appended (config_rewrite.c). Atomic: the file is
 * replaced whole or not at all. 0, or -1 with the reason in err. */
int config_rewrite(const struct config *c, const char *path, char *err);

/* acl-uid and acl-gid add a rule each time they are set (in a file, one
 * line per rule); setting "" removes the rules given so far. Their words
 * are checked against the command table by acl.c, not here. */

/* Reads a redis.conf-style file: one `directive value...` per line, `#`
 * comments, double/single quoted strings, size units (k kb m mb g gb, 1k =
 * 1000, 1kb = 1024 as in redis.conf), time units (ms s m h d; a bare number
 * is the directive's natural unit), `include GLOB` (files in sorted order,
 * relative to the including file's directory), last value wins (rule
 * directives add up). A rule directive takes several words, joined by one
 * blank into its value.
 * 0, or -1 with "file:line: message" in err. */
int config_load_file(struct config *c, const char *path, char *err);

/* Checks cross-directive rules (e.g. query buffer limit > max bulk length).
 * 0, or -1 with a message in err. */
int config_validate(const struct config *c, char *err);

/* Calls fn for every directive whose name matches the glob pattern
 * (CONFIG GET semantics: *, ?, [...] with \ escapes, case-insensitive),
 * with the current value in the file's text form. */
typedef void config_get_fn(void *ctx, const char *name, const char *value);
void config_get(const struct config *c, const char *pattern, config_get_fn *fn, void *ctx);

/* Name of a maxmemory policy ("noeviction", ...); NULL if unknown. */
const char *config_maxmemory_policy_name(int policy);

/* Name of a log level ("debug", ...) and back (-1 if unknown). */
const char *config_loglevel_name(int level);
int config_loglevel_parse(const char *s);

/* Parse helpers also used for command arguments: size with units into
 * bytes, and duration with units (bare number = default_unit_ms ms).
 * 0 or -1. */
int config_parse_size(const char *s, size_t *out);
int config_parse_duration(const char *s, int64_t default_unit_ms, int64_t *out_ms);

/* Name of the i-th directive of the table (static storage), NULL past the
 * last one: lets tests check that the shipped cachifyd.conf covers them all. */
const char *config_directive_name(size_t i);

#endif /* CACHIFY_CONFIG_H */
