/* cdaemon.h - start, wait for and configure the cachifyd under test (see
 * cdaemon.c). The supervisor is the only caller.
 */
#ifndef CACHIFY_CDAEMON_H
#define CACHIFY_CDAEMON_H

#include <stddef.h>
#include <sys/types.h>

#include "torture.h"

/* Writes <dir>/cachifyd.conf, variant picking the reloadable values.
 * 0, or -1 with errno. */
int cdaemon_write_config(int variant);
/* Starts $CACHIFYD <conf> -s <sock> (stderr to <dir>/cachifyd.log) as the
 * next generation: its pid is in gens[] before it can accept anyone. The
 * pid, or -1. Returns at once. */
pid_t cdaemon_spawn(void);
/* Waits up to timeout_ms until the daemon answers PING. 0, or -1 if it
 * exited (*status set) or never answered (*status -1). */
int cdaemon_wait_ready(pid_t pid, int timeout_ms, int *status);
/* Waits up to timeout_ms for pid to exit: 0 with *status, or -1. */
int cdaemon_wait_exit(pid_t pid, int timeout_ms, int *status);
/* "exit 0", "killed by signal 9", ... for messages. */
void cdaemon_status_str(int status, char *buf, size_t size);
/* Prints the end of the daemon's log to stderr. */
void cdaemon_log_tail(void);

#endif /* CACHIFY_CDAEMON_H */
