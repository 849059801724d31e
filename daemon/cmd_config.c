/* cmd_config.c - CONFIG GET, SET, RESETSTAT, REWRITE and HELP, with Redis
 * 7's replies and errors. The directives and their parsing are config.c's,
 * writing the file config_rewrite.c's; applying a new configuration is the
 * server's (server_commit_config), the same path SIGHUP takes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "cmd_args.h"
#include "client.h"
#include "command_stats.h"
#include "config.h"
#include "keymatch.h"
#include "reply.h"
#include "server.h"
#include "store.h"

struct config_reply {
	struct resp_buf b;
	size_t n;
	const char **seen; /* names already answered: patterns may overlap */
	size_t nseen, cap;
	size_t nprev; /* of them, those answered by earlier patterns (a rule
		       * directive answers once per rule) */
};

static void config_collect_cb(void *ctx, const char *name, const char *value)
{
	struct config_reply *r = ctx;

	for (size_t i = 0; i < r->nprev; i++)
		if (strcmp(r->seen[i], name) == 0)
			return;
	if (r->nseen == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 32;
		const char **p = realloc(r->seen, cap * sizeof *p);

		if (!p)
			return;
		r->seen = p;
		r->cap = cap;
	}
	r->seen[r->nseen++] = name;
	resp_add_bulk_cstr(&r->b, name);
	resp_add_bulk_cstr(&r->b, value);
	r->n += 2;
}

static const char *const no_persistence[][2] = {{"appendonly", "no"}};

static void config_get_cmd(struct conn *c, int argc, struct resp_arg *argv)
{
	struct config_reply r = {0};

	resp_buf_init(&r.b);
	for (int i = 2; i < argc; i++) {
		char pat[256];
		size_t n = argv[i].len < sizeof pat - 1 ? argv[i].len : sizeof pat - 1;

		memcpy(pat, argv[i].ptr, n);
		pat[n] = '\0';
		r.nprev = r.nseen;
		config_get(&server.cfg, pat, config_collect_cb, &r);
		/* The append-only file redis-benchmark and others ask about:
		 * cachifyd has snapshots only. */
		for (size_t k = 0; k < sizeof no_persistence / sizeof no_persistence[0]; k++)
			if (keymatch_matches(pat, n, no_persistence[k][0],
					     strlen(no_persistence[k][0]), true))
				config_collect_cb(&r, no_persistence[k][0], no_persistence[k][1]);
	}
	reply_array(c, r.n);
	reply_raw(c, r.b.data ? r.b.data : "", r.b.len);
	resp_buf_free(&r.b);
	free(r.seen);
}

/* An argument as a C string (new; free), NULL if it holds a NUL byte or
 * memory ran out. */
static char *arg_cstr(const struct resp_arg *a)
{
	return memchr(a->ptr, '\0', a->len) ? NULL : strndup(a->ptr, a->len);
}

/* The no_persistence row for a name, or NULL. */
static const char *const *no_persistence_row(const char *name)
{
	for (size_t k = 0; k < sizeof no_persistence / sizeof no_persistence[0]; k++)
		if (strcasecmp(no_persistence[k][0], name) == 0)
			return no_persistence[k];
	return NULL;
}

static bool directive_known(const char *name)
{
	const char *d;

	if (no_persistence_row(name))
		return true;

	for (size_t i = 0; (d = config_directive_name(i)) != NULL; i++)
		if (strcasecmp(d, name) == 0)
			return true;
	return false;
}

/* The first problem with the names of CONFIG SET's pairs, as Redis finds
 * them: an unknown one answers at once (0 returned, reply sent); a
 * restart-only or repeated one sets *bad and *why. -1 when none. */
static int config_set_names(struct conn *c, int argc, struct resp_arg *argv, int *bad,
			    const char **why)
{
	for (int i = 0; 2 + 2 * i < argc; i++) {
		const struct resp_arg *n = &argv[2 + 2 * i];
		char nm[64];

		snprintf(nm, sizeof nm, "%.*s", (int)(n->len < sizeof nm ? n->len : sizeof nm - 1),
			 n->ptr);
		if (n->len >= sizeof nm || memchr(n->ptr, '\0', n->len) || !directive_known(nm)) {
			reply_errorf(c,
				     "ERR Unknown option or number of arguments for CONFIG SET - "
				     "'%.*s'",
				     (int)(n->len > 128 ? 128 : n->len), n->ptr);
			return 0;
		}
		if (config_is_restart_only(nm))
			*why = "can't set immutable config";
		for (int j = 0; j < i && !*why; j++)
			if (argv[2 + 2 * j].len == n->len &&
			    strncasecmp(argv[2 + 2 * j].ptr, n->ptr, n->len) == 0)
				*why = "duplicate parameter";
		if (*why) {
			*bad = i;
			return -1;
		}
	}
	return -1;
}

