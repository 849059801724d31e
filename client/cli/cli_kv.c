/* cli_kv.c - the plain commands: get, set, del, ttl and ping. Keys get the
 * --prefix, as in cached/lock/once/pool (--no-prefix: as given; --cached,
 * --lock, --once, --pool: that command's key), and a key that is absent
 * gets a hint when it exists in another of those forms. Values are binary
 * safe both ways; one too large for cachifyd is named as such.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define STDIN_CHUNK 65536 /* bytes per read of a value from stdin */

/* The forms a KEY argument can name: prefix + KEY + one of these, or KEY
 * as given. Index 0 is the plain prefixed key. */
static const struct {
	const char *suffix;
	const char *flag; /* the option that selects it */
} forms[] = {{"", ""}, {"-cached", "--cached "}, {"-lock", "--lock "},
             {"-once", "--once "}, {"-pool", "--pool "}};
#define NFORMS (sizeof forms / sizeof forms[0])

/* How get, set, del and ttl turn KEY into a key. */
struct keyopts {
	bool no_prefix; /* --no-prefix */
	size_t form;    /* index into forms */
};

char *cli_key_with(const char *prefix, const char *key, const char *suffix)
{
	size_t n = strlen(prefix) + strlen(key) + strlen(suffix) + 1;
	char *k = malloc(n);

	if (k)
		snprintf(k, n, "%s%s%s", prefix, key, suffix);
	return k;
}

static char *full_key(const struct cli *g, const struct keyopts *k, const char *key)
{
	return cli_key_with(k->no_prefix ? "" : g->prefix, key, forms[k->form].suffix);
}

/* A key option (CLI_OPT_NEXT) or CLI_OPT_OTHER. */
static int key_opt(struct cli *g, int opt, struct keyopts *k)
{
	switch (opt) {
	case CLI_OPT_NOPREFIX:
		k->no_prefix = true;
		return CLI_OPT_NEXT;
	case CLI_OPT_CACHED:
	case CLI_OPT_LOCK:
	case CLI_OPT_ONCE:
	case CLI_OPT_POOL:
		if (k->form != 0)
			return cli_usage_error(g, "--cached, --lock, --once and --pool exclude each other");
		k->form = (size_t)(opt - CLI_OPT_CACHED) + 1;
		return CLI_OPT_NEXT;
	}
	return CLI_OPT_OTHER;
}

#define KEY_LONGS                                                                                  \
	{"no-prefix", no_argument, NULL, CLI_OPT_NOPREFIX},                                        \
	    {"cached", no_argument, NULL, CLI_OPT_CACHED},                                         \
	    {"lock", no_argument, NULL, CLI_OPT_LOCK}, {"once", no_argument, NULL, CLI_OPT_ONCE},  \
	    {"pool", no_argument, NULL, CLI_OPT_POOL}

static bool key_exists(struct cli *g, const char *key)
{
	const char *argv[] = {"EXISTS", key};
	cachify_reply *r;
	bool yes;

	if (cli_call(g, &r, 2, argv) != 0)
		return false;
	yes = r->type == CACHIFY_REPLY_INTEGER && r->integer > 0;
	cachify_reply_free(r);
	return yes;
}

/* KEY is absent in the form asked for: names the forms it exists in, with
 * the options that reach them (a hint; nothing if none). */
static void hint_other_forms(struct cli *g, const struct keyopts *k, const char *key)
{
	char *asked = full_key(g, k, key);

	for (int np = 0; asked && np <= 1; np++) {
		for (size_t f = 0; f < NFORMS; f++) {
			struct keyopts other = {.no_prefix = np, .form = f};
			char *full;

			if ((other.no_prefix == k->no_prefix && f == k->form) ||
			    (np && *g->prefix == '\0'))
				continue;
			if (!(full = full_key(g, &other, key)))
				break;
			if (key_exists(g, full))
				cli_warn(g, "no key %s, but %s exists: cachify %s %s%s%s", asked, full,
				         g->cmd, np ? "--no-prefix " : "", forms[f].flag, key);
			free(full);
		}
	}
	free(asked);
}

/* Options for get, del and ttl (key options and the common ones). Leaves
 * optind at the first positional; CLI_OPT_NEXT, or an exit code. */
static int key_cmd_opts(struct cli *g, int argc, char **argv, struct keyopts *k)
{
	static const struct option longs[] = {KEY_LONGS, CLI_COMMON_LONG, {NULL, 0, NULL, 0}};
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "+" CLI_COMMON_SHORT, longs, NULL)) != -1) {
		rc = cli_common_opt(g, opt, optarg, argv);
		if (rc == CLI_OPT_OTHER)
			rc = key_opt(g, opt, k);
		if (rc != CLI_OPT_NEXT)
			return rc == CLI_OPT_OTHER ? cli_usage_error(g, "bad option") : rc;
	}
	return CLI_OPT_NEXT;
}

