/* check_cli.c - the cachify command-line tool end to end: the built
 * $CACHIFY_CLI run with fork/exec against a forked cachifyd, its output
 * captured in files. Locks, pools, once and cached under real concurrency
 * (critical sections that detect overlap, run counters appended to files),
 * exit codes and signals, the child's environment, the plain commands,
 * raw's reply formats, the status views, and every usage error. The
 * helpers that run cachify are in check_cli_util.c (shared with the other
 * check_cli_*.c suites).
 *
 * Waits on other processes are never sleeps that define behaviour: a test
 * waits for a file its child creates or for the daemon to report blocked
 * clients (CLIENT LIST flags=b), each bounded and scaled by h_slow().
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_cli.h"
#include "check_suites.h"
#include "harness.h"

/* ---- lock --------------------------------------------------------------------- */

START_TEST(test_cli_lock_serializes_20_concurrent_runs)
{
	struct h_daemon *d = start();
	char marker[H_PATH_MAX], fails[H_PATH_MAX], done[H_PATH_MAX], sh[SH_MAX];
	pid_t pids[CROWD];

	fpath(marker, d, "inside");
	fpath(fails, d, "overlaps");
	fpath(done, d, "done");
	snprintf(sh, sizeof sh,
	         "mkdir %s 2>/dev/null || { echo overlap >> %s; exit 1; }; sleep 0.02; "
	         "rmdir %s; echo ok >> %s",
	         marker, fails, marker, done);
	for (int i = 0; i < CROWD; i++)
		pids[i] = spawn_cli(d, NULL, NULL, "lock", "crit", "-c", sh, NULL);
	for (int i = 0; i < CROWD; i++)
		ck_assert_int_eq(reap(pids[i]), 0);
	ck_assert_msg(!exists(fails), "critical sections overlapped");
	ck_assert_int_eq(count_lines(done), CROWD);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_cli_lock_nonblock_conflict_exits_1_or_the_E_code)
{
	struct h_daemon *d = start();
	char ready[H_PATH_MAX], go[H_PATH_MAX], sh[SH_MAX];
	pid_t holder;

	fpath(ready, d, "ready");
	fpath(go, d, "go");
	snprintf(sh, sizeof sh, "touch %s; while [ ! -e %s ]; do sleep 0.01; done", ready, go);
	holder = spawn_cli(d, NULL, NULL, "lock", "k", "-c", sh, NULL);
	wait_file(ready);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "lock", "-n", "k", "--", "true", NULL), 1);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "lock", "-n", "-E", "42", "k", "true", NULL), 42);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "lock", "--nonblock", "--conflict-exit-code", "0",
	                         "k", "false", NULL),
	                 0);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "lock", "-w", "0", "-E", "9", "k", "true", NULL),
	                 9);
	/* Another key is free. */
	ck_assert_int_eq(run_cli(d, NULL, NULL, "lock", "-n", "other", "true", NULL), 0);
	h_write_file(go, "");
	ck_assert_int_eq(reap(holder), 0);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "lock", "-n", "k", "true", NULL), 0);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_cli_lock_wait_times_out_with_the_conflict_code)
{
	struct h_daemon *d = start();
	char ready[H_PATH_MAX], go[H_PATH_MAX], sh[SH_MAX];
	pid_t holder, waiter;
	int64_t t0, took;

	fpath(ready, d, "ready");
	fpath(go, d, "go");
	snprintf(sh, sizeof sh, "touch %s; while [ ! -e %s ]; do sleep 0.01; done", ready, go);
	holder = spawn_cli(d, NULL, NULL, "lock", "k", "-c", sh, NULL);
	wait_file(ready);
	t0 = h_now_ms();
	ck_assert_int_eq(
	    run_cli(d, NULL, NULL, "lock", "-w", "300ms", "-E", "3", "k", "true", NULL), 3);
	took = h_now_ms() - t0;
	ck_assert_msg(took >= 290, "timed out after %lld ms, before the 300 ms wait",
	              (long long)took);
	/* A waiter within its time gets the lock when the holder ends. */
	waiter =
	    spawn_cli(d, NULL, NULL, "lock", "-w", "1m", "k", "--", "sh", "-c", "exit 5", NULL);
	wait_blocked(d, 1);
	h_write_file(go, "");
	ck_assert_int_eq(reap(holder), 0);
	ck_assert_int_eq(reap(waiter), 5);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_cli_lock_passes_exit_status_and_signal_deaths_through)
{
	struct h_daemon *d = start();
	char err[H_PATH_MAX], *s;

	fpath(err, d, "err");
	ck_assert_int_eq(run_cli(d, NULL, NULL, "lock", "k", "--", "sh", "-c", "exit 3", NULL), 3);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "lock", "k", "-c", "exit 255", NULL), 255);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "lock", "k", "-c", "kill -TERM $$", NULL), 143);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "lock", "k", "-c", "kill -KILL $$", NULL), 137);
	ck_assert_int_eq(run_cli(d, NULL, err, "lock", "k", "--", "/nonexistent/cmd", NULL), 127);
	s = slurp(err, NULL);
	ck_assert_msg(strstr(s, "/nonexistent/cmd") != NULL, "no message: %s", s);
	free(s);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "lock", "k", "no-such-command-xyz", NULL), 127);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "lock", "k", "--", d->dir, NULL), 126);
	/* The lock is free after each of them. */
	ck_assert_int_eq(run_cli(d, NULL, NULL, "lock", "-n", "k", "true", NULL), 0);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_cli_lock_forwards_sigterm_and_keeps_the_lock_until_the_child_ends)
{
	struct h_daemon *d = start();
	char ready[H_PATH_MAX], sh[SH_MAX];
	pid_t cli;

	fpath(ready, d, "ready");
	snprintf(sh, sizeof sh, "trap 'exit 42' TERM; touch %s; while :; do sleep 0.01; done",
	         ready);
	cli = spawn_cli(d, NULL, NULL, "lock", "k", "-c", sh, NULL);
	wait_file(ready);
	kill(cli, SIGTERM);
	ck_assert_int_eq(reap(cli), 42);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "lock", "-n", "k", "true", NULL), 0);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_cli_lock_killed_holder_frees_the_lock_for_a_waiting_cli)
{
	struct h_daemon *d = start();
	char ready[H_PATH_MAX], pidfile[H_PATH_MAX], sh[SH_MAX], *s;
	pid_t holder, waiter, child;
	int64_t deadline;

	fpath(ready, d, "ready");
	fpath(pidfile, d, "childpid");
	snprintf(sh, sizeof sh, "echo $$ > %s; touch %s; exec sleep 60", pidfile, ready);
	holder = spawn_cli(d, NULL, NULL, "lock", "k", "-c", sh, NULL);
	wait_file(ready);
	waiter = spawn_cli(d, NULL, NULL, "lock", "k", "--", "sh", "-c", "exit 6", NULL);
	wait_blocked(d, 1);
	kill(holder, SIGKILL);
	ck_assert_int_eq(reap(holder), 1000 + SIGKILL);
	ck_assert_int_eq(reap(waiter), 6);
	/* The killed holder's command dies with it (it ran under the lock). */
	s = slurp(pidfile, NULL);
	child = (pid_t)atoi(s);
	free(s);
	ck_assert_int_gt(child, 1);
	deadline = h_now_ms() + SLOW(STATE_MS);
	for (;;) {
		char stat[64], *st;

		snprintf(stat, sizeof stat, "/proc/%d/stat", (int)child);
		st = h_slurp(stat, NULL);
		if (!st || strstr(st, ") Z ")) {
			free(st);
			break;
		}
		free(st);
		ck_assert_msg(h_now_ms() < deadline, "the killed holder's child %d still runs",
		              (int)child);
		h_sleep_ms(POLL_MS);
	}
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_cli_lock_child_gets_key_and_fence_and_no_socket_fd)
{
	struct h_daemon *d = start();
	char out[H_PATH_MAX], *s;
	unsigned long long fence = 0;
	char key[64];
	const char *sh = "for f in /proc/$$/fd/*; do "
	                 "case $(readlink $f) in socket:*) echo \"leak $f\"; exit 9;; esac; done; "
	                 "echo \"$CACHIFY_KEY $CACHIFY_FENCE\"";

	fpath(out, d, "out");
	ck_assert_int_eq(run_cli(d, out, NULL, "lock", "job", "-c", sh, NULL), 0);
	s = slurp(out, NULL);
	ck_assert_msg(sscanf(s, "%63s %llu", key, &fence) == 2, "child printed: %s", s);
	ck_assert_str_eq(key, "PYC-job-lock");
	ck_assert_msg(fence > 0, "fence %llu", fence);
	free(s);
	/* --prefix changes the key, as the library's prefix does. */
	ck_assert_int_eq(run_cli(d, out, NULL, "--prefix", "APP-", "lock", "job", "-c", sh, NULL),
	                 0);
	s = slurp(out, NULL);
	ck_assert_msg(strncmp(s, "APP-job-lock ", 13) == 0, "child printed: %s", s);
	free(s);
	h_daemon_finish(d);
}
END_TEST

