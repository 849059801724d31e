/* cmd_conn.c - connection commands: HELLO, RESET, TIME, MONITOR and CLIENT
 * (ID, INFO, LIST, KILL, GETNAME, SETNAME, SETINFO, PAUSE, UNPAUSE,
 * NO-EVICT, NO-TOUCH, HELP), with Redis 7.2's syntax, replies and errors.
 * PING, ECHO, QUIT and SELECT are cmd_server.c's; the pause itself is
 * pause.c's and the monitor feed monitor.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "block.h"
#include "client.h"
#include "client_info.h"
#include "clock.h"
#include "cmd.h"
#include "cmd_args.h"
#include "monitor.h"
#include "multi.h"
#include "pause.h"
#include "pubsub.h"
#include "reply.h"
#include "security.h"
#include "server.h"
#include "waitq.h"

#define CLIENT_SHOWN_MAX 128 /* bytes of an argument quoted back in an error */

/* ---- TIME, HELLO, RESET, MONITOR ------------------------------------------ */

void cmd_time(struct conn *c, int argc, struct resp_arg *argv)
{
	int64_t us = clock_wall_us();
	char s[32], u[32];

	(void)argc;
	(void)argv;
	snprintf(s, sizeof s, "%lld", (long long)(us / 1000000));
	snprintf(u, sizeof u, "%lld", (long long)(us % 1000000));
	reply_array(c, 2);
	reply_bulk_cstr(c, s);
	reply_bulk_cstr(c, u);
}

/* Names are shown in CLIENT LIST: printable ASCII without spaces, as Redis. */
static bool client_attr_ok(const struct resp_arg *a)
{
	for (size_t i = 0; i < a->len; i++)
		if (a->ptr[i] < '!' || a->ptr[i] > '~')
			return false;
	return true;
}

/* Sets or clears (empty value) one of c's names; -1 when out of memory. */
static int client_set_attr(char **field, const struct resp_arg *v)
{
	char *s = NULL;

	if (v->len > 0 && !(s = strndup(v->ptr, v->len)))
		return -1;
	free(*field);
	*field = s;
	return 0;
}

static int client_setname(struct conn *c, const struct resp_arg *name)
{
	if (!client_attr_ok(name)) {
		reply_error(c, "ERR Client names cannot contain spaces, newlines or special "
			       "characters.");
		return -1;
	}
	if (client_set_attr(&c->name, name) != 0) {
		reply_error(c, ERR_OOM);
		return -1;
	}
	return 0;
}

/* HELLO [protover [AUTH user pass] [SETNAME name]]. Only RESP2 exists
 * here. Options act in order, each at once, as in Redis 7.0: a SETNAME
 * before a bad option stays done. There are no passwords (peers are users
 * by their uid), so AUTH answers as Redis with no users configured:
 * "default" with any password passes, any other user is a wrong pair. */
void cmd_hello(struct conn *c, int argc, struct resp_arg *argv)
{
	long long ver;
	char opt[CLIENT_SHOWN_MAX + 1];

	if (argc >= 2) {
		if (resp_parse_ll(argv[1].ptr, argv[1].len, &ver) != 0) {
			reply_error(c, "ERR Protocol version is not an integer or out of range");
			return;
		}
		if (ver != 2) {
			reply_error(c, "NOPROTO unsupported protocol version");
			return;
		}
	}
	for (int j = 2; j < argc; j++) {
		int more = argc - 1 - j;

		if (arg_is(&argv[j], "auth") && more >= 2) {
			if (!(argv[j + 1].len == 7 && memcmp(argv[j + 1].ptr, "default", 7) == 0)) {
				reply_error(c, "WRONGPASS invalid username-password pair or user is "
					       "disabled.");
				return;
			}
			j += 2;
		} else if (arg_is(&argv[j], "setname") && more >= 1) {
			if (client_setname(c, &argv[j + 1]) != 0)
				return;
			j++;
		} else {
			/* Redis quotes the option as a C string: up to a NUL. */
			size_t n = strnlen(argv[j].ptr, argv[j].len);

			snprintf(opt, sizeof opt, "%.*s", (int)(n > CLIENT_SHOWN_MAX ? CLIENT_SHOWN_MAX : n),
				 argv[j].ptr);
			reply_errorf(c, "ERR Syntax error in HELLO option '%s'", opt);
			return;
		}
	}
	reply_array(c, 14);
	reply_bulk_cstr(c, "server");
	reply_bulk_cstr(c, "redis");
	reply_bulk_cstr(c, "version");
	reply_bulk_cstr(c, REDIS_COMPAT_VERSION);
	reply_bulk_cstr(c, "proto");
	reply_int(c, 2);
	reply_bulk_cstr(c, "id");
	reply_int(c, (long long)c->id);
	reply_bulk_cstr(c, "mode");
	reply_bulk_cstr(c, "standalone");
	reply_bulk_cstr(c, "role");
	reply_bulk_cstr(c, "master");
	reply_bulk_cstr(c, "modules");
	reply_array(c, 0);
}

