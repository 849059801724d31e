/* kevent.c - keyspace notifications: the flag letters of
 * notify-keyspace-events and the two messages an event becomes (see
 * kevent.h). Delivery is pubsub.c's.
 */
#include "kevent.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pubsub.h"

#define KEVENT_PREFIX_MAX   32  /* bytes of a channel's prefix, "__keyevent@15__:" */
#define KEVENT_CHANNEL_STACK 512 /* bytes of a channel built without malloc */

int kevent_flags;

static const struct {
	char letter;
	int cls;
} kevent_letters[] = {
	{'g', KEV_GENERIC}, {'$', KEV_STRING},	{'l', KEV_LIST},    {'s', KEV_SET},
	{'h', KEV_HASH},    {'z', KEV_ZSET},	{'x', KEV_EXPIRED}, {'e', KEV_EVICTED},
	{'t', KEV_STREAM},  {'d', KEV_MODULE},	{'n', KEV_NEW},	    {'L', KEV_LOCK},
	{'K', KEV_KEYSPACE}, {'E', KEV_KEYEVENT}, {'m', KEV_KEY_MISS},
};

int kevent_parse(const char *s, int *out)
{
	int flags = 0;

	for (; *s; s++) {
		size_t i;

		if (*s == 'A') {
			flags |= KEV_ALL;
			continue;
		}
		for (i = 0; i < sizeof kevent_letters / sizeof kevent_letters[0]; i++)
			if (kevent_letters[i].letter == *s)
				break;
		if (i == sizeof kevent_letters / sizeof kevent_letters[0])
			return -1;
		flags |= kevent_letters[i].cls;
	}
	*out = flags;
	return 0;
}

void kevent_format(int flags, char *buf, size_t size)
{
	size_t n = 0;

	/* Redis's order: A or the class letters (n only without A, as Redis
	 * 7.0 prints it), then K E m. L, ours, goes after the classes. */
	if (size == 0)
		return;
	for (size_t i = 0; i < sizeof kevent_letters / sizeof kevent_letters[0] && n + 1 < size;
	     i++) {
		int cls = kevent_letters[i].cls;
		bool all = (flags & KEV_ALL) == KEV_ALL;

		if (cls == KEV_GENERIC && all)
			buf[n++] = 'A';
		if (!(flags & cls) || n + 1 >= size)
			continue;
		if (all && ((cls & KEV_ALL) || cls == KEV_NEW))
			continue;
		buf[n++] = kevent_letters[i].letter;
	}
	buf[n] = '\0';
}

void kevent_configure(int flags)
{
	/* Without K or E nothing is published, whatever the classes. */
	kevent_flags = (flags & (KEV_KEYSPACE | KEV_KEYEVENT)) ? flags : 0;
}

/* Publishes payload on prefix + name, the channel built on the stack when
 * it fits (every event name, most keys). */
static void kevent_send(const char *prefix, size_t plen, const void *name, size_t nlen,
			const void *payload, size_t len)
{
	char stack[KEVENT_CHANNEL_STACK];
	char *chan = plen + nlen <= sizeof stack ? stack : malloc(plen + nlen);

	if (!chan)
		return; /* out of memory: the event is lost, as a full buffer would lose it */
	memcpy(chan, prefix, plen);
	memcpy(chan + plen, name, nlen);
	pubsub_publish(PUBSUB_CHANNEL, chan, plen + nlen, payload, len);
	if (chan != stack)
		free(chan);
}

void kevent_publish(const char *event, int db, const void *key, size_t klen)
{
	char prefix[KEVENT_PREFIX_MAX];
	size_t elen = strlen(event);
	int n;

	if (kevent_flags & KEV_KEYSPACE) {
		n = snprintf(prefix, sizeof prefix, "__keyspace@%d__:", db);
		kevent_send(prefix, (size_t)n, key, klen, event, elen);
	}
	if (kevent_flags & KEV_KEYEVENT) {
		n = snprintf(prefix, sizeof prefix, "__keyevent@%d__:", db);
		kevent_send(prefix, (size_t)n, event, elen, key, klen);
	}
}
