/* cli.c - cachify, the command-line tool: global options, the connection
 * to cachifyd through libcachify (and finding it when no address is
 * given), messages and usage, and main, which sends each subcommand to its
 * file through cli_cmds.c's table. Subcommands own their arguments;
 * cli_args.c and cli_run.c their helpers.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"

static void main_usage(FILE *f)
{
	fputs("usage: cachify [-s PATH | -u URL] [--prefix P] [--name NAME] COMMAND [ARGS...]\n"
	      "       cachify help [COMMAND] | COMMAND --help | --help | --version\n\n"
	      "Commands:\n",
	      f);
	for (const struct cli_cmd_def *d = cli_cmds; d->name; d++)
		fprintf(f, "  %-10s %s\n", d->name, d->summary);
	fputs("\nDurations: 500ms, 30s, 5m, 1h, 1d, or a bare number of seconds\n"
	      "(decimals allowed). `cachify help COMMAND` for a command's options; see\n"
	      "cachify(1).\n",
	      f);
}

void cli_main_usage(FILE *f)
{
	main_usage(f);
}

/* ---- messages -------------------------------------------------------------- */

static void vwarn(const struct cli *g, const char *fmt, va_list ap)
{
	if (g && g->cmd)
		fprintf(stderr, "cachify %s: ", g->cmd);
	else
		fputs("cachify: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_warn(const struct cli *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(g, fmt, ap);
	va_end(ap);
}

int cli_fail(const struct cli *g, int err, const char *what)
{
	const char *last = cachify_last_error();

	if (strcmp(last, "no error") == 0)
		last = cachify_strerror(err);
	cli_warn(g, "%s: %s", what, last);
	if (err == CACHIFY_EIO && g && g->found_path)
		fputs("cachify: no cachifyd answers at " CLI_SYSTEM_SOCKET
#ifdef CLI_CHECKOUT_SOCKET
		      " nor at " CLI_CHECKOUT_SOCKET " (make run)"
#endif
		      ".\nStart one (systemctl start cachifyd, or make run), or point cachify at "
		      "yours:\n  export CACHIFY_URL=unix:"
#ifdef CLI_CHECKOUT_SOCKET
		      CLI_CHECKOUT_SOCKET
#else
		      "/path/to/cachifyd.sock"
#endif
		      "\n",
		      stderr);
	return CLI_EXIT_FAIL;
}

int cli_usage_error(const struct cli *g, const char *fmt, ...)
{
	const struct cli_cmd_def *d = g->cmd ? cli_find_cmd(g->cmd) : NULL;
	va_list ap;

	va_start(ap, fmt);
	vwarn(g, fmt, ap);
	va_end(ap);
	if (d) {
		fprintf(stderr, "usage: cachify %s %s\n", d->name, d->usage);
		fprintf(stderr, "Try 'cachify %s --help' for more information.\n", d->name);
	} else {
		main_usage(stderr);
	}
	return CLI_EXIT_USAGE;
}

int cli_help(const struct cli *g)
{
	const struct cli_cmd_def *d = cli_find_cmd(g->cmd);

	printf("usage: cachify %s %s\n\n%s", d->name, d->usage, d->help);
	return fflush(stdout) == 0 ? 0 : CLI_EXIT_FAIL;
}

/* `cachify help [COMMAND]`: git's and apt's spelling of --help. */
int cli_cmd_help(struct cli *g, int argc, char **argv)
{
	const struct cli_cmd_def *d;

	if (argc > 2)
		return cli_usage_error(g, "unexpected argument '%s'", argv[2]);
	if (argc < 2) {
		main_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		return cli_help(g);
	d = cli_find_cmd(argv[1]);
	if (!d)
		return cli_usage_error(g, "unknown command '%s'", argv[1]);
	g->cmd = d->name;
	return cli_help(g);
}

/* ---- the connection ---------------------------------------------------------- */

/* Whether something accepts connections at path (a probe: connect, close). */
static bool answers(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, rc;

	if (strlen(path) >= sizeof sa.sun_path)
		return false;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	do
		rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	while (rc != 0 && errno == EINTR);
	close(fd);
	return rc == 0;
}

/* No -s, -u or $CACHIFY_URL: the system's daemon if it answers, else the
 * `make run` daemon of the checkout cachify was built in if that one does,
 * else the system's path (whose failure cli_fail then explains). */
static const char *find_socket(struct cli *g)
{
	const char *env = getenv("CACHIFY_URL");

	if (env && *env)
		return NULL;
	g->found_path = true;
#ifdef CLI_CHECKOUT_SOCKET
	if (!answers(CLI_SYSTEM_SOCKET) && answers(CLI_CHECKOUT_SOCKET))
		return CLI_CHECKOUT_SOCKET;
#endif
	return CLI_SYSTEM_SOCKET;
}

void cli_set_default_name(struct cli *g, char *const *argv)
{
	const char *base = argv && argv[0] ? strrchr(argv[0], '/') : NULL;

	if (g->name)
		return;
	base = base ? base + 1 : argv && argv[0] ? argv[0] : g->cmd;
	snprintf(g->name_buf, sizeof g->name_buf, "cachify:%s", base ? base : "");
	/* cachifyd (as Redis) takes no blanks or controls in a name. */
	for (char *p = g->name_buf; *p; p++)
		if (*p <= ' ' || *p > '~')
			*p = '_';
	g->name = g->name_buf;
}

int cli_connect(struct cli *g)
{
	struct cachify_daemon_options dopt;
	struct cachify_options opt;
	const char *addr = g->url ? g->url : g->socket;
	cachify_client *cl;
	int rc;

	if (g->cy)
		return 0;
	if (!addr)
		addr = find_socket(g);
	cli_set_default_name(g, NULL);
	cachify_daemon_options_init(&dopt);
	dopt.name = g->name;
	cl = cachify_client_daemon(addr, &dopt);
	if (!cl) {
		if (addr && !g->found_path)
			return cli_usage_error(g, "%s", cachify_last_error());
		cli_warn(g, "$CACHIFY_URL: %s", cachify_last_error());
		return CLI_EXIT_FAIL;
	}
	cachify_options_init(&opt);
	opt.sync_client = cl;
	opt.prefix = g->prefix;
	opt.is_global = false;
	/* Session-bound grants need no TTL: they end with cachify. The
	 * library gives locks that "never" expire a 30 s TTL where it needs
	 * one (cached's fill lock), so the instance's default is "longer than
	 * any run" instead; lock and pool pass CACHIFY_TTL_NEVER themselves. */
	opt.default_lock_expiration = (int64_t)CLI_DURATION_MAX;
	opt.default_pool_slot_expiration = CACHIFY_TTL_NEVER;
	rc = cachify_init(&opt, &g->cy);
	cachify_client_free(cl);
	if (rc != 0)
		return cli_fail(g, rc, "init");
	g->cl = cachify_get_client(g->cy);
	return 0;
}

int cli_callv(struct cli *g, cachify_reply **out, int argc, const char *const *argv,
              const size_t *lens)
{
	*out = NULL;
	if (!g->cl)
		return CACHIFY_EINVAL; /* cli_connect first */
	return cachify_client_call(g->cl, argc, argv, lens, out);
}

int cli_call(struct cli *g, cachify_reply **out, int argc, const char *const *argv)
{
	size_t lens[16];

	if (argc > 16)
		return CACHIFY_EINVAL;
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	return cli_callv(g, out, argc, argv, lens);
}

const cachify_reply *cli_field(const cachify_reply *pairs, const char *name)
{
	for (size_t i = 0; pairs && pairs->type == CACHIFY_REPLY_ARRAY && i + 1 < pairs->elements;
	     i += 2)
		if (pairs->element[i]->str && strcmp(pairs->element[i]->str, name) == 0)
			return pairs->element[i + 1];
	return NULL;
}

long long cli_ifield(const cachify_reply *pairs, const char *name)
{
	const cachify_reply *v = cli_field(pairs, name);

	return v && v->type == CACHIFY_REPLY_INTEGER ? v->integer : -1;
}

/* ---- main ---------------------------------------------------------------------- */

int cli_common_opt(struct cli *g, int opt, const char *arg, char **argv)
{
	switch (opt) {
	case 's':
		if (!*arg)
			return cli_usage_error(g, "empty socket path");
		g->socket = arg;
		g->url = NULL;
		return CLI_OPT_NEXT;
	case 'u':
		if (!*arg)
			return cli_usage_error(g, "empty URL");
		g->url = arg;
		g->socket = NULL;
		return CLI_OPT_NEXT;
	case CLI_OPT_PREFIX:
		g->prefix = arg;
		return CLI_OPT_NEXT;
	case CLI_OPT_NAME:
		if (!*arg || strlen(arg) > CLI_NAME_MAX)
			return cli_usage_error(g, "--name: 1 to %d bytes", CLI_NAME_MAX);
		for (const char *p = arg; *p; p++)
			if (*p <= ' ' || *p > '~')
				return cli_usage_error(g, "--name: no blanks or control bytes");
		g->name = arg;
		return CLI_OPT_NEXT;
	case 'h':
		if (g->cmd)
			return cli_help(g);
		main_usage(stdout);
		return 0;
	case '?':
	case ':':
		/* getopt_long: optopt is the letter (or a long option's value)
		 * for a missing argument or an unknown letter, 0 for an unknown
		 * long option; argv[optind - 1] is the word it stopped at. */
		if (optopt > ' ' && optopt < 0x7f)
			return cli_usage_error(g, "unknown option '-%c' or missing argument",
			                       optopt);
		return cli_usage_error(g, "unknown option '%s' or missing argument",
		                       argv[optind - 1]);
	default:
		return CLI_OPT_OTHER;
	}
}

static const struct option main_opts[] = {
    CLI_COMMON_LONG,
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

int main(int argc, char **argv)
{
	struct cli g = {.prefix = CLI_PREFIX_DEFAULT};
	const struct cli_cmd_def *d;
	int opt, rc;

	/* Writes to a closed pipe fail with EPIPE instead of killing us
	 * mid-run (children get the default back). */
	signal(SIGPIPE, SIG_IGN);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+" CLI_COMMON_SHORT "V", main_opts, NULL)) != -1) {
		if (opt == 'V') {
			printf("cachify %s (libcachify %s)\n", CACHIFY_VERSION_STRING,
			       cachify_version());
			return 0;
		}
		rc = cli_common_opt(&g, opt, optarg, argv);
		if (rc != CLI_OPT_NEXT)
			return rc == CLI_OPT_OTHER ? cli_usage_error(&g, "bad option") : rc;
	}
	if (optind >= argc)
		return cli_usage_error(&g, "no command given");
	d = cli_find_cmd(argv[optind]);
	if (!d)
		return cli_usage_error(&g, "unknown command '%s'", argv[optind]);
	g.cmd = d->name;
	argc -= optind;
	argv += optind;
	optind = 0; /* glibc: a full re-initialization for the subcommand's options */
	rc = d->fn(&g, argc, argv);
	if (g.cy)
		cachify_free(g.cy);
	if (fflush(stdout) != 0 && rc == 0)
		rc = CLI_EXIT_FAIL;
	return rc;
}
