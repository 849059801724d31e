/* config.c - the directive table, value parsers and CONFIG GET.
 *
 * Each directive is one row of `config_table`: type, field, bounds and default text.
 * config_set() is the only way a value gets in (defaults, file, command line) and
 * config_get() the only way one gets out, so a new directive is one row. Reading the
 * file is config_file.c's; applying a configuration is the server's business.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include "config_int.h"
#include "keymatch.h"
#include "kevent.h"
#include "resp.h"

enum config_type {
	CONFIG_T_STRING,   /* char *, bounds are its length in bytes */
	CONFIG_T_MODE,	   /* mode_t written in octal */
	CONFIG_T_INT,	   /* int, plain decimal */
	CONFIG_T_COUNT,	   /* size_t, plain decimal */
	CONFIG_T_SIZE,	   /* size_t bytes, with optional k kb m mb g gb */
	CONFIG_T_DURATION, /* int64_t ms, with optional ms s m h d */
	CONFIG_T_ENUM,	   /* int index into names */
	CONFIG_T_IDS,	   /* char *, user/group names or ids (see config_parse_ids) */
	CONFIG_T_RULES,	   /* char *, ACL rules one a line (see config_parse_rule) */
	CONFIG_T_SIGNED,   /* int64_t, plain decimal: min..max, or -1 for "off" */
	CONFIG_T_ANYINT,   /* int, plain decimal, any int (negative values mean something) */
	CONFIG_T_EVENTS,   /* int, notify-keyspace-events flag letters (kevent.h) */
	CONFIG_T_OBUF,	   /* struct obuf_limits: a size, or <class> <hard> <soft> <s>... */
	CONFIG_T_SAVE,	   /* struct save_rules: pairs of <seconds> <changes>, added up */
};

struct config_directive {
	const char *name;
	enum config_type type;
	size_t offset;		  /* of the field in struct config */
	uint64_t min, max;	  /* inclusive; bytes, ms or length as the type says */
	const char *def;	  /* default, in the file's text form */
	const char *const *names; /* CONFIG_T_ENUM: the values, in enum order;
				   * CONFIG_T_IDS: the keywords allowed besides ids */
	int64_t unit_ms;	  /* CONFIG_T_DURATION: what a bare number counts */
};

/* offsetof() that fails to compile unless the field has the C type the row claims. */
#define CONFIG_FIELD(ctype, f) _Generic(((struct config *)0)->f, ctype: offsetof(struct config, f))

/* One maker per type, so a row cannot pair a type with a field of another C type. */
#define CONFIG_STRING(n, f, lo, hi, def)                                                           \
	{n, CONFIG_T_STRING, CONFIG_FIELD(char *, f), lo, hi, def, NULL, 0}
#define CONFIG_MODE(n, f, hi, def) {n, CONFIG_T_MODE, CONFIG_FIELD(mode_t, f), 0, hi, def, NULL, 0}
#define CONFIG_INT(n, f, lo, hi, def) {n, CONFIG_T_INT, CONFIG_FIELD(int, f), lo, hi, def, NULL, 0}
#define CONFIG_COUNT(n, f, lo, hi, def)                                                            \
	{n, CONFIG_T_COUNT, CONFIG_FIELD(size_t, f), lo, hi, def, NULL, 0}
#define CONFIG_SIZE(n, f, lo, hi, def)                                                             \
	{n, CONFIG_T_SIZE, CONFIG_FIELD(size_t, f), lo, hi, def, NULL, 0}
#define CONFIG_DURATION(n, f, unit, hi, def)                                                       \
	{n, CONFIG_T_DURATION, CONFIG_FIELD(int64_t, f), 0, hi, def, NULL, unit}
#define CONFIG_ENUM(n, f, names, def) {n, CONFIG_T_ENUM, CONFIG_FIELD(int, f), 0, 0, def, names, 0}
/* max is the most items: 1 for a single user. */
#define CONFIG_IDS(n, f, hi, words, def)                                                           \
	{n, CONFIG_T_IDS, CONFIG_FIELD(char *, f), 0, hi, def, words, 0}
/* min 1: each rule starts with a user or group; max: the most rules, 1 for one
 * that each value replaces (else each value adds a rule). */
#define CONFIG_RULES(n, f, who, hi, def)                                                           \
	{n, CONFIG_T_RULES, CONFIG_FIELD(char *, f), who, hi, def, NULL, 0}

/* -1 is "off" besides min..max (slowlog-log-slower-than's convention in redis.conf). */
#define CONFIG_SIGNED(n, f, lo, hi, def)                                                           \
	{n, CONFIG_T_SIGNED, CONFIG_FIELD(int64_t, f), lo, hi, def, NULL, 0}

/* Any int: list-max-listpack-size, where -1..-5 are byte classes and
 * positive values entry counts (Redis's INT_MIN..INT_MAX). */
#define CONFIG_ANYINT(n, f, def) {n, CONFIG_T_ANYINT, CONFIG_FIELD(int, f), 0, 0, def, NULL, 0}

#define CONFIG_EVENTS(n, f, def) {n, CONFIG_T_EVENTS, CONFIG_FIELD(int, f), 0, 0, def, NULL, 0}

#define CONFIG_OBUF(n, f, def)                                                                     \
	{n, CONFIG_T_OBUF, CONFIG_FIELD(struct obuf_limits, f), 0, 0, def, NULL, 0}

#define CONFIG_SAVE(n, f, def)                                                                     \
	{n, CONFIG_T_SAVE, CONFIG_FIELD(struct save_rules, f), 0, 0, def, NULL, 0}

