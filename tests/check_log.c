/* check_log.c - the daemon's log as its readers see it: journald's "<N>"
 * priority prefixes when stderr is the journal (a fake JOURNAL_STREAM that
 * names the test's own stderr file), log-format plain and json, the
 * logfile reopened on SIGHUP after a rename (logrotate without
 * copytruncate), and the rate-limited line per refused peer.
 *
 * Every test runs the real cachifyd (tests/harness.h) and reads its
 * stderr file or logfile.
 */
#include <check.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_suites.h"
#include "harness.h"

#define SLOW(ms)     ((ms) * h_slow()) /* a bound, scaled for sanitizer builds */
#define LOG_WAIT_MS  5000	       /* bound on a line reaching the log (times h_slow()) */
#define REFUSED_N    60		       /* peers refused in the rate-limit test */
#define REFUSED_BURST 10	       /* LISTEN_REJECT_LOG_BURST: lines per window */

/* Counts the lines of text that contain needle. */
static int count_lines(const char *text, const char *needle)
{
	int n = 0;

	for (const char *l = text; l && *l;) {
		const char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l);
		const char *hit = strstr(l, needle);

		if (hit && (size_t)(hit - l) < len)
			n++;
		l = end ? end + 1 : NULL;
	}
	return n;
}

/* The line after l's, or NULL after the last. */
static const char *next_line(const char *l)
{
	const char *end = strchr(l, '\n');

	return end ? end + 1 : NULL;
}

/* The line of text that contains needle (copied into buf); fails if none. */
static void line_with(const char *text, const char *needle, char *buf, size_t size)
{
	const char *hit = strstr(text, needle), *start, *end;

	ck_assert_msg(hit != NULL, "no line with '%s' in:\n%s", needle, text);
	for (start = hit; start > text && start[-1] != '\n'; start--)
		;
	end = strchr(hit, '\n');
	ck_assert_ptr_nonnull(end);
	ck_assert_uint_lt((size_t)(end - start), size);
	memcpy(buf, start, (size_t)(end - start));
	buf[end - start] = '\0';
}

/* A daemon whose stderr file is already created, with JOURNAL_STREAM set
 * to that file's device:inode (or to a wrong inode when match is false)
 * while it starts; extra arguments as h_daemon_spawn's. */
static struct h_daemon *start_journal(bool match, const char *const *args)
{
	struct h_daemon *d = h_daemon_new();
	char js[64];
	struct stat st;

