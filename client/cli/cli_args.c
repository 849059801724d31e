/* cli_args.c - the cachify tool's argument helpers: durations, whole
 * numbers, the command after a key (-c STRING or [--] CMD...), and the
 * small byte buffer the JSON and capture code write into. No I/O except
 * cli_write_all; no knowledge of any subcommand.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* ---- numbers ------------------------------------------------------------------- */

int cli_parse_duration(const char *s, double *secs)
{
	static const struct {
		const char *suffix;
		double scale; /* s per unit */
	} units[] = {{"", 1}, {"ms", 0.001}, {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}};
	const char *p = s;
	double v = 0, frac = 0.1;
	int digits = 0;

	/* Digits, then an optional '.' and digits: no sign, exponent, hex,
	 * blanks, "inf" or "nan" (strtod would take them all). */
	for (; *p >= '0' && *p <= '9'; p++, digits++)
		v = v * 10 + (*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, digits++, frac /= 10)
			v += (*p - '0') * frac;
	if (digits == 0)
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(p, units[i].suffix) == 0) {
			v *= units[i].scale;
			if (!isfinite(v) || v > CLI_DURATION_MAX)
				return -1;
			*secs = v;
			return 0;
		}
	}
	return -1;
}

int cli_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9') /* no sign, no blanks */
		if (!(*s == '-' && min < 0 && s[1] >= '0' && s[1] <= '9'))
			return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Rounds up, forgiving binary fractions' noise (0.1 + 0.2); without libm,
 * which the tool does not link. Durations are bounded by CLI_DURATION_MAX. */
static int64_t ceil_at_least_1(double x)
{
	int64_t v = (int64_t)x;

	if ((double)v < x)
		v++;
	return v < 1 ? 1 : v;
}

int64_t cli_ceil_secs(double secs)
{
	return ceil_at_least_1(secs - 1e-9);
}

int64_t cli_ceil_ms(double secs)
{
	return ceil_at_least_1(secs * 1000 - 1e-6);
}

/* The CLI's one clock (the library's is private to it). */
double cli_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void cli_fmt_ms(char *buf, size_t size, long long ms)
{
	long long s = ms / 1000;

	if (ms < 0)
		snprintf(buf, size, "-");
	else if (s < 60)
		snprintf(buf, size, "%lld.%03llds", s, ms % 1000);
	else if (s < 3600)
		snprintf(buf, size, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, size, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
}

/* ---- the command after the key --------------------------------------------------- */

int cli_parse_cmdline(struct cli *g, int argc, char **argv, const char *opt_c,
                      struct cli_cmdline *c)
{
	c->shell = NULL;
	c->argv = NULL;
	if (argc >= 1 && (strcmp(argv[0], "-c") == 0 || strcmp(argv[0], "--command") == 0)) {
		if (opt_c)
			return cli_usage_error(g, "-c given twice");
		if (argc != 2)
			return cli_usage_error(g, argc < 2
			                              ? "-c needs a command string"
			                              : "-c takes one string; quote the command");
		opt_c = argv[1];
		argc = 0;
	}
	if (opt_c) {
		if (argc > 0)
			return cli_usage_error(g, "both -c and a command given");
		c->shell = opt_c;
		return 0;
	}
	if (argc >= 1 && strcmp(argv[0], "--") == 0) {
		argc--;
		argv++;
	}
	if (argc < 1)
		return cli_usage_error(g, "no command given");
	if (!*argv[0])
		return cli_usage_error(g, "empty command name");
	c->argv = argv;
	return 0;
}

/* ---- buffers ------------------------------------------------------------------------ */

int cli_buf_add(struct cli_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (b->cap - b->len < n + 1) {
		size_t cap = b->cap ? b->cap : 256;
		char *d;

		while (cap - b->len < n + 1) {
			if (cap > SIZE_MAX / 2)
				return -1;
			cap *= 2;
		}
		d = realloc(b->data, cap);
		if (!d)
			return -1;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int cli_buf_printf(struct cli_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof small)
		return cli_buf_add(b, small, (size_t)n);
	{
		char *big = malloc((size_t)n + 1);
		int rc;

		if (!big)
			return -1;
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		rc = cli_buf_add(b, big, (size_t)n);
		free(big);
		return rc;
	}
}

/* JSON strings are UTF-8: valid sequences pass through, control bytes and
 * the two specials are escaped, and a byte that is not part of valid UTF-8
 * becomes U+FFFD, so the output always parses. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t want;
	unsigned min;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		want = 2, min = 0x80, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		want = 3, min = 0x800, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		want = 4, min = 0x10000, cp = p[0] & 0x07;
	else
		return 0;
	if (n < want)
		return 0;
	for (size_t i = 1; i < want; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return want;
}

int cli_buf_json_str(struct cli_buf *b, const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;

	if (cli_buf_add(b, "\"", 1) != 0)
		return -1;
	for (size_t i = 0; i < n;) {
		size_t k = utf8_len(u + i, n - i);
		int rc;

		if (k == 0) {
			rc = cli_buf_add(b, "\\ufffd", 6);
			k = 1;
		} else if (u[i] == '"' || u[i] == '\\') {
			char esc[2] = {'\\', (char)u[i]};

			rc = cli_buf_add(b, esc, 2);
		} else if (u[i] == '\n') {
			rc = cli_buf_add(b, "\\n", 2);
		} else if (u[i] == '\t') {
			rc = cli_buf_add(b, "\\t", 2);
		} else if (u[i] == '\r') {
			rc = cli_buf_add(b, "\\r", 2);
		} else if (u[i] < 0x20 || u[i] == 0x7f) {
			rc = cli_buf_printf(b, "\\u%04x", u[i]);
		} else {
			rc = cli_buf_add(b, u + i, k);
		}
		if (rc != 0)
			return -1;
		i += k;
	}
	return cli_buf_add(b, "\"", 1);
}

void cli_buf_free(struct cli_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int cli_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}
