/* cli_metrics.c - cachifyd's INFO in three shapes: `cachify info` (the
 * text, as redis-cli prints it), `info --json` (one object per section),
 * and `cachify metrics` (Prometheus text exposition for node_exporter's
 * textfile collector: cachify_ names, # HELP and # TYPE per family,
 * counters with _total, per-database keyspace and per-command stats as
 * labels). One parser splits INFO into (section, field, value) lines.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"

#define INFO_NAME_MAX 128 /* bytes of a metric name we build */

struct info_line {
	const char *section; /* "Server", ... (points into the text) */
	size_t slen;
	const char *field;
	size_t flen;
	const char *value;
	size_t vlen;
};

struct info {
	char *text; /* the reply's bytes, owned */
	struct info_line *lines;
	size_t n;
};

/* Splits INFO's "# Section" headers and "field:value" lines (CRLF). 0, or -1
 * out of memory. */
static int info_parse(struct info *in, const char *text, size_t len)
{
	const char *sec = "", *p, *end;
	size_t slen = 0;

	if (!(in->text = malloc(len + 1)))
		return -1;
	memcpy(in->text, text, len);
	in->text[len] = '\0';
	for (p = in->text, end = p + len; p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *colon;
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
		struct info_line *nl;

		if (n > 0 && p[n - 1] == '\r')
			n--;
		colon = memchr(p, ':', n);
		if (n > 2 && p[0] == '#' && p[1] == ' ') {
			sec = p + 2;
			slen = n - 2;
		} else if (colon && colon > p) {
			if (!(nl = realloc(in->lines, (in->n + 1) * sizeof *nl)))
				return -1;
			in->lines = nl;
			nl[in->n++] = (struct info_line){sec, slen, p, (size_t)(colon - p), colon + 1,
			                                 (size_t)(p + n - colon - 1)};
		}
		p += (eol ? (size_t)(eol - p) + 1 : n);
	}
	return 0;
}

static void info_free(struct info *in)
{
	free(in->text);
	free(in->lines);
}

static bool sec_is(const struct info_line *l, const char *name)
{
	return l->slen == strlen(name) && strncasecmp(l->section, name, l->slen) == 0;
}

/* A number as JSON and Prometheus both read it: -?digits[.digits]. */
static bool is_number(const char *s, size_t n)
{
	size_t i = 0, digits = 0;

	if (i < n && s[i] == '-')
		i++;
	for (; i < n && isdigit((unsigned char)s[i]); i++)
		digits++;
	if (i < n && s[i] == '.')
		for (i++; i < n && isdigit((unsigned char)s[i]); i++)
			digits++;
	return digits > 0 && i == n;
}

/* INFO [SECTION] through cachify_client_call: 0 with *in filled, or an
 * exit code (printed). */
static int fetch_info(struct cli *g, const char *section, struct info *in)
{
	const char *cmd[] = {"INFO", section};
	cachify_reply *r;
	int rc = cli_call(g, &r, section ? 2 : 1, cmd);

	memset(in, 0, sizeof *in);
	if (rc != 0)
		return cli_fail(g, rc, "INFO");
	if (r->type != CACHIFY_REPLY_BULK) {
		cli_warn(g, "INFO: %s", r->type == CACHIFY_REPLY_ERROR ? r->str : "unexpected reply");
		cachify_reply_free(r);
		return CLI_EXIT_FAIL;
	}
	rc = info_parse(in, r->str, r->len);
	cachify_reply_free(r);
	return rc == 0 ? 0 : cli_fail(g, CACHIFY_ENOMEM, "INFO");
}

/* ---- info [--json] ------------------------------------------------------------------ */

/* "a=1,b=x" as a JSON object; false if value is not of that shape. */
static bool json_subfields(struct cli_buf *b, const char *v, size_t n)
{
	const char *p = v, *end = v + n;
	bool first = true;

	if (!memchr(v, '=', n))
		return false;
	cli_buf_add(b, "{", 1);
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p)), *eq;
		size_t len = comma ? (size_t)(comma - p) : (size_t)(end - p);

		eq = memchr(p, '=', len);
		if (!eq)
			eq = p + len;
		cli_buf_add(b, first ? "" : ", ", first ? 0 : 2);
		cli_buf_json_str(b, p, (size_t)(eq - p));
		cli_buf_add(b, ": ", 2);
		if (eq == p + len)
			cli_buf_add(b, "null", 4);
		else if (is_number(eq + 1, (size_t)(p + len - eq - 1)))
			cli_buf_add(b, eq + 1, (size_t)(p + len - eq - 1));
		else
			cli_buf_json_str(b, eq + 1, (size_t)(p + len - eq - 1));
		first = false;
		p += len + (comma ? 1 : 0);
	}
	cli_buf_add(b, "}", 1);
	return true;
}

