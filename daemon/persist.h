/* persist.h - the daemon's life on disk: where the snapshot lives, when
 * one is written (`save` rules, SAVE, BGSAVE, shutdown, FLUSHALL), the
 * forked child that writes it in the background, loading it at start, and
 * the fence floor after a restart.
 *
 * The format is snapshot.c's; the commands are cmd_persist.c's. A save
 * writes dir/<dbfilename>.tmp-<pid>, fsyncs it, renames it over
 * dir/<dbfilename> and fsyncs dir, so the previous snapshot stays whole
 * until the new one is complete.
 */
#ifndef CACHIFY_PERSIST_H
#define CACHIFY_PERSIST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"

/* After a snapshot that was not written at a clean stop, the first fence
 * is at least its high-water mark + this: room for the grants made after
 * it (2^40: a trillion grants, or 12.7 days of the wall-clock seed in us
 * when the clock is also stepped back before the restart). */
#define PERSIST_FENCE_MARGIN	  (1ULL << 40)
#define PERSIST_RETRY_MS	  5000	/* a failed automatic save is retried after this */
#define PERSIST_PROGRESS_MS	  1000	/* between STATUS= reports while loading */
#define PERSIST_ERR_MAX		  512	/* bytes of a save or load failure message */
#define PERSIST_CHILD_NICE	  10	/* the BGSAVE child's nice value */

struct event_base;
struct resp_buf;

/* What INFO persistence reports. */
struct persist_stats {
	bool loading;
	int64_t dirty;			/* key changes since the last good save */
	time_t last_save;		/* Unix s: the last good save (or the start) */
	bool last_ok;			/* did the last save (SAVE or BGSAVE) succeed? */
	int64_t last_bgsave_s;		/* s the last BGSAVE took; -1 before one */
	pid_t child;			/* the BGSAVE child, or -1 */
	int64_t child_start_ms;		/* ms, monotonic */
	bool scheduled;			/* BGSAVE SCHEDULE waits for the running one */
	uint64_t saves;			/* good saves since start */
	uint64_t loaded_keys, loaded_expired; /* the start's load */
	uint64_t last_bytes;		/* size of the last snapshot written */
};

/* Sets up the SIGCHLD event that reaps BGSAVE children. 0 or -1. */
int persist_init(struct event_base *base);
void persist_free(void);

/* Loads dir/dbfilename into the keyspace, before the socket accepts
 * clients: absent, it starts empty; damaged, it logs why (file, offset,
 * the fix) and returns -1. With ignore, the file is renamed aside
 * (<name>.bad-<Unix s>) and nothing is loaded. Raises the fence floor. */
int persist_load(bool ignore);

/* A key changed (the store's touch hook). */
void persist_note_change(void);
/* The save rules, retrying a failed save, BGSAVE SCHEDULE: from the cron. */
void persist_cron(void);

/* SAVE: writes the snapshot now, in this process. clean marks a stop
 * after which no grant can happen. 0, or -1 (logged, INFO says err). */
int persist_save(bool clean, char *err);
/* BGSAVE: forks a child that writes it. 0 started, -1 (err) not. */
int persist_bgsave(char *err);
bool persist_bgsave_running(void);
/* BGSAVE SCHEDULE: runs one when the current child is done. */
void persist_schedule(void);

/* Stopping (SIGTERM, SHUTDOWN): ends a running child and, when save (or,
 * neither save nor nosave, when rules are set), writes a final snapshot.
 * 0 to go on stopping; -1 when that save failed and force is not set:
 * the caller stays up, as Redis does. */
int persist_before_stop(bool save, bool nosave, bool force);
/* FLUSHALL: with rules set, the empty keyspace is saved at once, as Redis
 * does, so a restart does not bring the flushed keys back. */
void persist_after_flushall(void);

/* Is c's dir an existing directory (and, with writable, one this process
 * may create files in)? 0, or -1 with the reason in err (CONFIG_ERR_MAX). */
int persist_check_dir(const struct config *c, bool writable, char *err);

/* The fence every later grant must exceed after loading the snapshot
 * described by info: its mark, plus PERSIST_FENCE_MARGIN unless it was
 * written at a clean stop. */
struct snapshot_info;
uint64_t persist_fence_floor(const struct snapshot_info *info);

const struct persist_stats *persist_stats(void);
/* Appends INFO's persistence section. */
void persist_info(struct resp_buf *b);

#endif /* CACHIFY_PERSIST_H */
