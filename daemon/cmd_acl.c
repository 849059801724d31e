/* cmd_acl.c - ACL WHOAMI, LIST, CAT, DRYRUN, LOG and HELP, with Redis 7's
 * replies. Users are peers' uids: ACL SETUSER and friends have nothing to
 * set, the rules come from the configuration. Rules and checks are acl.c's,
 * the log's entries acl_log.c's.
 */
#include <grp.h>
#include <stdio.h>
#include <string.h>

#include "acl.h"
#include "acl_log.h"
#include "client.h"
#include "clock.h"
#include "cmd.h"
#include "cmd_args.h"
#include "reply.h"
#include "security.h"

#define ACL_LOG_COUNT_DEFAULT 10   /* entries ACL LOG shows without a count, as Redis */
#define ACL_LINE_MAX	      (CONFIG_RULE_TEXT_MAX + 32) /* bytes of an ACL LIST line */
#define ACL_WHY_MAX	      256  /* bytes of a DRYRUN denial */

static void acl_whoami(struct conn *c, int argc, struct resp_arg *argv)
{
	char name[ACL_NAME_MAX];

	(void)argc;
	(void)argv;
	acl_user_name(c->uid, name, sizeof name);
	reply_bulk_cstr(c, name);
}

static void acl_list(struct conn *c, int argc, struct resp_arg *argv)
{
	char line[ACL_LINE_MAX];
	size_t n = 0;

	(void)argc;
	(void)argv;
	while (acl_list_line(n, line, sizeof line))
		n++;
	reply_array(c, n);
	for (size_t i = 0; i < n; i++)
		reply_bulk_cstr(c, acl_list_line(i, line, sizeof line));
}

/* ACL CAT: the categories; ACL CAT category: its commands. */
static void acl_cat(struct conn *c, int argc, struct resp_arg *argv)
{
	const struct cmd_category_name *cat;
	const struct command *cmd;
	unsigned bit = 0;
	size_t n = 0;

	if (argc == 2) {
		while (command_category_at(n))
			n++;
		reply_array(c, n);
		for (size_t i = 0; i < n; i++)
			reply_bulk_cstr(c, command_category_at(i)->name);
		return;
	}
	for (size_t i = 0; (cat = command_category_at(i)) != NULL; i++)
		if (arg_is(&argv[2], cat->name))
			bit = cat->bit;
	if (!bit) {
		reply_errorf(c, "ERR Unknown category '%.*s'",
			     (int)(argv[2].len > 64 ? 64 : argv[2].len), argv[2].ptr);
		return;
	}
	for (size_t i = 0; (cmd = command_at(i)) != NULL; i++)
		n += (command_categories(cmd) & bit) != 0;
	reply_array(c, n);
	for (size_t i = 0; (cmd = command_at(i)) != NULL; i++)
		if (command_categories(cmd) & bit)
			reply_bulk_cstr(c, cmd->name);
}

/* The user DRYRUN names, by name or decimal uid: its uid, primary group
 * and supplementary groups as the passwd and group files say (a peer's
 * own may differ: setgroups, newgrp). 0, or -1 if it has no such user. */
static int dryrun_user(const struct resp_arg *a, uid_t *uid, gid_t *gid, gid_t *groups,
		       size_t *n)
{
	char s[CONFIG_ID_NAME_MAX + 1], name[CONFIG_ID_NAME_MAX + 1];
	int ngroups = SECURITY_PEER_GROUPS_MAX;

	*n = 0;
	if (a->len == 0 || a->len >= sizeof s || memchr(a->ptr, '\0', a->len))
		return -1;
	memcpy(s, a->ptr, a->len);
	s[a->len] = '\0';
	/* The resolver refuses a uid that does not fit, and (uid_t)-1. */
	if (security_lookup_user(s, uid, gid, name, sizeof name) != 0)
		return -1;
	if (name[0] == '\0')
		return 0; /* a uid without an entry: its uid is all we know */
	/* More groups than fit: the first ones, which getgrouplist filled. */
	if (getgrouplist(name, *gid, groups, &ngroups) == -1)
		ngroups = SECURITY_PEER_GROUPS_MAX;
	*n = (size_t)ngroups;
	return 0;
}