/* RESET: the connection as if new, except what it holds: session-bound
 * locks and slots stay (releasing them is LOCK.RELEASE's or the close's). */
void cmd_reset(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	(void)argv;
	multi_reset(c); /* discards MULTI, unwatches */
	c->db = 0;
	free(c->name);
	c->name = NULL;
	monitor_remove(c);
	pubsub_conn_gone(c); /* leaves subscribed mode without a reply, as Redis */
	c->flags &= ~(CONN_NO_EVICT | CONN_NO_TOUCH);
	reply_simple(c, "RESET");
}

/* MONITOR: +OK, then a line for every command any client runs. A second
 * MONITOR is ignored without a reply, as in Redis. */
void cmd_monitor(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	(void)argv;
	if (c->flags & CONN_MONITOR)
		return;
	monitor_add(c);
	reply_ok(c);
}

/* ---- CLIENT --------------------------------------------------------------- */

/* PAUSE and UNPAUSE stop everyone: admins only. Else -NOPERM, false. */
static bool client_may_pause(struct conn *c, const char *sub)
{
	char user[ACL_NAME_MAX];

	if (security_is_admin(c->uid))
		return true;
	acl_user_name(c->uid, user, sizeof user);
	reply_errorf(c, "NOPERM User %s has no permissions to run the 'client|%s' command", user,
		     sub);
	return false;
}

static void client_reply_subsyntax(struct conn *c, const struct resp_arg *sub)
{
	reply_errorf(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. "
			"Try CLIENT HELP.",
		     (int)(sub->len > CLIENT_SHOWN_MAX ? CLIENT_SHOWN_MAX : sub->len), sub->ptr);
}

/* A client type name (CLIENT LIST TYPE, CLIENT KILL TYPE): every client here
 * is "normal"; replicas, masters and pub/sub clients do not exist. 1 for
 * normal, 0 for another known type, -1 (replied) for an unknown one. */
static int client_type_is_normal(struct conn *c, const struct resp_arg *t)
{
	if (arg_is(t, "normal"))
		return 1;
	if (arg_is(t, "slave") || arg_is(t, "replica") || arg_is(t, "master") ||
	    arg_is(t, "pubsub"))
		return 0;
	reply_errorf(c, "ERR Unknown client type '%.*s'",
		     (int)(t->len > CLIENT_SHOWN_MAX ? CLIENT_SHOWN_MAX : t->len), t->ptr);
	return -1;
}

static struct conn *client_by_id(uint64_t id)
{
	struct conn *x;

	LIST_FOREACH(x, &server.clients, link)
		if (x->id == id && !(x->flags & CONN_CLOSING))
			return x;
	return NULL;
}

static void client_id(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	(void)argv;
	reply_int(c, (long long)c->id);
}

static void client_info(struct conn *c, int argc, struct resp_arg *argv)
{
	struct resp_buf b;

	(void)argc;
	(void)argv;
	resp_buf_init(&b);
	client_info_describe(&b, c, clock_ms());
	reply_bulk(c, b.data ? b.data : "", b.len);
	resp_buf_free(&b);
}

/* Every client's line, oldest first as Redis lists them (server.clients is
 * newest first, and singly linked). */
static int client_describe_all(struct resp_buf *b, int64_t now)
{
	struct conn **all = malloc(server.nclients * sizeof *all);
	struct conn *x;
	size_t n = 0;

	if (!all)
		return -1;
	LIST_FOREACH(x, &server.clients, link)
		if (n < server.nclients)
			all[n++] = x;
	while (n > 0)
		if (!(all[--n]->flags & CONN_CLOSING))
			client_info_describe(b, all[n], now);
	free(all);
	return 0;
}

