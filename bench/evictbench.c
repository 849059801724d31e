/* evictbench.c - load generator for bench/evict.sh: a cache workload
 * (GET, and SET on a miss) over Zipf-distributed keys, for comparing the
 * hit ratio and throughput of maxmemory policies on cachifyd and
 * redis-server. The key sequence and the value sizes depend on the seed
 * alone, so both servers see the same requests. Speaks RESP through
 * proto/resp.h over one blocking Unix socket; prints one "key=value ..."
 * line; a reply that is neither a value, nil, +OK nor -OOM aborts.
 *
 *   evictbench size KEYS SEED
 *       prints bytes=N: the values of all KEYS keys together
 *   evictbench run SOCK REQUESTS KEYS ZIPF_S TTL_S SEED WARMUP
 *       REQUESTS lookups; a miss SETs the key (EX TTL_S unless TTL_S is 0);
 *       the first WARMUP requests fill the cache and are not counted
 *   evictbench lru CAPACITY REQUESTS KEYS ZIPF_S SEED WARMUP
 *       the same requests on an exact LRU cache of CAPACITY keys, in
 *       process: the hit ratio sampling approximates
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/torture/rconn.h"
#include "resp.h"

#define BATCH         64    /* lookups sent before their replies are read */
#define VALUE_MIN     100   /* bytes */
#define VALUE_SPAN    901   /* sizes are VALUE_MIN .. VALUE_MIN + VALUE_SPAN - 1 */
#define KEY_MAX       32    /* bytes of "evict:<id>" */
#define REPLY_TIMEOUT 30000 /* ms */
#define CMD_MAX       (64 + KEY_MAX + VALUE_MIN + VALUE_SPAN) /* bytes of one encoded SET */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("evictbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* splitmix64: the request stream's only source of randomness. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static size_t value_len(uint64_t seed, size_t id)
{
	return VALUE_MIN + (size_t)(mix(seed ^ (id * 2 + 1)) % VALUE_SPAN);
}

/* cdf[i]: probability that a request goes to one of the keys 0..i. */
static double *zipf_cdf(size_t keys, double s)
{
	double *cdf = malloc(keys * sizeof *cdf), sum = 0;

	if (!cdf)
		die("out of memory");
	for (size_t i = 0; i < keys; i++)
		cdf[i] = sum += 1.0 / pow((double)(i + 1), s);
	for (size_t i = 0; i < keys; i++)
		cdf[i] /= sum;
	return cdf;
}

static size_t zipf_draw(const double *cdf, size_t keys, uint64_t *state)
{
	double u = (double)(mix((*state)++) >> 11) * 0x1.0p-53;
	size_t lo = 0, hi = keys - 1;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t key_of(char *buf, size_t id)
{
	return (size_t)snprintf(buf, KEY_MAX, "evict:%zu", id);
}

static unsigned long long arg_num(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end)
		die("bad %s '%s'", what, s);
	return v;
}

static struct resp_reply *reply(struct rconn *c)
{
	struct resp_reply *r;
	int rc = rconn_reply(c, REPLY_TIMEOUT, &r, NULL);

	if (rc != 1)
		die("no reply: %s", rc == 0 ? "connection closed" : strerror(errno));
	return r;
}

struct tally {
	unsigned long long hits, misses, ooms, commands;
};

static void run(const char *sock, size_t requests, size_t keys, double s, unsigned long long ttl,
                uint64_t seed, size_t warmup)
{
	static char out[BATCH * CMD_MAX], value[VALUE_MIN + VALUE_SPAN];
	double *cdf = zipf_cdf(keys, s);
	size_t ids[BATCH], n, len, klen;
	bool miss[BATCH];
	uint64_t state = seed;
	struct tally t = {0};
	char key[KEY_MAX], desc[128];
	struct rconn c;
	int64_t t0;

	memset(value, 'v', sizeof value);
	rconn_init(&c);
	if (rconn_open(&c, sock) != 0)
		die("connect %s: %s", sock, strerror(errno));
	t0 = rconn_now_ns();
	for (size_t done = 0; done < requests; done += n) {
		n = requests - done < BATCH ? requests - done : BATCH;
		len = 0;
		for (size_t i = 0; i < n; i++) {
			ids[i] = zipf_draw(cdf, keys, &state);
			klen = key_of(key, ids[i]);
			len += (size_t)snprintf(out + len, sizeof out - len,
			                        "*2\r\n$3\r\nGET\r\n$%zu\r\n%s\r\n", klen, key);
		}
		if (rconn_send_raw(&c, out, len) != 0)
			die("send: %s", strerror(errno));
		len = 0;
		for (size_t i = 0; i < n; i++) {
			struct resp_reply *r = reply(&c);
			bool counted = done + i >= warmup;

			if (r->type != RESP_BULK && r->type != RESP_NIL)
				die("GET: %s", rconn_desc(r, desc, sizeof desc));
			miss[i] = r->type == RESP_NIL;
			if (counted && miss[i])
				t.misses++;
			else if (counted)
				t.hits++;
			resp_reply_free(r);
			if (!miss[i])
				continue;
			klen = key_of(key, ids[i]);
			size_t vlen = value_len(seed, ids[i]);
			if (ttl)
				len += (size_t)snprintf(out + len, sizeof out - len,
				                        "*5\r\n$3\r\nSET\r\n$%zu\r\n%s\r\n$%zu\r\n",
				                        klen, key, vlen);
			else
				len += (size_t)snprintf(out + len, sizeof out - len,
				                        "*3\r\n$3\r\nSET\r\n$%zu\r\n%s\r\n$%zu\r\n",
				                        klen, key, vlen);
			memcpy(out + len, value, vlen);
			len += vlen;
			if (ttl)
				len += (size_t)snprintf(out + len, sizeof out - len,
				                        "\r\n$2\r\nEX\r\n$%d\r\n%llu\r\n",
				                        snprintf(NULL, 0, "%llu", ttl), ttl);
			else
				len += (size_t)snprintf(out + len, sizeof out - len, "\r\n");
		}
		t.commands += n;
		if (len && rconn_send_raw(&c, out, len) != 0)
			die("send: %s", strerror(errno));
		for (size_t i = 0; i < n; i++) {
			struct resp_reply *r;

			if (!miss[i])
				continue;
			r = reply(&c);
			t.commands++;
			if (r->type == RESP_ERROR && strncmp(r->str, "OOM", 3) == 0)
				t.ooms++;
			else if (r->type != RESP_STRING || strcmp(r->str, "OK") != 0)
				die("SET: %s", rconn_desc(r, desc, sizeof desc));
			resp_reply_free(r);
		}
	}
	double secs = (double)(rconn_now_ns() - t0) / 1e9;
	printf("run requests=%zu counted=%llu hits=%llu misses=%llu hit_ratio=%.4f ooms=%llu "
	       "commands=%llu seconds=%.2f ops_per_s=%.0f\n",
	       requests, t.hits + t.misses, t.hits, t.misses,
	       t.hits + t.misses ? (double)t.hits / (double)(t.hits + t.misses) : 0.0, t.ooms,
	       t.commands, secs, (double)t.commands / secs);
	rconn_close(&c);
	free(cdf);
}

