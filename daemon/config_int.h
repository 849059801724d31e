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

/* The table's row for name (any case), or NULL if there is none. Borrowed:
 * static storage, opaque outside config.c. */
const struct config_directive *config_find(const char *name);

#endif /* CACHIFY_CONFIG_INT_H */
