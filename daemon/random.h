/* random.h - the daemon's one source of randomness.
 *
 * Lock tokens, pool slot ids and the hash seed all come from here:
 * getrandom(2), or /dev/urandom where getrandom is missing or refused (old
 * kernels, seccomp filters). Nothing else in the daemon reads entropy.
 */
#ifndef CACHIFY_RANDOM_H
#define CACHIFY_RANDOM_H

#include <stddef.h>
#include <sys/types.h>

/* Fills buf with n random bytes, never fewer. 0, or -1 (logged) when no
 * source works. Never blocks for entropy at boot (GRND_NONBLOCK, then
 * /dev/urandom). */
int random_bytes(void *buf, size_t n);

/* Fills out with 2 * nbytes lower-case hex digits and a NUL, from the
 * buffered pool (one system call per RANDOM_POOL bytes). Aborts with
 * file:line if no source works: a token that may repeat is worse than
 * stopping. */
void random_hex(char *out, size_t nbytes);

/* Start-up check: 0 if a source works, else -1 with the reason logged. */
int random_init(void);

/* Tests: replace getrandom(2) (NULL restores it) and drop the pool. */
typedef ssize_t random_source_fn(void *buf, size_t n, unsigned flags);
void random_set_source(random_source_fn *fn);

#endif /* CACHIFY_RANDOM_H */
