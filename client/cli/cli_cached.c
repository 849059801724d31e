/* cli_cached.c - `cachify cached`: a command's stdout, stderr and exit
 * status cached under prefix+KEY+"-cached" with libcachify's
 * cachify_cached, whose fill lock makes concurrent misses run the command
 * once while the others wait and replay. The stored value is
 *
 *     "cachify-run/1 STATUS OUTLEN ERRLEN\n" OUT ERR
 *
 * (decimal header, then the raw bytes), so any output round-trips exactly.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define RUN_MAGIC      "cachify-run/1"
#define RUN_HEADER_MAX 96 /* bytes of the header line, newline included */

struct cached_ctx {
	struct cli *g;
	struct cli_run run;
	bool discard_failures;
	size_t stored_len; /* bytes of the value handed to the library */
	bool ran;      /* the compute callback ran the command (its output is out) */
	int code;      /* its exit code */
	char *fullkey; /* prefix + KEY + "-cached", for the command's environment */
};

/* Encodes a finished run into a new value. 0, or -1 out of memory. */
static int encode_run(const struct cli_run *r, char **value, size_t *len)
{
	char head[RUN_HEADER_MAX];
	int n = snprintf(head, sizeof head, RUN_MAGIC " %d %zu %zu\n", r->exit_code, r->out.len,
	                 r->err.len);
	size_t total = (size_t)n + r->out.len + r->err.len;
	char *v = malloc(total + 1);

	if (!v)
		return -1;
	memcpy(v, head, (size_t)n);
	if (r->out.len)
		memcpy(v + n, r->out.data, r->out.len);
	if (r->err.len)
		memcpy(v + n + r->out.len, r->err.data, r->err.len);
	v[total] = '\0';
	*value = v;
	*len = total;
	return 0;
}

/* Splits a stored value; 0, or -1 if it is not a cached run. */
static int decode_run(const char *v, size_t len, int *code, const char **out, size_t *outlen,
                      const char **err, size_t *errlen)
{
	const char *nl = memchr(v, '\n', len < RUN_HEADER_MAX ? len : RUN_HEADER_MAX);
	char head[RUN_HEADER_MAX], tail;
	unsigned long long ol, el;
	size_t hlen;
	int c;

	if (!nl)
		return -1;
	hlen = (size_t)(nl - v) + 1;
	memcpy(head, v, hlen - 1);
	head[hlen - 1] = '\0';
	if (sscanf(head, RUN_MAGIC " %d %llu %llu%c", &c, &ol, &el, &tail) != 3 || c < 0 ||
	    c > 255 || ol > len || el > len || hlen + ol + el != len)
		return -1;
	*code = c;
	*out = v + hlen;
	*outlen = (size_t)ol;
	*err = v + hlen + ol;
	*errlen = (size_t)el;
	return 0;
}

/* cachify_cached's compute callback: runs the command (its output goes to
 * our stdout/stderr as it arrives, and into the value). Non-zero means
 * "do not cache": a failure with --discard-failures, a command that could
 * not start, a run we were interrupted during, or too much output. */
static int compute_cb(void *arg, char **value, size_t *len)
{
	struct cached_ctx *x = arg;

	x->run.capture = true;
	x->run.tee = true;
	x->run.env[0][0] = "CACHIFY_KEY";
	x->run.env[0][1] = x->fullkey;
	x->code = cli_run_child(x->g, &x->run);
	x->ran = true;
	if (x->run.exec_errno || x->run.signalled || x->run.overflow ||
	    (x->discard_failures && x->code != 0))
		return 1;
	if (encode_run(&x->run, value, len) != 0) {
		cli_warn(x->g, "out of memory");
		return 1;
	}
	x->stored_len = *len;
	return 0;
}

/* cached's own options. */
struct cached_opts {
	struct cachify_cached_options co;
	const char *opt_c;
	bool force, reset, verbose;
	long hit_code; /* --hit-exit-code, or -1 */
};

static int parse_opts(struct cli *g, int argc, char **argv, struct cached_ctx *x,
                      struct cached_opts *o)
{
	static const struct option longs[] = {
	    {"ttl", required_argument, NULL, CLI_OPT_TTL},
	    {"force", no_argument, NULL, CLI_OPT_FORCE},
	    {"reset", no_argument, NULL, CLI_OPT_RESET},
	    {"discard-failures", no_argument, NULL, CLI_OPT_DISCARD},
	    {"hit-exit-code", required_argument, NULL, CLI_OPT_HITCODE},
	    {"verbose", no_argument, NULL, 'v'},
	    {"command", required_argument, NULL, 'c'},
	    CLI_COMMON_LONG,
	    {NULL, 0, NULL, 0},
	};
	double ttl;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "+c:v" CLI_COMMON_SHORT, longs, NULL)) != -1) {
		rc = cli_common_opt(g, opt, optarg, argv);
		if (rc == CLI_OPT_NEXT)
			continue;
		if (rc != CLI_OPT_OTHER)
			return rc;
		switch (opt) {
		case CLI_OPT_TTL:
			if (cli_parse_duration(optarg, &ttl) != 0 || ttl <= 0)
				return cli_usage_error(g, "bad duration '%s' for --ttl", optarg);
			o->co.ttl = cli_ceil_secs(ttl);
			break;
		case CLI_OPT_FORCE:
			o->force = true;
			break;
		case CLI_OPT_RESET:
			o->reset = true;
			break;
		case CLI_OPT_DISCARD:
			x->discard_failures = true;
			break;
		case CLI_OPT_HITCODE:
			if (cli_parse_long(optarg, 0, 255, &o->hit_code) != 0)
				return cli_usage_error(g, "bad exit code '%s' for --hit-exit-code (0-255)",
				                       optarg);
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'c':
			o->opt_c = optarg;
			break;
		}
	}
	if (o->force && o->reset)
		return cli_usage_error(g, "--force and --reset exclude each other");
	return CLI_OPT_NEXT;
}

