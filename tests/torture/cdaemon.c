/* cdaemon.c - the cachifyd under test: its generated configuration and the
 * variants a SIGHUP reloads, starting it as a new generation, waiting until
 * it answers, waiting for its exit, and showing its log. Signals are the
 * supervisor's business; this module only starts and waits.
 */
#include "cdaemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define READY_PROBE_US 20000 /* between two readiness probes */
#define LOG_TAIL       3000  /* bytes of the log shown on failure */

/* What SIGHUP reloads cycle through. Nothing here may change what the
 * checks rely on: protocol limits, client-request-timeout, maxclients. */
static const struct {
	const char *loglevel, *hz, *waiters, *obuf;
} variants[] = {
    {"notice", "10", "10000", "8mb"},
    {"warning", "50", "20000", "16mb"},
    {"notice", "100", "5000", "8mb"},
    {"verbose", "20", "10000", "4mb"},
};

static void path_in_dir(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tt_dir, name);
}

int cdaemon_write_config(int variant)
{
	char path[TT_PATH_MAX + 32], tmp[TT_PATH_MAX + 32];
	int v = variant % (int)(sizeof variants / sizeof variants[0]);
	FILE *f;

	path_in_dir(path, sizeof path, "cachifyd.conf");
	path_in_dir(tmp, sizeof tmp, "cachifyd.conf.tmp");
	if (!(f = fopen(tmp, "we")))
		return -1;
	fprintf(f,
	        "# written by build/torture (variant %d); reloaded on SIGHUP\n"
	        "client-request-timeout %ds\n"
	        "timeout 0\n"
	        "maxclients 1024\n"
	        /* hostile.c's argument-count cases are written for 1024,
	         * lower than the default (Redis's: no limit short of 1M) */
	        "proto-max-args 1024\n"
	        "loglevel %s\n"
	        "hz %s\n"
	        "lock-max-waiters %s\n"
	        "client-output-buffer-limit %s\n",
	        v, TT_REQUEST_TIMEOUT, variants[v].loglevel, variants[v].hz, variants[v].waiters,
	        variants[v].obuf);
	if (fclose(f) != 0)
		return -1;
	/* Atomic: a reload never reads half a file. */
	return rename(tmp, path);
}

pid_t cdaemon_spawn(void)
{
	char conf[TT_PATH_MAX + 32], log[TT_PATH_MAX + 32];
	int n = tt_shm->ngens, go[2];
	pid_t parent = getpid(), pid;
	char byte;

	if (n >= TT_GENS_MAX || pipe2(go, O_CLOEXEC) != 0)
		return -1;
	path_in_dir(conf, sizeof conf, "cachifyd.conf");
	path_in_dir(log, sizeof log, "cachifyd.log");
	fflush(NULL);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		const char *argv[] = {tt_opts.cachifyd, conf, "-s", tt_sock, NULL};
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		tt_child_setup(parent);
		/* Wait until the parent has recorded our pid as a generation:
		 * clients map a daemon to its generation by SO_PEERCRED. */
		close(go[1]);
		if (read(go[0], &byte, 1) != 1 || fd < 0 || null < 0)
			_exit(127);
		dup2(null, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		dprintf(2, "torture: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	tt_shm->gens[n].pid = pid;
	__atomic_store_n(&tt_shm->ngens, n + 1, __ATOMIC_SEQ_CST);
	if (write(go[1], "g", 1) != 1)
		pid = -1;
	close(go[1]);
	return pid;
}

/* One probe: PING answered with +PONG. */
static bool probe(void)
{
	struct resp_arg a[] = {{"PING", 4}};
	struct resp_reply *r;
	struct rconn c;
	bool ok = false;

	if (rconn_open(&c, tt_sock) != 0)
		return false;
	if (rconn_send(&c, 1, a) == 0 && rconn_reply(&c, tt_ms(TT_HANG_MS), &r, NULL) == 1) {
		ok = r->type == RESP_STRING && strcmp(r->str, "PONG") == 0;
		resp_reply_free(r);
	}
	rconn_close(&c);
	return ok;
}

int cdaemon_wait_ready(pid_t pid, int timeout_ms, int *status)
{
	int64_t deadline = rconn_now_ns() + (int64_t)timeout_ms * 1000000;

	while (rconn_now_ns() < deadline) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return -1;
		if (probe())
			return 0;
		tt_sleep_us(READY_PROBE_US);
	}
	*status = -1;
	return -1;
}

int cdaemon_wait_exit(pid_t pid, int timeout_ms, int *status)
{
	int64_t deadline = rconn_now_ns() + (int64_t)timeout_ms * 1000000;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if (rconn_now_ns() > deadline)
			return -1;
		tt_sleep_us(10000);
	}
}

void cdaemon_status_str(int status, char *buf, size_t size)
{
	if (status == -1)
		snprintf(buf, size, "still running");
	else if (WIFEXITED(status))
		snprintf(buf, size, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, size, "status 0x%x", status);
}

void cdaemon_log_tail(void)
{
	char path[TT_PATH_MAX + 32], buf[LOG_TAIL + 1];
	int fd;
	off_t end;
	ssize_t n;

	path_in_dir(path, sizeof path, "cachifyd.log");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	lseek(fd, end > LOG_TAIL ? end - LOG_TAIL : 0, SEEK_SET);
	n = read(fd, buf, LOG_TAIL);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		fprintf(stderr, "torture: --- tail of %s ---\n%s\ntorture: ---\n", path, buf);
	}
}
