/* hold.h - marker files that witness who is inside a critical section
 * (see hold.c for why counting them is sound under kills, stops, expiry and
 * restarts). Used by workers; the supervisor removes a dead worker's.
 */
#ifndef CACHIFY_HOLD_H
#define CACHIFY_HOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "torture.h"

struct hold {
	char res[16];                 /* resource: L0, S0, P1, ... */
	pid_t dpid;                   /* daemon that granted it */
	char name[160];               /* the marker's file name */
	char path[TT_PATH_MAX + 200]; /* "" when not inside */
};

/* Creates the marker of a grant of res with this fence; lease_ns (monotonic)
 * is the earliest the daemon dpid may expire it. 0, -2 if the marker already
 * exists (the same fence granted twice), -1 on another error. */
int hold_enter(struct hold *h, const char *res, long long fence, int64_t lease_ns, pid_t dpid);
/* Holders of h's resource who may still hold it, h included; they are
 * described in others (if not NULL) for messages. -1 on error. */
int hold_count(const struct hold *h, char *others, size_t size);
/* Removes h's marker: call it before releasing. */
void hold_leave(struct hold *h);
/* Removes every marker of process pid (reaped: it holds nothing). */
void hold_reap(pid_t pid);
/* The start time of pid (/proc/PID/stat), 0 if unknown. */
unsigned long long hold_proc_start(pid_t pid);

#endif /* CACHIFY_HOLD_H */
