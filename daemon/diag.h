/* diag.h - what the daemon records about the commands it runs: the slow
 * log (SLOWLOG), latency events (LATENCY) and the MONITOR feed, all from
 * one call dispatch makes after each command.
 *
 * The records and their limits; the commands that read them are in
 * cmd_diag.c. Thresholds are read from server.cfg at each use, so a reload
 * (SIGHUP) or CONFIG SET applies at the next command.
 */
#ifndef CACHIFY_DIAG_H
#define CACHIFY_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "resp.h"

struct conn;
struct command;

#define SLOWLOG_ARGS_MAX    32	/* arguments kept per entry, the last one says how many more */
#define SLOWLOG_ARG_MAX     128 /* bytes kept per argument */
#define LATENCY_HISTORY_MAX 160 /* samples kept per event (one per second at most), as Redis */
#define LATENCY_EVENTS_MAX  8	/* distinct event names */

struct slowlog_entry {
	uint64_t id;
	int64_t time;	     /* s since the epoch, when it was logged */
	int64_t duration;    /* us */
	int argc;	     /* arguments kept (at most SLOWLOG_ARGS_MAX) */
	struct resp_arg *argv; /* owned copies */
	char *addr;	     /* owned: the client's addr= */
	char *name;	     /* owned: the client's name, "" if none */
};

struct latency_sample {
	int64_t time; /* s since the epoch */
	int64_t ms;   /* the worst latency seen in that second */
};

struct latency_event {
	const char *name; /* static */
	struct latency_sample samples[LATENCY_HISTORY_MAX];
	size_t next;	  /* slot of the next sample */
	size_t count;	  /* samples kept */
	int64_t max_ms;	  /* worst ever (since the last reset) */
};

/* After a command ran for dur_us microseconds: the slow log, the
 * "command"/"fast-command" latency events, and every monitor's line.
 * argv is the command as the client sent it. */
void diag_after_command(struct conn *c, const struct command *cmd, int argc,
			struct resp_arg *argv, int64_t dur_us);

/* The slow log, newest first: entry i from 0 while not NULL. */
const struct slowlog_entry *slowlog_at(size_t i);
size_t slowlog_len(void);
void slowlog_reset(void);

/* Records ms for the named event (static string) if it reaches
 * latency-monitor-threshold. For cycles outside commands: "expire-cycle". */
void latency_add(const char *event, int64_t ms);
/* Events with samples, i from 0 while not NULL. */
const struct latency_event *latency_at(size_t i);
/* Forgets one event (1 if it had samples, else 0), or all (name NULL:
 * returns how many had samples). */
int latency_reset(const char *name, size_t len);

/* Frees every record (at exit, so leak checkers see nothing). */
void diag_free(void);

#endif /* CACHIFY_DIAG_H */