#define CONFIG_KB	    1024ULL
#define CONFIG_MB	    (1024ULL * 1024)
#define CONFIG_GB	    (1024ULL * 1024 * 1024)
#define CONFIG_SECOND	    1000LL
#define CONFIG_DURATION_MAX (INT_MAX * CONFIG_SECOND) /* ms; Redis's ceiling for timeout */
#define CONFIG_SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

static const char *const config_policy_names[] = {
	"noeviction",	"volatile-lru", "volatile-lfu",	  "volatile-random",
	"volatile-ttl", "allkeys-lru",	"allkeys-lfu",	  "allkeys-random", NULL};
static const char *const config_loglevel_names[] = {"debug", "verbose", "notice", "warning",
						    NULL};
static const char *const config_log_format_names[] = {"auto", "plain", "journal", "json",
						     NULL};
static const char *const config_uid_words[] = {CONFIG_ID_ANY, CONFIG_ID_SELF, NULL};
static const char *const config_gid_words[] = {CONFIG_ID_ANY, CONFIG_ID_SOCKET, NULL};
static const char *const config_no_words[] = {NULL};

static const struct config_directive config_table[] = {
	CONFIG_STRING("unixsocket", unixsocket, 1, CONFIG_SUN_PATH_MAX, CONFIG_SOCKET_DEFAULT),
	CONFIG_MODE("unixsocketperm", unixsocketperm, 0777, "0660"),
	CONFIG_INT("maxclients", maxclients, 1, 1000000, "10000"),
	CONFIG_SIZE("maxmemory", maxmemory, 0, SIZE_MAX, "0"),
	CONFIG_ENUM("maxmemory-policy", maxmemory_policy, config_policy_names, "noeviction"),
	CONFIG_INT("maxmemory-samples", maxmemory_samples, 1, INT_MAX, "5"),
	CONFIG_INT("lfu-log-factor", lfu_log_factor, 0, INT_MAX, "10"),
	CONFIG_INT("lfu-decay-time", lfu_decay_time, 0, INT_MAX, "1"),
	CONFIG_ENUM("loglevel", loglevel, config_loglevel_names, "notice"),
	CONFIG_STRING("logfile", logfile, 0, PATH_MAX - 1, ""),
	CONFIG_ENUM("log-format", log_format, config_log_format_names, "auto"),
	CONFIG_SIZE("proto-inline-max", proto_inline_max, CONFIG_KB, 512 * CONFIG_MB, "64kb"),
	/* Redis's defaults for every limit a client can hit (issue 11):
	 * a 1.1 MB cached value must not break a client's pipe. */
	CONFIG_SIZE("proto-max-bulk-len", proto_max_bulk_len, CONFIG_KB, RESP_BULK_MAX_CEILING,
		    "512mb"),
	CONFIG_COUNT("proto-max-args", proto_max_args, 1, RESP_ARGS_MAX_CEILING, "1048576"),
	CONFIG_SIZE("client-query-buffer-limit", client_query_buffer_limit, CONFIG_MB, CONFIG_GB,
		    "1gb"),
	CONFIG_OBUF("client-output-buffer-limit", obuf,
		    "normal 0 0 0 replica 256mb 64mb 60 pubsub 32mb 8mb 60"),
	CONFIG_DURATION("client-request-timeout", client_request_timeout, CONFIG_SECOND,
			CONFIG_DURATION_MAX, "10s"),
	CONFIG_DURATION("timeout", timeout, CONFIG_SECOND, CONFIG_DURATION_MAX, "0"),
	CONFIG_INT("hz", hz, 1, 500, "10"),
	CONFIG_COUNT("lock-max-waiters", lock_max_waiters, 1, 10000000, "10000"),
	/* Redis's name and its old alias: both set the same field. */
	CONFIG_DURATION("busy-reply-threshold", busy_reply_threshold, 1, CONFIG_DURATION_MAX, "5000"),
	CONFIG_DURATION("lua-time-limit", busy_reply_threshold, 1, CONFIG_DURATION_MAX, "5000"),
	CONFIG_IDS("user", user, 1, config_no_words, ""),
	CONFIG_IDS("allow-uid", allow_uid, CONFIG_IDS_MAX, config_uid_words, "self,root"),
	CONFIG_IDS("allow-gid", allow_gid, CONFIG_IDS_MAX, config_gid_words, "socket"),
	CONFIG_IDS("admin-uid", admin_uid, CONFIG_IDS_MAX, config_uid_words, "self,root"),
	CONFIG_RULES("acl-uid", acl_uid, 1, CONFIG_RULES_MAX, ""),
	CONFIG_RULES("acl-gid", acl_gid, 1, CONFIG_RULES_MAX, ""),
	CONFIG_RULES("acl-default", acl_default, 0, 1, ""),
	CONFIG_SIGNED("slowlog-log-slower-than", slowlog_log_slower_than, 0, INT64_MAX, "10000"),
	CONFIG_COUNT("slowlog-max-len", slowlog_max_len, 0, LONG_MAX, "128"),
	CONFIG_COUNT("latency-monitor-threshold", latency_monitor_threshold, 0, LONG_MAX, "0"),
	CONFIG_EVENTS("notify-keyspace-events", notify_keyspace_events, ""),
	/* When hashes, sorted sets and lists leave their packed encoding
	 * (Redis's names, and its old ziplist names for the same fields; the
	 * byte limits take memory units, as Redis's do). */
	CONFIG_COUNT("hash-max-listpack-entries", hash_max_listpack_entries, 0, LONG_MAX, "128"),
	CONFIG_COUNT("hash-max-ziplist-entries", hash_max_listpack_entries, 0, LONG_MAX, "128"),
	CONFIG_SIZE("hash-max-listpack-value", hash_max_listpack_value, 0, LONG_MAX, "64"),
	CONFIG_SIZE("hash-max-ziplist-value", hash_max_listpack_value, 0, LONG_MAX, "64"),
	CONFIG_COUNT("zset-max-listpack-entries", zset_max_listpack_entries, 0, LONG_MAX, "128"),
	CONFIG_COUNT("zset-max-ziplist-entries", zset_max_listpack_entries, 0, LONG_MAX, "128"),
	CONFIG_SIZE("zset-max-listpack-value", zset_max_listpack_value, 0, LONG_MAX, "64"),
	CONFIG_SIZE("zset-max-ziplist-value", zset_max_listpack_value, 0, LONG_MAX, "64"),
	CONFIG_ANYINT("list-max-listpack-size", list_max_listpack_size, "-2"),
	CONFIG_ANYINT("list-max-ziplist-size", list_max_listpack_size, "-2"),
	/* Snapshots (persist.c): off unless rules are given; the shipped
	 * cachifyd.conf gives them. dbfilename is a name, not a path. */
	CONFIG_SAVE("save", save, ""),
	CONFIG_STRING("dir", dir, 1, PATH_MAX - 1, "."),
	CONFIG_STRING("dbfilename", dbfilename, 1, NAME_MAX, "cachifyd.snap"),
};

