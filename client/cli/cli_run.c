/* cli_run.c - running the user's command for lock, once, pool and cached:
 * fork/exec (a shell only for -c), the environment additions, signal
 * forwarding, exit codes (128+N for a signal, 126/127 when it cannot
 * start), and capturing stdout/stderr for cached. What is held while the
 * child runs is the caller's business.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

#define CLI_CAPTURE_MAX ((size_t)256 << 20) /* bytes kept per stream for the cache */
#define CLI_READ_CHUNK  65536               /* bytes per read from a capture pipe */

extern char **environ;

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP};
#define NFORWARDED (sizeof forwarded / sizeof forwarded[0])

static volatile sig_atomic_t child_pid;  /* the running child, or 0 */
/* Held by cli_run_signal (another thread) while it signals child_pid, and
 * by the main thread while it clears child_pid before reaping: a signal
 * never reaches a recycled pid. */
static pthread_mutex_t child_mu = PTHREAD_MUTEX_INITIALIZER;
static int pending_sig; /* cli_run_signal before the child started (child_mu) */
static volatile sig_atomic_t got_signal; /* the last forwarded signal, or 0 */

static void forward_cb(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_signal = sig;
	/* A terminal's ^C or hangup (sent by the kernel) already reached the
	 * child, which shares our process group; forward only what a process
	 * sent to us alone. */
	if (si && si->si_code == SI_KERNEL)
		return;
	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
}

static void set_forwarding(bool on)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	if (on) {
		sa.sa_sigaction = forward_cb;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
	} else {
		sa.sa_handler = SIG_DFL;
	}
	for (size_t i = 0; i < NFORWARDED; i++)
		sigaction(forwarded[i], &sa, NULL);
}

static void block_forwarded(int how, sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < NFORWARDED; i++)
		sigaddset(&set, forwarded[i]);
	sigprocmask(how, &set, old);
}

/* environ without our names, plus the additions: new (free the strings
 * from index first_new, then the array). NULL when out of memory. */
static char **child_env(const struct cli_run *r, size_t *first_new)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ && environ[n])
		n++;
	env = calloc(n + 5, sizeof *env);
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		bool ours = false;

		for (size_t j = 0; j < 4 && r->env[j][0]; j++) {
			size_t len = strlen(r->env[j][0]);

			if (strncmp(environ[i], r->env[j][0], len) == 0 && environ[i][len] == '=')
				ours = true;
		}
		if (!ours)
			env[k++] = environ[i];
	}
	*first_new = k;
	for (size_t j = 0; j < 4 && r->env[j][0]; j++) {
		size_t len = strlen(r->env[j][0]) + strlen(r->env[j][1]) + 2;

		env[k] = malloc(len);
		if (!env[k])
			goto fail;
		snprintf(env[k++], len, "%s=%s", r->env[j][0], r->env[j][1]);
	}
	return env;
fail:
	for (size_t i = *first_new; i < k; i++)
		free(env[i]);
	free(env);
	return NULL;
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void child_exec(pid_t parent, char *const *argv, char *const *env, int errfd,
                       const int out[2], const int err[2])
{
	sigset_t none;
	int e;

	for (size_t i = 0; i < NFORWARDED; i++)
		signal(forwarded[i], SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Our lock dies with our connection: the command must not outlive
	 * it unprotected. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(CLI_EXIT_FAIL);
	if (out[1] >= 0 && (dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0))
		_exit(CLI_EXIT_FAIL);
	execvpe(argv[0], argv, env);
	e = errno;
	if (write(errfd, &e, sizeof e) < 0)
		_exit(CLI_EXIT_FAIL);
	_exit(CLI_EXIT_NOTFOUND);
}

/* Reads what the capture pipes hold until both reach EOF, keeping it in
 * r->out/r->err and copying it to our stdout/stderr when r->tee. */
static int capture(struct cli_run *r, int outfd, int errfd)
{
	struct pollfd p[2] = {{.fd = outfd, .events = POLLIN}, {.fd = errfd, .events = POLLIN}};
	struct cli_buf *bufs[2] = {&r->out, &r->err};
	bool tee_ok[2] = {r->tee, r->tee};
	char *chunk = malloc(CLI_READ_CHUNK);

	if (!chunk)
		return -1;
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			free(chunk);
			return -1;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (p[i].fd < 0 || !p[i].revents)
				continue;
			n = read(p[i].fd, chunk, CLI_READ_CHUNK);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				p[i].fd = -1; /* closed by the caller */
				continue;
			}
			if (tee_ok[i] && cli_write_all(i + 1, chunk, (size_t)n) != 0)
				tee_ok[i] = false; /* our reader left: keep capturing */
			if (bufs[i]->len + (size_t)n > CLI_CAPTURE_MAX)
				r->overflow = true;
			else if (cli_buf_add(bufs[i], chunk, (size_t)n) != 0)
				r->overflow = true;
		}
	}
	free(chunk);
	return 0;
}

