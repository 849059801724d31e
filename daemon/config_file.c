/* config_file.c - the redis.conf-style file reader behind config_load_file().
 *
 * Owns line splitting and quoting, comments, `include` (glob(3) and the depth
 * limit) and "file:line: message" errors. Every value goes
 * through config_set(); the directive table and value parsing are config.c's.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "config_int.h"

/* `logfile "..."` with a PATH_MAX path spelled as \xHH escapes must fit in a line. */
_Static_assert(CONFIG_LINE_MAX >= 4 * PATH_MAX + 64, "CONFIG_LINE_MAX below the longest value");

static bool config_is_hex(char c)
{
	return isxdigit((unsigned char)c) != 0;
}

static int config_hex_val(char c)
{
	return c <= '9' ? c - '0' : (tolower((unsigned char)c) - 'a' + 10);
}

static bool config_is_space(char c)
{
	return isspace((unsigned char)c) != 0;
}

/*
 * Splits a line into arguments as Redis's sdssplitargs() does: "double quotes" with \n \r
 * \t \b \a \xHH and \<any> escapes, 'single quotes' with only \' escaped, a closing quote
 * must end the argument, and a quote inside a bare word opens a quoted part of it.
 * Arguments are written NUL-terminated into out (strlen(line) + 1 bytes is always enough:
 * an argument never grows and each one but the last is followed by a separator in line),
 * argv[i] points into out, lens[i] is its length. 0, or -1 on unbalanced quotes.
 */
static int config_split(const char *line, char *out, char **argv, size_t *lens, size_t *argc)
{
	const char *p = line;

	*argc = 0;
	for (;;) {
		bool inq = false, insq = false;
		char *start = out;

		while (config_is_space(*p))
			p++;
		if (*p == '\0')
			return 0;
		for (;;) {
			if (inq) {
				if (p[0] == '\\' && p[1] == 'x' && config_is_hex(p[2]) &&
				    config_is_hex(p[3])) {
					*out++ = (char)(config_hex_val(p[2]) * 16 +
							config_hex_val(p[3]));
					p += 3;
				} else if (p[0] == '\\' && p[1] != '\0') {
					p++;
					switch (*p) {
					case 'n':
						*out++ = '\n';
						break;
					case 'r':
						*out++ = '\r';
						break;
					case 't':
						*out++ = '\t';
						break;
					case 'b':
						*out++ = '\b';
						break;
					case 'a':
						*out++ = '\a';
						break;
					default:
						*out++ = *p;
						break;
					}
				} else if (*p == '"') {
					if (p[1] != '\0' && !config_is_space(p[1]))
						return -1;
					inq = false;
					p++;
					break;
				} else if (*p == '\0') {
					return -1;
				} else {
					*out++ = *p;
				}
			} else if (insq) {
				if (p[0] == '\\' && p[1] == '\'') {
					p++;
					*out++ = '\'';
				} else if (*p == '\'') {
					if (p[1] != '\0' && !config_is_space(p[1]))
						return -1;
					insq = false;
					p++;
					break;
				} else if (*p == '\0') {
					return -1;
				} else {
					*out++ = *p;
				}
			} else if (config_is_space(*p) || *p == '\0') {
				break;
			} else if (*p == '"') {
				inq = true;
			} else if (*p == '\'') {
				insq = true;
			} else {
				*out++ = *p;
			}
			p++;
		}
		lens[*argc] = (size_t)(out - start);
		argv[(*argc)++] = start;
		*out++ = '\0';
	}
}

/* One config_load_file() call: what it fills, and what all its files have used. */
struct config_reader {
	struct config *c; /* the copy being filled */
	size_t total;	  /* bytes read so far, all files together */
	char *err;	  /* CONFIG_ERR_MAX bytes for "file:line: message" */
};

static int config_load(struct config_reader *r, const char *path, int depth, const char *from,
		       int from_line);

/* The include's pattern, made relative to the directory of the file that names it. */
static char *config_include_path(const char *from, const char *pattern)
{
	const char *slash = strrchr(from, '/');
	size_t dlen = slash != NULL ? (size_t)(slash - from) + 1 : 0;
	char *s;

	if (pattern[0] == '/')
		dlen = 0;
	s = malloc(dlen + strlen(pattern) + 1);
	if (s != NULL) {
		memcpy(s, from, dlen);
		strcpy(s + dlen, pattern);
	}
	return s;
}

