/* acl.c - access rules per uid or group, and who may see and end others'
 * grants.
 *
 * A rule is one line of acl-uid, acl-gid or acl-default, parsed once per
 * load into command bitmaps (table order) and key and channel patterns.
 * A client's rule is found on its first command after each load (its uid,
 * else its primary then supplementary groups, else the default; admins
 * get everything) and kept on the client. Replies and log entries for
 * denials are made here; the ACL command's replies are cmd_acl.c's.
 */
#include "acl.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acl_log.h"
#include "client.h"
#include "cmd.h"
#include "command.h"
#include "keymatch.h"
#include "lock.h"
#include "log.h"
#include "pool.h"
#include "reply.h"
#include "security.h"
#include "server.h"
#include "store.h"

#define ACL_CMD_WORDS	 (ACL_CMDS_MAX / 64)
#define ACL_NAMES_CACHED 64   /* uid -> name lookups remembered */
#define ACL_SHOWN_MAX	 64   /* bytes of a key quoted in an error */
#define ACL_FLUSH_STEP	 1024 /* buckets per store_scan call while checking a flush */
#define ACL_OBJECT_MAX	 32   /* bytes of a denied command's name, "acl|dryrun" */

struct acl_pattern {
	const char *p; /* points into the rule's text */
	size_t len;
};

/* Key or channel patterns: everything, or a list of globs. */
struct acl_patterns {
	bool all;
	size_t n, cap;
	struct acl_pattern *v;
};

enum acl_rule_kind { ACL_RULE_UID, ACL_RULE_GID, ACL_RULE_DEFAULT };

struct acl_rule {
	enum acl_rule_kind kind;
	uint32_t id;		       /* uid or gid */
	bool admin;		       /* admin-uid: everything, no questions */
	char *text;		       /* owned: as configured, "1000 ~k* +get" */
	uint64_t allowed[ACL_CMD_WORDS]; /* by command_index() */
	/* Granted by name (+flushdb): admin-only commands need it, since
	 * +@all must not hand FLUSHALL or CONFIG to everyone. */
	uint64_t named[ACL_CMD_WORDS];
	struct acl_patterns keys, channels;
};

/* One loaded configuration. */
struct acl_set {
	struct acl_rule *uid, *gid; /* in config order */
	size_t nuid, ngid;
	struct acl_rule *def;	    /* acl-default, or NULL for the built-in */
	char *admin_text;	    /* admin-uid as configured, for ACL LIST; NULL: default */
};

_Static_assert(ACL_CMD_WORDS == 4, "acl_builtin spells out every bitmap word");

static char acl_builtin_text[] = "allcommands allkeys allchannels";

/* No acl-default: everything but admin-only commands, as before rules. */
static struct acl_rule acl_builtin = {
	.kind = ACL_RULE_DEFAULT,
	.text = acl_builtin_text,
	.allowed = {UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX},
	.keys = {.all = true},
	.channels = {.all = true},
};

static struct acl_rule acl_admin = {
	.admin = true,
	.keys = {.all = true},
	.channels = {.all = true},
};

static struct acl_set acl_set;
/* Bumped by every load, so clients find their rule again; never 0, the
 * value of a client that has not looked yet. */
static unsigned acl_gen = 1;

static struct {
	uid_t uid;
	char name[ACL_NAME_MAX];
} acl_names[ACL_NAMES_CACHED];
static size_t acl_nnames, acl_names_next;

/* ---- parsing --------------------------------------------------------------- */

static bool bit_is_set(const uint64_t *bits, size_t i)
{
	return (bits[i / 64] >> (i % 64)) & 1;
}

static void bit_set(uint64_t *bits, size_t i, bool on)
{
	if (on)
		bits[i / 64] |= 1ULL << (i % 64);
	else
		bits[i / 64] &= ~(1ULL << (i % 64));
}

static bool word_is(const char *w, size_t len, const char *s)
{
	return strlen(s) == len && strncasecmp(w, s, len) == 0;
}

static void patterns_reset(struct acl_patterns *p, bool all)
{
	p->all = all;
	p->n = 0;
}

static void patterns_free(struct acl_patterns *p)
{
	free(p->v);
}

/* Adds the pattern of the word "~pat" or "&pat" (its text stays in the
 * rule's). 0, or -1 with why. */
