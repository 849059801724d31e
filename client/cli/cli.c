/* cli.c - cachify, the command-line tool: global options, the connection
 * to cachifyd through libcachify, messages and usage, and the table that
 * sends each subcommand to its file (cli_lock.c, cli_once.c, ...).
 * Subcommands own their arguments; cli_args.c and cli_run.c their helpers.
 */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct cli_cmd_def {
	const char *name;
	int (*fn)(struct cli *g, int argc, char **argv);
	const char *usage; /* after "usage: cachify NAME " */
	const char *help;  /* what it does, its options and an example */
};

#define COMMON_HELP                                                                                \
	"  -s, --socket PATH  cachifyd's socket (default: $CACHIFY_URL, else\n"                    \
	"                     /run/cachifyd/cachifyd.sock)\n"                                      \
	"  -u, --url URL      unix:PATH or unix://PATH[?db=N]\n"                                   \
	"      --prefix P     key prefix shared with the library (default PYC-)\n"                 \
	"  -h, --help         this help\n"

#define RUN_EXIT_HELP                                                                              \
	"Its exit status is cachify's (128+N if killed by signal N); SIGINT, SIGTERM and\n"        \
	"SIGHUP are forwarded to it. cachify's own failures: 125 cannot connect or\n"              \
	"internal error, 126 cannot execute, 127 not found, 2 bad arguments.\n"

#define RUN_HELP                                                                                   \
	"The command gets CACHIFY_KEY (the full key) and CACHIFY_FENCE (the grant's\n"             \
	"fencing token) in its environment.\n" RUN_EXIT_HELP

static const struct cli_cmd_def cmds[] = {
    {"lock", cli_cmd_lock,
     "[-n | -w DURATION] [-E CODE] [-t TTL] [-v] KEY {-c STRING | [--] CMD [ARGS...]}",
     "Runs CMD while holding the lock KEY, like flock(1). The lock belongs to\n"
     "cachify's connection: if cachify dies, the lock is free at once.\n\n"
     "  -n, --nonblock            fail at once if the lock is held\n"
     "  -w, --timeout DURATION    wait at most DURATION (default: forever)\n"
     "  -E, --conflict-exit-code CODE  exit status when locked or timed out (default 1)\n"
     "  -t, --ttl TTL             the lock expires after TTL even if CMD still runs\n"
     "                            (whole seconds; default: held until CMD exits)\n"
     "  -c, --command STRING      run STRING with /bin/sh -c\n"
     "  -v, --verbose             report the acquisition on stderr\n" COMMON_HELP "\n" RUN_HELP
     "\nExample:\n  cachify lock -w 30s backup -- rsync -a /src/ /dst/\n"},
    {"once", cli_cmd_once, "[-n] [-E CODE] [-v] KEY {-c STRING | [--] CMD [ARGS...]}",
     "Runs CMD unless a run of KEY is already in progress. Then, by default,\n"
     "waits for that run and exits with its exit status; with -n exits at once\n"
     "with the conflict code. If the awaited run left no status (its cachify\n"
     "was killed), the waiter runs CMD itself.\n\n"
     "  -n, --nonblock            do not wait for a run in progress\n"
     "  -E, --conflict-exit-code CODE  exit status with -n (default 1)\n"
     "  -c, --command STRING      run STRING with /bin/sh -c\n"
     "  -v, --verbose             say whether CMD ran or was waited for\n" COMMON_HELP "\n" RUN_HELP
     "\nExample:\n  cachify once nightly-report -- ./make-report.sh\n"},
    {"pool", cli_cmd_pool,
     "[-n | -w DURATION] [-E CODE] [-t TTL] [-v] KEY SIZE {-c STRING | [--] CMD...}",
     "Runs CMD in one of SIZE slots of the pool KEY, so at most SIZE runs of\n"
     "KEY go at once (a counting semaphore, like GNU sem in the foreground).\n"
     "The slot belongs to cachify's connection; the child also gets\n"
     "CACHIFY_SLOT (the slot's id).\n\n"
     "  -n, --nonblock            fail at once if all slots are taken\n"
     "  -w, --timeout DURATION    wait at most DURATION (default: forever)\n"
     "  -E, --conflict-exit-code CODE  exit status when full or timed out (default 1)\n"
     "  -t, --ttl TTL             the slot expires after TTL even if CMD still runs\n"
     "  -c, --command STRING      run STRING with /bin/sh -c\n"
     "  -v, --verbose             report the acquisition on stderr\n" COMMON_HELP "\n" RUN_HELP
     "\nExample:\n  cachify pool -w 5m encoders 4 -- ffmpeg -i in.mov out.mp4\n"},
    {"cached", cli_cmd_cached,
     "[--ttl DURATION] [--force] [--discard-failures] KEY {-c STRING | [--] CMD...}",
     "Replays the cached run of KEY (stdout, stderr and exit status, byte for\n"
     "byte) or, on a miss, runs CMD once and caches it. Callers arriving while\n"
     "it runs wait and replay its result.\n\n"
     "  --ttl DURATION            keep the result this long (whole seconds; default: forever)\n"
     "  --force                   run CMD again and replace the cached result\n"
     "  --discard-failures        do not cache a run that exits non-zero\n"
     "  -c, --command STRING      run STRING with /bin/sh -c\n" COMMON_HELP
     "\nThe command gets CACHIFY_KEY (the full key) in its environment.\n" RUN_EXIT_HELP
     "\nExample:\n  cachify cached --ttl 1h git-tags -- git ls-remote --tags origin\n"},
    {"get", cli_cmd_get, "KEY",
     "Prints the value of KEY (exactly its bytes; a newline is added on a\n"
     "terminal). Keys are used as given, without the prefix. Exits 1 if absent.\n\n" COMMON_HELP
     "\nExample:\n  cachify get build-id\n"},
    {"set", cli_cmd_set, "[--ttl DURATION] [--nx] KEY [VALUE]",
     "Sets KEY to VALUE, or to standard input without VALUE (binary safe).\n\n"
     "  --ttl DURATION            expire after DURATION (whole seconds)\n"
     "  --nx                      only if KEY does not exist (else exit 1)\n" COMMON_HELP
     "\nExample:\n  cachify set --ttl 10m build-id 4711\n"},
    {"del", cli_cmd_del, "KEY...",
     "Deletes keys (a lock or pool is force-released) and prints how many\n"
     "existed. Exits 1 if none did.\n\n" COMMON_HELP "\nExample:\n  cachify del build-id\n"},
    {"ttl", cli_cmd_ttl, "KEY",
     "Prints the seconds KEY has left (decimals), or -1 if it never expires.\n"
     "Exits 1 if KEY does not exist.\n\n" COMMON_HELP "\nExample:\n  cachify ttl build-id\n"},
    {"ping", cli_cmd_ping, "",
     "Checks that cachifyd answers: prints PONG, or exits 125.\n\n" COMMON_HELP
     "\nExample:\n  cachify -s /tmp/cachifyd.sock ping\n"},
    {"info", cli_cmd_info, "[SECTION]",
     "Prints cachifyd's INFO text (sections: server, clients, memory, stats,\n"
     "locks, pools, keyspace, all).\n\n" COMMON_HELP "\nExample:\n  cachify info locks\n"},
    {"raw", cli_cmd_raw, "[--raw | --no-raw] [CMD [ARGS...]]",
     "Sends any command and prints the reply as redis-cli does: (integer) 1,\n"
     "(nil), (error) ..., numbered arrays on a terminal; bare values otherwise.\n"
     "Without CMD and on a terminal, reads commands line by line (quotes as in\n"
     "redis-cli). Exits 1 if the (last) reply is an error.\n\n"
     "  --raw                     bare values even on a terminal\n"
     "  --no-raw                  formatted replies even when piped\n" COMMON_HELP
     "\nExample:\n  cachify raw LOCK.INFO PYC-backup-lock\n"},
    {"locks", cli_cmd_locks, "[--json]",
     "Lists who holds which lock or pool slot (like lslocks): key, type,\n"
     "fence, client id, pid, uid, client name, held for, ttl, waiters.\n\n"
     "  --json                    print a JSON array of objects\n" COMMON_HELP
     "\nExample:\n  cachify locks --json\n"},
    {"status", cli_cmd_locks, "[--json]",
     "Another name for `cachify locks`.\n\n"
     "  --json                    print a JSON array of objects\n" COMMON_HELP
     "\nExample:\n  cachify status\n"},
};

