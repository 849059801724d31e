/* log.c - one line per message, to stderr or to a logfile it opens without
 * following links, in one of three formats:
 *
 *   plain    pid, UTC time to the millisecond, a level mark (. debug,
 *            - verbose, * notice, # warning, as redis-server) and text;
 *   journal  sd-daemon(3)'s "<N>" priority prefix and the text alone: the
 *            journal adds time and pid itself, and `journalctl -p` filters;
 *   json     one object a line: ts (RFC 3339, UTC), level, pid, msg.
 *
 * auto (the default) is journal when stderr is the journal's stream
 * (JOURNAL_STREAM names its device and inode), else plain. log_reopen()
 * opens the logfile again by name, for logrotate's rename-and-SIGHUP.
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LOG_MSG_MAX  1024 /* bytes of one message's text; longer ones are cut */
#define LOG_LINE_MAX (6 * LOG_MSG_MAX + 128) /* a line: every byte of text \u-escaped */

static int min_level = LOG_NOTICE_;
static int format = LOG_FORMAT_PLAIN; /* resolved: never LOG_FORMAT_AUTO */
static int wanted_format = LOG_FORMAT_AUTO;
static FILE *out;	/* NULL = stderr */
static char *out_path;	/* owned: the logfile's name, for log_reopen */

/*
 * Opens the logfile for appending. cachifyd does so as root, before it drops to `user`,
 * in a directory others may be able to write to, so the file must be the one named:
 * O_NOFOLLOW refuses a symlink in its place (which would aim root's writes at any file),
 * O_NONBLOCK keeps a FIFO from hanging the open, and fstat() then refuses anything but a
 * regular file with a single name (a hard link is another file under a second name).
 */
static FILE *log_open_file(const char *path, char *err, size_t size)
{
	struct stat st;
	FILE *f;
	int fd, flags;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
				O_CLOEXEC, LOG_FILE_MODE);
	if (fd < 0) {
		int e = errno;

		/* ELOOP for a link, ENXIO for a FIFO nobody reads: say what the file is. */
		if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			snprintf(err, size, "logfile %s is a symbolic link: name the file itself "
				 "(cachifyd does not follow links for its log)", path);
		else if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
			snprintf(err, size, "logfile %s is not a regular file", path);
		else
			snprintf(err, size, "logfile %s: %s", path, strerror(e));
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, size, "logfile %s: %s", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(err, size, "logfile %s is not a regular file", path);
	} else if (st.st_nlink > 1) {
		snprintf(err, size, "logfile %s has %lu hard links: it may be another file under a "
			 "second name", path, (unsigned long)st.st_nlink);
	} else if ((flags = fcntl(fd, F_GETFL)) == -1 ||
		   fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1 || !(f = fdopen(fd, "a"))) {
		snprintf(err, size, "logfile %s: %s", path, strerror(errno));
	} else {
		setvbuf(f, NULL, _IOLBF, 0);
		return f;
	}
	close(fd);
	return NULL;
}

bool log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	int end = 0;

	/* "device:inode", both decimal, as systemd.exec(5) sets it. */
	if (!js || sscanf(js, "%llu:%llu%n", &dev, &ino, &end) != 2 || js[end] != '\0')
		return false;
	if (fstat(STDERR_FILENO, &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* The format lines are written in, given the wanted one and the target. */
static int log_resolve_format(int wanted)
{
	if (wanted != LOG_FORMAT_AUTO)
		return wanted;
	return !out && log_stderr_is_journal() ? LOG_FORMAT_JOURNAL : LOG_FORMAT_PLAIN;
}

int log_open(int level, const char *path, char *err, size_t size)
{
	FILE *f = NULL;
	char *p = NULL;

	if (path && *path) {
		if (!(p = strdup(path))) {
			snprintf(err, size, "out of memory");
			return -1;
		}
		if (!(f = log_open_file(path, err, size))) {
			free(p);
			return -1;
		}
	}
	if (out)
		fclose(out);
	free(out_path);
	out = f;
	out_path = p;
	min_level = level;
	format = log_resolve_format(wanted_format);
	return 0;
}

int log_reopen(char *err, size_t size)
{
	FILE *f;

	if (!out_path)
		return 0;
	if (!(f = log_open_file(out_path, err, size)))
		return -1;
	fclose(out);
	out = f;
	return 0;
}

void log_set_format(int fmt)
{
	wanted_format = fmt;
	format = log_resolve_format(fmt);
}

int log_format(void)
{
	return format;
}

void log_set_level(int level)
{
	min_level = level;
}

int log_level(void)
{
	return min_level;
}

void log_close(void)
{
	if (out)
		fclose(out);
	out = NULL;
	free(out_path);
	out_path = NULL;
}

/* Appends s to buf[*len..size) as the body of a JSON string (RFC 8259
 * escapes), cutting it where it no longer fits. Bytes that are not valid
 * text still pass through: a log line is not a protocol. */
static void log_json_string(char *buf, size_t size, size_t *len, const char *s)
{
	for (; *s && *len + 7 < size; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			*len += (size_t)snprintf(buf + *len, size - *len, "\\%c", ch);
		else if (ch == '\n')
			*len += (size_t)snprintf(buf + *len, size - *len, "\\n");
		else if (ch < 0x20 || ch == 0x7f)
			*len += (size_t)snprintf(buf + *len, size - *len, "\\u%04x", ch);
		else
			buf[(*len)++] = (char)ch;
	}
	buf[*len] = '\0';
}

/* Formats one line of msg at level into buf (NUL-terminated, with its
 * newline). */
static void log_format_line(char *buf, size_t size, int level, const char *msg)
{
	/* syslog priorities (sd-daemon.h's SD_DEBUG ... SD_WARNING). */
	static const int prio[] = {7, 6, 5, 4};
	static const char marks[] = ".-*#";
	static const char *const names[] = {"debug", "verbose", "notice", "warning"};
	char when[64];
	struct timeval tv;
	struct tm tm;
	size_t len;

	if (format == LOG_FORMAT_JOURNAL) {
		snprintf(buf, size, "<%d>%s\n", prio[level & 3], msg);
		return;
	}
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	if (format == LOG_FORMAT_JSON) {
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
		len = (size_t)snprintf(buf, size,
				       "{\"ts\":\"%s.%03dZ\",\"level\":\"%s\",\"pid\":%d,\"msg\":\"",
				       when, (int)(tv.tv_usec / 1000), names[level & 3],
				       (int)getpid());
		log_json_string(buf, size - 3, &len, msg);
		memcpy(buf + len, "\"}\n", 4);
		return;
	}
	strftime(when, sizeof when, "%d %b %Y %H:%M:%S", &tm);
	snprintf(buf, size, "%d:M %s.%03d %c %s\n", (int)getpid(), when,
		 (int)(tv.tv_usec / 1000), marks[level & 3], msg);
}

void log_msg(int level, const char *fmt, ...)
{
	char msg[LOG_MSG_MAX], line[LOG_LINE_MAX];
	va_list ap;

	if (level < min_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* The journal ends a record at a newline: the rest would lose its
	 * priority. */
	if (format == LOG_FORMAT_JOURNAL)
		for (char *p = msg; (p = strchr(p, '\n'));)
			*p = ' ';
	log_format_line(line, sizeof line, level, msg);
	/* One write per line: stderr is unbuffered. */
	fputs(line, out ? out : stderr);
}
