/* record.c - the log of confirmed critical sections and the fence checks run
 * on it at the end. Each worker life appends "KIND RES FENCE T_NS GEN" lines
 * (and the token or slot id) to its own file in <dir>/records, one write()
 * per line, only after LOCK.CHECK said :1 (pool slots: POOL.INFO listed it).
 *
 * Why sorting by T_NS must give rising fences per lock: T_NS is read after
 * the grant and before LOCK.CHECK is sent, and that CHECK answered :1, so the
 * holder still held the lock when the daemon read it. A later grant of the
 * key (a larger fence) comes after that lock ended, so after T_NS; its own
 * T_NS is later still. This holds across restarts too, as long as fences
 * keep growing across them (they start from the wall clock).
 */
#include "record.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct rec {
	char kind;
	char res[16];
	long long fence;
	long long t_ns;
	int gen;
	char id[RECORD_ID_MAX + 1];
};

static int rec_fd = -1;

static void records_dir(char *buf, size_t size)
{
	snprintf(buf, size, "%s/records", tt_dir);
}

int record_open(int slot, uint64_t life)
{
	char dir[TT_PATH_MAX + 16], path[TT_PATH_MAX + 64];

	records_dir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/rec.%d.%llu", dir, slot, (unsigned long long)life);
	rec_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	return rec_fd < 0 ? -1 : 0;
}

void record_close(void)
{
	if (rec_fd >= 0)
		close(rec_fd);
	rec_fd = -1;
}

int record_write(char kind, const char *res, long long fence, int64_t t_ns, int gen, const char *id,
                 size_t idlen)
{
	char line[128 + RECORD_ID_MAX];
	int n;

	if (idlen > RECORD_ID_MAX || memchr(id, ' ', idlen) || memchr(id, '\n', idlen))
		idlen = 0;
	n = snprintf(line, sizeof line, "%c %s %lld %lld %d %.*s\n", kind, res, fence,
	             (long long)t_ns, gen, (int)idlen, idlen ? id : "-");

	return write(rec_fd, line, (size_t)n) == n ? 0 : -1;
}

/* Appends the well-formed lines of one file to *v. A line cut short by a
 * SIGKILL has no newline and is skipped. */
static int load_file(const char *path, struct rec **v, size_t *n, size_t *cap)
{
	char line[256 + RECORD_ID_MAX];
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		struct rec r;

		if (!strchr(line, '\n') ||
		    sscanf(line, "%c %15s %lld %lld %d %" RECORD_ID_FMT "s", &r.kind, r.res,
		           &r.fence, &r.t_ns, &r.gen, r.id) != 6)
			continue;
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 4096;
			struct rec *nv = realloc(*v, nc * sizeof **v);

			if (!nv) {
				fclose(f);
				return -1;
			}
			*v = nv;
			*cap = nc;
		}
		(*v)[(*n)++] = r;
	}
	fclose(f);
	return 0;
}

static int by_res_time(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	int c = (x->kind > y->kind) - (x->kind < y->kind);

	if (!c)
		c = strcmp(x->res, y->res);
	if (!c)
		c = (x->t_ns > y->t_ns) - (x->t_ns < y->t_ns);
	return c;
}

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct rec *)a)->id, ((const struct rec *)b)->id);
}

static int by_fence(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	return (x->fence > y->fence) - (x->fence < y->fence);
}

long record_check(void)
{
	char dir[TT_PATH_MAX + 16], path[TT_PATH_MAX + 300];
	struct rec *v = NULL;
	size_t n = 0, cap = 0, locks = 0;
	struct dirent *de;
	DIR *d;

	records_dir(dir, sizeof dir);
	if (!(d = opendir(dir)))
		return -1;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "rec.", 4) != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (load_file(path, &v, &n, &cap) != 0)
			tt_violation(INV_INTERNAL, "cannot read %s", path);
	}
	closedir(d);

	qsort(v, n, sizeof *v, by_res_time);
	for (size_t i = 0; i < n; i++) {
		const struct rec *p = i ? &v[i - 1] : NULL, *r = &v[i];

		if (r->kind != 'L')
			continue;
		locks++;
		if (p && p->kind == r->kind && strcmp(p->res, r->res) == 0 && r->fence <= p->fence)
			tt_violation(
			    INV_FENCE_ORDER,
			    "%s: fence %lld (gen %d) entered %.3f ms after fence %lld (gen %d)",
			    r->res, r->fence, r->gen, (double)(r->t_ns - p->t_ns) / 1e6, p->fence,
			    p->gen);
	}
	tt_checked(INV_FENCE_ORDER, locks);

	qsort(v, n, sizeof *v, by_fence);
	for (size_t i = 1; i < n; i++)
		if (v[i].fence == v[i - 1].fence)
			tt_violation(INV_FENCE_UNIQUE, "fence %lld granted to %s and to %s",
			             v[i].fence, v[i - 1].res, v[i].res);
	/* Tokens and slot ids are 128 random bits: a repeat means the daemon's
	 * randomness broke, and a release by one holder could free another's. */
	qsort(v, n, sizeof *v, by_id);
	for (size_t i = 1; i < n; i++)
		if (strcmp(v[i].id, "-") != 0 && strcmp(v[i].id, v[i - 1].id) == 0)
			tt_violation(INV_FENCE_UNIQUE,
			             "id %s granted for %s fence %lld and %s fence %lld", v[i].id,
			             v[i - 1].res, v[i - 1].fence, v[i].res, v[i].fence);
	tt_checked(INV_FENCE_UNIQUE, 2 * n);
	free(v);
	return (long)n;
}
