/* fuzz_request.c - libFuzzer target for the request parser.
 *
 * The first input byte picks the limits (the defaults or tiny ones), the
 * rest is a stream of requests. It is parsed fed whole and fed in chunks
 * whose sizes derive from the input; both runs must log the same commands
 * and the same final error. Every command is also written back as multibulk
 * and must parse to the same arguments.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			__builtin_trap();                                                          \
	} while (0)

static void log_add(struct resp_buf *log, const void *p, size_t n)
{
	CHECK(resp_buf_append(log, p, n) == 0);
}

static void log_size(struct resp_buf *log, size_t v)
{
	log_add(log, &v, sizeof(v));
}

/* Re-encodes the command as multibulk and parses it back. */
static void check_round_trip(const struct resp_req *p)
{
	struct resp_limits lim = {RESP_INLINE_MAX, RESP_ARGS_MAX_CEILING,
				  (size_t)RESP_BULK_MAX_CEILING};
	struct resp_req back;
	struct resp_buf b;
	size_t consumed;
	int i;

	resp_buf_init(&b);
	CHECK(resp_add_command(&b, p->argc, p->argv) == 0);
	resp_req_init(&back, &lim);
	CHECK(resp_req_parse(&back, b.data, b.len, &consumed) == 1);
	CHECK(consumed == b.len);
	CHECK(back.argc == p->argc && !back.is_inline);
	for (i = 0; i < p->argc; i++) {
		CHECK(back.argv[i].len == p->argv[i].len);
		CHECK(memcmp(back.argv[i].ptr, p->argv[i].ptr, p->argv[i].len) == 0);
	}
	resp_req_free(&back);
	resp_buf_free(&b);
}

static void log_command(struct resp_buf *log, const struct resp_req *p, const char *buf,
			size_t len, size_t consumed)
{
	int i;

	CHECK(consumed > 0 && consumed <= len);
	CHECK(p->argc >= 0 && (size_t)p->argc <= p->lim.args_max);
	log_add(log, p->is_inline ? "I" : "M", 1);
	log_size(log, consumed);
	log_size(log, (size_t)p->argc);
	for (i = 0; i < p->argc; i++) {
		const struct resp_arg *a = &p->argv[i];

		if (p->is_inline) {
			CHECK(a->ptr >= p->scratch && a->ptr + a->len <= p->scratch + p->scratch_cap);
			CHECK(a->len <= p->lim.inline_max);
		} else {
			CHECK(a->ptr >= buf && a->ptr + a->len <= buf + consumed);
			CHECK(a->len <= p->lim.bulk_max);
		}
		log_size(log, a->len);
		if (a->len)
			log_add(log, a->ptr, a->len);
	}
	check_round_trip(p);
}

static void log_error(struct resp_buf *log, const struct resp_req *p)
{
	CHECK(p->err != NULL);
	log_add(log, "E", 1);
	log_add(log, p->err, strlen(p->err) + 1);
}

/* Fed all at once, straight from the fuzzer's buffer. */
static void run_whole(const uint8_t *data, size_t n, const struct resp_limits *lim,
		      struct resp_buf *log)
{
	struct resp_req p;
	size_t at = 0, consumed;
	int rc = 1;

	resp_req_init(&p, lim);
	while (at < n) {
		rc = resp_req_parse(&p, (const char *)data + at, n - at, &consumed);
		if (rc != 1)
			break;
		log_command(log, &p, (const char *)data + at, n - at, consumed);
		at += consumed;
	}
	if (rc < 0)
		log_error(log, &p);
	else
		log_size(log, n - at);
	resp_req_free(&p);
}

/* Fed in chunks of 1..64 bytes; each call sees a fresh, exactly sized copy
 * of the pending bytes, as a connection whose buffer moves would. */
static void run_chunked(const uint8_t *data, size_t n, const struct resp_limits *lim,
			uint32_t seed, struct resp_buf *log)
{
	struct resp_req p;
	struct resp_buf q;
	size_t at = 0;
	int rc = 0;

	resp_req_init(&p, lim);
	resp_buf_init(&q);
	while (at < n && rc >= 0) {
		size_t chunk;

		seed = seed * 1103515245u + 12345u;
		chunk = 1 + (seed >> 16) % ((seed & 0x100) ? 64 : 4);
		if (chunk > n - at)
			chunk = n - at;
		CHECK(resp_buf_append(&q, data + at, chunk) == 0);
		at += chunk;
		for (;;) {
			char *copy = malloc(q.len ? q.len : 1);
			size_t consumed;

			CHECK(copy != NULL);
			if (q.len)
				memcpy(copy, q.data, q.len);
			rc = resp_req_parse(&p, copy, q.len, &consumed);
			if (rc == 1)
				log_command(log, &p, copy, q.len, consumed);
			free(copy);
			if (rc != 1) {
				CHECK(consumed == 0);
				break;
			}
			resp_buf_consume(&q, consumed);
		}
	}
	if (rc < 0)
		log_error(log, &p);
	else
		log_size(log, q.len);
	resp_req_free(&p);
	resp_buf_free(&q);
}

static void pick_limits(uint8_t b, struct resp_limits *lim)
{
	static const size_t inline_max[] = {RESP_INLINE_MAX, 16, 4, 64};
	static const size_t args_max[] = {RESP_ARGS_MAX, 1, 3, 8};
	static const size_t bulk_max[] = {RESP_BULK_MAX, 0, 5, 100};

	lim->inline_max = inline_max[b & 3];
	lim->args_max = args_max[(b >> 2) & 3];
	lim->bulk_max = bulk_max[(b >> 4) & 3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resp_limits lim;
	struct resp_buf a, b;
	uint32_t seed = 2166136261u;
	size_t i;

	if (size < 1)
		return 0;
	pick_limits(data[0], &lim);
	data++;
	size--;
	for (i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 16777619u;
	resp_buf_init(&a);
	resp_buf_init(&b);
	run_whole(data, size, &lim, &a);
	run_chunked(data, size, &lim, seed, &b);
	CHECK(a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0));
	resp_buf_free(&a);
	resp_buf_free(&b);
	return 0;
}
