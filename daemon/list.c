/* list.c - the list object (see list.h): a chain of packed-list nodes, one
 * node while it is a "listpack", and Redis 7.2's quicklist rules for how
 * nodes fill, split and when the list changes encoding.
 *
 * Redis measures nodes in the bytes of its own listpack format (integers
 * packed, short strings with a one-byte header); ours stores bytes as
 * they are, so each node keeps rsz, Redis's size for the same entries, and
 * every limit is judged on it. The memory accounted is what we allocate.
 */
#include "list.h"

#include <limits.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "lp.h"
#include "snapio.h"

#define LIST_LP_EMPTY     7    /* Redis's empty listpack: 6-byte header + end byte */
#define SIZE_SAFETY_LIMIT 8192 /* bytes: a node's cap under a count limit */
#define SIZE_OVERHEAD     8    /* Redis's estimate of an entry's header bytes */

struct qnode {
	struct qnode *prev, *next;
	unsigned char *lp;
	uint32_t count;
	bool plain; /* holds one element too large for a shared node */
	size_t rsz; /* Redis's listpack bytes for these entries */
};

struct list {
	struct qnode *head, *tail;
	size_t count; /* elements */
	size_t nnodes;
	bool packed; /* the listpack encoding: at most one node */
};

static int fill = LIST_MAX_LISTPACK_SIZE;
static const size_t size_levels[] = {4096, 8192, 16384, 32768, 65536}; /* -1 .. -5 */

void list_set_fill(int f)
{
	fill = f;
}

int list_get_fill(void)
{
	return fill;
}

/* ---- Redis's sizes --------------------------------------------------------- */

/* Redis's lpStringToInt64: canonical decimal integers only. */
static bool r_str_to_int(const char *s, size_t len, long long *v)
{
	unsigned long long u = 0;
	size_t i = 0;
	bool neg = false;

	if (len == 0 || len >= 21)
		return false;
	if (len == 1 && s[0] == '0') {
		*v = 0;
		return true;
	}
	if (s[0] == '-') {
		neg = true;
		if (++i == len)
			return false;
	}
	if (s[i] < '1' || s[i] > '9')
		return false;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || u > (ULLONG_MAX - 9) / 10)
			return false;
		u = u * 10 + (unsigned)(s[i] - '0');
	}
	if (neg) {
		if (u > (unsigned long long)LLONG_MAX + 1)
			return false;
		*v = (long long)(0 - u);
	} else {
		if (u > LLONG_MAX)
			return false;
		*v = (long long)u;
	}
	return true;
}

size_t list_entry_rsize(const void *s, size_t len)
{
	long long v;
	size_t enc;

	if (r_str_to_int(s, len, &v))
		enc = v >= 0 && v <= 127                 ? 1
		      : v >= -4096 && v <= 4095          ? 2
		      : v >= -32768 && v <= 32767        ? 3
		      : v >= -8388608 && v <= 8388607    ? 4
		      : v >= INT32_MIN && v <= INT32_MAX ? 5
		                                         : 9;
	else
		enc = len < 64 ? 1 + len : len < 4096 ? 2 + len : 5 + len;
	return enc + (enc <= 127        ? 1
	              : enc < 16383     ? 2
	              : enc < 2097151   ? 3
	              : enc < 268435455 ? 4
	                                : 5);
}

/* quicklistNodeLimit: a node's byte limit, or its entry limit. */
static void node_limit(size_t *sz, size_t *cnt)
{
	size_t off;

	*sz = SIZE_MAX;
	*cnt = UINT_MAX;
	if (fill >= 0) {
		*cnt = fill == 0 ? 1 : (size_t)fill;
		return;
	}
	off = (size_t)(-(long)fill) - 1;
	if (off >= sizeof size_levels / sizeof size_levels[0])
		off = sizeof size_levels / sizeof size_levels[0] - 1;
	*sz = size_levels[off];
}

static bool exceeds_limit(size_t sz, size_t count)
{
	size_t sz_lim, cnt_lim;

	node_limit(&sz_lim, &cnt_lim);
	if (sz_lim != SIZE_MAX)
		return sz > sz_lim;
	return sz > SIZE_SAFETY_LIMIT || count > cnt_lim;
}

static bool is_large(size_t len)
{
	size_t sz_lim, cnt_lim;

	node_limit(&sz_lim, &cnt_lim);
	return len > (sz_lim != SIZE_MAX ? sz_lim : SIZE_SAFETY_LIMIT);
}

static bool node_allows(const struct qnode *n, size_t len)
{
	if (!n || n->plain || is_large(len))
		return false;
	return !exceeds_limit(n->rsz + len + SIZE_OVERHEAD, (size_t)n->count + 1);
}

