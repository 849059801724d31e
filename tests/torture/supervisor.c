/* supervisor.c - the run's parent process: starts the daemon and every child
 * (workers, monitor, hostile client), injects faults on a seeded schedule
 * (SIGKILL and SIGSTOP/SIGCONT of workers, SIGHUP reloads, daemon restarts
 * with waiters queued), reaps and respawns, and runs the end-of-run checks.
 * It alone sends signals, and only to children it has not reaped yet, so a
 * recycled pid is never hit.
 */
#include "supervisor.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cdaemon.h"
#include "hold.h"
#include "monitor.h"
#include "record.h"

#define TICK_US          2000 /* supervisor loop period */
#define SHUTDOWN_WAITERS 4    /* queued on the shutdown key when SIGTERM is sent */
#define SHUTDOWN_KEY     "tt:shutdown"
#define START_TIMEOUT_MS 10000 /* (times slow) for the daemon to answer */
#define STOPPED_MAX_DIV  3     /* at most nslots / this stopped at once */
#define PROGRESS_EVERY_S 10    /* seconds between progress lines */
#define SETTLE_MS        1000  /* after the load: for TTLs and expiry to run */

struct stopped {
	pid_t pid;
	int64_t cont_at; /* ns, monotonic */
};

struct sv {
	uint64_t rnd;
	pid_t daemon, monitor, hostile;
	struct stopped stopped[TT_SLOTS_MAX];
	int nstopped;
	int64_t next_kill, next_stop, next_hup; /* ns, monotonic */
	int variant, restarts_done;
	uint64_t target; /* acquire attempts in the whole run */
	struct tt_report *rep;
};

static int64_t ms_ns(long ms)
{
	return (int64_t)ms * 1000000;
}

static uint64_t progress(void)
{
	uint64_t n = 0;

	for (int i = 0; i < tt_shm->nslots; i++)
		n += __atomic_load_n(&tt_shm->slots[i].iters, __ATOMIC_SEQ_CST);
	return n;
}

static pid_t spawn(void (*fn)(int), int arg)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	if ((pid = fork()) < 0) {
		tt_violation(INV_INTERNAL, "fork: %s", strerror(errno));
		return 0;
	}
	if (pid == 0) {
		tt_child_setup(parent);
		fn(arg);
		_exit(0);
	}
	return pid;
}

static void worker_fn(int slot)
{
	worker_main(slot);
}

static void monitor_fn(int unused)
{
	(void)unused;
	monitor_main();
}

static void hostile_fn(int unused)
{
	(void)unused;
	hostile_main();
}

static void spawn_worker(struct sv *sv, int i)
{
	struct tt_slot *sl = &tt_shm->slots[i];

	sl->lives++;
	sl->pid = spawn(worker_fn, i);
	sv->rep->spawns++;
}

/* ---- reaping ------------------------------------------------------------ */

static void unstop(struct sv *sv, pid_t pid)
{
	for (int i = 0; i < sv->nstopped; i++)
		if (sv->stopped[i].pid == pid) {
			sv->stopped[i] = sv->stopped[--sv->nstopped];
			return;
		}
}

/* A worker is gone: what it had in flight is now lost (the reply, if any,
 * went nowhere), and its markers no longer mean anything. */
static void worker_gone(struct sv *sv, int i, int status)
{
	struct tt_slot *sl = &tt_shm->slots[i];
	uint64_t ended = 0;

	for (int o = 0; o < OUT_COUNT; o++)
		ended += sl->out[o];
	if (sl->sent > ended && WIFEXITED(status))
		tt_violation(INV_INTERNAL, "worker %d exited with a request in flight", i);
	if (sl->sent > ended) {
		sl->out[OUT_KILLED] += sl->sent - ended;
		tt_shm->gens[sl->inflight_gen].lost += sl->sent - ended;
	}
	hold_reap(sl->pid);
	unstop(sv, sl->pid);
	sl->pid = 0;
	tt_checked(INV_INTERNAL, 1);
	if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) &&
	    !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		char s[64];

		cdaemon_status_str(status, s, sizeof s);
		tt_violation(INV_INTERNAL, "worker %d ended with %s", i, s);
	}
}

static void helper_gone(pid_t *pid, const char *what, int status)
{
	tt_checked(INV_INTERNAL, 1);
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		char s[64];

		cdaemon_status_str(status, s, sizeof s);
		tt_violation(INV_INTERNAL, "the %s ended with %s", what, s);
	}
	*pid = 0;
}

