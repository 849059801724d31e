/* cli.h - internals shared by the cachify command-line tool's files: the
 * global options and connection (cli.c), argument helpers (cli_args.c),
 * running a child command (cli_run.c), and one entry point per subcommand
 * family (cli_lock.c, cli_once.c, cli_cached.c, cli_kv.c, cli_status.c).
 * Everything goes through libcachify; nothing here speaks RESP itself.
 */
#ifndef CACHIFY_CLI_H
#define CACHIFY_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cachify.h"

/* Exit codes of cachify itself; a child's status passes through unchanged
 * (timeout(1)'s convention for its own failures). */
#define CLI_EXIT_CONFLICT 1   /* default -E: locked, full or timed out */
#define CLI_EXIT_USAGE    2   /* a bad argument */
#define CLI_EXIT_FAIL     125 /* cannot connect, server or internal error */
#define CLI_EXIT_NOEXEC   126 /* the command exists but cannot be executed */
#define CLI_EXIT_NOTFOUND 127 /* the command was not found */

#define CLI_PREFIX_DEFAULT "PYC-"
#define CLI_SHELL          "/bin/sh"
#define CLI_DURATION_MAX   (100.0 * 365 * 86400) /* s; longer is a usage error */

/* The global options and the connection made from them. */
struct cli {
	const char *socket; /* -s PATH, or NULL */
	const char *url;    /* -u URL, or NULL */
	const char *prefix; /* --prefix; CLI_PREFIX_DEFAULT */
	const char *cmd;    /* the subcommand's name, for messages */
	cachify *cy;        /* made by cli_connect; NULL before */
	cachify_client *cl; /* the instance's client (borrowed from cy) */
};

/* ---- cli.c: connection, messages, dispatch ------------------------------ */

/* Makes g->cy/g->cl from the options (lazily: nothing is sent yet). 0, or
 * an exit code after printing why: CLI_EXIT_USAGE for a malformed -s/-u,
 * CLI_EXIT_FAIL for a malformed $CACHIFY_URL or another failure. */
