/* pubsub.h - channels, patterns and shard channels, and who subscribes to
 * each: SUBSCRIBE's state, PUBLISH's fan-out (O(subscribers + patterns)).
 *
 * The replies of the commands are cmd_pubsub.c's; a subscriber's state
 * hangs off its connection and goes with it (pubsub_conn_gone).
 */
#ifndef CACHIFY_PUBSUB_H
#define CACHIFY_PUBSUB_H

#include <stdbool.h>
#include <stddef.h>

struct conn;

enum pubsub_kind {
	PUBSUB_CHANNEL = 0, /* SUBSCRIBE */
	PUBSUB_PATTERN = 1, /* PSUBSCRIBE: glob patterns (keymatch.h) */
	PUBSUB_SHARD = 2,   /* SSUBSCRIBE: channels of their own namespace */
	PUBSUB_KINDS = 3,
};

/* Adds c to name's subscribers. 1 if new, 0 if c already was one, -1
 * when out of memory. */
int pubsub_subscribe(struct conn *c, enum pubsub_kind k, const char *name, size_t len);
/* Removes c from name's subscribers. 1 if it was one, else 0. */
int pubsub_unsubscribe(struct conn *c, enum pubsub_kind k, const char *name, size_t len);
/* c's most recent subscription of kind k, borrowed until it unsubscribes
 * (UNSUBSCRIBE without names goes newest first); false if none. */
bool pubsub_last(const struct conn *c, enum pubsub_kind k, const char **name, size_t *len);
/* c's subscriptions of kind k. */
size_t pubsub_count(const struct conn *c, enum pubsub_kind k);
/* Is c subscribed to anything (RESP2's subscribed mode)? */
bool pubsub_is_subscribed(const struct conn *c);
/* Drops all of c's subscriptions without replying (RESET, close). */
void pubsub_conn_gone(struct conn *c);

/* Sends msg to the subscribers of ch (kind PUBSUB_CHANNEL: also to
 * matching patterns' subscribers; PUBSUB_SHARD: shard subscribers only).
 * Returns how many messages were queued. */
size_t pubsub_publish(enum pubsub_kind k, const char *ch, size_t chlen, const char *msg,
		      size_t mlen);

/* Subscribers of a channel (k: PUBSUB_CHANNEL or PUBSUB_SHARD), and the
 * number of distinct patterns with subscribers (PUBSUB NUMSUB, NUMPAT). */
size_t pubsub_numsub(enum pubsub_kind k, const char *name, size_t len);
size_t pubsub_numpat(void);
/* Calls fn for every channel of kind k that has subscribers. */
typedef void pubsub_each_fn(void *ctx, const char *name, size_t len);
void pubsub_each(enum pubsub_kind k, pubsub_each_fn *fn, void *ctx);

#endif /* CACHIFY_PUBSUB_H */
