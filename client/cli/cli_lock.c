/* cli_lock.c - `cachify lock` and `cachify pool`: take a session-bound lock
 * or pool slot through libcachify (reporting the wait through cli_watch.c),
 * run the command while the watcher checks the grant (--on-lost), give it
 * back; plus the option parser lock, pool and once share. The grant lives
 * on the library's session connection, so a killed cachify frees it at once.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define FENCE_DIGITS   24 /* a decimal uint64 and its NUL */

/* --on-lost's word. 0, or -1. */
static int parse_on_lost(const char *s, enum cli_on_lost *out)
{
	static const struct {
		const char *word;
		enum cli_on_lost mode;
	} modes[] = {{"fail", CLI_LOST_FAIL}, {"warn", CLI_LOST_WARN}, {"kill", CLI_LOST_KILL}};

	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
		if (strcmp(s, modes[i].word) == 0) {
			*out = modes[i].mode;
			return 0;
		}
	return -1;
}

/* One option of lock/pool/once that is not common. CLI_OPT_NEXT, or an
 * exit code. */
static int run_opt(struct cli *g, int opt, const char *letters, char **argv,
                   struct cli_run_opts *o)
{
	switch (opt) {
	case 'n':
		o->nonblock = true;
		break;
	case 's':
		o->shared = true;
		break;
	case 'w':
		if (cli_parse_duration(optarg, &o->wait) != 0)
			return cli_usage_error(g, "bad duration '%s' for -w", optarg);
		o->has_wait = true;
		break;
	case 'E':
		if (cli_parse_long(optarg, 0, 255, &o->conflict) != 0)
			return cli_usage_error(g, "bad exit code '%s' for -E (0-255)", optarg);
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
	case CLI_OPT_ONLOST:
		/* lock and pool: the commands whose grant can be lost (-t). */
		if (!strchr(letters, 't'))
			return cli_usage_error(g, "unknown option '%s'", argv[optind - 1]);
		if (parse_on_lost(optarg, &o->on_lost) != 0)
			return cli_usage_error(g, "bad --on-lost '%s' (fail, warn or kill)",
			                       optarg);
		break;
	}
	return CLI_OPT_NEXT;
}

