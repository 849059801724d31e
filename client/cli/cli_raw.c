/* cli_raw.c - `cachify raw`: any command through cachify_client_call, its
 * reply printed the way redis-cli prints it (formatted on a terminal, bare
 * otherwise), and a line-by-line mode when no command is given. Lines are
 * split by proto/'s inline parser, so quoting is exactly the server's.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "resp.h"

#define RAW_PROMPT "cachify> "

/* redis-cli's quoting of a bulk string: "..." with C escapes. */
static void print_quoted(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '\\':
			fputs("\\\\", f);
			break;
		case '"':
			fputs("\\\"", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\a':
			fputs("\\a", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		default:
			if (c >= 0x20 && c < 0x7f)
				fputc(c, f);
			else
				fprintf(f, "\\x%02x", c);
		}
	}
	fputc('"', f);
}

/* redis-cli's terminal format; prefix indents nested arrays. */
static void print_tty(FILE *f, const cachify_reply *r, const char *prefix)
{
	switch (r->type) {
	case CACHIFY_REPLY_STRING:
		fwrite(r->str, 1, r->len, f);
		break;
	case CACHIFY_REPLY_ERROR:
		fputs("(error) ", f);
		fwrite(r->str, 1, r->len, f);
		break;
	case CACHIFY_REPLY_INTEGER:
		fprintf(f, "(integer) %lld", r->integer);
		break;
	case CACHIFY_REPLY_BULK:
		print_quoted(f, r->str, r->len);
		break;
	case CACHIFY_REPLY_NIL:
		fputs("(nil)", f);
		break;
	case CACHIFY_REPLY_ARRAY: {
		char sub[256];
		int width = 0;

		if (r->elements == 0) {
			fputs("(empty array)\n", f);
			return;
		}
		for (size_t n = r->elements; n; n /= 10)
			width++;
		/* Nested entries line up under their parent's text. */
		snprintf(sub, sizeof sub, "%s%*s", prefix, width + 2, "");
		for (size_t i = 0; i < r->elements; i++) {
			fprintf(f, "%s%*zu) ", i == 0 ? "" : prefix, width, i + 1);
			print_tty(f, r->element[i], sub);
		}
		return;
	}
	}
	fputc('\n', f);
}

/* redis-cli's bare format: values as they are, array elements one a line,
 * nil as nothing. */
static void print_raw(FILE *f, const cachify_reply *r)
{
	switch (r->type) {
	case CACHIFY_REPLY_STRING:
	case CACHIFY_REPLY_BULK:
	case CACHIFY_REPLY_ERROR:
		fwrite(r->str, 1, r->len, f);
		break;
	case CACHIFY_REPLY_INTEGER:
		fprintf(f, "%lld", r->integer);
		break;
	case CACHIFY_REPLY_NIL:
		break;
	case CACHIFY_REPLY_ARRAY:
		for (size_t i = 0; i < r->elements; i++) {
			if (i > 0)
				fputc('\n', f);
			print_raw(f, r->element[i]);
		}
		break;
	}
}

/* Prints a reply; error replies go to stderr in the bare format, so only
 * data reaches a pipe. 1 if it was an error reply, else 0. */
static int print_reply(const cachify_reply *r, bool raw)
{
	bool err = r->type == CACHIFY_REPLY_ERROR;

	if (!raw) {
		print_tty(stdout, r, "");
	} else if (err) {
		fflush(stdout);
		fputs("(error) ", stderr);
		fwrite(r->str, 1, r->len, stderr);
		fputc('\n', stderr);
	} else {
		print_raw(stdout, r);
		fputc('\n', stdout);
	}
	return err;
}

/* One command: 0 for a reply, 1 for an error reply, or an exit code. */
static int send_one(struct cli *g, int argc, const char *const *argv, const size_t *lens, bool raw)
{
	cachify_reply *r;
	int rc = cli_callv(g, &r, argc, argv, lens);

	if (rc != 0)
		return cli_fail(g, rc, argv[0]);
	rc = print_reply(r, raw);
	cachify_reply_free(r);
	return rc;
}

