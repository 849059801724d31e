/* cli.h - internals shared by the cachify command-line tool's files: the
 * global options and connection (cli.c), the command table and help
 * (cli_cmds.c), argument helpers (cli_args.c), running a child command
 * (cli_run.c), the background watcher that reports waits and lost grants
 * (cli_watch.c), and one entry point per subcommand family (cli_lock.c,
 * cli_once.c, cli_cached.c, cli_kv.c, cli_keys.c, cli_status.c,
 * cli_metrics.c). Everything goes through libcachify; nothing here speaks
 * RESP itself.
 */
#ifndef CACHIFY_CLI_H
#define CACHIFY_CLI_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cachify.h"

/* Exit codes of cachify itself; a child's status passes through unchanged
 * (timeout(1)'s convention for its own failures). */
#define CLI_EXIT_CONFLICT 1   /* default -E: locked, full or timed out */
#define CLI_EXIT_USAGE    2   /* a bad argument */
#define CLI_EXIT_LOST     122 /* --on-lost=fail|kill: the lock or slot was lost mid-run */
#define CLI_EXIT_FAIL     125 /* cannot connect, server or internal error */
#define CLI_EXIT_NOEXEC   126 /* the command exists but cannot be executed */
#define CLI_EXIT_NOTFOUND 127 /* the command was not found */

#define CLI_PREFIX_DEFAULT "PYC-"
#define CLI_SHELL          "/bin/sh"
#define CLI_DURATION_MAX   (100.0 * 365 * 86400) /* s; longer is a usage error */
#define CLI_NAME_MAX       64                    /* bytes of a connection name */

/* cachifyd's usual place, and the one `make run` uses in the checkout the
 * tool was built in (the Makefile passes CLI_CHECKOUT_DIR). */
#define CLI_SYSTEM_SOCKET "/run/cachifyd/cachifyd.sock"
#ifdef CLI_CHECKOUT_DIR
#define CLI_CHECKOUT_SOCKET CLI_CHECKOUT_DIR "/run/cachifyd.sock"
#endif

