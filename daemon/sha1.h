/* sha1.h - SHA-1, for script names (EVALSHA, SCRIPT LOAD, redis.sha1hex).
 * Not for security: Redis names scripts by it, so we must too. */
#ifndef CACHIFY_SHA1_H
#define CACHIFY_SHA1_H

#include <stddef.h>

#define SHA1_HEX_LEN 40 /* characters of a hex digest, without the NUL */

/* Writes the lower-case hex digest of data into hex (SHA1_HEX_LEN + 1
 * bytes, NUL-terminated). */
void sha1_hex(char *hex, const void *data, size_t len);

#endif /* CACHIFY_SHA1_H */
