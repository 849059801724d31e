/* snapshot.c - the snapshot format (snapshot.h): the writer walks the
 * keyspace, the loader checks the header and checksum, then reads record by
 * record, never trusting a length beyond the bytes left.
 */
#include "snapshot.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "crc64.h"
#include "grant.h"
#include "lock.h"
#include "object.h"
#include "pool.h"
#include "store.h"

enum {
	REC_EXPIRE = 0xfd,   /* u64 Unix ms: the next key's expiry */
	REC_SELECTDB = 0xfe, /* varint db */
	REC_END = 0xff,
};

#define SNAPSHOT_SLOT_MIN   59	    /* bytes of the smallest pool slot record */
#define SNAPSHOT_HOLD_MIN   29	    /* bytes of the smallest lock hold record */
#define SNAPSHOT_KEY_MIN    3	    /* bytes of the smallest key record: type, key, value */
#define SNAPSHOT_PROGRESS   65536   /* records between progress reports */
#define SNAPSHOT_PID_MAX    0x7fffffffULL
#define SNAPSHOT_UID_MAX    0xfffffffeULL /* (uid_t)-1 means none */
#define SNAPSHOT_AT_MAX	    ((uint64_t)INT64_MAX / 4) /* Unix ms: far enough to never overflow */

/* ---- writing ---- */

struct writer {
	struct snap_out o;
	int64_t now_ms;	 /* ms, monotonic */
	int64_t wall_ms; /* Unix ms at the same moment */
	uint64_t keys;
};

static uint64_t writer_unix_ms(const struct writer *w, int64_t mono)
{
	int64_t at = w->wall_ms + (mono - w->now_ms);

	return at > 0 ? (uint64_t)at : 1;
}

static void put_holder(struct writer *w, const struct holder *h)
{
	snap_put_len(&w->o, (uint64_t)h->pid);
	snap_put_len(&w->o, (uint64_t)h->uid);
	snap_put_str(&w->o, h->name ? h->name : "", h->name ? strlen(h->name) : 0);
	snap_put_u64(&w->o, writer_unix_ms(w, h->since_ms));
}

/* A key record's start: its TTL, type and name. */
static void put_key(struct writer *w, struct sentry *e, unsigned type, bool ttl)
{
	if (ttl && e->has_ttl) {
		snap_put_u8(&w->o, REC_EXPIRE);
		snap_put_u64(&w->o, writer_unix_ms(w, sentry_expire(e)));
	}
	snap_put_u8(&w->o, type);
	snap_put_str(&w->o, sentry_key(e), e->klen);
	w->keys++;
}

static bool hold_is_kept(struct sentry *e, const struct lock_hold *h, int64_t now)
{
	int64_t at = lock_hold_expire(e, h);

	return !h->h.owner && (at == STORE_NO_EXPIRE || at > now);
}

/* A lock keeps its DETACHed live holds: an exclusive lock its one hold
 * under the key's TTL, a shared one each reader with its own TTL. */
static void put_lock(struct writer *w, struct sentry *e)
{
	const struct lock *l = lock_of(e);
	const struct lock_hold *h;
	size_t n = 0;

	TAILQ_FOREACH(h, &l->holds, in_lock)
		n += hold_is_kept(e, h, w->now_ms);
	if (n == 0)
		return; /* session-bound holds end with their connections anyway */
	put_key(w, e, STORE_LOCK, !l->shared);
	snap_put_u8(&w->o, l->shared);
	snap_put_len(&w->o, n);
	TAILQ_FOREACH(h, &l->holds, in_lock) {
		int64_t at = lock_hold_expire(e, h);

		if (!hold_is_kept(e, h, w->now_ms))
			continue;
		snap_put_str(&w->o, h->token, h->toklen);
		snap_put_u64(&w->o, h->fence);
		snap_put_u64(&w->o, l->shared && at != STORE_NO_EXPIRE ? writer_unix_ms(w, at) : 0);
		put_holder(w, &h->h);
	}
}

static bool slot_is_kept(const struct slot *s, int64_t now)
{
	return !s->h.owner && (s->expire == STORE_NO_EXPIRE || s->expire > now);
}

