/* log.c - one line per message: pid, UTC time to the millisecond, a level
 * mark (. debug, - verbose, * notice, # warning, as redis-server) and text,
 * to stderr or to a logfile it opens without following links.
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int min_level = LOG_NOTICE_;
static FILE *out;	/* NULL = stderr */

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

int log_open(int level, const char *path, char *err, size_t size)
{
	FILE *f = NULL;

	if (path && *path) {
		f = log_open_file(path, err, size);
		if (!f)
			return -1;
	}
	if (out)
		fclose(out);
	out = f;
	min_level = level;
	return 0;
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
}

void log_msg(int level, const char *fmt, ...)
{
	static const char marks[] = ".-*#";
	char when[64], msg[1024];
	struct timeval tv;
	struct tm tm;
	va_list ap;

	if (level < min_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(when, sizeof when, "%d %b %Y %H:%M:%S", &tm);
	fprintf(out ? out : stderr, "%d:M %s.%03d %c %s\n", (int)getpid(), when,
		(int)(tv.tv_usec / 1000), marks[level & 3], msg);
}
