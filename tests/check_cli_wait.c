/* check_cli_wait.c - cachify's waits and grants under issue 16: the
 * progress report of lock, pool and once (plain lines with -v, one line
 * rewritten in place on a terminal, read through a pty), --on-lost when the
 * lock is deleted or cachifyd dies mid-command, connection names in
 * `cachify locks`, and shared (reader) locks. The last two need the
 * library's and the daemon's halves of the issue and skip, saying so,
 * without them.
 *
 * A holder's command waits for a file the test creates ("go"), so no
 * sleep decides an outcome; the progress report's own period (about 1 s
 * on a terminal, 5 s as lines, the first after 0.3 s) only bounds how long
 * a test waits.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cachify.h"
#include "check_cli.h"
#include "check_suites.h"
#include "harness.h"

/* Issue 16's library (names, shared locks) came with CACHIFY_NAME_MAX; the
 * CLI switches on the same way (client/cli/cli.h). */
#ifdef CACHIFY_NAME_MAX
#define CACHIFY_HAS_SHARED_CLI true
#else
#define CACHIFY_HAS_SHARED_CLI false
#endif

/* A holder's command: mark that it started, wait for "go", print "done". */
#define HOLD_SH "touch %s/started; while [ ! -e %s/go ]; do sleep 0.02; done; echo done"

static char *hold_cmd(char *buf, const struct h_daemon *d)
{
	ck_assert_int_lt(snprintf(buf, SH_MAX, HOLD_SH, d->dir, d->dir), SH_MAX);
	return buf;
}

/* Waits (bounded) until the file at path contains needle. */
static void wait_text(const char *path, const char *needle)
{
	int64_t deadline = h_now_ms() + SLOW(STATE_MS + 6000);

	for (;;) {
		char *s = h_slurp(path, NULL);
		bool found = s && strstr(s, needle);

		if (found) {
			free(s);
			return;
		}
		ck_assert_msg(h_now_ms() < deadline, "'%s' did not appear in %s: %s", needle, path,
		              s ? s : "(none)");
		free(s);
		h_sleep_ms(20);
	}
}

static void go(const struct h_daemon *d)
{
	char path[H_PATH_MAX];

	h_write_file(fpath(path, d, "go"), "");
}

/* ---- progress ------------------------------------------------------------------------ */

START_TEST(test_cli_wait_v_prints_holder_queue_and_time_as_lines)
{
	struct h_daemon *d = start();
	char sh[SH_MAX], err[H_PATH_MAX], started[H_PATH_MAX], want[128], *s;
	pid_t holder, waiter;

	fpath(err, d, "err");
	fpath(started, d, "started");
	holder = spawn_cli(d, NULL, NULL, "lock", "k", "-c", hold_cmd(sh, d), NULL);
	wait_file(started);
	waiter = spawn_cli(d, NULL, err, "lock", "-v", "k", "true", NULL);
	snprintf(want, sizeof want, "for PYC-k-lock: held by pid %d (", (int)holder);
	wait_text(err, want);
	go(d);
	ck_assert_int_eq(reap(holder), 0);
	ck_assert_int_eq(reap(waiter), 0);
	s = slurp(err, NULL);
	/* Plain lines: no carriage return, no escape; the queue and the wait. */
	ck_assert_msg(strncmp(s, "cachify lock: waiting ", 22) == 0, "stderr: %s", s);
	ck_assert_msg(strstr(s, "; 1 waiting, our place <= 1\n"), "stderr: %s", s);
	ck_assert_msg(!strchr(s, '\r') && !strchr(s, '\033'), "stderr: %s", s);
	ck_assert_msg(strstr(s, "cachify lock: got PYC-k-lock (fence "), "stderr: %s", s);
	free(s);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_cli_wait_pool_and_once_report_who_holds_and_quiet_without_v)
{
	struct h_daemon *d = start();
	char sh[SH_MAX], err[H_PATH_MAX], err2[H_PATH_MAX], started[H_PATH_MAX], want[128];
	pid_t holder, waiter, quiet;

	fpath(err, d, "err");
	fpath(err2, d, "err2");
	fpath(started, d, "started");
	holder = spawn_cli(d, NULL, NULL, "pool", "p", "1", "-c", hold_cmd(sh, d), NULL);
	wait_file(started);
	waiter = spawn_cli(d, NULL, err, "pool", "-v", "p", "1", "true", NULL);
	/* Not a terminal, no -v: nothing on stderr. */
	quiet = spawn_cli(d, NULL, err2, "pool", "p", "1", "true", NULL);
	snprintf(want, sizeof want, "for PYC-p-pool: 1/1 slots taken, the oldest by pid %d (",
	         (int)holder);
	wait_text(err, want);
	go(d);
	ck_assert_int_eq(reap(holder), 0);
	ck_assert_int_eq(reap(waiter), 0);
	ck_assert_int_eq(reap(quiet), 0);
	expect_str(err2, "");

	/* once: the waiter reports the run in progress. */
	unlink(started);
	unlink(fpath(sh, d, "go"));
	holder = spawn_cli(d, NULL, NULL, "once", "o", "-c", hold_cmd(sh, d), NULL);
	wait_file(started);
	waiter = spawn_cli(d, NULL, err, "once", "-v", "o", "false", NULL);
	snprintf(want, sizeof want, "cachify once: waiting ");
	wait_text(err, want);
	snprintf(want, sizeof want, "for PYC-o-once: held by pid %d (", (int)holder);
	wait_text(err, want);
	go(d);
	ck_assert_int_eq(reap(holder), 0);
	ck_assert_int_eq(reap(waiter), 0); /* the runner's status, not false's */
	h_daemon_finish(d);
}
END_TEST

