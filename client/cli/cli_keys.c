/* cli_keys.c - `cachify is-locked` and `cachify release`: the reference's
 * is_locked and release for lock keys (prefix + KEY + "-lock") and, with
 * --once, once keys (prefix + KEY + "-once"), through cachifyd's LOCK.INFO,
 * LOCK.RELEASE and DEL (which force-releases a lock and wakes its waiters).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct key_args {
	bool once;         /* --once */
	bool verbose;      /* -v */
	const char *token; /* --token */
	char *fullkey;     /* new */
};

/* Options and KEY; CLI_OPT_NEXT, or an exit code. */
static int parse(struct cli *g, int argc, char **argv, bool release, struct key_args *a)
{
	static const struct option longs[] = {
	    {"once", no_argument, NULL, CLI_OPT_ONCE},
	    {"token", required_argument, NULL, CLI_OPT_TOKEN},
	    {"verbose", no_argument, NULL, 'v'},
	    CLI_COMMON_LONG,
	    {NULL, 0, NULL, 0},
	};
	int opt, rc;

	while ((opt = getopt_long(argc, argv, release ? "+" CLI_COMMON_SHORT : "+v" CLI_COMMON_SHORT,
	                          longs, NULL)) != -1) {
		rc = cli_common_opt(g, opt, optarg, argv);
		if (rc == CLI_OPT_NEXT)
			continue;
		if (rc != CLI_OPT_OTHER)
			return rc;
		if (opt == CLI_OPT_ONCE)
			a->once = true;
		else if (opt == CLI_OPT_TOKEN && release && *optarg)
			a->token = optarg;
		else if (opt == 'v' && !release)
			a->verbose = true;
		else
			return cli_usage_error(g, "bad option '%s'", argv[optind - 1]);
	}
	if (optind >= argc)
		return cli_usage_error(g, "no KEY given");
	if (argc - optind > 1)
		return cli_usage_error(g, "unexpected argument '%s'", argv[optind + 1]);
	if (!*argv[optind])
		return cli_usage_error(g, "empty KEY");
	if ((rc = cli_connect(g)) != 0)
		return rc;
	a->fullkey = cli_key_with(g->prefix, argv[optind], a->once ? "-once" : "-lock");
	return a->fullkey ? CLI_OPT_NEXT : cli_fail(g, CACHIFY_ENOMEM, g->cmd);
}

/* LOCK.INFO: 1 held (*info set, new), 0 free, 2 a key that is not a lock,
 * or an exit code (printed) as a negative number. */
static int lock_info(struct cli *g, const char *key, cachify_reply **info)
{
	const char *argv[] = {"LOCK.INFO", key};
	int rc = cli_call(g, info, 2, argv);

	if (rc != 0)
		return -cli_fail(g, rc, "LOCK.INFO");
	if ((*info)->type == CACHIFY_REPLY_ARRAY)
		return 1;
	rc = (*info)->type == CACHIFY_REPLY_NIL                       ? 0
	     : (*info)->type == CACHIFY_REPLY_ERROR &&
	             strncmp((*info)->str, "WRONGTYPE", 9) == 0 ? 2
	                                                        : -1;
	if (rc < 0)
		cli_warn(g, "LOCK.INFO %s: %s", key,
		         (*info)->type == CACHIFY_REPLY_ERROR ? (*info)->str : "unexpected reply");
	cachify_reply_free(*info);
	*info = NULL;
	return rc < 0 ? -CLI_EXIT_FAIL : rc;
}

/* "pid 1234 (cachify:rsync), fence 7, held 5.100s" */
static void holder(char *buf, size_t size, const cachify_reply *info)
{
	const cachify_reply *name = cli_field(info, "name");
	char held[32];

	cli_fmt_ms(held, sizeof held, cli_ifield(info, "held-ms"));
	snprintf(buf, size, "pid %lld (%.*s), fence %lld, held %s", cli_ifield(info, "pid"),
	         name && name->len ? (int)name->len : 1, name && name->len ? name->str : "-",
	         cli_ifield(info, "fence"), held);
}

int cli_cmd_is_locked(struct cli *g, int argc, char **argv)
{
	struct key_args a = {0};
	cachify_reply *info = NULL;
	char who[256];
	int rc = parse(g, argc, argv, false, &a);

	if (rc != CLI_OPT_NEXT)
		return rc;
	rc = lock_info(g, a.fullkey, &info);
	if (rc == 1 && a.verbose) {
		holder(who, sizeof who, info);
		printf("%s: held by %s\n", a.fullkey, who);
	} else if (rc == 2 && a.verbose) {
		printf("%s: a plain key holds the name (it counts as locked)\n", a.fullkey);
	} else if (rc == 0 && a.verbose) {
		printf("%s: free\n", a.fullkey);
	}
	cachify_reply_free(info);
	free(a.fullkey);
	/* exit 0 when locked, as test(1) answers "yes" */
	return rc < 0 ? -rc : rc == 0 ? 1 : 0;
}

/* release --token: the hold of that token only. */
static int release_token(struct cli *g, const struct key_args *a)
{
	const char *argv[] = {"LOCK.RELEASE", a->fullkey, a->token};
	cachify_reply *r;
	int rc = cli_call(g, &r, 3, argv);

	if (rc != 0)
		return cli_fail(g, rc, "LOCK.RELEASE");
	if (r->type == CACHIFY_REPLY_INTEGER && r->integer == 1)
		rc = 0;
	else if (r->type == CACHIFY_REPLY_ERROR && strncmp(r->str, "NOTOWNER", 8) == 0)
		rc = 1;
	else
		rc = CLI_EXIT_FAIL;
	if (rc != 0)
		cli_warn(g, "%s: %s", a->fullkey,
		         rc == 1 ? "not held by that token"
		         : r->type == CACHIFY_REPLY_ERROR ? r->str
		                                          : "unexpected reply");
	cachify_reply_free(r);
	return rc;
}

int cli_cmd_release(struct cli *g, int argc, char **argv)
{
	struct key_args a = {0};
	cachify_reply *info = NULL, *r;
	const char *del[2] = {"DEL", NULL};
	char who[256];
	int rc = parse(g, argc, argv, true, &a);

	if (rc != CLI_OPT_NEXT)
		return rc;
	del[1] = a.fullkey;
	if (a.token) {
		rc = release_token(g, &a);
	} else if ((rc = lock_info(g, a.fullkey, &info)) == 1) {
		holder(who, sizeof who, info);
		cli_warn(g, "force-releasing %s, held by %s", a.fullkey, who);
		rc = cli_call(g, &r, 2, del);
		if (rc == 0)
			cachify_reply_free(r);
		rc = rc ? cli_fail(g, rc, "DEL") : 0;
	} else if (rc >= 0) {
		cli_warn(g, rc == 0 ? "%s is not held" : "%s is not a lock (cachify del removes it)",
		         a.fullkey);
		rc = 1;
	} else {
		rc = -rc;
	}
	cachify_reply_free(info);
	free(a.fullkey);
	return rc;
}