/* A pool keeps its DETACHed live slots; its TTL follows from theirs. */
static void put_pool(struct writer *w, struct sentry *e)
{
	struct pool *p;
	const struct slot *s;
	size_t n = 0;

	memcpy(&p, sentry_value(e), sizeof p);
	LIST_FOREACH(s, &p->slots, in_pool)
		n += slot_is_kept(s, w->now_ms);
	if (n == 0)
		return;
	put_key(w, e, STORE_POOL, false);
	snap_put_len(&w->o, (uint64_t)p->max);
	snap_put_len(&w->o, n);
	LIST_FOREACH(s, &p->slots, in_pool) {
		if (!slot_is_kept(s, w->now_ms))
			continue;
		snap_put(&w->o, s->id, GRANT_TOKEN_HEX);
		snap_put_u64(&w->o, s->fence);
		snap_put_u64(&w->o, s->expire == STORE_NO_EXPIRE ? 0 : writer_unix_ms(w, s->expire));
		put_holder(w, &s->h);
	}
}

static void put_entry_cb(void *ctx, struct sentry *e)
{
	struct writer *w = ctx;
	const struct obj_type *t;

	switch (e->type) {
	case STORE_STRING:
		put_key(w, e, STORE_STRING, true);
		snap_put_str(&w->o, sentry_value(e), e->vlen);
		break;
	case STORE_LOCK:
		put_lock(w, e);
		break;
	case STORE_POOL:
		put_pool(w, e);
		break;
	default:
		if (!(t = object_type(e->type)) || !t->save)
			break;
		put_key(w, e, e->type, true);
		t->save(sentry_object(e), &w->o);
		break;
	}
}

static void put_header(struct writer *w, uint32_t flags)
{
	unsigned char v[8];

	snap_put(&w->o, SNAPSHOT_MAGIC, 8);
	for (int i = 0; i < 4; i++)
		v[i] = (unsigned char)(SNAPSHOT_VERSION >> (8 * i));
	for (int i = 0; i < 4; i++)
		v[4 + i] = (unsigned char)(flags >> (8 * i));
	snap_put(&w->o, v, 8);
	snap_put_u64(&w->o, (uint64_t)w->wall_ms);
	snap_put_u64(&w->o, grant_fence_hwm());
}

int snapshot_write(struct store *s, int fd, uint32_t flags, struct snapshot_info *info)
{
	struct writer w = {.now_ms = clock_ms(), .wall_ms = clock_wall_ms()};
	uint64_t crc;
	int err;

	if (snap_out_init(&w.o, fd) != 0)
		return -1;
	put_header(&w, flags);
	for (int db = 0; db < STORE_DBS && !w.o.err; db++) {
		uint64_t cursor = 0;

		if (store_dbsize(s, db) == 0)
			continue;
		snap_put_u8(&w.o, REC_SELECTDB);
		snap_put_len(&w.o, (uint64_t)db);
		snap_put_len(&w.o, store_dbsize(s, db)); /* the loader's table size */
		do
			cursor = store_scan(s, db, cursor, SIZE_MAX, put_entry_cb, &w);
		while (cursor != 0 && !w.o.err);
	}
	snap_put_u8(&w.o, REC_END);
	snap_out_flush(&w.o);
	crc = w.o.crc;
	snap_put_u64(&w.o, crc);
	snap_out_flush(&w.o);
	err = w.o.err;
	if (info) {
		memset(info, 0, sizeof *info);
		info->version = SNAPSHOT_VERSION;
		info->flags = flags;
		info->created_ms = w.wall_ms;
		info->fence = grant_fence_hwm();
		info->keys = w.keys;
		info->bytes = w.o.bytes;
	}
	snap_out_free(&w.o);
	errno = err;
	return err ? -1 : 0;
}

/* ---- loading ---- */

struct loader {
	struct snap_in in;
	struct store *s;	/* NULL: check only */
	int db;
	int64_t now_ms;		/* ms, monotonic */
	int64_t wall_ms;	/* Unix ms at the same moment */
	struct snapshot_info *info;
};

/* A key's monotonic expiry from its Unix ms (0: none). */
static int64_t loader_expire(const struct loader *ld, uint64_t at)
{
	return at ? ld->now_ms + ((int64_t)at - ld->wall_ms) : STORE_NO_EXPIRE;
}

static bool loader_gone(const struct loader *ld, uint64_t at)
{
	return at != 0 && (int64_t)at <= ld->wall_ms;
}

