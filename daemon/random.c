/* random.c - getrandom(2) with a /dev/urandom fallback, and a small pool
 * of bytes so a token costs no system call. */
#include "random.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "log.h"

#define RANDOM_POOL 4096 /* bytes fetched per refill */

static ssize_t sys_getrandom(void *buf, size_t n, unsigned flags)
{
	return getrandom(buf, n, flags);
}

static random_source_fn *source = sys_getrandom;
static unsigned char pool[RANDOM_POOL];
static size_t pool_left; /* unused bytes at the start of pool */

/* Reads n bytes from /dev/urandom; 0 or -1. */
static int urandom_read(unsigned char *p, size_t n)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (n > 0) {
		ssize_t got = read(fd, p, n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			close(fd);
			return -1;
		}
		p += got;
		n -= (size_t)got;
	}
	close(fd);
	return 0;
}

int random_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t got = source(p, n, GRND_NONBLOCK);

		if (got > 0) {
			/* A short read is legal (signals, large requests): go on. */
			p += got;
			n -= (size_t)got;
			continue;
		}
		if (got < 0 && errno == EINTR)
			continue;
		/* ENOSYS, EPERM from a seccomp filter, EAGAIN before the pool
		 * is seeded, or a source that returns nothing: the device. */
		if (urandom_read(p, n) != 0) {
			log_warning("no source of randomness: getrandom failed (%s) and "
				    "/dev/urandom cannot be read",
				    got < 0 ? strerror(errno) : "no bytes");
			return -1;
		}
		return 0;
	}
	return 0;
}

void random_hex(char *out, size_t nbytes)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < nbytes; i++) {
		unsigned char b;

		if (pool_left == 0) {
			if (random_bytes(pool, sizeof pool) != 0) {
				log_warning("%s:%d: cannot make a token without randomness",
					    __FILE__, __LINE__);
				abort();
			}
			pool_left = sizeof pool;
		}
		b = pool[--pool_left];
		out[2 * i] = hex[b >> 4];
		out[2 * i + 1] = hex[b & 15];
	}
	out[2 * nbytes] = '\0';
}

int random_init(void)
{
	unsigned char probe[16];

	return random_bytes(probe, sizeof probe);
}

void random_set_source(random_source_fn *fn)
{
	source = fn ? fn : sys_getrandom;
	memset(pool, 0, sizeof pool);
	pool_left = 0;
}
