/* cli_kv.c - the plain commands: get, set, del, ttl, ping and info. Keys
 * are used as given (no prefix), as with cachify_client_get/set/del; values
 * are binary safe both ways.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define STDIN_CHUNK 65536 /* bytes per read of a value from stdin */

/* Options for commands that take none of their own. Leaves optind at the
 * first positional; CLI_OPT_NEXT, or an exit code. */
static int common_only(struct cli *g, int argc, char **argv)
{
	static const struct option longs[] = {CLI_COMMON_LONG, {NULL, 0, NULL, 0}};
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "+" CLI_COMMON_SHORT, longs, NULL)) != -1) {
		rc = cli_common_opt(g, opt, optarg, argv);
		if (rc != CLI_OPT_NEXT)
			return rc == CLI_OPT_OTHER ? cli_usage_error(g, "bad option") : rc;
	}
	return CLI_OPT_NEXT;
}

/* common_only, then exactly min..max positionals. */
static int positionals(struct cli *g, int argc, char **argv, int min, int max)
{
	int rc = common_only(g, argc, argv);
	int n = argc - optind;

	if (rc != CLI_OPT_NEXT)
		return rc;
	if (n < min)
		return cli_usage_error(g, min == 1 ? "no KEY given" : "missing arguments");
	if (n > max)
		return cli_usage_error(g, "unexpected argument '%s'", argv[optind + max]);
	rc = cli_connect(g);
	return rc ? rc : CLI_OPT_NEXT;
}

int cli_cmd_get(struct cli *g, int argc, char **argv)
{
	char *v;
	size_t len;
	int rc = positionals(g, argc, argv, 1, 1);

	if (rc != CLI_OPT_NEXT)
		return rc;
	rc = cachify_client_get(g->cl, argv[optind], strlen(argv[optind]), &v, &len);
	if (rc < 0)
		return cli_fail(g, rc, "get");
	if (rc == 0)
		return 1;
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

int cli_cmd_set(struct cli *g, int argc, char **argv)
{
	static const struct option longs[] = {
	    {"ttl", required_argument, NULL, CLI_OPT_TTL},
	    {"nx", no_argument, NULL, CLI_OPT_NX},
	    CLI_COMMON_LONG,
	    {NULL, 0, NULL, 0},
	};
	struct cli_buf in = {0};
	const char *value;
	size_t vlen;
	int64_t ex = 0;
	bool nx = false;
	double ttl;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "+" CLI_COMMON_SHORT, longs, NULL)) != -1) {
		rc = cli_common_opt(g, opt, optarg, argv);
		if (rc == CLI_OPT_NEXT)
			continue;
		if (rc != CLI_OPT_OTHER)
			return rc;
		if (opt == CLI_OPT_NX) {
			nx = true;
		} else if (cli_parse_duration(optarg, &ttl) != 0 || ttl <= 0) {
			return cli_usage_error(g, "bad duration '%s' for --ttl", optarg);
		} else {
			ex = cli_ceil_secs(ttl);
		}
	}
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
	if ((rc = cli_connect(g)) != 0) {
		cli_buf_free(&in);
		return rc;
	}
	rc = cachify_client_set(g->cl, argv[optind], strlen(argv[optind]), value, vlen, ex, nx);
	cli_buf_free(&in);
	if (rc < 0)
		return cli_fail(g, rc, "set");
	return rc == 1 ? 0 : 1;
}

int cli_cmd_del(struct cli *g, int argc, char **argv)
{
	size_t *lens;
	int n, rc = positionals(g, argc, argv, 1, argc);

	if (rc != CLI_OPT_NEXT)
		return rc;
	n = argc - optind;
	lens = calloc((size_t)n, sizeof *lens);
	if (!lens)
		return cli_fail(g, CACHIFY_ENOMEM, "del");
	for (int i = 0; i < n; i++)
		lens[i] = strlen(argv[optind + i]);
	rc = cachify_client_del(g->cl, (size_t)n, (const char *const *)argv + optind, lens);
	free(lens);
	if (rc < 0)
		return cli_fail(g, rc, "del");
	printf("%d\n", rc);
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
	cachify_reply *r;
	long long ms;
	int rc = positionals(g, argc, argv, 1, 1);

	if (rc != CLI_OPT_NEXT)
		return rc;
	cmd[1] = argv[optind];
	if ((rc = call_expect(g, 2, cmd, CACHIFY_REPLY_INTEGER, &r)) != 0)
		return rc;
	ms = r->integer;
	cachify_reply_free(r);
	if (ms == -2)
		return 1;
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
	int rc = positionals(g, argc, argv, 0, 0);

	if (rc != CLI_OPT_NEXT)
		return rc;
	if ((rc = call_expect(g, 1, cmd, CACHIFY_REPLY_STRING, &r)) != 0)
		return rc;
	printf("%s\n", r->str);
	cachify_reply_free(r);
	return 0;
}

int cli_cmd_info(struct cli *g, int argc, char **argv)
{
	const char *cmd[] = {"INFO", NULL};
	cachify_reply *r;
	int rc = positionals(g, argc, argv, 0, 1);

	if (rc != CLI_OPT_NEXT)
		return rc;
	cmd[1] = argv[optind];
	if ((rc = call_expect(g, optind < argc ? 2 : 1, cmd, CACHIFY_REPLY_BULK, &r)) != 0)
		return rc;
	/* INFO's lines end in CRLF, as in Redis; a terminal wants LF. */
	for (size_t i = 0; i < r->len; i++)
		if (r->str[i] != '\r')
			putchar(r->str[i]);
	cachify_reply_free(r);
	return 0;
}
