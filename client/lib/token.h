/* token.h - libcachify's random tokens: lock owner tokens and pool slot
 * ids for the generic algorithms. Internal; not installed. Symbols start
 * with lc_token_.
 */
#ifndef CACHIFY_LIB_TOKEN_H
#define CACHIFY_LIB_TOKEN_H

#define LC_TOKEN_HEX 32 /* hex digits of a token or slot id: 128 random bits */

/* Fills out with 128 random bits (getrandom, else /dev/urandom) as
 * NUL-terminated lowercase hex. 0, or CACHIFY_EIO with the message
 * recorded (no randomness). */
int lc_token_make(char out[LC_TOKEN_HEX + 1]);

#endif /* CACHIFY_LIB_TOKEN_H */