/* ---- pool ------------------------------------------------------------------------ */

START_TEST(test_cli_pool_never_exceeds_size_with_20_concurrent_runs)
{
	struct h_daemon *d = start();
	char dir[H_PATH_MAX], counts[H_PATH_MAX], sh[SH_MAX], *s;
	pid_t pids[CROWD];
	int max = 0, lines = 0;

	fpath(dir, d, "in");
	fpath(counts, d, "counts");
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	/* Each run marks itself inside, counts who is inside, leaves. */
	snprintf(sh, sizeof sh, "mkdir %s/$$; ls %s | wc -l >> %s; sleep 0.03; rmdir %s/$$", dir,
	         dir, counts, dir);
	for (int i = 0; i < CROWD; i++)
		pids[i] = spawn_cli(d, NULL, NULL, "pool", "workers", "3", "-c", sh, NULL);
	for (int i = 0; i < CROWD; i++)
		ck_assert_int_eq(reap(pids[i]), 0);
	s = slurp(counts, NULL);
	for (char *p = s, *end; *p; p = end) {
		int n = (int)strtol(p, &end, 10);

		if (end == p)
			break;
		max = n > max ? n : max;
		lines++;
	}
	free(s);
	ck_assert_int_eq(lines, CROWD);
	ck_assert_msg(max >= 1 && max <= 3, "%d runs inside a pool of 3", max);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_cli_pool_full_is_a_conflict_and_the_child_gets_its_slot)
{
	struct h_daemon *d = start();
	char ready[H_PATH_MAX], go[H_PATH_MAX], out[H_PATH_MAX], sh[SH_MAX], *s;
	char key[64], slot[64];
	unsigned long long fence = 0;
	pid_t holder, waiter;

	fpath(ready, d, "ready");
	fpath(go, d, "go");
	fpath(out, d, "out");
	ck_assert_int_eq(run_cli(d, out, NULL, "pool", "p", "2", "-c",
	                         "echo \"$CACHIFY_KEY $CACHIFY_SLOT $CACHIFY_FENCE\"", NULL),
	                 0);
	s = slurp(out, NULL);
	ck_assert_msg(sscanf(s, "%63s %63s %llu", key, slot, &fence) == 3, "child printed: %s", s);
	free(s);
	ck_assert_str_eq(key, "PYC-p-pool");
	ck_assert_int_eq(strlen(slot), 32);
	ck_assert_msg(fence > 0, "fence %llu", fence);

	snprintf(sh, sizeof sh, "touch %s; while [ ! -e %s ]; do sleep 0.01; done", ready, go);
	holder = spawn_cli(d, NULL, NULL, "pool", "p", "1", "-c", sh, NULL);
	wait_file(ready);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "pool", "-n", "p", "1", "true", NULL), 1);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "pool", "-n", "-E", "7", "p", "1", "true", NULL),
	                 7);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "pool", "-w", "100ms", "p", "1", "true", NULL), 1);
	/* A bigger SIZE admits a second run. */
	ck_assert_int_eq(run_cli(d, NULL, NULL, "pool", "-n", "p", "2", "true", NULL), 0);
	waiter = spawn_cli(d, NULL, NULL, "pool", "p", "1", "--", "sh", "-c", "exit 4", NULL);
	h_write_file(go, "");
	ck_assert_int_eq(reap(holder), 0);
	ck_assert_int_eq(reap(waiter), 4);

	/* A killed holder's slot is free at once for a waiting cachify. */
	h_rm_rf(ready);
	snprintf(sh, sizeof sh, "touch %s; exec sleep 60", ready);
	holder = spawn_cli(d, NULL, NULL, "pool", "p", "1", "-c", sh, NULL);
	wait_file(ready);
	waiter = spawn_cli(d, NULL, NULL, "pool", "-w", "1m", "p", "1", "-c", "exit 5", NULL);
	kill(holder, SIGKILL);
	ck_assert_int_eq(reap(holder), 1000 + SIGKILL);
	ck_assert_int_eq(reap(waiter), 5);
	h_daemon_finish(d);
}
END_TEST