/* cached --reset KEY: forget the result; nothing runs. */
static int reset_only(struct cli *g, int argc, char **argv, const struct cached_opts *o)
{
	int rc;

	if (argc - optind > 1 || o->opt_c)
		return cli_usage_error(g, "--reset takes KEY alone (no command)");
	if ((rc = cli_connect(g)) != 0)
		return rc;
	if ((rc = cachify_cached_reset(g->cy, "%s", argv[optind])) != 0)
		return cli_fail(g, rc, "discarding the cached run");
	if (o->verbose)
		cli_warn(g, "forgot %s%s-cached", g->prefix, argv[optind]);
	return 0;
}

/* The end of our own run: its output has been shown already. */
static int after_run(struct cli *g, struct cached_ctx *x, const struct cached_opts *o, int rc)
{
	if (rc != 0 && rc != CACHIFY_ECALLBACK &&
	    !(x->stored_len && cli_explain_too_large(g, x->stored_len)))
		cli_fail(g, rc, "caching the result");
	else if (rc != 0 && rc != CACHIFY_ECALLBACK)
		cli_warn(g, "the run's result is not cached");
	if (o->verbose)
		cli_warn(g, "miss: ran the command (exit %d)%s", x->code,
		         rc == 0 ? ", cached" : ", not cached");
	return x->code;
}

int cli_cmd_cached(struct cli *g, int argc, char **argv)
{
	struct cached_opts o = {.co = {.ttl = CACHIFY_TTL_DEFAULT}, .hit_code = -1};
	struct cli_cmdline cmd;
	struct cached_ctx x = {.g = g, .run = {.cmd = &cmd}};
	const char *out, *err;
	size_t vlen, outlen, errlen;
	char *key, *v = NULL;
	int rc, fn_err, code;

	if ((rc = parse_opts(g, argc, argv, &x, &o)) != CLI_OPT_NEXT)
		return rc;
	if (optind >= argc)
		return cli_usage_error(g, "no KEY given");
	key = argv[optind];
	if (!*key)
		return cli_usage_error(g, "empty KEY");
	if (o.reset)
		return reset_only(g, argc, argv, &o);
	rc = cli_parse_cmdline(g, argc - optind - 1, argv + optind + 1, o.opt_c, &cmd);
	if (rc != 0)
		return rc;
	cli_set_default_name(g, cmd.shell ? NULL : cmd.argv);
	if ((rc = cli_connect(g)) != 0)
		return rc;
	if (!(x.fullkey = cli_key_with(g->prefix, key, "-cached")))
		return cli_fail(g, CACHIFY_ENOMEM, "cached");

	if (o.force && (rc = cachify_cached_reset(g->cy, "%s", key)) != 0) {
		free(x.fullkey);
		return cli_fail(g, rc, "discarding the cached run");
	}
	rc = cachify_cached(g->cy, &o.co, compute_cb, &x, &fn_err, &v, &vlen, "%s", key);
	if (x.ran) {
		free(v);
		code = after_run(g, &x, &o, rc);
		cli_run_free(&x.run);
		free(x.fullkey);
		return code;
	}
	cli_run_free(&x.run);
	if (rc != 0) {
		free(x.fullkey);
		return cli_fail(g, rc, "cached");
	}
	if (decode_run(v, vlen, &code, &out, &outlen, &err, &errlen) != 0) {
		cli_warn(g, "%s holds something that is not a cached run (--force replaces it)",
		         x.fullkey);
		free(x.fullkey);
		free(v);
		return CLI_EXIT_FAIL;
	}
	if (o.verbose)
		cli_warn(g, "hit: replaying %s (exit %d)", x.fullkey, code);
	free(x.fullkey);
	/* Replay: stdout first, then stderr (their interleaving is not kept). */
	fflush(stdout);
	if (cli_write_all(STDOUT_FILENO, out, outlen) != 0 ||
	    cli_write_all(STDERR_FILENO, err, errlen) != 0) {
		free(v);
		return CLI_EXIT_FAIL;
	}
	free(v);
	return o.hit_code >= 0 ? (int)o.hit_code : code;
}
