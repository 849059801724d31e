/* cmd_command.c - COMMAND and its subcommands (COUNT, LIST, INFO, DOCS,
 * GETKEYS, GETKEYSANDFLAGS, HELP) with Redis 7's reply shapes. What they
 * describe is the command table (command.c) and the docs table
 * (command_docs.c, whose argument notation is parsed here).
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "cmd_args.h"
#include "client.h"
#include "command.h"
#include "command_docs.h"
#include "keymatch.h"
#include "reply.h"

#define DOC_WORD_MAX 64 /* bytes of one name, type or token in the notation */

/* ---- the argument notation (see command_docs.h) -------------------------- */

/* A span of the notation: [p, end). */
struct span {
	const char *p, *end;
};

/* The next item of a list in s, items separated by sep at depth 0 (outside
 * (...) and {...}). Advances s; false at the end. */
static bool span_next(struct span *s, char sep, struct span *item)
{
	int depth = 0;
	const char *q;

	while (s->p < s->end && *s->p == sep)
		s->p++;
	if (s->p >= s->end)
		return false;
	for (q = s->p; q < s->end; q++) {
		if (*q == '(' || *q == '{')
			depth++;
		else if (*q == ')' || *q == '}')
			depth--;
		else if (*q == sep && depth == 0)
			break;
	}
	item->p = s->p;
	item->end = q;
	s->p = q;
	return true;
}

static size_t span_count(struct span s, char sep)
{
	struct span item;
	size_t n = 0;

	while (span_next(&s, sep, &item))
		n++;
	return n;
}

/* One argument of the notation, taken apart. */
struct doc_arg {
	char name[DOC_WORD_MAX], type[DOC_WORD_MAX], token[DOC_WORD_MAX];
	bool optional, multiple;
	int key_spec;	  /* a key's spec given by "@N", or -1: the next one */
	struct span kids; /* oneof / block: the inside */
	char sep;         /* between kids: '|' (oneof) or ' ' (block) */
};

static void word_copy(char *dst, const char *p, size_t n)
{
	if (n >= DOC_WORD_MAX)
		n = DOC_WORD_MAX - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
}

static void doc_arg_parse(struct span s, struct doc_arg *a)
{
	const char *q;

	memset(a, 0, sizeof *a);
	if (s.end > s.p && strchr("?+*", s.end[-1])) {
		a->optional = s.end[-1] != '+';
		a->multiple = s.end[-1] != '?';
		s.end--;
	}
	q = s.p + strcspn(s.p, "=:({");
	if (q < s.end && *q == '=') {
		word_copy(a->token, s.p, (size_t)(q - s.p));
		s.p = q + 1;
		q = s.p + strcspn(s.p, ":({");
	}
	if (q >= s.end) {
		/* A pure token: named after itself. */
		word_copy(a->token, s.p, (size_t)(s.end - s.p));
		for (size_t i = 0; a->token[i]; i++)
			a->name[i] = (char)tolower((unsigned char)a->token[i]);
		strcpy(a->type, "pure-token");
		return;
	}
	if (*q == ':') {
		const char *colon = s.end - 1, *at;

		while (*colon != ':')
			colon--;
		word_copy(a->name, s.p, (size_t)(colon - s.p));
		at = memchr(colon, '@', (size_t)(s.end - colon));
		word_copy(a->type, colon + 1, (size_t)((at ? at : s.end) - colon - 1));
		a->key_spec = at ? atoi(at + 1) : -1;
		return;
	}
	word_copy(a->name, s.p, (size_t)(q - s.p));
	strcpy(a->type, *q == '(' ? "oneof" : "block");
	a->sep = *q == '(' ? '|' : ' ';
	a->kids.p = q + 1;
	a->kids.end = s.end - 1;
}

static void reply_doc_args(struct conn *c, struct span list, char sep, int *key_index);

static void reply_doc_arg(struct conn *c, struct span s, int *key_index)
{
	struct doc_arg a;
	size_t fields = 2;

	doc_arg_parse(s, &a);
	fields += strcmp(a.type, "key") == 0;
	fields += a.token[0] != '\0';
	fields += a.optional || a.multiple;
	fields += a.sep != 0;
	reply_array(c, fields * 2);
	reply_bulk_cstr(c, "name");
	reply_bulk_cstr(c, a.name);
	reply_bulk_cstr(c, "type");
	reply_bulk_cstr(c, a.type);
	if (strcmp(a.type, "key") == 0) {
		reply_bulk_cstr(c, "key_spec_index");
		reply_int(c, a.key_spec >= 0 ? a.key_spec : (*key_index)++);
	}
	if (a.token[0]) {
		reply_bulk_cstr(c, "token");
		reply_bulk_cstr(c, a.token);
	}
	if (a.optional || a.multiple) {
		reply_bulk_cstr(c, "flags");
		reply_array(c, (size_t)a.optional + (size_t)a.multiple);
		if (a.optional)
			reply_simple(c, "optional");
		if (a.multiple)
			reply_simple(c, "multiple");
	}
	if (a.sep) {
		reply_bulk_cstr(c, "arguments");
		reply_doc_args(c, a.kids, a.sep, key_index);
	}
}

