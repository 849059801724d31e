/* harness.c - run the real cachifyd for integration tests and talk to it.
 *
 * Owns daemon processes (spawn, readiness, stop, exit status), external
 * programs with a timeout, and blocking test clients built on the RESP
 * codec. Every helper is bounded in time and fails the calling test with
 * the caller's file:line; the tests own what they assert.
 */
#include "harness.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define H_ARGS_MAX	64	   /* arguments passed to a spawned daemon */
#define H_CMD_ARGS_MAX	256	   /* arguments in one h_cmd */
#define H_LOG_TAIL	6000	   /* bytes of the log printed on a failure */
#define H_POLL_MS	5	   /* ms between checks while waiting */

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define H_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define H_SANITIZED 1
#endif
#endif

int h_slow(void)
{
	static int slow;

	if (!slow) {
		const char *env = getenv("CACHIFY_TEST_SLOW");

		slow = env && atoi(env) > 0 ? atoi(env) : 1;
#ifdef H_SANITIZED
		slow *= 3;
#endif
	}
	return slow;
}

int64_t h_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void h_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

const char *h_cachifyd(void)
{
	const char *p = getenv("CACHIFYD");

	ck_assert_msg(p && *p, "CACHIFYD is not set: run the suites through `make check`");
	return p;
}

const char *h_src_path(const char *rel)
{
	static char buf[H_PATH_MAX];
	const char *src = getenv("CACHIFY_SRC");

	ck_assert_msg(src && *src, "CACHIFY_SRC is not set: run the suites through `make check`");
	snprintf(buf, sizeof buf, "%s/%s", src, rel);
	return buf;
}

long h_raise_nofile(long want)
{
	struct rlimit rl;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || (long)rl.rlim_max > want
				      ? (rlim_t)want
				      : rl.rlim_max;
		ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	return rl.rlim_cur == RLIM_INFINITY ? LONG_MAX : (long)rl.rlim_cur;
}

/* ---- processes ---------------------------------------------------------- */

/* In a forked child: die with the test, start from default signals, and
 * take stdin/stdout/stderr from the given paths (NULL = /dev/null). Only
 * async-signal-safe calls. */
static void child_setup(pid_t parent, const char *in, const char *out, const char *err,
			bool append)
{
	int flags = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC);
	sigset_t none;
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(126);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	fd = open(in ? in : "/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, 0) < 0)
		_exit(126);
	close(fd);
	fd = open(out ? out : "/dev/null", flags, 0644);
	if (fd < 0 || dup2(fd, 1) < 0)
		_exit(126);
	close(fd);
	fd = open(err ? err : "/dev/null", flags, 0644);
	if (fd < 0 || dup2(fd, 2) < 0)
		_exit(126);
	close(fd);
}

/* Waits up to timeout_ms for pid: its status, or -1 if still running. */
static int wait_pid(pid_t pid, int timeout_ms)
{
	int64_t deadline = h_now_ms() + timeout_ms;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		ck_assert_msg(r == 0 || errno == EINTR, "waitpid %d: %s", (int)pid,
			      strerror(errno));
		if (h_now_ms() >= deadline)
			return -1;
		h_sleep_ms(H_POLL_MS);
	}
}

