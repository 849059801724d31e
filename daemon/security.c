/* security.c - peer allow-lists, the admin set, the socket directory check
 * and the switch to an unprivileged user.
 *
 * The lists come from config.c already normalized ("a,1000,self"); here
 * names become ids (once per load or reload, never per connection) and
 * each accepted socket's credentials are checked against them. Writing the
 * rejection and closing is server.c's.
 */
#include "security.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "resp.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59 /* Linux 4.13; older C libraries lack the name */
#endif

/* One list, resolved: the keywords as flags, names as ids. */
struct idset {
	bool any;    /* "*" */
	bool self;   /* "self": the daemon's effective uid when checked */
	bool socket; /* "socket": the listening socket file's group */
	size_t n;
	uint32_t ids[CONFIG_IDS_MAX];
};

struct policy {
	struct idset allow_uid, allow_gid, admin_uid;
};

/* The defaults (self,root / socket / self,root) until security_configure
 * runs, so in-process users of dispatch see what a started daemon does. */
#define POLICY_DEFAULT                                                                             \
	{                                                                                          \
		.allow_uid = {.self = true, .n = 1, .ids = {0}}, .allow_gid = {.socket = true},   \
		.admin_uid = {.self = true, .n = 1, .ids = {0}},                                   \
	}
static const struct policy policy_default = POLICY_DEFAULT;

/* Spelled out again: C wants a constant expression here, not an object. */
static struct policy policy = POLICY_DEFAULT;
static bool have_socket_gid;
static gid_t socket_gid;

/* Is s all decimal digits? Then it is an id, never a name (useradd(8) and
 * groupadd(8) refuse all-digit names), and must be a valid one. */
static bool is_numeric(const char *s)
{
	return s[0] != '\0' && strspn(s, "0123456789") == strlen(s);
}

/* A decimal uid or gid, up to CONFIG_ID_MAX: 0, or -1 (overflow, (uid_t)-1). */
static int parse_id(const char *s, uint32_t *id)
{
	unsigned long long v;

	if (resp_parse_ull(s, strlen(s), CONFIG_ID_MAX, &v) != 0)
		return -1;
	*id = (uint32_t)v;
	return 0;
}

/* A user's uid and primary gid by name or decimal id. 0, or -1 if unknown
 * (an id needs no passwd entry unless want_entry). */
static int lookup_user(const char *s, bool want_entry, uid_t *uid, gid_t *gid, char *name,
		       size_t size)
{
	struct passwd *pw;
	bool numeric = is_numeric(s);
	uint32_t id = 0;

	if (numeric && parse_id(s, &id) != 0)
		return -1;
	errno = 0;
	pw = numeric ? getpwuid((uid_t)id) : getpwnam(s);
	if (!pw) {
		if (!numeric || want_entry)
			return -1;
		*uid = (uid_t)id;
		return 0;
	}
	*uid = pw->pw_uid;
	if (gid)
		*gid = pw->pw_gid;
	if (name)
		snprintf(name, size, "%s", pw->pw_name);
	return 0;
}

static int lookup_group(const char *s, gid_t *gid)
{
	struct group *gr;
	uint32_t id;

	if (is_numeric(s)) {
		if (parse_id(s, &id) != 0)
			return -1;
		*gid = (gid_t)id;
		return 0;
	}
	errno = 0;
	gr = getgrnam(s);
	if (!gr)
		return -1;
	*gid = gr->gr_gid;
	return 0;
}

