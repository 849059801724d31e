/* torture.h - the abuse run (build/torture): options, the scoreboard in
 * shared memory that every process of the run writes to, the invariants it
 * counts, and each role's entry point. The supervisor (supervisor.c) owns the
 * daemon and every child; workers, the monitor and the hostile client only
 * report through the scoreboard. tests/torture/README.md says what is
 * checked and why each check is sound.
 */
#ifndef CACHIFY_TORTURE_H
#define CACHIFY_TORTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "rconn.h"

#define TT_SLOTS_MAX        64 /* worker processes alive at once */
#define TT_GENS_MAX         64 /* daemon instances in one run */
#define TT_PATH_MAX         512
#define TT_LONG_TTL_MS      60000 /* PX of long locks and slots: beyond any stop */
#define TT_SHORT_TTL_MIN    15    /* ms, PX range of short locks and slots ... */
#define TT_SHORT_TTL_MAX    60    /* ... which a stopped holder may outlive */
#define TT_STOP_MAX_MS      150   /* longest SIGSTOP before SIGCONT */
#define TT_HANG_MS          20000 /* ms (times slow): no reply by then = lost */
#define TT_REQUEST_TIMEOUT  2     /* s, client-request-timeout in the config */
#define TT_VIOLATIONS_SHOWN 8     /* messages printed per invariant */

/* What the run checks: one row of the table each. */
enum tt_inv {
	INV_OVERLAP,       /* two live holders of one lock at once (marker files) */
	INV_POOL_MAX,      /* more live slot holders than the pool's max (or POOL.SIZE) */
	INV_CHECK,         /* LOCK.CHECK / POOL.INFO deny a holder whose TTL cannot have run out */
	INV_OWNER,         /* RELEASE/RENEW refused to such a holder */
	INV_FENCE_ORDER,   /* a key's fences out of critical-section order */
	INV_FENCE_UNIQUE,  /* one fence, token or slot id granted twice */
	INV_HANG,          /* a request without reply or close in TT_HANG_MS */
	INV_EARLY_TIMEOUT, /* -TIMEOUT before WAIT ms passed */
	INV_REPLY,         /* a reply or close the protocol does not allow */
	INV_INFO,          /* INFO: grants != held + releases + session + expired + forced */
	INV_CONSERVE,      /* INFO grants/timeouts vs what clients received */
	INV_LEFTOVER,      /* locks, slots or waiters left once everyone is gone */
	INV_ALIVE,         /* PING unanswered, or the daemon died on its own */
	INV_HOSTILE,       /* a bad input answered other than the protocol says */
	INV_RSS,           /* daemon VmRSS grew past the bound */
	INV_SHUTDOWN,      /* SIGTERM: a waiter not answered, or an unclean exit */
	INV_PROGRESS,      /* the run did not finish in time */
	INV_INTERNAL,      /* torture's own processes failed */
	INV_COUNT
};

/* How one acquire ended, per worker slot. */
enum tt_out {
	OUT_GRANT,
	OUT_TIMEOUT,  /* -TIMEOUT */
	OUT_BUSY,     /* -LOCKED or -FULL (no WAIT) */
	OUT_SHUTDOWN, /* -SHUTDOWN */
	OUT_CLOSED,   /* the daemon closed or reset the connection */
	OUT_HUNG,     /* no reply in TT_HANG_MS: the connection was dropped */
	OUT_OTHER,    /* anything else (a violation) */
	OUT_KILLED,   /* in flight when the worker was killed (set at reaping) */
	OUT_COUNT
};

enum tt_kind { TT_LOCK, TT_POOL };

struct tt_opts {
	uint64_t seed;
	double scale; /* size of the run: 1 is CI's, 10 `make torture` */
	int slow;     /* timeout multiplier: 1 plain, 3 ASan, 20 valgrind */
	int lock_workers, pool_workers;
	long lock_iters, pool_iters;  /* acquire attempts per worker slot */
	int restarts;                 /* daemon restarts spread over the run */
	int kill_ms, stop_ms, hup_ms; /* ms, mean gap between faults; 0 = none */
	long rss_slack_kb;            /* allowed VmRSS growth over the first sample */
	bool hostile, keep, verbose;
	const char *cachifyd;
};

