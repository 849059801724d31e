/* log.h - leveled logging to stderr or the configured logfile, plain, in
 * the journal's priority-prefixed form, or as JSON lines (log.c). */
#ifndef CACHIFY_LOG_H
#define CACHIFY_LOG_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>

#define LOG_FILE_MODE 0640 /* a new logfile: the owner writes, its group reads */

/* Sets the minimum level written, and the file (NULL or "" = stderr),
 * opened for appending and created with LOG_FILE_MODE. A symlink, anything
 * but a regular file, or a file with more than one hard link is refused.
 * 0, or -1 with the reason in err (size bytes; the previous target is kept). */
int log_open(int level, const char *path, char *err, size_t size);
/* Opens the logfile again by its name (the old one may have been renamed
 * by logrotate): 0, or -1 with the reason in err, still writing to the old
 * file. Nothing to do (0) when logging to stderr. */
int log_reopen(char *err, size_t size);
/* Sets the format (enum log_format); LOG_FORMAT_AUTO picks journal when
 * logging to stderr and log_stderr_is_journal(), else plain. */
void log_set_format(int fmt);
/* The format lines are written in now (never LOG_FORMAT_AUTO). */
int log_format(void);
/* Is stderr the journal's stream? JOURNAL_STREAM's "device:inode" equals
 * stderr's fstat (as sd_journal_stream_fd's users are told to check). */
bool log_stderr_is_journal(void);
void log_set_level(int level);
int log_level(void);
void log_close(void);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...)	 log_msg(LOG_DEBUG_, __VA_ARGS__)
#define log_verbose(...) log_msg(LOG_VERBOSE_, __VA_ARGS__)
#define log_notice(...)	 log_msg(LOG_NOTICE_, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING_, __VA_ARGS__)

#endif /* CACHIFY_LOG_H */