/* ---- once ---------------------------------------------------------------------- */

START_TEST(test_cli_once_waiters_exit_with_the_runners_status)
{
	struct h_daemon *d = start();
	char ready[H_PATH_MAX], go[H_PATH_MAX], ran[H_PATH_MAX], sh[SH_MAX];
	char wsh[SH_MAX];
	pid_t runner, waiters[3];

	fpath(ready, d, "ready");
	fpath(go, d, "go");
	fpath(ran, d, "waiter-ran");
	snprintf(sh, sizeof sh, "touch %s; while [ ! -e %s ]; do sleep 0.01; done; exit 7", ready,
	         go);
	snprintf(wsh, sizeof wsh, "echo ran >> %s", ran);
	runner = spawn_cli(d, NULL, NULL, "once", "job", "-c", sh, NULL);
	wait_file(ready);
	for (int i = 0; i < 3; i++)
		waiters[i] = spawn_cli(d, NULL, NULL, "once", "job", "-c", wsh, NULL);
	wait_blocked(d, 3);
	/* -n does not wait: the conflict code. */
	ck_assert_int_eq(run_cli(d, NULL, NULL, "once", "-n", "job", "-c", wsh, NULL), 1);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "once", "-n", "-E", "8", "job", "true", NULL), 8);
	h_write_file(go, "");
	ck_assert_int_eq(reap(runner), 7);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(reap(waiters[i]), 7);
	ck_assert_msg(!exists(ran), "a waiter ran the command");
	/* Nothing runs now: the next call runs, with its own status. */
	ck_assert_int_eq(run_cli(d, NULL, NULL, "once", "job", "-c", "exit 3", NULL), 3);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_cli_once_waiter_runs_itself_when_the_runner_was_killed)
{
	struct h_daemon *d = start();
	char ready[H_PATH_MAX], sh[SH_MAX];
	pid_t runner, waiter;

	fpath(ready, d, "ready");
	/* An old status of an earlier run must not be taken for the killed one's. */
	ck_assert_int_eq(run_cli(d, NULL, NULL, "once", "job", "-c", "exit 9", NULL), 9);
	snprintf(sh, sizeof sh, "touch %s; exec sleep 60", ready);
	runner = spawn_cli(d, NULL, NULL, "once", "job", "-c", sh, NULL);
	wait_file(ready);
	waiter = spawn_cli(d, NULL, NULL, "once", "job", "-c", "exit 5", NULL);
	wait_blocked(d, 1);
	kill(runner, SIGKILL);
	ck_assert_int_eq(reap(runner), 1000 + SIGKILL);
	ck_assert_int_eq(reap(waiter), 5);
	h_daemon_finish(d);
}
END_TEST