/* Puts every value into next. -1 with *bad and err set at the first that fails. */
static int config_set_values(struct config *next, int argc, struct resp_arg *argv, int *bad,
			     char *err)
{
	for (int i = 0; 2 + 2 * i < argc; i++) {
		char *name = arg_cstr(&argv[2 + 2 * i]), *value = arg_cstr(&argv[3 + 2 * i]);
		const char *const *fixed = name ? no_persistence_row(name) : NULL;
		int rc = -1;

		if (!value)
			snprintf(err, CONFIG_ERR_MAX, "argument must not hold a NUL byte");
		else if (fixed && strcasecmp(value, fixed[1]) != 0)
			snprintf(err, CONFIG_ERR_MAX,
				 "cachifyd has no append-only file (only '%s' is accepted)",
				 fixed[1]);
		else if (fixed)
			rc = 0; /* tools turning persistence off: it is off */
		else if (name)
			rc = config_set_runtime(next, name, value, err);
		free(name);
		free(value);
		if (rc != 0) {
			*bad = i;
			return -1;
		}
	}
	return 0;
}

/* CONFIG SET name value [name value ...]: all or nothing. The names are
 * checked first, then the values go into a copy of the running
 * configuration, which replaces it only if all parse and the whole passes
 * the checks a reload makes (a rule between directives is blamed on the
 * first argument). */
static void config_set_cmd(struct conn *c, int argc, struct resp_arg *argv)
{
	char err[CONFIG_ERR_MAX];
	const char *why = NULL;
	struct config next;
	int bad = -1;

	if (argc % 2 != 0) {
		reply_error(c, ERR_SYNTAX);
		return;
	}
	if (config_set_names(c, argc, argv, &bad, &why) == 0)
		return;
	if (bad < 0) {
		if (config_copy(&next, &server.cfg) != 0) {
			reply_error(c, ERR_OOM);
			return;
		}
		if (config_set_values(&next, argc, argv, &bad, err) == 0 &&
		    server_check_config(&next, err) != 0)
			bad = 0;
		if (bad < 0) {
			server_commit_config(&next);
			reply_ok(c);
			return;
		}
		config_free(&next);
		why = err;
	}
	reply_errorf(c, "ERR CONFIG SET failed (possibly related to argument '%.*s') - %s",
		     (int)(argv[2 + 2 * bad].len > 128 ? 128 : argv[2 + 2 * bad].len),
		     argv[2 + 2 * bad].ptr, why);
}

/* CONFIG RESETSTAT: what INFO counts starts again from zero, as in Redis
 * (lock and pool counters are kept: they describe grants, not traffic). */
static void config_resetstat(struct conn *c)
{
	server.stats.connections = 0;
	server.stats.rejected = 0;
	server.stats.rejected_peer = 0;
	server.stats.commands = 0;
	server.stats.net_in = 0;
	server.stats.net_out = 0;
	server.stats.proto_errors = 0;
	server.stats.used_memory_peak = store_used_memory(server.store);
	store_stats_reset(server.store);
	command_stats_reset();
	reply_ok(c);
}

static void config_rewrite_cmd(struct conn *c)
{
	char err[CONFIG_ERR_MAX];

	if (!server.config_file) {
		reply_error(c, "ERR The server is running without a config file");
		return;
	}
	if (config_rewrite(&server.cfg, server.config_file, err) != 0) {
		reply_errorf(c, "ERR Rewriting config file: %s", err);
		return;
	}
	reply_ok(c);
}

static void config_help(struct conn *c)
{
	static const char *const lines[] = {
	    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	    "GET <pattern>",
	    "    Return parameters matching the glob-like <pattern> and their values.",
	    "SET <directive> <value>",
	    "    Set the configuration <directive> to <value>.",
	    "RESETSTAT",
	    "    Reset statistics reported by the INFO command.",
	    "REWRITE",
	    "    Rewrite the configuration file.",
	    "HELP",
	    "    Prints this help.",
	};

	reply_lines(c, lines, sizeof lines / sizeof lines[0]);
}

void cmd_config(struct conn *c, int argc, struct resp_arg *argv)
{
	/* Each subcommand with its arity, as Redis's config|<sub> rows. */
	static const struct {
		const char *name;
		int arity;
	} subs[] = {{"get", -3}, {"set", -4}, {"resetstat", 2}, {"rewrite", 2}, {"help", 2}};
	size_t i;

	for (i = 0; i < sizeof subs / sizeof subs[0]; i++)
		if (arg_is(&argv[1], subs[i].name))
			break;
	if (i == sizeof subs / sizeof subs[0]) {
		reply_errorf(c, "ERR unknown subcommand '%.*s'. Try CONFIG HELP.",
			     (int)(argv[1].len > 128 ? 128 : argv[1].len), argv[1].ptr);
		return;
	}
	if (subs[i].arity > 0 ? argc != subs[i].arity : argc < -subs[i].arity) {
		reply_errorf(c, "ERR wrong number of arguments for 'config|%s' command",
			     subs[i].name);
		return;
	}
	switch (i) {
	case 0:
		config_get_cmd(c, argc, argv);
		break;
	case 1:
		config_set_cmd(c, argc, argv);
		break;
	case 2:
		config_resetstat(c);
		break;
	case 3:
		config_rewrite_cmd(c);
		break;
	default:
		config_help(c);
		break;
	}
}
