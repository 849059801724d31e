/* renew.c - lock auto-renew on the blocking face: a thread per client that
 * renews every registered hold every exp/3 (to exp again) through the
 * backend's owner-checked renew, and marks a hold lost (calling its
 * on_lost once) when a renew answers NOTOWNER or ELOST, or when renews
 * kept failing for a whole exp. The thread starts with a client's first
 * registered hold and is joined when its last one goes, so an idle client
 * has no thread. One mutex (all clients') guards every renewer's list.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "instance.h"
#include "renew.h"

struct lc_renewer {
	cachify_client *cl;	 /* borrowed: its holds keep it alive */
	pthread_t thread;
	pthread_cond_t wake;	 /* a hold came, went, or is due sooner */
	pthread_cond_t idle;	 /* a busy hold is free again */
	struct lc_renewal *holds;
	bool stop;
};

static pthread_mutex_t renew_mu = PTHREAD_MUTEX_INITIALIZER;

static void cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
}

static int64_t period_ms(const struct lc_renewal *r)
{
	int64_t p = r->ex_s * 1000 / 3;

	return p > 0 ? p : 1;
}

/* The hold due first, or NULL. Locked. */
static struct lc_renewal *next_due(struct lc_renewer *rn)
{
	struct lc_renewal *best = NULL;

	for (struct lc_renewal *r = rn->holds; r; r = r->next)
		if (!r->busy && !__atomic_load_n(&r->lost, __ATOMIC_ACQUIRE) &&
		    (!best || r->due_ms < best->due_ms))
			best = r;
	return best;
}

/* After a renew with rc: reschedule r, or mark it lost (true). Locked. */
static bool renewed(struct lc_renewal *r, int rc, int64_t now)
{
	if (rc == 0) {
		r->ok_ms = now;
		r->due_ms = now + period_ms(r);
		return false;
	}
	if (rc == CACHIFY_ENOTOWNER || rc == CACHIFY_ELOST || now - r->ok_ms >= r->ex_s * 1000) {
		__atomic_store_n(&r->lost, 1, __ATOMIC_RELEASE);
		return true;
	}
	/* A passing failure (EIO...): try again soon, while the TTL lasts. */
	r->due_ms = now + period_ms(r) / 3 + 1;
	return false;
}

static void *renewer_main(void *arg)
{
	struct lc_renewer *rn = arg;

	pthread_mutex_lock(&renew_mu);
	while (!rn->stop) {
		struct lc_renewal *r = next_due(rn);
		int64_t now = lc_clock_ms();
		struct timespec ts;
		bool lost;
		int rc;

		if (!r || r->due_ms > now) {
			int64_t at = r ? r->due_ms : now + 60000;

			ts.tv_sec = at / 1000;
			ts.tv_nsec = (at % 1000) * 1000000L;
			pthread_cond_timedwait(&rn->wake, &renew_mu, &ts);
			continue;
		}
		r->busy = true;
		pthread_mutex_unlock(&renew_mu);
		rc = lc_lock_extend(rn->cl, r->key, r->klen, r->g, r->ex_s);
		pthread_mutex_lock(&renew_mu);
		lost = renewed(r, rc, lc_clock_ms());
		if (lost && r->on_lost) {
			/* Still busy: the handle cannot go while on_lost runs. */
			pthread_mutex_unlock(&renew_mu);
			r->on_lost(r->on_lost_arg, r->key);
			pthread_mutex_lock(&renew_mu);
		}
		r->busy = false;
		pthread_cond_broadcast(&rn->idle);
	}
	pthread_mutex_unlock(&renew_mu);
	return NULL;
}

int lc_renew_start(cachify_client *cl, struct lc_renewal *r)
{
	struct lc_renewer *rn;
	int rc = 0;

	r->ok_ms = lc_clock_ms();
	r->due_ms = r->ok_ms + period_ms(r);
	r->busy = false;
	r->lost = 0;
	pthread_mutex_lock(&renew_mu);
	if (!(rn = cl->renewer)) {
		if (!(rn = calloc(1, sizeof *rn))) {
			rc = lc_set_error(CACHIFY_ENOMEM, "out of memory");
			goto out;
		}
		rn->cl = cl;
		cond_init(&rn->wake);
		cond_init(&rn->idle);
		if (pthread_create(&rn->thread, NULL, renewer_main, rn) != 0) {
			pthread_cond_destroy(&rn->wake);
			pthread_cond_destroy(&rn->idle);
			free(rn);
			rc = lc_set_error(CACHIFY_EIO, "auto-renew: cannot start a thread");
			goto out;
		}
		cl->renewer = rn;
	}
	r->next = rn->holds;
	rn->holds = r;
	r->on = true;
	pthread_cond_signal(&rn->wake);
out:
	pthread_mutex_unlock(&renew_mu);
	return rc;
}

void lc_renew_stop(cachify_client *cl, struct lc_renewal *r)
{
	struct lc_renewer *rn;
	struct lc_renewal **pp;

	if (!r->on)
		return;
	pthread_mutex_lock(&renew_mu);
	rn = cl->renewer;
	while (r->busy)
		pthread_cond_wait(&rn->idle, &renew_mu);
	for (pp = &rn->holds; *pp && *pp != r; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = r->next;
	r->on = false;
	if (rn->holds) {
		pthread_mutex_unlock(&renew_mu);
		return;
	}
	/* The last hold: the thread goes (a later hold starts another). */
	rn->stop = true;
	cl->renewer = NULL;
	pthread_cond_signal(&rn->wake);
	pthread_mutex_unlock(&renew_mu);
	if (pthread_equal(rn->thread, pthread_self())) {
		pthread_detach(rn->thread); /* from on_lost, against the rules: do not deadlock */
		return;
	}
	pthread_join(rn->thread, NULL);
	pthread_cond_destroy(&rn->wake);
	pthread_cond_destroy(&rn->idle);
	free(rn);
}

void lc_renew_hold(cachify_client *cl, struct lc_renewal *r)
{
	if (!r->on)
		return;
	pthread_mutex_lock(&renew_mu);
	while (r->busy)
		pthread_cond_wait(&cl->renewer->idle, &renew_mu);
	r->busy = true;
	pthread_mutex_unlock(&renew_mu);
}

void lc_renew_unhold(cachify_client *cl, struct lc_renewal *r, int rc)
{
	if (!r->on)
		return;
	pthread_mutex_lock(&renew_mu);
	if (rc == 0) {
		r->ok_ms = lc_clock_ms();
		r->due_ms = r->ok_ms + period_ms(r);
	}
	r->busy = false;
	pthread_cond_broadcast(&cl->renewer->idle);
	pthread_cond_signal(&cl->renewer->wake);
	pthread_mutex_unlock(&renew_mu);
}

bool lc_renew_lost(const struct lc_renewal *r)
{
	return __atomic_load_n(&r->lost, __ATOMIC_ACQUIRE) != 0;
}
