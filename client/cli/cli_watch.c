/* cli_watch.c - the second thread of lock, pool and once: while the main
 * thread blocks, it asks cachifyd about the key on a connection of its own
 * (the library's client hands each call an idle or new connection, never
 * the one that waits or holds).
 *
 * Progress: the wait itself stays one server-side blocking acquire, so the
 * FIFO place is never given up; this thread polls LOCK.INFO / POOL.INFO and
 * prints who holds the key, how many wait and for how long we waited, as
 * one line rewritten in place on a terminal (like pv) or plain lines.
 * Loss: while the child runs, LOCK.CHECK (or POOL.INFO's slot fences) says
 * whether our grant still stands; --on-lost decides what a loss does.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define WATCH_FIRST_MS    300  /* a wait shorter than this prints nothing */
#define WATCH_TTY_MS      1000 /* between rewrites of the terminal line */
#define WATCH_LINES_MS    5000 /* between plain progress lines */
#define WATCH_LOSS_MS     1000 /* between checks that our grant stands */
#define WATCH_LINE_MAX    512  /* bytes of one progress line */
#define WATCH_TTY_COLUMNS 80   /* when the terminal does not say */

struct watch_priv {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	bool (*tick)(struct cli_watch *w); /* true: done, the thread ends */
	int first_ms, every_ms;
	double t0;               /* s, when the wait began */
	long long first_waiters; /* the queue's length at the first look, or -1 */
	uint64_t last_fence;     /* the holder's fence at the last look */
	int handoffs;            /* holders seen to change since the first look */
	bool shown;              /* a terminal line is on screen */
};

bool cli_progress_wanted(bool verbose)
{
	return verbose || isatty(STDERR_FILENO);
}

/* ---- the thread ----------------------------------------------------------------- */

