/* gmach.c - the library's algorithms as sans-I/O state machines (see
 * gmach.h): the reference's lock and pool algorithms over get/set/delete
 * (SET NX EX plus polling, owner tokens, per-key fences, pools kept as a
 * slot list under a meta-lock) and cached's get-or-compute under a fill
 * lock (native or generic). The blocking driver is at the end; the async
 * one is async.c's.
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

#include "clock.h"
#include "gmach.h"

#define FENCE_SUFFIX	"-fence"
#define META_SUFFIX	"-meta"
#define FILL_SUFFIX	"-fill"	/* = LC_SUFFIX_FILL (instance.h) */
#define META_EXP_S	5	/* s a pool's meta-lock lives: bounds a crashed holder */
#define META_WAIT_S	(2.0 * META_EXP_S) /* s to wait for it before ETIMEOUT */
#define META_POLL_MAX_S 0.002	/* s between meta-lock polls, at most: it is held briefly */
#define SLOT_LINE_MAX	128	/* bytes of one "id expires" line */

/* ---- helpers ------------------------------------------------------------- */

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

	if (len == 0 || len > LC_U64_DIGITS)
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

static void done(struct lc_step *n, int rc)
{
	memset(n, 0, sizeof *n);
	n->act = LC_ACT_DONE;
	n->rc = rc;
}

static void ask_get(struct lc_step *n, const char *key, size_t klen)
{
	memset(n, 0, sizeof *n);
	n->act = LC_ACT_GET;
	n->key = key;
	n->klen = klen;
}

static void ask_set(struct lc_step *n, const char *key, size_t klen, const char *v, size_t vlen,
		    int64_t ex_s, bool nx)
{
	memset(n, 0, sizeof *n);
	n->act = LC_ACT_SET;
	n->key = key;
	n->klen = klen;
	n->val = v;
	n->vlen = vlen;
	n->ex_s = ex_s;
	n->nx = nx;
}

static void ask_del(struct lc_step *n, const char *key, size_t klen)
{
	memset(n, 0, sizeof *n);
	n->act = LC_ACT_DEL;
	n->key = key;
	n->klen = klen;
}

/* A pause before polling key again (the key lets a driver that sees the
 * key change cut the pause short). */
static void ask_sleep(struct lc_step *n, int64_t ms, const char *key, size_t klen)
{
	memset(n, 0, sizeof *n);
	n->act = LC_ACT_SLEEP;
	n->ms = ms < 1 ? 1 : ms;
	n->key = key;
	n->klen = klen;
}

/* The pause before the next poll: poll_s, or what is left of the wait. */
static int64_t poll_pause(double poll_s, bool forever, int64_t deadline)
{
	int64_t poll_ms = (int64_t)(poll_s * 1000.0 + 0.5), left = deadline - lc_clock_ms();

	if (poll_ms < 1)
		poll_ms = 1;
	return forever || poll_ms < left ? poll_ms : left;
}

/* Runs a sub-machine in place of the caller's step while it is on: true
 * when it asked for an action (in *next), false when it finished (its rc
 * is in *rc and it is off). */
static bool sub_step(struct lc_glock *sub, bool *on, struct lc_result **last,
		     struct lc_step *next, struct lc_result *scratch)
{
	sub->m.step(&sub->m, *last, next);
	if (next->act != LC_ACT_DONE)
		return true;
	*on = false;
	memset(scratch, 0, sizeof *scratch);
	scratch->rc = next->rc;
	*last = scratch;
	lc_glock_clear(sub);
	return false;
}

/* ---- generic locks ----------------------------------------------------------- */

enum {
	GL_START, GL_SET, GL_SLEPT, GL_FGET, GL_FSET, GL_UNDO_GET, GL_UNDO_DEL,
	GL_REL_GET, GL_REL_ACT,
};

static void glock_undo(struct lc_glock *l, int rc, struct lc_step *next)
{
	l->saved = rc;
	if (l->g)
		lc_grant_clear(l->g);
	l->state = GL_UNDO_GET;
	ask_get(next, l->key, l->klen);
}