static int print_info_json(const struct info *in)
{
	struct cli_buf b = {0};
	const char *sec = NULL;
	int rc = 0;

	cli_buf_add(&b, "{", 1);
	for (size_t i = 0; i < in->n; i++) {
		const struct info_line *l = &in->lines[i];

		if (l->section != sec) {
			char lower[64];
			size_t n = l->slen < sizeof lower ? l->slen : sizeof lower - 1;

			for (size_t j = 0; j < n; j++)
				lower[j] = (char)tolower((unsigned char)l->section[j]);
			cli_buf_add(&b, sec ? "\n },\n " : "\n ", sec ? 6 : 2);
			cli_buf_json_str(&b, lower, n);
			cli_buf_add(&b, ": {", 3);
			sec = l->section;
		} else {
			cli_buf_add(&b, ",", 1);
		}
		cli_buf_add(&b, "\n  ", 3);
		cli_buf_json_str(&b, l->field, l->flen);
		cli_buf_add(&b, ": ", 2);
		if (is_number(l->value, l->vlen))
			cli_buf_add(&b, l->value, l->vlen);
		else if (!json_subfields(&b, l->value, l->vlen))
			cli_buf_json_str(&b, l->value, l->vlen);
	}
	cli_buf_printf(&b, "%s}\n", sec ? "\n }\n" : "");
	if (!b.data || cli_write_all(STDOUT_FILENO, b.data, b.len) != 0)
		rc = CLI_EXIT_FAIL;
	cli_buf_free(&b);
	return rc;
}

int cli_cmd_info(struct cli *g, int argc, char **argv)
{
	static const struct option longs[] = {
	    {"json", no_argument, NULL, CLI_OPT_JSON},
	    CLI_COMMON_LONG,
	    {NULL, 0, NULL, 0},
	};
	struct info in;
	bool json = false;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "+" CLI_COMMON_SHORT, longs, NULL)) != -1) {
		rc = cli_common_opt(g, opt, optarg, argv);
		if (rc == CLI_OPT_OTHER)
			json = true;
		else if (rc != CLI_OPT_NEXT)
			return rc;
	}
	if (argc - optind > 1)
		return cli_usage_error(g, "unexpected argument '%s'", argv[optind + 1]);
	if ((rc = cli_connect(g)) != 0 ||
	    (rc = fetch_info(g, optind < argc ? argv[optind] : NULL, &in)) != 0)
		return rc;
	if (json) {
		rc = print_info_json(&in);
	} else {
		/* INFO's lines end in CRLF, as in Redis; a terminal wants LF. */
		const char *sec = NULL;

		for (size_t i = 0; i < in.n; i++) {
			const struct info_line *l = &in.lines[i];

			if (l->section != sec)
				printf("%s# %.*s\n", sec ? "\n" : "", (int)l->slen, l->section);
			sec = l->section;
			printf("%.*s:%.*s\n", (int)l->flen, l->field, (int)l->vlen, l->value);
		}
	}
	info_free(&in);
	return rc;
}

/* ---- metrics ---------------------------------------------------------------------- */

static bool field_starts(const struct info_line *l, const char *p)
{
	size_t n = strlen(p);

	return l->flen >= n && strncmp(l->field, p, n) == 0;
}

/* Counters among the numeric fields (the rest are gauges): Stats, CPU,
 * Locks and Pools count events, except their current-state fields. */
static bool is_counter(const struct info_line *l)
{
	static const char *const gauge_prefixes[] = {"instantaneous_", "current_", "latest_",
	                                             "pubsub"};
	static const char *const gauges[] = {"locks_held", "waiters", "pools", "slots_held"};

	if (!sec_is(l, "Stats") && !sec_is(l, "CPU") && !sec_is(l, "Locks") && !sec_is(l, "Pools"))
		return false;
	for (size_t i = 0; i < sizeof gauge_prefixes / sizeof gauge_prefixes[0]; i++)
		if (field_starts(l, gauge_prefixes[i]))
			return false;
	for (size_t i = 0; i < sizeof gauges / sizeof gauges[0]; i++)
		if (l->flen == strlen(gauges[i]) && field_starts(l, gauges[i]))
			return false;
	return true;
}

/* cachify_[section_]field[_total]: Locks' and Pools' fields are named
 * after their section (both have "notowner"); a counter loses a leading
 * "total_" and ends in "_total"; CPU times are in seconds. Bytes that
 * Prometheus does not take in a name become '_'. */
static void metric_name(char *buf, size_t size, const struct info_line *l, bool counter)
{
	const char *sec = "", *f = l->field;
	size_t fl = l->flen;
	int n;

	if (sec_is(l, "Locks") && !field_starts(l, "locks"))
		sec = "locks_";
	else if (sec_is(l, "Pools") && !field_starts(l, "pools"))
		sec = "pools_";
	if (counter && field_starts(l, "total_") && fl > 6)
		f += 6, fl -= 6;
	n = snprintf(buf, size, "cachify_%s%.*s%s%s", sec, (int)fl, f,
	             sec_is(l, "CPU") ? "_seconds" : "", counter ? "_total" : "");
	for (int i = 0; i < n && (size_t)i < size - 1; i++)
		if (!isalnum((unsigned char)buf[i]) && buf[i] != '_')
			buf[i] = '_';
}