static int config_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Why glob(3) gave up, set by config_glob_err_cb (glob's callback has no context). */
static int config_glob_errno;

/* A directory that does not exist just matches nothing; any other failure to read one
 * (EACCES, EIO...) stops glob(3) with GLOB_ABORTED. */
static int config_glob_err_cb(const char *path, int eerrno)
{
	(void)path;
	if (eerrno == ENOENT || eerrno == ENOTDIR)
		return 0;
	config_glob_errno = eerrno;
	return 1;
}

/* Copies s[0..len) to out with a backslash before each of glob(3)'s special characters,
 * so a directory named "a[1]" is that directory and not a pattern. Returns out's end. */
static char *config_glob_escape(char *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '*' || s[i] == '?' || s[i] == '[' || s[i] == '\\')
			*out++ = '\\';
		*out++ = s[i];
	}
	return out;
}

/*
 * `include PATTERN`, with glob(3). Wildcards may appear in the last path component only
 * (a pattern of directories would make the load order hard to predict), and the directory
 * part, including that of the file naming the include, is matched literally. Matches load
 * in byte order whatever the locale, a leading dot must be matched explicitly, and a
 * wildcard matching nothing (even in a missing directory) is no error; a literal name
 * must exist.
 */
static int config_include(struct config_reader *r, const char *from, int line,
			  const char *pattern, int depth)
{
	const char *pslash = strrchr(pattern, '/');
	const char *base, *name;
	char *full, *pat, *slash;
	size_t dlen;
	glob_t g;
	int rc, grc;

	if (depth >= CONFIG_INCLUDE_DEPTH) {
		config_err(r->err, "%s:%d: includes nested more than %d deep (an include loop?)",
			   from, line, CONFIG_INCLUDE_DEPTH);
		return -1;
	}
	if (pslash != NULL && strcspn(pattern, "*?[") < (size_t)(pslash - pattern)) {
		config_err(r->err, "%s:%d: include '%s': wildcards are only allowed in the file name",
			   from, line, pattern);
		return -1;
	}
	full = config_include_path(from, pattern);
	if (full == NULL) {
		config_err(r->err, "%s:%d: out of memory", from, line);
		return -1;
	}
	slash = strrchr(full, '/');
	base = slash != NULL ? slash + 1 : full;
	dlen = (size_t)(base - full);
	if (strpbrk(base, "*?[") == NULL) {
		rc = config_load(r, full, depth + 1, from, line);
		free(full);
		return rc;
	}

	/* Step 1: glob the escaped directory followed by the file name pattern. */
	pat = malloc(2 * dlen + strlen(base) + 1);
	if (pat == NULL) {
		free(full);
		config_err(r->err, "%s:%d: out of memory", from, line);
		return -1;
	}
	strcpy(config_glob_escape(pat, full, dlen), base);
	config_glob_errno = 0;
	grc = glob(pat, GLOB_NOSORT, config_glob_err_cb, &g);
	free(pat);
	if (grc == GLOB_NOMATCH) {
		rc = 0;
	} else if (grc == GLOB_NOSPACE) {
		config_err(r->err, "%s:%d: out of memory", from, line);
		rc = -1;
	} else if (grc != 0) {
		/* The directory, without its trailing '/' unless it is the root. */
		config_err(r->err, "%s:%d: %.*s: %s", from, line, dlen > 1 ? (int)dlen - 1 : 1,
			   dlen > 0 ? full : ".",
			   strerror(config_glob_errno ? config_glob_errno : EIO));
		rc = -1;
	} else {
		/* Step 2: load them in byte order (glob's own sort would follow the locale),
		 * skipping the "." and ".." that a pattern such as ".*" matches. */
		qsort(g.gl_pathv, g.gl_pathc, sizeof(*g.gl_pathv), config_name_cmp);
		rc = 0;
		for (size_t i = 0; i < g.gl_pathc && rc == 0; i++) {
			name = g.gl_pathv[i] + dlen;
			if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
				rc = config_load(r, g.gl_pathv[i], depth + 1, from, line);
		}
	}
	globfree(&g);
	free(full);
	return rc;
}