static void reply_doc_args(struct conn *c, struct span list, char sep, int *key_index)
{
	struct span item;

	reply_array(c, span_count(list, sep));
	while (span_next(&list, sep, &item))
		reply_doc_arg(c, item, key_index);
}

/* ---- COMMAND DOCS ------------------------------------------------------- */

static size_t doc_subcommands(const char *parent, const struct command_doc **subs, size_t max)
{
	size_t n = 0, plen = strlen(parent);
	const struct command_doc *d;

	for (size_t i = 0; (d = command_docs_at(i)) != NULL; i++)
		if (strncmp(d->name, parent, plen) == 0 && d->name[plen] == '|' && n < max)
			subs[n++] = d;
	return n;
}

#define SUBS_MAX 32 /* subcommands of one command */

/* One command's docs map (as an array of pairs: RESP2). */
static void reply_doc(struct conn *c, const struct command_doc *d)
{
	const struct command_doc *subs[SUBS_MAX];
	size_t nsubs = strchr(d->name, '|') ? 0 : doc_subcommands(d->name, subs, SUBS_MAX);
	size_t fields = 3 + (d->complexity[0] != '\0') + (d->args[0] != '\0') + (nsubs > 0);
	int key_index = 0;

	reply_array(c, fields * 2);
	reply_bulk_cstr(c, "summary");
	reply_bulk_cstr(c, d->summary);
	reply_bulk_cstr(c, "since");
	reply_bulk_cstr(c, d->since);
	reply_bulk_cstr(c, "group");
	reply_bulk_cstr(c, d->group);
	if (d->complexity[0]) {
		reply_bulk_cstr(c, "complexity");
		reply_bulk_cstr(c, d->complexity);
	}
	if (d->args[0]) {
		struct span all = {d->args, d->args + strlen(d->args)};

		reply_bulk_cstr(c, "arguments");
		reply_doc_args(c, all, ' ', &key_index);
	}
	if (nsubs) {
		reply_bulk_cstr(c, "subcommands");
		reply_array(c, nsubs * 2);
		for (size_t i = 0; i < nsubs; i++) {
			reply_bulk_cstr(c, subs[i]->name);
			reply_doc(c, subs[i]);
		}
	}
}

static void command_docs(struct conn *c, int argc, struct resp_arg *argv)
{
	const struct command_doc *found[256];
	const struct command *cmd;
	size_t n = 0;

	if (argc == 2) {
		for (size_t i = 0; (cmd = command_at(i)) != NULL && n < 256; i++)
			if ((found[n] = command_docs_find(cmd->name, strlen(cmd->name))) != NULL)
				n++;
	} else {
		/* Names without docs (or commands) are left out, as in Redis. */
		for (int i = 2; i < argc && n < 256; i++)
			if ((found[n] = command_docs_find(argv[i].ptr, argv[i].len)) != NULL)
				n++;
	}
	reply_array(c, n * 2);
	for (size_t i = 0; i < n; i++) {
		reply_bulk_cstr(c, found[i]->name);
		reply_doc(c, found[i]);
	}
}

/* ---- COMMAND INFO ------------------------------------------------------- */

/* The command's ACL categories as Redis 7 shows them: "@write" and so on. */
static void reply_categories(struct conn *c, const struct command *cmd)
{
	unsigned cats = command_categories(cmd);
	const struct cmd_category_name *cat;
	size_t n = 0;

	for (size_t i = 0; (cat = command_category_at(i)) != NULL; i++)
		n += (cats & cat->bit) != 0;
	reply_array(c, n);
	for (size_t i = 0; (cat = command_category_at(i)) != NULL; i++) {
		char name[32];

		if (cats & cat->bit) {
			snprintf(name, sizeof name, "@%s", cat->name);
			reply_simple(c, name);
		}
	}
}