#define NCMDS (sizeof cmds / sizeof cmds[0])

static const struct cli_cmd_def *find_cmd(const char *name)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

static void main_usage(FILE *f)
{
	fputs("usage: cachify [-s PATH | -u URL] [--prefix P] COMMAND [ARGS...]\n"
	      "       cachify COMMAND --help | --help | --version\n\n"
	      "Commands:\n",
	      f);
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, *cmds[i].usage ? "  %-7s %s\n" : "  %s\n", cmds[i].name, cmds[i].usage);
	fputs("\nDurations: 500ms, 30s, 5m, 1h, 1d, or a bare number of seconds\n"
	      "(decimals allowed). See cachify(1).\n",
	      f);
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
	return CLI_EXIT_FAIL;
}

int cli_usage_error(const struct cli *g, const char *fmt, ...)
{
	const struct cli_cmd_def *d = g->cmd ? find_cmd(g->cmd) : NULL;
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
	const struct cli_cmd_def *d = find_cmd(g->cmd);

	printf("usage: cachify %s %s\n\n%s", d->name, d->usage, d->help);
	return fflush(stdout) == 0 ? 0 : CLI_EXIT_FAIL;
}

/* ---- the connection ---------------------------------------------------------- */

int cli_connect(struct cli *g)
{
	struct cachify_daemon_options dopt;
	struct cachify_options opt;
	const char *addr = g->url ? g->url : g->socket;
	cachify_client *cl;
	int rc;

	if (g->cy)
		return 0;
	cachify_daemon_options_init(&dopt);
	cl = cachify_client_daemon(addr, &dopt);
	if (!cl) {
		if (addr)
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
	d = find_cmd(argv[optind]);
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
