/* generic.c - the reference's lock and pool algorithms over the SyncClient
 * protocol alone (get, set with ex/nx, delete), for backends without native
 * operations (memory and custom clients): SET NX EX plus polling, owner
 * tokens, per-key fences, and pools kept as a slot list under a meta-lock.
 *
 * What get/set/delete cannot make atomic, and so is not:
 * - release and renew check the owner (GET == token) and then act (DEL or
 *   SET). If the lock expires and someone else takes it between the two
 *   round trips, release deletes their lock and renew overwrites it. The
 *   window is one round trip wide and only opens when a lock is released
 *   or renewed right at its expiry; cachifyd's native commands close it.
 * - a fence is a counter at key + "-fence" bumped (GET, SET) while the lock
 *   is held, so fences are only as exclusive as the lock itself.
 * - a pool's slot list is read, changed and written back under a short
 *   meta-lock; a holder that stalls past the meta-lock's expiry can
 *   overwrite a newer list.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "clock.h"
#include "token.h"

#define FENCE_SUFFIX	  "-fence"
#define META_SUFFIX	  "-meta"
#define META_EXP_S	  5	/* s a pool's meta-lock lives: bounds a crashed holder */
#define META_WAIT_S	  (2.0 * META_EXP_S) /* s to wait for it before ETIMEOUT */
#define META_POLL_MAX_S	  0.002 /* s between meta-lock polls, at most: it is held briefly */
#define SLOT_LINE_MAX	  128	/* bytes of one "id expires" line */
#define U64_DIGITS	  20

/* ---- grants and keys ---------------------------------------------------- */

void lc_grant_clear(struct backend_grant *g)
{
	free(g->id);
	memset(g, 0, sizeof *g);
}

/* key + suffix in a new buffer (NUL-terminated). */
static char *key_with(const char *key, size_t klen, const char *suffix, size_t *outlen)
{
	size_t slen = strlen(suffix);
	char *k = malloc(klen + slen + 1);

	if (!k) {
		lc_set_error(CACHIFY_ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(k, key, klen);
	memcpy(k + klen, suffix, slen + 1);
	*outlen = klen + slen;
	return k;
}

/* Parses all of s[0..len) as a decimal uint64. */
static bool parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > U64_DIGITS)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* ---- locks -------------------------------------------------------------- */

/* Bumps key + "-fence" (no expiry: a fence must never go back) and returns
 * the new value. Called while holding the lock on key. */
static int fence_next(cachify_client *cl, const char *key, size_t klen, uint64_t *fence)
{
	size_t flen, vlen;
	char *fkey = key_with(key, klen, FENCE_SUFFIX, &flen);
	char *v = NULL;
	char buf[U64_DIGITS + 1];
	uint64_t n = 0;
	int rc;

	if (!fkey)
		return CACHIFY_ENOMEM;
	rc = cachify_client_get(cl, fkey, flen, &v, &vlen);
	if (rc == 1 && !parse_u64(v, vlen, &n))
		rc = lc_set_error(CACHIFY_EPROTO, "%s does not hold a fence", fkey);
	free(v);
	if (rc >= 0) {
		n++;
		snprintf(buf, sizeof buf, "%" PRIu64, n);
		rc = cachify_client_set(cl, fkey, flen, buf, strlen(buf), 0, false);
	}
	free(fkey);
	if (rc < 0)
		return rc;
	*fence = n;
	return 0;
}

int lc_generic_lock_acquire(cachify_client *cl, const char *key, size_t klen, int64_t ex,
			    const struct backend_wait *w, double poll, bool want_fence,
			    struct backend_grant *g)
{
	char tok[LC_TOKEN_HEX + 1];
	bool forever = !w->nowait && w->timeout < 0;
	int64_t deadline = lc_clock_ms() + (w->nowait || forever ? 0 : (int64_t)(w->timeout * 1000));
	int rc = lc_token_make(tok);

	memset(g, 0, sizeof *g);
	if (rc)
		return rc;
	/* SET key token NX EX exp until it takes, polling every `poll`. */
	for (;;) {
		int64_t left;

		rc = cachify_client_set(cl, key, klen, tok, LC_TOKEN_HEX, ex, true);
		if (rc < 0)
			return rc;
		if (rc == 1)
			break;
		if (w->nowait)
			return lc_set_error(CACHIFY_ELOCKED, "%.*s is locked", (int)klen, key);
		left = deadline - lc_clock_ms();
		if (!forever && left <= 0)
			return lc_set_error(CACHIFY_ETIMEOUT, "%.*s: still locked after %.3f s",
					    (int)klen, key, w->timeout);
		lc_clock_sleep_s(forever || poll * 1000 < (double)left ? poll : (double)left / 1000);
	}
	g->id = strdup(tok);
	if (!g->id) {
		rc = lc_set_error(CACHIFY_ENOMEM, "out of memory");
		goto undo;
	}
	g->idlen = LC_TOKEN_HEX;
	if (want_fence) {
		rc = fence_next(cl, key, klen, &g->fence);
		if (rc)
			goto undo;
	}
	return 0;

undo:
	{
		struct backend_grant tmp = { .id = tok, .idlen = LC_TOKEN_HEX };
		int saved = rc;

		lc_generic_lock_release(cl, key, klen, &tmp);
		free(g->id);
		memset(g, 0, sizeof *g);
		return saved;
	}
}

/* 1 when key holds exactly g's token, 0 when not, or a negative code. */
static int holds(cachify_client *cl, const char *key, size_t klen, const struct backend_grant *g)
{
	char *v = NULL;
	size_t vlen;
	int rc = cachify_client_get(cl, key, klen, &v, &vlen);

	if (rc == 1)
		rc = vlen == g->idlen && memcmp(v, g->id, vlen) == 0;
	free(v);
	return rc;
}

int lc_generic_lock_release(cachify_client *cl, const char *key, size_t klen,
			    const struct backend_grant *g)
{
	int rc = holds(cl, key, klen, g);

	if (rc == 1)
		rc = cachify_client_del(cl, 1, &key, &klen);
	if (rc == 0)
		return lc_set_error(CACHIFY_ENOTOWNER, "%.*s: not held by this token",
				    (int)klen, key);
	return rc < 0 ? rc : 0;
}

int lc_generic_lock_renew(cachify_client *cl, const char *key, size_t klen,
			  const struct backend_grant *g, int64_t ex)
{
	int rc = holds(cl, key, klen, g);

	if (rc == 1)
		rc = cachify_client_set(cl, key, klen, g->id, g->idlen, ex, false);
	if (rc == 0)
		return lc_set_error(CACHIFY_ENOTOWNER, "%.*s: not held by this token",
				    (int)klen, key);
	return rc < 0 ? rc : 0;
}

/* ---- pools ----------------------------------------------------------------
 * The pool key holds its slot list, one "id expires\n" line per slot
 * (expires: ms since the epoch on the wall clock, comparable across
 * processes; 0 = never). Every change runs under the meta-lock key +
 * "-meta"; reads (size) take no lock. */

struct slot {
	char id[LC_TOKEN_HEX + 1];
	int64_t expires_ms; /* wall clock; 0 = never */
};

struct slots {
	struct slot *v;
	size_t n, cap;
};

static int slots_push(struct slots *s, const char *id, size_t idlen, int64_t expires)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		struct slot *nv = realloc(s->v, cap * sizeof *nv);

		if (!nv)
			return lc_set_error(CACHIFY_ENOMEM, "out of memory");
		s->v = nv;
		s->cap = cap;
	}
	memcpy(s->v[s->n].id, id, idlen);
	s->v[s->n].id[idlen] = '\0';
	s->v[s->n].expires_ms = expires;
	s->n++;
	return 0;
}