static void glock_acquire_step(struct lc_mach *m, struct lc_result *last, struct lc_step *next)
{
	struct lc_glock *l = (struct lc_glock *)m;
	bool forever = !l->w.nowait && l->w.timeout < 0;
	char *v = last ? last->value : NULL;
	size_t vlen = last ? last->len : 0;
	int rc = last ? last->rc : 0;

	if (last)
		last->value = NULL;
	switch (l->state) {
	case GL_START:
		memset(l->g, 0, sizeof *l->g);
		if ((rc = lc_token_make(l->tok)) != 0) {
			done(next, rc);
			break;
		}
		l->deadline = lc_clock_ms() +
			      (l->w.nowait || forever ? 0 : (int64_t)(l->w.timeout * 1000));
		/* fall through */
	case GL_SLEPT:
		l->state = GL_SET;
		ask_set(next, l->key, l->klen, l->tok, LC_TOKEN_HEX, l->ex_s, true);
		break;
	case GL_SET:
		if (rc < 0) {
			done(next, rc);
		} else if (rc == 0) {
			if (l->w.nowait) {
				done(next, lc_set_error(CACHIFY_ELOCKED, "%.*s is locked",
							(int)l->klen, l->key));
			} else if (!forever && l->deadline - lc_clock_ms() <= 0) {
				done(next, lc_set_error(CACHIFY_ETIMEOUT,
							"%.*s: still locked after %.3f s",
							(int)l->klen, l->key, l->w.timeout));
			} else {
				l->state = GL_SLEPT;
				ask_sleep(next, poll_pause(l->poll_s, forever, l->deadline), l->key,
					  l->klen);
			}
		} else if (!(l->g->id = strdup(l->tok))) {
			glock_undo(l, lc_set_error(CACHIFY_ENOMEM, "out of memory"), next);
		} else {
			l->g->idlen = LC_TOKEN_HEX;
			if (!l->want_fence) {
				done(next, 0);
			} else if (!(l->fkey = key_with(l->key, l->klen, FENCE_SUFFIX, &l->flen))) {
				glock_undo(l, CACHIFY_ENOMEM, next);
			} else {
				l->state = GL_FGET;
				ask_get(next, l->fkey, l->flen);
			}
		}
		break;
	case GL_FGET:
		/* Bumps key + "-fence" (no expiry: a fence must never go back). */
		l->fence = 0;
		if (rc == 1 && !parse_u64(v, vlen, &l->fence))
			rc = lc_set_error(CACHIFY_EPROTO, "%s does not hold a fence", l->fkey);
		if (rc < 0) {
			glock_undo(l, rc, next);
			break;
		}
		l->fence++;
		snprintf(l->fbuf, sizeof l->fbuf, "%" PRIu64, l->fence);
		l->state = GL_FSET;
		ask_set(next, l->fkey, l->flen, l->fbuf, strlen(l->fbuf), 0, false);
		break;
	case GL_FSET:
		if (rc < 0) {
			glock_undo(l, rc, next);
			break;
		}
		l->g->fence = l->fence;
		done(next, 0);
		break;
	case GL_UNDO_GET:
		if (rc == 1 && vlen == LC_TOKEN_HEX && memcmp(v, l->tok, vlen) == 0) {
			l->state = GL_UNDO_DEL;
			ask_del(next, l->key, l->klen);
		} else {
			done(next, l->saved);
		}
		break;
	default:
		done(next, l->saved);
	}
	free(v);
}

static void glock_owner_step(struct lc_mach *m, struct lc_result *last, struct lc_step *next)
{
	struct lc_glock *l = (struct lc_glock *)m;
	char *v = last ? last->value : NULL;
	size_t vlen = last ? last->len : 0;
	int rc = last ? last->rc : 0;
	bool renew = l->ex_s >= 0;

	if (last)
		last->value = NULL;
	switch (l->state) {
	case GL_REL_GET:
		if (!last) {
			ask_get(next, l->key, l->klen);
			break;
		}
		if (rc == 1 && !(vlen == l->g->idlen && memcmp(v, l->g->id, vlen) == 0))
			rc = 0;
		if (rc == 1) {
			l->state = GL_REL_ACT;
			if (renew)
				ask_set(next, l->key, l->klen, l->g->id, l->g->idlen, l->ex_s, false);
			else
				ask_del(next, l->key, l->klen);
			break;
		}
		/* fall through */
	default:
		if (rc == 0)
			rc = lc_set_error(CACHIFY_ENOTOWNER, "%.*s: not held by this token",
					  (int)l->klen, l->key);
		done(next, rc < 0 ? rc : 0);
	}
	free(v);
}