static int patterns_add(struct acl_patterns *p, const char *w, size_t len, const char *what,
			char *why, size_t size)
{
	if (len == 2 && w[1] == '*') {
		patterns_reset(p, true);
		return 0;
	}
	if (p->all) {
		/* Redis's rule: the list would be dead text. */
		snprintf(why, size, "'%.*s' after all%s has no effect; reset%s first", (int)len, w,
			 what, what);
		return -1;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 4;
		struct acl_pattern *v = realloc(p->v, cap * sizeof *v);

		if (!v) {
			snprintf(why, size, "out of memory");
			return -1;
		}
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n].p = w + 1;
	p->v[p->n++].len = len - 1;
	return 0;
}

static bool patterns_match(const struct acl_patterns *p, const char *s, size_t len)
{
	if (p->all)
		return true;
	for (size_t i = 0; i < p->n; i++)
		if (keymatch_matches(p->v[i].p, p->v[i].len, s, len, false))
			return true;
	return false;
}

/* The table row named name (any case), found without command_init: rules
 * are checked by `cachifyd -t`, before the daemon builds its lookup. */
static const struct command *find_command(const char *name, size_t len)
{
	const struct command *cmd;

	for (size_t i = 0; (cmd = command_at(i)) != NULL; i++)
		if (word_is(name, len, cmd->name))
			return cmd;
	return NULL;
}

/* The categories named "all" or one of ACL CAT's; 0 if none. */
static unsigned find_category(const char *name, size_t len)
{
	const struct cmd_category_name *cat;

	if (word_is(name, len, "all"))
		return ~0U;
	for (size_t i = 0; (cat = command_category_at(i)) != NULL; i++)
		if (word_is(name, len, cat->name))
			return cat->bit;
	return 0;
}

static void commands_set_all(struct acl_rule *r, bool on)
{
	memset(r->allowed, on ? 0xff : 0, sizeof r->allowed);
	if (!on)
		memset(r->named, 0, sizeof r->named);
}

/* "+cmd", "-cmd", "+@cat", "-@cat". 0, or -1 with why. */
static int rule_apply_commands(struct acl_rule *r, const char *w, size_t len, char *why,
			       size_t size)
{
	bool on = w[0] == '+';
	const struct command *cmd;

	if (len > 1 && w[1] == '@') {
		unsigned cats = find_category(w + 2, len - 2);

		if (!cats) {
			snprintf(why, size, "unknown category '%.*s' (see ACL CAT)", (int)len - 1,
				 w + 1);
			return -1;
		}
		for (size_t i = 0; (cmd = command_at(i)) != NULL; i++) {
			if (!(command_categories(cmd) & cats))
				continue;
			bit_set(r->allowed, i, on);
			if (!on)
				bit_set(r->named, i, false);
		}
		return 0;
	}
	if (memchr(w, '|', len)) {
		snprintf(why, size, "'%.*s': rules for subcommands are not supported", (int)len, w);
		return -1;
	}
	cmd = find_command(w + 1, len - 1);
	if (!cmd) {
		snprintf(why, size, "unknown command '%.*s'", (int)len - 1, w + 1);
		return -1;
	}
	bit_set(r->allowed, command_index(cmd), on);
	bit_set(r->named, command_index(cmd), on);
	return 0;
}

/* One rule word, applied in order as ACL SETUSER does. 0, or -1 with why. */
static int rule_apply(struct acl_rule *r, const char *w, size_t len, char *why, size_t size)
{
	if (word_is(w, len, "allcommands")) {
		commands_set_all(r, true);
	} else if (word_is(w, len, "nocommands")) {
		commands_set_all(r, false);
	} else if (word_is(w, len, "allkeys")) {
		patterns_reset(&r->keys, true);
	} else if (word_is(w, len, "resetkeys")) {
		patterns_reset(&r->keys, false);
	} else if (word_is(w, len, "allchannels")) {
		patterns_reset(&r->channels, true);
	} else if (word_is(w, len, "resetchannels")) {
		patterns_reset(&r->channels, false);
	} else if (word_is(w, len, "reset")) {
		commands_set_all(r, false);
		patterns_reset(&r->keys, false);
		patterns_reset(&r->channels, false);
	} else if (w[0] == '~') {
		return patterns_add(&r->keys, w, len, "keys", why, size);
	} else if (w[0] == '&') {
		return patterns_add(&r->channels, w, len, "channels", why, size);
	} else if ((w[0] == '+' || w[0] == '-') && len > 1) {
		return rule_apply_commands(r, w, len, why, size);
	} else {
		snprintf(why, size, "unknown word '%.*s'", (int)len, w);
		return -1;
	}
	return 0;
}