int cli_connect(struct cli *g);
/* Prints "cachify CMD: message" to stderr. */
void cli_warn(const struct cli *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints a library failure ("what: last error") and returns CLI_EXIT_FAIL. */
int cli_fail(const struct cli *g, int err, const char *what);
/* Prints the message, the subcommand's usage line and a --help hint to
 * stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints the subcommand's full help to stdout; returns 0. */
int cli_help(const struct cli *g);

/* Sends one command through cachify_client_call (NUL-terminated
 * arguments). 0 with *out set (new: cachify_reply_free), error replies
 * included; else a negative CACHIFY_E* code. */
int cli_call(struct cli *g, cachify_reply **out, int argc, const char *const *argv);
/* The same with lengths, for binary arguments. */
int cli_callv(struct cli *g, cachify_reply **out, int argc, const char *const *argv,
              const size_t *lens);

/* ---- cli_args.c: parsing --------------------------------------------------- */

/* Options every subcommand takes (-s, -u, --prefix, -h): their getopt
 * letters and long options, to append to a subcommand's own. */
#define CLI_COMMON_SHORT "s:u:h"
#define CLI_COMMON_LONG                                                                            \
	{"socket", required_argument, NULL, 's'}, {"url", required_argument, NULL, 'u'},           \
	    {"prefix", required_argument, NULL, CLI_OPT_PREFIX},                                   \
	{                                                                                          \
		"help", no_argument, NULL, 'h'                                                     \
	}

/* getopt_long values of long options without a letter. */
enum {
	CLI_OPT_PREFIX = 0x100,
	CLI_OPT_JSON,
	CLI_OPT_TTL,
	CLI_OPT_NX,
	CLI_OPT_FORCE,
	CLI_OPT_DISCARD,
	CLI_OPT_RAW,
	CLI_OPT_NORAW,
};
#define CLI_OPT_NEXT  (-1) /* handled: go on parsing */
#define CLI_OPT_OTHER (-2) /* not a common option */
/* Handles one getopt_long result that every subcommand shares: the common
 * options and getopt's '?' (a bad option or a missing argument). Returns
 * CLI_OPT_NEXT, CLI_OPT_OTHER, or an exit code to return at once (0 after
 * --help, CLI_EXIT_USAGE after a usage error). */
int cli_common_opt(struct cli *g, int opt, const char *arg, char **argv);

/* "500ms", "30s", "5m", "1h", "1d", or a bare number of seconds; decimals
 * allowed; never negative. 0 with *secs set, or -1. */
int cli_parse_duration(const char *s, double *secs);
/* A whole number in [min, max]. 0 with *out set, or -1. */
int cli_parse_long(const char *s, long min, long max, long *out);
/* Seconds rounded up to whole seconds (at least 1), for the library's TTLs. */
int64_t cli_ceil_secs(double secs);
/* Milliseconds rounded up (at least 1), for waits and PX. */
int64_t cli_ceil_ms(double secs);

/* A command after the key: "-c STRING", or "[--] CMD ARGS...". */
struct cli_cmdline {
	const char *shell; /* -c STRING, run by CLI_SHELL; or NULL */
	char **argv;       /* NULL-terminated, argv[0] looked up in PATH; or NULL */
};
/* Parses argv[0..argc) (what follows the key and other positionals) into
 * c, taking a -c given among the options into account. 0, or a usage
 * error's exit code (printed). */
int cli_parse_cmdline(struct cli *g, int argc, char **argv, const char *opt_c,
                      struct cli_cmdline *c);

/* A growable byte buffer. Each append returns 0, or -1 when out of memory. */
struct cli_buf {
	char *data;
	size_t len, cap;
};
int cli_buf_add(struct cli_buf *b, const void *p, size_t n);
int cli_buf_printf(struct cli_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends p[0..n) as a JSON string, quotes included. */
int cli_buf_json_str(struct cli_buf *b, const char *p, size_t n);
void cli_buf_free(struct cli_buf *b);
/* Writes all n bytes to fd (retrying short writes). 0, or -1. */
int cli_write_all(int fd, const void *p, size_t n);

/* ---- cli_run.c: the child ------------------------------------------------- */

/* How to run a child: environment additions and whether to capture. */
struct cli_run {
	const struct cli_cmdline *cmd;
	const char *env[4][2]; /* NAME, value pairs added to the environment; NULL ends */
	bool capture;          /* tee stdout/stderr into out/err below */
	bool tee;              /* with capture: also copy to our stdout/stderr as it arrives */

	/* Results. */
	int wstatus;             /* waitpid status of the child */
	int exit_code;           /* exit status, or 128+N if killed by signal N */
	int exec_errno;          /* non-zero when the command could not be started */
	int signalled;           /* a signal we forwarded during the run, or 0 */
	bool overflow;           /* capture: output beyond what is kept (not all captured) */
	struct cli_buf out, err; /* captured bytes */
};

/* Runs the command to its end, forwarding SIGINT/SIGTERM/SIGHUP to it.
 * The child gets the environment additions, default signal dispositions,
 * and dies with SIGKILL if cachify itself is killed (its lock is gone by
 * then). Returns the exit code to use: the child's, or 126/127 (message
 * printed) when it could not be started, or 125 on an internal failure. */
int cli_run_child(struct cli *g, struct cli_run *r);
void cli_run_free(struct cli_run *r);

/* ---- cli_lock.c: options shared by lock, pool and once ------------------ */

struct cli_run_opts {
	bool nonblock;     /* -n */
	bool has_wait;     /* -w given */
	double wait;       /* -w, s */
	long conflict;     /* -E, default CLI_EXIT_CONFLICT */
	bool has_ttl;      /* -t given */
	double ttl;        /* -t, s */
	bool verbose;      /* -v */
	const char *opt_c; /* -c among the options */
};
/* Parses the options of lock/pool/once (letters: the subset of "nw:E:t:vc:"
 * the subcommand takes). Leaves optind at the first positional. Returns
 * CLI_OPT_NEXT to go on, else an exit code to return at once. */
int cli_parse_run_opts(struct cli *g, int argc, char **argv, const char *letters,
                       struct cli_run_opts *o);

/* ---- subcommands ----------------------------------------------------------- */

int cli_cmd_lock(struct cli *g, int argc, char **argv);
int cli_cmd_pool(struct cli *g, int argc, char **argv);
int cli_cmd_once(struct cli *g, int argc, char **argv);
int cli_cmd_cached(struct cli *g, int argc, char **argv);
int cli_cmd_get(struct cli *g, int argc, char **argv);
int cli_cmd_set(struct cli *g, int argc, char **argv);
int cli_cmd_del(struct cli *g, int argc, char **argv);
int cli_cmd_ttl(struct cli *g, int argc, char **argv);
int cli_cmd_ping(struct cli *g, int argc, char **argv);
int cli_cmd_info(struct cli *g, int argc, char **argv);
int cli_cmd_raw(struct cli *g, int argc, char **argv);
int cli_cmd_locks(struct cli *g, int argc, char **argv);

#endif /* CACHIFY_CLI_H */
