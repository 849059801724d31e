/* check_cli_parity.c - cachify's everyday commands under issue 16: key
 * commands that apply the prefix and hint at the key's other forms, the
 * "value too large" message, cached's --reset, --hit-exit-code and -v,
 * is-locked and release, the top-level and `help` texts, `info --json`,
 * `metrics` (every line parsed as Prometheus text), the completion
 * scripts, finding a `make run` daemon, and the new usage errors.
 */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_cli.h"
#include "check_suites.h"
#include "harness.h"

#define METRIC_FAMILIES_MAX 512 /* distinct families in one `cachify metrics` */

/* The file holds needle (a failure shows the file). */
static void expect_in(const char *path, const char *needle)
{
	char *s = slurp(path, NULL);

	ck_assert_msg(strstr(s, needle), "'%s' not in %s: '%s'", needle, path, s);
	free(s);
}

/* ---- keys ------------------------------------------------------------------------- */

START_TEST(test_cli_key_commands_apply_the_prefix_and_hint_at_other_forms)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	char out[H_PATH_MAX], err[H_PATH_MAX];

	fpath(out, d, "out");
	fpath(err, d, "err");
	ck_assert_int_eq(run_cli(d, NULL, NULL, "set", "k", "v", NULL), 0);
	h_call_bulk(c, "v", "GET", "PYC-k");
	ck_assert_int_eq(run_cli(d, NULL, NULL, "--prefix", "app:", "set", "k", "w", NULL), 0);
	h_call_bulk(c, "w", "GET", "app:k");
	ck_assert_int_eq(run_cli(d, NULL, NULL, "set", "--no-prefix", "raw", "r", NULL), 0);
	h_call_bulk(c, "r", "GET", "raw");

	/* A cached run: ttl KEY misses, and says where the key is. */
	ck_assert_int_eq(run_cli(d, NULL, NULL, "cached", "inv", "true", NULL), 0);
	ck_assert_int_eq(run_cli(d, out, err, "ttl", "inv", NULL), 1);
	expect_str(out, "");
	expect_str(err, "cachify ttl: no key PYC-inv, but PYC-inv-cached exists: "
	                "cachify ttl --cached inv\n");
	ck_assert_int_eq(run_cli(d, out, NULL, "ttl", "--cached", "inv", NULL), 0);
	expect_str(out, "-1\n");
	/* Only without the prefix. */
	ck_assert_int_eq(run_cli(d, out, err, "get", "raw", NULL), 1);
	expect_str(err, "cachify get: no key PYC-raw, but raw exists: cachify get --no-prefix raw\n");
	/* Only with it. */
	ck_assert_int_eq(run_cli(d, out, err, "get", "--no-prefix", "k", NULL), 1);
	expect_str(err, "cachify get: no key k, but PYC-k exists: cachify get k\n");
	/* Nowhere: no hint. */
	ck_assert_int_eq(run_cli(d, out, err, "get", "nothing", NULL), 1);
	expect_str(err, "");
	ck_assert_int_eq(run_cli(d, out, err, "del", "--cached", "inv", NULL), 0);
	expect_str(out, "1\n");
	h_call_int(c, 0, "EXISTS", "PYC-inv-cached");
	ck_assert_int_eq(run_cli(d, NULL, NULL, "get", "--cached", "--lock", "x", NULL), 2);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_cli_value_too_large_names_proto_max_bulk_len)
{
	struct h_daemon *d = h_daemon_start("--loglevel", "warning", "--proto-max-bulk-len", "1mb",
	                                    NULL);
	char in[H_PATH_MAX], out[H_PATH_MAX], err[H_PATH_MAX], sh[SH_MAX];
	const char *args[] = {"set", "big", NULL};
	char *big = malloc(2000000);
	size_t len;

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', 2000000);
	big[1999999] = '\0';
	fpath(in, d, "in");
	fpath(out, d, "out");
	fpath(err, d, "err");
	h_write_file(in, big);
	free(big);
	ck_assert_int_eq(reap(spawn_argv(d->sock, in, NULL, err, args)), 125);
	expect_str(err, "cachify set: value too large: 1999999 bytes > proto-max-bulk-len 1048576\n");
	/* cached: the command's output and status pass, the result is not
	 * cached, and the message says why (the stored run has a 26-byte header). */
	snprintf(sh, sizeof sh, "cat %s", in);
	ck_assert_int_eq(run_cli(d, out, err, "cached", "big", "-c", sh, NULL), 0);
	free(slurp(out, &len));
	ck_assert_int_eq(len, 1999999);
	expect_in(err, "cachify cached: value too large: 2000025 bytes > proto-max-bulk-len 1048576\n");
	ck_assert_int_eq(run_cli(d, NULL, NULL, "get", "--cached", "big", NULL), 1);
	h_daemon_finish(d);
}
END_TEST

