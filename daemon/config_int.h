/* config_int.h - what config.c shares with config_file.c, and nobody else.
 *
 * The file reader checks directive names against config.c's table and writes
 * its "file:line: message" errors with the same helper.
 */
#ifndef CACHIFY_CONFIG_INT_H
#define CACHIFY_CONFIG_INT_H

#include "config.h"

#define CONFIG_VALUE_SHOWN 64 /* bytes of a rejected value quoted back in a message */

struct config_directive;

/* Formats a message into err, which has room for CONFIG_ERR_MAX bytes. */
void config_err(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Does the directive take several words (acl-uid 1000 ~k* +get)? The file
 * reader then joins them into one value. d may be NULL (no). */
bool config_takes_words(const struct config_directive *d);
/* Does the directive's one value have several words (client-output-buffer-
 * limit pubsub 32mb 8mb 60)? The file reader joins them. NULL: no. */
bool config_joins_words(const struct config_directive *d);

/* `save`: "" empties rules; else pairs of <seconds> <changes> (seconds
 * >= 1, changes >= 0) are added to them (replace: cleared first, as CONFIG
 * SET does). 0, or -1 (rules unchanged) with Redis's reason in *why. */
int config_parse_save(const char *value, struct save_rules *rules, bool replace,
		      const char **why);
/* The rules as CONFIG GET shows them: "3600 1 300 100", or "". */
void config_format_save(const struct save_rules *rules, char *buf, size_t size);

/* The table's row for name (any case), or NULL if there is none. Borrowed:
 * static storage, opaque outside config.c. */
const struct config_directive *config_find(const char *name);

#endif /* CACHIFY_CONFIG_INT_H */