/* Blank-separated words of s as simple strings, or bulk ones. */
static void reply_words(struct conn *c, const char *s, size_t len, bool bulk)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] != ' ' && (i == 0 || s[i - 1] == ' ');
	reply_array(c, n);
	while (len > 0) {
		size_t w;
		char word[DOC_WORD_MAX];

		while (len > 0 && *s == ' ') {
			s++;
			len--;
		}
		for (w = 0; w < len && s[w] != ' '; w++)
			;
		if (w == 0)
			break;
		word_copy(word, s, w);
		if (bulk)
			reply_bulk_cstr(c, word);
		else
			reply_simple(c, word);
		s += w;
		len -= w;
	}
}

/* One key spec, parsed: flags (blank-separated), begin index, last key, step, notes. */
struct key_spec {
	char flags[DOC_WORD_MAX];
	long index, lastkey, keystep;
	const char *notes; /* NULL or into the spec text, up to its end */
	size_t notes_len;
};

/* The key specs of cmd: from its docs entry, or one derived from its row. */
static size_t key_specs(const struct command *cmd, struct key_spec *ks, size_t max)
{
	const struct command_doc *d = command_docs_find(cmd->name, strlen(cmd->name));
	const char *s = d && d->keyspecs ? d->keyspecs : NULL;
	size_t n = 0;

	if (!s) {
		if (cmd->first_key <= 0 || max == 0)
			return 0;
		snprintf(ks[0].flags, sizeof ks[0].flags, "%s",
			 cmd->flags & CMD_READONLY ? "RO access" : "RW update");
		ks[0].index = cmd->first_key;
		ks[0].lastkey = cmd->last_key < 0 ? cmd->last_key : cmd->last_key - cmd->first_key;
		ks[0].keystep = cmd->key_step;
		ks[0].notes = NULL;
		return 1;
	}
	while (*s && n < max) {
		size_t len = strcspn(s, ";"), at = strcspn(s, "@");
		const char *hash = memchr(s, '#', len);

		word_copy(ks[n].flags, s, at);
		if (sscanf(s + at, "@%ld,%ld,%ld", &ks[n].index, &ks[n].lastkey, &ks[n].keystep) !=
		    3)
			break;
		ks[n].notes = hash ? hash + 1 : NULL;
		ks[n].notes_len = hash ? (size_t)(s + len - hash - 1) : 0;
		n++;
		s += len + (s[len] == ';');
	}
	return n;
}

#define KEY_SPECS_MAX 4

static void reply_key_specs(struct conn *c, const struct command *cmd)
{
	struct key_spec ks[KEY_SPECS_MAX];
	size_t n = key_specs(cmd, ks, KEY_SPECS_MAX);

	reply_array(c, n);
	for (size_t i = 0; i < n; i++) {
		reply_array(c, ks[i].notes ? 8 : 6);
		if (ks[i].notes) {
			reply_bulk_cstr(c, "notes");
			reply_bulk(c, ks[i].notes, ks[i].notes_len);
		}
		reply_bulk_cstr(c, "flags");
		reply_words(c, ks[i].flags, strlen(ks[i].flags), false);
		reply_bulk_cstr(c, "begin_search");
		reply_array(c, 4);
		reply_bulk_cstr(c, "type");
		reply_bulk_cstr(c, "index");
		reply_bulk_cstr(c, "spec");
		reply_array(c, 2);
		reply_bulk_cstr(c, "index");
		reply_int(c, ks[i].index);
		reply_bulk_cstr(c, "find_keys");
		reply_array(c, 4);
		reply_bulk_cstr(c, "type");
		reply_bulk_cstr(c, "range");
		reply_bulk_cstr(c, "spec");
		reply_array(c, 6);
		reply_bulk_cstr(c, "lastkey");
		reply_int(c, ks[i].lastkey);
		reply_bulk_cstr(c, "keystep");
		reply_int(c, ks[i].keystep);
		reply_bulk_cstr(c, "limit");
		reply_int(c, 0);
	}
}

/* Redis 7's ten fields: name, arity, flags, first key, last key, step, ACL
 * categories, tips, key specs, subcommands. A subcommand (sub != NULL,
 * from the docs table) shows its parent's flags and categories. */
static void reply_info(struct conn *c, const struct command *cmd, const struct command_doc *sub)
{
	const struct command_doc *d = command_docs_find(cmd->name, strlen(cmd->name));
	const struct command_doc *subs[SUBS_MAX];
	size_t nsubs = sub ? 0 : doc_subcommands(cmd->name, subs, SUBS_MAX);
	const char *flags[8];
	size_t nflags = command_flag_names(cmd->flags, flags, 8);

	reply_array(c, 10);
	reply_bulk_cstr(c, sub ? sub->name : cmd->name);
	reply_int(c, sub ? sub->arity : cmd->arity);
	reply_array(c, nflags);
	for (size_t i = 0; i < nflags; i++)
		reply_simple(c, flags[i]);
	reply_int(c, sub ? 0 : cmd->first_key);
	reply_int(c, sub ? 0 : cmd->last_key);
	reply_int(c, sub ? 0 : cmd->key_step);
	reply_categories(c, cmd);
	if (!sub && d && d->tips)
		reply_words(c, d->tips, strlen(d->tips), true);
	else
		reply_array(c, 0);
	if (sub)
		reply_array(c, 0);
	else
		reply_key_specs(c, cmd);
	reply_array(c, nsubs);
	for (size_t i = 0; i < nsubs; i++)
		reply_info(c, cmd, subs[i]);
}

