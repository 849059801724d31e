/* fuzz_config.c - libFuzzer target for the configuration file reader
 * (config_load_file: lines, quoting, units, include) and config_set.
 *
 * There is only a file API, so the input is written into a private temporary
 * directory as up to four files, split at lines "%%": main.conf, a.conf,
 * b.conf and sub/c.conf (a missing piece removes its file). main.conf is
 * loaded over the defaults. While it loads, fopen() and opendir() are
 * interposed and refuse every path that does not resolve inside that
 * directory: `include /dev/zero`, `include ../../etc/x*` or a FIFO cannot be
 * reached, whatever the input says.
 *
 * Checks: a failed load leaves the configuration as it was and says why in
 * a bounded message; a load is deterministic; what loaded reads back with
 * config_get and round-trips, both through config_set and through a file
 * whose values are written fully escaped.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define PIECES	  4
#define DUMP_MAX  65536 /* bytes of "name\0value\0" for every directive */
#define SEPARATOR "\n%%\n"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_config.c:%d: check failed: %s\n", __LINE__, #cond);  \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static const char *const piece_names[PIECES] = {"main.conf", "a.conf", "b.conf", "sub/c.conf"};
static char dir[PATH_MAX];  /* the private directory, resolved */
static bool guard;	    /* refuse paths outside dir */

/* ---- the sandbox ---------------------------------------------------------- */

/* While guarded: does path resolve (symlinks, "..") outside dir? Then errno
 * says why: the lookup's own (a missing file stays ENOENT) or EACCES. */
static bool refused(const char *path)
{
	char real[PATH_MAX];
	size_t n = strlen(dir);

	if (!guard)
		return false;
	if (!realpath(path, real))
		return true;
	if (strncmp(real, dir, n) == 0 && (real[n] == '/' || real[n] == '\0'))
		return false;
	errno = EACCES;
	return true;
}

typedef FILE *fopen_fn(const char *, const char *);
typedef DIR *opendir_fn(const char *);

FILE *fopen(const char *path, const char *mode)
{
	static fopen_fn *real;

	if (!real)
		real = (fopen_fn *)dlsym(RTLD_NEXT, "fopen");
	return refused(path) ? NULL : real(path, mode);
}