/* ---- cached ----------------------------------------------------------------------- */

START_TEST(test_cli_cached_reset_hit_exit_code_and_verbose)
{
	struct h_daemon *d = start();
	char out[H_PATH_MAX], err[H_PATH_MAX], runs[H_PATH_MAX], sh[SH_MAX];

	fpath(out, d, "out");
	fpath(err, d, "err");
	fpath(runs, d, "runs");
	snprintf(sh, sizeof sh, "echo run >> %s; echo out; exit 3", runs);
	ck_assert_int_eq(run_cli(d, out, err, "cached", "-v", "k", "-c", sh, NULL), 3);
	expect_str(out, "out\n");
	expect_str(err, "cachify cached: miss: ran the command (exit 3), cached\n");
	ck_assert_int_eq(run_cli(d, out, err, "cached", "-v", "--hit-exit-code", "7", "k", "-c",
	                         sh, NULL),
	                 7);
	expect_str(out, "out\n");
	expect_str(err, "cachify cached: hit: replaying PYC-k-cached (exit 3)\n");
	ck_assert_int_eq(run_cli(d, NULL, NULL, "cached", "k", "-c", sh, NULL), 3);
	ck_assert_int_eq(count_lines(runs), 1);
	/* --hit-exit-code does not apply to a miss. */
	ck_assert_int_eq(run_cli(d, NULL, NULL, "cached", "--reset", "k", NULL), 0);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "get", "--cached", "k", NULL), 1);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "cached", "--hit-exit-code", "7", "k", "-c", sh,
	                         NULL),
	                 3);
	ck_assert_int_eq(count_lines(runs), 2);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "cached", "--reset", "k", "true", NULL), 2);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "cached", "--reset", "--force", "k", NULL), 2);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "cached", "--hit-exit-code", "256", "k", "true",
	                         NULL),
	                 2);
	h_daemon_finish(d);
}
END_TEST

/* ---- is-locked, release ------------------------------------------------------------ */

START_TEST(test_cli_is_locked_and_release_force_or_by_token)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	char out[H_PATH_MAX], err[H_PATH_MAX], herr[H_PATH_MAX], started[H_PATH_MAX];
	char sh[SH_MAX], want[128];
	pid_t holder;

	fpath(out, d, "out");
	fpath(err, d, "err");
	fpath(herr, d, "herr");
	fpath(started, d, "started");
	ck_assert_int_eq(run_cli(d, out, NULL, "is-locked", "-v", "k", NULL), 1);
	expect_str(out, "PYC-k-lock: free\n");
	snprintf(sh, sizeof sh, "touch %s; sleep 60", started);
	holder = spawn_cli(d, NULL, herr, "lock", "--on-lost=kill", "k", "-c", sh, NULL);
	wait_file(started);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "is-locked", "k", NULL), 0);
	ck_assert_int_eq(run_cli(d, out, NULL, "is-locked", "-v", "k", NULL), 0);
	snprintf(want, sizeof want, "PYC-k-lock: held by pid %d (", (int)holder);
	expect_in(out, want);
	/* A force release warns, names the holder, and the holder's
	 * --on-lost=kill ends its command. */
	ck_assert_int_eq(run_cli(d, NULL, err, "release", "k", NULL), 0);
	snprintf(want, sizeof want, "cachify release: force-releasing PYC-k-lock, held by pid %d (",
	         (int)holder);
	expect_in(err, want);
	ck_assert_int_eq(reap(holder), 122);
	ck_assert_int_eq(run_cli(d, NULL, err, "release", "k", NULL), 1);
	expect_str(err, "cachify release: PYC-k-lock is not held\n");

	/* By token: only the right one releases. */
	h_cmd(c, "LOCK.ACQUIRE", "PYC-t-lock", "TOKEN", "tok", "DETACH");
	resp_reply_free(h_reply(c));
	ck_assert_int_eq(run_cli(d, NULL, err, "release", "--token", "bad", "t", NULL), 1);
	expect_str(err, "cachify release: PYC-t-lock: not held by that token\n");
	ck_assert_int_eq(run_cli(d, NULL, NULL, "is-locked", "t", NULL), 0);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "release", "--token", "tok", "t", NULL), 0);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "is-locked", "t", NULL), 1);

	/* --once: the once key. */
	h_cmd(c, "LOCK.ACQUIRE", "PYC-o-once", "DETACH");
	resp_reply_free(h_reply(c));
	ck_assert_int_eq(run_cli(d, NULL, NULL, "is-locked", "o", NULL), 1);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "is-locked", "--once", "o", NULL), 0);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "release", "--once", "o", NULL), 0);
	h_call_int(c, 0, "EXISTS", "PYC-o-once");
	/* A plain key at the lock's name counts as locked, but is no lock. */
	h_ok(c, "SET", "PYC-p-lock", "x");
	ck_assert_int_eq(run_cli(d, NULL, NULL, "is-locked", "p", NULL), 0);
	ck_assert_int_eq(run_cli(d, NULL, err, "release", "p", NULL), 1);
	expect_str(err, "cachify release: PYC-p-lock is not a lock (cachify del removes it)\n");
	ck_assert_int_eq(run_cli(d, NULL, NULL, "is-locked", NULL), 2);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "release", "--token", "", "k", NULL), 2);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- help ------------------------------------------------------------------------- */