static void glock_base(struct lc_glock *l, const char *key, size_t klen, struct backend_grant *g)
{
	memset(l, 0, sizeof *l);
	l->key = key;
	l->klen = klen;
	l->g = g;
}

void lc_glock_acquire_init(struct lc_glock *l, const char *key, size_t klen, int64_t ex_s,
			   const struct backend_wait *w, double poll_s, bool want_fence,
			   struct backend_grant *g)
{
	glock_base(l, key, klen, g);
	l->m.step = glock_acquire_step;
	l->state = GL_START;
	l->ex_s = ex_s;
	l->w = *w;
	l->poll_s = poll_s;
	l->want_fence = want_fence;
}

void lc_glock_release_init(struct lc_glock *l, const char *key, size_t klen,
			   struct backend_grant *g)
{
	glock_base(l, key, klen, g);
	l->m.step = glock_owner_step;
	l->state = GL_REL_GET;
	l->ex_s = -1;
}

void lc_glock_renew_init(struct lc_glock *l, const char *key, size_t klen,
			 struct backend_grant *g, int64_t ex_s)
{
	glock_base(l, key, klen, g);
	l->m.step = glock_owner_step;
	l->state = GL_REL_GET;
	l->ex_s = ex_s;
}

void lc_glock_clear(struct lc_glock *l)
{
	free(l->fkey);
	l->fkey = NULL;
}

/* ---- generic pools ------------------------------------------------------------
 * The pool key holds its slot list, one "id expires\n" line per slot
 * (expires: ms since the epoch on the wall clock, comparable across
 * processes; 0 = never). Every change runs under the meta-lock key +
 * "-meta"; reads (size) take no lock. */

enum { GP_ACQUIRE, GP_RELEASE, GP_SIZE };
enum { GP_START, GP_META, GP_READ, GP_WRITE, GP_UNMETA, GP_SLEPT };

struct slot {
	const char *id;
	size_t idlen;
	int64_t expires_ms; /* wall clock; 0 = never */
};

/* The live slots of list v (expired ones left out): *n of them in *out
 * (new), pointing into v. */
static int slots_parse(const char *key, size_t klen, const char *v, size_t vlen,
		       struct slot **out, size_t *n)
{
	int64_t now = lc_clock_wall_ms();
	size_t pos = 0, cap = 0;

	*out = NULL;
	*n = 0;
	while (pos < vlen) {
		const char *line = v + pos, *nl = memchr(line, '\n', vlen - pos);
		const char *sp = nl ? memchr(line, ' ', (size_t)(nl - line)) : NULL;
		size_t idlen = sp ? (size_t)(sp - line) : 0;
		uint64_t exp;

		if (!sp || idlen == 0 || idlen > LC_TOKEN_HEX ||
		    !parse_u64(sp + 1, (size_t)(nl - sp - 1), &exp) || exp > INT64_MAX) {
			free(*out);
			*out = NULL;
			return lc_set_error(CACHIFY_EPROTO, "%.*s does not hold a slot list",
					    (int)klen, key);
		}
		if (exp == 0 || (int64_t)exp > now) {
			if (*n == cap) {
				struct slot *nv;

				cap = cap ? 2 * cap : 8;
				if (!(nv = realloc(*out, cap * sizeof *nv))) {
					free(*out);
					*out = NULL;
					return lc_set_error(CACHIFY_ENOMEM, "out of memory");
				}
				*out = nv;
			}
			(*out)[(*n)++] = (struct slot){ line, idlen, (int64_t)exp };
		}
		pos = (size_t)(nl - v) + 1;
	}
	return 0;
}

/* The list's text and the expiry of its key: the key expires with its
 * last slot, so an abandoned pool leaves nothing behind. */