static int start_daemon(struct sv *sv);

/* Reaps every child that ended; a daemon that ended on its own is a
 * violation, and is replaced so the run can go on. */
static void reap(struct sv *sv)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == sv->daemon) {
			char s[64];

			cdaemon_status_str(status, s, sizeof s);
			tt_violation(INV_ALIVE, "cachifyd (gen %d) ended on its own: %s",
			             tt_shm->gen, s);
			cdaemon_log_tail();
			__atomic_store_n(&tt_shm->restarting, 1, __ATOMIC_SEQ_CST);
			sv->daemon = 0;
			if (start_daemon(sv) != 0)
				exit(2);
			continue;
		}
		if (pid == sv->monitor) {
			helper_gone(&sv->monitor, "monitor", status);
			continue;
		}
		if (pid == sv->hostile) {
			helper_gone(&sv->hostile, "hostile client", status);
			continue;
		}
		for (int i = 0; i < tt_shm->nslots; i++)
			if (tt_shm->slots[i].pid == pid)
				worker_gone(sv, i, status);
	}
}

/* ---- the daemon's life -------------------------------------------------- */

/* Starts the next generation and makes it the current one. */
static int start_daemon(struct sv *sv)
{
	int status;
	pid_t pid = cdaemon_spawn();

	if (pid <= 0) {
		fprintf(stderr, "torture: cannot start %s\n", tt_opts.cachifyd);
		return -1;
	}
	if (cdaemon_wait_ready(pid, tt_ms(START_TIMEOUT_MS), &status) != 0) {
		char s[64];

		cdaemon_status_str(status, s, sizeof s);
		fprintf(stderr, "torture: %s did not answer PING (%s)\n", tt_opts.cachifyd, s);
		cdaemon_log_tail();
		if (status == -1)
			kill(pid, SIGKILL);
		return -1;
	}
	sv->daemon = pid;
	__atomic_store_n(&tt_shm->gen, tt_shm->ngens - 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&tt_shm->restarting, 0, __ATOMIC_SEQ_CST);
	return 0;
}

/* Reads replies on c until EOF or an error reply starting with word (if
 * not NULL): true if that came within the hang bound. */
static bool answered(struct rconn *c, const char *word)
{
	struct resp_reply *r;
	int rc = rconn_reply(c, tt_ms(TT_HANG_MS), &r, NULL);
	bool ok;

	if (rc != 1)
		return rc == 0 || (errno != ETIMEDOUT && errno != EPROTO);
	ok = word && r->type == RESP_ERROR && strncmp(r->str, word, strlen(word)) == 0;
	resp_reply_free(r);
	return ok && answered(c, NULL);
}

/* Takes SHUTDOWN_KEY on hold and queues SHUTDOWN_WAITERS behind it.
 * 0 once LOCK.INFO shows them all waiting. */
static int queue_waiters(struct rconn *hold, struct rconn *w, int *gen)
{
	struct resp_arg acq[] = {
	    {"LOCK.ACQUIRE", 12}, {SHUTDOWN_KEY, sizeof SHUTDOWN_KEY - 1}, {"WAIT", 4}, {"0", 1}};
	struct resp_arg info[] = {{"LOCK.INFO", 9}, {SHUTDOWN_KEY, sizeof SHUTDOWN_KEY - 1}};
	int64_t deadline = rconn_now_ns() + ms_ns(tt_ms(TT_HANG_MS));
	struct rconn_grant g;
	struct resp_reply *r;
	int wgen;

	if (tt_connect(hold, gen, tt_ms(TT_HANG_MS)) != 0 || rconn_send(hold, 2, acq) != 0 ||
	    rconn_reply(hold, tt_ms(TT_HANG_MS), &r, NULL) != 1)
		return -1;
	if (rconn_grant(r, &g) != 0) {
		resp_reply_free(r);
		return -1;
	}
	resp_reply_free(r);
	tt_add(&tt_shm->gens[*gen].lock_grants, 1);
	for (int i = 0; i < SHUTDOWN_WAITERS; i++)
		if (tt_connect(&w[i], &wgen, tt_ms(TT_HANG_MS)) != 0 ||
		    rconn_send(&w[i], 4, acq) != 0)
			return -1;
	for (;;) {
		long long n = -1;

		if (rconn_send(hold, 2, info) != 0 ||
		    rconn_reply(hold, tt_ms(TT_HANG_MS), &r, NULL) != 1)
			return -1;
		rconn_pair_int(r, "waiters", &n);
		resp_reply_free(r);
		if (n == SHUTDOWN_WAITERS)
			return 0;
		if (rconn_now_ns() > deadline)
			return -1;
		tt_sleep_us(5000);
	}
}

