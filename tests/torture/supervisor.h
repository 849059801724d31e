/* supervisor.h - the torture run's parent process (see supervisor.c): what
 * it did, for the table torture.c prints.
 */
#ifndef CACHIFY_SUPERVISOR_H
#define CACHIFY_SUPERVISOR_H

#include <stdint.h>

#include "torture.h"

struct tt_report {
	uint64_t attempts; /* acquire attempts completed */
	uint64_t spawns;   /* worker processes started */
	uint64_t kills, stops, hups, restarts;
	int64_t load_ns; /* ns, the load phase */
	int64_t stop_ns; /* ns, the final SIGTERM until exit */
	long records;    /* critical sections in the fence logs */
};

/* Runs the whole abuse run against a daemon it starts in tt_dir: load and
 * faults, final checks, final SIGTERM. Violations go to the scoreboard.
 * 0, or -1 if the daemon could not be started at all. */
int supervisor_run(struct tt_report *rep);

#endif /* CACHIFY_SUPERVISOR_H */
