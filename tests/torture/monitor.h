/* monitor.h - INFO locks/pools as numbers, and the identity their grant
 * counters must satisfy at every instant (see monitor.c).
 */
#ifndef CACHIFY_MONITOR_H
#define CACHIFY_MONITOR_H

#include "rconn.h"

struct tt_info {
	/* # Locks */
	long long locks_held, waiters, grants, releases, waits, timeouts, waiters_gone;
	long long session_releases, expired, forced_releases;
	/* # Pools */
	long long pools, slots_held, slot_grants, slot_releases, pool_session_releases;
	long long slots_expired, slots_forced;
};

/* Sends INFO locks pools on c and parses the reply within timeout_ms. 0, or
 * -1 with a reason in why (connection gone, reply not parsable, field
 * missing). */
int monitor_info(struct rconn *c, int timeout_ms, struct tt_info *out, char *why, size_t size);
/* Checks grants == held + releases + session + expired + forced for locks
 * and for slots; counts and reports on the scoreboard (when names the
 * moment in messages). */
void monitor_info_check(const struct tt_info *in, const char *when);

#endif /* CACHIFY_MONITOR_H */
