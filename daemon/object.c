/* object.c - the registry of object types (hashes, sorted sets, lists) and
 * what the keyspace does with any of them: name, encoding, put, free.
 */
#include "object.h"

#include <stdio.h>
#include <stdlib.h>

#include "entry.h"

#define OBJECT_TYPES 8 /* room for every enum store_type value (3 bits) */

static const struct obj_type *types[OBJECT_TYPES];
static struct store *acct_store;

void object_register(enum store_type st, const struct obj_type *t)
{
	if ((unsigned)st < OBJECT_TYPES && store_type_is_object(st))
		types[st] = t;
}

const struct obj_type *object_type(unsigned st)
{
	return st < OBJECT_TYPES ? types[st] : NULL;
}

const char *object_type_name(const struct sentry *e)
{
	const struct obj_type *t;

	switch (e->type) {
	case STORE_STRING:
		return "string";
	case STORE_LOCK:
		return "lock";
	case STORE_POOL:
		return "pool";
	default:
		t = object_type(e->type);
		return t ? t->name : "unknown";
	}
}

/* Every string is one allocation holding header, key and value: what
 * Redis calls embstr, whatever the length or content. */
const char *object_encoding_name(struct sentry *e)
{
	const struct obj_type *t;

	switch (e->type) {
	case STORE_STRING:
		return "embstr";
	case STORE_LOCK:
		return "lock";
	case STORE_POOL:
		return "pool";
	default:
		t = object_type(e->type);
		return t ? t->encoding(sentry_object(e)) : "unknown";
	}
}

void object_set_store(struct store *st)
{
	acct_store = st;
}

void object_account(size_t add, size_t sub)
{
	if (acct_store)
		store_account(acct_store, add, sub);
}

struct sentry *object_put(struct store *s, int db, const void *key, size_t klen,
			  enum store_type st, void *obj)
{
	return store_put(s, db, key, klen, &obj, sizeof obj, st, STORE_NO_EXPIRE);
}

void object_entry_gone(struct sentry *e, enum store_reason why)
{
	const struct obj_type *t = object_type(e->type);

	if (why == STORE_DEL_MOVED || !t)
		return;
	t->free(sentry_object(e));
}
