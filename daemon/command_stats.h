/* command_stats.h - what INFO commandstats, errorstats and latencystats
 * report: per command (and per subcommand, "client|list" as Redis 7 names
 * them) calls, time, rejected and failed calls and a latency histogram;
 * per error code (the error's first word) how many replies carried it.
 *
 * dispatch.c records every call, reply.c every error reply; CONFIG
 * RESETSTAT clears it all. Nothing here replies to a client.
 */
#ifndef CACHIFY_COMMAND_STATS_H
#define CACHIFY_COMMAND_STATS_H

#include <stdint.h>

#include "resp.h"

struct command;

/* Distinct error codes kept, as Redis: past it new codes are not
 * counted apart (total_error_replies still counts them). */
#define COMMAND_STATS_ERRORS_MAX 128
/* Latency histogram: values below 2^COMMAND_STATS_SUB_BITS us are exact,
 * larger ones fall in one of 2^COMMAND_STATS_SUB_BITS buckets per power
 * of two, so a reported percentile is at most 1/16 (6.25%) above the
 * true one. Values past 2^COMMAND_STATS_POWERS us count as that. */
#define COMMAND_STATS_SUB_BITS 4
#define COMMAND_STATS_POWERS   40

/* The number of error replies sent so far (total_error_replies). */
uint64_t command_stats_errors(void);
/* An error reply went out: counts it under its code ("ERR", "WRONGTYPE"). */
void command_stats_error(const char *msg, size_t len);
/* cmd ran for usec microseconds; errors_before is command_stats_errors()
 * from just before it ran, so an error reply in between marks the call
 * failed. argv picks the subcommand's entry where the command has them. */
void command_stats_record(const struct command *cmd, int argc, const struct resp_arg *argv,
			  int64_t usec, uint64_t errors_before);
/* cmd was refused before it ran (arity, access rules, memory). */
void command_stats_rejected(const struct command *cmd, int argc, const struct resp_arg *argv);

/* INFO sections' lines (without the "# Title" line), appended to b. */
void command_stats_info_commands(struct resp_buf *b);
void command_stats_info_errors(struct resp_buf *b);
/* percentiles: the ones to show (Redis's latency-tracking-info-percentiles). */
void command_stats_info_latency(struct resp_buf *b, const double *percentiles, int n);

/* Called by the server's cron: samples the command count for
 * instantaneous_ops_per_sec, the mean over the last
 * COMMAND_STATS_OPS_SAMPLES samples as in Redis. now_ms is monotonic. */
#define COMMAND_STATS_OPS_SAMPLES 16
void command_stats_sample_ops(int64_t now_ms, uint64_t commands);
uint64_t command_stats_ops_per_sec(void);

/* Forgets everything (CONFIG RESETSTAT). */
void command_stats_reset(void);
/* Frees everything (shutdown). */
void command_stats_free(void);

#endif /* CACHIFY_COMMAND_STATS_H */
