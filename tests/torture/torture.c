/* torture.c - build/torture: an abuse run of cachifyd. Parses the options,
 * sets up the run's directory and shared scoreboard, hands over to the
 * supervisor, then prints the table (load, faults, hostile input, and the
 * violations found per invariant) and exits non-zero on any violation.
 * tests/torture/README.md describes the run.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "supervisor.h"
#include "torture.h"

#define LOCK_WORKERS    8
#define POOL_WORKERS    4
#define ITERS_PER_SCALE 4000 /* attempts per worker at scale 1 */
#define KILL_MS         30   /* mean gap between faults (times the fault factor) */
#define STOP_MS         60
#define HUP_MS          250
#define RSS_SLACK_MB    32 /* allowed VmRSS growth, plain build */

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: torture [--seed N] [--scale X] [--slow N] [--workers LOCKS,POOLS]\n"
	        "               [--restarts N] [--kill-ms N] [--stop-ms N] [--hup-ms N]\n"
	        "               [--rss-slack-mb N] [--no-hostile] [--keep] [-h]\n"
	        "\n"
	        "Starts $CACHIFYD (default build/cachifyd) on a socket in a temporary directory\n"
	        "and abuses it: workers contend for locks and pools while they are SIGKILLed,\n"
	        "SIGSTOPped and respawned, the daemon is reloaded (SIGHUP) and restarted\n"
	        "(SIGTERM with waiters queued), and a hostile client sends bad payloads.\n"
	        "Checks invariants throughout; prints a table; exits 1 on any violation.\n"
	        "\n"
	        "  --seed N        seed of every random choice (printed; replays a run's choices)\n"
	        "  --scale X       size: %d attempts per worker per unit (default 1; make torture: "
	        "10)\n"
	        "  --slow N        multiply timeouts by N (3 under ASan, 20 under valgrind)\n"
	        "  --workers L,P   lock and pool worker processes (default %d,%d)\n"
	        "  --restarts N    daemon restarts during the load (default 1 + scale/4)\n"
	        "  --kill-ms N, --stop-ms N, --hup-ms N\n"
	        "                  mean ms between SIGKILLs, SIGSTOPs, SIGHUPs (0: none)\n"
	        "  --rss-slack-mb N  allowed daemon VmRSS growth (default %d, times 8 under "
	        "--slow: ASan quarantine, valgrind)\n"
	        "  --no-hostile    no hostile client\n"
	        "  --keep          keep the temporary directory (kept anyway on failure)\n"
	        "Environment: CACHIFYD, TORTURE_SEED, TORTURE_SCALE, TORTURE_SLOW.\n",
	        ITERS_PER_SCALE, LOCK_WORKERS, POOL_WORKERS, RSS_SLACK_MB);
}

static int parse_num(const char *s, const char *what, double lo, double hi, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || !(*out >= lo && *out <= hi)) {
		fprintf(stderr, "torture: %s must be a number in %g..%g, got '%s'\n", what, lo, hi,
		        s);
		return -1;
	}
	return 0;
}