static int slots_build(const struct slot *s, size_t n, char **buf, size_t *len, int64_t *ex)
{
	int64_t last = 0;

	*len = 0;
	*ex = 0;
	if (!(*buf = malloc(n * SLOT_LINE_MAX + 1)))
		return lc_set_error(CACHIFY_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		*len += (size_t)snprintf(*buf + *len, SLOT_LINE_MAX, "%.*s %" PRId64 "\n",
					 (int)s[i].idlen, s[i].id, s[i].expires_ms);
		if (s[i].expires_ms == 0)
			last = -1;
		else if (last >= 0 && s[i].expires_ms > last)
			last = s[i].expires_ms;
	}
	if (last > 0) {
		*ex = (last - lc_clock_wall_ms() + 999) / 1000;
		if (*ex < 1)
			*ex = 1;
	}
	return 0;
}

/* The change under the meta-lock: the new list in p->list (NULL: delete
 * the key), or p->rc set (EFULL, ENOTOWNER, a parse error). */
static int gpool_change(struct lc_gpool *p, const char *v, size_t vlen)
{
	struct slot *s, *ns;
	size_t n, i;
	int rc = slots_parse(p->key, p->klen, v, vlen, &s, &n);

	if (rc)
		return rc;
	if (p->op == GP_ACQUIRE) {
		if (n >= (size_t)p->max) {
			free(s);
			return lc_set_error(CACHIFY_EFULL, "%.*s: all %ld slots taken",
					    (int)p->klen, p->key, p->max);
		}
		if (!(ns = realloc(s, (n + 1) * sizeof *ns))) {
			free(s);
			return lc_set_error(CACHIFY_ENOMEM, "out of memory");
		}
		s = ns;
		s[n++] = (struct slot){ p->tok, LC_TOKEN_HEX,
					p->ex_s > 0 ? lc_clock_wall_ms() + p->ex_s * 1000 : 0 };
	} else {
		for (i = 0; i < n; i++)
			if (s[i].idlen == p->g->idlen && memcmp(s[i].id, p->g->id, p->g->idlen) == 0)
				break;
		if (i == n) {
			free(s);
			return lc_set_error(CACHIFY_ENOTOWNER, "%.*s: slot expired or unknown",
					    (int)p->klen, p->key);
		}
		s[i] = s[--n];
	}
	rc = n ? slots_build(s, n, &p->list, &p->listlen, &p->list_ex) : 0;
	free(s);
	return rc;
}

static void gpool_meta(struct lc_gpool *p, struct lc_step *next)
{
	struct backend_wait w = { .nowait = false, .timeout = META_WAIT_S };

	lc_glock_acquire_init(&p->sub, p->mkey, p->mlen, META_EXP_S, &w,
			      p->poll_s < META_POLL_MAX_S ? p->poll_s : META_POLL_MAX_S, false,
			      &p->meta);
	p->sub_on = true;
	p->state = GP_META;
	p->sub.m.step(&p->sub.m, NULL, next);
}

static void gpool_unmeta(struct lc_gpool *p, int rc, struct lc_step *next)
{
	free(p->list);
	p->list = NULL;
	p->rc = rc;
	lc_glock_release_init(&p->sub, p->mkey, p->mlen, &p->meta);
	p->sub_on = true;
	p->state = GP_UNMETA;
	p->sub.m.step(&p->sub.m, NULL, next);
}

