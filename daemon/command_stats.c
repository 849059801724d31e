/* command_stats.c - per-command and per-error counters and latency
 * histograms behind INFO commandstats, errorstats and latencystats (see
 * command_stats.h). Entries are created on first use, keyed by the name
 * INFO shows, and kept in that order.
 */
#include "command_stats.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* uthash must not exit() on OOM: an entry that cannot be added is not counted. */
static int add_failed;
#define HASH_NONFATAL_OOM        1
#define uthash_nonfatal_oom(obj) (add_failed = 1)
#include <uthash.h>

#include "command.h"
#include "command_docs.h"

#define STAT_NAME_MAX  64 /* bytes of "command|subcommand" */
#define ERR_CODE_MAX   32 /* bytes Redis looks into for an error's code */
#define SUB_COUNT      (1 << COMMAND_STATS_SUB_BITS)
#define HIST_BUCKETS   (SUB_COUNT + (COMMAND_STATS_POWERS - COMMAND_STATS_SUB_BITS) * SUB_COUNT)
#define HIST_VALUE_MAX ((1ULL << COMMAND_STATS_POWERS) - 1) /* us */

struct cmd_stat {
	char name[STAT_NAME_MAX];
	uint64_t calls, usec, rejected, failed;
	uint64_t *hist; /* HIST_BUCKETS counts of calls by duration; NULL until a call */
	uint64_t hist_total;
	UT_hash_handle hh;
};

struct err_stat {
	char code[ERR_CODE_MAX + 1];
	uint64_t count;
	UT_hash_handle hh;
};

static struct cmd_stat *cmd_stats;
static uint64_t ops_samples[COMMAND_STATS_OPS_SAMPLES]; /* commands per second */
static size_t ops_next;
static int64_t ops_last_ms; /* ms, monotonic; 0 = none yet */
static uint64_t ops_last_commands;
static struct err_stat *err_stats;
static size_t nerr_stats;
static uint64_t total_errors;

uint64_t command_stats_errors(void)
{
	return total_errors;
}

void command_stats_error(const char *msg, size_t len)
{
	const char *space = memchr(msg, ' ', len < ERR_CODE_MAX ? len : ERR_CODE_MAX);
	/* Redis files an error without a short first word under ERR. */
	const char *code = space ? msg : "ERR";
	size_t clen = space ? (size_t)(space - msg) : 3;
	struct err_stat *e;

	total_errors++;
	HASH_FIND(hh, err_stats, code, clen, e);
	if (!e) {
		if (nerr_stats >= COMMAND_STATS_ERRORS_MAX || !(e = calloc(1, sizeof *e)))
			return;
		memcpy(e->code, code, clen);
		add_failed = 0;
		HASH_ADD(hh, err_stats, code, clen, e);
		if (add_failed) {
			free(e);
			return;
		}
		nerr_stats++;
	}
	e->count++;
}

static struct cmd_stat *stat_find_or_add(const char *name, size_t n)
{
	struct cmd_stat *s;

	HASH_FIND(hh, cmd_stats, name, n, s);
	if (s)
		return s;
	if (!(s = calloc(1, sizeof *s)))
		return NULL;
	memcpy(s->name, name, n);
	add_failed = 0;
	HASH_ADD(hh, cmd_stats, name, n, s);
	if (add_failed) {
		free(s);
		return NULL;
	}
	return s;
}

/* Per command row (command_index): its own entry, so the common call
 * costs no lookup by name. */
static struct cmd_stat **rows;

/* The entry INFO shows for this call: "config|get" for a subcommand, the
 * command's own for the rest; NULL for an unknown subcommand, which Redis
 * leaves out of the per-command counts. */
static struct cmd_stat *stat_for(const struct command *cmd, int argc, const struct resp_arg *argv)
{
	size_t idx = command_index(cmd);

	if (!rows && !(rows = calloc(command_count(), sizeof *rows)))
		return NULL;
	if (command_docs_has_subcommands(cmd->name)) {
		const struct command_doc *d =
		    argc >= 2 ? command_docs_subcommand(cmd->name, argv[1].ptr, argv[1].len) : NULL;

		return d ? stat_find_or_add(d->name, strlen(d->name)) : NULL;
	}
	if (!rows[idx])
		rows[idx] = stat_find_or_add(cmd->name, strlen(cmd->name));
	return rows[idx];
}

/* Bucket of a duration: exact below SUB_COUNT us, then SUB_COUNT per power of two. */
static size_t hist_bucket(uint64_t us)
{
	int p;

	if (us > HIST_VALUE_MAX)
		us = HIST_VALUE_MAX;
	if (us < SUB_COUNT)
		return (size_t)us;
	p = 63 - __builtin_clzll(us);
	return SUB_COUNT + (size_t)(p - COMMAND_STATS_SUB_BITS) * SUB_COUNT +
	       ((us >> (p - COMMAND_STATS_SUB_BITS)) & (SUB_COUNT - 1));
}