int h_exec(const char *const *argv, const char *in_path, const char *out_path,
	   const char *err_path, int timeout_ms)
{
	pid_t parent = getpid(), pid;
	int status;

	fflush(NULL);
	pid = fork();
	ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		child_setup(parent, in_path, out_path, err_path, false);
		execvp(argv[0], (char *const *)argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	status = wait_pid(pid, timeout_ms);
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	return status;
}

char *h_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0;
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(cap);
	ck_assert_ptr_nonnull(buf);
	for (;;) {
		size_t got = fread(buf + n, 1, cap - n - 1, f);

		n += got;
		if (n + 1 < cap)
			break;
		cap *= 2;
		buf = realloc(buf, cap);
		ck_assert_ptr_nonnull(buf);
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

void h_write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "open %s: %s", path, strerror(errno));
	ck_assert_msg(fputs(s, f) >= 0 && fclose(f) == 0, "write %s: %s", path, strerror(errno));
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void h_rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the daemon ---------------------------------------------------------- */

struct h_daemon *h_daemon_new(void)
{
	struct h_daemon *d = calloc(1, sizeof *d);
	const char *tmp = getenv("TMPDIR");

	ck_assert_ptr_nonnull(d);
	d->pid = -1;
	/* sun_path is short: fall back to /tmp if TMPDIR is deep. */
	if (!tmp || !*tmp || strlen(tmp) > 60)
		tmp = "/tmp";
	snprintf(d->dir, sizeof d->dir, "%s/cachify-test.XXXXXX", tmp);
	ck_assert_msg(mkdtemp(d->dir) != NULL, "mkdtemp %s: %s", d->dir, strerror(errno));
	ck_assert_int_lt(snprintf(d->sock, sizeof d->sock, "%s/sock", d->dir), sizeof d->sock);
	ck_assert_int_lt(snprintf(d->log, sizeof d->log, "%s/log", d->dir), sizeof d->log);
	return d;
}

void h_daemon_spawn(struct h_daemon *d, const char *const *args)
{
	const char *argv[H_ARGS_MAX + 4];
	size_t n = 0;
	pid_t parent = getpid();

	ck_assert_msg(d->pid < 0, "h_daemon_spawn: already running");
	argv[n++] = h_cachifyd();
	if (d->sock[0]) {
		argv[n++] = "-s";
		argv[n++] = d->sock;
	}
	for (size_t i = 0; args && args[i]; i++) {
		ck_assert_msg(n < H_ARGS_MAX, "h_daemon_spawn: too many arguments");
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	fflush(NULL);
	d->pid = fork();
	ck_assert_msg(d->pid >= 0, "fork: %s", strerror(errno));
	if (d->pid == 0) {
		child_setup(parent, NULL, NULL, d->log, true);
		execv(argv[0], (char *const *)argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
}

/* One readiness probe: PING and QUIT, then the daemon closes. */
static bool probe(const char *path)
{
	static const char want[] = "+PONG\r\n+OK\r\n";
	char buf[64];
	size_t n = 0;
	int fd = h_connect_fd(path);
	bool ok;

	if (fd < 0)
		return false;
	ok = send(fd, "PING\r\nQUIT\r\n", 12, MSG_NOSIGNAL) == 12;
	while (ok && n < sizeof buf) {
		ssize_t r = read(fd, buf + n, sizeof buf - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	return ok && n == sizeof want - 1 && memcmp(buf, want, n) == 0;
}

void h_daemon_wait_ready(struct h_daemon *d)
{
	int64_t deadline = h_now_ms() + (int64_t)H_READY_TIMEOUT_MS * h_slow();

	ck_assert_msg(d->pid > 0 && d->sock[0], "h_daemon_wait_ready: nothing to wait for");
	for (;;) {
		int status = wait_pid(d->pid, 0);

		if (status != -1) {
			d->pid = -1;
			d->status = status;
			h_log_dump(d);
			ck_abort_msg("cachifyd exited during start-up (status 0x%x); log in %s",
				     status, d->log);
		}
		if (probe(d->sock))
			return;
		if (h_now_ms() >= deadline) {
			h_log_dump(d);
			ck_abort_msg("cachifyd not answering on %s after %d ms", d->sock,
				     H_READY_TIMEOUT_MS * h_slow());
		}
		h_sleep_ms(H_POLL_MS * 2);
	}
}

struct h_daemon *h_daemon_start(const char *arg, ...)
{
	const char *args[H_ARGS_MAX + 1];
	struct h_daemon *d = h_daemon_new();
	size_t n = 0;
	va_list ap;

	va_start(ap, arg);
	for (const char *a = arg; a; a = va_arg(ap, const char *)) {
		ck_assert_msg(n < H_ARGS_MAX, "h_daemon_start: too many arguments");
		args[n++] = a;
	}
	va_end(ap);
	args[n] = NULL;
	h_daemon_spawn(d, args);
	h_daemon_wait_ready(d);
	return d;
}

int h_daemon_wait_exit(struct h_daemon *d, int timeout_ms)
{
	int status;

	if (d->pid < 0)
		return d->status;
	status = wait_pid(d->pid, timeout_ms);
	if (status != -1) {
		d->pid = -1;
		d->status = status;
	}
	return status;
}

void h_daemon_kill(struct h_daemon *d, int sig)
{
	if (d->pid > 0)
		kill(d->pid, sig);
}

int h_daemon_stop(struct h_daemon *d)
{
	int status;

	if (d->pid < 0)
		return d->status;
	kill(d->pid, SIGTERM);
	status = h_daemon_wait_exit(d, H_STOP_TIMEOUT_MS * h_slow());
	if (status == -1) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, &status, 0);
		d->pid = -1;
		d->status = status;
	}
	return status;
}

static void status_fmt(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "wait status 0x%x", status);
}

void h_daemon_finish_at(const char *file, int line, struct h_daemon *d)
{
	if (d->pid > 0) {
		int status = h_daemon_stop(d);
		char what[80];

		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			status_fmt(status, what, sizeof what);
			h_log_dump(d);
			ck_abort_msg("%s:%d: cachifyd did not stop cleanly on SIGTERM: %s; log in %s",
				     file, line, what, d->log);
		}
	}
	h_daemon_free(d);
}

void h_daemon_free(struct h_daemon *d)
{
	if (!d)
		return;
	if (d->pid > 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
	}
	h_rm_rf(d->dir);
	free(d);
}

char *h_daemon_log(const struct h_daemon *d)
{
	char *s = h_slurp(d->log, NULL);

	if (!s) {
		s = strdup("");
		ck_assert_ptr_nonnull(s);
	}
	return s;
}

bool h_log_wait(const struct h_daemon *d, const char *needle, int timeout_ms)
{
	int64_t deadline = h_now_ms() + timeout_ms;

	for (;;) {
		char *s = h_daemon_log(d);
		bool found = strstr(s, needle) != NULL;

		free(s);
		if (found)
			return true;
		if (h_now_ms() >= deadline)
			return false;
		h_sleep_ms(H_POLL_MS * 4);
	}
}

void h_log_dump(const struct h_daemon *d)
{
	size_t len;
	char *s = h_slurp(d->log, &len);

	if (!s)
		return;
	fprintf(stderr, "---- cachifyd log %s (last %d bytes) ----\n%s\n---- end of log ----\n",
		d->log, H_LOG_TAIL, len > H_LOG_TAIL ? s + len - H_LOG_TAIL : s);
	free(s);
}

/* ---- clients ------------------------------------------------------------- */

static void fd_timeouts(int fd, int timeout_ms)
{
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

int h_connect_fd(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, err;

	if (strlen(path) >= sizeof sa.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	fd_timeouts(fd, H_TIMEOUT_MS * h_slow());
	while (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		if (errno == EINTR)
			continue;
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

struct h_client *h_connect_path(const char *path)
{
	struct h_client *c = calloc(1, sizeof *c);

	ck_assert_ptr_nonnull(c);
	c->fd = h_connect_fd(path);
	ck_assert_msg(c->fd >= 0, "connect %s: %s", path, strerror(errno));
	c->timeout_ms = H_TIMEOUT_MS * h_slow();
	resp_reader_init(&c->rd);
	snprintf(c->where, sizeof c->where, "%s", path);
	return c;
}

struct h_client *h_connect(const struct h_daemon *d)
{
	return h_connect_path(d->sock);
}

void h_set_timeout(struct h_client *c, int timeout_ms)
{
	c->timeout_ms = timeout_ms;
	fd_timeouts(c->fd, timeout_ms);
}

void h_close(struct h_client *c)
{
	if (!c)
		return;
	close(c->fd);
	resp_reader_free(&c->rd);
	free(c);
}

bool h_try_send(struct h_client *c, const void *p, size_t n)
{
	const char *s = p;

	while (n > 0) {
		ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		s += w;
		n -= (size_t)w;
	}
	return true;
}

void h_send_at(const char *file, int line, struct h_client *c, const void *p, size_t n)
{
	ck_assert_msg(h_try_send(c, p, n), "%s:%d: send %zu bytes to %s: %s", file, line, n,
		      c->where, strerror(errno));
}

void h_cmdv(struct h_client *c, int argc, const struct resp_arg *argv)
{
	struct resp_buf b;

	resp_buf_init(&b);
	ck_assert_int_eq(resp_add_command(&b, argc, argv), 0);
	h_send(c, b.data, b.len);
	resp_buf_free(&b);
}

static void cmd_va(const char *file, int line, struct h_client *c, va_list ap)
{
	struct resp_arg argv[H_CMD_ARGS_MAX];
	struct resp_buf b;
	int argc = 0;

	for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *)) {
		ck_assert_msg(argc < H_CMD_ARGS_MAX, "%s:%d: h_cmd: too many arguments", file, line);
		argv[argc].ptr = a;
		argv[argc].len = strlen(a);
		argc++;
	}
	ck_assert_msg(argc > 0, "%s:%d: h_cmd: empty command", file, line);
	resp_buf_init(&b);
	ck_assert_int_eq(resp_add_command(&b, argc, argv), 0);
	h_send_at(file, line, c, b.data, b.len);
	resp_buf_free(&b);
}

void h_cmd_at(const char *file, int line, struct h_client *c, ...)
{
	va_list ap;

	va_start(ap, c);
	cmd_va(file, line, c, ap);
	va_end(ap);
}

/* One reply: 1 (*out set), 0 on EOF or reset, -1 with *why on anything else. */
static int reply_read(struct h_client *c, struct resp_reply **out, const char **why)
{
	char buf[64 * 1024];

	for (;;) {
		ssize_t n;
		int rc = resp_reader_get(&c->rd, out);

		if (rc == 1)
			return 1;
		if (rc < 0) {
			*why = c->rd.err ? c->rd.err : "reply reader error";
			return -1;
		}
		n = read(c->fd, buf, sizeof buf);
		if (n > 0) {
			ck_assert_int_eq(resp_reader_feed(&c->rd, buf, (size_t)n), 0);
			continue;
		}
		if (n == 0 || errno == ECONNRESET) {
			*why = "connection closed";
			return 0;
		}
		if (errno == EINTR)
			continue;
		*why = errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : strerror(errno);
		return -1;
	}
}

int h_try_reply(struct h_client *c, struct resp_reply **out)
{
	const char *why;

	*out = NULL;
	return reply_read(c, out, &why);
}

struct resp_reply *h_reply_at(const char *file, int line, struct h_client *c)
{
	struct resp_reply *r = NULL;
	const char *why = "";
	int rc = reply_read(c, &r, &why);

	ck_assert_msg(rc == 1, "%s:%d: no reply from %s: %s", file, line, c->where, why);
	return r;
}

struct resp_reply *h_call_at(const char *file, int line, struct h_client *c, ...)
{
	va_list ap;

	va_start(ap, c);
	cmd_va(file, line, c, ap);
	va_end(ap);
	return h_reply_at(file, line, c);
}

long long h_info_ll_at(const char *file, int line, struct h_client *c, const char *section,
		       const char *field)
{
	/* A NULL section ends the arguments at once: plain INFO. */
	struct resp_reply *r = h_call_at(file, line, c, "INFO", section, (const char *)NULL);
	char key[128];
	const char *p;
	long long v;

	ck_assert_msg(r->type == RESP_BULK, "%s:%d: INFO %s is not a bulk string", file, line,
		      section ? section : "");
	snprintf(key, sizeof key, "\r\n%s:", field);
	p = strstr(r->str, key);
	ck_assert_msg(p != NULL, "%s:%d: INFO %s has no %s field:\n%s", file, line,
		      section ? section : "", field, r->str);
	v = strtoll(p + strlen(key), NULL, 10);
	resp_reply_free(r);
	return v;
}

long long h_call_ll_at(const char *file, int line, struct h_client *c, ...)
{
	struct resp_reply *r;
	char got[256];
	long long v;
	va_list ap;

	va_start(ap, c);
	cmd_va(file, line, c, ap);
	va_end(ap);
	r = h_reply_at(file, line, c);
	h_reply_fmt(r, got, sizeof got);
	ck_assert_msg(r->type == RESP_INTEGER, "%s:%d: expected an integer, got %s", file, line,
		      got);
	v = r->integer;
	resp_reply_free(r);
	return v;
}

void h_read_exact_at(const char *file, int line, struct h_client *c, void *buf, size_t n)
{
	char *p = buf;
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(c->fd, p + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		ck_assert_msg(r > 0, "%s:%d: read from %s: %s after %zu of %zu bytes", file, line,
			      c->where, r == 0 ? "EOF" : strerror(errno), got, n);
		got += (size_t)r;
	}
}

bool h_read_until_eof(struct h_client *c, int timeout_ms, size_t *nread)
{
	int64_t deadline = h_now_ms() + timeout_ms;
	char buf[64 * 1024];
	size_t total = 0;
	bool closed = false;

	for (;;) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		int64_t left = deadline - h_now_ms();
		ssize_t n;
		int rc;

		if (left <= 0)
			break;
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			break;
		n = read(c->fd, buf, sizeof buf);
		if (n > 0) {
			total += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		closed = n == 0 || errno == ECONNRESET;
		break;
	}
	if (nread)
		*nread = total;
	return closed;
}

bool h_is_quiet(struct h_client *c, int ms)
{
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
	int rc;

	while ((rc = poll(&pfd, 1, ms)) < 0 && errno == EINTR)
		;
	return rc == 0;
}

/* ---- replies ------------------------------------------------------------- */

struct fmt {
	char *buf;
	size_t size, n;
};

static void fmt_add(struct fmt *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fmt_add(struct fmt *f, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (f->n + 1 >= f->size)
		return;
	va_start(ap, fmt);
	w = vsnprintf(f->buf + f->n, f->size - f->n, fmt, ap);
	va_end(ap);
	if (w > 0)
		f->n = f->n + (size_t)w < f->size ? f->n + (size_t)w : f->size - 1;
}

static void fmt_str(struct fmt *f, const char *s, size_t len)
{
	fmt_add(f, "\"");
	for (size_t i = 0; i < len && f->n + 8 < f->size; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			fmt_add(f, "\\%c", ch);
		else if (ch >= 0x20 && ch < 0x7f)
			fmt_add(f, "%c", ch);
		else
			fmt_add(f, "\\x%02x", ch);
	}
	fmt_add(f, "\"");
}

static void fmt_reply(struct fmt *f, const struct resp_reply *r)
{
	switch (r->type) {
	case RESP_STRING:
		fmt_add(f, "+%.*s", (int)r->len, r->str);
		break;
	case RESP_ERROR:
		fmt_add(f, "(error) %.*s", (int)r->len, r->str);
		break;
	case RESP_INTEGER:
		fmt_add(f, "(integer) %lld", r->integer);
		break;
	case RESP_BULK:
		fmt_str(f, r->str, r->len);
		break;
	case RESP_NIL:
		fmt_add(f, "(nil)");
		break;
	case RESP_ARRAY:
		fmt_add(f, "[");
		for (size_t i = 0; i < r->elements; i++) {
			if (i)
				fmt_add(f, ", ");
			fmt_reply(f, r->element[i]);
		}
		fmt_add(f, "]");
		break;
	default:
		fmt_add(f, "(type %d)", (int)r->type);
		break;
	}
}

void h_reply_fmt(const struct resp_reply *r, char *buf, size_t size)
{
	struct fmt f = {buf, size, 0};

	if (size == 0)
		return;
	buf[0] = '\0';
	fmt_reply(&f, r);
}

#define GOT_MAX 512 /* bytes of a reply quoted in a failure message */

void h_expect_status_at(const char *file, int line, struct h_client *c, const char *s)
{
	struct resp_reply *r = h_reply_at(file, line, c);
	char got[GOT_MAX];
	bool ok = r->type == RESP_STRING && r->len == strlen(s) && memcmp(r->str, s, r->len) == 0;

	h_reply_fmt(r, got, sizeof got);
	resp_reply_free(r);
	ck_assert_msg(ok, "%s:%d: expected +%s, got %s", file, line, s, got);
}

void h_expect_error_at(const char *file, int line, struct h_client *c, const char *prefix)
{
	struct resp_reply *r = h_reply_at(file, line, c);
	char got[GOT_MAX];
	bool ok = r->type == RESP_ERROR && r->len >= strlen(prefix) &&
		  memcmp(r->str, prefix, strlen(prefix)) == 0;

	h_reply_fmt(r, got, sizeof got);
	resp_reply_free(r);
	ck_assert_msg(ok, "%s:%d: expected an error starting with '%s', got %s", file, line,
		      prefix, got);
}

void h_expect_error_is_at(const char *file, int line, struct h_client *c, const char *s)
{
	struct resp_reply *r = h_reply_at(file, line, c);
	char got[GOT_MAX];
	bool ok = r->type == RESP_ERROR && r->len == strlen(s) && memcmp(r->str, s, r->len) == 0;

	h_reply_fmt(r, got, sizeof got);
	resp_reply_free(r);
	ck_assert_msg(ok, "%s:%d: expected the error '%s', got %s", file, line, s, got);
}

void h_expect_int_at(const char *file, int line, struct h_client *c, long long v)
{
	struct resp_reply *r = h_reply_at(file, line, c);
	char got[GOT_MAX];
	bool ok = r->type == RESP_INTEGER && r->integer == v;

	h_reply_fmt(r, got, sizeof got);
	resp_reply_free(r);
	ck_assert_msg(ok, "%s:%d: expected (integer) %lld, got %s", file, line, v, got);
}

void h_expect_bulkn_at(const char *file, int line, struct h_client *c, const void *p, size_t n)
{
	struct resp_reply *r = h_reply_at(file, line, c);
	char got[GOT_MAX], want[GOT_MAX];
	struct fmt f = {want, sizeof want, 0};
	bool ok = r->type == RESP_BULK && r->len == n && memcmp(r->str, p, n) == 0;

	want[0] = '\0';
	fmt_str(&f, p, n);
	h_reply_fmt(r, got, sizeof got);
	resp_reply_free(r);
	ck_assert_msg(ok, "%s:%d: expected %s, got %s", file, line, want, got);
}

void h_expect_nil_at(const char *file, int line, struct h_client *c)
{
	struct resp_reply *r = h_reply_at(file, line, c);
	char got[GOT_MAX];
	bool ok = r->type == RESP_NIL;

	h_reply_fmt(r, got, sizeof got);
	resp_reply_free(r);
	ck_assert_msg(ok, "%s:%d: expected (nil), got %s", file, line, got);
}