/* ---- cached ---------------------------------------------------------------------- */

START_TEST(test_cli_cached_replays_stdout_stderr_and_status_byte_exact)
{
	static const char want_out[] = "bin\0ary\x01\xff\n\0";
	static const char want_err[] = "err\0\r\n";
	struct h_daemon *d = start();
	char out[H_PATH_MAX], err[H_PATH_MAX], runs[H_PATH_MAX], sh[SH_MAX];

	fpath(out, d, "out");
	fpath(err, d, "err");
	fpath(runs, d, "runs");
	snprintf(
	    sh, sizeof sh,
	    "echo run >> %s; printf 'bin\\000ary\\001\\377\\n\\000'; printf 'err\\000\\r\\n' >&2; "
	    "exit 3",
	    runs);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(run_cli(d, out, err, "cached", "bin", "-c", sh, NULL), 3);
		expect_file(out, want_out, sizeof want_out - 1);
		expect_file(err, want_err, sizeof want_err - 1);
	}
	ck_assert_int_eq(count_lines(runs), 1);
	/* Empty output and status 0 are results too. */
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(run_cli(d, out, err, "cached", "empty", "--", "sh", "-c",
		                         "echo run >> \"$0\"", runs, NULL),
		                 0);
		expect_str(out, "");
		expect_str(err, "");
	}
	ck_assert_int_eq(count_lines(runs), 2);
	/* The command knows its key. */
	ck_assert_int_eq(
	    run_cli(d, out, NULL, "cached", "envk", "-c", "printf %s \"$CACHIFY_KEY\"", NULL), 0);
	expect_str(out, "PYC-envk-cached");
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_cli_cached_runs_once_for_10_concurrent_callers)
{
	struct h_daemon *d = start();
	char ready[H_PATH_MAX], go[H_PATH_MAX], runs[H_PATH_MAX], sh[SH_MAX];
	char outs[10][H_PATH_MAX];
	pid_t pids[10];

	fpath(ready, d, "ready");
	fpath(go, d, "go");
	fpath(runs, d, "runs");
	snprintf(sh, sizeof sh,
	         "echo run >> %s; touch %s; while [ ! -e %s ]; do sleep 0.01; done; "
	         "printf 'the output'; exit 4",
	         runs, ready, go);
	for (int i = 0; i < 10; i++) {
		char name[16];

		snprintf(name, sizeof name, "out%d", i);
		fpath(outs[i], d, name);
		pids[i] = spawn_cli(d, outs[i], NULL, "cached", "slow", "-c", sh, NULL);
	}
	wait_file(ready);
	wait_blocked(d, 9); /* the others wait for the one run */
	h_write_file(go, "");
	for (int i = 0; i < 10; i++) {
		ck_assert_int_eq(reap(pids[i]), 4);
		expect_str(outs[i], "the output");
	}
	ck_assert_int_eq(count_lines(runs), 1);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_cli_cached_ttl_force_and_discard_failures)
{
	struct h_daemon *d = start();
	char runs[H_PATH_MAX], sh[SH_MAX];
	int64_t t0;

	fpath(runs, d, "runs");
	snprintf(sh, sizeof sh, "echo run >> %s", runs);
	t0 = h_now_ms();
	ck_assert_int_eq(run_cli(d, NULL, NULL, "cached", "--ttl", "2s", "t", "-c", sh, NULL), 0);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "cached", "--ttl", "2s", "t", "-c", sh, NULL), 0);
	if (h_now_ms() - t0 < 1500) /* else the machine is too slow to tell a hit */
		ck_assert_int_eq(count_lines(runs), 1);
	h_sleep_ms(2100);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "cached", "--ttl", "2s", "t", "-c", sh, NULL), 0);
	ck_assert_int_ge(count_lines(runs), 2);

	/* --force runs again; the new result is cached. */
	h_rm_rf(runs);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "cached", "f", "-c", sh, NULL), 0);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "cached", "--force", "f", "-c", sh, NULL), 0);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "cached", "f", "-c", sh, NULL), 0);
	ck_assert_int_eq(count_lines(runs), 2);

	/* Failures are cached, unless --discard-failures. */
	h_rm_rf(runs);
	snprintf(sh, sizeof sh, "echo run >> %s; exit 2", runs);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(run_cli(d, NULL, NULL, "cached", "fail", "-c", sh, NULL), 2);
	ck_assert_int_eq(count_lines(runs), 1);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(
		    run_cli(d, NULL, NULL, "cached", "--discard-failures", "df", "-c", sh, NULL),
		    2);
	ck_assert_int_eq(count_lines(runs), 3);
	h_daemon_finish(d);
}
END_TEST

