/* cli_once.c - `cachify once`: run a command unless a run of the same key
 * is in progress, and otherwise wait for that run and exit with its status.
 *
 * The runner is libcachify's cachify_once (the lock prefix+KEY+"-once",
 * session-bound). While it holds the lock it stores "FENCE STATUS" at
 * prefix+KEY+"-once-status", FENCE being its grant's. A waiter notes the
 * holder's fence F0 (LOCK.INFO), waits until the lock is free (a
 * LOCK.ACQUIRE ... WAIT through cachify_client_call, whose grant ends with
 * that call's connection: a server-side wait without holding anything),
 * and takes the stored status if its fence is at least F0: the awaited run,
 * or one that started after it. Anything older means the awaited run left
 * no status (its cachify was killed): the waiter then runs CMD itself.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define ONCE_STATUS_SUFFIX "-once-status"
#define ONCE_STATUS_TTL_S  3600 /* s a run's status is kept for its waiters */
#define ONCE_TRIES_MAX     1000 /* rounds of run-or-wait before giving up */

struct once_ctx {
	struct cli *g;
	struct cli_run run;
	const char *lockkey;   /* prefix + KEY + "-once" */
	const char *statuskey; /* prefix + KEY + "-once-status" */
	char fence[24];
	int code; /* the child's exit code */
};

/* LOCK.INFO key: 1 with *fence set while a lock holds it, 0 when free,
 * 2 when the key holds something that is not a lock, or a negative code. */
static int holder_fence(struct cli *g, const char *key, uint64_t *fence)
{
	const char *argv[] = {"LOCK.INFO", key};
	cachify_reply *r;
	int rc = cli_call(g, &r, 2, argv);

	*fence = 0;
	if (rc != 0)
		return rc;
	if (r->type == CACHIFY_REPLY_NIL) {
		rc = 0;
	} else if (r->type == CACHIFY_REPLY_ERROR && strncmp(r->str, "WRONGTYPE", 9) == 0) {
		rc = 2;
	} else if (r->type == CACHIFY_REPLY_ARRAY) {
		rc = 1;
		*fence = (uint64_t)cli_ifield(r, "fence");
	} else {
		cli_warn(g, "LOCK.INFO %s: %s", key,
		         r->type == CACHIFY_REPLY_ERROR ? r->str : "unexpected reply");
		rc = CACHIFY_EPROTO;
	}
	cachify_reply_free(r);
	return rc;
}

/* The stored status: 1 with *fence and *code set, 0 if none (or not ours),
 * or a negative code. */
static int read_status(struct cli *g, const char *key, uint64_t *fence, int *code)
{
	char *v = NULL;
	size_t len;
	unsigned long long f;
	int c, n = 0;
	int rc = cachify_client_get(g->cl, key, strlen(key), &v, &len);

	if (rc != 1)
		return rc;
	rc = sscanf(v, "%llu %d%n", &f, &c, &n) == 2 && (size_t)n == len && c >= 0 && c <= 255;
	if (rc) {
		*fence = f;
		*code = c;
	}
	free(v);
	return rc;
}

/* Waits, server-side, until nobody holds key. The grant that ends the wait
 * is dropped at once: cachify_client_call closes the connection a
 * LOCK.ACQUIRE was made on, which ends it; the LOCK.RELEASE after it only
 * makes sure (it answers NOTOWNER when the grant is already gone). 0 or a
 * negative code. */
static int wait_free(struct cli *g, const char *key)
{
	const char *argv[] = {"LOCK.ACQUIRE", key, "WAIT", "0"};
	cachify_reply *r, *rel;
	int rc = cli_call(g, &r, 4, argv);

	if (rc != 0)
		return rc;
	if (r->type == CACHIFY_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == CACHIFY_REPLY_BULK) {
		const char *rargv[] = {"LOCK.RELEASE", key, r->element[0]->str};
		size_t lens[] = {12, strlen(key), r->element[0]->len};

		if (cli_callv(g, &rel, 3, rargv, lens) == 0)
			cachify_reply_free(rel);
	} else {
		cli_warn(g, "waiting for %s: %s", key,
		         r->type == CACHIFY_REPLY_ERROR ? r->str : "unexpected reply");
		rc = CACHIFY_ESERVER;
	}
	cachify_reply_free(r);
	return rc;
}

/* wait_free with progress on stderr from the watcher thread. */
static int wait_watched(struct cli *g, const char *key, bool verbose)
{
	struct cli_watch w = {.g = g, .key = key};
	int rc;

	w.progress = cli_progress_wanted(verbose);
	w.tty = isatty(STDERR_FILENO);
	if (cli_watch_progress(&w) != 0)
		cli_warn(g, "cannot report progress (no thread); waiting anyway");
	rc = wait_free(g, key);
	cli_watch_stop(&w);
	return rc;
}

/* cachify_once's callback: learn our fence, run, store the status while the
 * lock is still ours. */