/* Commands from stdin, one a line, quoted as in redis-cli. Prompts on a
 * terminal. Returns 0, or 1 if any reply was an error and stdin is not a
 * terminal (a script), or an exit code on a failure to reach cachifyd. */
static bool arg_is(const struct resp_arg *a, const char *word)
{
	return a->len == strlen(word) && strncasecmp(a->ptr, word, a->len) == 0;
}

static int lines(struct cli *g, bool raw)
{
	bool tty = isatty(STDIN_FILENO), any_error = false;
	struct resp_req req;
	struct cli_buf buf = {0};
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	resp_req_init(&req, NULL);
	for (;;) {
		size_t used;
		const char **argv;
		size_t *lens;

		if (tty) {
			fputs(RAW_PROMPT, stdout);
			fflush(stdout);
		}
		if ((n = getline(&line, &cap, stdin)) < 0)
			break;
		/* A leading blank keeps the line inline even if it starts with
		 * '*'; a last line without its newline gets one. */
		if (cli_buf_add(&buf, " ", 1) != 0 || cli_buf_add(&buf, line, (size_t)n) != 0 ||
		    (line[n - 1] != '\n' && cli_buf_add(&buf, "\n", 1) != 0)) {
			rc = cli_fail(g, CACHIFY_ENOMEM, "raw");
			break;
		}
		resp_req_reset(&req);
		rc = resp_req_parse(&req, buf.data, buf.len, &used);
		buf.len = 0;
		if (rc != 1) {
			rc = 0;
			fprintf(stderr, "Invalid argument(s): %s\n",
			        req.err ? req.err : "incomplete");
			any_error = true;
			continue;
		}
		if (req.argc == 0)
			continue;
		if (req.argc == 1 && (arg_is(&req.argv[0], "quit") || arg_is(&req.argv[0], "exit")))
			break;
		argv = calloc((size_t)req.argc, sizeof *argv);
		lens = calloc((size_t)req.argc, sizeof *lens);
		if (!argv || !lens) {
			free(argv);
			free(lens);
			rc = cli_fail(g, CACHIFY_ENOMEM, "raw");
			break;
		}
		for (int i = 0; i < req.argc; i++) {
			argv[i] = req.argv[i].ptr;
			lens[i] = req.argv[i].len;
		}
		rc = send_one(g, req.argc, argv, lens, raw);
		free(argv);
		free(lens);
		fflush(stdout);
		if (rc > 1)
			break;
		any_error |= rc == 1;
		rc = 0;
	}
	if (tty && n < 0)
		fputc('\n', stdout);
	free(line);
	cli_buf_free(&buf);
	resp_req_free(&req);
	return rc ? rc : (!tty && any_error);
}

int cli_cmd_raw(struct cli *g, int argc, char **argv)
{
	static const struct option longs[] = {
	    {"raw", no_argument, NULL, CLI_OPT_RAW},
	    {"no-raw", no_argument, NULL, CLI_OPT_NORAW},
	    CLI_COMMON_LONG,
	    {NULL, 0, NULL, 0},
	};
	bool raw = !isatty(STDOUT_FILENO);
	size_t *lens;
	int opt, rc, n;

	while ((opt = getopt_long(argc, argv, "+" CLI_COMMON_SHORT, longs, NULL)) != -1) {
		rc = cli_common_opt(g, opt, optarg, argv);
		if (rc == CLI_OPT_NEXT)
			continue;
		if (rc != CLI_OPT_OTHER)
			return rc;
		raw = opt == CLI_OPT_RAW;
	}
	if ((rc = cli_connect(g)) != 0)
		return rc;
	n = argc - optind;
	if (n == 0)
		return lines(g, raw);
	lens = calloc((size_t)n, sizeof *lens);
	if (!lens)
		return cli_fail(g, CACHIFY_ENOMEM, "raw");
	for (int i = 0; i < n; i++)
		lens[i] = strlen(argv[optind + i]);
	rc = send_one(g, n, (const char *const *)argv + optind, lens, raw);
	free(lens);
	return rc;
}