/* ACL DRYRUN user command [arg ...]: +OK, or the denial as a bulk string. */
static void acl_dryrun_cmd(struct conn *c, int argc, struct resp_arg *argv)
{
	gid_t groups[SECURITY_PEER_GROUPS_MAX];
	const struct command *cmd;
	char why[ACL_WHY_MAX];
	size_t n;
	uid_t uid;
	gid_t gid;

	if (dryrun_user(&argv[2], &uid, &gid, groups, &n) != 0) {
		reply_errorf(c, "ERR User '%.*s' not found",
			     (int)(argv[2].len > 64 ? 64 : argv[2].len), argv[2].ptr);
		return;
	}
	cmd = command_lookup(argv[3].ptr, argv[3].len);
	if (!cmd) {
		reply_errorf(c, "ERR Command '%.*s' not found",
			     (int)(argv[3].len > 64 ? 64 : argv[3].len), argv[3].ptr);
		return;
	}
	if ((cmd->arity > 0 && argc - 3 != cmd->arity) ||
	    (cmd->arity < 0 && argc - 3 < -cmd->arity)) {
		reply_errorf(c, "ERR wrong number of arguments for '%s' command", cmd->name);
		return;
	}
	if (acl_dryrun(uid, gid, groups, n, cmd, argc - 3, argv + 3, why, sizeof why) == 0)
		reply_ok(c);
	else
		reply_bulk_cstr(c, why);
}

static void acl_log_reply_entry(struct conn *c, const struct acl_log_entry *e, int64_t now)
{
	char age[32];

	snprintf(age, sizeof age, "%.3f", (double)(now - e->updated_ms) / 1000.0);
	reply_array(c, 20);
	reply_bulk_cstr(c, "count");
	reply_int(c, e->count);
	reply_bulk_cstr(c, "reason");
	reply_bulk_cstr(c, e->reason);
	reply_bulk_cstr(c, "context");
	reply_bulk_cstr(c, "toplevel");
	reply_bulk_cstr(c, "object");
	reply_bulk(c, e->object, e->objlen);
	reply_bulk_cstr(c, "username");
	reply_bulk_cstr(c, e->username);
	reply_bulk_cstr(c, "age-seconds");
	reply_bulk_cstr(c, age);
	reply_bulk_cstr(c, "client-info");
	reply_bulk_cstr(c, e->client_info);
	reply_bulk_cstr(c, "entry-id");
	reply_int(c, (long long)e->id);
	reply_bulk_cstr(c, "timestamp-created");
	reply_int(c, e->created_wall_ms);
	reply_bulk_cstr(c, "timestamp-last-updated");
	reply_int(c, e->updated_wall_ms);
}

/* ACL LOG [count | RESET] */
static void acl_log_cmd(struct conn *c, int argc, struct resp_arg *argv)
{
	long long count = ACL_LOG_COUNT_DEFAULT;
	int64_t now = clock_ms();
	size_t n;

	if (argc == 3 && arg_is(&argv[2], "reset")) {
		acl_log_reset();
		reply_ok(c);
		return;
	}
	if (argc == 3 && arg_ll(c, &argv[2], &count) != 0)
		return;
	if (count < 0) {
		reply_error(c, "ERR value is out of range, must be positive");
		return;
	}
	n = acl_log_len() < (unsigned long long)count ? acl_log_len() : (size_t)count;
	reply_array(c, n);
	for (size_t i = 0; i < n; i++)
		acl_log_reply_entry(c, acl_log_at(i), now);
}

static void acl_help(struct conn *c, int argc, struct resp_arg *argv)
{
	static const char *const lines[] = {
		"ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"CAT [<category>]",
		"    List all commands that belong to <category>, or all command categories",
		"    when no category is specified.",
		"DRYRUN <user-or-uid> <command> [<arg> ...]",
		"    Returns whether the user can execute the given command without executing",
		"    the command.",
		"LIST",
		"    Show the rules in force, in cachifyd.conf syntax (admin-uid, acl-uid,",
		"    acl-gid, acl-default).",
		"LOG [<count> | RESET]",
		"    Show the ACL log entries.",
		"WHOAMI",
		"    Return the current connection's user: the name of its uid, or \"uid N\".",
		"HELP",
		"    Print this help.",
	};

	(void)argc;
	(void)argv;
	reply_lines(c, lines, sizeof lines / sizeof lines[0]);
}

static const struct {
	const char *name;
	int min_argc, max_argc; /* "acl" and the subcommand included */
	cmd_proc *proc;
} subs[] = {
	{"cat", 2, 3, acl_cat},		{"dryrun", 4, RESP_ARGS_MAX_CEILING, acl_dryrun_cmd},
	{"help", 2, 2, acl_help},	{"list", 2, 2, acl_list},
	{"log", 2, 3, acl_log_cmd},	{"whoami", 2, 2, acl_whoami},
};

void cmd_acl(struct conn *c, int argc, struct resp_arg *argv)
{
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		if (!arg_is(&argv[1], subs[i].name))
			continue;
		if (argc < subs[i].min_argc || argc > subs[i].max_argc)
			reply_errorf(c, "ERR wrong number of arguments for 'acl|%s' command",
				     subs[i].name);
		else
			subs[i].proc(c, argc, argv);
		return;
	}
	reply_errorf(c, "ERR unknown subcommand '%.*s'. Try ACL HELP.",
		     (int)(argv[1].len > 64 ? 64 : argv[1].len), argv[1].ptr);
}
