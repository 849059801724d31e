/* example_daemon.h - what the cross-process examples (example6..9) share:
 * an instance on the cachifyd at $CACHIFY_URL with named connections, the
 * daemon's own integers (INCR/GET/DEL through cachify_client_call) as
 * counters every process sees, and forking workers. Header-only, so each
 * example stays one program; not part of libcachify.
 */
#ifndef CACHIFY_EXAMPLE_DAEMON_H
#define CACHIFY_EXAMPLE_DAEMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cachify.h"

/* A prefix per run (set by ex_begin), so runs on one daemon never meet. */
static char ex_prefix[64];

/* A new instance on the daemon at $CACHIFY_URL (NULL with the reason on
 * stderr). name is what `cachify locks` and CLIENT LIST show for it. */
static inline cachify *ex_connect(const char *name)
{
	struct cachify_daemon_options d;
	struct cachify_options o;
	cachify_client *cl;
	cachify *c = NULL;

	cachify_daemon_options_init(&d);
	d.name = name;
	if (!(cl = cachify_client_daemon(NULL, &d))) {
		fprintf(stderr, "%s: %s\n", name, cachify_last_error());
		return NULL;
	}
	cachify_options_init(&o);
	o.sync_client = cl;
	o.prefix = ex_prefix;
	o.is_global = false;
	if (cachify_init(&o, &c) != 0)
		fprintf(stderr, "%s: %s\n", name, cachify_last_error());
	cachify_client_free(cl); /* the instance holds its own reference */
	return c;
}

/* cmd (INCR, DECR, GET, DEL) on prefix + key: the integer the daemon
 * answers (0 for a missing key), or -1 when the daemon cannot be asked. */
static inline long long ex_ll(cachify *c, const char *cmd, const char *key)
{
	char full[128];
	const char *argv[2] = { cmd, full };
	size_t lens[2];
	cachify_reply *r = NULL;
	long long v = -1;

	snprintf(full, sizeof full, "%s%s", ex_prefix, key);
	lens[0] = strlen(cmd);
	lens[1] = strlen(full);
	if (cachify_client_call(cachify_get_client(c), 2, argv, lens, &r) == 0) {
		if (r->type == CACHIFY_REPLY_INTEGER)
			v = r->integer;
		else if (r->type == CACHIFY_REPLY_BULK)
			v = atoll(r->str);
		else if (r->type == CACHIFY_REPLY_NIL)
			v = 0;
	}
	cachify_reply_free(r);
	return v;
}

/* SET prefix + key to v: 0, or -1. */
static inline int ex_set_ll(cachify *c, const char *key, long long v)
{
	char full[128], num[24];

	snprintf(full, sizeof full, "%s%s", ex_prefix, key);
	snprintf(num, sizeof num, "%lld", v);
	return cachify_client_set(cachify_get_client(c), full, strlen(full), num, strlen(num), 0,
				  false) == 1 ? 0 : -1;
}

static inline void ex_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The parent's instance, after checking the daemon answers (else a hint
 * about CACHIFY_URL and `make run`). tag names the example. */
static inline cachify *ex_begin(const char *tag)
{
	cachify *c;

	snprintf(ex_prefix, sizeof ex_prefix, "EX-%s-%d-", tag, (int)getpid());
	if (!(c = ex_connect(tag)))
		return NULL;
	if (ex_ll(c, "DEL", "probe") < 0) {
		fprintf(stderr, "%s: cannot reach cachifyd: %s\n  start one (make run) and set "
			"CACHIFY_URL=unix:run/cachifyd.sock\n", tag, cachify_last_error());
		cachify_free(c);
		return NULL;
	}
	return c;
}

/* Runs worker(i) in n forked processes and waits for them: how many did
 * not exit 0. */
static inline int ex_fork_workers(int n, int (*worker)(int i))
{
	int failed = 0;

	fflush(stdout);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			int rc = worker(i);

			fflush(stdout);
			_exit(rc);
		}
		if (pid < 0)
			failed++;
	}
	for (int i = 0; i < n; i++) {
		int st;

		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed++;
	}
	return failed;
}

#endif /* CACHIFY_EXAMPLE_DAEMON_H */