/* ---- nodes ------------------------------------------------------------------- */

static size_t usable(const void *p)
{
	return malloc_usable_size((void *)p);
}

static struct qnode *node_new(void)
{
	struct qnode *n = calloc(1, sizeof *n);

	if (!n || !(n->lp = lp_new())) {
		free(n);
		return NULL;
	}
	n->rsz = LIST_LP_EMPTY;
	object_account(usable(n) + lp_alloc_size(n->lp), 0);
	return n;
}

static void node_free(struct qnode *n)
{
	object_account(0, usable(n) + lp_alloc_size(n->lp));
	lp_free(n->lp);
	free(n);
}

/* Links n after at (at NULL: as the new head). */
static void node_link(struct list *l, struct qnode *at, struct qnode *n)
{
	n->prev = at;
	n->next = at ? at->next : l->head;
	if (n->next)
		n->next->prev = n;
	else
		l->tail = n;
	if (at)
		at->next = n;
	else
		l->head = n;
	l->nnodes++;
}

static void node_unlink(struct list *l, struct qnode *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else
		l->head = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		l->tail = n->prev;
	l->nnodes--;
	node_free(n);
}

/* Takes lp2 (a change of n's list, or NULL when that failed) into n,
 * accounting the difference from before bytes. */
static int node_take(struct qnode *n, unsigned char *lp2, size_t before)
{
	if (!lp2)
		return -1;
	n->lp = lp2;
	object_account(lp_alloc_size(lp2), before);
	return 0;
}

/* Inserts s at byte position pos of n (LP_END: appends). */
static int node_insert(struct qnode *n, size_t pos, const void *s, size_t len)
{
	/* Measured first: lp_insert may free the old list, and the order in
	 * which a call's arguments are evaluated is unspecified (clang: left
	 * to right). */
	size_t before = lp_alloc_size(n->lp);

	if (node_take(n, lp_insert(n->lp, pos, s, len, NULL), before) != 0)
		return -1;
	n->count++;
	n->rsz += list_entry_rsize(s, len);
	return 0;
}

/* Removes k entries of n from pos on (the list's count is the caller's). */
static void node_delete(struct qnode *n, size_t pos, size_t k)
{
	size_t before = lp_alloc_size(n->lp);

	for (size_t i = 0, p = pos; i < k; i++, p = lp_next(n->lp, p)) {
		size_t len;
		const char *s = lp_get(n->lp, p, &len);

		n->rsz -= list_entry_rsize(s, len);
	}
	node_take(n, lp_delete(n->lp, pos, k), before);
	n->count -= (uint32_t)k;
}

/* A new node holding s, linked after at (NULL: head). */
static struct qnode *node_add_with(struct list *l, struct qnode *at, const void *s, size_t len)
{
	struct qnode *n = node_new();

	if (!n)
		return NULL;
	if (node_insert(n, LP_END, s, len) != 0) {
		node_free(n);
		return NULL;
	}
	n->plain = !l->packed && is_large(len);
	node_link(l, at, n);
	return n;
}

/* ---- the list ---------------------------------------------------------------- */

struct list *list_new(void)
{
	struct list *l = calloc(1, sizeof *l);

	if (!l)
		return NULL;
	l->packed = true;
	object_account(usable(l), 0);
	return l;
}

void list_free(struct list *l)
{
	while (l->head)
		node_unlink(l, l->head);
	object_account(0, usable(l));
	free(l);
}

size_t list_len(const struct list *l)
{
	return l->count;
}

bool list_is_packed(const struct list *l)
{
	return l->packed;
}

size_t list_nodes(const struct list *l)
{
	return l->nnodes;
}

void list_will_grow(struct list *l, size_t bytes, size_t n)
{
	size_t rsz = l->head ? l->head->rsz : LIST_LP_EMPTY;

	if (!l->packed || !exceeds_limit(rsz + bytes, l->count + n))
		return;
	l->packed = false;
	/* Redis keeps the listpack as the first node, or drops it if empty. */
	if (l->head && l->head->count == 0)
		node_unlink(l, l->head);
}

void list_shrunk(struct list *l)
{
	size_t sz_lim, cnt_lim;

	if (l->packed || l->nnodes != 1 || l->head->plain)
		return;
	node_limit(&sz_lim, &cnt_lim);
	if (l->head->rsz > sz_lim / 2 || l->count > cnt_lim / 2)
		return;
	l->packed = true;
}