static void rule_free(struct acl_rule *r)
{
	free(r->text);
	patterns_free(&r->keys);
	patterns_free(&r->channels);
}

/* Parses one rule of directive (its id first unless kind is the default).
 * A new rule starts with nothing allowed, as a new Redis user. 0, or -1
 * with err. */
static int rule_parse(struct acl_rule *r, enum acl_rule_kind kind, const char *directive,
		      const char *text, char *err)
{
	char why[CONFIG_ERR_MAX / 2];
	const char *p;
	bool first = kind != ACL_RULE_DEFAULT;

	memset(r, 0, sizeof *r);
	r->kind = kind;
	if (!(r->text = strdup(text))) {
		snprintf(err, CONFIG_ERR_MAX, "out of memory");
		return -1;
	}
	for (p = r->text; *(p += strspn(p, " \t")) != '\0'; first = false) {
		size_t len = strcspn(p, " \t");
		char item[CONFIG_ID_NAME_MAX + 1];

		if (first) {
			uid_t uid;
			gid_t gid;
			int rc;

			snprintf(item, sizeof item, "%.*s", (int)len, p);
			rc = kind == ACL_RULE_UID ? security_lookup_user(item, &uid, &gid, NULL, 0)
						  : security_lookup_group(item, &gid);
			if (rc != 0) {
				snprintf(err, CONFIG_ERR_MAX, "%s: no such %s '%s'", directive,
					 kind == ACL_RULE_UID ? "user" : "group", item);
				return -1;
			}
			r->id = kind == ACL_RULE_UID ? (uint32_t)uid : (uint32_t)gid;
		} else if (rule_apply(r, p, len, why, sizeof why) != 0) {
			snprintf(err, CONFIG_ERR_MAX, "%s '%.*s': %s", directive, ACL_SHOWN_MAX * 2,
				 text, why);
			return -1;
		}
		p += len;
	}
	return 0;
}

/* Parses the lines of one list directive into *rules. 0, or -1 with err. */
static int rules_parse(const char *list, enum acl_rule_kind kind, const char *directive,
		       struct acl_rule **rules, size_t *n, char *err)
{
	char line[CONFIG_RULE_TEXT_MAX + 1];
	size_t cap = 0;

	*rules = NULL;
	*n = 0;
	for (const char *p = list ? list : ""; *p != '\0';) {
		size_t len = strcspn(p, "\n");

		if (*n == cap) {
			struct acl_rule *grown;

			cap = cap ? cap * 2 : 8;
			if (!(grown = realloc(*rules, cap * sizeof *grown))) {
				snprintf(err, CONFIG_ERR_MAX, "out of memory");
				return -1;
			}
			*rules = grown;
		}
		snprintf(line, sizeof line, "%.*s", (int)len, p);
		if (rule_parse(&(*rules)[*n], kind, directive, line, err) != 0) {
			rule_free(&(*rules)[*n]);
			return -1;
		}
		for (size_t i = 0; i < *n; i++) {
			if ((*rules)[i].id == (*rules)[*n].id) {
				/* First match wins, so the second would never apply. */
				snprintf(err, CONFIG_ERR_MAX,
					 "%s: two rules for %s %u: '%.*s' and '%.*s'", directive,
					 kind == ACL_RULE_UID ? "uid" : "gid", (unsigned)(*rules)[i].id,
					 ACL_SHOWN_MAX * 2, (*rules)[i].text, ACL_SHOWN_MAX * 2, line);
				rule_free(&(*rules)[*n]);
				return -1;
			}
		}
		(*n)++;
		p += len + (p[len] == '\n');
	}
	return 0;
}

static void set_free(struct acl_set *s)
{
	for (size_t i = 0; i < s->nuid; i++)
		rule_free(&s->uid[i]);
	for (size_t i = 0; i < s->ngid; i++)
		rule_free(&s->gid[i]);
	free(s->uid);
	free(s->gid);
	if (s->def)
		rule_free(s->def);
	free(s->def);
	free(s->admin_text);
	memset(s, 0, sizeof *s);
}

