/* fuzz_reply.c - libFuzzer target for the reply reader.
 *
 * The first input byte picks the reader's limits, the rest is a stream of
 * replies. It is read fed whole and fed in chunks whose sizes derive from
 * the input; both runs must log the same replies and the same error. Every
 * reply is also written back with the reply writer and must read back the
 * same (the writer turns LF in simple strings into spaces; so does the log).
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

/* Serializes a reply tree; depth is checked against the reader's limit. */
static void log_reply(struct resp_buf *log, const struct resp_reply *x, int depth)
{
	char t = (char)('0' + x->type);
	size_t i;

	log_add(log, &t, 1);
	switch (x->type) {
	case RESP_STRING:
	case RESP_ERROR:
		CHECK(x->str && x->str[x->len] == '\0');
		CHECK(memchr(x->str, '\r', x->len) == NULL);
		log_size(log, x->len);
		for (i = 0; i < x->len; i++)
			log_add(log, x->str[i] == '\n' ? " " : &x->str[i], 1);
		break;
	case RESP_BULK:
		CHECK(x->str && x->str[x->len] == '\0');
		log_size(log, x->len);
		log_add(log, x->str, x->len);
		break;
	case RESP_INTEGER:
		log_add(log, &x->integer, sizeof(x->integer));
		break;
	case RESP_NIL:
		break;
	case RESP_ARRAY:
		CHECK(depth < RESP_REPLY_DEPTH_MAX);
		CHECK(x->elements == 0 || x->element != NULL);
		log_size(log, x->elements);
		for (i = 0; i < x->elements; i++)
			log_reply(log, x->element[i], depth + 1);
		break;
	default:
		CHECK(0);
	}
}

static void write_reply(struct resp_buf *b, const struct resp_reply *x)
{
	size_t i;

	switch (x->type) {
	case RESP_STRING:
		CHECK(resp_add_simple(b, x->str, x->len) == 0);
		break;
	case RESP_ERROR:
		CHECK(resp_add_error(b, x->str, x->len) == 0);
		break;
	case RESP_BULK:
		CHECK(resp_add_bulk(b, x->str, x->len) == 0);
		break;
	case RESP_INTEGER:
		CHECK(resp_add_int(b, x->integer) == 0);
		break;
	case RESP_NIL:
		CHECK(resp_add_nil(b) == 0);
		break;
	case RESP_ARRAY:
		CHECK(resp_add_array(b, x->elements) == 0);
		for (i = 0; i < x->elements; i++)
			write_reply(b, x->element[i]);
		break;
	default:
		CHECK(0);
	}
}

static void check_round_trip(const struct resp_reply *x)
{
	struct resp_buf b, want, got;
	struct resp_reader r;
	struct resp_reply *y, *none;

	resp_buf_init(&b);
	resp_buf_init(&want);
	resp_buf_init(&got);
	write_reply(&b, x);
	resp_reader_init(&r);
	CHECK(resp_reader_feed(&r, b.data, b.len) == 0);
	CHECK(resp_reader_get(&r, &y) == 1);
	log_reply(&want, x, 0);
	log_reply(&got, y, 0);
	CHECK(want.len == got.len && memcmp(want.data, got.data, got.len) == 0);
	CHECK(resp_reader_get(&r, &none) == 0 && none == NULL);
	resp_reply_free(y);
	resp_reader_free(&r);
	resp_buf_free(&b);
	resp_buf_free(&want);
	resp_buf_free(&got);
}

/* Takes every complete reply; returns the last resp_reader_get() result. */
static int drain(struct resp_reader *r, struct resp_buf *log)
{
	struct resp_reply *x;
	int rc;

	while ((rc = resp_reader_get(r, &x)) == 1) {
		log_add(log, "R", 1);
		log_reply(log, x, 0);
		check_round_trip(x);
		resp_reply_free(x);
	}
	CHECK(x == NULL);
	return rc;
}

static void finish(struct resp_reader *r, int rc, struct resp_buf *log)
{
	if (rc < 0) {
		CHECK(r->err != NULL);
		log_add(log, "E", 1);
		log_add(log, r->err, strlen(r->err) + 1);
	}
	resp_reader_free(r);
}

static void setup(struct resp_reader *r, uint8_t b)
{
	static const size_t bulk_max[] = {(size_t)RESP_BULK_MAX_CEILING, 0, 4, 100};
	static const size_t elements_max[] = {RESP_REPLY_ELEMENTS_MAX, 0, 2, 10};

	resp_reader_init(r);
	r->bulk_max = bulk_max[b & 3];
	r->elements_max = elements_max[(b >> 2) & 3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resp_reader r;
	struct resp_buf a, b;
	uint32_t seed = 2166136261u;
	size_t i, at = 0;
	int rc;

	if (size < 1)
		return 0;
	resp_buf_init(&a);
	resp_buf_init(&b);
	for (i = 1; i < size; i++)
		seed = (seed ^ data[i]) * 16777619u;

	setup(&r, data[0]);
	CHECK(resp_reader_feed(&r, data + 1, size - 1) == 0);
	finish(&r, drain(&r, &a), &a);

	setup(&r, data[0]);
	rc = 0;
	data++;
	size--;
	while (at < size && rc >= 0) {
		size_t chunk;

		seed = seed * 1103515245u + 12345u;
		chunk = 1 + (seed >> 16) % ((seed & 0x100) ? 64 : 4);
		if (chunk > size - at)
			chunk = size - at;
		CHECK(resp_reader_feed(&r, data + at, chunk) == 0);
		at += chunk;
		rc = drain(&r, &b);
	}
	finish(&r, rc, &b);

	CHECK(a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0));
	resp_buf_free(&a);
	resp_buf_free(&b);
	return 0;
}
