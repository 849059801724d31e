/* persist.c - snapshots on disk: files, rules, the BGSAVE child, loading
 * at start, and the fence floor (persist.h).
 *
 * Fork: the child writes the keyspace as it stood at the fork (memory is
 * copy-on-write) and _exit()s. It never touches the event loop, the
 * sockets, the log or the service manager: the loop's epoll set and signal
 * pipe are shared with the parent, so its signal handlers are reset first,
 * and its result comes back through a pipe and its exit status, which the
 * parent reaps from the loop (SIGCHLD) and logs.
 */
#include "persist.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "grant.h"
#include "log.h"
#include "notify.h"
#include "resp.h"
#include "server.h"
#include "snapshot.h"
#include "store.h"

#define PERSIST_PATH_MAX 4096 /* bytes of dir + "/" + a file name */

static struct persist_stats st = {.last_ok = true, .last_bgsave_s = -1, .child = -1};
static int64_t last_save_ms;	/* ms, monotonic: the last good save (or the start) */
static int64_t last_try_ms;	/* ms, monotonic: the last automatic attempt */
static int64_t dirty_at_fork;	/* st.dirty when the child was forked */
static int child_pipe = -1;	/* read end: the child's error text */
static struct event *ev_child;

static int persist_path(char *buf, const char *suffix, pid_t pid)
{
	int n = pid ? snprintf(buf, PERSIST_PATH_MAX, "%s/%s%s%d", server.cfg.dir,
			       server.cfg.dbfilename, suffix, (int)pid)
		    : snprintf(buf, PERSIST_PATH_MAX, "%s/%s%s", server.cfg.dir,
			       server.cfg.dbfilename, suffix);

	return n > 0 && n < PERSIST_PATH_MAX ? 0 : -1;
}

/* ---- writing a file ---- */

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Writes the snapshot under a temporary name, makes it durable and renames
 * it into place. 0, or -1 with the reason in err (the temporary file is
 * removed; the previous snapshot is untouched). Safe in the child. */
static int persist_write(uint32_t flags, struct snapshot_info *info, char *err)
{
	char tmp[PERSIST_PATH_MAX], path[PERSIST_PATH_MAX];
	const char *step = "creating", *what;
	bool renamed = false;
	int fd;

	if (persist_path(tmp, ".tmp-", getpid()) != 0 || persist_path(path, "", 0) != 0) {
		snprintf(err, PERSIST_ERR_MAX, "the snapshot's path is too long");
		return -1;
	}
	what = tmp;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	step = "writing";
	if (snapshot_write(server.store, fd, flags, info) != 0)
		goto fail;
	step = "syncing";
	if (fsync(fd) != 0)
		goto fail;
	step = "closing";
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	step = "renaming";
	if (rename(tmp, path) != 0)
		goto fail;
	renamed = true;
	step = "syncing the directory of";
	what = path;
	if (fsync_dir(server.cfg.dir) != 0)
		goto fail;
	return 0;
fail:
	snprintf(err, PERSIST_ERR_MAX, "%s %.300s: %s", step, what, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (!renamed)
		unlink(tmp);
	return -1;
}

static void persist_saved(const struct snapshot_info *info, int64_t dirty_then)
{
	st.dirty -= dirty_then;
	st.last_save = time(NULL);
	last_save_ms = clock_ms();
	st.last_ok = true;
	st.saves++;
	if (info)
		st.last_bytes = info->bytes;
}

int persist_save(bool clean, char *err)
{
	struct snapshot_info info;
	int64_t start = clock_ms();

	if (persist_write(clean ? SNAPSHOT_CLEAN : 0, &info, err) != 0) {
		st.last_ok = false;
		log_warning("snapshot failed: %s", err);
		return -1;
	}
	persist_saved(&info, st.dirty);
	log_notice("snapshot saved: %llu keys, %llu bytes in %lld ms", (unsigned long long)info.keys,
		   (unsigned long long)info.bytes, (long long)(clock_ms() - start));
	return 0;
}

/* ---- the background child ---- */

bool persist_bgsave_running(void)
{
	return st.child > 0;
}

void persist_schedule(void)
{
	st.scheduled = true;
}

static void child_run(int fd)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGPIPE};
	char err[PERSIST_ERR_MAX];
	struct snapshot_info info;

	/* libevent's handlers would write to the parent's signal pipe. */
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		signal(sigs[i], SIG_DFL);
	/* Only the result pipe is ours: a listening socket or a client's
	 * connection held here would outlive a killed parent (a new daemon
	 * could not bind, clients would not see their connection close). */
	if (fd > 3)
		close_range(3, (unsigned)fd - 1, 0);
	close_range((unsigned)fd + 1, ~0U, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* Behind the server for the CPU: the snapshot may take longer, the
	 * clients' replies should not. (Refused under a seccomp filter: then
	 * it runs at the server's priority.) */
	if (setpriority(PRIO_PROCESS, 0, PERSIST_CHILD_NICE) != 0)
		errno = 0;
	if (getppid() == 1)
		_exit(2);
	if (persist_write(0, &info, err) == 0) {
		if (write(fd, &info, sizeof info) != (ssize_t)sizeof info)
			_exit(1);
		_exit(0);
	}
	if (write(fd, err, strlen(err)) < 0)
		_exit(3);
	_exit(1);
}