/* SIGTERM with waiters queued: each waiter gets -SHUTDOWN or a close, the
 * holder a close, none hangs, and the daemon exits 0. */
static void stop_daemon(struct sv *sv)
{
	struct rconn hold, w[SHUTDOWN_WAITERS];
	int gen = -1, status;
	char s[64];

	rconn_init(&hold);
	for (int i = 0; i < SHUTDOWN_WAITERS; i++)
		rconn_init(&w[i]);
	tt_checked(INV_SHUTDOWN, SHUTDOWN_WAITERS + 2);
	if (queue_waiters(&hold, w, &gen) != 0)
		tt_violation(INV_SHUTDOWN, "could not queue %d waiters on %s before SIGTERM",
		             SHUTDOWN_WAITERS, SHUTDOWN_KEY);
	kill(sv->daemon, SIGTERM);
	for (int i = 0; i < SHUTDOWN_WAITERS; i++) {
		if (w[i].fd >= 0 && !answered(&w[i], "SHUTDOWN"))
			tt_violation(INV_SHUTDOWN, "waiter %d: no -SHUTDOWN or close after SIGTERM",
			             i);
		rconn_close(&w[i]);
	}
	if (hold.fd >= 0 && !answered(&hold, NULL))
		tt_violation(INV_SHUTDOWN, "the holder's connection not closed after SIGTERM");
	rconn_close(&hold);
	if (cdaemon_wait_exit(sv->daemon, tt_ms(TT_HANG_MS), &status) != 0) {
		tt_violation(INV_SHUTDOWN, "cachifyd still running %d ms after SIGTERM",
		             tt_ms(TT_HANG_MS));
		kill(sv->daemon, SIGKILL);
		cdaemon_wait_exit(sv->daemon, tt_ms(TT_HANG_MS), &status);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		cdaemon_status_str(status, s, sizeof s);
		tt_violation(INV_SHUTDOWN, "cachifyd (gen %d) ended with %s after SIGTERM", gen, s);
		cdaemon_log_tail();
	}
	sv->daemon = 0;
}

static void cont_all(struct sv *sv)
{
	for (int i = 0; i < sv->nstopped; i++)
		kill(sv->stopped[i].pid, SIGCONT);
	sv->nstopped = 0;
}

static int restart_daemon(struct sv *sv)
{
	__atomic_store_n(&tt_shm->restarting, 1, __ATOMIC_SEQ_CST);
	cont_all(sv);
	stop_daemon(sv);
	sv->rep->restarts++;
	return start_daemon(sv);
}

/* ---- faults ------------------------------------------------------------- */

static int64_t jitter(struct sv *sv, int mean_ms)
{
	return ms_ns(tt_range(&sv->rnd, mean_ms / 2, mean_ms * 3 / 2));
}

/* A random running worker, or 0. */
static pid_t pick_worker(struct sv *sv, bool running_only)
{
	for (int tries = 0; tries < 2 * tt_shm->nslots; tries++) {
		pid_t pid = tt_shm->slots[tt_range(&sv->rnd, 0, tt_shm->nslots - 1)].pid;
		bool stopped = false;

		for (int i = 0; i < sv->nstopped; i++)
			stopped |= sv->stopped[i].pid == pid;
		if (pid > 0 && !(running_only && stopped))
			return pid;
	}
	return 0;
}

static void faults(struct sv *sv, int64_t now)
{
	pid_t pid;

	for (int i = 0; i < sv->nstopped; i++)
		if (now >= sv->stopped[i].cont_at) {
			kill(sv->stopped[i].pid, SIGCONT);
			sv->stopped[i--] = sv->stopped[--sv->nstopped];
		}
	if (tt_opts.kill_ms && now >= sv->next_kill) {
		if ((pid = pick_worker(sv, false)) && kill(pid, SIGKILL) == 0)
			sv->rep->kills++;
		sv->next_kill = now + jitter(sv, tt_opts.kill_ms);
	}
	if (tt_opts.stop_ms && now >= sv->next_stop) {
		if (sv->nstopped < tt_shm->nslots / STOPPED_MAX_DIV &&
		    (pid = pick_worker(sv, true)) && kill(pid, SIGSTOP) == 0) {
			sv->stopped[sv->nstopped++] = (struct stopped){
			    pid, now + ms_ns(tt_range(&sv->rnd, 5, TT_STOP_MAX_MS))};
			sv->rep->stops++;
		}
		sv->next_stop = now + jitter(sv, tt_opts.stop_ms);
	}
	if (tt_opts.hup_ms && now >= sv->next_hup) {
		if (cdaemon_write_config(++sv->variant) == 0 && kill(sv->daemon, SIGHUP) == 0)
			sv->rep->hups++;
		sv->next_hup = now + jitter(sv, tt_opts.hup_ms);
	}
}