/* Options, then exactly min..max positionals, then the connection. */
static int positionals(struct cli *g, int argc, char **argv, int min, int max, struct keyopts *k)
{
	static const struct option longs[] = {CLI_COMMON_LONG, {NULL, 0, NULL, 0}};
	int rc = CLI_OPT_NEXT, opt, n;

	if (k) {
		rc = key_cmd_opts(g, argc, argv, k);
	} else {
		while (rc == CLI_OPT_NEXT &&
		       (opt = getopt_long(argc, argv, "+" CLI_COMMON_SHORT, longs, NULL)) != -1) {
			rc = cli_common_opt(g, opt, optarg, argv);
			if (rc == CLI_OPT_OTHER)
				rc = cli_usage_error(g, "bad option");
		}
	}
	if (rc != CLI_OPT_NEXT)
		return rc;
	n = argc - optind;
	if (n < min)
		return cli_usage_error(g, min == 1 ? "no KEY given" : "missing arguments");
	if (n > max)
		return cli_usage_error(g, "unexpected argument '%s'", argv[optind + max]);
	rc = cli_connect(g);
	return rc ? rc : CLI_OPT_NEXT;
}

bool cli_explain_too_large(struct cli *g, size_t len)
{
	const char *argv[] = {"CONFIG", "GET", "proto-max-bulk-len"};
	cachify_reply *r;
	long long max = -1;

	if (cli_call(g, &r, 3, argv) != 0)
		return false;
	if (r->type == CACHIFY_REPLY_ARRAY && r->elements == 2 && r->element[1]->str)
		max = strtoll(r->element[1]->str, NULL, 10);
	cachify_reply_free(r);
	if (max <= 0 || len <= (unsigned long long)max)
		return false;
	cli_warn(g, "value too large: %zu bytes > proto-max-bulk-len %lld", len, max);
	return true;
}

int cli_cmd_get(struct cli *g, int argc, char **argv)
{
	struct keyopts k = {0};
	char *v, *key;
	size_t len;
	int rc = positionals(g, argc, argv, 1, 1, &k);

	if (rc != CLI_OPT_NEXT)
		return rc;
	if (!(key = full_key(g, &k, argv[optind])))
		return cli_fail(g, CACHIFY_ENOMEM, "get");
	rc = cachify_client_get(g->cl, key, strlen(key), &v, &len);
	free(key);
	if (rc < 0)
		return cli_fail(g, rc, "get");
	if (rc == 0) {
		hint_other_forms(g, &k, argv[optind]);
		return 1;
	}
	rc = cli_write_all(STDOUT_FILENO, v, len);
	if (rc == 0 && isatty(STDOUT_FILENO))
		rc = cli_write_all(STDOUT_FILENO, "\n", 1);
	free(v);
	return rc == 0 ? 0 : CLI_EXIT_FAIL;
}

static int read_stdin(struct cli_buf *b)
{
	char chunk[STDIN_CHUNK];

	for (;;) {
		ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);

		if (n == 0)
			return 0;
		if (n < 0)
			return -1;
		if (cli_buf_add(b, chunk, (size_t)n) != 0)
			return -1;
	}
}

/* set's options: CLI_OPT_NEXT, or an exit code. */
static int set_opts(struct cli *g, int argc, char **argv, struct keyopts *k, int64_t *ex, bool *nx)
{
	static const struct option longs[] = {
	    {"ttl", required_argument, NULL, CLI_OPT_TTL},
	    {"nx", no_argument, NULL, CLI_OPT_NX},
	    KEY_LONGS,
	    CLI_COMMON_LONG,
	    {NULL, 0, NULL, 0},
	};
	double ttl;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "+" CLI_COMMON_SHORT, longs, NULL)) != -1) {
		rc = cli_common_opt(g, opt, optarg, argv);
		if (rc == CLI_OPT_OTHER)
			rc = key_opt(g, opt, k);
		if (rc == CLI_OPT_NEXT)
			continue;
		if (rc != CLI_OPT_OTHER)
			return rc;
		if (opt == CLI_OPT_NX)
			*nx = true;
		else if (cli_parse_duration(optarg, &ttl) != 0 || ttl <= 0)
			return cli_usage_error(g, "bad duration '%s' for --ttl", optarg);
		else
			*ex = cli_ceil_secs(ttl);
	}
	return CLI_OPT_NEXT;
}