int list_push(struct list *l, bool head, const void *s, size_t len)
{
	struct qnode *n = head ? l->head : l->tail;

	if (l->packed && !n && !(n = node_new()))
		return -1;
	if (l->packed && !l->head)
		node_link(l, NULL, n);
	if (l->packed || node_allows(n, len)) {
		if (node_insert(n, head ? lp_first(n->lp) : LP_END, s, len) != 0)
			return -1;
	} else if (!node_add_with(l, head ? NULL : l->tail, s, len)) {
		return -1;
	}
	l->count++;
	return 0;
}

void list_delete_range(struct list *l, size_t start, size_t n)
{
	struct list_it it;

	if (n == 0)
		return;
	list_seek(l, start, &it);
	while (n > 0) {
		struct qnode *node = it.node, *next = node->next;
		size_t k = node->count - it.off;

		if (k > n)
			k = n;
		node_delete(node, it.pos, k);
		l->count -= k;
		n -= k;
		if (node->count == 0)
			node_unlink(l, node);
		if (!next)
			break;
		it.node = next;
		it.pos = lp_first(next->lp);
		it.off = 0;
	}
}

/* ---- positions --------------------------------------------------------------- */

void list_seek(struct list *l, size_t i, struct list_it *it)
{
	struct qnode *n;

	it->l = l;
	if (i < l->count / 2) {
		for (n = l->head; i >= n->count; n = n->next)
			i -= n->count;
	} else {
		size_t back = l->count - 1 - i; /* from the tail */

		for (n = l->tail; back >= n->count; n = n->prev)
			back -= n->count;
		i = n->count - 1 - back;
	}
	it->node = n;
	it->off = (uint32_t)i;
	it->pos = i < n->count / 2 ? lp_seek(n->lp, (long long)i)
	                           : lp_seek(n->lp, (long long)i - (long long)n->count);
}

const char *list_it_get(const struct list_it *it, size_t *len)
{
	return lp_get(it->node->lp, it->pos, len);
}

bool list_it_eq(const struct list_it *it, const void *s, size_t len)
{
	return lp_eq(it->node->lp, it->pos, s, len);
}

bool list_it_next(struct list_it *it)
{
	size_t p = lp_next(it->node->lp, it->pos);

	if (p != LP_END) {
		it->pos = p;
		it->off++;
		return true;
	}
	if (!it->node->next)
		return false;
	it->node = it->node->next;
	it->pos = lp_first(it->node->lp);
	it->off = 0;
	return true;
}

bool list_it_prev(struct list_it *it)
{
	size_t p = lp_prev(it->node->lp, it->pos);

	if (p != LP_END) {
		it->pos = p;
		it->off--;
		return true;
	}
	if (!it->node->prev)
		return false;
	it->node = it->node->prev;
	it->pos = lp_last(it->node->lp);
	it->off = it->node->count - 1;
	return true;
}

bool list_it_delete(struct list_it *it)
{
	struct qnode *n = it->node, *next = n->next;

	node_delete(n, it->pos, 1);
	it->l->count--;
	if (n->count == 0)
		node_unlink(it->l, n);
	else if (it->off < n->count)
		return true; /* the next entry moved to pos */
	if (!next)
		return false;
	it->node = next;
	it->pos = lp_first(next->lp);
	it->off = 0;
	return true;
}

int list_it_replace(struct list_it *it, const void *s, size_t len)
{
	struct qnode *n = it->node;
	size_t olen;
	const char *old = lp_get(n->lp, it->pos, &olen);
	size_t orsz = list_entry_rsize(old, olen);
	struct list_it at;

	if (it->l->packed || (!n->plain && !is_large(len) &&
	                      !exceeds_limit(n->rsz - orsz + len + SIZE_OVERHEAD, n->count))) {
		size_t before = lp_alloc_size(n->lp); /* before lp_replace frees it */

		if (node_take(n, lp_replace(n->lp, it->pos, s, len), before) != 0)
			return -1;
		n->rsz = n->rsz - orsz + list_entry_rsize(s, len);
		return 0;
	}
	/* Does not fit: insert the new element after the old, then drop the old. */
	if (list_it_insert(it, s, len, true) != 0)
		return -1;
	at = *it;
	list_it_delete(&at);
	return 0;
}

/* Splits n after its first k entries: the rest go to a new node after it. */
static struct qnode *node_split(struct list *l, struct qnode *n, uint32_t k)
{
	struct qnode *m = node_new();
	size_t pos = lp_seek(n->lp, k), p;

	if (!m)
		return NULL;
	for (p = pos; p != LP_END; p = lp_next(n->lp, p)) {
		size_t len;
		const char *s = lp_get(n->lp, p, &len);

		if (node_insert(m, LP_END, s, len) != 0) {
			node_free(m);
			return NULL;
		}
	}
	node_link(l, n, m);
	node_delete(n, pos, m->count);
	return m;
}