int persist_bgsave(char *err)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(err, PERSIST_ERR_MAX, "pipe: %s", strerror(errno));
		return -1;
	}
	last_try_ms = clock_ms();
	pid = fork();
	if (pid == 0)
		child_run(fds[1]);
	close(fds[1]);
	if (pid < 0) {
		snprintf(err, PERSIST_ERR_MAX, "fork: %s", strerror(errno));
		close(fds[0]);
		st.last_ok = false;
		log_warning("background snapshot not started: %s", err);
		return -1;
	}
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	store_set_child_reads(server.store, true);
	child_pipe = fds[0];
	st.child = pid;
	st.child_start_ms = clock_ms();
	st.scheduled = false;
	dirty_at_fork = st.dirty;
	log_notice("background snapshot started by pid %d", (int)pid);
	return 0;
}

/* The child is gone (status from waitpid): take in its result. */
static void child_done(int status)
{
	char msg[PERSIST_ERR_MAX] = "";
	struct snapshot_info info;
	ssize_t n = read(child_pipe, msg, sizeof msg - 1);
	char tmp[PERSIST_PATH_MAX];

	st.last_bgsave_s = (clock_ms() - st.child_start_ms) / 1000;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && n == (ssize_t)sizeof info) {
		memcpy(&info, msg, sizeof info);
		persist_saved(&info, dirty_at_fork);
		log_notice("background snapshot done: %llu keys, %llu bytes",
			   (unsigned long long)info.keys, (unsigned long long)info.bytes);
	} else {
		st.last_ok = false;
		msg[n > 0 ? n : 0] = '\0';
		if (WIFSIGNALED(status)) {
			snprintf(msg, sizeof msg, "killed by signal %d", WTERMSIG(status));
			if (persist_path(tmp, ".tmp-", st.child) == 0)
				unlink(tmp);
		}
		log_warning("background snapshot failed: %s", msg[0] ? msg : "no reason given");
	}
	close(child_pipe);
	child_pipe = -1;
	st.child = -1;
	store_set_child_reads(server.store, false);
}

static void persist_reap(bool block)
{
	int status;
	pid_t pid;

	if (st.child <= 0)
		return;
	do
		pid = waitpid(st.child, &status, block ? 0 : WNOHANG);
	while (pid < 0 && errno == EINTR);
	if (pid == st.child)
		child_done(status);
}

static void sigchld_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	(void)arg;
	persist_reap(false);
}

int persist_init(struct event_base *base)
{
	st.last_save = time(NULL);
	last_save_ms = clock_ms();
	ev_child = evsignal_new(base, SIGCHLD, sigchld_cb, NULL);
	return ev_child && event_add(ev_child, NULL) == 0 ? 0 : -1;
}

