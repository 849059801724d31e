/* acl_log.h - ACL LOG: the latest access denials, newest first, a repeat
 * within a minute counted on its entry as Redis does.
 *
 * Owns the entries and their memory; acl.c adds them as it refuses,
 * cmd_acl.c replies them.
 */
#ifndef CACHIFY_ACL_LOG_H
#define CACHIFY_ACL_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "acl.h"

#define ACL_LOG_MAX	   128	 /* entries kept, as Redis's acllog-max-len default */
#define ACL_LOG_GROUP_MS   60000 /* ms: a repeat this recent updates its entry */
#define ACL_LOG_OBJECT_MAX 512	 /* bytes of a key or command kept per entry */

struct conn;

struct acl_log_entry {
	uint64_t id;		  /* entry-id: 0, 1, ... since start */
	long long count;	  /* denials grouped here */
	const char *reason;	  /* static: "command" or "key" */
	char *object;		  /* owned: the command or key refused (objlen bytes) */
	size_t objlen;
	char username[ACL_NAME_MAX];
	char *client_info;	  /* owned: the client's CLIENT INFO line, no newline */
	int64_t created_wall_ms;  /* ms since the epoch */
	int64_t updated_wall_ms;  /* ms since the epoch */
	int64_t updated_ms;	  /* ms, monotonic: age and grouping */
};

/* Records that c (user username) was refused object (len bytes, copied up
 * to ACL_LOG_OBJECT_MAX) for reason (static storage). Out of memory: the
 * denial goes unrecorded. */
void acl_log_add(struct conn *c, const char *reason, const char *object, size_t len,
		 const char *username);
/* Entries, newest first: i from 0 below acl_log_len(). Borrowed until the
 * next add or reset. */
size_t acl_log_len(void);
const struct acl_log_entry *acl_log_at(size_t i);
/* Empties the log (ACL LOG RESET). */
void acl_log_reset(void);

#endif /* CACHIFY_ACL_LOG_H */