static int once_run_cb(void *arg)
{
	struct once_ctx *x = arg;
	uint64_t fence = 0;
	char status[48];
	int rc;

	if (holder_fence(x->g, x->lockkey, &fence) != 1)
		fence = 0; /* still run; waiters will find no status of ours */
	snprintf(x->fence, sizeof x->fence, "%" PRIu64, fence);
	x->run.env[0][0] = "CACHIFY_KEY";
	x->run.env[0][1] = x->lockkey;
	x->run.env[1][0] = "CACHIFY_FENCE";
	x->run.env[1][1] = x->fence;
	x->code = cli_run_child(x->g, &x->run);
	if (fence == 0 || x->run.exec_errno)
		return x->code;
	snprintf(status, sizeof status, "%" PRIu64 " %d", fence, x->code);
	rc = cachify_client_set(x->g->cl, x->statuskey, strlen(x->statuskey), status,
	                        strlen(status), ONCE_STATUS_TTL_S, false);
	if (rc < 0)
		cli_fail(x->g, rc, "storing the exit status for waiters");
	return x->code;
}

int cli_cmd_once(struct cli *g, int argc, char **argv)
{
	struct cachify_once_options oo = {.raise_on_locked = true};
	struct cli_run_opts o;
	struct cli_cmdline cmd;
	struct once_ctx x = {.g = g, .run = {.cmd = &cmd}};
	char *key, *lockkey = NULL, *statuskey = NULL;
	int rc, code = CLI_EXIT_FAIL;

	rc = cli_parse_run_opts(g, argc, argv, "nE:vc:", &o);
	if (rc != CLI_OPT_NEXT)
		return rc;
	if (optind >= argc)
		return cli_usage_error(g, "no KEY given");
	key = argv[optind];
	if (!*key)
		return cli_usage_error(g, "empty KEY");
	rc = cli_parse_cmdline(g, argc - optind - 1, argv + optind + 1, o.opt_c, &cmd);
	if (rc != 0)
		return rc;
	cli_set_default_name(g, cmd.shell ? NULL : cmd.argv);
	if ((rc = cli_connect(g)) != 0)
		return rc;
	lockkey = cli_key_with(g->prefix, key, "-once");
	statuskey = cli_key_with(g->prefix, key, ONCE_STATUS_SUFFIX);
	if (!lockkey || !statuskey) {
		code = cli_fail(g, CACHIFY_ENOMEM, "once");
		goto out;
	}
	x.lockkey = lockkey;
	x.statuskey = statuskey;

	for (int round = 0; round < ONCE_TRIES_MAX; round++) {
		uint64_t f0, sfence;
		int fn_ret = 0, scode;
		bool ran = false;

		/* 1. Run, if nobody does. */
		rc = cachify_once(g->cy, &oo, once_run_cb, &x, &fn_ret, &ran, "%s", key);
		if (ran) {
			if (rc != 0 && rc != CACHIFY_ENOTOWNER)
				cli_fail(g, rc, "releasing the once lock");
			code = x.code;
			if (o.verbose)
				cli_warn(g, "ran %s (fence %s): exit %d", key, x.fence, code);
			goto out;
		}
		if (rc != CACHIFY_ELOCKED) {
			code = cli_fail(g, rc, "once");
			goto out;
		}
		if (o.nonblock) {
			if (o.verbose)
				cli_warn(g, "%s: already running", key);
			code = (int)o.conflict;
			goto out;
		}

		/* 2. Someone runs it: note which run, so a status older than it
		 * is never taken for its. */
		rc = holder_fence(g, lockkey, &f0);
		if (rc == 0)
			continue; /* it just ended: try to run */
		if (rc == 2) {
			/* Not a cachify lock (a plain key): only a status stored
			 * from now on can be news. */
			f0 = read_status(g, statuskey, &sfence, &scode) == 1 ? sfence + 1 : 0;
		} else if (rc < 0) {
			code = cli_fail(g, rc, "LOCK.INFO");
			goto out;
		}
		if (o.verbose)
			cli_warn(g, "%s is running (fence %" PRIu64 "): waiting", key, f0);

		/* 3. Wait for it to end, then take its status. */
		rc = wait_watched(g, lockkey, o.verbose);
		if (rc != 0) {
			code = cli_fail(g, rc, "waiting");
			goto out;
		}
		rc = read_status(g, statuskey, &sfence, &scode);
		if (rc < 0) {
			code = cli_fail(g, rc, "reading the exit status");
			goto out;
		}
		if (rc == 1 && sfence >= f0) {
			if (o.verbose)
				cli_warn(g, "%s ended (fence %" PRIu64 "): exit %d", key, sfence,
				         scode);
			code = scode;
			goto out;
		}
		/* 4. It left no status: run it ourselves (next round). */
		if (o.verbose)
			cli_warn(g, "%s ended without a status: running it", key);
	}
	cli_warn(g, "%s: gave up after %d rounds of waiting", key, ONCE_TRIES_MAX);
out:
	cli_run_free(&x.run);
	free(lockkey);
	free(statuskey);
	return code;
}
