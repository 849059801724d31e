/* check_cli.h - what the check_cli*.c suites share (check_cli_util.c):
 * running the built cachify against a forked cachifyd and reading what it
 * wrote. Every wait is bounded and scaled by h_slow().
 */
#ifndef CACHIFY_CHECK_CLI_H
#define CACHIFY_CHECK_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "harness.h"

#define SLOW(ms)     ((ms)*h_slow())        /* a bound, scaled for sanitizer builds */
#define RUN_MS       20000                  /* bound on one cachify run (times h_slow()) */
#define STATE_MS     5000                   /* bound on reaching a state (times h_slow()) */
#define POLL_MS      5                      /* ms between checks of a state */
#define CLI_ARGS_MAX 48                     /* arguments of one cachify run */
#define CROWD        20                     /* concurrent runs in the crowd tests */
#define SH_MAX       (4 * H_PATH_MAX + 256) /* bytes of a test's shell command */

/* $CACHIFY_CLI (asserts it is set). */
const char *cli_path(void);
/* d->dir/name in buf (H_PATH_MAX bytes). */
char *fpath(char *buf, const struct h_daemon *d, const char *name);
/* Starts cachify -s SOCK args... (NULL-terminated) with stdin from in and
 * stdout/stderr to out/err (NULL: /dev/null). sock NULL: no -s. */
pid_t spawn_argv(const char *sock, const char *in, const char *out, const char *err,
                 const char *const *args);
/* cachify -s SOCK ... (NULL-terminated), started and left running. */
pid_t spawn_cli(const struct h_daemon *d, const char *out, const char *err, ...);
/* Waits for pid (bounded; a hang kills it and fails the test): its exit
 * code, or 1000 + N if a signal N killed it. */
int reap(pid_t pid);
/* Runs cachify -s SOCK ... (NULL-terminated) to its end: its exit code. */
int run_cli(const struct h_daemon *d, const char *out, const char *err, ...);
/* The whole file (new); asserts it is readable. */
char *slurp(const char *path, size_t *len);
/* The file holds exactly want[0..wlen); expect_str for a literal. */
void expect_file(const char *path, const char *want, size_t wlen);
#define expect_str(path, lit) expect_file(path, lit, sizeof(lit) - 1)
int count_lines(const char *path);
bool exists(const char *path);
/* Waits (bounded) until path exists. */
void wait_file(const char *path);
/* Waits until exactly n clients are blocked in a server-side wait. */
void wait_blocked(const struct h_daemon *d, int n);
/* A daemon for one test (quiet log). */
struct h_daemon *start(void);

#endif /* CACHIFY_CHECK_CLI_H */