static void close_end(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void close_pair(int p[2])
{
	close_end(&p[0]);
	close_end(&p[1]);
}

int cli_run_child(struct cli *g, struct cli_run *r)
{
	char *shell_argv[] = {CLI_SHELL, "-c", (char *)r->cmd->shell, NULL};
	char *const *argv = r->cmd->shell ? shell_argv : r->cmd->argv;
	int errp[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
	pid_t parent = getpid(), pid;
	size_t first_new = 0;
	char **env = child_env(r, &first_new);
	sigset_t old;
	ssize_t n;
	int e = 0;

	r->exec_errno = 0;
	r->signalled = 0;
	if (!env) {
		cli_warn(g, "out of memory");
		r->exit_code = CLI_EXIT_FAIL;
		return CLI_EXIT_FAIL;
	}
	if (pipe2(errp, O_CLOEXEC) != 0 ||
	    (r->capture && (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0))) {
		cli_warn(g, "pipe: %s", strerror(errno));
		goto fail;
	}
	got_signal = 0;
	set_forwarding(true);
	/* Signals wait until the child's pid is known, so none is lost. */
	block_forwarded(SIG_BLOCK, &old);
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		child_exec(parent, argv, env, errp[1], out, err);
	if (pid > 0) {
		pthread_mutex_lock(&child_mu);
		child_pid = pid;
		if (pending_sig)
			kill(pid, pending_sig);
		pthread_mutex_unlock(&child_mu);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		cli_warn(g, "fork: %s", strerror(errno));
		set_forwarding(false);
		goto fail;
	}
	/* Our copies of the write ends go, so EOF comes when the child's do. */
	close_end(&errp[1]);
	close_end(&out[1]);
	close_end(&err[1]);

	/* EOF on the CLOEXEC pipe: the exec worked. An errno: it did not. */
	do
		n = read(errp[0], &e, sizeof e);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof e)
		r->exec_errno = e ? e : ENOEXEC;
	if (!r->exec_errno && r->capture && capture(r, out[0], err[0]) != 0)
		cli_warn(g, "reading the command's output: %s", strerror(errno));
	close_pair(out);
	close_pair(err);
	/* Wait without reaping, stop forwarding, then reap: a signal can
	 * never be forwarded to a recycled pid. */
	{
		siginfo_t si;

		while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
			;
	}
	pthread_mutex_lock(&child_mu);
	child_pid = 0;
	pthread_mutex_unlock(&child_mu);
	while (waitpid(pid, &r->wstatus, 0) < 0)
		if (errno != EINTR) {
			cli_warn(g, "waitpid: %s", strerror(errno));
			r->wstatus = CLI_EXIT_FAIL << 8;
			break;
		}
	set_forwarding(false);
	r->signalled = got_signal;
	close_pair(errp);
	for (size_t i = first_new; env[i]; i++)
		free(env[i]);
	free(env);

	if (r->exec_errno) {
		cli_warn(g, "%s: %s", argv[0], strerror(r->exec_errno));
		r->exit_code = r->exec_errno == ENOENT ? CLI_EXIT_NOTFOUND : CLI_EXIT_NOEXEC;
		return r->exit_code;
	}
	if (WIFSIGNALED(r->wstatus))
		r->exit_code = 128 + WTERMSIG(r->wstatus);
	else
		r->exit_code = WEXITSTATUS(r->wstatus);
	return r->exit_code;

fail:
	close_pair(errp);
	close_pair(out);
	close_pair(err);
	for (size_t i = first_new; env[i]; i++)
		free(env[i]);
	free(env);
	r->exit_code = CLI_EXIT_FAIL;
	return CLI_EXIT_FAIL;
}

void cli_run_signal(int sig)
{
	pthread_mutex_lock(&child_mu);
	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
	else
		pending_sig = sig;
	pthread_mutex_unlock(&child_mu);
}

void cli_run_free(struct cli_run *r)
{
	cli_buf_free(&r->out);
	cli_buf_free(&r->err);
}
