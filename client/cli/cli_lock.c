/* cli_lock.c - `cachify lock` and `cachify pool`: take a session-bound lock
 * or pool slot through libcachify, run the command, give it back; plus the
 * option parser lock, pool and once share. The grant lives on the
 * library's session connection, so a killed cachify frees it at once.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define FENCE_DIGITS   24 /* a decimal uint64 and its NUL */

/* s on CLOCK_MONOTONIC, for -v's "after N s": the CLI's one clock (the
 * library's is private to it, and the public API has none). */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int cli_parse_run_opts(struct cli *g, int argc, char **argv, const char *letters,
                       struct cli_run_opts *o)
{
	static const struct option longs[] = {
	    {"nonblock", no_argument, NULL, 'n'},
	    {"nb", no_argument, NULL, 'n'},
	    {"timeout", required_argument, NULL, 'w'},
	    {"wait", required_argument, NULL, 'w'},
	    {"conflict-exit-code", required_argument, NULL, 'E'},
	    {"ttl", required_argument, NULL, 't'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"command", required_argument, NULL, 'c'},
	    CLI_COMMON_LONG,
	    {NULL, 0, NULL, 0},
	};
	char shorts[32];
	int opt, rc;

	memset(o, 0, sizeof *o);
	o->conflict = CLI_EXIT_CONFLICT;
	snprintf(shorts, sizeof shorts, "+%s%s", letters, CLI_COMMON_SHORT);
	while ((opt = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		rc = cli_common_opt(g, opt, optarg, argv);
		if (rc == CLI_OPT_NEXT)
			continue;
		if (rc != CLI_OPT_OTHER)
			return rc;
		if (!strchr(letters, opt)) /* a long name of a letter we do not take */
			return cli_usage_error(g, "unknown option '%s'", argv[optind - 1]);
		switch (opt) {
		case 'n':
			o->nonblock = true;
			break;
		case 'w':
			if (cli_parse_duration(optarg, &o->wait) != 0)
				return cli_usage_error(g, "bad duration '%s' for -w", optarg);
			o->has_wait = true;
			break;
		case 'E':
			if (cli_parse_long(optarg, 0, 255, &o->conflict) != 0)
				return cli_usage_error(g, "bad exit code '%s' for -E (0-255)",
				                       optarg);
			break;
		case 't':
			if (cli_parse_duration(optarg, &o->ttl) != 0 || o->ttl <= 0)
				return cli_usage_error(g, "bad TTL '%s' for -t", optarg);
			o->has_ttl = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'c':
			o->opt_c = optarg;
			break;
		}
	}
	if (o->nonblock && o->has_wait)
		return cli_usage_error(g, "-n and -w exclude each other");
	/* -w 0 is flock's "do not wait". */
	if (o->has_wait && o->wait <= 0) {
		o->nonblock = true;
		o->has_wait = false;
	}
	return CLI_OPT_NEXT;
}

/* Parses "[options] KEY [SIZE] {-c STRING | [--] CMD...}": CLI_OPT_NEXT,
 * or an exit code to return at once. */
static int parse_args(struct cli *g, int argc, char **argv, const char *letters, int npos,
                      struct cli_run_opts *o, char **pos, struct cli_cmdline *cmd)
{
	int rc = cli_parse_run_opts(g, argc, argv, letters, o);

