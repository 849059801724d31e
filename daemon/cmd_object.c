/* cmd_object.c - OBJECT ENCODING, FREQ, IDLETIME, REFCOUNT and HELP, with
 * Redis 7's replies and errors. What the answers mean is the keyspace's
 * (store.h: access tracking by policy); this file only reports them.
 */
#include "client.h"
#include "cmd.h"
#include "cmd_args.h"
#include "object.h"
#include "reply.h"
#include "server.h"
#include "store.h"

#define OBJECT_SUB_SHOWN 128 /* bytes of an unknown subcommand quoted back, as Redis */

/* The key's entry without recording an access, or NULL after replying nil. */
static struct sentry *object_lookup(struct conn *c, const struct resp_arg *key)
{
	struct sentry *e = store_find_notouch(server.store, c->db, key->ptr, key->len);

	if (!e)
		reply_nil(c);
	return e;
}

static void object_encoding_cmd(struct conn *c, int argc, struct resp_arg *argv)
{
	struct sentry *e = object_lookup(c, &argv[2]);

	(void)argc;
	if (e)
		reply_bulk_cstr(c, object_encoding_name(e));
}

static void object_freq(struct conn *c, int argc, struct resp_arg *argv)
{
	struct sentry *e = object_lookup(c, &argv[2]);

	(void)argc;
	if (!e)
		return;
	if (!store_policy_is_lfu(server.store)) {
		reply_error(c, "ERR An LFU maxmemory policy is not selected, access frequency not "
			       "tracked. Please note that when switching between policies at runtime "
			       "LRU and LFU data will take some time to adjust.");
		return;
	}
	reply_int(c, store_lfu_freq(server.store, e));
}

static void object_idletime(struct conn *c, int argc, struct resp_arg *argv)
{
	struct sentry *e = object_lookup(c, &argv[2]);

	(void)argc;
	if (!e)
		return;
	if (store_policy_is_lfu(server.store)) {
		reply_error(c, "ERR An LFU maxmemory policy is selected, idle time not tracked. "
			       "Please note that when switching between policies at runtime LRU and "
			       "LFU data will take some time to adjust.");
		return;
	}
	reply_int(c, store_idle_s(server.store, e));
}

/* Nothing is shared between keys, so every value has one reference. */
static void object_refcount(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	if (object_lookup(c, &argv[2]))
		reply_int(c, 1);
}

static void object_help(struct conn *c, int argc, struct resp_arg *argv)
{
	static const char *const lines[] = {
		"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"ENCODING <key>",
		"    Return the kind of internal representation used in order to store the value",
		"    associated with a <key>.",
		"FREQ <key>",
		"    Return the access frequency index of the <key>. The returned integer is",
		"    proportional to the logarithm of the recent access frequency of the key.",
		"IDLETIME <key>",
		"    Return the idle time of the <key>, that is the approximated number of",
		"    seconds elapsed since the last access to the key.",
		"REFCOUNT <key>",
		"    Return the number of references of the value associated with the specified",
		"    <key>.",
		"HELP",
		"    Prints this help.",
	};

	(void)argc;
	(void)argv;
	reply_lines(c, lines, sizeof lines / sizeof lines[0]);
}

static const struct {
	const char *name;
	int argc; /* "object" and the subcommand included */
	cmd_proc *proc;
} subs[] = {
	{"encoding", 3, object_encoding_cmd}, {"freq", 3, object_freq},
	{"help", 2, object_help},	      {"idletime", 3, object_idletime},
	{"refcount", 3, object_refcount},
};

void cmd_object(struct conn *c, int argc, struct resp_arg *argv)
{
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		if (!arg_is(&argv[1], subs[i].name))
			continue;
		if (argc != subs[i].argc)
			reply_errorf(c, "ERR wrong number of arguments for 'object|%s' command",
				     subs[i].name);
		else
			subs[i].proc(c, argc, argv);
		return;
	}
	reply_errorf(c, "ERR unknown subcommand '%.*s'. Try OBJECT HELP.",
		     (int)(argv[1].len > OBJECT_SUB_SHOWN ? OBJECT_SUB_SHOWN : argv[1].len),
		     argv[1].ptr);
}