static void gpool_step(struct lc_mach *m, struct lc_result *last, struct lc_step *next)
{
	struct lc_gpool *p = (struct lc_gpool *)m;
	struct lc_result scratch;
	bool forever = p->timeout < 0;
	char *v;
	int rc;

	if (p->sub_on && sub_step(&p->sub, &p->sub_on, &last, next, &scratch))
		return;
	v = last ? last->value : NULL;
	rc = last ? last->rc : 0;
	if (last)
		last->value = NULL;
	switch (p->state) {
	case GP_START:
		if (p->op == GP_SIZE) {
			p->state = GP_READ;
			ask_get(next, p->key, p->klen);
			break;
		}
		if (p->op == GP_ACQUIRE) {
			memset(p->g, 0, sizeof *p->g);
			if ((rc = lc_token_make(p->tok)) != 0) {
				done(next, rc);
				break;
			}
			p->deadline = lc_clock_ms() + (forever ? 0 : (int64_t)(p->timeout * 1000));
		}
		if (!(p->mkey = key_with(p->key, p->klen, META_SUFFIX, &p->mlen))) {
			done(next, CACHIFY_ENOMEM);
			break;
		}
		/* fall through */
	case GP_SLEPT:
		gpool_meta(p, next);
		break;
	case GP_META:
		if (rc < 0) {
			done(next, rc);
			break;
		}
		p->state = GP_READ;
		ask_get(next, p->key, p->klen);
		break;
	case GP_READ:
		if (p->op == GP_SIZE) {
			struct slot *s;
			size_t n = 0;

			if (rc == 1 && (rc = slots_parse(p->key, p->klen, v, last->len, &s, &n)) == 0)
				free(s);
			done(next, rc < 0 ? rc : (int)(n > INT32_MAX ? INT32_MAX : n));
			break;
		}
		if (rc >= 0)
			rc = gpool_change(p, rc == 1 ? v : "", rc == 1 ? last->len : 0);
		if (rc < 0) {
			gpool_unmeta(p, rc, next);
			break;
		}
		p->state = GP_WRITE;
		if (p->list)
			ask_set(next, p->key, p->klen, p->list, p->listlen, p->list_ex, false);
		else
			ask_del(next, p->key, p->klen);
		break;
	case GP_WRITE:
		gpool_unmeta(p, rc < 0 ? rc : 0, next);
		break;
	case GP_UNMETA:
		/* An expired meta-lock is gone anyway: its release's result
		 * does not count. */
		lc_grant_clear(&p->meta);
		rc = p->rc;
		if (p->op == GP_ACQUIRE && rc == CACHIFY_EFULL && p->timeout != 0) {
			int64_t left = p->deadline - lc_clock_ms();

			if (forever || left > 0) {
				p->state = GP_SLEPT;
				ask_sleep(next, poll_pause(p->poll_s, forever, p->deadline), p->key,
					  p->klen);
				break;
			}
			rc = lc_set_error(CACHIFY_ETIMEOUT, "no free slot within %.3f s",
					  p->timeout);
		}
		if (rc == 0 && p->op == GP_ACQUIRE) {
			/* strdup failing here leaves the slot to its expiry. */
			if (!(p->g->id = strdup(p->tok)))
				rc = lc_set_error(CACHIFY_ENOMEM, "out of memory");
			else
				p->g->idlen = LC_TOKEN_HEX;
		}
		done(next, rc);
		break;
	default:
		done(next, CACHIFY_EINVAL);
	}
	free(v);
}

static void gpool_base(struct lc_gpool *p, int op, const char *key, size_t klen)
{
	memset(p, 0, sizeof *p);
	p->m.step = gpool_step;
	p->op = op;
	p->key = key;
	p->klen = klen;
}

void lc_gpool_acquire_init(struct lc_gpool *p, const char *key, size_t klen, long max,
			   int64_t ex_s, double poll_s, double timeout, struct backend_grant *g)
{
	gpool_base(p, GP_ACQUIRE, key, klen);
	p->max = max;
	p->ex_s = ex_s;
	p->poll_s = poll_s;
	p->timeout = timeout;
	p->g = g;
}

void lc_gpool_release_init(struct lc_gpool *p, const char *key, size_t klen, double poll_s,
			   struct backend_grant *g)
{
	gpool_base(p, GP_RELEASE, key, klen);
	p->poll_s = poll_s;
	p->g = g;
}

void lc_gpool_size_init(struct lc_gpool *p, const char *key, size_t klen)
{
	gpool_base(p, GP_SIZE, key, klen);
}

void lc_gpool_clear(struct lc_gpool *p)
{
	lc_glock_clear(&p->sub);
	free(p->mkey);
	free(p->list);
	lc_grant_clear(&p->meta);
	p->mkey = NULL;
	p->list = NULL;
}

/* ---- cached ---------------------------------------------------------------------- */

enum { CA_START, CA_GET1, CA_LOCKED, CA_GET2, CA_COMPUTED, CA_SET, CA_GIVEN };

/* Makes *v a NUL-terminated malloc'ed block of len bytes (NULL -> ""). */
static int own_terminated(char **v, size_t len)
{
	char *nv = realloc(*v, len + 1);

	if (!nv)
		return lc_set_error(CACHIFY_ENOMEM, "out of memory");
	nv[len] = '\0';
	*v = nv;
	return 0;
}

/* A stored value as the caller gets it: decoded by the codec if any.
 * Takes stored. */