/* ---- the run ------------------------------------------------------------ */

static void print_progress(struct sv *sv, int64_t start)
{
	printf("torture: %4.0fs %llu/%llu attempts, %llu kills, %llu stops, %llu HUPs, "
	       "%llu restarts, %llu bad inputs\n",
	       (double)(rconn_now_ns() - start) / 1e9, (unsigned long long)progress(),
	       (unsigned long long)sv->target, (unsigned long long)sv->rep->kills,
	       (unsigned long long)sv->rep->stops, (unsigned long long)sv->rep->hups,
	       (unsigned long long)sv->rep->restarts,
	       (unsigned long long)__atomic_load_n(&tt_shm->bad_inputs, __ATOMIC_SEQ_CST));
	fflush(stdout);
}

/* Load and faults until every slot has done its attempts. */
static void run_load(struct sv *sv)
{
	int64_t start = rconn_now_ns(), now, last_move = start, next_print;
	uint64_t last = 0;

	next_print = start + ms_ns(PROGRESS_EVERY_S * 1000);
	sv->next_kill = start + jitter(sv, tt_opts.kill_ms);
	sv->next_stop = start + jitter(sv, tt_opts.stop_ms);
	sv->next_hup = start + jitter(sv, tt_opts.hup_ms);
	for (;;) {
		uint64_t done = progress();
		bool all = true;

		reap(sv);
		for (int i = 0; i < tt_shm->nslots; i++) {
			struct tt_slot *sl = &tt_shm->slots[i];
			long want = sl->kind == TT_LOCK ? tt_opts.lock_iters : tt_opts.pool_iters;

			if ((long)sl->iters < want) {
				all = false;
				if (sl->pid == 0)
					spawn_worker(sv, i);
			}
		}
		if (all)
			break;
		if (!sv->monitor)
			sv->monitor = spawn(monitor_fn, 0);
		if (tt_opts.hostile && !sv->hostile)
			sv->hostile = spawn(hostile_fn, 0);
		now = rconn_now_ns();
		if (sv->restarts_done < tt_opts.restarts &&
		    done * (uint64_t)(tt_opts.restarts + 1) >=
		        sv->target * (uint64_t)(sv->restarts_done + 1)) {
			sv->restarts_done++;
			if (restart_daemon(sv) != 0)
				exit(2);
			now = last_move = rconn_now_ns();
		}
		faults(sv, now);
		tt_checked(INV_PROGRESS, done != last);
		if (done != last) {
			last = done;
			last_move = now;
		} else if (now - last_move > ms_ns(tt_ms(TT_HANG_MS) * 2)) {
			tt_violation(INV_PROGRESS, "no attempt completed in %d ms (%llu/%llu done)",
			             tt_ms(TT_HANG_MS) * 2, (unsigned long long)done,
			             (unsigned long long)sv->target);
			break;
		}
		if (now >= next_print) {
			print_progress(sv, start);
			next_print += ms_ns(PROGRESS_EVERY_S * 1000);
		}
		tt_sleep_us(TICK_US);
	}
	sv->rep->load_ns = rconn_now_ns() - start;
	sv->rep->attempts = progress();
}

static bool children_left(const struct sv *sv)
{
	bool left = sv->monitor || sv->hostile;

	for (int i = 0; i < tt_shm->nslots; i++)
		left |= tt_shm->slots[i].pid != 0;
	return left;
}

/* Reaps until no child is left or timeout_ms pass: true if none is left. */
static bool wait_children(struct sv *sv, int timeout_ms)
{
	int64_t deadline = rconn_now_ns() + ms_ns(timeout_ms);

	for (;;) {
		reap(sv);
		if (!children_left(sv))
			return true;
		if (rconn_now_ns() > deadline)
			return false;
		tt_sleep_us(TICK_US);
	}
}

