/* object.h - what the keyspace's object types have in common.
 *
 * A hash, sorted set or list is an entry (store.h: STORE_HASH, STORE_ZSET,
 * STORE_LIST) whose value bytes are a pointer to the type's object. Each
 * type's module (hash.c, zset.c, list.c) describes itself with a struct
 * obj_type, registered at start-up; the keyspace commands (TYPE, OBJECT,
 * COPY, SCAN TYPE) and the store's delete hook reach the types only
 * through it. Objects report the memory they own with object_account, so
 * INFO and maxmemory see it.
 */
#ifndef CACHIFY_OBJECT_H
#define CACHIFY_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct snap_in;
struct snap_out;

struct obj_type {
	const char *name; /* what TYPE says: "hash", "zset", "list" */
	/* OBJECT ENCODING, Redis's names: "listpack", "hashtable", ... */
	const char *(*encoding)(const void *obj);
	/* A deep copy for COPY (accounted), or NULL when out of memory. */
	void *(*dup)(const void *obj);
	/* Frees obj and everything it owns, and un-accounts it. */
	void (*free)(void *obj);
	/* Elements (fields, members, items): for INFO and the tests. */
	size_t (*len)(const void *obj);
	/* Snapshots (snapshot.c writes the key, the type and the TTL): save
	 * writes the elements; load reads them back into a new object
	 * (accounted) in the encoding the same elements get from commands, or
	 * returns NULL with in's error set (malformed, out of memory). */
	void (*save)(const void *obj, struct snap_out *o);
	void *(*load)(struct snap_in *in);
};

/* Makes t the type of entries of store type st (STORE_HASH...). */
void object_register(enum store_type st, const struct obj_type *t);
/* The registered type for an entry type, or NULL (strings, locks, pools,
 * and object types whose module is not registered). */
const struct obj_type *object_type(unsigned st);

/* What TYPE says of e: "string", "lock", "pool", or its object type's name. */
const char *object_type_name(const struct sentry *e);
/* What OBJECT ENCODING says of e. */
const char *object_encoding_name(struct sentry *e);

/* The store objects' memory is accounted in (set by the server). */
void object_set_store(struct store *st);
/* Reports bytes an object took (add) or gave back (sub). */
void object_account(size_t add, size_t sub);

/* Puts obj under key in db as an entry of type st (no TTL). On success the
 * entry owns obj; NULL when out of memory or over maxmemory, and then the
 * caller still owns obj. An entry already under key is replaced. */
struct sentry *object_put(struct store *s, int db, const void *key, size_t klen,
			  enum store_type st, void *obj);

/* The store's delete hook for an object entry: frees the object unless it
 * moved to another entry (STORE_DEL_MOVED). */
void object_entry_gone(struct sentry *e, enum store_reason why);

#endif /* CACHIFY_OBJECT_H */