#define CONFIG_NDIRECTIVES (sizeof(config_table) / sizeof(config_table[0]))

void config_err(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, CONFIG_ERR_MAX, fmt, ap);
	va_end(ap);
}

static void *config_field(const struct config *c, const struct config_directive *d)
{
	return (char *)c + d->offset;
}

/* Directives whose field is an owned char *. */
static bool config_is_string(const struct config_directive *d)
{
	return d->type == CONFIG_T_STRING || d->type == CONFIG_T_IDS || d->type == CONFIG_T_RULES;
}

bool config_takes_words(const struct config_directive *d)
{
	return d != NULL && (d->type == CONFIG_T_RULES || d->type == CONFIG_T_SAVE);
}

bool config_joins_words(const struct config_directive *d)
{
	return d != NULL && d->type == CONFIG_T_OBUF;
}

#define CONFIG_OBUF_MAX (4 * CONFIG_GB) /* bytes: the largest output limit */

/* client-output-buffer-limit: a bare size (the normal class's hard limit,
 * cachifyd's older form), or Redis's groups of <class> <hard> <soft>
 * <seconds>, classes normal, pubsub and replica (or slave: kept and shown
 * for Redis's configurations; there are no replicas). Only the classes
 * named change.
 * 0, or -1 with Redis's reason in why (static text). */
static int config_parse_obuf(const char *value, struct obuf_limits *out, const char **why)
{
	char buf[256], *words[16], *save = NULL;
	struct obuf_limits v = *out;
	size_t n = 0, sz;

	*why = "Wrong number of arguments in buffer limit configuration.";
	if (strlen(value) >= sizeof buf)
		return -1;
	strcpy(buf, value);
	for (char *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (n == sizeof words / sizeof words[0])
			return -1;
		words[n++] = w;
	}
	if (n == 1 && config_parse_size(words[0], &sz) == 0 && sz <= CONFIG_OBUF_MAX) {
		out->normal.hard = sz;
		return 0;
	}
	if (n == 0 || n % 4 != 0)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		struct obuf_limit l, *dst = NULL;
		unsigned long long s;

		if (strcasecmp(words[i], "normal") == 0)
			dst = &v.normal;
		else if (strcasecmp(words[i], "pubsub") == 0)
			dst = &v.pubsub;
		else if (strcasecmp(words[i], "replica") == 0 || strcasecmp(words[i], "slave") == 0)
			dst = &v.replica;
		if (!dst) {
			*why = "Invalid client class specified in buffer limit configuration.";
			return -1;
		}
		*why = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
		if (config_parse_size(words[i + 1], &l.hard) != 0 || l.hard > CONFIG_OBUF_MAX ||
		    config_parse_size(words[i + 2], &l.soft) != 0 || l.soft > CONFIG_OBUF_MAX ||
		    resp_parse_ull(words[i + 3], strlen(words[i + 3]), INT_MAX, &s) != 0)
			return -1;
		l.soft_s = (int64_t)s;
		*dst = l;
	}
	*out = v;
	return 0;
}

static void config_format_obuf(const struct obuf_limits *v, char *buf, size_t size)
{
	/* Redis's CONFIG GET text, which still says slave. */
	snprintf(buf, size, "normal %zu %zu %lld slave %zu %zu %lld pubsub %zu %zu %lld",
		 v->normal.hard, v->normal.soft, (long long)v->normal.soft_s, v->replica.hard,
		 v->replica.soft, (long long)v->replica.soft_s, v->pubsub.hard, v->pubsub.soft,
		 (long long)v->pubsub.soft_s);
}

const struct config_directive *config_find(const char *name)
{
	for (size_t i = 0; i < CONFIG_NDIRECTIVES; i++)
		if (strcasecmp(config_table[i].name, name) == 0)
			return &config_table[i];
	return NULL;
}

const char *config_directive_name(size_t i)
{
	return i < CONFIG_NDIRECTIVES ? config_table[i].name : NULL;
}

/* ---------------------------------------------------------------------------
 * Value parsers. Every decimal number goes through resp_parse_ull(), which refuses
 * signs, spaces and overflow; callers split off what may follow the digits.
 */