/* Asks everyone to finish and waits; a child that does not is a hang. */
static void stop_children(struct sv *sv)
{
	__atomic_store_n(&tt_shm->stop, 1, __ATOMIC_SEQ_CST);
	cont_all(sv);
	if (wait_children(sv, tt_ms(TT_HANG_MS) * 2))
		return;
	tt_violation(INV_HANG, "children still running %d ms after the stop: killed",
	             tt_ms(TT_HANG_MS) * 2);
	for (int i = 0; i < tt_shm->nslots; i++)
		if (tt_shm->slots[i].pid)
			kill(tt_shm->slots[i].pid, SIGKILL);
	if (sv->monitor)
		kill(sv->monitor, SIGKILL);
	if (sv->hostile)
		kill(sv->hostile, SIGKILL);
	wait_children(sv, tt_ms(TT_HANG_MS));
}

/* lo <= v <= hi, or a violation naming what. */
static void conserve(const char *what, long long v, uint64_t lo, uint64_t lost)
{
	tt_checked(INV_CONSERVE, 1);
	if (v < (long long)lo || v > (long long)(lo + lost))
		tt_violation(INV_CONSERVE,
		             "INFO %s %lld, but clients read %llu (and %llu replies went unread)",
		             what, v, (unsigned long long)lo, (unsigned long long)lost);
}

/* Once the load is over: INFO adds up, matches what clients read, and
 * everything is given back. */
static void final_checks(void)
{
	struct tt_gen *g = &tt_shm->gens[tt_shm->gen];
	int64_t deadline = rconn_now_ns() + ms_ns(SETTLE_MS + tt_ms(2000));
	struct tt_info in;
	struct rconn c;
	char why[256];
	int gen;

	if (tt_connect(&c, &gen, tt_ms(TT_HANG_MS)) != 0 ||
	    monitor_info(&c, tt_ms(TT_HANG_MS), &in, why, sizeof why) != 0) {
		tt_violation(INV_ALIVE, "no INFO after the load");
		rconn_close(&c);
		return;
	}
	monitor_info_check(&in, "after the load");
	conserve("grants", in.grants, g->lock_grants, g->lost);
	conserve("slot_grants", in.slot_grants, g->slot_grants, g->lost);
	conserve("timeouts", in.timeouts, g->timeouts, g->lost);
	/* Detached short grants of killed workers lapse within their TTL. */
	while ((in.locks_held || in.slots_held || in.waiters) && rconn_now_ns() < deadline) {
		tt_sleep_us(20000);
		if (monitor_info(&c, tt_ms(TT_HANG_MS), &in, why, sizeof why) != 0)
			break;
	}
	tt_checked(INV_LEFTOVER, 1);
	if (in.locks_held || in.slots_held || in.waiters)
		tt_violation(INV_LEFTOVER, "locks_held %lld, slots_held %lld, waiters %lld",
		             in.locks_held, in.slots_held, in.waiters);
	monitor_info_check(&in, "at the end");
	rconn_close(&c);
}

static void check_rss(void)
{
	for (int i = 0; i < tt_shm->ngens; i++) {
		struct tt_gen *g = &tt_shm->gens[i];

		if (g->rss_first_kb <= 0)
			continue;
		tt_checked(INV_RSS, 1);
		if (g->rss_peak_kb - g->rss_first_kb > tt_opts.rss_slack_kb)
			tt_violation(INV_RSS,
			             "gen %d: VmRSS %ld kB at first, %ld kB at peak "
			             "(allowed growth %ld kB)",
			             i, g->rss_first_kb, g->rss_peak_kb, tt_opts.rss_slack_kb);
	}
}

int supervisor_run(struct tt_report *rep)
{
	struct sv sv = {.rnd = tt_seed_for(3, 0, 0), .rep = rep};
	int64_t t0;

	sv.target = (uint64_t)(tt_opts.lock_workers * tt_opts.lock_iters +
	                       tt_opts.pool_workers * tt_opts.pool_iters);
	if (cdaemon_write_config(0) != 0 || start_daemon(&sv) != 0)
		return -1;
	run_load(&sv);
	stop_children(&sv);
	final_checks();
	t0 = rconn_now_ns();
	__atomic_store_n(&tt_shm->restarting, 1, __ATOMIC_SEQ_CST);
	stop_daemon(&sv);
	rep->stop_ns = rconn_now_ns() - t0;
	rep->records = record_check();
	check_rss();
	return 0;
}
