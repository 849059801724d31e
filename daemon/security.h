/* security.h - who may talk to cachifyd, and as whom it runs.
 *
 * Owns the peer allow-lists (allow-uid, allow-gid), the admin set
 * (admin-uid), the socket directory check and the switch to an
 * unprivileged user after binding. The socket itself is server.c's; the
 * configuration text is config.c's; what a connected peer may do
 * (acl-uid, acl-gid, acl-default) is acl.c's, validated and applied with
 * the lists here.
 */
#ifndef CACHIFY_SECURITY_H
#define CACHIFY_SECURITY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

#define SECURITY_PEER_GROUPS_MAX 256 /* supplementary groups read per peer */

/* Checks that the id lists and `user` of c name users and groups that
 * exist, and that its access rules parse. 0, or -1 with the reason in err
 * (CONFIG_ERR_MAX). */
int security_validate(const struct config *c, char *err);
/* Makes c's lists and access rules the ones in force. 0, or -1 (logged;
 * the previous ones stay in force). */
int security_configure(const struct config *c);
void security_free(void);

/* The group of the listening socket's file ("socket" in allow-gid);
 * have false when unknown (an abstract socket, a failed stat). */
void security_set_socket_gid(bool have, gid_t gid);

/* May a peer with these credentials connect? fd is its socket, read for
 * its supplementary groups (SO_PEERGROUPS) when uid and gid do not
 * decide. */
bool security_peer_is_allowed(int fd, uid_t uid, gid_t gid);
/* May uid run admin commands (FLUSHALL, FLUSHDB, CONFIG, SHUTDOWN, ACL LIST),
 * see every token and end any grant? acl.c asks, once per client and load. */
bool security_is_admin(uid_t uid);

/* The peer's supplementary groups as of its connect (SO_PEERGROUPS):
 * *groups is small (room for SECURITY_PEER_GROUPS_MAX) or, for more, new
 * (free it when it is not small); *n of them. 0, or -1 (none known). */
int security_peer_groups(int fd, gid_t *small, gid_t **groups, size_t *n);

/* Resolves a user as allow-uid does, by name or decimal uid: its uid, and
 * when it has a passwd entry its primary group and name (else (gid_t)-1
 * and ""). 0, or -1 for an unknown name. May block on NSS: for loading
 * the configuration and rare paths, not per command. */
int security_lookup_user(const char *s, uid_t *uid, gid_t *gid, char *name, size_t size);
/* A group by name or decimal gid, as allow-gid: 0, or -1 if unknown. */
int security_lookup_group(const char *s, gid_t *gid);

/* Refuses a socket directory that others could write to, or that is owned
 * by someone other than root, the daemon's user or run_user (the `user`
 * directive; may be NULL): whoever can, could replace the socket file.
 * 0, or -1 with the reason in err. */
int security_check_socket_dir(const char *socket_path, const char *run_user, char *err,
			      size_t size);

/* After binding: as root with `user` set, becomes that user (its groups,
 * gid, then uid); as root without it, warns; otherwise `user` must name
 * the current user. 0, or -1 (logged). */
int security_drop_privileges(const char *user);

#endif /* CACHIFY_SECURITY_H */
