/* harness.h - helpers for tests that run the real cachifyd: start it on a
 * socket in a fresh temporary directory, talk to it with raw bytes or RESP
 * commands, assert on replies, its exit status and its log.
 *
 * Everything here asserts with Check (a helper that cannot do its job fails
 * the calling test with the caller's file:line in the message), so a test
 * reads as a list of expectations. Every wait is bounded: a hung daemon
 * fails a test instead of hanging CI. The daemon is $CACHIFYD (set by the
 * Makefile); the source tree is $CACHIFY_SRC.
 */
#ifndef CACHIFY_HARNESS_H
#define CACHIFY_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "resp.h"

#define H_PATH_MAX	   512
#define H_SOCK_MAX	   108	/* bytes in sun_path, NUL included */
#define H_TIMEOUT_MS	   5000 /* default bound on one wait (times h_slow()) */
#define H_READY_TIMEOUT_MS 5000 /* start-up until the socket answers (times h_slow()) */
#define H_STOP_TIMEOUT_MS  10000 /* SIGTERM until exit, then SIGKILL (times h_slow()) */

/* How much slower than a plain build this one runs: 3 under ASan/UBSan, 1
 * otherwise. Timeouts (not sleeps that define behaviour) are scaled by it. */
int h_slow(void);
/* ms on CLOCK_MONOTONIC. */
int64_t h_now_ms(void);
void h_sleep_ms(int ms);

/* $CACHIFYD (asserts it is set); $CACHIFY_SRC joined with rel into a static
 * buffer (asserts it is set). */
const char *h_cachifyd(void);
const char *h_src_path(const char *rel);

/* Raises the soft RLIMIT_NOFILE to at least want (up to the hard limit).
 * Returns the new soft limit. Daemons started afterwards inherit it. */
long h_raise_nofile(long want);

/* ---------------------------------------------------------------------------
 * The daemon.
 *
 * A failing test leaves its directory (with the daemon's log) behind for
 * inspection; the daemon itself dies with the test (PR_SET_PDEATHSIG).
 */

struct h_daemon {
	pid_t pid;		   /* -1 before spawn and once reaped */
	int status;		   /* wait status, valid once reaped */
	char dir[H_PATH_MAX];	   /* mkdtemp directory, removed by h_daemon_free */
	char sock[H_SOCK_MAX];	   /* socket path passed with -s; "" = no -s */
	char log[H_PATH_MAX];	   /* the daemon's stderr, appended */
};

/* A new temporary directory with sock = dir/sock and log = dir/log, nothing
 * started. Change d->sock before spawning to use another path (or "" to
 * pass no -s at all). New: free with h_daemon_free. */
struct h_daemon *h_daemon_new(void);
/* Starts $CACHIFYD -s SOCK args... with stderr to d->log and stdin/stdout on
 * /dev/null; returns at once. args is NULL-terminated (NULL = none). */
void h_daemon_spawn(struct h_daemon *d, const char *const *args);
/* Waits until the socket answers PING (then QUITs, so the probe is gone
 * from the client list when this returns). Fails the test, with the log,
 * if the daemon exits or does not answer within H_READY_TIMEOUT_MS. */
void h_daemon_wait_ready(struct h_daemon *d);
/* new + spawn + wait_ready, with NULL-terminated extra arguments:
 * h_daemon_start(NULL), h_daemon_start("--maxclients", "2", NULL). */
struct h_daemon *h_daemon_start(const char *arg, ...);
/* Waits up to timeout_ms for the daemon to exit: its wait status, or -1
 * if it is still running. */
int h_daemon_wait_exit(struct h_daemon *d, int timeout_ms);
/* Sends sig (if still running). */
void h_daemon_kill(struct h_daemon *d, int sig);
/* SIGTERM, wait up to H_STOP_TIMEOUT_MS, then SIGKILL: the wait status. */
int h_daemon_stop(struct h_daemon *d);
/* Stops it (if running) and asserts a clean exit (status 0: no crash, no
 * sanitizer report, no leak), printing the log tail if not. Then frees. */
