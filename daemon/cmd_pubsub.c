/* cmd_pubsub.c - SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE,
 * SSUBSCRIBE, SUNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB, with Redis 7.0's
 * RESP2 replies. Who subscribes to what is pubsub.c's; which commands a
 * subscribed client may still run is dispatch.c's.
 */
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "cmd_args.h"
#include "keymatch.h"
#include "pubsub.h"
#include "reply.h"

/* The confirmation verbs, by kind. */
static const char *const sub_verb[PUBSUB_KINDS] = {"subscribe", "psubscribe", "ssubscribe"};
static const char *const unsub_verb[PUBSUB_KINDS] = {"unsubscribe", "punsubscribe",
						      "sunsubscribe"};

/* The count a confirmation carries: shard channels count apart, as in
 * Redis 7.0; channels and patterns together. */
static size_t sub_count(const struct conn *c, enum pubsub_kind k)
{
	if (k == PUBSUB_SHARD)
		return pubsub_count(c, PUBSUB_SHARD);
	return pubsub_count(c, PUBSUB_CHANNEL) + pubsub_count(c, PUBSUB_PATTERN);
}

static void reply_confirm(struct conn *c, const char *verb, const char *name, size_t len,
			  size_t count)
{
	reply_array(c, 3);
	reply_bulk_cstr(c, verb);
	if (name)
		reply_bulk(c, name, len);
	else
		reply_nil(c);
	reply_int(c, (long long)count);
}

/* One confirmation per name, each with the count after it. */
static void subscribe(struct conn *c, enum pubsub_kind k, int argc, struct resp_arg *argv)
{
	for (int i = 1; i < argc; i++) {
		if (pubsub_subscribe(c, k, argv[i].ptr, argv[i].len) < 0) {
			reply_error(c, ERR_OOM);
			return;
		}
		reply_confirm(c, sub_verb[k], argv[i].ptr, argv[i].len, sub_count(c, k));
	}
}

/* Without names: every subscription of the kind, newest first; a nil
 * name when there was none. */
static void unsubscribe(struct conn *c, enum pubsub_kind k, int argc, struct resp_arg *argv)
{
	const char *name;
	size_t len;

	for (int i = 1; i < argc; i++) {
		pubsub_unsubscribe(c, k, argv[i].ptr, argv[i].len);
		reply_confirm(c, unsub_verb[k], argv[i].ptr, argv[i].len, sub_count(c, k));
	}
	if (argc > 1)
		return;
	if (!pubsub_last(c, k, &name, &len)) {
		reply_confirm(c, unsub_verb[k], NULL, 0, sub_count(c, k));
		return;
	}
	while (pubsub_last(c, k, &name, &len)) {
		/* name dies with the subscription: reply before dropping it. */
		reply_array(c, 3);
		reply_bulk_cstr(c, unsub_verb[k]);
		reply_bulk(c, name, len);
		pubsub_unsubscribe(c, k, name, len);
		reply_int(c, (long long)sub_count(c, k));
	}
}

void cmd_subscribe(struct conn *c, int argc, struct resp_arg *argv)
{
	subscribe(c, PUBSUB_CHANNEL, argc, argv);
}

void cmd_psubscribe(struct conn *c, int argc, struct resp_arg *argv)
{
	subscribe(c, PUBSUB_PATTERN, argc, argv);
}

void cmd_ssubscribe(struct conn *c, int argc, struct resp_arg *argv)
{
	subscribe(c, PUBSUB_SHARD, argc, argv);
}

void cmd_unsubscribe(struct conn *c, int argc, struct resp_arg *argv)
{
	unsubscribe(c, PUBSUB_CHANNEL, argc, argv);
}

void cmd_punsubscribe(struct conn *c, int argc, struct resp_arg *argv)
{
	unsubscribe(c, PUBSUB_PATTERN, argc, argv);
}

void cmd_sunsubscribe(struct conn *c, int argc, struct resp_arg *argv)
{
	unsubscribe(c, PUBSUB_SHARD, argc, argv);
}

void cmd_publish(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	reply_int(c, (long long)pubsub_publish(PUBSUB_CHANNEL, argv[1].ptr, argv[1].len,
					       argv[2].ptr, argv[2].len));
}

