/* generic.c - the reference's lock and pool algorithms over the SyncClient
 * protocol alone (get, set with ex/nx, delete), for backends without native
 * operations (memory and custom clients), on the blocking face: each call
 * runs one of gmach.c's state machines (which the async API shares) to its
 * end with blocking calls and sleeps. What the algorithms guarantee, and
 * what get/set/delete cannot make atomic, is said in gmach.c.
 */
#include "gmach.h"

int lc_generic_lock_acquire(cachify_client *cl, const char *key, size_t klen, int64_t ex,
			    const struct backend_wait *w, double poll, bool want_fence,
			    struct backend_grant *g)
{
	struct lc_glock m;
	int rc;

	lc_glock_acquire_init(&m, key, klen, ex, w, poll, want_fence, g);
	rc = lc_mach_run(cl, &m.m, NULL, NULL);
	lc_glock_clear(&m);
	return rc;
}

int lc_generic_lock_release(cachify_client *cl, const char *key, size_t klen,
			    const struct backend_grant *g)
{
	struct lc_glock m;

	lc_glock_release_init(&m, key, klen, (struct backend_grant *)g);
	return lc_mach_run(cl, &m.m, NULL, NULL);
}

int lc_generic_lock_renew(cachify_client *cl, const char *key, size_t klen,
			  const struct backend_grant *g, int64_t ex)
{
	struct lc_glock m;

	lc_glock_renew_init(&m, key, klen, (struct backend_grant *)g, ex);
	return lc_mach_run(cl, &m.m, NULL, NULL);
}

int lc_generic_pool_acquire(cachify_client *cl, const char *key, size_t klen, long max, int64_t ex,
			    double poll, double timeout, struct backend_grant *g)
{
	struct lc_gpool m;
	int rc;

	lc_gpool_acquire_init(&m, key, klen, max, ex, poll, timeout, g);
	rc = lc_mach_run(cl, &m.m, NULL, NULL);
	lc_gpool_clear(&m);
	return rc;
}

int lc_generic_pool_release(cachify_client *cl, const char *key, size_t klen, double poll,
			    const struct backend_grant *g)
{
	struct lc_gpool m;
	int rc;

	lc_gpool_release_init(&m, key, klen, poll, (struct backend_grant *)g);
	rc = lc_mach_run(cl, &m.m, NULL, NULL);
	lc_gpool_clear(&m);
	return rc;
}

long lc_generic_pool_size(cachify_client *cl, const char *key, size_t klen)
{
	struct lc_gpool m;
	int rc;

	lc_gpool_size_init(&m, key, klen);
	rc = lc_mach_run(cl, &m.m, NULL, NULL);
	lc_gpool_clear(&m);
	return rc;
}