START_TEST(test_cli_help_has_a_line_per_command_and_help_command)
{
	static const char *const cmds[] = {"lock", "once",      "pool",    "cached", "get",
	                                   "set",  "del",       "ttl",     "ping",   "info",
	                                   "raw",  "locks",     "status",  "help",   "is-locked",
	                                   "release", "metrics"};
	struct h_daemon *d = start();
	char out[H_PATH_MAX], out2[H_PATH_MAX], line[64], *a, *b;
	size_t alen, blen;

	fpath(out, d, "out");
	fpath(out2, d, "out2");
	ck_assert_int_eq(run_cli(d, out, NULL, "--help", NULL), 0);
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		/* "  NAME       summary": a name, blanks, then words. */
		snprintf(line, sizeof line, "\n  %-10s ", cmds[i]);
		expect_in(out, line);
	}
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		ck_assert_int_eq(run_cli(d, out, NULL, "help", cmds[i], NULL), 0);
		ck_assert_int_eq(run_cli(d, out2, NULL, cmds[i], "--help", NULL), 0);
		a = slurp(out, &alen);
		b = slurp(out2, &blen);
		ck_assert_msg(alen == blen && alen > 0 && memcmp(a, b, alen) == 0, "help %s",
		              cmds[i]);
		free(a);
		free(b);
	}
	ck_assert_int_eq(run_cli(d, out, NULL, "help", NULL), 0);
	expect_in(out, "\n  is-locked  exit 0 if a lock (or once run) is held, else 1\n");
	ck_assert_int_eq(run_cli(d, NULL, NULL, "help", "nope", NULL), 2);
	ck_assert_int_eq(run_cli(d, out, NULL, "help", "lock", NULL), 0);
	expect_in(out, "Defaults that differ from the reference's lock");
	ck_assert_int_eq(run_cli(d, out, NULL, "help", "pool", NULL), 0);
	expect_in(out, "Defaults that differ from the reference's pool");
	ck_assert_int_eq(run_cli(d, out, NULL, "help", "once", NULL), 0);
	expect_in(out, "Defaults that differ from the reference's once");
	ck_assert_int_eq(run_cli(d, out, NULL, "help", "cached", NULL), 0);
	expect_in(out, "The default TTL is the reference's");
	h_daemon_finish(d);
}
END_TEST

/* ---- info --json, metrics --------------------------------------------------------- */

