/* cmd_diag.c - SLOWLOG (GET, LEN, RESET, HELP) and LATENCY (LATEST,
 * HISTORY, RESET, DOCTOR, GRAPH, HELP) with Redis 7's replies. The records
 * are diag.c's.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "cmd_args.h"
#include "diag.h"
#include "reply.h"
#include "server.h"

#define DIAG_SHOWN_MAX	   128 /* bytes of an argument quoted back in an error */
#define SLOWLOG_GET_DEFAULT 10	/* entries SLOWLOG GET returns without a count */

/* A subcommand row: name, arity counting the command, handler. */
struct diag_sub {
	const char *name; /* "slowlog|get": the arity error names it so */
	int arity;	  /* -N: at least N */
	void (*fn)(struct conn *c, int argc, struct resp_arg *argv);
};

/* Finds argv[1] in subs and checks its arity; replies Redis's errors. */
static void diag_run(struct conn *c, int argc, struct resp_arg *argv, const struct diag_sub *subs,
		     size_t n, const char *help_name)
{
	for (size_t i = 0; i < n; i++) {
		const char *word = strchr(subs[i].name, '|') + 1;

		if (!arg_is(&argv[1], word))
			continue;
		if ((subs[i].arity > 0 && argc != subs[i].arity) ||
		    (subs[i].arity < 0 && argc < -subs[i].arity)) {
			reply_errorf(c, "ERR wrong number of arguments for '%s' command", subs[i].name);
			c->flags |= CONN_NOT_RUN;
			return;
		}
		c->last_cmd = subs[i].name;
		subs[i].fn(c, argc, argv);
		return;
	}
	reply_errorf(c, "ERR unknown subcommand '%.*s'. Try %s HELP.",
		     (int)(argv[1].len > DIAG_SHOWN_MAX ? DIAG_SHOWN_MAX : argv[1].len), argv[1].ptr,
		     help_name);
	c->flags |= CONN_NOT_RUN;
}

/* ---- SLOWLOG -------------------------------------------------------------- */

static void slowlog_get(struct conn *c, int argc, struct resp_arg *argv)
{
	long long count = SLOWLOG_GET_DEFAULT;
	const struct slowlog_entry *e;
	size_t n;

	if (argc > 3) {
		reply_errorf(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. "
				"Try SLOWLOG HELP.",
			     (int)argv[1].len, argv[1].ptr);
		return;
	}
	if (argc == 3 && (resp_parse_ll(argv[2].ptr, argv[2].len, &count) != 0 || count < -1 ||
			  count > LONG_MAX)) {
		reply_error(c, "ERR count should be greater than or equal to -1");
		return;
	}
	n = slowlog_len();
	if (count >= 0 && (unsigned long long)count < n)
		n = (size_t)count;
	reply_array(c, n);
	for (size_t i = 0; i < n && (e = slowlog_at(i)); i++) {
		reply_array(c, 6);
		reply_int(c, (long long)e->id);
		reply_int(c, (long long)e->time);
		reply_int(c, (long long)e->duration);
		reply_array(c, (size_t)e->argc);
		for (int j = 0; j < e->argc; j++)
			reply_bulk(c, e->argv[j].ptr, e->argv[j].len);
		reply_bulk_cstr(c, e->addr);
		reply_bulk_cstr(c, e->name);
	}
}

static void slowlog_len_cmd(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	(void)argv;
	reply_int(c, (long long)slowlog_len());
}

static void slowlog_reset_cmd(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	(void)argv;
	slowlog_reset();
	reply_ok(c);
}

static void slowlog_help(struct conn *c, int argc, struct resp_arg *argv)
{
	static const char *const lines[] = {
		"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"GET [<count>]",
		"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
		"    Entries are made of:",
		"    id, timestamp, time in microseconds, arguments array, client IP and port,",
		"    client name",
		"LEN",
		"    Return the length of the slowlog.",
		"RESET",
		"    Reset the slowlog.",
		"HELP",
		"    Prints this help.",
	};

	(void)argc;
	(void)argv;
	reply_lines(c, lines, sizeof lines / sizeof lines[0]);
}

void cmd_slowlog(struct conn *c, int argc, struct resp_arg *argv)
{
	static const struct diag_sub subs[] = {
		{"slowlog|get", -2, slowlog_get},
		{"slowlog|len", 2, slowlog_len_cmd},
		{"slowlog|reset", 2, slowlog_reset_cmd},
		{"slowlog|help", 2, slowlog_help},
	};

	diag_run(c, argc, argv, subs, sizeof subs / sizeof subs[0], "SLOWLOG");
}

/* ---- LATENCY -------------------------------------------------------------- */

static const struct latency_event *latency_find(const struct resp_arg *name)
{
	const struct latency_event *ev;

	for (size_t i = 0; (ev = latency_at(i)); i++)
		if (strlen(ev->name) == name->len && memcmp(ev->name, name->ptr, name->len) == 0)
			return ev;
	return NULL;
}

/* Sample i of ev, oldest first. */
static const struct latency_sample *latency_sample(const struct latency_event *ev, size_t i)
{
	size_t first = (ev->next + LATENCY_HISTORY_MAX - ev->count) % LATENCY_HISTORY_MAX;

	return &ev->samples[(first + i) % LATENCY_HISTORY_MAX];
}

static void latency_latest(struct conn *c, int argc, struct resp_arg *argv)
{
	const struct latency_event *ev;
	size_t n = 0;

	(void)argc;
	(void)argv;
	while (latency_at(n))
		n++;
	reply_array(c, n);
	for (size_t i = 0; (ev = latency_at(i)); i++) {
		const struct latency_sample *last = latency_sample(ev, ev->count - 1);

		reply_array(c, 4);
		reply_bulk_cstr(c, ev->name);
		reply_int(c, (long long)last->time);
		reply_int(c, (long long)last->ms);
		reply_int(c, (long long)ev->max_ms);
	}
}