/* Exact LRU over key ids: a doubly linked list in arrays, most recent first. */
static void lru(size_t capacity, size_t requests, size_t keys, double s, uint64_t seed,
                size_t warmup)
{
	double *cdf = zipf_cdf(keys, s);
	size_t *prev = malloc(keys * sizeof *prev), *next = malloc(keys * sizeof *next);
	bool *in = calloc(keys, sizeof *in);
	size_t head = SIZE_MAX, tail = SIZE_MAX, held = 0;
	unsigned long long hits = 0, misses = 0;
	uint64_t state = seed;

	if (!prev || !next || !in)
		die("out of memory");
	for (size_t r = 0; r < requests; r++) {
		size_t id = zipf_draw(cdf, keys, &state);

		if (in[id]) {
			hits += r >= warmup;
			/* Unlink; it goes back in at the head below. */
			if (prev[id] != SIZE_MAX)
				next[prev[id]] = next[id];
			else
				head = next[id];
			if (next[id] != SIZE_MAX)
				prev[next[id]] = prev[id];
			else
				tail = prev[id];
		} else {
			misses += r >= warmup;
			if (held == capacity && tail != SIZE_MAX) {
				size_t old = tail;

				in[old] = false;
				tail = prev[old];
				if (tail != SIZE_MAX)
					next[tail] = SIZE_MAX;
				else
					head = SIZE_MAX;
				held--;
			}
			if (held == capacity)
				continue;
			in[id] = true;
			held++;
		}
		prev[id] = SIZE_MAX;
		next[id] = head;
		if (head != SIZE_MAX)
			prev[head] = id;
		head = id;
		if (tail == SIZE_MAX)
			tail = id;
	}
	printf("lru capacity=%zu hits=%llu misses=%llu hit_ratio=%.4f\n", capacity, hits, misses,
	       hits + misses ? (double)hits / (double)(hits + misses) : 0.0);
	free(prev);
	free(next);
	free(in);
	free(cdf);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "size") == 0) {
		size_t keys = (size_t)arg_num(argv[2], "KEYS");
		uint64_t seed = arg_num(argv[3], "SEED");
		unsigned long long bytes = 0;

		for (size_t i = 0; i < keys; i++)
			bytes += value_len(seed, i);
		printf("size bytes=%llu\n", bytes);
		return 0;
	}
	if (argc == 9 && strcmp(argv[1], "run") == 0) {
		size_t keys = (size_t)arg_num(argv[4], "KEYS");
		double s = strtod(argv[5], NULL);

		if (keys == 0 || !(s > 0))
			die("KEYS and ZIPF_S must be positive");
		run(argv[2], (size_t)arg_num(argv[3], "REQUESTS"), keys, s,
		    arg_num(argv[6], "TTL_S"), arg_num(argv[7], "SEED"),
		    (size_t)arg_num(argv[8], "WARMUP"));
		return 0;
	}
	if (argc == 8 && strcmp(argv[1], "lru") == 0) {
		size_t keys = (size_t)arg_num(argv[4], "KEYS");
		double s = strtod(argv[5], NULL);

		if (keys == 0 || !(s > 0))
			die("KEYS and ZIPF_S must be positive");
		lru((size_t)arg_num(argv[2], "CAPACITY"), (size_t)arg_num(argv[3], "REQUESTS"),
		    keys, s, arg_num(argv[6], "SEED"), (size_t)arg_num(argv[7], "WARMUP"));
		return 0;
	}
	fprintf(stderr, "usage: evictbench size KEYS SEED\n"
	                "       evictbench run SOCK REQUESTS KEYS ZIPF_S TTL_S SEED WARMUP\n"
	                "       evictbench lru CAPACITY REQUESTS KEYS ZIPF_S SEED WARMUP\n");
	return 2;
}