static int get_holder(struct loader *ld, struct grant_saved *g)
{
	uint64_t pid, uid, at;

	if (snap_get_len(&ld->in, &pid) != 0 || snap_get_len(&ld->in, &uid) != 0 ||
	    snap_get_str(&ld->in, &g->name, &g->nlen) != 0 || snap_get_u64(&ld->in, &at) != 0)
		return -1;
	if (pid > SNAPSHOT_PID_MAX || uid > SNAPSHOT_UID_MAX || memchr(g->name, 0, g->nlen))
		return snap_fail(&ld->in, "a holder's pid, uid or name is out of range");
	g->pid = (pid_t)pid;
	g->uid = (uid_t)uid;
	/* Granted "in the future" (a clock stepped back): granted now. */
	g->since_ms = at < (uint64_t)ld->wall_ms ? ld->now_ms - (ld->wall_ms - (int64_t)at)
						  : ld->now_ms;
	return 0;
}

static void loader_fence(struct loader *ld, uint64_t fence)
{
	if (fence > ld->info->fence)
		ld->info->fence = fence;
}

/* After a put that should have added one key (ok: it did not fail): a
 * key the file names twice is damage, not something to resolve quietly. */
static int loader_added(struct loader *ld, size_t before, bool ok)
{
	if (!ok)
		return snap_fail(&ld->in, "out of memory");
	if (store_dbsize(ld->s, ld->db) == before)
		return snap_fail(&ld->in, "a key appears twice in database %d", ld->db);
	ld->info->keys++;
	return 0;
}

static int load_string(struct loader *ld, const char *key, size_t klen, uint64_t at)
{
	const char *v;
	size_t vlen, before;

	if (snap_get_str(&ld->in, &v, &vlen) != 0)
		return -1;
	if (!ld->s || loader_gone(ld, at))
		return 0;
	before = store_dbsize(ld->s, ld->db);
	return loader_added(ld, before, store_put(ld->s, ld->db, key, klen, v, vlen, STORE_STRING,
						  loader_expire(ld, at)) != NULL);
}

static int load_object(struct loader *ld, unsigned type, const char *key, size_t klen,
		       uint64_t at)
{
	const struct obj_type *t = object_type(type);
	size_t before;
	void *obj;

	if (!t || !t->load)
		return snap_fail(&ld->in, "objects of type %u are not known to this build", type);
	if (!(obj = t->load(&ld->in)))
		return -1;
	if (!ld->s || loader_gone(ld, at)) {
		t->free(obj);
		return 0;
	}
	before = store_dbsize(ld->s, ld->db);
	if (!store_put(ld->s, ld->db, key, klen, &obj, sizeof obj, type, loader_expire(ld, at))) {
		t->free(obj); /* the store did not take it */
		return loader_added(ld, before, false);
	}
	return loader_added(ld, before, true);
}

/* One hold; the lock entry is made with the first live one. */
static int load_hold(struct loader *ld, struct lock **l, const char *key, size_t klen,
		     bool shared, uint64_t at)
{
	struct grant_saved g;
	const char *token;
	size_t toklen;
	uint64_t hat;

	if (snap_get_str(&ld->in, &token, &toklen) != 0 || snap_get_u64(&ld->in, &g.fence) != 0 ||
	    snap_get_u64(&ld->in, &hat) != 0 || get_holder(ld, &g) != 0)
		return -1;
	if (toklen == 0 || toklen > GRANT_TOKEN_MAX)
		return snap_fail(&ld->in, "a lock token of %zu bytes (1..%d allowed)", toklen,
				 GRANT_TOKEN_MAX);
	if (hat > SNAPSHOT_AT_MAX || (!shared && hat != 0))
		return snap_fail(&ld->in, "a lock hold's expiry is out of range");
	loader_fence(ld, g.fence);
	if (!ld->s || loader_gone(ld, at) || loader_gone(ld, hat))
		return 0;
	if (!*l) {
		size_t before = store_dbsize(ld->s, ld->db);

		*l = lock_restore(ld->db, key, klen, shared, loader_expire(ld, at));
		if (loader_added(ld, before, *l != NULL) != 0)
			return -1;
	}
	if (lock_restore_hold(*l, token, toklen, loader_expire(ld, hat), &g) != 0)
		return snap_fail(&ld->in, "out of memory");
	return 0;
}

/* A lock: exclusive (one hold, the key's TTL) or shared (readers, each
 * with its TTL). One whose holds all lapsed while the daemon was down does
 * not come back. */