void cmd_spublish(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	reply_int(c, (long long)pubsub_publish(PUBSUB_SHARD, argv[1].ptr, argv[1].len,
					       argv[2].ptr, argv[2].len));
}

/* ---- PUBSUB ------------------------------------------------------------- */

/* PUBSUB CHANNELS: names are collected first, as the reply starts with
 * their count. */
struct channels_ctx {
	struct conn *c;
	const struct resp_arg *pat; /* NULL: all */
	bool counting;
	size_t n;
};

static void channels_cb(void *arg, const char *name, size_t len)
{
	struct channels_ctx *x = arg;

	if (x->pat && !keymatch_matches(x->pat->ptr, x->pat->len, name, len, false))
		return;
	if (x->counting)
		x->n++;
	else
		reply_bulk(x->c, name, len);
}

static void pubsub_channels(struct conn *c, enum pubsub_kind k, const struct resp_arg *pat)
{
	struct channels_ctx x = {c, pat, true, 0};

	pubsub_each(k, channels_cb, &x);
	reply_array(c, x.n);
	x.counting = false;
	pubsub_each(k, channels_cb, &x);
}

static void pubsub_numsub_reply(struct conn *c, enum pubsub_kind k, int argc,
				struct resp_arg *argv)
{
	reply_array(c, (size_t)(argc - 2) * 2);
	for (int i = 2; i < argc; i++) {
		reply_bulk(c, argv[i].ptr, argv[i].len);
		reply_int(c, (long long)pubsub_numsub(k, argv[i].ptr, argv[i].len));
	}
}

static const char *const pubsub_help[] = {
	"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CHANNELS [<pattern>]",
	"    Return the currently active channels matching a <pattern> (default: '*').",
	"NUMPAT",
	"    Return number of subscriptions to patterns.",
	"NUMSUB [<channel> ...]",
	"    Return the number of subscribers for the specified channels, excluding",
	"    pattern subscriptions(default: no channels).",
	"SHARDCHANNELS [<pattern>]",
	"    Return the currently active shard level channels matching a <pattern> (default: '*').",
	"SHARDNUMSUB [<shardchannel> ...]",
	"    Return the number of subscribers for the specified shard level channel(s)",
	"HELP",
	"    Prints this help.",
};

void cmd_pubsub(struct conn *c, int argc, struct resp_arg *argv)
{
	const struct resp_arg *sub = &argv[1];

	/* Subcommand arities are dispatch's (command_docs.c), as Redis's. */
	if (arg_is(sub, "help")) {
		reply_array(c, sizeof pubsub_help / sizeof pubsub_help[0]);
		for (size_t i = 0; i < sizeof pubsub_help / sizeof pubsub_help[0]; i++)
			reply_simple(c, pubsub_help[i]);
	} else if (arg_is(sub, "numpat")) {
		reply_int(c, (long long)pubsub_numpat());
	} else if (arg_is(sub, "channels") && argc <= 3) {
		pubsub_channels(c, PUBSUB_CHANNEL, argc == 3 ? &argv[2] : NULL);
	} else if (arg_is(sub, "shardchannels") && argc <= 3) {
		pubsub_channels(c, PUBSUB_SHARD, argc == 3 ? &argv[2] : NULL);
	} else if (arg_is(sub, "numsub")) {
		pubsub_numsub_reply(c, PUBSUB_CHANNEL, argc, argv);
	} else if (arg_is(sub, "shardnumsub")) {
		pubsub_numsub_reply(c, PUBSUB_SHARD, argc, argv);
	} else if (arg_is(sub, "channels") || arg_is(sub, "shardchannels")) {
		reply_errorf(c,
			     "ERR unknown subcommand or wrong number of arguments for '%.*s'. "
			     "Try PUBSUB HELP.",
			     (int)sub->len, sub->ptr);
	} else {
		reply_errorf(c, "ERR unknown subcommand '%.*s'. Try PUBSUB HELP.",
			     (int)(sub->len > 128 ? 128 : sub->len), sub->ptr);
	}
}