/* Redis's _quicklistNodeAllowMerge, then the merge: b's entries into a.
 * true when b is gone. */
static bool node_try_merge(struct list *l, struct qnode *a, struct qnode *b)
{
	uint32_t had;

	if (!a || !b || a->plain || b->plain ||
	    exceeds_limit(a->rsz + b->rsz - LIST_LP_EMPTY, (size_t)a->count + b->count))
		return false;
	had = a->count;
	for (size_t p = lp_first(b->lp); p != LP_END; p = lp_next(b->lp, p)) {
		size_t len;
		const char *s = lp_get(b->lp, p, &len);

		if (node_insert(a, LP_END, s, len) != 0) {
			/* Out of memory: undo, both stay as they were. */
			node_delete(a, lp_seek(a->lp, had), a->count - had);
			return false;
		}
	}
	node_unlink(l, b);
	return true;
}

int list_it_insert(struct list_it *it, const void *s, size_t len, bool after)
{
	struct list *l = it->l;
	struct qnode *n = it->node, *mid;
	bool at_tail = it->off == n->count - 1, at_head = it->off == 0;

	if (l->packed || node_allows(n, len)) {
		size_t pos = after ? lp_next(n->lp, it->pos) : it->pos;

		if (node_insert(n, pos, s, len) != 0)
			return -1;
	} else if (after && at_tail && node_allows(n->next, len)) {
		if (node_insert(n->next, lp_first(n->next->lp), s, len) != 0)
			return -1;
	} else if (!after && at_head && node_allows(n->prev, len)) {
		if (node_insert(n->prev, LP_END, s, len) != 0)
			return -1;
	} else if ((after && at_tail) || (!after && at_head)) {
		if (!node_add_with(l, after ? n : n->prev, s, len))
			return -1;
	} else {
		/* In the middle of a full node: split it there, put s between. */
		if (!node_split(l, n, it->off + (after ? 1 : 0)))
			return -1;
		if (!(mid = node_add_with(l, n, s, len)))
			return -1;
		l->count++;
		if (node_try_merge(l, n, mid))
			mid = n;
		node_try_merge(l, mid, mid->next);
		return 0;
	}
	l->count++;
	return 0;
}

/* ---- the object type --------------------------------------------------------- */

static const char *list_encoding(const void *obj)
{
	return ((const struct list *)obj)->packed ? "listpack" : "quicklist";
}

static void *list_dup(const void *obj)
{
	const struct list *src = obj;
	struct list *l = list_new();

	if (!l)
		return NULL;
	l->packed = src->packed;
	for (const struct qnode *n = src->head; n; n = n->next) {
		struct qnode *m = calloc(1, sizeof *m);

		if (!m || !(m->lp = lp_dup(n->lp))) {
			free(m);
			list_free(l);
			return NULL;
		}
		m->count = n->count;
		m->rsz = n->rsz;
		m->plain = n->plain;
		object_account(usable(m) + lp_alloc_size(m->lp), 0);
		node_link(l, l->tail, m);
		l->count += m->count;
	}
	return l;
}

static void list_obj_free(void *obj)
{
	list_free(obj);
}

static size_t list_obj_len(const void *obj)
{
	return list_len(obj);
}

/* A count, then the elements from head to tail. */
static void list_save(const void *obj, struct snap_out *o)
{
	struct list *l = (struct list *)obj;
	struct list_it it;
	bool more = list_len(l) > 0;

	snap_put_len(o, list_len(l));
	if (more)
		list_seek(l, 0, &it);
	while (more) {
		size_t len;
		const char *s = list_it_get(&it, &len);

		snap_put_str(o, s, len);
		more = list_it_next(&it);
	}
}

/* Element by element as RPUSH adds them, so it converts where RPUSH would. */
static void *list_load(struct snap_in *in)
{
	struct list *l;
	size_t n;

	if (snap_get_count(in, 1, &n) != 0)
		return NULL;
	if (n == 0) {
		snap_fail(in, "an empty list (commands never leave one)");
		return NULL;
	}
	if (!(l = list_new())) {
		snap_fail(in, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const char *s;
		size_t len;

		if (snap_get_str(in, &s, &len) != 0)
			goto fail;
		list_will_grow(l, list_entry_rsize(s, len), 1);
		if (list_push(l, false, s, len) != 0) {
			snap_fail(in, "out of memory");
			goto fail;
		}
	}
	return l;
fail:
	list_free(l);
	return NULL;
}

const struct obj_type list_type = {
    .name = "list",
    .encoding = list_encoding,
    .dup = list_dup,
    .free = list_obj_free,
    .len = list_obj_len,
    .save = list_save,
    .load = list_load,
};