static int set_parse(const struct config *c, struct acl_set *s, char *err)
{
	memset(s, 0, sizeof *s);
	if (command_count() > ACL_CMDS_MAX) {
		fprintf(stderr, "%s:%d: %zu commands, ACL_CMDS_MAX is %d\n", __FILE__, __LINE__,
			command_count(), ACL_CMDS_MAX);
		abort();
	}
	if (rules_parse(c->acl_uid, ACL_RULE_UID, "acl-uid", &s->uid, &s->nuid, err) != 0 ||
	    rules_parse(c->acl_gid, ACL_RULE_GID, "acl-gid", &s->gid, &s->ngid, err) != 0)
		goto fail;
	if (c->acl_default && c->acl_default[0]) {
		if (!(s->def = malloc(sizeof *s->def))) {
			snprintf(err, CONFIG_ERR_MAX, "out of memory");
			goto fail;
		}
		if (rule_parse(s->def, ACL_RULE_DEFAULT, "acl-default", c->acl_default, err) != 0) {
			rule_free(s->def);
			free(s->def);
			s->def = NULL;
			goto fail;
		}
	}
	if (!(s->admin_text = strdup(c->admin_uid ? c->admin_uid : ""))) {
		snprintf(err, CONFIG_ERR_MAX, "out of memory");
		goto fail;
	}
	return 0;
fail:
	set_free(s);
	return -1;
}

int acl_validate(const struct config *c, char *err)
{
	struct acl_set s;

	if (set_parse(c, &s, err) != 0)
		return -1;
	set_free(&s);
	return 0;
}

static void acl_changed(void)
{
	if (++acl_gen == 0)
		acl_gen = 1;
	/* Users may have been renamed along with the rules. */
	acl_nnames = 0;
	acl_names_next = 0;
}

int acl_configure(const struct config *c)
{
	char err[CONFIG_ERR_MAX];
	struct acl_set s;

	if (set_parse(c, &s, err) != 0) {
		log_warning("%s; keeping the previous access rules", err);
		return -1;
	}
	set_free(&acl_set);
	acl_set = s;
	acl_changed();
	return 0;
}

void acl_free(void)
{
	set_free(&acl_set);
	acl_changed();
	acl_log_reset();
}

/* ---- finding a peer's rule ------------------------------------------------- */

static const struct acl_rule *find_rule(uid_t uid, gid_t gid, const gid_t *groups, size_t n)
{
	for (size_t i = 0; i < acl_set.nuid; i++)
		if (acl_set.uid[i].id == (uint32_t)uid)
			return &acl_set.uid[i];
	for (size_t i = 0; i < acl_set.ngid; i++)
		if (acl_set.gid[i].id == (uint32_t)gid)
			return &acl_set.gid[i];
	for (size_t i = 0; i < acl_set.ngid; i++)
		for (size_t k = 0; k < n; k++)
			if (acl_set.gid[i].id == (uint32_t)groups[k])
				return &acl_set.gid[i];
	return acl_set.def ? acl_set.def : &acl_builtin;
}

static const struct acl_rule *rule_of(struct conn *c)
{
	gid_t small[SECURITY_PEER_GROUPS_MAX], *groups = small;
	size_t n = 0;

	if (c->acl_gen == acl_gen)
		return c->acl_rule;
	if (security_is_admin(c->uid)) {
		c->acl_rule = &acl_admin;
	} else {
		/* Supplementary groups cost a system call: only when a rule
		 * could name one. */
		if (acl_set.ngid > 0 && security_peer_groups(c->fd, small, &groups, &n) != 0)
			n = 0;
		c->acl_rule = find_rule(c->uid, c->gid, groups, n);
		if (groups != small)
			free(groups);
	}
	c->acl_gen = acl_gen;
	return c->acl_rule;
}

void acl_user_name(uid_t uid, char *buf, size_t size)
{
	char dec[16], name[CONFIG_ID_NAME_MAX + 1];
	uid_t found;
	gid_t gid;

	for (size_t i = 0; i < acl_nnames; i++) {
		if (acl_names[i].uid == uid) {
			snprintf(buf, size, "%s", acl_names[i].name);
			return;
		}
	}
	snprintf(dec, sizeof dec, "%u", (unsigned)uid);
	if (security_lookup_user(dec, &found, &gid, name, sizeof name) == 0 && name[0])
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "uid %u", (unsigned)uid);
	acl_names[acl_names_next].uid = uid;
	snprintf(acl_names[acl_names_next].name, ACL_NAME_MAX, "%s", buf);
	acl_names_next = (acl_names_next + 1) % ACL_NAMES_CACHED;
	if (acl_nnames < ACL_NAMES_CACHED)
		acl_nnames++;
}