/* Resolves one normalized list of directive `name`. 0, or -1 with err. */
static int idset_parse(const char *list, bool groups, const char *name, struct idset *out,
		       char *err)
{
	const char *p = list ? list : "";

	memset(out, 0, sizeof *out);
	while (*p) {
		char item[CONFIG_ID_NAME_MAX + 1];
		size_t len = strcspn(p, ",");

		if (len == 0 || len > CONFIG_ID_NAME_MAX) {
			snprintf(err, CONFIG_ERR_MAX, "%s: malformed list '%s'", name, list);
			return -1;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		p += len + (p[len] == ',');
		if (strcmp(item, CONFIG_ID_ANY) == 0) {
			out->any = true;
			continue;
		}
		if (!groups && strcmp(item, CONFIG_ID_SELF) == 0) {
			out->self = true;
			continue;
		}
		if (groups && strcmp(item, CONFIG_ID_SOCKET) == 0) {
			out->socket = true;
			continue;
		}
		if (out->n == CONFIG_IDS_MAX) {
			snprintf(err, CONFIG_ERR_MAX, "%s: more than %d entries", name,
				 CONFIG_IDS_MAX);
			return -1;
		}
		if (groups) {
			gid_t g;

			if (lookup_group(item, &g) != 0) {
				snprintf(err, CONFIG_ERR_MAX, "%s: no such group '%s'", name, item);
				return -1;
			}
			out->ids[out->n++] = (uint32_t)g;
		} else {
			uid_t u;

			if (lookup_user(item, false, &u, NULL, NULL, 0) != 0) {
				snprintf(err, CONFIG_ERR_MAX, "%s: no such user '%s'", name, item);
				return -1;
			}
			out->ids[out->n++] = (uint32_t)u;
		}
	}
	return 0;
}

static bool idset_has(const struct idset *s, uint32_t id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->ids[i] == id)
			return true;
	return false;
}

static bool idset_has_uid(const struct idset *s, uid_t uid)
{
	if (uid == (uid_t)-1)
		return s->any;
	return s->any || (s->self && uid == geteuid()) || idset_has(s, (uint32_t)uid);
}

static bool idset_has_gid(const struct idset *s, gid_t gid)
{
	if (gid == (gid_t)-1)
		return s->any;
	return s->any || (s->socket && have_socket_gid && gid == socket_gid) ||
	       idset_has(s, (uint32_t)gid);
}

static int policy_parse(const struct config *c, struct policy *p, char *err)
{
	if (idset_parse(c->allow_uid, false, "allow-uid", &p->allow_uid, err) != 0 ||
	    idset_parse(c->allow_gid, true, "allow-gid", &p->allow_gid, err) != 0 ||
	    idset_parse(c->admin_uid, false, "admin-uid", &p->admin_uid, err) != 0)
		return -1;
	return 0;
}

int security_validate(const struct config *c, char *err)
{
	struct policy p;
	uid_t uid;
	gid_t gid;

	if (c->user && c->user[0] &&
	    lookup_user(c->user, true, &uid, &gid, NULL, 0) != 0) {
		snprintf(err, CONFIG_ERR_MAX, "user: no such user '%s'", c->user);
		return -1;
	}
	return policy_parse(c, &p, err);
}

int security_configure(const struct config *c)
{
	char err[CONFIG_ERR_MAX];
	struct policy p;

	if (policy_parse(c, &p, err) != 0) {
		log_warning("%s; keeping the previous access lists", err);
		return -1;
	}
	policy = p;
	return 0;
}

void security_free(void)
{
	policy = policy_default;
	have_socket_gid = false;
}

int security_lookup_user(const char *s, uid_t *uid, gid_t *gid, char *name, size_t size)
{
	*gid = (gid_t)-1;
	if (size > 0)
		name[0] = '\0';
	return lookup_user(s, false, uid, gid, name, size);
}

int security_lookup_group(const char *s, gid_t *gid)
{
	return lookup_group(s, gid);
}

void security_set_socket_gid(bool have, gid_t gid)
{
	have_socket_gid = have;
	socket_gid = gid;
}

int security_peer_groups(int fd, gid_t *small, gid_t **groups, size_t *n)
{
	socklen_t len = SECURITY_PEER_GROUPS_MAX * sizeof *small;

	*groups = small;
	*n = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, small, &len) != 0) {
		if (errno != ERANGE || len == 0 || !(*groups = malloc(len))) {
			*groups = small;
			return -1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, *groups, &len) != 0) {
			free(*groups);
			*groups = small;
			return -1;
		}
	}
	*n = len / sizeof *small;
	return 0;
}

