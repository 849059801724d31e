/* acl.h - what a connected peer may do: access rules per uid or group
 * (acl-uid, acl-gid, acl-default) in Redis's ACL words, keyed by the
 * peer's credentials (SO_PEERCRED) instead of passwords, and who may see
 * and end another peer's locks and pool slots.
 *
 * Owns the parsed rules, finding a peer's rule, the checks that dispatch
 * and the handlers make, and their -NOPERM replies (each logged by
 * acl_log.c). Who is an admin and name lookups are security.c's; the
 * command table and its categories are dispatch.c's; the ACL command is
 * cmd_acl.c's.
 */
#ifndef CACHIFY_ACL_H
#define CACHIFY_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "resp.h"

#define ACL_CMDS_MAX	 256	  /* commands a rule covers; the table must fit */
#define ACL_NAME_MAX	 72	  /* bytes of a user name as shown, "uid 4294967295" too */
#define ACL_TOKEN_HIDDEN "(held)" /* a lock's token or slot's id as others see it */

struct command;
struct conn;
struct sentry;

/* Checks that c's rules parse and name users, groups, commands and
 * categories that exist. 0, or -1 with the reason in err (CONFIG_ERR_MAX). */
int acl_validate(const struct config *c, char *err);
/* Makes c's rules the ones in force (every client's rule is found again
 * at its next command). 0, or -1 (logged; the previous rules stay). */
int acl_configure(const struct config *c);
/* Back to the built-in rules; empties ACL LOG. */
void acl_free(void);

/* Dispatch's check, after arity: may c run cmd on argv's keys? 0, or -1
 * having replied -NOPERM (and logged it). */
int acl_check_command(struct conn *c, const struct command *cmd, int argc,
		     struct resp_arg *argv);
/* May c see this key (SCAN leaves out the others)? */
bool acl_key_is_visible(struct conn *c, const char *key, size_t klen);

/* Is c the holder of a grant made to holder_uid (same uid), or an admin?
 * Only they see its token and may release or renew it. */
bool acl_is_holder(struct conn *c, uid_t holder_uid);
/* Replies a grant's token (or slot id) to c: itself for its holder and
 * admins, ACL_TOKEN_HIDDEN for everyone else. */
void acl_reply_token(struct conn *c, uid_t holder_uid, const char *token, size_t len);
/* May c delete or change the entry e (DEL, SET or MSET over it, EXPIRE,
 * PERSIST)? Yes for strings, and for locks and pools whose live grants
 * are all c's uid's; otherwise only for admins. 0, or -1 having replied
 * -NOPERM. */
int acl_check_force(struct conn *c, struct sentry *e);
/* The same for every entry of database db, or of all of them when db is
 * -1 (FLUSHDB, FLUSHALL granted to a non-admin). */
int acl_check_flush(struct conn *c, int db);

/* uid's user name, or "uid N" when it has none; cached (a lookup may
 * block on NSS). Writes at most size bytes (ACL_NAME_MAX is enough). */
void acl_user_name(uid_t uid, char *buf, size_t size);
/* Would a peer with these credentials be allowed cmd on argv (ACL
 * DRYRUN)? 0, or -1 with Redis's DRYRUN text in why. groups: its
 * supplementary groups (n of them). */
int acl_dryrun(uid_t uid, gid_t gid, const gid_t *groups, size_t n, const struct command *cmd,
	       int argc, struct resp_arg *argv, char *why, size_t size);
/* The i-th line of ACL LIST (config syntax: admin-uid, then the rules, then
 * acl-default), written into buf; NULL past the last. */
const char *acl_list_line(size_t i, char *buf, size_t size);

#endif /* CACHIFY_ACL_H */