/* The row and (for "parent|sub") the subcommand's docs a name stands for. */
static const struct command *info_lookup(const struct resp_arg *a, const struct command_doc **sub)
{
	const char *bar = memchr(a->ptr, '|', a->len);

	*sub = NULL;
	if (!bar)
		return command_lookup(a->ptr, a->len);
	if (!(*sub = command_docs_find(a->ptr, a->len)))
		return NULL;
	return command_lookup(a->ptr, (size_t)(bar - a->ptr));
}

/* ---- COMMAND LIST ------------------------------------------------------- */

/* Calls fn for every command name and subcommand name, in table order. */
static size_t command_names(void (*fn)(struct conn *, const char *), struct conn *c,
			    const struct resp_arg *filter, const struct resp_arg *value)
{
	const struct command *cmd;
	size_t n = 0;

	for (size_t i = 0; (cmd = command_at(i)) != NULL; i++) {
		const struct command_doc *subs[SUBS_MAX];
		size_t nsubs = doc_subcommands(cmd->name, subs, SUBS_MAX);

		for (size_t j = 0; j <= nsubs; j++) {
			const char *name = j == 0 ? cmd->name : subs[j - 1]->name;
			bool ok = true;

			if (filter && arg_is(filter, "module")) {
				ok = false;
			} else if (filter && arg_is(filter, "aclcat")) {
				const struct cmd_category_name *cat;

				ok = false;
				for (size_t k = 0; (cat = command_category_at(k)) != NULL; k++)
					if (arg_is(value, cat->name))
						ok = (command_categories(cmd) & cat->bit) != 0;
			} else if (filter) {
				ok = keymatch_matches(value->ptr, value->len, name, strlen(name),
						      true);
			}
			if (ok) {
				if (fn)
					fn(c, name);
				n++;
			}
		}
	}
	return n;
}

static void reply_name_cb(struct conn *c, const char *name)
{
	reply_bulk_cstr(c, name);
}

static void command_list(struct conn *c, int argc, struct resp_arg *argv)
{
	const struct resp_arg *filter = NULL, *value = NULL;

	if (argc == 5 && arg_is(&argv[2], "filterby") &&
	    (arg_is(&argv[3], "module") || arg_is(&argv[3], "aclcat") ||
	     arg_is(&argv[3], "pattern"))) {
		filter = &argv[3];
		value = &argv[4];
	} else if (argc != 2) {
		reply_error(c, ERR_SYNTAX);
		return;
	}
	reply_array(c, command_names(NULL, c, filter, value));
	command_names(reply_name_cb, c, filter, value);
}

/* ---- COMMAND GETKEYS ---------------------------------------------------- */

/* The key positions of a full command (args[0] is its name) into pos;
 * -1 after the error reply, else the count. */
static int command_keys(struct conn *c, int n, const struct resp_arg *args, int *pos, int max,
			const struct command **out)
{
	const struct command *cmd = command_lookup(args[0].ptr, args[0].len);
	int first, last, k = 0;

	if (!cmd) {
		reply_error(c, "ERR Invalid command specified");
		return -1;
	}
	if ((cmd->arity > 0 && n != cmd->arity) || (cmd->arity < 0 && n < -cmd->arity)) {
		reply_error(c, "ERR Invalid number of arguments specified for command");
		return -1;
	}
	if (cmd->first_key <= 0) {
		reply_error(c, "ERR The command has no key arguments");
		return -1;
	}
	first = cmd->first_key;
	last = cmd->last_key < 0 ? n + cmd->last_key : cmd->last_key;
	for (int i = first; i <= last && i < n && k < max; i += cmd->key_step)
		pos[k++] = i;
	*out = cmd;
	return k;
}

/* Does a SET given to GETKEYSANDFLAGS (from argv[2]) have the GET option? */
static bool set_has_get(int argc, const struct resp_arg *argv)
{
	for (int i = 5; i < argc; i++)
		if (arg_is(&argv[i], "get"))
			return true;
	return false;
}