static void deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *watch_main(void *arg)
{
	struct cli_watch *w = arg;
	struct watch_priv *p = w->priv;
	struct timespec at;
	int ms = p->first_ms;

	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		deadline_in(&at, ms);
		while (!p->stop && pthread_cond_timedwait(&p->cv, &p->mu, &at) == 0)
			;
		if (p->stop)
			break;
		pthread_mutex_unlock(&p->mu);
		bool done = p->tick(w);
		pthread_mutex_lock(&p->mu);
		if (done)
			break;
		ms = p->every_ms;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static int watch_start(struct cli_watch *w, bool (*tick)(struct cli_watch *), int first_ms,
                       int every_ms)
{
	struct watch_priv *p = calloc(1, sizeof *p);
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

	if (!p)
		return -1;
	p->tick = tick;
	p->first_ms = first_ms;
	p->every_ms = every_ms;
	p->t0 = cli_now_s();
	p->first_waiters = -1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	w->priv = p;
	/* Signals stay with the main thread, which forwards them to the child. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&p->th, NULL, watch_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p);
		w->priv = NULL;
		return -1;
	}
	return 0;
}

void cli_watch_stop(struct cli_watch *w)
{
	struct watch_priv *p = w->priv;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->th, NULL);
	if (p->shown)
		fputs("\r\033[K", stderr);
	fflush(stderr);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
	w->priv = NULL;
}

/* ---- progress -------------------------------------------------------------------- */

/* "pid 1234 (cachify:rsync) for 5.100s" for a holder's pairs. */
static void describe_holder(char *buf, size_t size, const cachify_reply *h)
{
	const cachify_reply *name = cli_field(h, "name");
	char held[32];

	cli_fmt_ms(held, sizeof held, cli_ifield(h, "held-ms"));
	snprintf(buf, size, "pid %lld (%.*s) for %s", cli_ifield(h, "pid"),
	         name && name->str && name->len ? (int)name->len : 1,
	         name && name->str && name->len ? name->str : "-", held);
}

/* The oldest slot of a POOL.INFO reply (the one held longest), or NULL. */
static const cachify_reply *oldest_slot(const cachify_reply *info)
{
	const cachify_reply *slots = cli_field(info, "slots"), *best = NULL;

	for (size_t i = 0; slots && i < slots->elements; i++)
		if (!best || cli_ifield(slots->element[i], "held-ms") > cli_ifield(best, "held-ms"))
			best = slots->element[i];
	return best;
}

/* Our place in the queue is at most the queue's length at the first look
 * less the holders seen to change since (FIFO: each change served one
 * waiter ahead of us), and at most the queue's length now. */
static long long place_bound(struct watch_priv *p, uint64_t fence, long long waiters)
{
	long long bound;

	if (p->first_waiters < 0) {
		p->first_waiters = waiters;
		p->last_fence = fence;
	} else if (fence != p->last_fence) {
		p->handoffs++;
		p->last_fence = fence;
	}
	bound = p->first_waiters - p->handoffs;
	if (bound > waiters)
		bound = waiters;
	return bound < 1 ? 1 : bound;
}

/* The state of the key as text after "waiting Ns for KEY: "; false when
 * there is nothing to say (free, or the question failed). */
static bool describe_key(struct cli_watch *w, char *buf, size_t size)
{
	struct watch_priv *p = w->priv;
	const char *argv[] = {w->pool ? "POOL.INFO" : "LOCK.INFO", w->key};
	char who[256];
	cachify_reply *r;
	bool said = true;

	if (cli_call(w->g, &r, 2, argv) != 0)
		return false;
	if (r->type == CACHIFY_REPLY_ERROR && strncmp(r->str, "WRONGTYPE", 9) == 0) {
		snprintf(buf, size, "a plain key (not a %s) has that name", w->pool ? "pool" : "lock");
	} else if (r->type != CACHIFY_REPLY_ARRAY) {
		said = false; /* free: the grant is on its way */
	} else if (w->pool) {
		const cachify_reply *s = oldest_slot(r);

		describe_holder(who, sizeof who, s);
		snprintf(buf, size, "%lld/%lld slots taken, the oldest by %s; %lld waiting",
		         cli_ifield(r, "size"), cli_ifield(r, "max"), s ? who : "-",
		         cli_ifield(r, "waiters"));
	} else {
		long long waiters = cli_ifield(r, "waiters");
		long long place = place_bound(p, (uint64_t)cli_ifield(r, "fence"), waiters);

		describe_holder(who, sizeof who, r);
		snprintf(buf, size, "held by %s; %lld waiting, our place <= %lld", who, waiters,
		         place);
	}
	cachify_reply_free(r);
	return said;
}

static int tty_columns(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		return ws.ws_col;
	return WATCH_TTY_COLUMNS;
}

static bool progress_tick(struct cli_watch *w)
{
	struct watch_priv *p = w->priv;
	char state[WATCH_LINE_MAX - 128], waited[32], line[WATCH_LINE_MAX];
	int n;

	if (!describe_key(w, state, sizeof state))
		return false;
	cli_fmt_ms(waited, sizeof waited, (long long)((cli_now_s() - p->t0) * 1000));
	n = snprintf(line, sizeof line, "cachify %s: waiting %s for %s: %s", w->g->cmd, waited,
	             w->key, state);
	if (n < 0)
		return false;
	if (w->tty) {
		/* One line, never wrapped: a wrapped line cannot be rewritten. */
		int cols = tty_columns() - 1;

		if (n > cols)
			line[cols] = '\0';
		fprintf(stderr, "\r\033[K%s", line);
		p->shown = true;
	} else {
		fprintf(stderr, "%s\n", line);
	}
	fflush(stderr);
	return false;
}

int cli_watch_progress(struct cli_watch *w)
{
	w->priv = NULL;
	if (!w->progress)
		return 0;
	return watch_start(w, progress_tick, WATCH_FIRST_MS, w->tty ? WATCH_TTY_MS : WATCH_LINES_MS);
}

/* ---- loss ------------------------------------------------------------------------ */

/* 1 if our grant stands, 0 if it is gone, -1 if cachifyd cannot say
 * (unreachable: a session-bound grant is gone with its connection). */
static int grant_stands(struct cli_watch *w)
{
	char fence[24];
	const char *check[] = {"LOCK.CHECK", w->key, fence};
	const char *info[] = {"POOL.INFO", w->key};
	cachify_reply *r;
	int rc;

	snprintf(fence, sizeof fence, "%llu", (unsigned long long)w->fence);
	if (cli_call(w->g, &r, w->pool ? 2 : 3, w->pool ? info : check) != 0)
		return -1;
	if (!w->pool) {
		rc = r->type == CACHIFY_REPLY_INTEGER && r->integer == 1;
	} else {
		const cachify_reply *slots = cli_field(r, "slots");

		rc = 0;
		for (size_t i = 0; slots && i < slots->elements; i++)
			if ((uint64_t)cli_ifield(slots->element[i], "fence") == w->fence)
				rc = 1;
	}
	cachify_reply_free(r);
	return rc;
}

static bool loss_tick(struct cli_watch *w)
{
	int rc = grant_stands(w);

	if (rc == 1)
		return false;
	atomic_store(&w->lost, true);
	cli_warn(w->g, "%s: the %s was lost while the command runs (%s)%s", w->key,
	         w->pool ? "slot" : "lock",
	         rc == 0 ? "deleted, expired or released by someone else" : "cachifyd cannot be reached",
	         w->on_lost == CLI_LOST_KILL ? ": sending it SIGTERM" : "");
	if (w->on_lost == CLI_LOST_KILL)
		cli_run_signal(SIGTERM);
	return true;
}

int cli_watch_loss(struct cli_watch *w)
{
	w->priv = NULL;
	atomic_store(&w->lost, false);
	if (w->fence == 0)
		return 0;
	return watch_start(w, loss_tick, WATCH_LOSS_MS, WATCH_LOSS_MS);
}