START_TEST(test_cli_info_json_has_sections_numbers_and_keyspace_objects)
{
	struct h_daemon *d = start();
	char out[H_PATH_MAX], *s;
	int depth = 0, mindepth = 0;

	fpath(out, d, "out");
	ck_assert_int_eq(run_cli(d, NULL, NULL, "set", "k", "v", NULL), 0);
	ck_assert_int_eq(run_cli(d, out, NULL, "info", "--json", NULL), 0);
	s = slurp(out, NULL);
	ck_assert_msg(strncmp(s, "{\n \"server\": {\n", 15) == 0, "json: %s", s);
	ck_assert_msg(strstr(s, "\n  \"redis_version\": \"") && strstr(s, "\n  \"uptime_in_seconds\": "),
	              "json: %s", s);
	ck_assert_msg(strstr(s, "\"keyspace\": {\n  \"db0\": {\"keys\": 1, \"expires\": 0, "
	                        "\"avg_ttl\": 0}\n }\n}\n"),
	              "json: %s", s);
	/* Balanced, and nothing after the last brace. */
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\')
					p++;
		depth += *p == '{';
		depth -= *p == '}';
		if (depth < mindepth)
			mindepth = depth;
	}
	ck_assert_int_eq(depth, 0);
	ck_assert_int_eq(mindepth, 0);
	free(s);
	ck_assert_int_eq(run_cli(d, out, NULL, "info", "--json", "keyspace", NULL), 0);
	expect_str(out, "{\n \"keyspace\": {\n  \"db0\": {\"keys\": 1, \"expires\": 0, "
	                "\"avg_ttl\": 0}\n }\n}\n");
	h_daemon_finish(d);
}
END_TEST

static bool metric_name_ok(const char *p, size_t n)
{
	if (n == 0 || !(isalpha((unsigned char)p[0]) || p[0] == '_' || p[0] == ':'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '_' && p[i] != ':')
			return false;
	return true;
}

struct families {
	char name[METRIC_FAMILIES_MAX][128];
	char type[METRIC_FAMILIES_MAX][8];
	bool help[METRIC_FAMILIES_MAX];
	int n;
};

static int family(struct families *f, const char *name, size_t n)
{
	for (int i = 0; i < f->n; i++)
		if (strlen(f->name[i]) == n && strncmp(f->name[i], name, n) == 0)
			return i;
	return -1;
}

/* One line of the exposition: a comment declares, a sample must belong to
 * a declared family and carry a number. */
static void parse_metric_line(struct families *f, const char *line)
{
	const char *sp = strchr(line, ' '), *lb, *end;
	char *num_end;
	int i;

	if (strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0) {
		const char *name = line + 7, *e = strchr(name, ' ');

		ck_assert_msg(e && metric_name_ok(name, (size_t)(e - name)), "line: %s", line);
		i = family(f, name, (size_t)(e - name));
		if (line[2] == 'H') {
			ck_assert_msg(i < 0, "family declared twice: %s", line);
			ck_assert_int_lt(f->n, METRIC_FAMILIES_MAX);
			i = f->n++;
			snprintf(f->name[i], sizeof f->name[i], "%.*s", (int)(e - name), name);
			f->help[i] = true;
			ck_assert_msg(strlen(e + 1) > 0, "empty HELP: %s", line);
		} else {
			ck_assert_msg(i >= 0 && !f->type[i][0], "TYPE without HELP: %s", line);
			ck_assert_msg(strcmp(e + 1, "counter") == 0 || strcmp(e + 1, "gauge") == 0,
			              "line: %s", line);
			snprintf(f->type[i], sizeof f->type[i], "%s", e + 1);
			if (strcmp(e + 1, "counter") == 0)
				ck_assert_msg(strlen(f->name[i]) > 6 &&
				                  strcmp(f->name[i] + strlen(f->name[i]) - 6, "_total") == 0,
				              "a counter not named _total: %s", line);
		}
		return;
	}
	ck_assert_msg(line[0] != '#', "unknown comment: %s", line);
	lb = strchr(line, '{');
	end = lb && lb < sp ? lb : sp;
	ck_assert_msg(sp && metric_name_ok(line, (size_t)(end - line)), "line: %s", line);
	ck_assert_msg(strncmp(line, "cachify_", 8) == 0, "no cachify_ prefix: %s", line);
	i = family(f, line, (size_t)(end - line));
	ck_assert_msg(i >= 0 && f->type[i][0], "sample before its TYPE: %s", line);
	if (lb && lb < sp) {
		const char *rb = strstr(lb, "\"} ");

		ck_assert_msg(rb && metric_name_ok(lb + 1, (size_t)(strchr(lb, '=') - lb - 1)) &&
		                  strchr(lb, '=')[1] == '"',
		              "labels: %s", line);
		sp = rb + 2;
	}
	strtod(sp + 1, &num_end);
	ck_assert_msg(sp[1] && *num_end == '\0' && !isspace((unsigned char)sp[1]), "value: %s",
	              line);
}

START_TEST(test_cli_metrics_is_prometheus_text_with_types_and_labels)
{
	struct h_daemon *d = start();
	struct families *f = calloc(1, sizeof *f);
	char out[H_PATH_MAX], *s, *line, *save = NULL;

	ck_assert_ptr_nonnull(f);
	fpath(out, d, "out");
	ck_assert_int_eq(run_cli(d, NULL, NULL, "set", "k", "v", NULL), 0);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "lock", "l", "true", NULL), 0);
	ck_assert_int_eq(run_cli(d, out, NULL, "metrics", NULL), 0);
	s = slurp(out, NULL);
	ck_assert_msg(s[0] && s[strlen(s) - 1] == '\n', "metrics: %s", s);
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		parse_metric_line(f, line);
	free(s);
	s = slurp(out, NULL);
	ck_assert_msg(strstr(s, "\n# TYPE cachify_connected_clients gauge\n") &&
	                  strstr(s, "\n# TYPE cachify_locks_grants_total counter\n") &&
	                  strstr(s, "\ncachify_locks_grants_total 1\n") &&
	                  strstr(s, "\n# TYPE cachify_locks_held gauge\ncachify_locks_held 0\n") &&
	                  strstr(s, "\n# TYPE cachify_db_keys gauge\ncachify_db_keys{db=\"0\"} 1\n") &&
	                  strstr(s, "\ncachify_commands_total{cmd=\"set\"} 1\n") &&
	                  strstr(s, "\n# TYPE cachify_keyspace_misses_total counter\n"),
	              "metrics: %s", s);
	free(s);
	free(f);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "metrics", "extra", NULL), 2);
	h_daemon_finish(d);
}
END_TEST