static int load_lock(struct loader *ld, const char *key, size_t klen, uint64_t at)
{
	struct lock *l = NULL;
	unsigned shared;
	size_t n;

	if (snap_get_u8(&ld->in, &shared) != 0 ||
	    snap_get_count(&ld->in, SNAPSHOT_HOLD_MIN, &n) != 0)
		return -1;
	if (shared > 1 || n == 0 || (!shared && n != 1) || (shared && at))
		return snap_fail(&ld->in, "a lock's kind, holds or TTL are out of range");
	for (size_t i = 0; i < n; i++)
		if (load_hold(ld, &l, key, klen, shared, at) != 0)
			return -1;
	if (!l && ld->s)
		ld->info->expired++;
	return 0;
}

static bool is_slot_id(const char *id)
{
	for (int i = 0; i < GRANT_TOKEN_HEX; i++)
		if (!strchr("0123456789abcdef", id[i]) || id[i] == '\0')
			return false;
	return true;
}

static int load_slot(struct loader *ld, struct pool **p, const char *key, size_t klen,
		     long long max)
{
	struct grant_saved g;
	const char *id;
	uint64_t at;

	if (snap_get_bytes(&ld->in, GRANT_TOKEN_HEX, &id) != 0 ||
	    snap_get_u64(&ld->in, &g.fence) != 0 || snap_get_u64(&ld->in, &at) != 0 ||
	    get_holder(ld, &g) != 0)
		return -1;
	if (!is_slot_id(id))
		return snap_fail(&ld->in, "a pool slot id is not %d hex digits", GRANT_TOKEN_HEX);
	if (at > SNAPSHOT_AT_MAX)
		return snap_fail(&ld->in, "an expiry time out of range");
	loader_fence(ld, g.fence);
	if (!ld->s || loader_gone(ld, at))
		return 0;
	if (!*p) {
		size_t before = store_dbsize(ld->s, ld->db);

		*p = pool_restore(ld->db, key, klen, max);
		if (loader_added(ld, before, *p != NULL) != 0)
			return -1;
	}
	if (pool_slot(*p, id, GRANT_TOKEN_HEX))
		return snap_fail(&ld->in, "a pool slot id appears twice");
	if (pool_restore_slot(*p, id, loader_expire(ld, at), &g) != 0)
		return snap_fail(&ld->in, "out of memory");
	return 0;
}

/* The pool entry is made with its first live slot: a pool whose slots
 * all lapsed while the daemon was down does not come back. */
static int load_pool(struct loader *ld, const char *key, size_t klen, uint64_t at)
{
	struct pool *p = NULL;
	uint64_t max;
	size_t n;

	if (at)
		return snap_fail(&ld->in, "a pool has a key TTL (its slots carry their own)");
	if (snap_get_len(&ld->in, &max) != 0 || snap_get_count(&ld->in, SNAPSHOT_SLOT_MIN, &n) != 0)
		return -1;
	if (max < 1 || max > (uint64_t)POOL_MAX_SIZE || n == 0)
		return snap_fail(&ld->in, "a pool's max-size or slot count is out of range");
	for (size_t i = 0; i < n; i++)
		if (load_slot(ld, &p, key, klen, (long long)max) != 0)
			return -1;
	if (!p && ld->s)
		ld->info->expired++;
	return 0;
}

static int load_key(struct loader *ld, unsigned type, uint64_t at)
{
	const char *key;
	size_t klen;
	int rc;

	if (snap_get_str(&ld->in, &key, &klen) != 0)
		return -1;
	switch (type) {
	case STORE_STRING:
		rc = load_string(ld, key, klen, at);
		break;
	case STORE_LOCK:
		return load_lock(ld, key, klen, at);
	case STORE_POOL:
		return load_pool(ld, key, klen, at);
	default:
		rc = load_object(ld, type, key, klen, at);
		break;
	}
	if (rc == 0 && loader_gone(ld, at))
		ld->info->expired++;
	return rc;
}

/* A database switch, with the number of keys the writer had there: the
 * table is sized for them at once, as far as the bytes left could hold
 * (a count is a hint, never trusted beyond the file). */
static int load_selectdb(struct loader *ld)
{
	uint64_t db;
	size_t keys;

	if (snap_get_len(&ld->in, &db) != 0 ||
	    snap_get_count(&ld->in, SNAPSHOT_KEY_MIN, &keys) != 0)
		return -1;
	if (db >= STORE_DBS)
		return snap_fail(&ld->in, "database %llu does not exist (0..%d)",
				 (unsigned long long)db, STORE_DBS - 1);
	ld->db = (int)db;
	if (ld->s && store_reserve(ld->s, ld->db, keys) != 0)
		return snap_fail(&ld->in, "out of memory");
	return 0;
}

