/* grant.c - holder records, fences, tokens and grant replies, shared by
 * lock.c and pool.c. */
#include "grant.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "clock.h"
#include "entry.h"
#include "random.h"
#include "reply.h"

static uint64_t last_fence;

uint64_t grant_next_fence(void)
{
	int64_t wall_us = clock_wall_ms() * 1000;

	if (wall_us > 0 && (uint64_t)wall_us > last_fence)
		last_fence = (uint64_t)wall_us;
	else
		last_fence++;
	return last_fence;
}

uint64_t grant_fence_hwm(void)
{
	return last_fence;
}

void grant_fence_raise(uint64_t floor)
{
	if (floor > last_fence)
		last_fence = floor;
}

void grant_token(char *buf)
{
	random_hex(buf, GRANT_TOKEN_HEX / 2);
}

void holder_init(struct holder *h, struct conn *c, bool detach)
{
	h->owner = detach ? NULL : c;
	h->client_id = c->id;
	h->pid = c->pid;
	h->uid = c->uid;
	h->name = c->name ? strdup(c->name) : NULL;
	h->since_ms = clock_ms();
}

int holder_restore(struct holder *h, const struct grant_saved *g)
{
	memset(h, 0, sizeof *h);
	h->pid = g->pid;
	h->uid = g->uid;
	h->since_ms = g->since_ms;
	if (g->nlen > 0 && !(h->name = strndup(g->name, g->nlen)))
		return -1;
	return 0;
}

void holder_free(struct holder *h)
{
	free(h->name);
	h->name = NULL;
}

size_t holder_bytes(const struct holder *h)
{
	return h->name ? malloc_usable_size(h->name) : 0;
}

void grant_reply(struct conn *c, const char *id, size_t len, uint64_t fence)
{
	reply_array(c, 2);
	reply_bulk(c, id, len);
	reply_int(c, (long long)fence);
}

void grant_reply_holder(struct conn *c, const struct holder *h, int64_t expire)
{
	int64_t now = clock_ms();

	reply_bulk_cstr(c, "client-id");
	reply_int(c, (long long)h->client_id);
	reply_bulk_cstr(c, "pid");
	reply_int(c, h->pid);
	reply_bulk_cstr(c, "uid");
	reply_int(c, (long long)h->uid);
	reply_bulk_cstr(c, "name");
	reply_bulk_cstr(c, h->name ? h->name : "");
	reply_bulk_cstr(c, "held-ms");
	reply_int(c, now - h->since_ms);
	reply_bulk_cstr(c, "ttl-ms");
	reply_int(c, expire == STORE_NO_EXPIRE ? -1 : (expire > now ? expire - now : 0));
}

void grant_reply_session(struct conn *c, const struct holder *h)
{
	reply_bulk_cstr(c, "session");
	reply_int(c, h->owner != NULL);
}