/* CLIENT LIST [TYPE type | ID id...]: the two are exclusive, as in Redis. */
static void client_list(struct conn *c, int argc, struct resp_arg *argv)
{
	int64_t now = clock_ms();
	struct resp_buf b;
	struct conn *x;
	int normal = 1;

	if (argc == 4 && arg_is(&argv[2], "type")) {
		if ((normal = client_type_is_normal(c, &argv[3])) < 0)
			return;
	} else if (argc > 3 && arg_is(&argv[2], "id")) {
		for (int i = 3; i < argc; i++) {
			long long id;

			if (resp_parse_ll(argv[i].ptr, argv[i].len, &id) != 0) {
				reply_error(c, "ERR Invalid client ID");
				return;
			}
		}
		resp_buf_init(&b);
		for (int i = 3; i < argc; i++) {
			long long id = 0;

			resp_parse_ll(argv[i].ptr, argv[i].len, &id);
			if (id > 0 && (x = client_by_id((uint64_t)id)))
				client_info_describe(&b, x, now);
		}
		reply_bulk(c, b.data ? b.data : "", b.len);
		resp_buf_free(&b);
		return;
	} else if (argc != 2) {
		reply_error(c, ERR_SYNTAX);
		return;
	}
	resp_buf_init(&b);
	if (normal && client_describe_all(&b, now) != 0)
		reply_error(c, ERR_OOM);
	else
		reply_bulk(c, b.data ? b.data : "", b.len);
	resp_buf_free(&b);
}

/* What CLIENT KILL's filters select; unset ones match every client. */
struct kill_filter {
	uint64_t id;		    /* 0: any */
	int type;		    /* 1 normal, 0 a type no client has, -1 any */
	const struct resp_arg *addr;  /* addr= as CLIENT LIST shows it */
	const struct resp_arg *laddr; /* laddr= likewise */
	bool skipme;
	int64_t maxage;		    /* s; 0: any age */
};

/* Unix socket peers have no address of their own: addr= and laddr= both
 * show the socket's path with ":0", as Redis shows them. */
static bool kill_addr_matches(const struct resp_arg *a)
{
	size_t n = strlen(server.cfg.unixsocket);

	return a->len == n + 2 && memcmp(a->ptr, server.cfg.unixsocket, n) == 0 &&
	       memcmp(a->ptr + n, ":0", 2) == 0;
}

static bool kill_matches(struct conn *c, struct conn *x, const struct kill_filter *f, int64_t now)
{
	if (x->flags & CONN_CLOSING)
		return false;
	if ((f->addr && !kill_addr_matches(f->addr)) || (f->laddr && !kill_addr_matches(f->laddr)))
		return false;
	if (f->type == 0 || (f->id != 0 && x->id != f->id) || (x == c && f->skipme))
		return false;
	if (f->maxage > 0 && (now - x->created_ms) / 1000 <= f->maxage)
		return false;
	/* Only admins end other users' connections (the rest skip them). */
	return x->uid == c->uid || security_is_admin(c->uid);
}

/* Parses KILL's "option value" pairs; -1 having replied. */
static int kill_parse(struct conn *c, int argc, struct resp_arg *argv, struct kill_filter *f)
{
	for (int i = 2; i < argc; i += 2) {
		const struct resp_arg *o = &argv[i], *v = &argv[i + 1];
		long long n;

		if (i + 1 >= argc) {
			reply_error(c, ERR_SYNTAX);
			return -1;
		}
		if (arg_is(o, "id")) {
			if (resp_parse_ll(v->ptr, v->len, &n) != 0 || n < 1) {
				reply_error(c, "ERR client-id should be greater than 0");
				return -1;
			}
			f->id = (uint64_t)n;
		} else if (arg_is(o, "type")) {
			if ((f->type = client_type_is_normal(c, v)) < 0)
				return -1;
		} else if (arg_is(o, "addr")) {
			f->addr = v;
		} else if (arg_is(o, "laddr")) {
			f->laddr = v;
		} else if (arg_is(o, "user")) {
			/* Peers are users by uid; the only Redis user is "default". */
			if (!(v->len == 7 && memcmp(v->ptr, "default", 7) == 0)) {
				reply_errorf(c, "ERR No such user '%.*s'",
					     (int)(v->len > CLIENT_SHOWN_MAX ? CLIENT_SHOWN_MAX : v->len),
					     v->ptr);
				return -1;
			}
		} else if (arg_is(o, "skipme")) {
			if (arg_is(v, "yes")) {
				f->skipme = true;
			} else if (arg_is(v, "no")) {
				f->skipme = false;
			} else {
				reply_error(c, ERR_SYNTAX);
				return -1;
			}
		} else if (arg_is(o, "maxage")) {
			if (resp_parse_ll(v->ptr, v->len, &n) != 0) {
				reply_error(c, "ERR maxage is not an integer or out of range");
				return -1;
			}
			f->maxage = n;
		} else {
			reply_error(c, ERR_SYNTAX);
			return -1;
		}
	}
	return 0;
}

/* CLIENT KILL addr (the old form: +OK, may kill the caller) or CLIENT
 * KILL option value... (the number killed; the caller is skipped unless
 * SKIPME no). A killed client closes in its own callback, this turn. */