/* ---- completion, finding the daemon, usage ------------------------------------- */

/* bash: the script parses, and with bash-completion's helpers stubbed it
 * completes commands, --on-lost's words and the guarded command. */
START_TEST(test_cli_completion_scripts_parse_and_complete)
{
	char script[SH_MAX], out[H_PATH_MAX];
	struct h_daemon *d = start();
	const char *bash_n[] = {"bash", "-n", h_src_path("completion/cachify.bash"), NULL};
	const char *zsh_n[] = {"zsh", "-n", h_src_path("completion/_cachify"), NULL};
	const char *run[] = {"bash", "-c", script, NULL};
	int st;

	fpath(out, d, "out");
	ck_assert_int_eq(h_exec(bash_n, NULL, NULL, NULL, SLOW(STATE_MS)), 0);
	snprintf(script, sizeof script,
	         "_init_completion() { words=(\"${COMP_WORDS[@]}\"); cword=$COMP_CWORD;"
	         " cur=${words[cword]}; prev=${words[cword-1]}; };"
	         " _command_offset() { COMPREPLY=(CMD@$1); }; _filedir() { COMPREPLY=(FILES); };"
	         " . %s; t() { COMP_WORDS=(\"$@\"); COMP_CWORD=$(($#-1)); COMPREPLY=(); _cachify;"
	         " echo \"${COMPREPLY[*]}\"; };"
	         " t cachify is-; t cachify lock --on-lost ''; t cachify lock -w 5 key ''; t cachify -s",
	         h_src_path("completion/cachify.bash"));
	ck_assert_int_eq(h_exec(run, NULL, out, NULL, SLOW(STATE_MS)), 0);
	expect_str(out, "is-locked\nfail warn kill\nCMD@5\n-s\n");
	st = h_exec(zsh_n, NULL, NULL, NULL, SLOW(STATE_MS));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		fputs("cli_parity: zsh not installed: completion/_cachify not checked\n", stderr);
	else
		ck_assert_int_eq(st, 0);
	h_daemon_finish(d);
}
END_TEST

