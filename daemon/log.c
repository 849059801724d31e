/* log.c - one line per message: pid, UTC time to the millisecond, a level
 * mark (. debug, - verbose, * notice, # warning, as redis-server) and text.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int min_level = LOG_NOTICE_;
static FILE *out;	/* NULL = stderr */

int log_open(int level, const char *path)
{
	FILE *f = NULL;

	if (path && *path) {
		f = fopen(path, "ae");
		if (!f)
			return -1;
		setvbuf(f, NULL, _IOLBF, 0);
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