/* The largest duration that falls in bucket i. */
static uint64_t hist_bucket_top(size_t i)
{
	size_t p, sub;

	if (i < SUB_COUNT)
		return i;
	p = (i - SUB_COUNT) / SUB_COUNT;
	sub = (i - SUB_COUNT) % SUB_COUNT;
	return ((SUB_COUNT + sub + 1) << p) - 1;
}

void command_stats_record(const struct command *cmd, int argc, const struct resp_arg *argv,
			  int64_t usec, uint64_t errors_before)
{
	struct cmd_stat *s = stat_for(cmd, argc, argv);

	if (!s)
		return;
	if (usec < 0)
		usec = 0;
	s->calls++;
	s->usec += (uint64_t)usec;
	s->failed += total_errors != errors_before;
	if (!s->hist && !(s->hist = calloc(HIST_BUCKETS, sizeof *s->hist)))
		return;
	s->hist[hist_bucket((uint64_t)usec)]++;
	s->hist_total++;
}

void command_stats_rejected(const struct command *cmd, int argc, const struct resp_arg *argv)
{
	struct cmd_stat *s = stat_for(cmd, argc, argv);

	if (s)
		s->rejected++;
}

void command_stats_info_commands(struct resp_buf *b)
{
	const struct cmd_stat *s;

	/* Redis lists commands that ran or were refused, never the rest. */
	for (s = cmd_stats; s; s = s->hh.next)
		resp_buf_printf(b,
			 "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,"
			 "failed_calls=%llu\r\n",
			 s->name, (unsigned long long)s->calls, (unsigned long long)s->usec,
			 s->calls ? (double)s->usec / (double)s->calls : 0.0,
			 (unsigned long long)s->rejected, (unsigned long long)s->failed);
}

void command_stats_info_errors(struct resp_buf *b)
{
	const struct err_stat *e;

	for (e = err_stats; e; e = e->hh.next)
		resp_buf_printf(b, "errorstat_%s:count=%llu\r\n", e->code, (unsigned long long)e->count);
}

/* The smallest bucket top with at least pct% of the calls at or below it. */
static uint64_t hist_percentile(const struct cmd_stat *s, double pct)
{
	uint64_t rank = (uint64_t)((pct / 100.0) * (double)s->hist_total + 0.999999), seen = 0;

	if (rank == 0)
		rank = 1;
	for (size_t i = 0; i < HIST_BUCKETS; i++) {
		seen += s->hist[i];
		if (seen >= rank)
			return hist_bucket_top(i);
	}
	return HIST_VALUE_MAX;
}

void command_stats_info_latency(struct resp_buf *b, const double *percentiles, int n)
{
	const struct cmd_stat *s;

	for (s = cmd_stats; s; s = s->hh.next) {
		char line[512];
		size_t len = 0;

		if (!s->hist_total)
			continue;
		len += (size_t)snprintf(line, sizeof line, "latency_percentiles_usec_%s:", s->name);
		for (int i = 0; i < n && len < sizeof line; i++)
			len += (size_t)snprintf(line + len, sizeof line - len, "%sp%g=%.3f",
						i ? "," : "", percentiles[i],
						(double)hist_percentile(s, percentiles[i]));
		if (len < sizeof line)
			resp_buf_printf(b, "%s\r\n", line);
	}
}

void command_stats_sample_ops(int64_t now_ms, uint64_t commands)
{
	if (ops_last_ms > 0 && now_ms > ops_last_ms) {
		ops_samples[ops_next] =
		    (commands - ops_last_commands) * 1000 / (uint64_t)(now_ms - ops_last_ms);
		ops_next = (ops_next + 1) % COMMAND_STATS_OPS_SAMPLES;
	}
	ops_last_ms = now_ms;
	ops_last_commands = commands;
}

uint64_t command_stats_ops_per_sec(void)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < COMMAND_STATS_OPS_SAMPLES; i++)
		sum += ops_samples[i];
	return sum / COMMAND_STATS_OPS_SAMPLES;
}

void command_stats_reset(void)
{
	struct cmd_stat *s, *stmp;
	struct err_stat *e, *etmp;

	HASH_ITER(hh, cmd_stats, s, stmp)
	{
		HASH_DEL(cmd_stats, s);
		free(s->hist);
		free(s);
	}
	HASH_ITER(hh, err_stats, e, etmp)
	{
		HASH_DEL(err_stats, e);
		free(e);
	}
	nerr_stats = 0;
	total_errors = 0;
	if (rows)
		for (size_t i = 0; i < command_count(); i++)
			rows[i] = NULL;
}

void command_stats_free(void)
{
	command_stats_reset();
	free(rows);
	rows = NULL;
}