/* An octal file mode ("0660"), the one number not in decimal. The digits are checked
 * first, so strtoull() can only add an overflow, which it reports in errno. */
static int config_parse_mode(const char *s, unsigned long long *out)
{
	unsigned long long v;

	if (*s == '\0' || s[strspn(s, "01234567")] != '\0')
		return -1;
	errno = 0;
	v = strtoull(s, NULL, 8);
	if (errno != 0)
		return -1;
	*out = v;
	return 0;
}

struct config_unit {
	const char *name;
	uint64_t mul;
};

static const struct config_unit config_size_units[] = {
	{"", 1},
	{"b", 1},
	{"k", 1000},
	{"kb", CONFIG_KB},
	{"m", 1000 * 1000},
	{"mb", CONFIG_MB},
	{"g", 1000 * 1000 * 1000},
	{"gb", CONFIG_GB},
};

static const struct config_unit config_time_units[] = {
	{"ms", 1}, {"s", 1000}, {"m", 60 * 1000}, {"h", 3600 * 1000}, {"d", 86400 * 1000},
};

static int config_unit_find(const struct config_unit *u, size_t n, const char *name,
			    uint64_t *mul)
{
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(u[i].name, name) == 0) {
			*mul = u[i].mul;
			return 0;
		}
	}
	return -1;
}

int config_parse_size(const char *s, size_t *out)
{
	size_t n = strspn(s, "0123456789");
	unsigned long long v;
	uint64_t mul;

	if (config_unit_find(config_size_units, sizeof(config_size_units) /
			     sizeof(config_size_units[0]), s + n, &mul) == -1)
		return -1;
	if (resp_parse_ull(s, n, SIZE_MAX / mul, &v) == -1)
		return -1;
	*out = (size_t)(v * mul);
	return 0;
}

/*
 * "90", "1.5m", "250ms". The fraction is kept exact (at most 9 significant digits) and
 * must come to whole milliseconds: a value that would silently lose precision is refused.
 */
int config_parse_duration(const char *s, int64_t default_unit_ms, int64_t *out_ms)
{
	size_t n = strspn(s, "0123456789");
	const char *p = s + n;
	unsigned long long whole;
	uint64_t mul, frac = 0, scale = 1;

	if (default_unit_ms <= 0)
		return -1;
	/* The fraction's digits are kept one by one: they are not an integer. */
	if (*p == '.') {
		const char *start = ++p;

		for (; *p >= '0' && *p <= '9'; p++) {
			if (scale < 1000000000ULL) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			} else if (*p != '0') {
				return -1;
			}
		}
		if (p == start)
			return -1;
	}
	if (*p == '\0')
		mul = (uint64_t)default_unit_ms;
	else if (config_unit_find(config_time_units, sizeof(config_time_units) /
				  sizeof(config_time_units[0]), p, &mul) == -1)
		return -1;
	if (resp_parse_ull(s, n, (uint64_t)INT64_MAX / mul, &whole) == -1 ||
	    (frac != 0 && mul > UINT64_MAX / frac))
		return -1;
	if (frac * mul % scale != 0)
		return -1;
	whole = whole * mul;
	if (frac * mul / scale > (uint64_t)INT64_MAX - whole)
		return -1;
	*out_ms = (int64_t)(whole + frac * mul / scale);
	return 0;
}

static int config_enum_find(const char *const *names, const char *s)
{
	for (int i = 0; names[i] != NULL; i++)
		if (strcasecmp(names[i], s) == 0)
			return i;
	return -1;
}

const char *config_maxmemory_policy_name(int policy)
{
	if (policy < MAXMEMORY_NOEVICTION || policy > MAXMEMORY_ALLKEYS_RANDOM)
		return NULL;
	return config_policy_names[policy];
}

const char *config_loglevel_name(int level)
{
	if (level < LOG_DEBUG_ || level > LOG_WARNING_)
		return NULL;
	return config_loglevel_names[level];
}

int config_loglevel_parse(const char *s)
{
	return config_enum_find(config_loglevel_names, s);
}

/* ---------------------------------------------------------------------------
 * Formatting: CONFIG GET values, and the bounds quoted in error messages.
 */

/* ms as a plain number of unit_ms units: 1500 ms in seconds is "1.5", 60000 is "60". */
static void config_format_duration(int64_t ms, int64_t unit_ms, char *buf, size_t size)
{
	int64_t rem = ms % unit_ms;
	int n = snprintf(buf, size, "%lld", (long long)(ms / unit_ms));

	for (int digits = 0; rem != 0 && digits < 9 && n > 0 && (size_t)n + 2 < size; digits++) {
		if (digits == 0)
			buf[n++] = '.';
		rem *= 10;
		buf[n++] = (char)('0' + rem / unit_ms);
		rem %= unit_ms;
		buf[n] = '\0';
	}
}

/* A size for people: "512mb" when it is a round number of kb, mb or gb, else bytes. */
static void config_format_size(uint64_t v, char *buf, size_t size)
{
	if (v != 0 && v % CONFIG_GB == 0)
		snprintf(buf, size, "%llugb", (unsigned long long)(v / CONFIG_GB));
	else if (v != 0 && v % CONFIG_MB == 0)
		snprintf(buf, size, "%llumb", (unsigned long long)(v / CONFIG_MB));
	else if (v != 0 && v % CONFIG_KB == 0)
		snprintf(buf, size, "%llukb", (unsigned long long)(v / CONFIG_KB));
	else
		snprintf(buf, size, "%llu", (unsigned long long)v);
}

