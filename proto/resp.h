/* resp.h - the RESP2 codec shared by cachifyd, libcachify and the cachify CLI.
 *
 * Bytes in, commands or replies out: nothing here touches a socket, a clock
 * or libevent. The request parser is what the daemon runs on every byte it
 * reads; the reply writer builds what it sends; the reply reader is the
 * client side. All three are resumable at any byte boundary.
 */
#ifndef CACHIFY_RESP_H
#define CACHIFY_RESP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Default limits; the daemon's config may override each one. */
#define RESP_INLINE_MAX	     (64 * 1024)	 /* bytes in one inline line */
#define RESP_ARGS_MAX	     1024		 /* arguments in one command */
#define RESP_BULK_MAX	     (1024 * 1024)	 /* bytes in one bulk argument */
#define RESP_BULK_MAX_CEILING (512LL * 1024 * 1024) /* highest bulk_max allowed */
#define RESP_ARGS_MAX_CEILING (1024 * 1024)	 /* highest args_max allowed */

/* Reply reader limits (client side). */
#define RESP_REPLY_DEPTH_MAX	16		 /* nesting of arrays: COMMAND DOCS needs 12 */
#define RESP_REPLY_ELEMENTS_MAX (1024 * 1024 * 16) /* elements in one array */

struct resp_limits {
	size_t inline_max; /* bytes, longest inline request line */
	size_t args_max;   /* arguments per command */
	size_t bulk_max;   /* bytes, longest bulk argument */
};

/* Fills *lim with the RESP_*_MAX defaults above. */
void resp_limits_default(struct resp_limits *lim);

/* One argument of a parsed command: ptr is borrowed (see resp_req_parse). */
struct resp_arg {
	const char *ptr;
	size_t len;
};

/* ---------------------------------------------------------------------------
 * Request parser (server side): multibulk and inline commands.
 */

struct resp_req {
	/* Outputs, valid after resp_req_parse() returned 1. */
	int argc;		/* 0 for an empty inline line: ignore it */
	struct resp_arg *argv;	/* argc entries, owned by the parser */
	bool is_inline;		/* the command came as an inline line */
	/* Output after resp_req_parse() returned -1: the reason, in Redis's
	 * words and without the "ERR Protocol error: " prefix, e.g.
	 * "invalid multibulk length". Static storage, except a message that
	 * quotes a byte ("expected '$', got 'x'"), which lives in errbuf below:
	 * valid until the parser fails again or is freed. */
	const char *err;

	/* Private state below: do not touch. */
	struct resp_limits lim;
	int state;
	size_t pos;		/* bytes of the current request scanned so far */
	size_t mark;		/* start of the line or bulk payload being read */
	size_t nargs;		/* arguments read so far */
	long long mb_left;	/* multibulk arguments still to read */
	long long bulk_len;	/* length of the bulk being read, -1 if none */
	size_t *offs;		/* per argument: offset in the request buffer */
	size_t *lens;
	size_t cap;		/* entries allocated in argv/offs/lens */
	char *scratch;		/* unescaped inline arguments */
	size_t scratch_cap;
	char errbuf[48];	/* err when it quotes a byte */
};

/* Sets up a parser with the given limits (NULL: the defaults). Allocates
 * nothing; resp_req_free() releases what parsing allocated. */
void resp_req_init(struct resp_req *p, const struct resp_limits *lim);
void resp_req_free(struct resp_req *p);

/* Changes the limits of a parser between commands. */
void resp_req_set_limits(struct resp_req *p, const struct resp_limits *lim);

/* Parses one command from buf[0..len).
 *
 * buf must start at the first byte of the request being parsed: the caller
 * keeps every byte it has not been told was consumed and passes them again,
 * followed by newly read bytes, on the next call. The buffer may move between
 * calls (the parser keeps offsets, never pointers, across calls), and the
 * parser resumes scanning where it stopped, so feeding a request one byte
 * at a time costs linear time.
 *
 * Returns 1 when a whole command was parsed: p->argc/p->argv describe it and
 * *consumed is its length in bytes. argv points into buf (zero copy) except
 * for inline arguments, which point into the parser's scratch space; both
 * stay valid until the next call or until buf changes.
 * Returns 0 when more bytes are needed (*consumed is 0).
 * Returns -1 on a protocol error: p->err says why. The parser then must be
 * reset with resp_req_reset() before it is used again; a server replies with
 * the error and closes the connection.
 *
 * Never allocates in proportion to a length the peer has declared but not
 * yet sent; allocations are bounded by the limits. Allocation failure is
 * reported as -1 with err "out of memory". */
int resp_req_parse(struct resp_req *p, const char *buf, size_t len, size_t *consumed);

/* Forgets any partial request (after an error, or when a connection is
 * reused). Keeps allocated memory. */
void resp_req_reset(struct resp_req *p);

/* ---------------------------------------------------------------------------
 * Growable byte buffer and reply writer.
 */

struct resp_buf {
	char *data; /* owned; NULL until the first append */
	size_t len; /* bytes used */
	size_t cap; /* bytes allocated */
};