/* Reads the pool's live slots into *s (expired ones are left out). */
static int slots_read(cachify_client *cl, const char *key, size_t klen, struct slots *s)
{
	char *v = NULL;
	size_t vlen, pos = 0;
	int64_t now = lc_clock_wall_ms();
	int rc = cachify_client_get(cl, key, klen, &v, &vlen);

	memset(s, 0, sizeof *s);
	if (rc <= 0)
		return rc;
	while (rc >= 0 && pos < vlen) {
		const char *line = v + pos, *nl = memchr(line, '\n', vlen - pos);
		const char *sp = nl ? memchr(line, ' ', (size_t)(nl - line)) : NULL;
		size_t idlen = sp ? (size_t)(sp - line) : 0;
		uint64_t exp;

		if (!sp || idlen == 0 || idlen > LC_TOKEN_HEX ||
		    !parse_u64(sp + 1, (size_t)(nl - sp - 1), &exp) || exp > INT64_MAX) {
			rc = lc_set_error(CACHIFY_EPROTO, "%.*s does not hold a slot list",
					  (int)klen, key);
			break;
		}
		if (exp == 0 || (int64_t)exp > now)
			rc = slots_push(s, line, idlen, (int64_t)exp);
		pos = (size_t)(nl - v) + 1;
	}
	free(v);
	if (rc < 0) {
		free(s->v);
		memset(s, 0, sizeof *s);
		return rc;
	}
	return 0;
}

/* Writes the list back (DEL when empty). The key expires with its last
 * slot, so an abandoned pool leaves nothing behind. */
