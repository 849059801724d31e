/* diag.c - the slow log, the latency events and the hook dispatch calls
 * after every command (see diag.h). MONITOR's clients and their lines are
 * monitor.c's; the commands that read these records are cmd_diag.c's.
 */
#include "diag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "clock.h"
#include "command.h"
#include "monitor.h"
#include "server.h"

/* ---- the slow log ------------------------------------------------------- */

/* Newest first; ids count every entry ever logged, as Redis's do. */
static struct slowlog_entry *slowlog;
static size_t slowlog_n, slowlog_cap;
static uint64_t slowlog_next_id;

static void slowlog_entry_free(struct slowlog_entry *e)
{
	for (int i = 0; i < e->argc; i++)
		free((void *)e->argv[i].ptr);
	free(e->argv);
	free(e->addr);
	free(e->name);
}

static char *dup_bytes(const char *p, size_t len)
{
	char *s = malloc(len + 1);

	if (s) {
		memcpy(s, p, len);
		s[len] = '\0';
	}
	return s;
}

/* Argument i as the slow log keeps it: redacted, or cut at SLOWLOG_ARG_MAX
 * bytes with "... (N more bytes)". */
static int slowlog_keep_arg(struct resp_arg *out, const struct command *cmd, int argc,
			    const struct resp_arg *argv, int i)
{
	char more[64];
	size_t keep, extra = 0;
	char *s;

	if (command_arg_is_secret(cmd, argc, argv, i)) {
		out->ptr = dup_bytes("(redacted)", 10);
		out->len = 10;
		return out->ptr ? 0 : -1;
	}
	keep = argv[i].len > SLOWLOG_ARG_MAX ? SLOWLOG_ARG_MAX : argv[i].len;
	if (keep < argv[i].len)
		extra = (size_t)snprintf(more, sizeof more, "... (%zu more bytes)",
					 argv[i].len - keep);
	if (!(s = malloc(keep + extra + 1)))
		return -1;
	memcpy(s, argv[i].ptr, keep);
	memcpy(s + keep, more, extra);
	s[keep + extra] = '\0';
	out->ptr = s;
	out->len = keep + extra;
	return 0;
}

/* A new entry at the front; the oldest go past slowlog-max-len. Out of
 * memory, the command is simply not logged. */
static void slowlog_push(struct conn *c, const struct command *cmd, int argc,
			 const struct resp_arg *argv, int64_t dur_us)
{
	int kept = argc > SLOWLOG_ARGS_MAX ? SLOWLOG_ARGS_MAX : argc;
	struct slowlog_entry e = {.time = clock_wall_ms() / 1000, .duration = dur_us};
	char addr[256];

	if (slowlog_n == slowlog_cap) {
		size_t cap = slowlog_cap ? slowlog_cap * 2 : 16;
		struct slowlog_entry *p = realloc(slowlog, cap * sizeof *p);

		if (!p)
			return;
		slowlog = p;
		slowlog_cap = cap;
	}
	snprintf(addr, sizeof addr, "%s:0", server.cfg.unixsocket);
	e.addr = strdup(addr);
	e.name = strdup(c->name ? c->name : "");
	e.argv = calloc((size_t)kept, sizeof *e.argv);
	if (!e.addr || !e.name || !e.argv)
		goto oom;
	for (; e.argc < kept; e.argc++) {
		if (e.argc == kept - 1 && kept < argc) {
			char more[64];
			int n = snprintf(more, sizeof more, "... (%d more arguments)", argc - kept + 1);

			e.argv[e.argc].ptr = dup_bytes(more, (size_t)n);
			e.argv[e.argc].len = (size_t)n;
			if (!e.argv[e.argc].ptr)
				goto oom;
		} else if (slowlog_keep_arg(&e.argv[e.argc], cmd, argc, argv, e.argc) != 0) {
			goto oom;
		}
	}
	e.id = slowlog_next_id++;
	memmove(slowlog + 1, slowlog, slowlog_n * sizeof *slowlog);
	slowlog[0] = e;
	slowlog_n++;
	while (slowlog_n > server.cfg.slowlog_max_len)
		slowlog_entry_free(&slowlog[--slowlog_n]);
	return;
oom:
	slowlog_entry_free(&e);
}

const struct slowlog_entry *slowlog_at(size_t i)
{
	return i < slowlog_n ? &slowlog[i] : NULL;
}

size_t slowlog_len(void)
{
	return slowlog_n;
}

void slowlog_reset(void)
{
	while (slowlog_n > 0)
		slowlog_entry_free(&slowlog[--slowlog_n]);
}

/* ---- latency events ----------------------------------------------------- */

static struct latency_event events[LATENCY_EVENTS_MAX];

void latency_add(const char *event, int64_t ms)
{
	struct latency_event *ev = NULL;
	int64_t now = clock_wall_ms() / 1000;
	size_t i;

	if (server.cfg.latency_monitor_threshold == 0 ||
	    ms < (int64_t)server.cfg.latency_monitor_threshold)
		return;
	for (i = 0; i < LATENCY_EVENTS_MAX && events[i].name; i++)
		if (strcmp(events[i].name, event) == 0)
			break;
	if (i == LATENCY_EVENTS_MAX)
		return;
	ev = &events[i];
	ev->name = event;
	if (ms > ev->max_ms)
		ev->max_ms = ms;
	/* One sample a second: the worst of that second, as Redis keeps. */
	if (ev->count > 0) {
		struct latency_sample *last =
			&ev->samples[(ev->next + LATENCY_HISTORY_MAX - 1) % LATENCY_HISTORY_MAX];

		if (last->time == now) {
			if (ms > last->ms)
				last->ms = ms;
			return;
		}
	}
	ev->samples[ev->next] = (struct latency_sample){now, ms};
	ev->next = (ev->next + 1) % LATENCY_HISTORY_MAX;
	if (ev->count < LATENCY_HISTORY_MAX)
		ev->count++;
}

const struct latency_event *latency_at(size_t i)
{
	return i < LATENCY_EVENTS_MAX && events[i].name ? &events[i] : NULL;
}

int latency_reset(const char *name, size_t len)
{
	int n = 0;

	for (size_t i = 0; i < LATENCY_EVENTS_MAX && events[i].name;) {
		if (name && (strlen(events[i].name) != len || memcmp(events[i].name, name, len) != 0)) {
			i++;
			continue;
		}
		/* Keep the used slots at the front: latency_at stops at a gap. */
		memmove(&events[i], &events[i + 1], (LATENCY_EVENTS_MAX - i - 1) * sizeof *events);
		memset(&events[LATENCY_EVENTS_MAX - 1], 0, sizeof *events);
		n++;
	}
	return n;
}

/* ---- after each command ------------------------------------------------- */

void diag_after_command(struct conn *c, const struct command *cmd, int argc,
			struct resp_arg *argv, int64_t dur_us)
{
	int64_t slower = server.cfg.slowlog_log_slower_than;

	if (c->flags & CONN_NOT_RUN) {
		c->flags &= ~CONN_NOT_RUN;
		return;
	}
	monitor_feed(c, cmd, argc, argv);
	/* EXEC is not logged, the commands it runs are (Redis's SKIP_SLOWLOG). */
	if (slower >= 0 && dur_us >= slower && strcmp(cmd->name, "exec") != 0)
		slowlog_push(c, cmd, argc, argv, dur_us);
	latency_add(cmd->flags & CMD_FAST ? "fast-command" : "command", dur_us / 1000);
}

void diag_free(void)
{
	slowlog_reset();
	free(slowlog);
	slowlog = NULL;
	slowlog_cap = 0;
	latency_reset(NULL, 0);
}
