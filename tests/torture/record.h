/* record.h - the log of confirmed critical sections (one file per worker
 * life) and the end-of-run fence checks over it (see record.c).
 */
#ifndef CACHIFY_RECORD_H
#define CACHIFY_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "torture.h"

#define RECORD_ID_MAX 128   /* bytes of a token or slot id kept in a record */
#define RECORD_ID_FMT "128" /* the same, for scanf */

/* Opens this life's log: 0, or -1. */
int record_open(int slot, uint64_t life);
void record_close(void);
/* Appends one section: kind 'L' (lock) or 'P' (pool slot), the resource,
 * its fence, when it was confirmed (ns, monotonic), the daemon generation
 * and the token or slot id (idlen bytes). 0, or -1 if the write failed. */
int record_write(char kind, const char *res, long long fence, int64_t t_ns, int gen, const char *id,
                 size_t idlen);
/* Reads every log: lock fences must rise in time order per resource, and no
 * fence, token or slot id may appear twice. Counts checks and violations on
 * the scoreboard; returns the sections read, -1 if the directory is
 * unreadable. */
long record_check(void);

#endif /* CACHIFY_RECORD_H */