struct tt_slot {
	int kind;                /* enum tt_kind */
	pid_t pid;               /* running process, 0 between lives (supervisor) */
	uint64_t lives;          /* processes started in this slot (supervisor) */
	uint64_t iters;          /* acquire attempts completed, across lives */
	uint64_t sent;           /* acquires sent ... */
	uint64_t out[OUT_COUNT]; /* ... and how each ended: in flight = sent - sum */
	int inflight_gen;        /* daemon the last acquire went to */
};

struct tt_gen {
	pid_t pid;            /* the daemon process of this generation */
	uint64_t lock_grants; /* grants, slot grants and -TIMEOUTs clients read */
	uint64_t slot_grants;
	uint64_t timeouts;
	uint64_t lost; /* acquires whose reply nobody read (killed, dropped) */
	long rss_first_kb, rss_peak_kb;
};

/* The scoreboard (MAP_SHARED). Counters change with __atomic builtins. */
struct tt_shm {
	int stop;       /* workers: finish the attempt under way and exit */
	int restarting; /* closes and -SHUTDOWN are expected */
	int gen;        /* index of the running daemon in gens[] */
	int ngens;
	struct tt_gen gens[TT_GENS_MAX];
	uint64_t viol[INV_COUNT];
	uint64_t checked[INV_COUNT];
	int nslots;
	struct tt_slot slots[TT_SLOTS_MAX];
	uint64_t lost_by_ttl; /* holders that outlived their TTL (stopped) */
	uint64_t pool_peak;   /* most live slot holders seen at once */
	uint64_t bad_inputs, slowloris, info_samples;
};

extern struct tt_opts tt_opts;
extern struct tt_shm *tt_shm;
extern char tt_dir[TT_PATH_MAX]; /* the run's temporary directory */
extern char tt_sock[108];        /* the daemon's socket in it */

/* tt.c: helpers every role uses. */
const char *tt_inv_name(enum tt_inv inv);
/* Counts one violation and prints its message (the first few per kind). */
void tt_violation(enum tt_inv inv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tt_checked(enum tt_inv inv, uint64_t n);
void tt_add(uint64_t *counter, uint64_t n);
int tt_load(const int *p);
/* ms scaled by opts.slow: for bounds on waits, never for behaviour. */
int tt_ms(int ms);
void tt_sleep_us(long us);
/* splitmix64 over a seed derived from the run's seed and who draws. */
uint64_t tt_seed_for(uint64_t a, uint64_t b, uint64_t c);
uint64_t tt_rand(uint64_t *state);
long tt_range(uint64_t *state, long lo, long hi); /* lo..hi inclusive */
/* Connects to the daemon, retrying for up to wait_ms while it is down.
 * *gen is the generation answering (from SO_PEERCRED), -1 if unknown.
 * 0, or -1 if no daemon answered in time. */
int tt_connect(struct rconn *c, int *gen, int wait_ms);
/* Whether a close or -SHUTDOWN on a connection to generation gen is to be
 * expected: a restart is under way or that daemon is gone. */
bool tt_close_expected(int gen);
/* Renders bytes for messages, escaping what is not printable. */
const char *tt_escape(const void *p, size_t n, char *buf, size_t size);
/* Dies in a child of the supervisor when its parent dies; exits if that
 * already happened. */
void tt_child_setup(pid_t parent);
/* VmRSS of pid in kB, -1 if unreadable. */
long tt_rss_kb(pid_t pid);

/* Role entry points (each runs in its own process and exits). */
void worker_main(int slot) __attribute__((noreturn));
void monitor_main(void) __attribute__((noreturn));
void hostile_main(void) __attribute__((noreturn));

#endif /* CACHIFY_TORTURE_H */
