/* token.c - libcachify's random tokens (see token.h): 128 bits from
 * getrandom, else /dev/urandom, written as hex. What a token is for (lock
 * owner, pool slot id) is generic.c's business.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "backend.h"
#include "token.h"

static int random_bytes(unsigned char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(buf + got, n - got, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		got += (size_t)r;
	}
	if (got < n) { /* no getrandom (old kernel, seccomp): the device */
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return lc_set_error(CACHIFY_EIO, "no randomness for a token: %s",
					    strerror(errno));
		while (got < n) {
			ssize_t r = read(fd, buf + got, n - got);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				close(fd);
				return lc_set_error(CACHIFY_EIO, "reading /dev/urandom failed");
			}
			got += (size_t)r;
		}
		close(fd);
	}
	return 0;
}

int lc_token_make(char out[LC_TOKEN_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[LC_TOKEN_HEX / 2];
	int rc = random_bytes(raw, sizeof raw);

	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof raw; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[LC_TOKEN_HEX] = '\0';
	return 0;
}