/* A label value: \\, \" and \n escaped. */
static void put_label(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' || s[i] == '"')
			putchar('\\');
		if (s[i] == '\n')
			fputs("\\n", stdout);
		else
			putchar(s[i]);
	}
}

/* The value of sub in "a=1,b=2" (INFO's keyspace, commandstats), or NULL. */
static const char *subfield(const struct info_line *l, const char *sub, size_t *len)
{
	size_t n = strlen(sub);

	for (const char *p = l->value, *end = l->value + l->vlen; p < end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t k = comma ? (size_t)(comma - p) : (size_t)(end - p);

		if (k > n && strncmp(p, sub, n) == 0 && p[n] == '=') {
			*len = k - n - 1;
			return p + n + 1;
		}
		p += k + 1;
	}
	return NULL;
}

/* One labelled family: every line of section whose field starts with
 * strip, labelled label="the rest of the field", valued by sub (scaled). */
static void labelled_family(const struct info *in, const char *section, const char *strip,
                            const char *label, const char *sub, double scale, const char *name,
                            const char *type, const char *help)
{
	bool head = false;

	for (size_t i = 0; i < in->n; i++) {
		const struct info_line *l = &in->lines[i];
		size_t sl = strlen(strip), vlen;
		const char *v;

		if (!sec_is(l, section) || l->flen <= sl || strncmp(l->field, strip, sl) != 0 ||
		    !(v = subfield(l, sub, &vlen)) || !is_number(v, vlen))
			continue;
		if (!head)
			printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
		head = true;
		printf("%s{%s=\"", name, label);
		put_label(l->field + sl, l->flen - sl);
		if (scale == 1)
			printf("\"} %.*s\n", (int)vlen, v);
		else
			printf("\"} %.17g\n", strtod(v, NULL) * scale);
	}
}

static void plain_families(const struct info *in)
{
	for (size_t i = 0; i < in->n; i++) {
		const struct info_line *l = &in->lines[i];
		char name[INFO_NAME_MAX];
		bool counter = is_counter(l);

		if (!is_number(l->value, l->vlen) || sec_is(l, "Keyspace") ||
		    sec_is(l, "Commandstats") || sec_is(l, "Errorstats") || sec_is(l, "Latencystats"))
			continue;
		metric_name(name, sizeof name, l, counter);
		printf("# HELP %s INFO %.*s: %.*s\n# TYPE %s %s\n%s %.*s\n", name, (int)l->slen,
		       l->section, (int)l->flen, l->field, name, counter ? "counter" : "gauge", name,
		       (int)l->vlen, l->value);
	}
}

int cli_cmd_metrics(struct cli *g, int argc, char **argv)
{
	static const struct option longs[] = {CLI_COMMON_LONG, {NULL, 0, NULL, 0}};
	struct info in;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "+" CLI_COMMON_SHORT, longs, NULL)) != -1) {
		rc = cli_common_opt(g, opt, optarg, argv);
		if (rc != CLI_OPT_NEXT)
			return rc == CLI_OPT_OTHER ? cli_usage_error(g, "bad option") : rc;
	}
	if (optind < argc)
		return cli_usage_error(g, "unexpected argument '%s'", argv[optind]);
	if ((rc = cli_connect(g)) != 0 || (rc = fetch_info(g, "all", &in)) != 0)
		return rc;
	plain_families(&in);
	labelled_family(&in, "Keyspace", "db", "db", "keys", 1, "cachify_db_keys", "gauge",
	                "Keys in the database");
	labelled_family(&in, "Keyspace", "db", "db", "expires", 1, "cachify_db_expires", "gauge",
	                "Keys with a TTL in the database");
	labelled_family(&in, "Keyspace", "db", "db", "avg_ttl", 0.001,
	                "cachify_db_avg_ttl_seconds", "gauge", "Average TTL of keys with one");
	labelled_family(&in, "Commandstats", "cmdstat_", "cmd", "calls", 1,
	                "cachify_commands_total", "counter", "Calls per command");
	labelled_family(&in, "Commandstats", "cmdstat_", "cmd", "usec", 1e-6,
	                "cachify_commands_duration_seconds_total", "counter",
	                "Time spent per command");
	labelled_family(&in, "Commandstats", "cmdstat_", "cmd", "failed_calls", 1,
	                "cachify_commands_failed_calls_total", "counter",
	                "Calls per command that failed");
	labelled_family(&in, "Commandstats", "cmdstat_", "cmd", "rejected_calls", 1,
	                "cachify_commands_rejected_calls_total", "counter",
	                "Calls per command rejected before running");
	labelled_family(&in, "Errorstats", "errorstat_", "err", "count", 1,
	                "cachify_errors_total", "counter", "Error replies per error class");
	info_free(&in);
	return 0;
}
