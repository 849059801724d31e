/* command_docs.h - what COMMAND DOCS tells about each command: summary,
 * since, group, complexity and arguments, keyed by name ("set",
 * "config|get" for subcommands). Data only (command_docs.c); cmd_command.c
 * turns it into replies, command_stats.c asks it which subcommands exist.
 *
 * Arguments are written in a small notation, one argument per blank-
 * separated word at the top level:
 *   name:type              a typed argument (key, string, integer, double,
 *                          pattern, unix-time); the name may hold ':' (the
 *                          type follows the last one); "key@N" gives a key
 *                          the key spec N instead of the next one
 *   TOKEN                  a pure token; its name is the token in lower case
 *   TOKEN=name:type        a token followed by its value
 *   name(a|b|...)          one of the alternatives (each an argument)
 *   name{a b ...}          a block of arguments given together
 *   TOKEN=name(...) / {..} a token before a oneof or a block
 * followed by ? (optional), + (one or more) or * (optional, one or more).
 */
#ifndef CACHIFY_COMMAND_DOCS_H
#define CACHIFY_COMMAND_DOCS_H

#include <stdbool.h>
#include <stddef.h>

struct command_doc {
	const char *name; /* lower case; "parent|sub" for a subcommand */
	const char *summary;
	const char *since;      /* the Redis version that added it (ours: cachify's) */
	const char *group;      /* Redis's group name; "lock" and "pool" for ours */
	const char *complexity; /* in Redis's notation */
	const char *args;       /* the notation above; "" for none */
	int arity;              /* subcommands: as a command row's (COMMAND INFO) */
	/* Key specs for COMMAND INFO and GETKEYSANDFLAGS, ';' between specs:
	 * "FLAGS@index,lastkey,keystep" with Redis's flag words (RO access,
	 * RW update, ...) and an optional "#notes"; NULL: derived from the
	 * command row (read-only keys RO access, others RW update). */
	const char *keyspecs;
	const char *tips; /* Redis's command tips, blank-separated; NULL for none */
};

/* The entry for a name (any case), or NULL. */
const struct command_doc *command_docs_find(const char *name, size_t len);
/* Does the command (lower-case name) have subcommands ("config|get")? */
bool command_docs_has_subcommands(const char *name);
/* The entry of a command's subcommand (sub in any case), or NULL. */
const struct command_doc *command_docs_subcommand(const char *name, const char *sub, size_t len);
/* Entries in table order: i from 0 while the result is not NULL. */
const struct command_doc *command_docs_at(size_t i);

#endif /* CACHIFY_COMMAND_DOCS_H */