int cli_cmd_set(struct cli *g, int argc, char **argv)
{
	struct keyopts k = {0};
	struct cli_buf in = {0};
	const char *value;
	char *key;
	size_t vlen;
	int64_t ex = 0;
	bool nx = false;
	int rc;

	if ((rc = set_opts(g, argc, argv, &k, &ex, &nx)) != CLI_OPT_NEXT)
		return rc;
	if (argc - optind < 1)
		return cli_usage_error(g, "no KEY given");
	if (argc - optind > 2)
		return cli_usage_error(g, "unexpected argument '%s' (quote a value with spaces)",
		                       argv[optind + 2]);
	if (argc - optind == 2) {
		value = argv[optind + 1];
		vlen = strlen(value);
	} else {
		if (read_stdin(&in) != 0) {
			cli_buf_free(&in);
			cli_warn(g, "reading the value from stdin failed");
			return CLI_EXIT_FAIL;
		}
		value = in.data ? in.data : "";
		vlen = in.len;
	}
	if ((rc = cli_connect(g)) != 0 || !(key = full_key(g, &k, argv[optind]))) {
		cli_buf_free(&in);
		return rc ? rc : cli_fail(g, CACHIFY_ENOMEM, "set");
	}
	rc = cachify_client_set(g->cl, key, strlen(key), value, vlen, ex, nx);
	cli_buf_free(&in);
	free(key);
	if (rc < 0 && cli_explain_too_large(g, vlen))
		return CLI_EXIT_FAIL;
	if (rc < 0)
		return cli_fail(g, rc, "set");
	return rc == 1 ? 0 : 1;
}

int cli_cmd_del(struct cli *g, int argc, char **argv)
{
	struct keyopts k = {0};
	char **keys;
	size_t *lens;
	int n, rc = positionals(g, argc, argv, 1, argc, &k);

	if (rc != CLI_OPT_NEXT)
		return rc;
	n = argc - optind;
	keys = calloc((size_t)n, sizeof *keys);
	lens = calloc((size_t)n, sizeof *lens);
	for (int i = 0; keys && lens && i < n; i++) {
		if (!(keys[i] = full_key(g, &k, argv[optind + i])))
			break;
		lens[i] = strlen(keys[i]);
	}
	if (keys && lens && (n == 0 || keys[n - 1]))
		rc = cachify_client_del(g->cl, (size_t)n, (const char *const *)keys, lens);
	else
		rc = CACHIFY_ENOMEM;
	for (int i = 0; keys && i < n; i++)
		free(keys[i]);
	free(keys);
	free(lens);
	if (rc < 0)
		return cli_fail(g, rc, "del");
	printf("%d\n", rc);
	if (rc == 0)
		for (int i = optind; i < argc; i++)
			hint_other_forms(g, &k, argv[i]);
	return rc > 0 ? 0 : 1;
}

/* One command with NUL-terminated arguments and a reply of the given
 * type (else a failure, printed): 0 with *out set, or an exit code. */
static int call_expect(struct cli *g, int argc, const char *const *argv,
                       enum cachify_reply_type want, cachify_reply **out)
{
	int rc = cli_call(g, out, argc, argv);

	if (rc != 0)
		return cli_fail(g, rc, argv[0]);
	if ((*out)->type == want ||
	    ((*out)->type == CACHIFY_REPLY_STRING && want == CACHIFY_REPLY_BULK))
		return 0;
	if ((*out)->type == CACHIFY_REPLY_ERROR)
		cli_warn(g, "%s", (*out)->str);
	else
		cli_warn(g, "unexpected reply to %s", argv[0]);
	cachify_reply_free(*out);
	*out = NULL;
	return CLI_EXIT_FAIL;
}

int cli_cmd_ttl(struct cli *g, int argc, char **argv)
{
	const char *cmd[] = {"PTTL", NULL};
	struct keyopts k = {0};
	cachify_reply *r;
	char *key;
	long long ms;
	int rc = positionals(g, argc, argv, 1, 1, &k);

	if (rc != CLI_OPT_NEXT)
		return rc;
	if (!(key = full_key(g, &k, argv[optind])))
		return cli_fail(g, CACHIFY_ENOMEM, "ttl");
	cmd[1] = key;
	rc = call_expect(g, 2, cmd, CACHIFY_REPLY_INTEGER, &r);
	free(key);
	if (rc != 0)
		return rc;
	ms = r->integer;
	cachify_reply_free(r);
	if (ms == -2) {
		hint_other_forms(g, &k, argv[optind]);
		return 1;
	}
	if (ms < 0)
		printf("-1\n");
	else
		printf("%lld.%03lld\n", ms / 1000, ms % 1000);
	return 0;
}

int cli_cmd_ping(struct cli *g, int argc, char **argv)
{
	const char *cmd[] = {"PING"};
	cachify_reply *r;
	int rc = positionals(g, argc, argv, 0, 0, NULL);

	if (rc != CLI_OPT_NEXT)
		return rc;
	if ((rc = call_expect(g, 1, cmd, CACHIFY_REPLY_STRING, &r)) != 0)
		return rc;
	printf("%s\n", r->str);
	cachify_reply_free(r);
	return 0;
}