#define h_daemon_finish(d) h_daemon_finish_at(__FILE__, __LINE__, d)
void h_daemon_finish_at(const char *file, int line, struct h_daemon *d);
/* Kills it if running (SIGKILL), removes the directory, frees d. */
void h_daemon_free(struct h_daemon *d);

/* The daemon's log so far (new, NUL-terminated; free it). */
char *h_daemon_log(const struct h_daemon *d);
/* Waits up to timeout_ms for needle to appear in the log. */
bool h_log_wait(const struct h_daemon *d, const char *needle, int timeout_ms);
/* Prints the last bytes of the log to stderr (for failure diagnostics). */
void h_log_dump(const struct h_daemon *d);

/* ---------------------------------------------------------------------------
 * Processes and files.
 */

/* Runs argv (argv[0] looked up in PATH) with stdin from in_path (NULL =
 * /dev/null) and stdout/stderr to out_path/err_path (NULL = /dev/null).
 * Returns the wait status, or -1 if it ran longer than timeout_ms (it is
 * then killed). A program that cannot be executed exits 127. */
int h_exec(const char *const *argv, const char *in_path, const char *out_path,
	   const char *err_path, int timeout_ms);
/* Whole file, NUL-terminated (new; free it). NULL if unreadable. */
char *h_slurp(const char *path, size_t *len);
/* Writes s to path (created or truncated); asserts success. */
void h_write_file(const char *path, const char *s);
/* Removes a directory tree (best effort). */
void h_rm_rf(const char *path);

/* ---------------------------------------------------------------------------
 * Clients.
 */

struct h_client {
	int fd;
	int timeout_ms;		/* bound on each blocking read/write */
	struct resp_reader rd;
	char where[H_PATH_MAX];	/* socket path, for messages */
};

/* Connects to path: fd or -1 (errno set). The fd is blocking with
 * SO_RCVTIMEO/SO_SNDTIMEO of H_TIMEOUT_MS * h_slow(). */
int h_connect_fd(const char *path);
/* A client on d's socket; fails the test if it cannot connect. New: close
 * it with h_close. */
struct h_client *h_connect(const struct h_daemon *d);
struct h_client *h_connect_path(const char *path);
/* Changes the bound on each read and write. */
void h_set_timeout(struct h_client *c, int timeout_ms);
void h_close(struct h_client *c);

/* Sends raw bytes: asserts all were written. */
#define h_send(c, p, n) h_send_at(__FILE__, __LINE__, c, p, n)
#define h_send_str(c, s) h_send_at(__FILE__, __LINE__, c, s, strlen(s))
void h_send_at(const char *file, int line, struct h_client *c, const void *p, size_t n);
/* Sends raw bytes; false (errno set) if not all could be written. Never
 * raises SIGPIPE. For peers that may already have closed. */
bool h_try_send(struct h_client *c, const void *p, size_t n);

/* Sends one command as a multibulk request: C strings, or (ptr, len). */
#define h_cmd(c, ...) h_cmd_at(__FILE__, __LINE__, c, __VA_ARGS__, (const char *)NULL)
void h_cmd_at(const char *file, int line, struct h_client *c, ...);
void h_cmdv(struct h_client *c, int argc, const struct resp_arg *argv);

/* Reads one reply: 1 with *out set (new), 0 on EOF (or reset), -1 on a
 * timeout, a read error or a reply the reader rejects. */
int h_try_reply(struct h_client *c, struct resp_reply **out);
/* Reads one reply; fails the test if none arrives. New: resp_reply_free. */
#define h_reply(c) h_reply_at(__FILE__, __LINE__, c)
struct resp_reply *h_reply_at(const char *file, int line, struct h_client *c);
/* Sends a command and reads its reply (new). */
#define h_call(c, ...) h_call_at(__FILE__, __LINE__, c, __VA_ARGS__, (const char *)NULL)
struct resp_reply *h_call_at(const char *file, int line, struct h_client *c, ...);

/* The integer of INFO's "field:123" line, from INFO section (NULL: plain
 * INFO); fails the test, naming the caller's line, when it is absent. */