static void latency_history(struct conn *c, int argc, struct resp_arg *argv)
{
	const struct latency_event *ev = latency_find(&argv[2]);

	(void)argc;
	if (!ev) {
		reply_array(c, 0);
		return;
	}
	reply_array(c, ev->count);
	for (size_t i = 0; i < ev->count; i++) {
		reply_array(c, 2);
		reply_int(c, (long long)latency_sample(ev, i)->time);
		reply_int(c, (long long)latency_sample(ev, i)->ms);
	}
}

static void latency_reset_cmd(struct conn *c, int argc, struct resp_arg *argv)
{
	int n = 0;

	if (argc == 2)
		n = latency_reset(NULL, 0);
	for (int i = 2; i < argc; i++)
		n += latency_reset(argv[i].ptr, argv[i].len);
	reply_int(c, n);
}

static const char latency_doctor_intro[] =
	"Dave, I have observed latency spikes in this Redis instance. You don't mind talking "
	"about it, do you Dave?\n\n";

/* Redis's two fixed reports, and for recorded spikes a short summary per
 * event (Redis adds advice this daemon has no use for). */
static void latency_doctor(struct conn *c, int argc, struct resp_arg *argv)
{
	const struct latency_event *ev;
	struct resp_buf b;

	(void)argc;
	(void)argv;
	if (server.cfg.latency_monitor_threshold == 0) {
		reply_bulk_cstr(c, "I'm sorry, Dave, I can't do that. Latency monitoring is disabled "
				   "in this Redis instance. You may use \"CONFIG SET "
				   "latency-monitor-threshold <milliseconds>.\" in order to enable "
				   "it. If we weren't in a deep space mission I'd suggest to take a "
				   "look at https://redis.io/topics/latency-monitor.\n");
		return;
	}
	if (!latency_at(0)) {
		reply_bulk_cstr(c, "Dave, no latency spike was observed during the lifetime of this "
				   "Redis instance, not in the slightest bit. I honestly think you "
				   "ought to sit down calmly, take a stress pill, and think things "
				   "over.\n");
		return;
	}
	resp_buf_init(&b);
	resp_buf_append(&b, latency_doctor_intro, strlen(latency_doctor_intro));
	for (size_t i = 0; (ev = latency_at(i)); i++) {
		char line[256];
		int64_t sum = 0;
		int n;

		for (size_t k = 0; k < ev->count; k++)
			sum += latency_sample(ev, k)->ms;
		n = snprintf(line, sizeof line,
			     "%zu. %s: %zu latency spikes (average %lldms). Worst all time event "
			     "%lldms.\n",
			     i + 1, ev->name, ev->count, (long long)(sum / (int64_t)ev->count),
			     (long long)ev->max_ms);
		resp_buf_append(&b, line, (size_t)n);
	}
	reply_bulk(c, b.data ? b.data : "", b.len);
	resp_buf_free(&b);
}

/* The samples as text, oldest first (Redis draws an ASCII chart). */
static void latency_graph(struct conn *c, int argc, struct resp_arg *argv)
{
	const struct latency_event *ev = latency_find(&argv[2]);
	struct resp_buf b;
	char line[128];
	int n;

	(void)argc;
	if (!ev) {
		reply_errorf(c, "ERR No samples available for event '%.*s'",
			     (int)(argv[2].len > DIAG_SHOWN_MAX ? DIAG_SHOWN_MAX : argv[2].len),
			     argv[2].ptr);
		return;
	}
	resp_buf_init(&b);
	n = snprintf(line, sizeof line, "%s - all time high %lld ms\n", ev->name,
		     (long long)ev->max_ms);
	resp_buf_append(&b, line, (size_t)n);
	for (size_t i = 0; i < ev->count; i++) {
		n = snprintf(line, sizeof line, "%lld %lld\n", (long long)latency_sample(ev, i)->time,
			     (long long)latency_sample(ev, i)->ms);
		resp_buf_append(&b, line, (size_t)n);
	}
	reply_bulk(c, b.data ? b.data : "", b.len);
	resp_buf_free(&b);
}

static void latency_help(struct conn *c, int argc, struct resp_arg *argv)
{
	static const char *const lines[] = {
		"LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"DOCTOR",
		"    Return a human readable latency analysis report.",
		"GRAPH <event>",
		"    Return an ASCII latency graph for the <event> class.",
		"HISTORY <event>",
		"    Return time-latency samples for the <event> class.",
		"LATEST",
		"    Return the latest latency samples for all events.",
		"RESET [<event> ...]",
		"    Reset latency data of one or more <event> classes.",
		"    (default: reset all data for all event classes)",
		"HELP",
		"    Prints this help.",
	};

	(void)argc;
	(void)argv;
	reply_lines(c, lines, sizeof lines / sizeof lines[0]);
}

void cmd_latency(struct conn *c, int argc, struct resp_arg *argv)
{
	static const struct diag_sub subs[] = {
		{"latency|latest", 2, latency_latest},	 {"latency|history", 3, latency_history},
		{"latency|reset", -2, latency_reset_cmd}, {"latency|doctor", 2, latency_doctor},
		{"latency|graph", 3, latency_graph},	 {"latency|help", 2, latency_help},
	};

	diag_run(c, argc, argv, subs, sizeof subs / sizeof subs[0], "LATENCY");
}
