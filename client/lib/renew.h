/* renew.h - the blocking face's lock auto-renew (Redisson's watchdog): one
 * background thread per client renews its registered holds every exp/3
 * and records their loss. Internal; not installed. Symbols start with
 * lc_renew_.
 */
#ifndef CACHIFY_LIB_RENEW_H
#define CACHIFY_LIB_RENEW_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"

/* One auto-renewed hold, owned by its handle (or cachify_lock_run's stack);
 * the renewer reads key/g while it renews and never after lc_renew_stop. */
struct lc_renewal {
	struct lc_renewal *next; /* the renewer's list */
	const char *key;	 /* borrowed from the handle */
	size_t klen;
	struct backend_grant *g; /* borrowed */
	int64_t ex_s;		 /* renewed to this; > 0 */
	int64_t due_ms;		 /* next renew, monotonic */
	int64_t ok_ms;		 /* last time the hold was known good */
	bool busy;		 /* a renew (or on_lost) is on it now */
	bool on;		 /* registered */
	int lost;		 /* atomic: 1 once found lost */
	cachify_lost_fn *on_lost;
	void *on_lost_arg;
};

/* Registers r (key, klen, g, ex_s, on_lost set by the caller) with cl's
 * renewer, starting its thread if it has none: 0, or ENOMEM/EIO. */
int lc_renew_start(cachify_client *cl, struct lc_renewal *r);
/* Unregisters r: waits for a renew in flight, and none follows; joins
 * the thread when r was its last hold. NULL-safe for r never started. */
void lc_renew_stop(cachify_client *cl, struct lc_renewal *r);
/* Brackets the handle owner's own renew of a registered r, so it never
 * runs together with the renewer's; rc is its result (0 restarts the
 * period). */
void lc_renew_hold(cachify_client *cl, struct lc_renewal *r);
void lc_renew_unhold(cachify_client *cl, struct lc_renewal *r, int rc);
/* Whether r was found lost. Any thread. */
bool lc_renew_lost(const struct lc_renewal *r);

#endif /* CACHIFY_LIB_RENEW_H */