	if (rc != CLI_OPT_NEXT)
		return rc;
	if (argc - optind < npos)
		return cli_usage_error(g, npos == 1 ? "no KEY given" : "KEY and SIZE are required");
	for (int i = 0; i < npos; i++)
		pos[i] = argv[optind + i];
	if (!*pos[0])
		return cli_usage_error(g, "empty KEY");
	rc = cli_parse_cmdline(g, argc - optind - npos, argv + optind + npos, o->opt_c, cmd);
	return rc == 0 ? CLI_OPT_NEXT : rc;
}

/* ---- lock ------------------------------------------------------------------------ */

int cli_cmd_lock(struct cli *g, int argc, char **argv)
{
	struct cachify_lock_options lo;
	struct cli_run_opts o;
	struct cli_cmdline cmd;
	struct cli_run run = {.cmd = &cmd};
	char fence[FENCE_DIGITS];
	cachify_lock *l;
	char *key = NULL;
	double t0;
	int rc, code;

	rc = parse_args(g, argc, argv, "nw:E:t:vc:", 1, &o, &key, &cmd);
	if (rc != CLI_OPT_NEXT)
		return rc;
	if ((rc = cli_connect(g)) != 0)
		return rc;
	cachify_lock_options_init(&lo);
	lo.nowait = o.nonblock;
	lo.timeout = o.has_wait ? o.wait : CACHIFY_WAIT_FOREVER;
	lo.exp = o.has_ttl ? cli_ceil_secs(o.ttl) : CACHIFY_TTL_NEVER;
	t0 = now_s();
	rc = cachify_lock_acquire(g->cy, &lo, &l, "%s", key);
	if (rc == CACHIFY_ELOCKED || rc == CACHIFY_ETIMEOUT) {
		if (o.verbose)
			cli_warn(g, "%s: %s", key, rc == CACHIFY_ELOCKED ? "locked" : "timed out");
		return (int)o.conflict;
	}
	if (rc != 0)
		return cli_fail(g, rc, "acquiring the lock");
	snprintf(fence, sizeof fence, "%llu", (unsigned long long)cachify_lock_fence(l));
	if (o.verbose)
		cli_warn(g, "got %s (fence %s) after %.3f s", cachify_lock_key(l), fence,
		         now_s() - t0);
	run.env[0][0] = "CACHIFY_KEY";
	run.env[0][1] = cachify_lock_key(l);
	run.env[1][0] = "CACHIFY_FENCE";
	run.env[1][1] = fence;
	code = cli_run_child(g, &run);
	rc = cachify_lock_release(l);
	if (rc == CACHIFY_ENOTOWNER || rc == CACHIFY_ELOST)
		cli_warn(g, "%s: the lock was lost before the command ended (%s)", key,
		         rc == CACHIFY_ENOTOWNER ? "its TTL ran out or it was deleted"
		                                 : "the connection broke");
	else if (rc != 0)
		cli_fail(g, rc, "releasing the lock");
	else if (o.verbose)
		cli_warn(g, "released %s", key);
	cli_run_free(&run);
	return code;
}

/* ---- pool ------------------------------------------------------------------------ */

/* Takes a slot, waiting as o says: -n not at all, -w up to that long,
 * else forever. cachifyd queues the wait server-side (FIFO), on the
 * connection that then holds the slot for this process's session. */
static int pool_take(cachify_pool *p, const struct cli_run_opts *o, cachify_slot **s)
{
	double timeout = o->nonblock ? 0 : o->has_wait ? o->wait : CACHIFY_WAIT_FOREVER;

	/* -w 0 means "do not wait", as for lock. */
	return cachify_pool_acquire_wait(p, timeout, s);
}

int cli_cmd_pool(struct cli *g, int argc, char **argv)
{
	struct cachify_pool_options po;
	struct cli_run_opts o;
	struct cli_cmdline cmd;
	struct cli_run run = {.cmd = &cmd};
	char *pos[2] = {NULL, NULL}, *fullkey, fence[FENCE_DIGITS];
	cachify_pool *p;
	cachify_slot *s;
	long size;
	double t0;
	int rc, code;

	rc = parse_args(g, argc, argv, "nw:E:t:vc:", 2, &o, pos, &cmd);
	if (rc != CLI_OPT_NEXT)
		return rc;
	if (cli_parse_long(pos[1], 1, 1L << 30, &size) != 0)
		return cli_usage_error(g, "bad SIZE '%s' (a whole number from 1)", pos[1]);
	if ((rc = cli_connect(g)) != 0)
		return rc;
	cachify_pool_options_init(&po);
	po.max_size = size;
	po.slot_exp = o.has_ttl ? cli_ceil_secs(o.ttl) : CACHIFY_TTL_NEVER;
	p = cachify_pool_new(g->cy, &po, "%s", pos[0]);
	if (!p)
		return cli_fail(g, CACHIFY_ENOMEM, "pool");
	t0 = now_s();
	rc = pool_take(p, &o, &s);
	cachify_pool_free(p);
	if (rc == CACHIFY_EFULL || rc == CACHIFY_ETIMEOUT) {
		if (o.verbose)
			cli_warn(g, "%s: %s", pos[0], rc == CACHIFY_EFULL ? "full" : "timed out");
		return (int)o.conflict;
	}
	if (rc != 0)
		return cli_fail(g, rc, "taking a pool slot");
	/* The same layout as the library's: prefix + KEY + "-pool". */
	fullkey = malloc(strlen(g->prefix) + strlen(pos[0]) + sizeof "-pool");
	if (!fullkey) {
		cachify_slot_release(s);
		return cli_fail(g, CACHIFY_ENOMEM, "pool");
	}
	sprintf(fullkey, "%s%s-pool", g->prefix, pos[0]);
	snprintf(fence, sizeof fence, "%llu", (unsigned long long)cachify_slot_fence(s));
	if (o.verbose)
		cli_warn(g, "got a slot of %s (%s, fence %s) after %.3f s", fullkey,
			 cachify_slot_id(s), fence, now_s() - t0);
	run.env[0][0] = "CACHIFY_KEY";
	run.env[0][1] = fullkey;
	run.env[1][0] = "CACHIFY_SLOT";
	run.env[1][1] = cachify_slot_id(s);
	run.env[2][0] = "CACHIFY_FENCE";
	run.env[2][1] = fence;
	code = cli_run_child(g, &run);
	rc = cachify_slot_release(s);
	if (rc == CACHIFY_ENOTOWNER || rc == CACHIFY_ELOST)
		cli_warn(g, "%s: the slot was lost before the command ended", pos[0]);
	else if (rc != 0)
		cli_fail(g, rc, "releasing the slot");
	free(fullkey);
	cli_run_free(&run);
	return code;
}