/* Runs cachify ARGS with stdin/stdout/stderr on a new pty; *master is the
 * other end. */
static pid_t spawn_on_pty(const struct h_daemon *d, int *master, const char *const *args)
{
	const char *argv[CLI_ARGS_MAX];
	pid_t pid;
	size_t n = 0;

	argv[n++] = cli_path();
	argv[n++] = "-s";
	argv[n++] = d->sock;
	for (size_t i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	fflush(NULL);
	pid = forkpty(master, NULL, NULL, NULL);
	ck_assert_msg(pid >= 0, "forkpty: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Reads the pty into buf until needle has appeared `times` times (or EOF
 * with times 0). Returns the bytes held. */
static size_t read_pty(int fd, char *buf, size_t size, size_t len, const char *needle, int times)
{
	int64_t deadline = h_now_ms() + SLOW(STATE_MS + 6000);

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int seen = 0;
		ssize_t n;

		buf[len] = '\0';
		for (const char *q = buf; needle && (q = strstr(q, needle)); q++)
			seen++;
		if (needle && seen >= times)
			return len;
		ck_assert_msg(h_now_ms() < deadline, "pty: '%s' x%d not seen in: %s",
		              needle ? needle : "EOF", times, buf);
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(fd, buf + len, size - 1 - len);
		if (n <= 0) { /* EIO: the last holder of the pty's other end is gone */
			ck_assert_msg(!needle, "pty closed before '%s': %s", needle, buf);
			return len;
		}
		len += (size_t)n;
		ck_assert_int_lt(len, size - 1);
	}
}

START_TEST(test_cli_wait_on_a_tty_rewrites_one_progress_line_and_clears_it)
{
	static const char *const args[] = {"lock", "k", "true", NULL};
	struct h_daemon *d = start();
	char sh[SH_MAX], started[H_PATH_MAX], buf[16384], want[128];
	const char *last;
	pid_t holder, waiter;
	size_t len;
	int master, status;

	fpath(started, d, "started");
	holder = spawn_cli(d, NULL, NULL, "lock", "k", "-c", hold_cmd(sh, d), NULL);
	wait_file(started);
	waiter = spawn_on_pty(d, &master, args);
	/* Rewritten in place: each report starts with CR and erase-line. */
	len = read_pty(master, buf, sizeof buf, 0, "\r\033[Kcachify lock: waiting ", 2);
	snprintf(want, sizeof want, "for PYC-k-lock: held by pid %d (", (int)holder);
	ck_assert_msg(strstr(buf, want), "pty: %s", buf);
	ck_assert_msg(!strchr(buf, '\n'), "a newline in the progress line: %s", buf);
	go(d);
	ck_assert_int_eq(reap(holder), 0);
	len = read_pty(master, buf, sizeof buf, len, NULL, 0);
	ck_assert_int_eq(waitpid(waiter, &status, 0), waiter);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
	/* The line is cleared once the lock is ours. */
	last = strrchr(buf, '\r');
	ck_assert_msg(last && strcmp(last, "\r\033[K") == 0, "pty ends with: %s", last);
	close(master);
	h_daemon_finish(d);
}
END_TEST

/* ---- --on-lost ------------------------------------------------------------------------ */

/* The holder's stderr says the grant was lost; returns its exit code. */
static int lose_by_del(struct h_daemon *d, const char *mode, const char *cmd, const char *key,
                       const char *fullkey, bool release_after)
{
	struct h_client *c;
	char sh[SH_MAX], err[H_PATH_MAX], started[H_PATH_MAX], onlost[32];
	pid_t pid;
	int code;

	fpath(err, d, "err");
	fpath(started, d, "started");
	unlink(started);
	unlink(fpath(sh, d, "go"));
	snprintf(onlost, sizeof onlost, "--on-lost=%s", mode);
	if (strcmp(cmd, "pool") == 0)
		pid = spawn_cli(d, NULL, err, cmd, onlost, key, "2", "-c", hold_cmd(sh, d), NULL);
	else
		pid = spawn_cli(d, NULL, err, cmd, onlost, key, "-c", hold_cmd(sh, d), NULL);
	wait_file(started);
	c = h_connect(d);
	h_call_int(c, 1, "DEL", fullkey);
	h_close(c);
	wait_text(err, "was lost while the command runs (deleted, expired or released by "
	               "someone else)");
	if (release_after)
		go(d);
	code = reap(pid);
	return code;
}

START_TEST(test_cli_on_lost_fail_warn_kill_when_the_lock_is_deleted)
{
	struct h_daemon *d = start();
	char err[H_PATH_MAX], *s;

	fpath(err, d, "err");
	/* fail (the default): the command ends normally, cachify exits 122. */
	ck_assert_int_eq(lose_by_del(d, "fail", "lock", "k", "PYC-k-lock", true), 122);
	/* warn: the command's own status. */
	ck_assert_int_eq(lose_by_del(d, "warn", "lock", "k", "PYC-k-lock", true), 0);
	/* kill: SIGTERM at once (the command never gets "go"), then 122. */
	ck_assert_int_eq(lose_by_del(d, "kill", "lock", "k", "PYC-k-lock", false), 122);
	s = slurp(err, NULL);
	ck_assert_msg(strstr(s, "cachify lock: PYC-k-lock: the lock was lost while the command "
	                        "runs (deleted, expired or released by someone else): sending "
	                        "it SIGTERM\n"),
	              "stderr: %s", s);
	free(s);
	ck_assert_int_eq(lose_by_del(d, "kill", "pool", "p", "PYC-p-pool", false), 122);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "lock", "--on-lost=maybe", "k", "true", NULL), 2);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "once", "--on-lost=warn", "k", "true", NULL), 2);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_cli_on_lost_fail_when_cachifyd_dies_mid_command)
{
	struct h_daemon *d = start();
	char sh[SH_MAX], err[H_PATH_MAX], started[H_PATH_MAX], *s;
	pid_t pid;

	fpath(err, d, "err");
	fpath(started, d, "started");
	pid = spawn_cli(d, NULL, err, "lock", "k", "-c", hold_cmd(sh, d), NULL);
	wait_file(started);
	h_daemon_kill(d, SIGKILL);
	ck_assert_int_ne(h_daemon_wait_exit(d, SLOW(STATE_MS)), -1);
	wait_text(err, "the lock was lost while the command runs");
	go(d);
	ck_assert_int_eq(reap(pid), 122);
	s = slurp(err, NULL);
	ck_assert_msg(strstr(s, "(cachifyd cannot be reached)"), "stderr: %s", s);
	free(s);
	h_daemon_free(d);
}
END_TEST