/* Is any of the peer's supplementary groups in allow-gid? */
static bool peer_groups_allowed(int fd)
{
	gid_t small[SECURITY_PEER_GROUPS_MAX];
	gid_t *groups;
	size_t n;
	bool found = false;

	if (security_peer_groups(fd, small, &groups, &n) != 0)
		return false;
	for (size_t i = 0; i < n && !found; i++)
		found = idset_has_gid(&policy.allow_gid, groups[i]);
	if (groups != small)
		free(groups);
	return found;
}

bool security_peer_is_allowed(int fd, uid_t uid, gid_t gid)
{
	const struct idset *g = &policy.allow_gid;

	if (idset_has_uid(&policy.allow_uid, uid) || idset_has_gid(g, gid))
		return true;
	if (g->n == 0 && !(g->socket && have_socket_gid))
		return false;
	return peer_groups_allowed(fd);
}

bool security_is_admin(uid_t uid)
{
	return idset_has_uid(&policy.admin_uid, uid);
}

/* May the owner of the socket directory be trusted with the socket? Root,
 * the daemon itself, and the user it switches to can all replace the file
 * anyway; anyone else who owns the directory could rename their own
 * socket onto the path and receive other clients' commands. */
static bool security_dir_owner_ok(uid_t owner, const char *run_user)
{
	uid_t uid;
	gid_t gid;

	if (owner == 0 || owner == geteuid())
		return true;
	return run_user && run_user[0] &&
	       lookup_user(run_user, false, &uid, &gid, NULL, 0) == 0 && owner == uid;
}

int security_check_socket_dir(const char *socket_path, const char *run_user, char *err,
			      size_t size)
{
	const char *slash = strrchr(socket_path, '/');
	char dir[4096];
	struct stat st;

	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == socket_path)
		snprintf(dir, sizeof dir, "/");
	else
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - socket_path), socket_path);
	if (stat(dir, &st) != 0) {
		snprintf(err, size, "socket directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, size, "socket directory %s is not a directory", dir);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, size,
			 "socket directory %s is %s-writable (mode %04o): other users could "
			 "replace the socket; use a directory only its owner can write to, "
			 "such as /run/cachifyd (mode 0755)",
			 dir, (st.st_mode & S_IWOTH) ? "world" : "group",
			 (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (!security_dir_owner_ok(st.st_uid, run_user)) {
		snprintf(err, size,
			 "socket directory %s is owned by uid %u, who could replace the socket; "
			 "use a directory owned by root, by the daemon's user or by 'user'",
			 dir, (unsigned)st.st_uid);
		return -1;
	}
	return 0;
}

int security_drop_privileges(const char *user)
{
	char name[256] = "";
	uid_t euid = geteuid(), uid;
	gid_t gid;

	if (!user || !user[0]) {
		if (euid == 0)
			log_warning("running as root: set 'user' in the configuration to switch "
				    "to an unprivileged user after binding the socket");
		return 0;
	}
	if (lookup_user(user, true, &uid, &gid, name, sizeof name) != 0) {
		log_warning("user: no such user '%s'", user);
		return -1;
	}
	if (uid == euid)
		return 0;
	if (euid != 0) {
		log_warning("user %s: only root can switch users, and cachifyd runs as uid %u",
			    user, (unsigned)euid);
		return -1;
	}
	/* Groups first: once the uid is gone, so is the right to set them. */
	if (initgroups(name, gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
		log_warning("cannot switch to user %s (uid %u gid %u): %s", name, (unsigned)uid,
			    (unsigned)gid, strerror(errno));
		return -1;
	}
	if (setuid(0) != -1 || geteuid() == 0) {
		log_warning("switched to user %s but could get root back; refusing to run", name);
		return -1;
	}
	log_notice("switched to user %s (uid %u, gid %u)", name, (unsigned)uid, (unsigned)gid);
	return 0;
}