static void persist_kill_child(void)
{
	if (st.child <= 0)
		return;
	kill(st.child, SIGKILL);
	persist_reap(true);
}

void persist_free(void)
{
	persist_kill_child();
	if (ev_child)
		event_free(ev_child);
	ev_child = NULL;
}

/* ---- when to save ---- */

void persist_note_change(void)
{
	st.dirty++;
}

static bool persist_rule_due(int64_t now)
{
	const struct save_rules *r = &server.cfg.save;

	/* After a failure, wait a little before hammering a full disk. */
	if (!st.last_ok && now - last_try_ms < PERSIST_RETRY_MS)
		return false;
	for (size_t i = 0; i < r->n; i++)
		if (st.dirty >= r->r[i].changes && now - last_save_ms > r->r[i].seconds * 1000)
			return true;
	return false;
}

void persist_cron(void)
{
	char err[PERSIST_ERR_MAX];

	persist_reap(false);
	if (st.child > 0 || server.shutting_down)
		return;
	if (st.scheduled || persist_rule_due(clock_ms()))
		persist_bgsave(err);
}

int persist_before_stop(bool save, bool nosave, bool force)
{
	char err[PERSIST_ERR_MAX];

	persist_kill_child();
	if (nosave || (!save && server.cfg.save.n == 0))
		return 0;
	log_notice("saving the final snapshot before exiting");
	if (persist_save(true, err) == 0)
		return 0;
	if (force) {
		log_warning("the final snapshot failed; exiting anyway (FORCE)");
		return 0;
	}
	log_warning("the final snapshot failed: not exiting (SHUTDOWN NOSAVE, or a second "
		    "signal, stops without it)");
	return -1;
}

void persist_after_flushall(void)
{
	char err[PERSIST_ERR_MAX];

	persist_kill_child();
	if (server.cfg.save.n > 0)
		persist_save(false, err);
	st.dirty++;
}

