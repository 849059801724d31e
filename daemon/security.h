/* security.h - who may talk to cachifyd, and as whom it runs.
 *
 * Owns the peer allow-lists (allow-uid, allow-gid), the admin set
 * (admin-uid), the socket directory check and the switch to an
 * unprivileged user after binding. The socket itself is server.c's; the
 * configuration text is config.c's.
 */
#ifndef CACHIFY_SECURITY_H
#define CACHIFY_SECURITY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

#define SECURITY_PEER_GROUPS_MAX 256 /* supplementary groups read per peer */

/* Checks that the id lists and `user` of c name users and groups that
 * exist. 0, or -1 with the reason in err (CONFIG_ERR_MAX). */
int security_validate(const struct config *c, char *err);
/* Makes c's lists the ones in force. 0, or -1 (logged; the previous
 * lists stay in force). */
int security_configure(const struct config *c);
void security_free(void);

/* The group of the listening socket's file ("socket" in allow-gid);
 * have false when unknown (an abstract socket, a failed stat). */
void security_set_socket_gid(bool have, gid_t gid);

/* May a peer with these credentials connect? fd is its socket, read for
 * its supplementary groups (SO_PEERGROUPS) when uid and gid do not
 * decide. */
bool security_peer_is_allowed(int fd, uid_t uid, gid_t gid);
/* May uid run admin commands (FLUSHALL, CONFIG, SHUTDOWN)? */
bool security_is_admin(uid_t uid);

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
