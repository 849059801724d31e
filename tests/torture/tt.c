/* tt.c - what every process of the torture run shares: the scoreboard's
 * counters and violation messages, seeded random numbers, connecting to
 * whichever daemon generation is up, and small process helpers.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "torture.h"

#define TT_CONNECT_RETRY_US 5000 /* between connects while the daemon is down */

struct tt_opts tt_opts;
struct tt_shm *tt_shm;
char tt_dir[TT_PATH_MAX];
char tt_sock[108];

static const char *const inv_names[INV_COUNT] = {
    [INV_OVERLAP] = "lock holders overlap",
    [INV_POOL_MAX] = "pool holders <= max",
    [INV_CHECK] = "daemon confirms the holder",
    [INV_OWNER] = "release/renew by holder",
    [INV_FENCE_ORDER] = "fences rise per key",
    [INV_FENCE_UNIQUE] = "fences and ids unique",
    [INV_HANG] = "no waiter lost",
    [INV_EARLY_TIMEOUT] = "no early -TIMEOUT",
    [INV_REPLY] = "replies allowed",
    [INV_INFO] = "INFO grant identity",
    [INV_CONSERVE] = "INFO vs clients (final)",
    [INV_LEFTOVER] = "nothing left at the end",
    [INV_ALIVE] = "daemon answers PING",
    [INV_HOSTILE] = "bad input answered right",
    [INV_RSS] = "daemon RSS bounded",
    [INV_SHUTDOWN] = "SIGTERM answers waiters",
    [INV_PROGRESS] = "run finished in time",
    [INV_INTERNAL] = "torture itself healthy",
};

const char *tt_inv_name(enum tt_inv inv)
{
	return inv_names[inv];
}

void tt_add(uint64_t *counter, uint64_t n)
{
	__atomic_add_fetch(counter, n, __ATOMIC_SEQ_CST);
}

int tt_load(const int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

void tt_checked(enum tt_inv inv, uint64_t n)
{
	tt_add(&tt_shm->checked[inv], n);
}

void tt_violation(enum tt_inv inv, const char *fmt, ...)
{
	uint64_t n = __atomic_fetch_add(&tt_shm->viol[inv], 1, __ATOMIC_SEQ_CST);
	char msg[1024];
	int len;
	va_list ap;

	if (n >= TT_VIOLATIONS_SHOWN)
		return;
	len = snprintf(msg, sizeof msg, "torture: VIOLATION [%s] pid %d: ", inv_names[inv],
	               (int)getpid());
	va_start(ap, fmt);
	len += vsnprintf(msg + len, sizeof msg - (size_t)len - 1, fmt, ap);
	va_end(ap);
	if (len > (int)sizeof msg - 2)
		len = (int)sizeof msg - 2;
	msg[len++] = '\n';
	/* One write: lines from many processes do not interleave. */
	if (write(2, msg, (size_t)len) < 0)
		return;
}

int tt_ms(int ms)
{
	return ms * tt_opts.slow;
}

void tt_sleep_us(long us)
{
	struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t tt_seed_for(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t s = tt_opts.seed;

	s ^= splitmix(&a);
	s ^= splitmix(&b) << 1;
	s ^= splitmix(&c) << 2;
	return s;
}

uint64_t tt_rand(uint64_t *state)
{
	return splitmix(state);
}

long tt_range(uint64_t *state, long lo, long hi)
{
	return lo + (long)(tt_rand(state) % (uint64_t)(hi - lo + 1));
}

/* The generation whose daemon is process pid, or -1. */
static int gen_of(pid_t pid)
{
	int n = tt_load(&tt_shm->ngens);

	for (int g = n - 1; g >= 0; g--)
		if (tt_shm->gens[g].pid == pid)
			return g;
	return -1;
}

int tt_connect(struct rconn *c, int *gen, int wait_ms)
{
	int64_t deadline = rconn_now_ns() + (int64_t)wait_ms * 1000000;

	for (;;) {
		if (rconn_open(c, tt_sock) == 0) {
			struct ucred cred;
			socklen_t len = sizeof cred;

			*gen = -1;
			if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
				*gen = gen_of(cred.pid);
			return 0;
		}
		if (tt_load(&tt_shm->stop) || rconn_now_ns() > deadline)
			return -1;
		tt_sleep_us(TT_CONNECT_RETRY_US);
	}
}

bool tt_close_expected(int gen)
{
	return tt_load(&tt_shm->restarting) || gen != tt_load(&tt_shm->gen);
}

const char *tt_escape(const void *p, size_t n, char *buf, size_t size)
{
	const unsigned char *s = p;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char one[8];
		int k;

		if (s[i] == '\r')
			k = snprintf(one, sizeof one, "\\r");
		else if (s[i] == '\n')
			k = snprintf(one, sizeof one, "\\n");
		else if (s[i] < 32 || s[i] > 126)
			k = snprintf(one, sizeof one, "\\x%02x", s[i]);
		else
			k = snprintf(one, sizeof one, "%c", s[i]);
		if (o + (size_t)k + 4 > size) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(buf + o, one, (size_t)k);
		o += (size_t)k;
	}
	buf[o] = '\0';
	return buf;
}

void tt_child_setup(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
}

long tt_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}