/* The value's text: the string field itself, or buf holding the formatted number. */
static const char *config_value_text(const struct config *c, const struct config_directive *d,
				     char *buf, size_t size)
{
	const void *f = config_field(c, d);

	switch (d->type) {
	case CONFIG_T_STRING:
	case CONFIG_T_IDS:
	case CONFIG_T_RULES:
		return *(char *const *)f != NULL ? *(char *const *)f : "";
	case CONFIG_T_MODE:
		snprintf(buf, size, "%o", (unsigned)*(const mode_t *)f);
		break;
	case CONFIG_T_INT:
	case CONFIG_T_ANYINT:
		snprintf(buf, size, "%d", *(const int *)f);
		break;
	case CONFIG_T_COUNT:
	case CONFIG_T_SIZE:
		snprintf(buf, size, "%zu", *(const size_t *)f);
		break;
	case CONFIG_T_DURATION:
		config_format_duration(*(const int64_t *)f, d->unit_ms, buf, size);
		break;
	case CONFIG_T_SIGNED:
		snprintf(buf, size, "%lld", (long long)*(const int64_t *)f);
		break;
	case CONFIG_T_EVENTS:
		kevent_format(*(const int *)f, buf, size);
		break;
	case CONFIG_T_OBUF:
		config_format_obuf(f, buf, size);
		break;
	case CONFIG_T_SAVE:
		config_format_save(f, buf, size);
		break;
	case CONFIG_T_ENUM: {
		int v = *(const int *)f;
		int n = 0;

		while (d->names[n] != NULL)
			n++;
		return v >= 0 && v < n ? d->names[v] : "";
	}
	}
	return buf;
}

/* What the directive accepts, for "invalid value ... (expected ...)". */
static void config_expected(const struct config_directive *d, char *buf, size_t size)
{
	char lo[32], hi[32];
	size_t n;

	switch (d->type) {
	case CONFIG_T_STRING:
		snprintf(buf, size, "%llu..%llu bytes", (unsigned long long)d->min,
			 (unsigned long long)d->max);
		break;
	case CONFIG_T_MODE:
		snprintf(buf, size, "an octal mode 0..0%llo", (unsigned long long)d->max);
		break;
	case CONFIG_T_INT:
	case CONFIG_T_COUNT:
		snprintf(buf, size, "an integer %llu..%llu", (unsigned long long)d->min,
			 (unsigned long long)d->max);
		break;
	case CONFIG_T_EVENTS:
		snprintf(buf, size, "event class letters from Ag$lshzxeKEtmdnL");
		break;
	case CONFIG_T_ANYINT:
		snprintf(buf, size, "an integer %d..%d", INT_MIN, INT_MAX);
		break;
	case CONFIG_T_OBUF:
		snprintf(buf, size, "a size, or groups of <normal|pubsub|replica> <hard> <soft> "
				    "<seconds>");
		break;
	case CONFIG_T_SAVE:
		snprintf(buf, size, "pairs of <seconds> <changes> (at most %d), or \"\"",
			 CONFIG_SAVE_RULES_MAX);
		break;
	case CONFIG_T_SIGNED:
		snprintf(buf, size, "an integer %llu..%llu, or -1 for off", (unsigned long long)d->min,
			 (unsigned long long)d->max);
		break;
	case CONFIG_T_SIZE:
		config_format_size(d->min, lo, sizeof(lo));
		config_format_size(d->max, hi, sizeof(hi));
		if (d->max == SIZE_MAX)
			snprintf(buf, size, "a size of at least %s, e.g. 4096, 64kb or 2gb", lo);
		else
			snprintf(buf, size, "a size %s..%s", lo, hi);
		break;
	case CONFIG_T_DURATION:
		config_format_duration((int64_t)d->min, d->unit_ms, lo, sizeof(lo));
		config_format_duration((int64_t)d->max, d->unit_ms, hi, sizeof(hi));
		snprintf(buf, size, "a duration %s..%s seconds, or with a unit: ms s m h d", lo,
			 hi);
		break;
	case CONFIG_T_ENUM:
		n = (size_t)snprintf(buf, size, "one of");
		for (int i = 0; d->names[i] != NULL && n < size; i++)
			n += (size_t)snprintf(buf + n, size - n, "%s %s", i == 0 ? "" : ",",
					      d->names[i]);
		break;
	case CONFIG_T_IDS:
		if (d->max == 1) {
			snprintf(buf, size, "a user name or uid, or \"\"");
			break;
		}
		n = (size_t)snprintf(buf, size, "up to %llu %s names or ids separated by commas",
				     (unsigned long long)d->max,
				     d->names == config_gid_words ? "group" : "user");
		for (int i = 0; d->names[i] != NULL && n < size; i++)
			n += (size_t)snprintf(buf + n, size - n, ", %s", d->names[i]);
		break;
	case CONFIG_T_RULES:
		if (d->min == 0)
			snprintf(buf, size, "rule words such as +@read ~app:*, or \"\"");
		else
			snprintf(buf, size, "a %s name or id, then rule words such as +@read ~app:*; "
					    "at most %llu rules",
				 strcmp(d->name, "acl-gid") == 0 ? "group" : "user",
				 (unsigned long long)d->max);
		break;
	}
}

/* ---------------------------------------------------------------------------
 * Lists of users or groups.
 */

/* A user or group name as useradd(8) and groupadd(8) accept it (and
 * Samba's trailing '$'), or a decimal id below (uid_t)-1. */