/* ---- names and shared locks (issue 16's library and daemon) ---------------------- */

START_TEST(test_cli_locks_shows_the_connection_name)
{
#ifndef CACHIFY_NAME_MAX
	fputs("cli_wait: skipped test_cli_locks_shows_the_connection_name: this libcachify "
	      "has no connection names (CACHIFY_NAME_MAX)\n",
	      stderr);
#else
	struct h_daemon *d = start();
	char sha[SH_MAX], shb[SH_MAX], out[H_PATH_MAX], s1[H_PATH_MAX], s2[H_PATH_MAX], *s;
	pid_t a, b;

	fpath(out, d, "out");
	fpath(s1, d, "s1");
	fpath(s2, d, "s2");
	snprintf(sha, sizeof sha, "touch %s; while [ ! -e %s/go ]; do sleep 0.02; done", s1, d->dir);
	snprintf(shb, sizeof shb, "touch %s; while [ ! -e %s/go ]; do sleep 0.02; done", s2, d->dir);
	/* The default name is the guarded command's; --name replaces it. */
	a = spawn_cli(d, NULL, NULL, "lock", "k1", "sh", "-c", sha, NULL);
	b = spawn_cli(d, NULL, NULL, "--name", "build-42", "lock", "k2", "-c", shb, NULL);
	wait_file(s1);
	wait_file(s2);
	ck_assert_int_eq(run_cli(d, out, NULL, "locks", NULL), 0);
	s = slurp(out, NULL);
	ck_assert_msg(strstr(s, " cachify:sh ") && strstr(s, " build-42 "), "locks: %s", s);
	free(s);
	go(d);
	ck_assert_int_eq(reap(a), 0);
	ck_assert_int_eq(reap(b), 0);
	h_daemon_finish(d);
#endif
}
END_TEST