DIR *opendir(const char *path)
{
	static opendir_fn *real;

	if (!real)
		real = (opendir_fn *)dlsym(RTLD_NEXT, "opendir");
	return refused(path) ? NULL : real(path);
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_dir(void)
{
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- helpers -------------------------------------------------------------- */

static void path_of(char *buf, const char *name)
{
	CHECK((size_t)snprintf(buf, PATH_MAX, "%s/%s", dir, name) < PATH_MAX);
}

static void write_file(const char *name, const void *p, size_t n)
{
	char path[PATH_MAX];
	FILE *f;

	/* A new file, not a truncated one: ext4 flushes a file truncated
	 * and rewritten when it is closed, which costs more than the load. */
	path_of(path, name);
	unlink(path);
	f = fopen(path, "wxe");
	CHECK(f != NULL);
	CHECK(n == 0 || fwrite(p, 1, n, f) == n);
	CHECK(fclose(f) == 0);
}

/* Every directive as config_get reads it back: "name\0value\0" pairs (a
 * value may hold any byte but NUL, which no file line can carry). */
struct dump {
	char text[DUMP_MAX];
	size_t len;
};

static void dump_cb(void *ctx, const char *name, const char *value)
{
	struct dump *d = ctx;
	size_t n = strlen(name) + 1, v = strlen(value) + 1;

	CHECK(d->len + n + v <= sizeof d->text);
	memcpy(d->text + d->len, name, n);
	memcpy(d->text + d->len + n, value, v);
	d->len += n + v;
}

static void dump(const struct config *c, struct dump *d)
{
	d->len = 0;
	config_get(c, "*", dump_cb, d);
}

static bool same(const struct dump *a, const struct dump *b)
{
	return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

/* Loads main.conf over the defaults; checks what a failure must leave. */
static int load(struct config *c, char *err)
{
	char path[PATH_MAX];
	static struct dump before, after; /* 64 kB each: not on the stack */
	int rc;

	path_of(path, "main.conf");
	config_defaults(c);
	dump(c, &before);
	memset(err, 0x55, CONFIG_ERR_MAX);
	guard = true;
	rc = config_load_file(c, path, err);
	guard = false;
	CHECK(rc == 0 || rc == -1);
	if (rc == -1) {
		size_t n = strnlen(err, CONFIG_ERR_MAX);

		CHECK(n > 0 && n < CONFIG_ERR_MAX);
		dump(c, &after);
		CHECK(same(&before, &after));
	}
	return rc;
}

/* Round trip 1: every value read back is accepted by config_set as is. */
static void check_set_round_trip(const struct dump *d)
{
	char err[CONFIG_ERR_MAX];
	struct config c;
	struct dump *again = malloc(sizeof *again);

	CHECK(again != NULL);
	config_defaults(&c);
	for (size_t at = 0; at < d->len;) {
		const char *name = d->text + at, *value = name + strlen(name) + 1;

		if (config_set(&c, name, value, err) != 0) {
			fprintf(stderr, "%s: %s\n", name, err);
			CHECK(!"a value read back is refused");
		}
		at = (size_t)(value - d->text) + strlen(value) + 1;
	}
	dump(&c, again);
	CHECK(same(d, again));
	config_free(&c);
	free(again);
}

/* Round trip 2: the same as a file, every value byte escaped as \xHH. */
static void check_file_round_trip(const struct dump *d)
{
	char err[CONFIG_ERR_MAX], path[PATH_MAX];
	char *text = malloc(4 * DUMP_MAX);
	struct dump *again = malloc(sizeof *again);
	struct config c;
	size_t n = 0;

	CHECK(text != NULL && again != NULL);
	for (size_t at = 0; at < d->len;) {
		const char *name = d->text + at, *value = name + strlen(name) + 1;

		n += (size_t)sprintf(text + n, "%s \"", name);
		for (const char *v = value; *v; v++)
			n += (size_t)sprintf(text + n, "\\x%02x", (unsigned char)*v);
		n += (size_t)sprintf(text + n, "\"\n");
		at = (size_t)(value - d->text) + strlen(value) + 1;
	}
	write_file("roundtrip.conf", text, n);
	path_of(path, "roundtrip.conf");
	config_defaults(&c);
	if (config_load_file(&c, path, err) != 0) {
		fprintf(stderr, "%s\n", err);
		CHECK(!"the escaped read-back does not load");
	}
	dump(&c, again);
	CHECK(same(d, again));
	config_free(&c);
	free(text);
	free(again);
}

/* ---- libFuzzer ------------------------------------------------------------ */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char made[PATH_MAX];

	(void)argc;
	(void)argv;
	snprintf(made, sizeof made, "%s/fuzz_config.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	CHECK(mkdtemp(made) != NULL);
	CHECK(realpath(made, dir) != NULL);
	path_of(made, "sub");
	CHECK(mkdir(made, 0700) == 0);
	atexit(remove_dir);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	char err[CONFIG_ERR_MAX], err2[CONFIG_ERR_MAX];
	struct config c, c2;
	static struct dump d, d2;
	int rc;

	/* Step 1: the pieces become files; the missing ones are removed. */
	for (int i = 0; i < PIECES; i++) {
		char path[PATH_MAX];

		if (p > end || (i > 0 && p == end)) {
			path_of(path, piece_names[i]);
			unlink(path);
			continue;
		}
		const char *sep = memmem(p, (size_t)(end - p), SEPARATOR, strlen(SEPARATOR));
		size_t n = sep ? (size_t)(sep - p) + 1 : (size_t)(end - p);

		write_file(piece_names[i], p, n);
		p = sep ? sep + strlen(SEPARATOR) : end + 1;
	}

	/* Step 2: load, twice; the same input gives the same outcome. */
	rc = load(&c, err);
	CHECK(load(&c2, err2) == rc);
	dump(&c, &d);
	dump(&c2, &d2);
	CHECK(same(&d, &d2));
	if (getenv("FUZZ_CONFIG_TRACE"))
		fprintf(stderr, "%s\n", rc == 0 ? "loaded" : err);
	if (rc != 0) {
		CHECK(strcmp(err, err2) == 0);
	} else {
		/* Step 3: what loaded reads back, both ways. */
		(void)config_validate(&c, err);
		check_set_round_trip(&d);
		check_file_round_trip(&d);
	}
	config_free(&c);
	config_free(&c2);
	return 0;
}