/* ---- checks ----------------------------------------------------------------- */

enum acl_verdict { ACL_OK, ACL_DENIED_CMD, ACL_DENIED_KEY };

/* What r says about cmd on argv. On a denial *object is the command's name
 * (for ACL's admin-only subcommands "acl|list", in sub) or *key the
 * index of the key argument refused. */
/* ACL subcommands that only admins run: those that show or probe other
 * users' rules and denials (WHOAMI, CAT and HELP are for everyone). */
static bool acl_sub_needs_admin(const struct resp_arg *sub)
{
	static const char *const admin_only[] = {"list", "dryrun", "log"};

	for (size_t i = 0; i < sizeof admin_only / sizeof admin_only[0]; i++)
		if (sub->len == strlen(admin_only[i]) &&
		    strncasecmp(sub->ptr, admin_only[i], sub->len) == 0)
			return true;
	return false;
}

static enum acl_verdict rule_check(const struct acl_rule *r, const struct command *cmd,
				   int argc, const struct resp_arg *argv, const char **object,
				   char *sub, size_t size, int *key)
{
	size_t i = command_index(cmd);
	int last;

	if (r->admin)
		return ACL_OK;
	*object = cmd->name;
	if (!bit_is_set(r->allowed, i) || ((cmd->flags & CMD_ADMIN) && !bit_is_set(r->named, i)))
		return ACL_DENIED_CMD;
	if (strcmp(cmd->name, "acl") == 0 && argc >= 2 && acl_sub_needs_admin(&argv[1])) {
		/* Redis names a subcommand "acl|list" (one of ours: short). */
		int n = snprintf(sub, size, "%s|", cmd->name);

		for (size_t k = 0; k < argv[1].len && (size_t)n + 1 < size; k++)
			sub[n++] = (char)tolower((unsigned char)argv[1].ptr[k]);
		sub[n] = '\0';
		*object = sub;
		return ACL_DENIED_CMD;
	}
	if (cmd->first_key <= 0 || r->keys.all)
		return ACL_OK;
	last = cmd->last_key < 0 ? argc + cmd->last_key : cmd->last_key;
	for (int k = cmd->first_key; k <= last && k < argc; k += cmd->key_step) {
		if (!patterns_match(&r->keys, argv[k].ptr, argv[k].len)) {
			*key = k;
			return ACL_DENIED_KEY;
		}
	}
	return ACL_OK;
}

int acl_check_command(struct conn *c, const struct command *cmd, int argc,
		     struct resp_arg *argv)
{
	char user[ACL_NAME_MAX], sub[ACL_OBJECT_MAX];
	const char *object = NULL;
	int key = 0;

	switch (rule_check(rule_of(c), cmd, argc, argv, &object, sub, sizeof sub, &key)) {
	case ACL_OK:
		return 0;
	case ACL_DENIED_CMD:
		acl_user_name(c->uid, user, sizeof user);
		reply_errorf(c, "NOPERM User %s has no permissions to run the '%s' command", user,
			     object);
		acl_log_add(c, "command", object, strlen(object), user);
		return -1;
	case ACL_DENIED_KEY:
		acl_user_name(c->uid, user, sizeof user);
		reply_error(c, "NOPERM No permissions to access a key");
		acl_log_add(c, "key", argv[key].ptr, argv[key].len, user);
		return -1;
	}
	return -1;
}