/* ---- arguments ------------------------------------------------------------------- */

START_TEST(test_cli_every_bad_argument_exits_2_with_usage)
{
	static const char *const bad[][8] = {
	    {NULL},
	    {"frobnicate", NULL},
	    {"--bogus", NULL},
	    {"-s", NULL},
	    {"lock", NULL},
	    {"lock", "k", NULL},
	    {"lock", "k", "--", NULL},
	    {"lock", "", "true", NULL},
	    {"lock", "-x", "k", "true", NULL},
	    {"lock", "-n", "-w", "1", "k", "true", NULL},
	    {"lock", "-w", "abc", "k", "true", NULL},
	    {"lock", "-w", "-1", "k", "true", NULL},
	    {"lock", "-w", "5x", "k", "true", NULL},
	    {"lock", "-w", "1e3", "k", "true", NULL},
	    {"lock", "-w", "inf", "k", "true", NULL},
	    {"lock", "-E", "256", "k", "true", NULL},
	    {"lock", "-E", "x", "k", "true", NULL},
	    {"lock", "-t", "0", "k", "true", NULL},
	    {"lock", "-t", "", "k", "true", NULL},
	    {"lock", "k", "-c", NULL},
	    {"lock", "k", "-c", "true", "extra", NULL},
	    {"lock", "-c", "true", "k", "cmd", NULL},
	    {"lock", "k", "--", "", NULL},
	    {"once", NULL},
	    {"once", "-w", "1", "k", "true", NULL},
	    {"once", "-t", "1", "k", "true", NULL},
	    {"once", "k", NULL},
	    {"pool", NULL},
	    {"pool", "k", NULL},
	    {"pool", "k", "0", "true", NULL},
	    {"pool", "k", "x", "true", NULL},
	    {"pool", "k", "-1", "true", NULL},
	    {"pool", "k", "2", NULL},
	    {"cached", NULL},
	    {"cached", "k", NULL},
	    {"cached", "--ttl", "0", "k", "true", NULL},
	    {"cached", "--ttl", "soon", "k", "true", NULL},
	    {"cached", "-n", "k", "true", NULL},
	    {"get", NULL},
	    {"get", "a", "b", NULL},
	    {"set", NULL},
	    {"set", "a", "b", "c", NULL},
	    {"set", "--ttl", "5x", "k", "v", NULL},
	    {"del", NULL},
	    {"ttl", NULL},
	    {"ping", "x", NULL},
	    {"info", "a", "b", NULL},
	    {"locks", "x", NULL},
	    {"status", "--yaml", NULL},
	    {"raw", "--bogus", NULL},
	};
	struct h_daemon *d = start();
	char out[H_PATH_MAX], err[H_PATH_MAX];

	fpath(out, d, "out");
	fpath(err, d, "err");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		pid_t pid = spawn_argv(d->sock, NULL, out, err, bad[i]);
		int code = reap(pid);
		char *e = slurp(err, NULL), *o = slurp(out, NULL);

		ck_assert_msg(code == 2 && strstr(e, "usage: cachify") && !*o,
		              "case %zu (%s %s %s): exit %d, stdout '%s', stderr '%s'", i,
		              bad[i][0] ? bad[i][0] : "", bad[i][0] && bad[i][1] ? bad[i][1] : "",
		              bad[i][0] && bad[i][1] && bad[i][2] ? bad[i][2] : "", code, o, e);
		free(e);
		free(o);
	}
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_cli_help_and_version_exit_0)
{
	static const char *const cmds[] = {"lock", "once",  "pool",  "cached", "get",
	                                   "set",  "del",   "ttl",   "ping",   "info",
	                                   "raw",  "locks", "status"};
	struct h_daemon *d = start();
	char out[H_PATH_MAX], *s;

	fpath(out, d, "out");
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		ck_assert_int_eq(run_cli(d, out, NULL, cmds[i], "--help", NULL), 0);
		s = slurp(out, NULL);
		ck_assert_msg(strstr(s, "usage: cachify ") && strstr(s, "Example:\n  cachify "),
		              "%s --help: %s", cmds[i], s);
		free(s);
	}
	ck_assert_int_eq(run_cli(d, out, NULL, "--version", NULL), 0);
	s = slurp(out, NULL);
	ck_assert_msg(strncmp(s, "cachify 0.", 10) == 0, "--version: %s", s);
	free(s);
	ck_assert_int_eq(run_cli(d, out, NULL, "--help", NULL), 0);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_cli_durations_accept_units_and_decimals)
{
	static const char *const ok[] = {"150ms", "0.15", "0.15s", ".15", "0.0025m"};
	struct h_daemon *d = start();
	char ready[H_PATH_MAX], go[H_PATH_MAX], sh[SH_MAX];
	pid_t holder;

	fpath(ready, d, "ready");
	fpath(go, d, "go");
	snprintf(sh, sizeof sh, "touch %s; while [ ! -e %s ]; do sleep 0.01; done", ready, go);
	holder = spawn_cli(d, NULL, NULL, "lock", "k", "-c", sh, NULL);
	wait_file(ready);
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		int64_t t0 = h_now_ms(), took;

		ck_assert_int_eq(run_cli(d, NULL, NULL, "lock", "-w", ok[i], "k", "true", NULL), 1);
		took = h_now_ms() - t0;
		ck_assert_msg(took >= 140, "-w %s waited %lld ms", ok[i], (long long)took);
	}
	h_write_file(go, "");
	ck_assert_int_eq(reap(holder), 0);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "lock", "-w", "1h", "-t", "1d", "k", "true", NULL),
	                 0);
	h_daemon_finish(d);
}
END_TEST