static int slots_write(cachify_client *cl, const char *key, size_t klen, const struct slots *s)
{
	char *buf;
	size_t len = 0;
	int64_t last = 0, ex = 0;
	int rc;

	if (s->n == 0) {
		rc = cachify_client_del(cl, 1, &key, &klen);
		return rc < 0 ? rc : 0;
	}
	buf = malloc(s->n * SLOT_LINE_MAX);
	if (!buf)
		return lc_set_error(CACHIFY_ENOMEM, "out of memory");
	for (size_t i = 0; i < s->n; i++) {
		len += (size_t)snprintf(buf + len, SLOT_LINE_MAX, "%s %" PRId64 "\n", s->v[i].id,
					s->v[i].expires_ms);
		if (s->v[i].expires_ms == 0)
			last = -1;
		else if (last >= 0 && s->v[i].expires_ms > last)
			last = s->v[i].expires_ms;
	}
	if (last > 0) {
		ex = (last - lc_clock_wall_ms() + 999) / 1000;
		if (ex < 1)
			ex = 1;
	}
	rc = cachify_client_set(cl, key, klen, buf, len, ex, false);
	free(buf);
	return rc < 0 ? rc : 0;
}

/* The meta-lock that serializes changes to a pool's list. */
static int meta_lock(cachify_client *cl, const char *key, size_t klen, double poll,
		     char **mkey, size_t *mlen, struct backend_grant *g)
{
	struct backend_wait w = { .nowait = false, .timeout = META_WAIT_S };
	int rc;

	*mkey = key_with(key, klen, META_SUFFIX, mlen);
	if (!*mkey)
		return CACHIFY_ENOMEM;
	rc = lc_generic_lock_acquire(cl, *mkey, *mlen, META_EXP_S, &w,
				     poll < META_POLL_MAX_S ? poll : META_POLL_MAX_S, false, g);
	if (rc) {
		free(*mkey);
		*mkey = NULL;
	}
	return rc;
}

static void meta_unlock(cachify_client *cl, char *mkey, size_t mlen, struct backend_grant *g)
{
	lc_generic_lock_release(cl, mkey, mlen, g); /* an expired meta-lock is gone anyway */
	lc_grant_clear(g);
	free(mkey);
}

int lc_generic_pool_acquire(cachify_client *cl, const char *key, size_t klen, long max, int64_t ex,
			    double poll, struct backend_grant *g)
{
	struct backend_grant meta;
	struct slots s;
	char *mkey, tok[LC_TOKEN_HEX + 1];
	size_t mlen;
	int rc;

	memset(g, 0, sizeof *g);
	rc = lc_token_make(tok);
	if (rc)
		return rc;
	rc = meta_lock(cl, key, klen, poll, &mkey, &mlen, &meta);
	if (rc)
		return rc;
	rc = slots_read(cl, key, klen, &s);
	if (rc == 0 && s.n >= (size_t)max)
		rc = lc_set_error(CACHIFY_EFULL, "%.*s: all %ld slots taken", (int)klen, key, max);
	if (rc == 0)
		rc = slots_push(&s, tok, LC_TOKEN_HEX, ex > 0 ? lc_clock_wall_ms() + ex * 1000 : 0);
	if (rc == 0)
		rc = slots_write(cl, key, klen, &s);
	meta_unlock(cl, mkey, mlen, &meta);
	free(s.v);
	if (rc)
		return rc;
	g->id = strdup(tok);
	if (!g->id) {
		/* Taken but unusable: give it back rather than leak a slot. */
		struct backend_grant tmp = { .id = tok, .idlen = LC_TOKEN_HEX };

		lc_generic_pool_release(cl, key, klen, poll, &tmp);
		return lc_set_error(CACHIFY_ENOMEM, "out of memory");
	}
	g->idlen = LC_TOKEN_HEX;
	return 0;
}

int lc_generic_pool_release(cachify_client *cl, const char *key, size_t klen, double poll,
			    const struct backend_grant *g)
{
	struct backend_grant meta;
	struct slots s;
	char *mkey;
	size_t mlen, i;
	int rc;

	rc = meta_lock(cl, key, klen, poll, &mkey, &mlen, &meta);
	if (rc)
		return rc;
	rc = slots_read(cl, key, klen, &s);
	for (i = 0; rc == 0 && i < s.n; i++) {
		if (strlen(s.v[i].id) == g->idlen && memcmp(s.v[i].id, g->id, g->idlen) == 0)
			break;
	}
	if (rc == 0 && i == s.n)
		rc = lc_set_error(CACHIFY_ENOTOWNER, "%.*s: slot expired or unknown", (int)klen,
				  key);
	if (rc == 0) {
		s.v[i] = s.v[s.n - 1];
		s.n--;
		rc = slots_write(cl, key, klen, &s);
	}
	meta_unlock(cl, mkey, mlen, &meta);
	free(s.v);
	return rc;
}

long lc_generic_pool_size(cachify_client *cl, const char *key, size_t klen)
{
	struct slots s;
	int rc = slots_read(cl, key, klen, &s);

	free(s.v);
	return rc < 0 ? rc : (long)s.n;
}