/* No address at all: a `make run` socket of this checkout is found, and
 * without one the message says what to export. Skipped when a real daemon
 * (the system's, or a developer's make run) is in the way. */
START_TEST(test_cli_finds_the_make_run_daemon_or_says_what_to_set)
{
	char rundir[H_PATH_MAX], sock[H_PATH_MAX + 16], out[H_PATH_MAX], err[H_PATH_MAX];
	char want[H_PATH_MAX + 64];
	const char *ping[] = {"ping", NULL};
	struct h_daemon *d = h_daemon_new();
	bool made_dir;

	snprintf(rundir, sizeof rundir, "%s", h_src_path("run"));
	ck_assert_int_lt(snprintf(sock, sizeof sock, "%s/cachifyd.sock", rundir), (int)sizeof sock);
	if (exists("/run/cachifyd/cachifyd.sock") || exists(sock) ||
	    strlen(sock) >= H_SOCK_MAX) {
		fputs("cli_parity: skipped the daemon-finding test: a daemon socket exists at "
		      "/run/cachifyd or in run/\n",
		      stderr);
		h_daemon_free(d);
		return;
	}
	unsetenv("CACHIFY_URL");
	fpath(out, d, "out");
	fpath(err, d, "err");
	ck_assert_int_eq(reap(spawn_argv(NULL, NULL, out, err, ping)), 125);
	ck_assert_int_lt(snprintf(want, sizeof want, "\n  export CACHIFY_URL=unix:%s\n", sock),
	                 (int)sizeof want);
	expect_in(err, want);
	made_dir = mkdir(rundir, 0755) == 0;
	ck_assert_msg(made_dir || errno == EEXIST, "mkdir %s: %s", rundir, strerror(errno));
	ck_assert_int_lt(snprintf(d->sock, sizeof d->sock, "%s", sock), (int)sizeof d->sock);
	h_daemon_spawn(d, (const char *const[]){"--loglevel", "warning", NULL});
	h_daemon_wait_ready(d);
	ck_assert_int_eq(reap(spawn_argv(NULL, NULL, out, NULL, ping)), 0);
	expect_str(out, "PONG\n");
	h_daemon_finish(d);
	unlink(sock);
	if (made_dir)
		rmdir(rundir);
}
END_TEST

START_TEST(test_cli_new_options_reject_bad_values_with_2)
{
	struct h_daemon *d = start();

	ck_assert_int_eq(run_cli(d, NULL, NULL, "--name", "a b", "ping", NULL), 2);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "--name", "", "ping", NULL), 2);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "pool", "--shared", "p", "1", "true", NULL), 2);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "once", "--shared", "o", "true", NULL), 2);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "info", "a", "b", NULL), 2);
	/* lock's -s is --shared; its socket is --socket. */
	ck_assert_int_eq(run_cli(d, NULL, NULL, "lock", "--socket", d->sock, "k", "true", NULL), 0);
	ck_assert_int_eq(run_cli(d, NULL, NULL, "--name", "ok-name", "ping", NULL), 0);
	h_daemon_finish(d);
}
END_TEST

Suite *cli_parity_suite(void)
{
	Suite *s = suite_create("cli_parity");
	TCase *tc = tcase_create("parity");

	tcase_set_timeout(tc, 40 * h_slow());
	tcase_add_test(tc, test_cli_key_commands_apply_the_prefix_and_hint_at_other_forms);
	tcase_add_test(tc, test_cli_value_too_large_names_proto_max_bulk_len);
	tcase_add_test(tc, test_cli_cached_reset_hit_exit_code_and_verbose);
	tcase_add_test(tc, test_cli_is_locked_and_release_force_or_by_token);
	tcase_add_test(tc, test_cli_help_has_a_line_per_command_and_help_command);
	tcase_add_test(tc, test_cli_info_json_has_sections_numbers_and_keyspace_objects);
	tcase_add_test(tc, test_cli_metrics_is_prometheus_text_with_types_and_labels);
	tcase_add_test(tc, test_cli_completion_scripts_parse_and_complete);
	tcase_add_test(tc, test_cli_finds_the_make_run_daemon_or_says_what_to_set);
	tcase_add_test(tc, test_cli_new_options_reject_bad_values_with_2);
	suite_add_tcase(s, tc);
	return s;
}