/* One line of a file: a blank or comment line, an include, or `directive value`. */
static int config_line(struct config_reader *r, const char *path, int line, char *text,
		       int depth)
{
	char msg[CONFIG_ERR_MAX];
	size_t len, argc;
	char *out, **argv;
	size_t *lens;
	int rc = -1;

	/* Blank and comment lines first: a comment need not have balanced quotes. */
	text += strspn(text, " \t\r\n\v\f");
	if (*text == '\0' || *text == '#')
		return 0;
	len = strlen(text);
	out = malloc(len + 1);
	argv = malloc((len / 2 + 1) * sizeof(*argv));
	lens = malloc((len / 2 + 1) * sizeof(*lens));
	if (out == NULL || argv == NULL || lens == NULL) {
		config_err(r->err, "%s:%d: out of memory", path, line);
		goto out;
	}
	if (config_split(text, out, argv, lens, &argc) == -1) {
		config_err(r->err, "%s:%d: unbalanced quotes", path, line);
		goto out;
	}
	for (size_t i = 0; i < argc; i++) {
		if (strlen(argv[i]) != lens[i]) {
			config_err(r->err, "%s:%d: NUL byte in argument %zu", path, line, i + 1);
			goto out;
		}
	}
	if (strcasecmp(argv[0], "include") != 0 && config_find(argv[0]) == NULL) {
		config_err(r->err, "%s:%d: unknown directive '%.*s'", path, line, CONFIG_VALUE_SHOWN,
			   argv[0]);
		goto out;
	}
	/* Rule words (acl-uid 1000 ~k* +get) become one value, one blank apart:
	 * the arguments lie one NUL apart in out. */
	if (argc > 2 && (config_takes_words(config_find(argv[0])) ||
			 config_joins_words(config_find(argv[0])))) {
		for (size_t i = 1; i < argc; i++) {
			if (strpbrk(argv[i], " \t") != NULL) {
				config_err(r->err, "%s:%d: '%s' has a blank in a word; match one with "
						"? or [ ] in a pattern", path, line, argv[0]);
				goto out;
			}
			if (i > 1)
				argv[i][-1] = ' ';
		}
		argc = 2;
	}
	if (argc != 2) {
		config_err(r->err, "%s:%d: wrong number of arguments for '%s' (expected 1, got %zu)",
			   path, line, argv[0], argc - 1);
		goto out;
	}
	if (strcasecmp(argv[0], "include") == 0) {
		rc = config_include(r, path, line, argv[1], depth);
	} else {
		rc = config_set(r->c, argv[0], argv[1], msg);
		if (rc == -1)
			config_err(r->err, "%s:%d: %s", path, line, msg);
	}
out:
	free(out);
	free(argv);
	free(lens);
	return rc;
}

/*
 * Reads one line of f into buf (CONFIG_LINE_MAX + 1 bytes) without its '\n', NUL-terminated,
 * and adds the bytes it consumed to *total. Returns the line's length; CONFIG_LINE_MAX + 1
 * when it is longer than that (the rest is left unread, so memory stays bounded whatever f
 * is: /dev/zero has no newline); -1 at the end of the file or on a read error (ferror).
 */
static ssize_t config_read_line(FILE *f, char *buf, size_t *total)
{
	size_t n = 0;
	int ch;

	while ((ch = getc_unlocked(f)) != EOF) {
		++*total;
		if (ch == '\n')
			break;
		if (n == CONFIG_LINE_MAX)
			return CONFIG_LINE_MAX + 1;
		buf[n++] = (char)ch;
	}
	if (ch == EOF && (n == 0 || ferror(f)))
		return -1;
	buf[n] = '\0';
	return (ssize_t)n;
}

/* Reads one file into r->c. from/from_line name the include that asked for it, if any. */
static int config_load(struct config_reader *r, const char *path, int depth, const char *from,
		       int from_line)
{
	FILE *f = fopen(path, "re");
	char *text;
	ssize_t n;
	int line = 0, rc = 0;

	if (f == NULL) {
		if (from != NULL)
			config_err(r->err, "%s:%d: %s: %s", from, from_line, path,
				   strerror(errno));
		else
			config_err(r->err, "%s: %s", path, strerror(errno));
		return -1;
	}
	text = malloc(CONFIG_LINE_MAX + 1);
	if (text == NULL) {
		config_err(r->err, "%s: out of memory", path);
		fclose(f);
		return -1;
	}
	while (rc == 0 && (n = config_read_line(f, text, &r->total)) != -1) {
		line++;
		rc = -1;
		if (n > CONFIG_LINE_MAX)
			config_err(r->err, "%s:%d: line too long (limit %d bytes)", path, line,
				   CONFIG_LINE_MAX);
		else if (r->total > CONFIG_TOTAL_MAX)
			config_err(r->err,
				   "%s:%d: more than %d bytes of configuration in all files "
				   "(an endless file?)",
				   path, line, CONFIG_TOTAL_MAX);
		else if (memchr(text, '\0', (size_t)n) != NULL)
			config_err(r->err, "%s:%d: NUL byte in line", path, line);
		else
			rc = config_line(r, path, line, text, depth);
	}
	/* A read error (EISDIR, EIO...) also ends the loop, like the end of the file. */
	if (rc == 0 && ferror(f)) {
		config_err(r->err, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	free(text);
	fclose(f);
	return rc;
}

int config_load_file(struct config *c, const char *path, char *err)
{
	struct config tmp;
	struct config_reader r;

	/* Work on a copy so a file that fails halfway leaves c as it was. */
	if (config_copy(&tmp, c) == -1) {
		config_err(err, "%s: out of memory", path);
		return -1;
	}
	r.c = &tmp;
	r.total = 0;
	r.err = err;
	if (config_load(&r, path, 0, NULL, 0) == -1) {
		config_free(&tmp);
		return -1;
	}
	config_free(c);
	*c = tmp;
	return 0;
}