static int cached_hit(struct lc_cached *c, char *stored, size_t slen)
{
	const struct cachify_codec *codec = c->codec;
	char *out = NULL;
	size_t olen = 0;

	if (!codec || !codec->decode) {
		if (own_terminated(&stored, slen)) {
			free(stored);
			return CACHIFY_ENOMEM;
		}
		c->value = stored;
		c->len = slen;
		return 0;
	}
	if (codec->decode(codec->ctx, stored ? stored : "", slen, &out, &olen) != 0) {
		free(stored);
		free(out);
		return lc_set_error(CACHIFY_ECODEC, "cached: the decoder failed");
	}
	free(stored);
	if (own_terminated(&out, olen)) {
		free(out);
		return CACHIFY_ENOMEM;
	}
	c->value = out;
	c->len = olen;
	return 0;
}

/* Gives the fill lock back, natively or generically. */
static void cached_give(struct lc_cached *c, int rc, struct lc_step *next)
{
	c->rc = rc;
	c->state = CA_GIVEN;
	if (c->native) {
		memset(next, 0, sizeof *next);
		next->act = LC_ACT_NLOCK_REL;
		next->key = c->fill;
		next->klen = c->flen;
		next->grant = &c->g;
		return;
	}
	lc_glock_release_init(&c->sub, c->fill, c->flen, &c->g);
	c->sub_on = true;
	c->sub.m.step(&c->sub.m, NULL, next);
}

static void cached_step(struct lc_mach *m, struct lc_result *last, struct lc_step *next)
{
	struct lc_cached *c = (struct lc_cached *)m;
	struct backend_wait forever = { .nowait = false, .timeout = CACHIFY_WAIT_FOREVER };
	struct lc_result scratch;
	char *v;
	size_t vlen;
	int rc;

	if (c->sub_on && sub_step(&c->sub, &c->sub_on, &last, next, &scratch))
		return;
	v = last ? last->value : NULL;
	vlen = last ? last->len : 0;
	rc = last ? last->rc : 0;
	if (last)
		last->value = NULL;
	switch (c->state) {
	case CA_START: /* 1. A hit costs one GET. */
		c->state = CA_GET1;
		ask_get(next, c->key, c->klen);
		break;
	case CA_GET1:
		if (rc != 0) {
			done(next, rc == 1 ? cached_hit(c, v, vlen) : rc);
			v = NULL;
			break;
		}
		/* 2. A miss: one filler per key. The others wait for its
		 * lock, then find the value it stored. */
		if (!(c->fill = key_with(c->key, c->klen, FILL_SUFFIX, &c->flen))) {
			done(next, CACHIFY_ENOMEM);
			break;
		}
		c->state = CA_LOCKED;
		if (c->native) {
			memset(next, 0, sizeof *next);
			next->act = LC_ACT_NLOCK_ACQ;
			next->key = c->fill;
			next->klen = c->flen;
			next->ttl_ms = c->fill_ex_s * 1000;
			next->wait = forever;
			break;
		}
		lc_glock_acquire_init(&c->sub, c->fill, c->flen, c->fill_ex_s, &forever, c->poll_s,
				      false, &c->g);
		c->sub_on = true;
		c->sub.m.step(&c->sub.m, NULL, next);
		break;
	case CA_LOCKED:
		if (rc < 0) {
			done(next, rc);
			break;
		}
		if (c->native) {
			c->g = last->grant;
			memset(&last->grant, 0, sizeof last->grant);
		}
		/* 3. Re-check under the lock, then compute and store. */
		c->state = CA_GET2;
		ask_get(next, c->key, c->klen);
		break;
	case CA_GET2:
		if (rc == 0) {
			c->state = CA_COMPUTED;
			memset(next, 0, sizeof *next);
			next->act = LC_ACT_COMPUTE;
			break;
		}
		cached_give(c, rc == 1 ? cached_hit(c, v, vlen) : rc, next);
		v = NULL;
		break;
	case CA_COMPUTED:
		if (rc != 0) {
			c->fn_err = rc;
			cached_give(c, lc_set_error(CACHIFY_ECALLBACK, "cached %s: compute failed (%d)",
						    c->key, rc), next);
			break;
		}
		if (own_terminated(&v, vlen)) { /* an empty value may come as NULL */
			cached_give(c, CACHIFY_ENOMEM, next);
			break;
		}
		c->value = v;
		c->len = vlen;
		v = NULL;
		if (c->codec && c->codec->encode) {
			size_t elen = 0;

			if (c->codec->encode(c->codec->ctx, c->value, c->len, &c->enc, &elen) != 0) {
				cached_give(c, lc_set_error(CACHIFY_ECODEC,
							    "cached %s: the encoder failed", c->key),
					    next);
				break;
			}
			c->state = CA_SET;
			ask_set(next, c->key, c->klen, c->enc ? c->enc : "", elen, c->ttl_s, false);
			break;
		}
		c->state = CA_SET;
		ask_set(next, c->key, c->klen, c->value, c->len, c->ttl_s, false);
		break;
	case CA_SET:
		free(c->enc);
		c->enc = NULL;
		cached_give(c, rc < 0 ? rc : 0, next);
		break;
	case CA_GIVEN:
		/* A fill lock that expired under a slow compute is no error of
		 * the caller's: the value is stored either way. */
		lc_grant_clear(&c->g);
		if (c->rc == 0 && rc < 0 && rc != CACHIFY_ENOTOWNER)
			c->rc = rc;
		if (c->rc) {
			free(c->value);
			c->value = NULL;
			c->len = 0;
		}
		done(next, c->rc);
		break;
	default:
		done(next, CACHIFY_EINVAL);
	}
	free(v);
}

