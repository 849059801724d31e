/* check_cli_util.c - running the built cachify ($CACHIFY_CLI) for the
 * check_cli*.c suites: spawn it on a daemon's socket with files for its
 * stdin/stdout/stderr, reap it within a bound, read what it wrote, and
 * wait for states (a file, blocked clients) without sleeps that define
 * behaviour. Declared in check_cli.h.
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
#include "harness.h"

/* ---- running cachify -------------------------------------------------------- */

const char *cli_path(void)
{
	const char *p = getenv("CACHIFY_CLI");

	ck_assert_msg(p && *p, "CACHIFY_CLI is not set: run the suites through `make check`");
	return p;
}

/* d->dir/name in buf. */
char *fpath(char *buf, const struct h_daemon *d, const char *name)
{
	ck_assert_int_lt(snprintf(buf, H_PATH_MAX, "%s/%s", d->dir, name), H_PATH_MAX);
	return buf;
}

static void redirect(int fd, const char *path, int flags)
{
	int f = open(path ? path : "/dev/null", flags, 0644);

	if (f < 0 || dup2(f, fd) < 0)
		_exit(126);
	close(f);
}

/* Starts cachify -s SOCK args... (NULL-terminated) with stdin from in and
 * stdout/stderr to out/err (NULL: /dev/null). sock NULL: no -s. */
pid_t spawn_argv(const char *sock, const char *in, const char *out, const char *err,
                        const char *const *args)
{
	const char *argv[CLI_ARGS_MAX + 4];
	pid_t parent = getpid(), pid;
	size_t n = 0;

	argv[n++] = cli_path();
	if (sock) {
		argv[n++] = "-s";
		argv[n++] = sock;
	}
	for (size_t i = 0; args[i]; i++) {
		ck_assert_int_lt(n, CLI_ARGS_MAX);
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	fflush(NULL);
	pid = fork();
	ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		sigset_t none;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(126);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (int sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				signal(sig, SIG_DFL);
		redirect(0, in, O_RDONLY);
		redirect(1, out, O_WRONLY | O_CREAT | O_TRUNC);
		redirect(2, err, O_WRONLY | O_CREAT | O_TRUNC);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static pid_t spawn_va(const struct h_daemon *d, const char *out, const char *err, va_list ap)
{
	const char *args[CLI_ARGS_MAX + 1];
	size_t n = 0;

	for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *)) {
		ck_assert_int_lt(n, CLI_ARGS_MAX);
		args[n++] = a;
	}
	args[n] = NULL;
	return spawn_argv(d->sock, NULL, out, err, args);
}

/* cachify -s SOCK ..., started and left running. */
pid_t spawn_cli(const struct h_daemon *d, const char *out, const char *err, ...)
{
	va_list ap;
	pid_t pid;

	va_start(ap, err);
	pid = spawn_va(d, out, err, ap);
	va_end(ap);
	return pid;
}

/* Waits for pid (bounded; a hang kills it and fails the test): its exit
 * code, or 1000 + N if a signal N killed it. */
int reap(pid_t pid)
{
	int64_t deadline = h_now_ms() + SLOW(RUN_MS);
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		ck_assert_msg(r == 0 || errno == EINTR, "waitpid: %s", strerror(errno));
		if (h_now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			ck_abort_msg("cachify (pid %d) still running after %d ms", (int)pid,
			             SLOW(RUN_MS));
		}
		h_sleep_ms(POLL_MS);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

/* Runs cachify -s SOCK ... to its end: its exit code. */
int run_cli(const struct h_daemon *d, const char *out, const char *err, ...)
{
	va_list ap;
	pid_t pid;

	va_start(ap, err);
	pid = spawn_va(d, out, err, ap);
	va_end(ap);
	return reap(pid);
}

char *slurp(const char *path, size_t *len)
{
	char *s = h_slurp(path, len);

	ck_assert_msg(s != NULL, "cannot read %s", path);
	return s;
}

void expect_file(const char *path, const char *want, size_t wlen)
{
	size_t len;
	char *s = slurp(path, &len);

	ck_assert_msg(len == wlen && memcmp(s, want, len) == 0, "%s: got %zu bytes '%s', want '%s'",
	              path, len, s, want);
	free(s);
}


int count_lines(const char *path)
{
	size_t len;
	char *s = h_slurp(path, &len);
	int n = 0;

	for (size_t i = 0; s && i < len; i++)
		n += s[i] == '\n';
	free(s);
	return n;
}

bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

void wait_file(const char *path)
{
	int64_t deadline = h_now_ms() + SLOW(STATE_MS);

	while (!exists(path)) {
		ck_assert_msg(h_now_ms() < deadline, "%s did not appear", path);
		h_sleep_ms(POLL_MS);
	}
}

/* Waits until exactly n clients are blocked in a server-side wait. */
void wait_blocked(const struct h_daemon *d, int n)
{
	int64_t deadline = h_now_ms() + SLOW(STATE_MS);
	int got = -1;

	for (;;) {
		struct h_client *c = h_connect(d);
		struct resp_reply *r = h_call(c, "CLIENT", "LIST");

		got = 0;
		ck_assert_int_eq(r->type, RESP_BULK);
		for (const char *p = r->str; (p = strstr(p, " flags=b")); p++)
			got++;
		resp_reply_free(r);
		h_close(c);
		if (got == n)
			return;
		ck_assert_msg(h_now_ms() < deadline, "%d clients blocked, want %d", got, n);
		h_sleep_ms(POLL_MS);
	}
}

struct h_daemon *start(void)
{
	return h_daemon_start("--loglevel", "warning", NULL);
}