int persist_check_dir(const struct config *c, bool writable, char *err)
{
	struct stat sb;

	if (stat(c->dir, &sb) != 0) {
		snprintf(err, CONFIG_ERR_MAX, "dir '%s': %s", c->dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(err, CONFIG_ERR_MAX, "dir '%s': %s", c->dir, strerror(ENOTDIR));
		return -1;
	}
	if (writable && access(c->dir, W_OK | X_OK) != 0) {
		snprintf(err, CONFIG_ERR_MAX, "dir '%s' is not writable: %s", c->dir,
			 strerror(errno));
		return -1;
	}
	return 0;
}

const struct persist_stats *persist_stats(void)
{
	return &st;
}

/* ---- loading at start ---- */

struct load_progress {
	int64_t last_ms;
	int64_t start_ms;
};

static void load_progress_cb(void *ctx, size_t done, size_t total)
{
	struct load_progress *lp = ctx;
	int64_t now = clock_ms();

	if (now - lp->last_ms < PERSIST_PROGRESS_MS)
		return;
	lp->last_ms = now;
	notify_send("STATUS=loading the snapshot: %zu%% (%zu of %zu MB)",
		    total ? done * 100 / total : 100, done >> 20, total >> 20);
}

/* Renames a file aside: never deletes it. */
static int persist_move_aside(const char *path)
{
	char bad[PERSIST_PATH_MAX + 32];

	snprintf(bad, sizeof bad, "%s.bad-%lld", path, (long long)time(NULL));
	if (rename(path, bad) != 0) {
		if (errno == ENOENT)
			return 0;
		log_warning("--ignore-snapshot: cannot move %s aside: %s", path, strerror(errno));
		return -1;
	}
	log_warning("--ignore-snapshot: moved %s to %s; starting empty", path, bad);
	return 0;
}

/* A clean stop's mark is exact; any other snapshot may have been followed
 * by grants it does not know of. */
uint64_t persist_fence_floor(const struct snapshot_info *info)
{
	if (info->flags & SNAPSHOT_CLEAN)
		return info->fence;
	return info->fence > UINT64_MAX - PERSIST_FENCE_MARGIN ? UINT64_MAX - 1
							     : info->fence + PERSIST_FENCE_MARGIN;
}

static int persist_load_map(const char *path, int fd, size_t size)
{
	struct load_progress lp = {clock_ms(), clock_ms()};
	char err[SNAPIO_ERR_MAX];
	struct snapshot_info info;
	void *map = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	int rc;

	if (size && map == MAP_FAILED) {
		log_warning("cannot map the snapshot %s: %s", path, strerror(errno));
		return -1;
	}
	if (size)
		madvise(map, size, MADV_SEQUENTIAL);
	st.loading = true;
	notify_send("STATUS=loading the snapshot %s", path);
	/* A snapshot is loaded whole, as Redis loads an RDB: maxmemory
	 * applies to what comes after. */
	store_set_maxmemory(server.store, 0, STORE_NOEVICTION);
	rc = snapshot_load(server.store, size ? map : "", size, true, &info, load_progress_cb, &lp,
			   err);
	server_apply_config();
	st.loading = false;
	if (size)
		munmap(map, size);
	if (rc != 0) {
		log_warning("cannot load the snapshot %s: damaged at %s. Nothing was changed on "
			    "disk. To start empty, start once with --ignore-snapshot (the file is "
			    "renamed to %s.bad-<time>, not deleted), or put a good copy in its place",
			    path, err, path);
		return -1;
	}
	grant_fence_raise(persist_fence_floor(&info));
	st.loaded_keys = info.keys;
	st.loaded_expired = info.expired;
	log_notice("snapshot %s loaded: %llu keys (%llu expired and dropped) in %lld ms", path,
		   (unsigned long long)info.keys, (unsigned long long)info.expired,
		   (long long)(clock_ms() - lp.start_ms));
	return 0;
}

int persist_load(bool ignore)
{
	char path[PERSIST_PATH_MAX];
	struct stat sb;
	int fd, rc;

	if (persist_path(path, "", 0) != 0) {
		log_warning("the snapshot's path is too long: %s/%s", server.cfg.dir,
			    server.cfg.dbfilename);
		return -1;
	}
	if (ignore)
		return persist_move_aside(path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			log_verbose("no snapshot at %s: starting empty", path);
			return 0;
		}
		log_warning("cannot open the snapshot %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		log_warning("the snapshot %s is not a regular file", path);
		close(fd);
		return -1;
	}
	rc = persist_load_map(path, fd, (size_t)sb.st_size);
	close(fd);
	st.dirty = 0;
	st.last_save = time(NULL);
	last_save_ms = clock_ms();
	return rc;
}

/* ---- INFO ---- */

void persist_info(struct resp_buf *b)
{
	char path[PERSIST_PATH_MAX];

	if (persist_path(path, "", 0) != 0)
		path[0] = '\0';
	resp_buf_printf(b,
			"# Persistence\r\nloading:%d\r\nasync_loading:0\r\n"
			"rdb_changes_since_last_save:%lld\r\nrdb_bgsave_in_progress:%d\r\n"
			"rdb_last_save_time:%lld\r\nrdb_last_bgsave_status:%s\r\n"
			"rdb_last_bgsave_time_sec:%lld\r\nrdb_current_bgsave_time_sec:%lld\r\n"
			"rdb_saves:%llu\r\nrdb_last_load_keys_expired:%llu\r\n"
			"rdb_last_load_keys_loaded:%llu\r\naof_enabled:0\r\n"
			"aof_rewrite_in_progress:0\r\nsnapshot_file:%s\r\n"
			"snapshot_last_bytes:%llu\r\nsnapshot_bgsave_scheduled:%d\r\n",
			st.loading, (long long)st.dirty, st.child > 0, (long long)st.last_save,
			st.last_ok ? "ok" : "err", (long long)st.last_bgsave_s,
			st.child > 0 ? (long long)((clock_ms() - st.child_start_ms) / 1000) : -1LL,
			(unsigned long long)st.saves, (unsigned long long)st.loaded_expired,
			(unsigned long long)st.loaded_keys, path,
			(unsigned long long)st.last_bytes, st.scheduled);
}
