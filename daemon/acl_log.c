/* acl_log.c - ACL LOG entries: a bounded array, newest first. */
#include "acl_log.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "client_info.h"
#include "resp.h"

static struct acl_log_entry *entries[ACL_LOG_MAX];
static size_t nentries;
static uint64_t next_id;

static void entry_free(struct acl_log_entry *e)
{
	free(e->object);
	free(e->client_info);
	free(e);
}

/* c's CLIENT INFO line without its newline (new), or NULL. */
static char *client_info(struct conn *c)
{
	struct resp_buf b;
	char *s;

	resp_buf_init(&b);
	client_info_describe(&b, c, clock_ms());
	s = malloc(b.len + 1);
	if (s) {
		size_t n = b.len > 0 && b.data[b.len - 1] == '\n' ? b.len - 1 : b.len;

		if (n)
			memcpy(s, b.data, n);
		s[n] = '\0';
	}
	resp_buf_free(&b);
	return s;
}

/* Moves entry i to the front. */
static void to_front(size_t i)
{
	struct acl_log_entry *e = entries[i];

	memmove(&entries[1], &entries[0], i * sizeof *entries);
	entries[0] = e;
}

/* The entry a repeat of this denial updates, or -1. */
static long find_similar(const char *reason, const char *object, size_t len,
			 const char *username, int64_t now)
{
	for (size_t i = 0; i < nentries; i++) {
		const struct acl_log_entry *e = entries[i];

		if (strcmp(e->reason, reason) == 0 && e->objlen == len && memcmp(e->object, object, len) == 0 &&
		    strcmp(e->username, username) == 0 && now - e->updated_ms < ACL_LOG_GROUP_MS)
			return (long)i;
	}
	return -1;
}

void acl_log_add(struct conn *c, const char *reason, const char *object, size_t len,
		 const char *username)
{
	int64_t now = clock_ms(), wall = clock_wall_ms();
	char *info = client_info(c);
	struct acl_log_entry *e;
	long similar;

	if (len > ACL_LOG_OBJECT_MAX)
		len = ACL_LOG_OBJECT_MAX;
	if (!info)
		return;
	similar = find_similar(reason, object, len, username, now);
	if (similar >= 0) {
		e = entries[similar];
		e->count++;
		free(e->client_info);
		e->client_info = info;
		e->updated_ms = now;
		e->updated_wall_ms = wall;
		to_front((size_t)similar);
		return;
	}
	if (!(e = calloc(1, sizeof *e)) || !(e->object = malloc(len + 1))) {
		free(e);
		free(info);
		return;
	}
	memcpy(e->object, object, len);
	e->object[len] = '\0';
	e->objlen = len;
	e->id = next_id++;
	e->count = 1;
	e->reason = reason;
	strncpy(e->username, username, sizeof e->username - 1);
	e->client_info = info;
	e->created_wall_ms = e->updated_wall_ms = wall;
	e->updated_ms = now;
	if (nentries == ACL_LOG_MAX)
		entry_free(entries[--nentries]);
	entries[nentries++] = e;
	to_front(nentries - 1);
}

size_t acl_log_len(void)
{
	return nentries;
}

const struct acl_log_entry *acl_log_at(size_t i)
{
	return i < nentries ? entries[i] : NULL;
}

void acl_log_reset(void)
{
	while (nentries > 0)
		entry_free(entries[--nentries]);
}