static int load_records(struct loader *ld, snapshot_progress_fn *progress, void *ctx)
{
	struct snap_in *in = &ld->in;
	uint64_t at = 0;
	size_t n = 0;
	unsigned type;

	for (;;) {
		if (progress && ++n % SNAPSHOT_PROGRESS == 0)
			progress(ctx, snap_offset(in), (size_t)(in->end - in->base));
		if (snap_get_u8(in, &type) != 0)
			return snap_fail(in, "the file ends without its end record");
		if (at && type > STORE_LIST)
			return snap_fail(in, "a TTL record is not followed by a key");
		switch (type) {
		case REC_END:
			if (snap_left(in) != 0)
				return snap_fail(in, "%zu bytes follow the end record", snap_left(in));
			return 0;
		case REC_SELECTDB:
			if (load_selectdb(ld) != 0)
				return -1;
			break;
		case REC_EXPIRE:
			if (snap_get_u64(in, &at) != 0)
				return -1;
			if (at == 0 || at > SNAPSHOT_AT_MAX)
				return snap_fail(in, "an expiry time out of range");
			continue;
		case STORE_STRING:
		case STORE_LOCK:
		case STORE_POOL:
		case STORE_HASH:
		case STORE_ZSET:
		case STORE_LIST:
			if (load_key(ld, type, at) != 0)
				return -1;
			break;
		default:
			in->p--;
			return snap_fail(in, "unknown record type 0x%02x", type);
		}
		at = 0;
	}
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The header: magic, version, flags, creation time, fence. */
static int load_header(struct loader *ld, size_t len)
{
	struct snap_in *in = &ld->in;
	struct snapshot_info *info = ld->info;
	uint64_t created;

	if (len < SNAPSHOT_HEADER + 1 + SNAPSHOT_TRAILER) {
		in->p = in->base + len;
		return snap_fail(in, "the file is too short to be a snapshot (%zu bytes)", len);
	}
	if (memcmp(in->p, SNAPSHOT_MAGIC, 8) != 0)
		return snap_fail(in, "not a cachifyd snapshot (no \"%s\" at the start)",
				 SNAPSHOT_MAGIC);
	in->p += 8;
	info->version = get_u32(in->p);
	info->flags = get_u32(in->p + 4);
	if (info->version == 0 || info->version > SNAPSHOT_VERSION)
		return snap_fail(in, "format version %u; this cachifyd reads versions 1..%d "
				     "(written by a newer cachifyd?)",
				 info->version, SNAPSHOT_VERSION);
	in->p += 8;
	if (snap_get_u64(in, &created) != 0 || snap_get_u64(in, &info->fence) != 0)
		return -1;
	info->created_ms = (int64_t)created;
	return 0;
}

static int load_checksum(struct loader *ld, const unsigned char *b, size_t len)
{
	uint64_t want = 0;

	for (int i = 0; i < 8; i++)
		want |= (uint64_t)b[len - SNAPSHOT_TRAILER + i] << (8 * i);
	if (crc64(CRC64_INIT, b, len - SNAPSHOT_TRAILER) == want)
		return 0;
	ld->in.p = b + len - SNAPSHOT_TRAILER;
	return snap_fail(&ld->in, "the checksum does not match the contents");
}

int snapshot_load(struct store *s, const void *p, size_t len, bool verify,
		  struct snapshot_info *info, snapshot_progress_fn *progress, void *ctx, char *err)
{
	struct loader ld = {.s = s, .now_ms = clock_ms(), .wall_ms = clock_wall_ms(), .info = info};
	const unsigned char *b = p;
	int rc;

	memset(info, 0, sizeof *info);
	info->bytes = len;
	ld.in.base = ld.in.p = b;
	ld.in.end = b + len;
	rc = load_header(&ld, len);
	if (rc == 0) {
		ld.in.end = b + len - SNAPSHOT_TRAILER;
		if (verify && load_checksum(&ld, b, len) != 0) {
			/* Say where the damage is when the records show it:
			 * parse them, keeping nothing. */
			struct loader dry = ld;

			dry.s = NULL;
			dry.in.failed = false;
			dry.in.p = b + SNAPSHOT_HEADER;
			if (load_records(&dry, NULL, NULL) != 0)
				memcpy(ld.in.err, dry.in.err, sizeof ld.in.err);
			rc = -1;
		} else {
			rc = load_records(&ld, progress, ctx);
		}
	}
	if (rc != 0)
		snprintf(err, SNAPIO_ERR_MAX, "%s", ld.in.err);
	return rc;
}