static bool config_id_ok(const char *s, size_t len)
{
	unsigned long long v;
	size_t i;

	if (len == 0 || len > CONFIG_ID_NAME_MAX)
		return false;
	if (strspn(s, "0123456789") >= len)
		return resp_parse_ull(s, len, CONFIG_ID_MAX, &v) == 0;
	if (s[0] == '-')
		return false;
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (!(isalnum((unsigned char)ch) || ch == '_' || ch == '.' || ch == '-' ||
		      (ch == '$' && i == len - 1)))
			return false;
	}
	return true;
}

/*
 * Checks and normalizes a list of user or group names and ids ("a, 1000 b" -> "a,1000,b"):
 * items separated by commas or blanks, each a name, a decimal id or one of words (compared
 * without case, written in lower case); at most max items, and "*" only alone. out has room
 * for strlen(s) + 1 bytes. Names are looked up later, by the daemon (security.c). 0 or -1.
 */
static int config_parse_ids(const char *s, const char *const *words, size_t max, char *out)
{
	size_t n = 0, o = 0;
	bool any = false;

	for (;;) {
		size_t len, sep = strspn(s, ", \t"), commas = 0;
		bool word = false;

		/* One comma at most between items, none before the first or
		 * after the last: "a,,b" or "a," is a slip of the pen. */
		for (size_t i = 0; i < sep; i++)
			commas += s[i] == ',';
		if (commas > 1 || (commas == 1 && (n == 0 || s[sep] == '\0')))
			return -1;
		s += sep;
		if (*s == '\0')
			break;
		len = strcspn(s, ", \t");
		for (size_t i = 0; words[i] != NULL; i++)
			if (strlen(words[i]) == len && strncasecmp(words[i], s, len) == 0)
				word = true;
		if (!word && !config_id_ok(s, len))
			return -1;
		if (++n > max)
			return -1;
		any |= len == 1 && s[0] == '*';
		if (o > 0)
			out[o++] = ',';
		for (size_t i = 0; i < len; i++)
			out[o++] = word ? (char)tolower((unsigned char)s[i]) : s[i];
		s += len;
	}
	/* "*" says everyone: anything beside it would be a mistake. */
	if (any && n > 1)
		return -1;
	out[o] = '\0';
	return 0;
}

/*
 * Checks and normalizes one ACL rule ("1000   +get\t~k*" -> "1000 +get ~k*"): words
 * separated by blanks, none holding a control character, the first a user or group
 * name or id when with_id. out has room for strlen(s) + 1 bytes. What the words mean
 * is acl.c's to check, against the command table. 0 or -1.
 */
static int config_parse_rule(const char *s, bool with_id, char *out)
{
	size_t o = 0;

	for (;;) {
		size_t len;

		s += strspn(s, " \t");
		if (*s == '\0')
			break;
		len = strcspn(s, " \t");
		for (size_t i = 0; i < len; i++)
			if (iscntrl((unsigned char)s[i]))
				return -1;
		if (o == 0 && with_id && !config_id_ok(s, len))
			return -1;
		if (o > 0)
			out[o++] = ' ';
		memcpy(out + o, s, len);
		o += len;
		s += len;
	}
	out[o] = '\0';
	return 0;
}

/* Adds rule (normalized) to the list *f, one rule a line, or replaces it when
 * the directive keeps one rule; "" empties it. 0, or -1 when it does not parse,
 * the list is full or memory ran out (oom set). */
static int config_add_rule(char **f, const struct config_directive *d, const char *value,
			   bool *oom)
{
	size_t old = *f != NULL ? strlen(*f) : 0, n = 0;
	char *rule, *list;

	*oom = false;
	if (strlen(value) > CONFIG_RULE_TEXT_MAX)
		return -1;
	rule = malloc(strlen(value) + 1);
	if (rule == NULL) {
		*oom = true;
		return -1;
	}
	if (config_parse_rule(value, d->min > 0, rule) == -1) {
		free(rule);
		return -1;
	}
	if (d->max == 1 || rule[0] == '\0' || old == 0) {
		free(*f);
		*f = rule;
		return 0;
	}
	for (const char *p = *f; p != NULL; p = strchr(p + 1, '\n'))
		n++;
	if (n >= d->max) {
		free(rule);
		return -1;
	}
	list = realloc(*f, old + 1 + strlen(rule) + 1);
	if (list == NULL) {
		free(rule);
		*oom = true;
		return -1;
	}
	list[old] = '\n';
	strcpy(list + old + 1, rule);
	free(rule);
	*f = list;
	return 0;
}

/* ---------------------------------------------------------------------------
 * Setting values.
 */

