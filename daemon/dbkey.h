/* dbkey.h - the name the per-key tables (lock and pool wait queues,
 * blocked pops, WATCH) give a (db, key): one byte of db, then the key's
 * bytes, so one hash table serves all 16 databases.
 */
#ifndef CACHIFY_DBKEY_H
#define CACHIFY_DBKEY_H

#include <stdlib.h>
#include <string.h>

#define DBKEY_STACK 256 /* bytes of a lookup name built without malloc */

/* A lookup name, on the stack when it fits. */
struct dbkey {
	char *p;
	size_t len;
	char stack[DBKEY_STACK];
};

/* Builds (db, key) into k for a lookup. 0, or -1 when a long key's copy
 * cannot be allocated. Release with dbkey_done. */
static inline int dbkey_make(struct dbkey *k, int db, const void *key, size_t klen)
{
	k->len = klen + 1;
	k->p = k->len <= sizeof k->stack ? k->stack : malloc(k->len);
	if (!k->p)
		return -1;
	k->p[0] = (char)db;
	if (klen)
		memcpy(k->p + 1, key, klen);
	return 0;
}

static inline void dbkey_done(struct dbkey *k)
{
	if (k->p != k->stack)
		free(k->p);
}

/* (db, key) on the heap, for a table entry to own (free it); NULL when out
 * of memory. Its length is klen + 1. */
static inline char *dbkey_dup(int db, const void *key, size_t klen)
{
	char *p = malloc(klen + 1);

	if (p) {
		p[0] = (char)db;
		if (klen)
			memcpy(p + 1, key, klen);
	}
	return p;
}

/* The database of a name built here. */
static inline int dbkey_db(const char *name)
{
	return (unsigned char)name[0];
}

#endif /* CACHIFY_DBKEY_H */