static int parse_args(int argc, char **argv)
{
	const char *env;
	double v, slack_mb = -1, restarts = -1, kill_ms = KILL_MS, stop_ms = STOP_MS,
	          hup_ms = HUP_MS;
	int faults;

	tt_opts.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	tt_opts.scale = 1;
	tt_opts.slow = 1;
	tt_opts.lock_workers = LOCK_WORKERS;
	tt_opts.pool_workers = POOL_WORKERS;
	tt_opts.hostile = true;
	tt_opts.cachifyd = (env = getenv("CACHIFYD")) && *env ? env : "build/cachifyd";
	if ((env = getenv("TORTURE_SEED")) && *env)
		tt_opts.seed = strtoull(env, NULL, 0);
	if ((env = getenv("TORTURE_SCALE")) && *env &&
	    parse_num(env, "TORTURE_SCALE", 0.01, 1000, &tt_opts.scale) != 0)
		return -1;
	if ((env = getenv("TORTURE_SLOW")) && *env) {
		if (parse_num(env, "TORTURE_SLOW", 1, 100, &v) != 0)
			return -1;
		tt_opts.slow = (int)v;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		int rc = 0;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			exit(0);
		} else if (strcmp(a, "--keep") == 0) {
			tt_opts.keep = true;
			continue;
		} else if (strcmp(a, "--no-hostile") == 0) {
			tt_opts.hostile = false;
			continue;
		} else if (!val) {
			usage(stderr);
			return -1;
		}
		i++;
		if (strcmp(a, "--seed") == 0) {
			tt_opts.seed = strtoull(val, NULL, 0);
		} else if (strcmp(a, "--scale") == 0) {
			rc = parse_num(val, a, 0.01, 1000, &tt_opts.scale);
		} else if (strcmp(a, "--slow") == 0) {
			rc = parse_num(val, a, 1, 100, &v);
			tt_opts.slow = (int)v;
		} else if (strcmp(a, "--workers") == 0) {
			if (sscanf(val, "%d,%d", &tt_opts.lock_workers, &tt_opts.pool_workers) !=
			        2 ||
			    tt_opts.lock_workers < 1 || tt_opts.pool_workers < 0 ||
			    tt_opts.lock_workers + tt_opts.pool_workers > TT_SLOTS_MAX) {
				fprintf(stderr, "torture: --workers L,P with L >= 1, L + P <= %d\n",
				        TT_SLOTS_MAX);
				rc = -1;
			}
		} else if (strcmp(a, "--restarts") == 0) {
			rc = parse_num(val, a, 0, TT_GENS_MAX - 2, &restarts);
		} else if (strcmp(a, "--kill-ms") == 0) {
			rc = parse_num(val, a, 0, 60000, &kill_ms);
		} else if (strcmp(a, "--stop-ms") == 0) {
			rc = parse_num(val, a, 0, 60000, &stop_ms);
		} else if (strcmp(a, "--hup-ms") == 0) {
			rc = parse_num(val, a, 0, 60000, &hup_ms);
		} else if (strcmp(a, "--rss-slack-mb") == 0) {
			rc = parse_num(val, a, 1, 1 << 20, &slack_mb);
		} else {
			fprintf(stderr, "torture: unknown option %s\n", a);
			usage(stderr);
			rc = -1;
		}
		if (rc != 0)
			return -1;
	}
	/* Faults come less often when the daemon is much slower, so work
	 * still gets done between them. */
	faults = (tt_opts.slow + 3) / 4;
	tt_opts.kill_ms = (int)kill_ms * faults;
	tt_opts.stop_ms = (int)stop_ms * faults;
	tt_opts.hup_ms = (int)hup_ms * faults;
	tt_opts.lock_iters = lround(ITERS_PER_SCALE * tt_opts.scale);
	tt_opts.pool_iters = lround(ITERS_PER_SCALE * tt_opts.scale);
	if (tt_opts.lock_iters < 1)
		tt_opts.lock_iters = tt_opts.pool_iters = 1;
	tt_opts.restarts = restarts >= 0 ? (int)restarts : 1 + (int)(tt_opts.scale / 4);
	if (tt_opts.restarts > TT_GENS_MAX - 2)
		tt_opts.restarts = TT_GENS_MAX - 2;
	tt_opts.rss_slack_kb =
	    (long)(slack_mb > 0 ? slack_mb : RSS_SLACK_MB * (tt_opts.slow > 1 ? 8 : 1)) * 1024;
	return 0;
}

static int setup(void)
{
	const char *tmp = getenv("TMPDIR");
	char sub[TT_PATH_MAX + 16];

	snprintf(tt_dir, sizeof tt_dir, "%s/torture.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tt_dir)) {
		fprintf(stderr, "torture: mkdtemp %s: %s\n", tt_dir, strerror(errno));
		return -1;
	}
	if ((size_t)snprintf(tt_sock, sizeof tt_sock, "%s/sock", tt_dir) >= sizeof tt_sock) {
		fprintf(stderr, "torture: %s: too long for a socket path (set TMPDIR)\n", tt_dir);
		return -1;
	}
	snprintf(sub, sizeof sub, "%s/holds", tt_dir);
	if (mkdir(sub, 0700) != 0)
		return -1;
	snprintf(sub, sizeof sub, "%s/records", tt_dir);
	if (mkdir(sub, 0700) != 0)
		return -1;
	tt_shm =
	    mmap(NULL, sizeof *tt_shm, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tt_shm == MAP_FAILED)
		return -1;
	tt_shm->nslots = tt_opts.lock_workers + tt_opts.pool_workers;
	for (int i = 0; i < tt_shm->nslots; i++)
		tt_shm->slots[i].kind = i < tt_opts.lock_workers ? TT_LOCK : TT_POOL;
	return 0;
}

static uint64_t sum_out(int kind, enum tt_out o)
{
	uint64_t n = 0;

	for (int i = 0; i < tt_shm->nslots; i++)
		if (kind < 0 || tt_shm->slots[i].kind == kind)
			n += tt_shm->slots[i].out[o];
	return n;
}