void lc_cached_init(struct lc_cached *c, bool native, const char *key, size_t klen,
		    int64_t ttl_s, int64_t fill_ex_s, double poll_s,
		    const struct cachify_codec *codec)
{
	memset(c, 0, sizeof *c);
	c->m.step = cached_step;
	c->native = native;
	c->key = key;
	c->klen = klen;
	c->ttl_s = ttl_s;
	c->fill_ex_s = fill_ex_s;
	c->poll_s = poll_s;
	c->codec = codec;
}

void lc_cached_take(struct lc_cached *c, char **value, size_t *len)
{
	*value = c->value;
	*len = c->len;
	c->value = NULL;
	c->len = 0;
}

void lc_cached_clear(struct lc_cached *c)
{
	lc_glock_clear(&c->sub);
	free(c->fill);
	free(c->value);
	free(c->enc);
	c->fill = c->value = c->enc = NULL;
}

/* ---- the blocking driver ------------------------------------------------------------ */

int lc_mach_run(cachify_client *cl, struct lc_mach *m, cachify_compute_fn *compute, void *arg)
{
	const struct backend_ops *ops = cl->ops;
	struct lc_result res, *last = NULL;
	struct lc_step st;

	for (;;) {
		m->step(m, last, &st);
		memset(&res, 0, sizeof res);
		switch (st.act) {
		case LC_ACT_GET:
			res.rc = cachify_client_get(cl, st.key, st.klen, &res.value, &res.len);
			break;
		case LC_ACT_SET:
			res.rc = cachify_client_set(cl, st.key, st.klen, st.val, st.vlen, st.ex_s,
						    st.nx);
			break;
		case LC_ACT_DEL:
			res.rc = cachify_client_del(cl, 1, &st.key, &st.klen);
			break;
		case LC_ACT_SLEEP:
			lc_clock_sleep_ms(st.ms);
			break;
		case LC_ACT_NLOCK_ACQ:
			res.rc = ops->lock_acquire(cl->ctx, st.key, st.klen, st.ttl_ms, &st.wait,
						   &res.grant);
			break;
		case LC_ACT_NLOCK_REL:
			res.rc = ops->lock_release(cl->ctx, st.key, st.klen, st.grant);
			if (st.grant->session && ops->session_end)
				ops->session_end(cl->ctx, st.grant->session);
			st.grant->session = NULL;
			break;
		case LC_ACT_COMPUTE:
			res.rc = compute ? compute(arg, &res.value, &res.len) : CACHIFY_EINVAL;
			if (res.rc != 0) {
				free(res.value);
				res.value = NULL;
			}
			break;
		case LC_ACT_DONE:
			return st.rc;
		default: /* the async face's one-shots: never a machine's */
			res.rc = lc_set_error(CACHIFY_EINVAL, "no such machine action");
		}
		last = &res;
	}
}