/* ---- plain commands, raw, status --------------------------------------------------- */

START_TEST(test_cli_plain_commands_get_set_del_ttl_ping_info)
{
	static const char bin[] = "a\0b\r\n\xff";
	struct h_daemon *d = start();
	char in[H_PATH_MAX], out[H_PATH_MAX], *s;
	double ttl;
	FILE *f;

	fpath(in, d, "in");
	fpath(out, d, "out");
	ck_assert_int_eq(run_cli(d, out, NULL, "ping", NULL), 0);
	expect_str(out, "PONG\n");
	ck_assert_int_eq(run_cli(d, NULL, NULL, "set", "k", "hello world", NULL), 0);
	ck_assert_int_eq(run_cli(d, out, NULL, "get", "k", NULL), 0);
	expect_str(out, "hello world");
	ck_assert_int_eq(run_cli(d, NULL, NULL, "set", "--nx", "k", "other", NULL), 1);
	ck_assert_int_eq(run_cli(d, out, NULL, "ttl", "k", NULL), 0);
	expect_str(out, "-1\n");
	ck_assert_int_eq(run_cli(d, NULL, NULL, "set", "--ttl", "1m", "k", "v", NULL), 0);
	ck_assert_int_eq(run_cli(d, out, NULL, "ttl", "k", NULL), 0);
	s = slurp(out, NULL);
	ttl = atof(s);
	ck_assert_msg(ttl > 50 && ttl <= 60, "ttl %s", s);
	free(s);
	/* A value from stdin, binary. */
	f = fopen(in, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fwrite(bin, 1, sizeof bin - 1, f), sizeof bin - 1);
	fclose(f);
	{
		const char *args[] = {"set", "b", NULL};

		ck_assert_int_eq(reap(spawn_argv(d->sock, in, NULL, NULL, args)), 0);
	}
	ck_assert_int_eq(run_cli(d, out, NULL, "get", "b", NULL), 0);
	expect_file(out, bin, sizeof bin - 1);
	ck_assert_int_eq(run_cli(d, out, NULL, "del", "k", "b", "missing", NULL), 0);
	expect_str(out, "2\n");
	ck_assert_int_eq(run_cli(d, out, NULL, "del", "k", NULL), 1);
	ck_assert_int_eq(run_cli(d, out, NULL, "get", "k", NULL), 1);
	expect_str(out, "");
	ck_assert_int_eq(run_cli(d, NULL, NULL, "ttl", "k", NULL), 1);
	ck_assert_int_eq(run_cli(d, out, NULL, "info", "server", NULL), 0);
	s = slurp(out, NULL);
	ck_assert_msg(strstr(s, "# Server\n") && !strchr(s, '\r'), "info: %s", s);
	free(s);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_cli_raw_prints_replies_like_redis_cli)
{
	struct h_daemon *d = start();
	char in[H_PATH_MAX], out[H_PATH_MAX], err[H_PATH_MAX], *s;

	fpath(in, d, "in");
	fpath(out, d, "out");
	fpath(err, d, "err");
	/* Piped: bare values. */
	ck_assert_int_eq(run_cli(d, out, NULL, "raw", "SET", "a", "1", NULL), 0);
	expect_str(out, "OK\n");
	ck_assert_int_eq(run_cli(d, out, NULL, "raw", "incr", "a", NULL), 0);
	expect_str(out, "2\n");
	ck_assert_int_eq(run_cli(d, out, NULL, "raw", "MGET", "a", "nope", NULL), 0);
	expect_str(out, "2\n\n");
	ck_assert_int_eq(run_cli(d, out, err, "raw", "NOSUCH", NULL), 1);
	expect_str(out, "");
	s = slurp(err, NULL);
	ck_assert_msg(strncmp(s, "(error) ERR unknown command", 27) == 0, "stderr: %s", s);
	free(s);
	/* Formatted, as on a terminal. */
	ck_assert_int_eq(run_cli(d, out, NULL, "raw", "--no-raw", "INCR", "a", NULL), 0);
	expect_str(out, "(integer) 3\n");
	ck_assert_int_eq(run_cli(d, out, NULL, "raw", "--no-raw", "GET", "nope", NULL), 0);
	expect_str(out, "(nil)\n");
	ck_assert_int_eq(run_cli(d, NULL, NULL, "raw", "SET", "q", "x\"y\n", NULL), 0);
	ck_assert_int_eq(run_cli(d, out, NULL, "raw", "--no-raw", "MGET", "a", "nope", "q", NULL),
	                 0);
	expect_str(out, "1) \"3\"\n2) (nil)\n3) \"x\\\"y\\n\"\n");
	ck_assert_int_eq(
	    run_cli(d, out, NULL, "raw", "--no-raw", "SCAN", "0", "MATCH", "zz*", NULL), 0);
	expect_str(out, "1) \"0\"\n2) (empty array)\n");
	ck_assert_int_eq(run_cli(d, out, NULL, "raw", "--no-raw", "NOSUCH", NULL), 1);
	s = slurp(out, NULL);
	ck_assert_msg(strncmp(s, "(error) ERR unknown command", 27) == 0, "stdout: %s", s);
	free(s);
	/* Commands from stdin, quoted as in redis-cli. */
	h_write_file(in, "set s \"two words\"\nget s\n*1\nquit\nget s\n");
	{
		const char *args[] = {"raw", NULL};

		/* "*1" is an (unknown) command, not a multibulk header: exit 1. */
		ck_assert_int_eq(reap(spawn_argv(d->sock, in, out, NULL, args)), 1);
	}
	expect_str(out, "OK\ntwo words\n");
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_cli_locks_lists_holders_as_table_and_json)
{
	struct h_daemon *d = start();
	/* A key with a quote, a newline, a control byte and invalid UTF-8. */
	char ready[H_PATH_MAX], ready2[H_PATH_MAX], go[H_PATH_MAX], out[H_PATH_MAX];
	char sh[SH_MAX], sh2[SH_MAX], pid[32], *s;
	pid_t holder, slot;

	fpath(ready, d, "ready");
	fpath(ready2, d, "ready2");
	fpath(go, d, "go");
	fpath(out, d, "out");
	ck_assert_int_eq(run_cli(d, out, NULL, "locks", "--json", NULL), 0);
	expect_str(out, "[]\n");
	snprintf(sh, sizeof sh, "touch %s; while [ ! -e %s ]; do sleep 0.01; done", ready, go);
	snprintf(sh2, sizeof sh2, "touch %s; while [ ! -e %s ]; do sleep 0.01; done", ready2, go);
	holder = spawn_cli(d, NULL, NULL, "lock",
	                   "we\"ird\n\x01\xff"
	                   "key",
	                   "-c", sh, NULL);
	slot = spawn_cli(d, NULL, NULL, "pool", "--", "pl", "2", "-c", sh2, NULL);
	wait_file(ready);
	wait_file(ready2);
	ck_assert_int_eq(run_cli(d, out, NULL, "locks", "--json", NULL), 0);
	s = slurp(out, NULL);
	snprintf(pid, sizeof pid, "\"pid\": %d,", (int)holder);
	ck_assert_msg(
	    strstr(s, "\"key\": \"PYC-we\\\"ird\\n\\u0001\\ufffdkey-lock\", \"type\": \"lock\"") &&
	        strstr(s, pid) && strstr(s, "\"key\": \"PYC-pl-pool\", \"type\": \"pool\"") &&
	        strstr(s, "\"size\": 1, \"max\": 2") && s[0] == '[',
	    "json: %s", s);
	free(s);
	ck_assert_int_eq(run_cli(d, out, NULL, "status", NULL), 0);
	s = slurp(out, NULL);
	ck_assert_msg(strncmp(s, "KEY ", 4) == 0 &&
	                  strstr(s, "PYC-we\"ird\\x0a\\x01\\xffkey-lock") && strstr(s, "pool 1/2"),
	              "table: %s", s);
	free(s);
	h_write_file(go, "");
	ck_assert_int_eq(reap(holder), 0);
	ck_assert_int_eq(reap(slot), 0);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_cli_cannot_connect_exits_125)
{
	struct h_daemon *d = h_daemon_new();
	char err[H_PATH_MAX], *s;

	fpath(err, d, "err");
	/* Nothing listens on d->sock. */
	ck_assert_int_eq(run_cli(d, NULL, err, "ping", NULL), 125);
	s = slurp(err, NULL);
	ck_assert_msg(strncmp(s, "cachify ping: ", 14) == 0, "stderr: %s", s);
	free(s);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "lock", "k", "true", NULL), 125);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "cached", "k", "true", NULL), 125);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "-u", "http://x", "ping", NULL), 2);
	h_daemon_free(d);
}
END_TEST

Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc;
	int timeout = 30 * h_slow();

	tc = tcase_create("lock");
	tcase_set_timeout(tc, timeout);
	tcase_add_test(tc, test_cli_lock_serializes_20_concurrent_runs);
	tcase_add_test(tc, test_cli_lock_nonblock_conflict_exits_1_or_the_E_code);
	tcase_add_test(tc, test_cli_lock_wait_times_out_with_the_conflict_code);
	tcase_add_test(tc, test_cli_lock_passes_exit_status_and_signal_deaths_through);
	tcase_add_test(tc, test_cli_lock_forwards_sigterm_and_keeps_the_lock_until_the_child_ends);
	tcase_add_test(tc, test_cli_lock_killed_holder_frees_the_lock_for_a_waiting_cli);
	tcase_add_test(tc, test_cli_lock_child_gets_key_and_fence_and_no_socket_fd);
	suite_add_tcase(s, tc);

	tc = tcase_create("pool_once_cached");
	tcase_set_timeout(tc, timeout);
	tcase_add_test(tc, test_cli_pool_never_exceeds_size_with_20_concurrent_runs);
	tcase_add_test(tc, test_cli_pool_full_is_a_conflict_and_the_child_gets_its_slot);
	tcase_add_test(tc, test_cli_once_waiters_exit_with_the_runners_status);
	tcase_add_test(tc, test_cli_once_waiter_runs_itself_when_the_runner_was_killed);
	tcase_add_test(tc, test_cli_cached_replays_stdout_stderr_and_status_byte_exact);
	tcase_add_test(tc, test_cli_cached_runs_once_for_10_concurrent_callers);
	tcase_add_test(tc, test_cli_cached_ttl_force_and_discard_failures);
	suite_add_tcase(s, tc);

	tc = tcase_create("commands");
	tcase_set_timeout(tc, timeout);
	tcase_add_test(tc, test_cli_every_bad_argument_exits_2_with_usage);
	tcase_add_test(tc, test_cli_help_and_version_exit_0);
	tcase_add_test(tc, test_cli_durations_accept_units_and_decimals);
	tcase_add_test(tc, test_cli_plain_commands_get_set_del_ttl_ping_info);
	tcase_add_test(tc, test_cli_raw_prints_replies_like_redis_cli);
	tcase_add_test(tc, test_cli_locks_lists_holders_as_table_and_json);
	tcase_add_test(tc, test_cli_cannot_connect_exits_125);
	suite_add_tcase(s, tc);
	return s;
}