static void client_kill(struct conn *c, int argc, struct resp_arg *argv)
{
	struct kill_filter f = {.type = -1, .skipme = true};
	int64_t now = clock_ms();
	long long killed = 0;
	bool self = false;
	struct conn *x;

	if (argc == 3) {
		f.addr = &argv[2];
		f.skipme = false;
	} else if (kill_parse(c, argc, argv, &f) != 0) {
		return;
	}
	LIST_FOREACH(x, &server.clients, link) {
		if (!kill_matches(c, x, &f, now))
			continue;
		killed++;
		if (x == c) {
			self = true;
			continue;
		}
		x->flags |= CONN_CLOSING;
		client_wake(x);
	}
	if (argc == 3 && killed == 0)
		reply_error(c, "ERR No such client");
	else if (argc == 3)
		reply_ok(c);
	else
		reply_int(c, killed);
	if (self)
		c->flags |= CONN_CLOSE_AFTER_REPLY;
}

/* CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends a BLPOP-style block or a lock or
 * pool wait as its timeout would (nil, or -TIMEOUT for a WAIT), or with
 * -UNBLOCKED. :1 if the client was blocked, else :0. */
static void client_unblock(struct conn *c, int argc, struct resp_arg *argv)
{
	bool error = false;
	long long id;
	struct conn *x;

	if (argc > 4) {
		client_reply_subsyntax(c, &argv[1]);
		return;
	}
	if (argc == 4) {
		if (arg_is(&argv[3], "error")) {
			error = true;
		} else if (!arg_is(&argv[3], "timeout")) {
			reply_error(c, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
			return;
		}
	}
	if (arg_ll(c, &argv[2], &id) != 0)
		return;
	LIST_FOREACH(x, &server.clients, link) {
		if (x->id != (uint64_t)id || (x->flags & CONN_CLOSING))
			continue;
		if (block_unblock(x, error) || waitq_unblock(x, error)) {
			reply_int(c, 1);
			return;
		}
		break;
	}
	reply_int(c, 0);
}

static void client_getname(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	(void)argv;
	if (c->name)
		reply_bulk_cstr(c, c->name);
	else
		reply_nil(c);
}

static void client_setname_cmd(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	if (client_setname(c, &argv[2]) == 0)
		reply_ok(c);
}

/* CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2): shown by CLIENT LIST. */
static void client_setinfo(struct conn *c, int argc, struct resp_arg *argv)
{
	const struct resp_arg *attr = &argv[2];
	int shown = (int)(attr->len > CLIENT_SHOWN_MAX ? CLIENT_SHOWN_MAX : attr->len);
	char **field;

	(void)argc;
	if (arg_is(attr, "lib-name")) {
		field = &c->lib_name;
	} else if (arg_is(attr, "lib-ver")) {
		field = &c->lib_ver;
	} else {
		reply_errorf(c, "ERR Unrecognized option '%.*s'", shown, attr->ptr);
		return;
	}
	if (!client_attr_ok(&argv[3])) {
		reply_errorf(c, "ERR %.*s cannot contain spaces, newlines or special characters.",
			     shown, attr->ptr);
		return;
	}
	if (client_set_attr(field, &argv[3]) != 0) {
		reply_error(c, ERR_OOM);
		return;
	}
	reply_ok(c);
}

/* CLIENT PAUSE ms [WRITE|ALL]: the mode is checked first, as in Redis. */
static void client_pause(struct conn *c, int argc, struct resp_arg *argv)
{
	bool all = true;
	long long ms;
	int64_t now = clock_ms();

	if (argc > 4) {
		client_reply_subsyntax(c, &argv[1]);
		return;
	}
	if (argc == 4) {
		if (arg_is(&argv[3], "write")) {
			all = false;
		} else if (!arg_is(&argv[3], "all")) {
			reply_error(c, "ERR CLIENT PAUSE mode must be WRITE or ALL");
			return;
		}
	}
	if (resp_parse_ll(argv[2].ptr, argv[2].len, &ms) != 0) {
		reply_error(c, "ERR timeout is not an integer or out of range");
		return;
	}
	if (ms < 0) {
		reply_error(c, "ERR timeout is negative");
		return;
	}
	if (ms > INT64_MAX - now) {
		reply_error(c, "ERR timeout is out of range");
		return;
	}
	if (!client_may_pause(c, "pause"))
		return;
	pause_start(now + ms, all);
	reply_ok(c);
}

static void client_unpause(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	(void)argv;
	if (!client_may_pause(c, "unpause"))
		return;
	pause_end();
	reply_ok(c);
}

/* NO-EVICT and NO-TOUCH: ON or OFF, any case. */
static void client_onoff(struct conn *c, const struct resp_arg *v, unsigned flag)
{
	if (arg_is(v, "on")) {
		c->flags |= flag;
	} else if (arg_is(v, "off")) {
		c->flags &= ~flag;
	} else {
		reply_error(c, ERR_SYNTAX);
		return;
	}
	reply_ok(c);
}

static void client_no_evict(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	client_onoff(c, &argv[2], CONN_NO_EVICT);
}

static void client_no_touch(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	client_onoff(c, &argv[2], CONN_NO_TOUCH);
}

static const char *const client_help_lines[] = {
	"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"GETNAME",
	"    Return the name of the current connection.",
	"ID",
	"    Return the ID of the current connection.",
	"INFO",
	"    Return information about the current client connection.",
	"KILL <ip:port>",
	"    Kill connection made from <ip:port>.",
	"KILL <option> <value> [<option> <value> [...]]",
	"    Kill connections. Options are:",
	"    * ADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made from the specified address",
	"    * LADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made to specified local address",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Kill connections by type.",
	"    * USER <username>",
	"      Kill connections authenticated by <username>.",
	"    * SKIPME (YES|NO)",
	"      Skip killing current connection (default: yes).",
	"    * ID <client-id>",
	"      Kill connections by client id.",
	"    * MAXAGE <maxage>",
	"      Kill connections older than the specified age.",
	"LIST [options ...]",
	"    Return information about client connections. Options:",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Return clients of specified type.",
	"UNPAUSE",
	"    Stop the current client pause, resuming traffic.",
	"PAUSE <timeout> [WRITE|ALL]",
	"    Suspend all, or just write, clients for <timeout> milliseconds.",
	"SETNAME <name>",
	"    Assign the name <name> to the current connection.",
	"SETINFO <option> <value>",
	"    Set client meta attr. Options are:",
	"    * LIB-NAME: the client lib name.",
	"    * LIB-VER: the client lib version.",
	"NO-EVICT (ON|OFF)",
	"    Protect current client connection from eviction.",
	"NO-TOUCH (ON|OFF)",
	"    Will not touch LRU/LFU stats when this mode is on.",
	"HELP",
	"    Prints this help.",
};

static void client_help(struct conn *c, int argc, struct resp_arg *argv)
{
	size_t n = sizeof client_help_lines / sizeof client_help_lines[0];

	(void)argc;
	(void)argv;
	reply_lines(c, client_help_lines, n);
}

/* The subcommands, with Redis 7.2's arities (argc counting CLIENT); which
 * of them Redis calls admin is command_call_is_admin's business. */
static const struct client_sub {
	const char *name; /* as CLIENT LIST's cmd= shows it */
	int arity;	  /* -N: at least N */
	void (*fn)(struct conn *c, int argc, struct resp_arg *argv);
} client_subs[] = {
	{"client|id", 2, client_id},
	{"client|info", 2, client_info},
	{"client|list", -2, client_list},
	{"client|kill", -3, client_kill},
	{"client|getname", 2, client_getname},
	{"client|setname", 3, client_setname_cmd},
	{"client|setinfo", 4, client_setinfo},
	{"client|pause", -3, client_pause},
	{"client|unpause", 2, client_unpause},
	{"client|no-evict", 3, client_no_evict},
	{"client|no-touch", 3, client_no_touch},
	{"client|unblock", -3, client_unblock},
	{"client|help", 2, client_help},
};

static const struct client_sub *client_sub_find(const struct resp_arg *a)
{
	for (size_t i = 0; i < sizeof client_subs / sizeof client_subs[0]; i++) {
		const char *word = client_subs[i].name + strlen("client|");

		if (arg_is(a, word))
			return &client_subs[i];
	}
	return NULL;
}

void cmd_client(struct conn *c, int argc, struct resp_arg *argv)
{
	const struct client_sub *s = client_sub_find(&argv[1]);

	if (!s) {
		reply_errorf(c, "ERR unknown subcommand '%.*s'. Try CLIENT HELP.",
			     (int)(argv[1].len > CLIENT_SHOWN_MAX ? CLIENT_SHOWN_MAX : argv[1].len),
			     argv[1].ptr);
		c->flags |= CONN_NOT_RUN;
		return;
	}
	if ((s->arity > 0 && argc != s->arity) || (s->arity < 0 && argc < -s->arity)) {
		reply_errorf(c, "ERR wrong number of arguments for '%s' command", s->name);
		c->flags |= CONN_NOT_RUN;
		return;
	}
	c->last_cmd = s->name;
	s->fn(c, argc, argv);
}