#define GETKEYS_MAX 1024 /* keys one GETKEYS reports (proto-max-args bounds argc) */

static void command_getkeys(struct conn *c, int argc, struct resp_arg *argv, bool with_flags)
{
	static int pos[GETKEYS_MAX];
	const struct command *cmd = NULL;
	struct key_spec ks[KEY_SPECS_MAX];
	int n = command_keys(c, argc - 2, argv + 2, pos, GETKEYS_MAX, &cmd);
	size_t nks;

	if (n < 0)
		return;
	nks = key_specs(cmd, ks, KEY_SPECS_MAX);
	reply_array(c, (size_t)n);
	for (int i = 0; i < n; i++) {
		const struct key_spec *spec = nks ? &ks[0] : NULL;

		/* A key's flags are those of the spec that starts at or before it. */
		for (size_t j = 1; j < nks; j++)
			if (ks[j].index <= pos[i])
				spec = &ks[j];
		if (with_flags) {
			const char *flags = spec ? spec->flags : "";

			reply_array(c, 2);
			reply_bulk(c, argv[2 + pos[i]].ptr, argv[2 + pos[i]].len);
			/* SET's flags vary: it only reads the old value for GET. */
			if (strstr(flags, "variable_flags"))
				flags = set_has_get(argc, argv) ? "RW access update" : "OW update";
			reply_words(c, flags, strlen(flags), false);
		} else {
			reply_bulk(c, argv[2 + pos[i]].ptr, argv[2 + pos[i]].len);
		}
	}
}

/* ---- COMMAND ------------------------------------------------------------ */

static void command_help(struct conn *c)
{
	static const char *const lines[] = {
	    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	    "(no subcommand)",
	    "    Return details about all Redis commands.",
	    "COUNT",
	    "    Return the total number of commands in this Redis server.",
	    "LIST",
	    "    Return a list of all commands in this Redis server.",
	    "INFO [<command-name> ...]",
	    "    Return details about multiple Redis commands.",
	    "    If no command names are given, documentation details for all",
	    "    commands are returned.",
	    "DOCS [<command-name> ...]",
	    "    Return documentation details about multiple Redis commands.",
	    "    If no command names are given, documentation details for all",
	    "    commands are returned.",
	    "GETKEYS <full-command>",
	    "    Return the keys from a full Redis command.",
	    "GETKEYSANDFLAGS <full-command>",
	    "    Return the keys and the access flags from a full Redis command.",
	    "HELP",
	    "    Prints this help.",
	};

	reply_lines(c, lines, sizeof lines / sizeof lines[0]);
}

void cmd_command(struct conn *c, int argc, struct resp_arg *argv)
{
	/* Each subcommand with its arity, as Redis's command|<sub> rows. */
	static const struct {
		const char *name;
		int arity;
	} subs[] = {{"count", 2}, {"list", -2},    {"info", -2},
		    {"docs", -2}, {"getkeys", -4}, {"getkeysandflags", -4},
		    {"help", 2}};
	const struct command *cmd;
	size_t i, n = command_count();

	if (argc == 1) {
		reply_array(c, n);
		for (i = 0; i < n; i++)
			reply_info(c, command_at(i), NULL);
		return;
	}
	for (i = 0; i < sizeof subs / sizeof subs[0]; i++)
		if (arg_is(&argv[1], subs[i].name))
			break;
	if (i == sizeof subs / sizeof subs[0]) {
		reply_errorf(c, "ERR unknown subcommand '%.*s'. Try COMMAND HELP.",
			     (int)(argv[1].len > 128 ? 128 : argv[1].len), argv[1].ptr);
		return;
	}
	if (subs[i].arity > 0 ? argc != subs[i].arity : argc < -subs[i].arity) {
		reply_errorf(c, "ERR wrong number of arguments for 'command|%s' command",
			     subs[i].name);
		return;
	}
	switch (i) {
	case 0:
		reply_int(c, (long long)n);
		break;
	case 1:
		command_list(c, argc, argv);
		break;
	case 2:
		if (argc == 2) {
			reply_array(c, n);
			for (i = 0; i < n; i++)
				reply_info(c, command_at(i), NULL);
			break;
		}
		reply_array(c, (size_t)argc - 2);
		for (int a = 2; a < argc; a++) {
			const struct command_doc *sub;

			cmd = info_lookup(&argv[a], &sub);
			if (cmd)
				reply_info(c, cmd, sub);
			else
				reply_nil(c);
		}
		break;
	case 3:
		command_docs(c, argc, argv);
		break;
	case 4:
	case 5:
		command_getkeys(c, argc, argv, i == 5);
		break;
	default:
		command_help(c);
		break;
	}
}