void resp_buf_init(struct resp_buf *b);
void resp_buf_free(struct resp_buf *b);
/* Makes room for extra more bytes. 0, or -1 when out of memory. */
int resp_buf_reserve(struct resp_buf *b, size_t extra);
/* Appends raw bytes. 0, or -1 when out of memory (b unchanged). */
int resp_buf_append(struct resp_buf *b, const void *p, size_t n);
/* Appends printf-style text of any length (INFO lines, CLIENT LIST
 * fields). 0, or -1 when out of memory or on a format error (b unchanged). */
int resp_buf_printf(struct resp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops the first n bytes (n <= b->len), moving the rest to the front. */
void resp_buf_consume(struct resp_buf *b, size_t n);

/* Each writer appends one RESP2 value and returns 0, or -1 when out of memory
 * (then nothing was appended). Strings are (ptr, len), binary safe, except
 * that simple strings and errors must not contain CR or LF: the writer
 * replaces them with spaces so a reply can never break the framing. */
int resp_add_simple(struct resp_buf *b, const char *s, size_t len);	/* +s\r\n */
int resp_add_simple_cstr(struct resp_buf *b, const char *s);
int resp_add_error(struct resp_buf *b, const char *s, size_t len);	/* -s\r\n */
int resp_add_errorf(struct resp_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int resp_add_int(struct resp_buf *b, long long v);			/* :v\r\n */
int resp_add_bulk(struct resp_buf *b, const char *p, size_t len);	/* $len\r\np\r\n */
int resp_add_bulk_cstr(struct resp_buf *b, const char *s);
int resp_add_nil(struct resp_buf *b);					/* $-1\r\n */
int resp_add_nil_array(struct resp_buf *b);				/* *-1\r\n */
int resp_add_array(struct resp_buf *b, size_t n);			/* *n\r\n */
/* A whole command as a multibulk request (client side). */
int resp_add_command(struct resp_buf *b, int argc, const struct resp_arg *argv);

/* ---------------------------------------------------------------------------
 * Reply reader (client side).
 */

enum resp_type {
	RESP_STRING = 1, /* +simple string: str/len */
	RESP_ERROR,	 /* -error: str/len (without the '-') */
	RESP_INTEGER,	 /* :integer: integer */
	RESP_BULK,	 /* $bulk: str/len, binary safe, NUL-terminated too */
	RESP_NIL,	 /* $-1 or *-1 */
	RESP_ARRAY,	 /* *n: elements/element */
};

struct resp_reply {
	enum resp_type type;
	long long integer;
	char *str;	/* owned by the reply; NUL-terminated after len bytes */
	size_t len;
	size_t elements;
	struct resp_reply **element; /* owned by the reply */
};

/* Frees a reply and everything under it. NULL is fine. */
void resp_reply_free(struct resp_reply *r);

struct resp_reader {
	const char *err;	/* after -1 from resp_reader_get: why (static, or errbuf) */
	size_t bulk_max;	/* bytes; default RESP_BULK_MAX_CEILING */
	size_t elements_max;	/* default RESP_REPLY_ELEMENTS_MAX */

	/* Private state below. */
	struct resp_buf buf;	/* bytes fed and not yet consumed */
	size_t pos;		/* parse position in buf */
	size_t scan;		/* bytes of buf already searched for the line's CR */
	long long bulk_len;	/* bulk whose header was read but not its data, or -1 */
	int depth;
	struct {
		struct resp_reply *r;
		size_t filled;
		size_t want;	/* elements the array declared */
		size_t cap;	/* entries allocated in r->element */
	} stack[RESP_REPLY_DEPTH_MAX + 1];
	char errbuf[48];	/* err when it quotes a byte */
};

void resp_reader_init(struct resp_reader *r);
void resp_reader_free(struct resp_reader *r);
/* Appends n bytes read from the peer (copied). 0, or -1 when out of memory. */
int resp_reader_feed(struct resp_reader *r, const void *p, size_t n);
/* Takes the next complete reply: 1 with *out set (new: free it with
 * resp_reply_free), 0 when more bytes are needed, -1 on a protocol error
 * (r->err says why; the stream is then unusable). Resumable: any split of
 * the input gives the same replies, and nothing is scanned twice. */
int resp_reader_get(struct resp_reader *r, struct resp_reply **out);

/* ---------------------------------------------------------------------------
 * Safe number parsing shared by everyone (one helper, as memcached's
 * safe_strtoull): the whole of (p, len) must be a decimal integer with an
 * optional leading '-', no spaces, no '+', no leading zeros except "0",
 * within range. 0 on success, -1 otherwise. */
int resp_parse_ll(const char *p, size_t len, long long *out);
/* The same for unsigned numbers that are not on the wire (config values,
 * environment variables, uids, SCAN cursors): the whole of (p, len) must be
 * decimal digits, no sign, no spaces, leading zeros allowed ("0010" is 10,
 * as strtoull and systemd read it), and at most max (inclusive; ULLONG_MAX
 * for any). 0 on success, -1 otherwise; *out is only written on success. */
int resp_parse_ull(const char *p, size_t len, unsigned long long max, unsigned long long *out);
/* Formats v in decimal into buf (at least 21 bytes); returns the length. */
size_t resp_ll_to_str(char *buf, long long v);

#endif /* CACHIFY_RESP_H */
