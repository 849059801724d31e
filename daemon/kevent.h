/* kevent.h - keyspace notifications (notify-keyspace-events): which event
 * classes are on, their flag letters, and the messages each keyspace change
 * publishes on "__keyspace@<db>__:<key>" and "__keyevent@<db>__:<event>".
 *
 * Commands, expiry, eviction, locks and pools report events here; pubsub.c
 * delivers them. When notification is off a report costs one flag test.
 */
#ifndef CACHIFY_KEVENT_H
#define CACHIFY_KEVENT_H

#include <stddef.h>

/* Redis's classes and letters, plus L (locks and pools), which Redis does
 * not use. */
enum kevent_class {
	KEV_KEYSPACE = 1 << 0, /* K: publish on __keyspace@<db>__:<key> */
	KEV_KEYEVENT = 1 << 1, /* E: publish on __keyevent@<db>__:<event> */
	KEV_GENERIC = 1 << 2,  /* g: del, expire, rename_from, ... */
	KEV_STRING = 1 << 3,   /* $ */
	KEV_LIST = 1 << 4,     /* l */
	KEV_SET = 1 << 5,      /* s */
	KEV_HASH = 1 << 6,     /* h */
	KEV_ZSET = 1 << 7,     /* z */
	KEV_EXPIRED = 1 << 8,  /* x */
	KEV_EVICTED = 1 << 9,  /* e */
	KEV_STREAM = 1 << 10,  /* t */
	KEV_KEY_MISS = 1 << 11, /* m: not part of A */
	KEV_MODULE = 1 << 12,  /* d */
	KEV_NEW = 1 << 13,     /* n: not part of A */
	KEV_LOCK = 1 << 14,    /* L: lock.* and pool.* events; not part of A */
};

/* A: every class Redis 7.0 turns on with it. */
#define KEV_ALL                                                                                    \
	(KEV_GENERIC | KEV_STRING | KEV_LIST | KEV_SET | KEV_HASH | KEV_ZSET | KEV_EXPIRED |       \
	 KEV_EVICTED | KEV_STREAM | KEV_MODULE)

#define KEVENT_TEXT_MAX 32 /* bytes of the flags' text form, NUL included */

/* The classes in force (set by kevent_configure); 0 = off. */
extern int kevent_flags;

/* Parses the flag letters of notify-keyspace-events. 0, or -1 on a letter
 * that names no class. */
int kevent_parse(const char *s, int *out);
/* The flags' text form as Redis's CONFIG GET shows it ("AKE", "gxE"). */
void kevent_format(int flags, char *buf, size_t size);
void kevent_configure(int flags);

/* Publishes event on (db, key) to the channels K and E ask for. */
void kevent_publish(const char *event, int db, const void *key, size_t klen);

/* Reports event on (db, key) of class cls. Cheap when the class is off. */
static inline void kevent_notify(int cls, const char *event, int db, const void *key, size_t klen)
{
	if (kevent_flags & cls)
		kevent_publish(event, db, key, klen);
}

#endif /* CACHIFY_KEVENT_H */