int acl_dryrun(uid_t uid, gid_t gid, const gid_t *groups, size_t n, const struct command *cmd,
	       int argc, struct resp_arg *argv, char *why, size_t size)
{
	char user[ACL_NAME_MAX], sub[ACL_OBJECT_MAX];
	const struct acl_rule *r = security_is_admin(uid) ? &acl_admin
							  : find_rule(uid, gid, groups, n);
	const char *object = NULL;
	int key = 0;

	switch (rule_check(r, cmd, argc, argv, &object, sub, sizeof sub, &key)) {
	case ACL_OK:
		return 0;
	case ACL_DENIED_CMD:
		acl_user_name(uid, user, sizeof user);
		snprintf(why, size, "User %s has no permissions to run the '%s' command", user,
			 object);
		return -1;
	case ACL_DENIED_KEY:
		snprintf(why, size, "No permissions to access the '%.*s' key",
			 (int)(argv[key].len > ACL_SHOWN_MAX ? ACL_SHOWN_MAX : argv[key].len),
			 argv[key].ptr);
		return -1;
	}
	return -1;
}

bool acl_key_is_visible(struct conn *c, const char *key, size_t klen)
{
	return patterns_match(&rule_of(c)->keys, key, klen);
}

bool acl_is_holder(struct conn *c, uid_t holder_uid)
{
	return c->uid == holder_uid || rule_of(c)->admin;
}

void acl_reply_token(struct conn *c, uid_t holder_uid, const char *token, size_t len)
{
	if (acl_is_holder(c, holder_uid))
		reply_bulk(c, token, len);
	else
		reply_bulk_cstr(c, ACL_TOKEN_HIDDEN);
}

/* Does e hold a live grant of a uid other than uid? Then *other is it. */
static bool entry_has_other_holder(struct sentry *e, uid_t uid, uid_t *other)
{
	if (e->type == STORE_LOCK)
		return lock_has_other_holder(e, uid, other);
	return e->type == STORE_POOL && pool_has_other_holder(e, uid, other);
}

static void deny_force(struct conn *c, struct sentry *e, uid_t other)
{
	char user[ACL_NAME_MAX], holder[ACL_NAME_MAX];
	size_t klen = e->klen > ACL_SHOWN_MAX ? ACL_SHOWN_MAX : e->klen;

	acl_user_name(other, holder, sizeof holder);
	reply_errorf(c, "NOPERM the %s '%.*s' %s %s: only its holder or an admin may delete or "
			"change it",
		     e->type == STORE_LOCK ? "lock" : "pool", (int)klen, sentry_key(e),
		     e->type == STORE_LOCK ? "is held by" : "has a slot held by", holder);
	acl_user_name(c->uid, user, sizeof user);
	acl_log_add(c, "key", sentry_key(e), e->klen, user);
}

int acl_check_force(struct conn *c, struct sentry *e)
{
	uid_t other;

	if (!entry_has_other_holder(e, c->uid, &other) || rule_of(c)->admin)
		return 0;
	deny_force(c, e, other);
	return -1;
}

struct flush_scan {
	uid_t uid;
	struct sentry *found; /* the first entry with another's grant */
	uid_t other;
};

static void flush_scan_cb(void *ctx, struct sentry *e)
{
	struct flush_scan *fs = ctx;

	if (!fs->found && entry_has_other_holder(e, fs->uid, &fs->other))
		fs->found = e;
}

int acl_check_flush(struct conn *c, int db)
{
	struct flush_scan fs = {.uid = c->uid};

	if (rule_of(c)->admin)
		return 0;
	for (int d = db < 0 ? 0 : db; d < (db < 0 ? STORE_DBS : db + 1) && !fs.found; d++) {
		uint64_t cursor = 0;

		do
			cursor = store_scan(server.store, d, cursor, ACL_FLUSH_STEP, flush_scan_cb,
					    &fs);
		while (cursor != 0 && !fs.found);
	}
	if (!fs.found)
		return 0;
	deny_force(c, fs.found, fs.other);
	return -1;
}

/* ---- ACL LIST ------------------------------------------------------------- */

const char *acl_list_line(size_t i, char *buf, size_t size)
{
	if (i == 0) {
		snprintf(buf, size, "admin-uid %s",
			 acl_set.admin_text ? acl_set.admin_text : "self,root");
	} else if (--i < acl_set.nuid) {
		snprintf(buf, size, "acl-uid %s", acl_set.uid[i].text);
	} else if ((i -= acl_set.nuid) < acl_set.ngid) {
		snprintf(buf, size, "acl-gid %s", acl_set.gid[i].text);
	} else if (i == acl_set.ngid) {
		snprintf(buf, size, "acl-default %s",
			 acl_set.def ? acl_set.def->text : acl_builtin.text);
	} else {
		return NULL;
	}
	return buf;
}