/* Parses value for d and stores it in c; on any failure c is unchanged. */
static int config_apply(struct config *c, const struct config_directive *d, const char *value,
			char *err)
{
	void *f = config_field(c, d);
	uint64_t v = 0;
	unsigned long long num;
	size_t sz;
	int64_t ms;
	int idx;
	char *dup;
	char expected[160];

	switch (d->type) {
	case CONFIG_T_STRING:
		v = strlen(value);
		if (v < d->min || v > d->max)
			goto invalid;
		dup = strdup(value);
		if (dup == NULL) {
			config_err(err, "out of memory");
			return -1;
		}
		free(*(char **)f);
		*(char **)f = dup;
		return 0;
	case CONFIG_T_IDS:
		/* The normalized list is never longer than the text. */
		if (strlen(value) > CONFIG_IDS_TEXT_MAX)
			goto invalid;
		dup = malloc(strlen(value) + 1);
		if (dup == NULL) {
			config_err(err, "out of memory");
			return -1;
		}
		if (config_parse_ids(value, d->names, d->max, dup) == -1) {
			free(dup);
			goto invalid;
		}
		free(*(char **)f);
		*(char **)f = dup;
		return 0;
	case CONFIG_T_RULES: {
		bool oom;

		if (config_add_rule((char **)f, d, value, &oom) == 0)
			return 0;
		if (!oom)
			goto invalid;
		config_err(err, "out of memory");
		return -1;
	}
	case CONFIG_T_MODE:
		if (config_parse_mode(value, &num) == -1)
			goto invalid;
		v = num;
		break;
	case CONFIG_T_INT:
	case CONFIG_T_COUNT:
		if (resp_parse_ull(value, strlen(value), ULLONG_MAX, &num) == -1)
			goto invalid;
		v = num;
		break;
	case CONFIG_T_SIZE:
		if (config_parse_size(value, &sz) == -1)
			goto invalid;
		v = sz;
		break;
	case CONFIG_T_DURATION:
		if (config_parse_duration(value, d->unit_ms, &ms) == -1)
			goto invalid;
		v = (uint64_t)ms;
		break;
	case CONFIG_T_ENUM:
		idx = config_enum_find(d->names, value);
		if (idx == -1)
			goto invalid;
		*(int *)f = idx;
		return 0;
	case CONFIG_T_EVENTS:
		if (kevent_parse(value, &idx) == -1)
			goto invalid;
		*(int *)f = idx;
		return 0;
	case CONFIG_T_OBUF: {
		const char *why;

		if (config_parse_obuf(value, f, &why) != 0)
			goto invalid;
		return 0;
	}
	case CONFIG_T_SAVE: {
		const char *why;

		if (config_parse_save(value, f, false, &why) != 0)
			goto invalid;
		return 0;
	}
	case CONFIG_T_ANYINT: {
		long long iv;

		if (resp_parse_ll(value, strlen(value), &iv) == -1 || iv < INT_MIN || iv > INT_MAX)
			goto invalid;
		*(int *)f = (int)iv;
		return 0;
	}
	case CONFIG_T_SIGNED: {
		long long sv;

		if (resp_parse_ll(value, strlen(value), &sv) == -1 ||
		    (sv != -1 && (sv < (long long)d->min || (uint64_t)sv > d->max)))
			goto invalid;
		*(int64_t *)f = sv;
		return 0;
	}
	}
	if (v < d->min || v > d->max)
		goto invalid;
	switch (d->type) {
	case CONFIG_T_MODE:
		*(mode_t *)f = (mode_t)v;
		break;
	case CONFIG_T_INT:
		*(int *)f = (int)v;
		break;
	case CONFIG_T_COUNT:
	case CONFIG_T_SIZE:
		*(size_t *)f = (size_t)v;
		break;
	case CONFIG_T_DURATION:
		*(int64_t *)f = (int64_t)v;
		break;
	case CONFIG_T_STRING:
	case CONFIG_T_ENUM:
	case CONFIG_T_IDS:
	case CONFIG_T_RULES:
	case CONFIG_T_SIGNED:
	case CONFIG_T_ANYINT:
	case CONFIG_T_EVENTS:
	case CONFIG_T_OBUF:
	case CONFIG_T_SAVE:
		break;
	}
	return 0;
invalid:
	config_expected(d, expected, sizeof(expected));
	config_err(err, "invalid value '%.*s%s' for '%s' (expected %s)", CONFIG_VALUE_SHOWN, value,
		   strlen(value) > CONFIG_VALUE_SHOWN ? "..." : "", d->name, expected);
	return -1;
}

int config_set(struct config *c, const char *name, const char *value, char *err)
{
	const struct config_directive *d = config_find(name);

	if (d == NULL) {
		if (strcasecmp(name, "include") == 0)
			config_err(err, "'include' is only valid in a config file");
		else
			config_err(err, "unknown directive '%.*s'", CONFIG_VALUE_SHOWN, name);
		return -1;
	}
	return config_apply(c, d, value, err);
}

bool config_is_restart_only(const char *name)
{
	/* logfile is opened once, at start-up, before the switch to user. */
	static const char *const names[] = {"unixsocket", "unixsocketperm", "user", "logfile"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(names[i], name) == 0)
			return true;
	return false;
}