/* The global options and the connection made from them. */
struct cli {
	const char *socket; /* -s PATH, or NULL */
	const char *url;    /* -u URL, or NULL */
	const char *prefix; /* --prefix; CLI_PREFIX_DEFAULT */
	const char *cmd;    /* the subcommand's name, for messages */
	const char *name;   /* --name, or NULL: cli_set_default_name's */
	char name_buf[CLI_NAME_MAX + 1];
	bool found_path;    /* no address given: the socket is one cli_connect found */
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
/* Prints a library failure ("what: last error") and returns CLI_EXIT_FAIL.
 * When cachifyd could not be reached at a path nobody gave, also prints
 * what to set. */
int cli_fail(const struct cli *g, int err, const char *what);
/* The connection name when --name was not given: "cachify:" and the
 * basename of the guarded command's argv[0] (argv NULL: the subcommand). */
void cli_set_default_name(struct cli *g, char *const *argv);
/* Prints the message, the subcommand's usage line and a --help hint to
 * stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints the subcommand's full help to stdout; returns 0. */
int cli_help(const struct cli *g);
/* The top-level usage (one line per command) to f. */
void cli_main_usage(FILE *f);

/* ---- cli_cmds.c: the command table ----------------------------------------- */

struct cli_cmd_def {
	const char *name;
	int (*fn)(struct cli *g, int argc, char **argv);
	const char *summary; /* one line for the top-level help */
	const char *usage;   /* after "usage: cachify NAME " */
	const char *help;    /* what it does, its options and an example */
};
const struct cli_cmd_def *cli_find_cmd(const char *name);
/* The table, ending with a NULL name. */
extern const struct cli_cmd_def cli_cmds[];

/* Sends one command through cachify_client_call (NUL-terminated
 * arguments). 0 with *out set (new: cachify_reply_free), error replies
 * included; else a negative CACHIFY_E* code. */
int cli_call(struct cli *g, cachify_reply **out, int argc, const char *const *argv);
/* The same with lengths, for binary arguments. */
int cli_callv(struct cli *g, cachify_reply **out, int argc, const char *const *argv,
              const size_t *lens);

/* The value of name in a reply of field/value pairs (LOCK.INFO...), or
 * NULL; cli_ifield: its integer, or -1. Borrowed from pairs. */
const cachify_reply *cli_field(const cachify_reply *pairs, const char *name);
long long cli_ifield(const cachify_reply *pairs, const char *name);

/* ---- cli_args.c: parsing --------------------------------------------------- */

/* Options every subcommand takes (-s, -u, --prefix, -h): their getopt
 * letters and long options, to append to a subcommand's own. */
#define CLI_COMMON_SHORT "s:u:h"
#define CLI_COMMON_LONG                                                                            \
	{"socket", required_argument, NULL, 's'}, {"url", required_argument, NULL, 'u'},           \
	    {"prefix", required_argument, NULL, CLI_OPT_PREFIX},                                   \
	    {"name", required_argument, NULL, CLI_OPT_NAME}, {"help", no_argument, NULL, 'h'}

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
	CLI_OPT_NAME,
	CLI_OPT_ONLOST,
	CLI_OPT_RESET,
	CLI_OPT_HITCODE,
	CLI_OPT_NOPREFIX,
	CLI_OPT_TOKEN,
	CLI_OPT_CACHED, /* these four in forms' order (cli_kv.c) */
	CLI_OPT_LOCK,
	CLI_OPT_ONCE,
	CLI_OPT_POOL,
	CLI_OPT_SOCKET,
	CLI_OPT_SHARED,
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
/* A span for people: "1.234s", "5m02s", "2h05m", "3d04h"; "-" if negative. */
void cli_fmt_ms(char *buf, size_t size, long long ms);
/* s on CLOCK_MONOTONIC. */
double cli_now_s(void);

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

/* --on-lost: what a lost lock or slot does to the run. */
enum cli_on_lost {
	CLI_LOST_FAIL, /* exit CLI_EXIT_LOST after the command ends (the default) */
	CLI_LOST_WARN, /* a warning; the command's status stands */
	CLI_LOST_KILL, /* SIGTERM to the command at once, then as fail */
};

struct cli_run_opts {
	bool nonblock;     /* -n */
	bool shared;       /* lock -s: a reader hold */
	enum cli_on_lost on_lost;
	bool has_wait;     /* -w given */
	double wait;       /* -w, s */
	long conflict;     /* -E, default CLI_EXIT_CONFLICT */
	bool has_ttl;      /* -t given */
	double ttl;        /* -t, s */
	bool verbose;      /* -v */
	const char *opt_c; /* -c among the options */
};
/* Parses the options of lock/pool/once (letters: the subset of "nw:E:t:vc:s"
 * the subcommand takes; 's' is lock's --shared, else -s is the socket). Leaves optind at the first positional. Returns
 * CLI_OPT_NEXT to go on, else an exit code to return at once. */
int cli_parse_run_opts(struct cli *g, int argc, char **argv, const char *letters,
                       struct cli_run_opts *o);

/* ---- cli_watch.c: a background thread that reports and checks ----------- */

/* While the main thread blocks (a server-side wait, a running child), a
 * second thread asks cachifyd about the key on its own connection: who
 * holds it and who waits (progress), or whether our grant still stands
 * (loss). One watcher per run; its fields are set before cli_watch_start. */
struct cli_watch {
	struct cli *g;
	const char *key;  /* the full key */
	bool pool;        /* POOL.INFO instead of LOCK.INFO */
	/* Progress: while waiting. */
	bool progress;    /* report at all (-v, or stderr is a terminal) */
	bool tty;         /* rewrite one line in place instead of printing lines */
	/* Loss: while the child runs. */
	uint64_t fence;   /* our grant's fence; 0: no loss checks */
	enum cli_on_lost on_lost;
	_Atomic bool lost; /* set (once) by the thread: the grant is gone */

	/* Private. */
	void *priv;
};
/* Starts reporting progress on w->key (nothing is printed if the wait ends
 * within the first fraction of a second). 0, or -1 (the run goes on without). */
int cli_watch_progress(struct cli_watch *w);
/* Starts checking that the grant of w->fence on w->key still stands; on
 * loss: a warning at once, and with CLI_LOST_KILL SIGTERM to the child. */
int cli_watch_loss(struct cli_watch *w);
/* Stops the thread (joins it) and clears a progress line. Harmless if
 * nothing was started. */
void cli_watch_stop(struct cli_watch *w);
/* Whether to report progress for -v (verbose) and this stderr. */
bool cli_progress_wanted(bool verbose);

/* ---- cli_run.c extras --------------------------------------------------------- */

/* Sends sig to the running child, if any (any thread). */
void cli_run_signal(int sig);

/* ---- cli_kv.c helpers shared with other commands ---------------------------- */

/* prefix + key + suffix (new: free it), or NULL when out of memory. */
char *cli_key_with(const char *prefix, const char *key, const char *suffix);
/* After a failed write of len bytes: if cachifyd's proto-max-bulk-len is
 * smaller, prints "value too large: ..." and returns true. */
bool cli_explain_too_large(struct cli *g, size_t len);

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
int cli_cmd_is_locked(struct cli *g, int argc, char **argv);
int cli_cmd_release(struct cli *g, int argc, char **argv);
int cli_cmd_metrics(struct cli *g, int argc, char **argv);
int cli_cmd_help(struct cli *g, int argc, char **argv);

#endif /* CACHIFY_CLI_H */