/* Whether cachifyd takes LOCK.ACQUIRE ... SHARED. */
static bool daemon_has_shared(const struct h_daemon *d)
{
	struct h_client *c = h_connect(d);
	struct resp_reply *r = h_call(c, "LOCK.ACQUIRE", "probe", "SHARED");
	bool yes = r->type == RESP_ARRAY;

	resp_reply_free(r);
	h_close(c); /* the probe's hold ends with its connection */
	return yes;
}

START_TEST(test_cli_shared_locks_admit_readers_together_and_exclude_a_writer)
{
	struct h_daemon *d = start();
	char sh1[SH_MAX], sh2[SH_MAX], r1[H_PATH_MAX], r2[H_PATH_MAX], gofile[H_PATH_MAX];
	pid_t a, b;

	if (!daemon_has_shared(d) || !CACHIFY_HAS_SHARED_CLI) {
		/* Without both halves -s fails cleanly. */
		ck_assert_int_eq(run_cli(d, NULL, NULL, "lock", "-s", "k", "true", NULL), 125);
		fputs("cli_wait: skipped test_cli_shared_locks...: needs issue 16's SHARED in "
		      "cachifyd and shared locks in libcachify\n",
		      stderr);
		h_daemon_finish(d);
		return;
	}
	fpath(r1, d, "r1");
	fpath(r2, d, "r2");
	fpath(gofile, d, "go");
	snprintf(sh1, sizeof sh1, "touch %s; while [ ! -e %s ]; do sleep 0.02; done", r1, gofile);
	snprintf(sh2, sizeof sh2, "touch %s; while [ ! -e %s ]; do sleep 0.02; done", r2, gofile);
	a = spawn_cli(d, NULL, NULL, "lock", "-s", "k", "-c", sh1, NULL);
	b = spawn_cli(d, NULL, NULL, "lock", "--shared", "k", "-c", sh2, NULL);
	/* Both readers run at once. */
	wait_file(r1);
	wait_file(r2);
	/* A writer cannot get in, a third reader can. */
	ck_assert_int_eq(run_cli(d, NULL, NULL, "lock", "-n", "k", "true", NULL), 1);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "lock", "-s", "-n", "k", "true", NULL), 0);
	go(d);
	ck_assert_int_eq(reap(a), 0);
	ck_assert_int_eq(reap(b), 0);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "lock", "-n", "k", "true", NULL), 0);
	h_daemon_finish(d);
}
END_TEST

Suite *cli_wait_suite(void)
{
	Suite *s = suite_create("cli_wait");
	TCase *tc;

	tc = tcase_create("progress");
	tcase_set_timeout(tc, 40 * h_slow());
	tcase_add_test(tc, test_cli_wait_v_prints_holder_queue_and_time_as_lines);
	tcase_add_test(tc, test_cli_wait_pool_and_once_report_who_holds_and_quiet_without_v);
	tcase_add_test(tc, test_cli_wait_on_a_tty_rewrites_one_progress_line_and_clears_it);
	suite_add_tcase(s, tc);

	tc = tcase_create("lost");
	tcase_set_timeout(tc, 60 * h_slow());
	tcase_add_test(tc, test_cli_on_lost_fail_warn_kill_when_the_lock_is_deleted);
	tcase_add_test(tc, test_cli_on_lost_fail_when_cachifyd_dies_mid_command);
	suite_add_tcase(s, tc);

	tc = tcase_create("issue16");
	tcase_set_timeout(tc, 40 * h_slow());
	tcase_add_test(tc, test_cli_locks_shows_the_connection_name);
	tcase_add_test(tc, test_cli_shared_locks_admit_readers_together_and_exclude_a_writer);
	suite_add_tcase(s, tc);
	return s;
}