int cli_parse_run_opts(struct cli *g, int argc, char **argv, const char *letters,
                       struct cli_run_opts *o)
{
	static const struct option longs[] = {
	    {"nonblock", no_argument, NULL, 'n'},
	    {"nb", no_argument, NULL, 'n'},
	    {"shared", no_argument, NULL, CLI_OPT_SHARED},
	    {"timeout", required_argument, NULL, 'w'},
	    {"wait", required_argument, NULL, 'w'},
	    {"conflict-exit-code", required_argument, NULL, 'E'},
	    {"ttl", required_argument, NULL, 't'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"command", required_argument, NULL, 'c'},
	    {"on-lost", required_argument, NULL, CLI_OPT_ONLOST},
	    {"socket", required_argument, NULL, CLI_OPT_SOCKET},
	    {"url", required_argument, NULL, 'u'},
	    {"prefix", required_argument, NULL, CLI_OPT_PREFIX},
	    {"name", required_argument, NULL, CLI_OPT_NAME},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool shared_letter = strchr(letters, 's') != NULL;
	char shorts[32];
	int opt, rc;

	memset(o, 0, sizeof *o);
	o->conflict = CLI_EXIT_CONFLICT;
	o->on_lost = CLI_LOST_FAIL;
	/* lock's -s is --shared (flock's); elsewhere it is the socket. */
	snprintf(shorts, sizeof shorts, "+%s%s", letters, shared_letter ? "u:h" : CLI_COMMON_SHORT);
	while ((opt = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (opt == CLI_OPT_SHARED)
			opt = shared_letter ? 's' : 0;
		if (opt == CLI_OPT_SOCKET || (opt == 's' && !shared_letter)) {
			rc = cli_common_opt(g, 's', optarg, argv);
		} else if (opt == 's') {
			rc = run_opt(g, opt, letters, argv, o);
		} else if (opt == 0 || (opt < 0x100 && opt != 'u' && opt != 'h' && opt != '?' &&
		                        opt != ':' && !strchr(letters, opt))) {
			/* a long name of a letter this command does not take */
			return cli_usage_error(g, "unknown option '%s'", argv[optind - 1]);
		} else {
			rc = cli_common_opt(g, opt, optarg, argv);
			if (rc == CLI_OPT_OTHER)
				rc = run_opt(g, opt, letters, argv, o);
		}
		if (rc != CLI_OPT_NEXT)
			return rc;
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

/* ---- running under a grant ------------------------------------------------------ */

/* What lock and pool hold while the child runs. */
struct guard {
	struct cli *g;
	const struct cli_run_opts *o;
	struct cli_watch w;  /* w.key: the full key */
	struct cli_run run;
	char fence[FENCE_DIGITS];
	int (*release)(void *h); /* gives the grant back (and frees h) */
	void *h;
};

/* Waits for the grant with progress on stderr while it waits: acquire
 * runs the one server-side blocking acquire, the watcher polls INFO. */
static int acquire_watched(struct guard *x, int (*acquire)(void *arg), void *arg)
{
	int rc;

	x->w.g = x->g;
	x->w.progress = !x->o->nonblock && cli_progress_wanted(x->o->verbose);
	x->w.tty = isatty(STDERR_FILENO);
	if (cli_watch_progress(&x->w) != 0)
		cli_warn(x->g, "cannot report progress (no thread); waiting anyway");
	rc = acquire(arg);
	cli_watch_stop(&x->w);
	return rc;
}

/* Runs the child while the watcher checks the grant, gives the grant back
 * and decides the exit status: the child's, or CLI_EXIT_LOST if the grant
 * was lost (unless --on-lost=warn). */
static int run_guarded(struct guard *x, uint64_t fence)
{
	const char *what = x->w.pool ? "slot" : "lock";
	bool lost;
	int code, rc;

	x->w.fence = fence;
	x->w.on_lost = x->o->on_lost;
	if (cli_watch_loss(&x->w) != 0)
		cli_warn(x->g, "cannot watch the %s (no thread): a loss shows at the end", what);
	code = cli_run_child(x->g, &x->run);
	cli_watch_stop(&x->w);
	lost = atomic_load(&x->w.lost);
	rc = x->release(x->h);
	if (rc == CACHIFY_ENOTOWNER || rc == CACHIFY_ELOST) {
		if (!lost)
			cli_warn(x->g, "%s: the %s was lost before the command ended (%s)", x->w.key,
			         what,
			         rc == CACHIFY_ENOTOWNER ? "its TTL ran out or it was deleted"
			                                 : "the connection broke");
		lost = true;
	} else if (rc != 0) {
		cli_fail(x->g, rc, x->w.pool ? "releasing the slot" : "releasing the lock");
	} else if (x->o->verbose && !lost) {
		cli_warn(x->g, "released %s", x->w.key);
	}
	if (lost && x->o->on_lost != CLI_LOST_WARN) {
		if (x->o->verbose)
			cli_warn(x->g, "exiting %d: the %s was lost (the command exited %d)",
			         CLI_EXIT_LOST, what, code);
		return CLI_EXIT_LOST;
	}
	return code;
}

/* ---- lock ------------------------------------------------------------------------ */

struct lock_take {
	struct cli *g;
	struct cachify_lock_options lo;
	char *key;
	cachify_lock *l;
};

static int lock_take_cb(void *arg)
{
	struct lock_take *t = arg;

	return cachify_lock_acquire(t->g->cy, &t->lo, &t->l, "%s", t->key);
}

static int lock_release_cb(void *h)
{
	return cachify_lock_release(h);
}

static int lock_options(struct cli *g, const struct cli_run_opts *o, struct cachify_lock_options *lo)
{
	cachify_lock_options_init(lo);
	lo->nowait = o->nonblock;
	lo->timeout = o->has_wait ? o->wait : CACHIFY_WAIT_FOREVER;
	lo->exp = o->has_ttl ? cli_ceil_secs(o->ttl) : CACHIFY_TTL_NEVER;
	lo->shared = o->shared;
	(void)g;
	return 0;
}

int cli_cmd_lock(struct cli *g, int argc, char **argv)
{
	struct cli_run_opts o;
	struct cli_cmdline cmd;
	struct guard x = {.g = g, .o = &o, .run = {.cmd = &cmd}, .release = lock_release_cb};
	struct lock_take t = {.g = g};
	char *fullkey = NULL;
	double t0;
	int rc;

	rc = parse_args(g, argc, argv, "nw:E:t:vc:s", 1, &o, &t.key, &cmd);
	if (rc != CLI_OPT_NEXT)
		return rc;
	cli_set_default_name(g, cmd.shell ? NULL : cmd.argv);
	if ((rc = lock_options(g, &o, &t.lo)) != 0 || (rc = cli_connect(g)) != 0)
		return rc;
	if (!(fullkey = cli_key_with(g->prefix, t.key, "-lock")))
		return cli_fail(g, CACHIFY_ENOMEM, "lock");
	x.w.key = fullkey;
	t0 = cli_now_s();
	rc = acquire_watched(&x, lock_take_cb, &t);
	if (rc == CACHIFY_ELOCKED || rc == CACHIFY_ETIMEOUT) {
		if (o.verbose)
			cli_warn(g, "%s: %s", t.key, rc == CACHIFY_ELOCKED ? "locked" : "timed out");
		free(fullkey);
		return (int)o.conflict;
	}
	if (rc != 0) {
		free(fullkey);
		return cli_fail(g, rc, "acquiring the lock");
	}
	snprintf(x.fence, sizeof x.fence, "%llu", (unsigned long long)cachify_lock_fence(t.l));
	if (o.verbose)
		cli_warn(g, "got %s%s (fence %s) after %.3f s", cachify_lock_key(t.l),
		         o.shared ? " shared" : "", x.fence, cli_now_s() - t0);
	x.run.env[0][0] = "CACHIFY_KEY";
	x.run.env[0][1] = fullkey;
	x.run.env[1][0] = "CACHIFY_FENCE";
	x.run.env[1][1] = x.fence;
	x.h = t.l;
	rc = run_guarded(&x, cachify_lock_fence(t.l));
	cli_run_free(&x.run);
	free(fullkey);
	return rc;
}

/* ---- pool ------------------------------------------------------------------------ */

struct pool_take {
	cachify_pool *p;
	double timeout; /* s; 0: do not wait; CACHIFY_WAIT_FOREVER */
	cachify_slot *s;
};

/* cachifyd queues the wait server-side (FIFO), on the connection that then
 * holds the slot for this process's session. */
static int pool_take_cb(void *arg)
{
	struct pool_take *t = arg;

	return cachify_pool_acquire_wait(t->p, t->timeout, &t->s);
}

static int slot_release_cb(void *h)
{
	return cachify_slot_release(h);
}

int cli_cmd_pool(struct cli *g, int argc, char **argv)
{
	struct cachify_pool_options po;
	struct cli_run_opts o;
	struct cli_cmdline cmd;
	struct guard x = {.g = g, .o = &o, .run = {.cmd = &cmd}, .release = slot_release_cb};
	struct pool_take t = {0};
	char *pos[2] = {NULL, NULL}, *fullkey;
	long size;
	double t0;
	int rc;

	rc = parse_args(g, argc, argv, "nw:E:t:vc:", 2, &o, pos, &cmd);
	if (rc != CLI_OPT_NEXT)
		return rc;
	if (cli_parse_long(pos[1], 1, 1L << 30, &size) != 0)
		return cli_usage_error(g, "bad SIZE '%s' (a whole number from 1)", pos[1]);
	cli_set_default_name(g, cmd.shell ? NULL : cmd.argv);
	if ((rc = cli_connect(g)) != 0)
		return rc;
	cachify_pool_options_init(&po);
	po.max_size = size;
	po.slot_exp = o.has_ttl ? cli_ceil_secs(o.ttl) : CACHIFY_TTL_NEVER;
	/* The same layout as the library's: prefix + KEY + "-pool". */
	if (!(fullkey = cli_key_with(g->prefix, pos[0], "-pool")))
		return cli_fail(g, CACHIFY_ENOMEM, "pool");
	t.p = cachify_pool_new(g->cy, &po, "%s", pos[0]);
	if (!t.p) {
		free(fullkey);
		return cli_fail(g, CACHIFY_ENOMEM, "pool");
	}
	/* -w 0 means "do not wait", as for lock. */
	t.timeout = o.nonblock ? 0 : o.has_wait ? o.wait : CACHIFY_WAIT_FOREVER;
	x.w.key = fullkey;
	x.w.pool = true;
	t0 = cli_now_s();
	rc = acquire_watched(&x, pool_take_cb, &t);
	cachify_pool_free(t.p);
	if (rc == CACHIFY_EFULL || rc == CACHIFY_ETIMEOUT) {
		if (o.verbose)
			cli_warn(g, "%s: %s", pos[0], rc == CACHIFY_EFULL ? "full" : "timed out");
		free(fullkey);
		return (int)o.conflict;
	}
	if (rc != 0) {
		free(fullkey);
		return cli_fail(g, rc, "taking a pool slot");
	}
	snprintf(x.fence, sizeof x.fence, "%llu", (unsigned long long)cachify_slot_fence(t.s));
	if (o.verbose)
		cli_warn(g, "got a slot of %s (%s, fence %s) after %.3f s", fullkey,
		         cachify_slot_id(t.s), x.fence, cli_now_s() - t0);
	x.run.env[0][0] = "CACHIFY_KEY";
	x.run.env[0][1] = fullkey;
	x.run.env[1][0] = "CACHIFY_SLOT";
	x.run.env[1][1] = cachify_slot_id(t.s);
	x.run.env[2][0] = "CACHIFY_FENCE";
	x.run.env[2][1] = x.fence;
	x.h = t.s;
	rc = run_guarded(&x, cachify_slot_fence(t.s));
	cli_run_free(&x.run);
	free(fullkey);
	return rc;
}
