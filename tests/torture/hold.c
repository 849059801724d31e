/* hold.c - marker files: the witness, independent of the daemon, of who is
 * inside a critical section. A holder creates
 * RES.FENCE.PID.START.DPID.LEASE.SEEN in <dir>/holds (O_CREAT|O_EXCL) right
 * after its grant and removes it before it releases, so a marker that exists
 * belongs to a grant not given back yet.
 *
 * Counting them. A directory listing is no snapshot (it can show a marker
 * removed early in the listing next to one created late in it), so only the
 * markers that still exist once it is done count, all at that moment. A
 * marker whose holder cannot hold any more does not count: its process is
 * gone or exiting (a SIGKILL sets PF_EXITING before the kernel closes the
 * socket, so before the daemon can grant again; read after the listing), or
 * it was granted by another daemon instance (restarted since). Of the rest,
 * the largest fence is the latest grant, which the daemon made before its
 * SEEN (when that marker was created). Every other grant came before it and
 * was not given back, so unless it had expired by then it was live at that
 * grant: it counts when its LEASE, the earliest the daemon may expire it
 * (send time + TTL - 1 ms, as clock_ms() truncates), is after that SEEN. The
 * count must stay within 1 for a lock, max for a pool. A holder stopped past
 * its TTL stops counting once a later grant may have replaced it.
 */
#include "hold.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PF_EXITING 0x00000004 /* task flag: do_exit() has begun */

struct marker {
	char res[16];
	long long fence;
	int pid;
	unsigned long long start; /* clock ticks after boot (/proc/PID/stat field 22) */
	int dpid;
	long long lease_ns; /* ns, monotonic */
	long long seen_ns;  /* ns, monotonic: the marker was created */
	char name[160];
};

static void holds_dir(char *buf, size_t size)
{
	snprintf(buf, size, "%s/holds", tt_dir);
}

/* Reads state, flags and start time from /proc/PID/stat. 0, or -1 if the
 * process is gone (or reaped). */
static int proc_stat(pid_t pid, char *state, unsigned long long *flags, unsigned long long *start)
{
	char path[64], buf[1024];
	int fd;
	ssize_t n;
	char *p;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* After the command name: 3 state, 4-8, 9 flags, 10-21, 22 starttime. */
	if (!(p = strrchr(buf, ')')) ||
	    sscanf(
	        p + 2,
	        "%c %*d %*d %*d %*d %*d %llu %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
	        state, flags, start) != 3)
		return -1;
	return 0;
}

unsigned long long hold_proc_start(pid_t pid)
{
	unsigned long long flags, start;
	char state;

	return proc_stat(pid, &state, &flags, &start) == 0 ? start : 0;
}

/* Whether pid is the process that started at start and is not exiting. */
static bool proc_is_live(int pid, unsigned long long start)
{
	unsigned long long flags, st;
	char state;

	if (proc_stat(pid, &state, &flags, &st) != 0)
		return false;
	return state != 'Z' && state != 'X' && state != 'x' && !(flags & PF_EXITING) && st == start;
}

static int marker_parse(const char *name, struct marker *m)
{
	int used = 0;

	if (sscanf(name, "%15[^.].%lld.%d.%llu.%d.%lld.%lld%n", m->res, &m->fence, &m->pid,
	           &m->start, &m->dpid, &m->lease_ns, &m->seen_ns, &used) != 7 ||
	    name[used] != '\0' || strlen(name) >= sizeof m->name)
		return -1;
	strcpy(m->name, name);
	return 0;
}

int hold_enter(struct hold *h, const char *res, long long fence, int64_t lease_ns, pid_t dpid)
{
	static pid_t self_pid;
	static unsigned long long self_start;
	char dir[TT_PATH_MAX + 16];
	int fd;

	holds_dir(dir, sizeof dir);
	snprintf(h->res, sizeof h->res, "%s", res);
	h->dpid = dpid;
	if (self_pid != getpid()) {
		self_pid = getpid();
		self_start = hold_proc_start(self_pid);
	}
	snprintf(h->name, sizeof h->name, "%s.%lld.%d.%llu.%d.%lld.%lld", res, fence, (int)self_pid,
	         self_start, (int)dpid, (long long)lease_ns, (long long)rconn_now_ns());
	snprintf(h->path, sizeof h->path, "%s/%s", dir, h->name);
	fd = open(h->path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0) {
		h->path[0] = '\0';
		if (errno == EEXIST)
			return -2;
		return -1;
	}
	close(fd);
	return 0;
}

/* Keeps the first n markers for which keep() holds; returns how many. */
static size_t markers_filter(struct marker *m, size_t n, const struct hold *h, const char *dir,
                             bool (*keep)(const struct marker *, const struct hold *, const char *))
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i].name, h->name) == 0 || keep(&m[i], h, dir))
			m[k++] = m[i];
	return k;
}

static bool still_there(const struct marker *m, const struct hold *h, const char *dir)
{
	char path[TT_PATH_MAX + 200];

	snprintf(path, sizeof path, "%s/%s", dir, m->name);
	return m->dpid == (int)h->dpid && access(path, F_OK) == 0;
}

static bool holder_alive(const struct marker *m, const struct hold *h, const char *dir)
{
	(void)h;
	(void)dir;
	return proc_is_live(m->pid, m->start);
}

int hold_count(const struct hold *h, char *others, size_t size)
{
	char dir[TT_PATH_MAX + 16];
	struct marker m[TT_SLOTS_MAX + 1];
	size_t rlen = strlen(h->res), n = 0, o = 0, latest = 0;
	int64_t now = rconn_now_ns();
	struct dirent *de;
	int count = 0;
	DIR *d;

	holds_dir(dir, sizeof dir);
	if (others && size)
		others[0] = '\0';
	if (!(d = opendir(dir)))
		return -1;
	while ((de = readdir(d)) && n < sizeof m / sizeof m[0])
		if (strncmp(de->d_name, h->res, rlen) == 0 && de->d_name[rlen] == '.' &&
		    marker_parse(de->d_name, &m[n]) == 0)
			n++;
	closedir(d);
	/* A listing is no snapshot: it may show a marker removed early in it
	 * and one created late. Keep what still exists after it, then ask
	 * about the processes: what is left all held at one moment. */
	n = markers_filter(m, n, h, dir, still_there);
	n = markers_filter(m, n, h, dir, holder_alive);
	for (size_t i = 1; i < n; i++)
		if (m[i].fence > m[latest].fence)
			latest = i;
	for (size_t i = 0; i < n; i++) {
		if (i != latest && m[i].lease_ns <= m[latest].seen_ns)
			continue;
		count++;
		if (others && o + 100 < size)
			o += (size_t)snprintf(
			    others + o, size - o,
			    " [%sfence %lld pid %d, lease in %.1f ms, seen %.1f ms ago]",
			    strcmp(m[i].name, h->name) == 0 ? "self: " : "", m[i].fence, m[i].pid,
			    (double)(m[i].lease_ns - now) / 1e6,
			    (double)(now - m[i].seen_ns) / 1e6);
	}
	return count;
}

void hold_leave(struct hold *h)
{
	if (h->path[0])
		unlink(h->path);
	h->path[0] = '\0';
}

void hold_reap(pid_t pid)
{
	char dir[TT_PATH_MAX + 16], path[TT_PATH_MAX + 300];
	struct dirent *de;
	DIR *d;

	holds_dir(dir, sizeof dir);
	if (!(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		struct marker m;

		if (marker_parse(de->d_name, &m) == 0 && m.pid == (int)pid) {
			snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
			unlink(path);
		}
	}
	closedir(d);
}