static void print_table(const struct tt_report *rep, uint64_t total)
{
	double secs = (double)rep->load_ns / 1e9;
	long first = 0, peak = 0;

	for (int i = 0; i < tt_shm->ngens; i++) {
		long grow = tt_shm->gens[i].rss_peak_kb - tt_shm->gens[i].rss_first_kb;

		if (tt_shm->gens[i].rss_first_kb && grow >= peak - first) {
			first = tt_shm->gens[i].rss_first_kb;
			peak = tt_shm->gens[i].rss_peak_kb;
		}
	}
	printf("\n== load =================================================================\n");
	printf("  lock workers   %3d x %-6ld attempts  grants %-7llu timeouts %-7llu locked %llu\n",
	       tt_opts.lock_workers, tt_opts.lock_iters,
	       (unsigned long long)sum_out(TT_LOCK, OUT_GRANT),
	       (unsigned long long)sum_out(TT_LOCK, OUT_TIMEOUT),
	       (unsigned long long)sum_out(TT_LOCK, OUT_BUSY));
	printf("  pool workers   %3d x %-6ld attempts  grants %-7llu timeouts %-7llu full %llu\n",
	       tt_opts.pool_workers, tt_opts.pool_iters,
	       (unsigned long long)sum_out(TT_POOL, OUT_GRANT),
	       (unsigned long long)sum_out(TT_POOL, OUT_TIMEOUT),
	       (unsigned long long)sum_out(TT_POOL, OUT_BUSY));
	printf("  throughput     %llu attempts in %.1f s: %.0f acquires/s, %.0f grants/s\n",
	       (unsigned long long)rep->attempts, secs, (double)rep->attempts / secs,
	       (double)sum_out(-1, OUT_GRANT) / secs);
	printf("  cut short      %llu killed in flight, %llu -SHUTDOWN, %llu closed by restarts\n",
	       (unsigned long long)sum_out(-1, OUT_KILLED),
	       (unsigned long long)sum_out(-1, OUT_SHUTDOWN),
	       (unsigned long long)sum_out(-1, OUT_CLOSED));
	printf("  TTL ran out    %llu holders (stopped past a short TTL); pool peak %llu holders\n",
	       (unsigned long long)tt_shm->lost_by_ttl, (unsigned long long)tt_shm->pool_peak);
	printf("== faults ===============================================================\n");
	printf("  SIGKILL        %-6llu workers (%llu processes started in all)\n",
	       (unsigned long long)rep->kills, (unsigned long long)rep->spawns);
	printf("  SIGSTOP/CONT   %-6llu workers, 5-%d ms each\n", (unsigned long long)rep->stops,
	       TT_STOP_MAX_MS);
	printf("  SIGHUP         %-6llu reloads under load\n", (unsigned long long)rep->hups);
	printf("  restarts       %-6llu SIGTERM with waiters queued, then a new daemon; final "
	       "SIGTERM took %.2f s\n",
	       (unsigned long long)rep->restarts, (double)rep->stop_ns / 1e9);
	printf("== hostile input ========================================================\n");
	printf("  bad inputs     %-6llu payloads on fresh connections, %llu slowloris "
	       "connections\n",
	       (unsigned long long)tt_shm->bad_inputs, (unsigned long long)tt_shm->slowloris);
	printf("  daemon VmRSS   %.1f MB first, %.1f MB peak (growth allowed: %ld MB)\n",
	       first / 1024.0, peak / 1024.0, tt_opts.rss_slack_kb / 1024);
	printf("  INFO samples   %llu under load\n", (unsigned long long)tt_shm->info_samples);
	printf("== invariants ================================ checked == violations ====\n");
	for (int i = 0; i < INV_COUNT; i++)
		printf("  %-36s %10llu %14llu%s\n", tt_inv_name(i),
		       (unsigned long long)tt_shm->checked[i], (unsigned long long)tt_shm->viol[i],
		       tt_shm->viol[i] ? "  <<<" : "");
	printf("=========================================================================\n");
	printf("torture: %s: %llu violations (seed 0x%llx, scale %g)\n", total ? "FAIL" : "PASS",
	       (unsigned long long)total, (unsigned long long)tt_opts.seed, tt_opts.scale);
}

static void rm_rf(const char *dir)
{
	char cmd[TT_PATH_MAX + 32];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "torture: could not remove %s\n", dir);
}

int main(int argc, char **argv)
{
	struct tt_report rep = {0};
	uint64_t total = 0;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (parse_args(argc, argv) != 0)
		return 2;
	if (access(tt_opts.cachifyd, X_OK) != 0) {
		fprintf(stderr, "torture: %s: %s (set CACHIFYD)\n", tt_opts.cachifyd,
		        strerror(errno));
		return 2;
	}
	if (setup() != 0) {
		fprintf(stderr, "torture: setting up %s: %s\n", tt_dir, strerror(errno));
		return 2;
	}
	printf("torture: seed 0x%llx scale %g slow %d: %d lock + %d pool workers x %ld attempts, "
	       "%d restarts, faults every ~%d/%d/%d ms (kill/stop/hup)\n"
	       "torture: replay with --seed 0x%llx --scale %g; daemon %s; directory %s\n",
	       (unsigned long long)tt_opts.seed, tt_opts.scale, tt_opts.slow, tt_opts.lock_workers,
	       tt_opts.pool_workers, tt_opts.lock_iters, tt_opts.restarts, tt_opts.kill_ms,
	       tt_opts.stop_ms, tt_opts.hup_ms, (unsigned long long)tt_opts.seed, tt_opts.scale,
	       tt_opts.cachifyd, tt_dir);
	rc = supervisor_run(&rep);
	for (int i = 0; i < INV_COUNT; i++)
		total += tt_shm->viol[i];
	if (rc != 0) {
		fprintf(stderr, "torture: could not start %s; directory kept: %s\n",
		        tt_opts.cachifyd, tt_dir);
		return 2;
	}
	print_table(&rep, total);
	if (total || tt_opts.keep)
		printf("torture: directory kept: %s (cachifyd.log, records/, holds/)\n", tt_dir);
	else
		rm_rf(tt_dir);
	munmap(tt_shm, sizeof *tt_shm);
	return total ? 1 : 0;
}