	h_write_file(d->log, "");
	ck_assert_int_eq(stat(d->log, &st), 0);
	snprintf(js, sizeof js, "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino + (match ? 0 : 1));
	ck_assert_int_eq(setenv("JOURNAL_STREAM", js, 1), 0);
	h_daemon_spawn(d, args);
	unsetenv("JOURNAL_STREAM");
	h_daemon_wait_ready(d);
	return d;
}

/* Writes a config file into d's directory: path in buf. */
static void write_conf(const struct h_daemon *d, const char *text, char *buf, size_t size)
{
	ck_assert_int_lt(snprintf(buf, size, "%s/cachifyd.conf", d->dir), (int)size);
	h_write_file(buf, text);
}

/* ---- journald ---------------------------------------------------------------- */

START_TEST(test_log_to_the_journal_has_priority_prefixes_and_no_pid_or_time)
{
	struct h_daemon *d = h_daemon_new();
	char conf[H_PATH_MAX + 32], line[512], want[64];
	const char *args[] = {"-c", conf, NULL};
	char *log;
	struct stat st;

	/* start_journal's steps, with a config file to break for a warning. */
	write_conf(d, "loglevel notice\n", conf, sizeof conf);
	h_write_file(d->log, "");
	ck_assert_int_eq(stat(d->log, &st), 0);
	snprintf(want, sizeof want, "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	ck_assert_int_eq(setenv("JOURNAL_STREAM", want, 1), 0);
	h_daemon_spawn(d, args);
	unsetenv("JOURNAL_STREAM");
	h_daemon_wait_ready(d);

	h_write_file(conf, "no-such-directive 1\n");
	h_daemon_kill(d, SIGHUP);
	ck_assert(h_log_wait(d, "reload failed", SLOW(LOG_WAIT_MS)));
	log = h_daemon_log(d);
	/* notice is <5>, warning <4> (sd-daemon(3)); the text follows at once. */
	line_with(log, " ready: pid ", line, sizeof line);
	ck_assert_msg(strncmp(line, "<5>cachifyd ", 12) == 0, "ready line: %s", line);
	line_with(log, "SIGHUP: reloading", line, sizeof line);
	ck_assert_str_eq(line, "<5>SIGHUP: reloading the configuration");
	line_with(log, "reload failed", line, sizeof line);
	ck_assert_msg(strncmp(line, "<4>reload failed, keeping the running configuration: ", 53) ==
			      0,
		      "warning line: %s", line);
	/* Every line has a prefix; none has our own pid and time. */
	snprintf(want, sizeof want, "%d:M ", (int)d->pid);
	ck_assert_msg(strstr(log, want) == NULL, "a plain line in the journal:\n%s", log);
	for (const char *l = log; l && *l; l = next_line(l))
		ck_assert_msg(l[0] == '<' && l[1] >= '4' && l[1] <= '7' && l[2] == '>',
			      "line without a priority prefix: %.80s", l);
	free(log);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_log_to_another_stream_than_journal_stream_is_plain)
{
	struct h_daemon *d = start_journal(false, NULL);
	char *log = h_daemon_log(d), want[64], line[512];

	snprintf(want, sizeof want, "%d:M ", (int)d->pid);
	line_with(log, " ready: pid ", line, sizeof line);
	ck_assert_msg(strncmp(line, want, strlen(want)) == 0, "not plain: %s", line);
	ck_assert_msg(strstr(line, " * cachifyd ") != NULL, "no notice mark: %s", line);
	ck_assert_ptr_null(strstr(log, "<5>"));
	free(log);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_log_format_plain_overrides_a_detected_journal)
{
	const char *args[] = {"--log-format", "plain", NULL};
	struct h_daemon *d = start_journal(true, args);
	struct h_client *c = h_connect(d);
	char *log = h_daemon_log(d), want[64];
	struct resp_reply *r;

	snprintf(want, sizeof want, "%d:M ", (int)d->pid);
	ck_assert_msg(strncmp(log, want, strlen(want)) == 0, "not plain: %.80s", log);
	ck_assert_ptr_null(strstr(log, "<5>"));
	free(log);
	r = h_call(c, "CONFIG", "GET", "log-format");
	ck_assert_uint_eq(r->elements, 2);
	ck_assert_str_eq(r->element[1]->str, "plain");
	resp_reply_free(r);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- json ------------------------------------------------------------------------- */

START_TEST(test_log_format_json_writes_one_object_a_line_with_escapes)
{
	struct h_daemon *d = h_daemon_new();
	char conf[H_PATH_MAX + 32], line[1024], want[128];
	const char *args[] = {"-c", conf, NULL};
	char *log;

	write_conf(d, "log-format json\n", conf, sizeof conf);
	h_daemon_spawn(d, args);
	h_daemon_wait_ready(d);
	/* A reload error quotes the bad name: a quote and a backslash to escape. */
	h_write_file(conf, "log-format json\n\"bad\\\"na\\\\me\" 1\n");
	h_daemon_kill(d, SIGHUP);
	ck_assert(h_log_wait(d, "reload failed", SLOW(LOG_WAIT_MS)));
	log = h_daemon_log(d);
	line_with(log, " ready: pid ", line, sizeof line);
	/* {"ts":"2026-01-02T03:04:05.678Z","level":"notice","pid":N,"msg":"..."} */
	ck_assert_msg(strncmp(line, "{\"ts\":\"", 7) == 0 && strlen(line) > 31 &&
			      line[11] == '-' && line[17] == 'T' && line[30] == 'Z' &&
			      line[31] == '"',
		      "ts: %s", line);
	snprintf(want, sizeof want, "\",\"level\":\"notice\",\"pid\":%d,\"msg\":\"cachifyd ",
		 (int)d->pid);
	ck_assert_msg(strstr(line, want) != NULL, "fields: %s", line);
	ck_assert_msg(strcmp(line + strlen(line) - 2, "\"}") == 0, "end: %s", line);
	line_with(log, "reload failed", line, sizeof line);
	ck_assert_msg(strstr(line, "\"level\":\"warning\"") != NULL, "level: %s", line);
	ck_assert_msg(strstr(line, "bad\\\"na\\\\me") != NULL, "escapes: %s", line);
	for (const char *l = log; l && *l; l = next_line(l))
		ck_assert_msg(strncmp(l, "{\"ts\":\"", 7) == 0, "not an object: %.80s", l);
	free(log);
	h_daemon_finish(d);
}
END_TEST

/* CONFIG SET switches the format at once; a reload (SIGHUP) goes back to
 * the configured one, as for every directive CONFIG SET changes. */
START_TEST(test_log_format_is_set_at_runtime_and_unknown_names_are_refused)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	char *log, line[512], want[64];

	h_call_error(c, "ERR ", "CONFIG", "SET", "log-format", "xml");
	h_ok(c, "CONFIG", "SET", "log-format", "json");
	h_daemon_kill(d, SIGHUP);
	ck_assert(h_log_wait(d, "configuration reloaded", SLOW(LOG_WAIT_MS)));
	log = h_daemon_log(d);
	line_with(log, "SIGHUP: reloading", line, sizeof line);
	ck_assert_msg(strstr(line, "\"msg\":\"SIGHUP: reloading the configuration\"}") != NULL,
		      "not json: %s", line);
	line_with(log, "configuration reloaded", line, sizeof line);
	snprintf(want, sizeof want, "%d:M ", (int)d->pid);
	ck_assert_msg(strncmp(line, want, strlen(want)) == 0, "not plain again: %s", line);
	free(log);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- logrotate ---------------------------------------------------------------- */

START_TEST(test_log_sighup_reopens_a_renamed_logfile)
{
	struct h_daemon *d = h_daemon_new();
	char file[H_PATH_MAX + 16], rotated[H_PATH_MAX + 16];
	const char *args[] = {"--logfile", file, NULL};
	char *old, *now;

	snprintf(file, sizeof file, "%s/cachifyd.log", d->dir);
	snprintf(rotated, sizeof rotated, "%s/cachifyd.log.1", d->dir);
	h_daemon_spawn(d, args);
	h_daemon_wait_ready(d);
	ck_assert_int_eq(rename(file, rotated), 0);
	h_daemon_kill(d, SIGHUP);
	{
		int64_t deadline = h_now_ms() + SLOW(LOG_WAIT_MS);

		while (!(now = h_slurp(file, NULL)) || !strstr(now, "configuration reloaded")) {
			free(now);
			ck_assert_msg(h_now_ms() < deadline, "no new %s after SIGHUP", file);
			h_sleep_ms(10);
		}
	}
	ck_assert_ptr_nonnull(strstr(now, "SIGHUP: reloading the configuration"));
	old = h_slurp(rotated, NULL);
	ck_assert_ptr_nonnull(old);
	ck_assert_ptr_nonnull(strstr(old, " ready: pid "));
	ck_assert_msg(strstr(old, "SIGHUP") == NULL, "the renamed file got:\n%s", old);
	free(old);
	free(now);
	h_daemon_finish(d);
}
END_TEST

/* A logfile that cannot be opened again: the old file keeps the lines. */
START_TEST(test_log_sighup_keeps_the_old_file_when_the_new_cannot_open)
{
	struct h_daemon *d = h_daemon_new();
	char file[H_PATH_MAX + 16], rotated[H_PATH_MAX + 16];
	const char *args[] = {"--logfile", file, NULL};
	char *old;

	snprintf(file, sizeof file, "%s/cachifyd.log", d->dir);
	snprintf(rotated, sizeof rotated, "%s/cachifyd.log.1", d->dir);
	h_daemon_spawn(d, args);
	h_daemon_wait_ready(d);
	ck_assert_int_eq(rename(file, rotated), 0);
	ck_assert_int_eq(symlink("/dev/null", file), 0); /* refused: a link */
	h_daemon_kill(d, SIGHUP);
	{
		int64_t deadline = h_now_ms() + SLOW(LOG_WAIT_MS);

		while (!(old = h_slurp(rotated, NULL)) || !strstr(old, "configuration reloaded")) {
			free(old);
			ck_assert_msg(h_now_ms() < deadline, "nothing more in %s", rotated);
			h_sleep_ms(10);
		}
	}
	ck_assert_msg(strstr(old, "cannot reopen the log, still writing to the old file: logfile ") !=
			      NULL,
		      "%s", old);
	ck_assert_ptr_nonnull(strstr(old, "is a symbolic link"));
	free(old);
	h_daemon_finish(d);
}
END_TEST

/* ---- refused peers ---------------------------------------------------------------- */

/* REFUSED_N peers of uid nobody connect and hang up: at most REFUSED_BURST
 * lines per second name one, a summary line counts the rest, and together
 * they account for every one. */
START_TEST(test_log_refused_peers_are_rate_limited_with_a_suppressed_count)
{
	struct h_daemon *d = h_daemon_new();
	const char *args[] = {"--unixsocketperm", "0666", NULL};
	struct passwd *pw = getpwnam("nobody");
	char pub[] = "/tmp/cachify-log.XXXXXX";
	int status, lines, summed = 0, windows;
	int64_t t0, took;
	char *log, *p;
	pid_t pid;

	ck_assert_msg(getuid() == 0 && pw, "this test takes the uid of nobody: run it as root");
	ck_assert_ptr_nonnull(mkdtemp(pub));
	ck_assert_int_eq(chmod(pub, 0755), 0);
	snprintf(d->sock, sizeof d->sock, "%s/sock", pub);
	h_daemon_spawn(d, args);
	h_daemon_wait_ready(d);
	t0 = h_now_ms();
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
			_exit(2);
		for (int i = 0; i < REFUSED_N; i++) {
			int fd = h_connect_fd(d->sock);

			if (fd < 0)
				_exit(3);
			close(fd);
		}
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the peer: status 0x%x",
		      status);
	took = h_now_ms() - t0;
	ck_assert(h_log_wait(d, "more clients in 1000 ms (suppressed", SLOW(LOG_WAIT_MS)));
	/* Every refusal is either a line or in a sum: wait for the last sum. */
	for (int64_t deadline = h_now_ms() + SLOW(LOG_WAIT_MS);; h_sleep_ms(50)) {
		log = h_daemon_log(d);
		lines = count_lines(log, "refused a client: pid ");
		summed = 0;
		for (p = log; (p = strstr(p, "refused ")); p += 8) {
			unsigned long n;

			if (sscanf(p, "refused %lu more clients", &n) == 1)
				summed += (int)n;
		}
		if (lines + summed == REFUSED_N || h_now_ms() > deadline)
			break;
		free(log);
	}
	windows = (int)(took / 1000) + 2;
	ck_assert_msg(lines + summed == REFUSED_N, "%d lines + %d summed != %d refused:\n%s",
		      lines, summed, REFUSED_N, log);
	ck_assert_msg(lines >= REFUSED_BURST && lines <= REFUSED_BURST * windows,
		      "%d lines for %d refusals in %lld ms", lines, REFUSED_N, (long long)took);
	free(log);
	h_daemon_finish(d);
	h_rm_rf(pub);
}
END_TEST

Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("formats");

	tcase_set_timeout(tc, 30 * h_slow());
	tcase_add_test(tc, test_log_to_the_journal_has_priority_prefixes_and_no_pid_or_time);
	tcase_add_test(tc, test_log_to_another_stream_than_journal_stream_is_plain);
	tcase_add_test(tc, test_log_format_plain_overrides_a_detected_journal);
	tcase_add_test(tc, test_log_format_json_writes_one_object_a_line_with_escapes);
	tcase_add_test(tc, test_log_format_is_set_at_runtime_and_unknown_names_are_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("files and limits");
	tcase_set_timeout(tc, 30 * h_slow());
	tcase_add_test(tc, test_log_sighup_reopens_a_renamed_logfile);
	tcase_add_test(tc, test_log_sighup_keeps_the_old_file_when_the_new_cannot_open);
	tcase_add_test(tc, test_log_refused_peers_are_rate_limited_with_a_suppressed_count);
	suite_add_tcase(s, tc);
	return s;
}