#define h_info_ll(c, section, field) h_info_ll_at(__FILE__, __LINE__, c, section, field)
long long h_info_ll_at(const char *file, int line, struct h_client *c, const char *section,
		       const char *field);

/* Raw reads, bypassing the reply reader (use them on a client whose reader
 * holds no unread bytes). h_read_exact asserts n bytes arrive. */
#define h_read_exact(c, buf, n) h_read_exact_at(__FILE__, __LINE__, c, buf, n)
void h_read_exact_at(const char *file, int line, struct h_client *c, void *buf, size_t n);
/* Reads and discards until the peer closes: true on EOF or ECONNRESET
 * within timeout_ms, false on a timeout. *nread (if not NULL): bytes seen. */
bool h_read_until_eof(struct h_client *c, int timeout_ms, size_t *nread);
/* True if nothing arrives within ms and the connection is still open. */
bool h_is_quiet(struct h_client *c, int ms);

/* Renders a reply like redis-cli for messages: (integer) 5, "bulk", ... */
void h_reply_fmt(const struct resp_reply *r, char *buf, size_t size);

/* Expectations on the next reply (each reads one and frees it). */
#define h_expect_status(c, s) h_expect_status_at(__FILE__, __LINE__, c, s)
#define h_expect_error(c, prefix) h_expect_error_at(__FILE__, __LINE__, c, prefix)
#define h_expect_int(c, v) h_expect_int_at(__FILE__, __LINE__, c, v)
#define h_expect_bulk(c, s) h_expect_bulkn_at(__FILE__, __LINE__, c, s, strlen(s))
#define h_expect_bulkn(c, p, n) h_expect_bulkn_at(__FILE__, __LINE__, c, p, n)
#define h_expect_nil(c) h_expect_nil_at(__FILE__, __LINE__, c)
void h_expect_status_at(const char *file, int line, struct h_client *c, const char *s);
/* Error replies match by prefix: pass the whole text to match it exactly
 * (h_expect_error_is). */
void h_expect_error_at(const char *file, int line, struct h_client *c, const char *prefix);
#define h_expect_error_is(c, s) h_expect_error_is_at(__FILE__, __LINE__, c, s)
void h_expect_error_is_at(const char *file, int line, struct h_client *c, const char *s);
void h_expect_int_at(const char *file, int line, struct h_client *c, long long v);
void h_expect_bulkn_at(const char *file, int line, struct h_client *c, const void *p, size_t n);
void h_expect_nil_at(const char *file, int line, struct h_client *c);

/* Send a command, then expect: h_ok(c, "SET", "k", "v") and friends. */
#define h_ok(c, ...)                 \
	do {                         \
		h_cmd(c, __VA_ARGS__); \
		h_expect_status(c, "OK"); \
	} while (0)
#define h_call_status(c, s, ...)      \
	do {                          \
		h_cmd(c, __VA_ARGS__);  \
		h_expect_status(c, s); \
	} while (0)
#define h_call_error(c, prefix, ...)     \
	do {                             \
		h_cmd(c, __VA_ARGS__);     \
		h_expect_error(c, prefix); \
	} while (0)
#define h_call_int(c, v, ...)        \
	do {                         \
		h_cmd(c, __VA_ARGS__); \
		h_expect_int(c, v);   \
	} while (0)
#define h_call_bulk(c, s, ...)       \
	do {                         \
		h_cmd(c, __VA_ARGS__); \
		h_expect_bulk(c, s);  \
	} while (0)
#define h_call_nil(c, ...)           \
	do {                         \
		h_cmd(c, __VA_ARGS__); \
		h_expect_nil(c);      \
	} while (0)

/* Sends a command and returns its integer reply (asserts the type). */
#define h_call_ll(c, ...) h_call_ll_at(__FILE__, __LINE__, c, __VA_ARGS__, (const char *)NULL)
long long h_call_ll_at(const char *file, int line, struct h_client *c, ...);

#endif /* CACHIFY_HARNESS_H */