int config_set_runtime(struct config *c, const char *name, const char *value, char *err)
{
	const struct config_directive *d = config_find(name);
	unsigned long long num;
	size_t sz, n;
	int64_t ms;

	if (d == NULL)
		return config_set(c, name, value, err);
	if (d->type == CONFIG_T_RULES) {
		char rule[CONFIG_RULE_TEXT_MAX + 1];

		if (config_apply(c, d, "", err) != 0)
			return -1;
		while (*value != '\0') {
			n = strcspn(value, "\n");
			snprintf(rule, sizeof(rule), "%.*s", (int)n, value);
			if (config_apply(c, d, rule, err) != 0)
				return -1;
			value += n + (value[n] == '\n');
		}
		return 0;
	}
	if (d->type == CONFIG_T_SAVE) {
		const char *why;

		if (config_parse_save(value, &c->save, true, &why) == 0)
			return 0;
		config_err(err, "%s", why);
		return -1;
	}
	/* Redis reads an empty memory value as 0. */
	if (d->type == CONFIG_T_SIZE && value[0] == '\0')
		value = "0";
	if (config_apply(c, d, value, err) == 0)
		return 0;
	switch (d->type) {
	case CONFIG_T_INT:
	case CONFIG_T_COUNT:
	case CONFIG_T_DURATION:
		/* A negative number parses in Redis, then fails its range. */
		n = value[0] == '-' ? 1 : 0;
		if (d->type == CONFIG_T_DURATION
			    ? config_parse_duration(value + n, d->unit_ms, &ms) != 0
			    : resp_parse_ull(value + n, strlen(value + n), ULLONG_MAX, &num) != 0)
			config_err(err, "argument couldn't be parsed into an integer");
		else
			config_err(err, "argument must be between %llu and %llu inclusive",
				   (unsigned long long)d->min / (d->unit_ms ? (uint64_t)d->unit_ms : 1),
				   (unsigned long long)d->max / (d->unit_ms ? (uint64_t)d->unit_ms : 1));
		break;
	case CONFIG_T_ANYINT: {
		long long iv;

		if (resp_parse_ll(value, strlen(value), &iv) != 0)
			config_err(err, "argument couldn't be parsed into an integer");
		else
			config_err(err, "argument must be between %d and %d inclusive", INT_MIN, INT_MAX);
		break;
	}
	case CONFIG_T_SIZE:
		if (config_parse_size(value, &sz) != 0)
			config_err(err, "argument must be a memory value");
		else
			config_err(err, "argument must be between %llu and %llu inclusive",
				   (unsigned long long)d->min, (unsigned long long)d->max);
		break;
	case CONFIG_T_EVENTS:
		config_err(err, "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
		break;
	case CONFIG_T_OBUF: {
		struct obuf_limits scratch = c->obuf;
		const char *why;

		config_parse_obuf(value, &scratch, &why);
		config_err(err, "%s", why);
		break;
	}
	case CONFIG_T_ENUM:
		n = (size_t)snprintf(err, CONFIG_ERR_MAX,
				     "argument(s) must be one of the following: ");
		for (int i = 0; d->names[i] != NULL && n < CONFIG_ERR_MAX; i++)
			n += (size_t)snprintf(err + n, CONFIG_ERR_MAX - n, "%s%s", i ? ", " : "",
					      d->names[i]);
		break;
	default:
		break;
	}
	return -1;
}

void config_defaults(struct config *c)
{
	char err[CONFIG_ERR_MAX];

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < CONFIG_NDIRECTIVES; i++) {
		/* Either a default the table's own parser rejects (a bug in this file) or
		 * no memory for a few short strings at startup: nothing worth running. */
		if (config_apply(c, &config_table[i], config_table[i].def, err) == -1) {
			fprintf(stderr, "%s:%d: default of '%s': %s\n", __FILE__, __LINE__,
				config_table[i].name, err);
			abort();
		}
	}
}

void config_free(struct config *c)
{
	for (size_t i = 0; i < CONFIG_NDIRECTIVES; i++) {
		if (config_is_string(&config_table[i])) {
			char **f = config_field(c, &config_table[i]);

			free(*f);
			*f = NULL;
		}
	}
}

int config_copy(struct config *dst, const struct config *src)
{
	*dst = *src;
	/* Forget src's pointers first, so a failed strdup leaves dst safe to free. */
	for (size_t i = 0; i < CONFIG_NDIRECTIVES; i++)
		if (config_is_string(&config_table[i]))
			*(char **)config_field(dst, &config_table[i]) = NULL;
	for (size_t i = 0; i < CONFIG_NDIRECTIVES; i++) {
		const char *s;
		char **df;

		if (!config_is_string(&config_table[i]))
			continue;
		s = *(char *const *)config_field(src, &config_table[i]);
		df = config_field(dst, &config_table[i]);
		if (s == NULL)
			continue;
		*df = strdup(s);
		if (*df == NULL) {
			config_free(dst);
			return -1;
		}
	}
	return 0;
}

int config_validate(const struct config *c, char *err)
{
	/* A bulk argument of the maximum length, plus its header, must fit in the
	 * query buffer, or the largest legal request would get its client dropped. */
	if (c->client_query_buffer_limit <= c->proto_max_bulk_len) {
		config_err(err, "client-query-buffer-limit (%zu) must be greater than "
				"proto-max-bulk-len (%zu)",
			   c->client_query_buffer_limit, c->proto_max_bulk_len);
		return -1;
	}
	if (strchr(c->dbfilename, '/') != NULL) {
		config_err(err, "dbfilename can't be a path, just a filename");
		return -1;
	}
	if (c->proto_inline_max > c->client_query_buffer_limit) {
		config_err(err, "proto-inline-max (%zu) must not exceed client-query-buffer-limit "
				"(%zu)",
			   c->proto_inline_max, c->client_query_buffer_limit);
		return -1;
	}
	return 0;
}

/* A rule list gives one value per rule, as the file has one line per rule. */
static void config_get_rules(const char *list, const char *name, config_get_fn *fn, void *ctx)
{
	char rule[CONFIG_RULE_TEXT_MAX + 1];

	do {
		size_t len = strcspn(list, "\n");

		snprintf(rule, sizeof(rule), "%.*s", (int)len, list);
		fn(ctx, name, rule);
		list += len + (list[len] == '\n');
	} while (*list != '\0');
}

void config_get(const struct config *c, const char *pattern, config_get_fn *fn, void *ctx)
{
	char buf[512];

	for (size_t i = 0; i < CONFIG_NDIRECTIVES; i++) {
		const struct config_directive *d = &config_table[i];

		if (!keymatch_matches(pattern, strlen(pattern), d->name, strlen(d->name), true))
			continue;
		if (d->type == CONFIG_T_RULES)
			config_get_rules(config_value_text(c, d, buf, sizeof(buf)), d->name, fn, ctx);
		else
			fn(ctx, d->name, config_value_text(c, d, buf, sizeof(buf)));
	}
}
