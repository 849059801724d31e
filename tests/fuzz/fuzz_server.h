/* fuzz_server.h - what fuzz_server.c (the driver: clients, the fake clock,
 * the loop, the input's ops) shares with fuzz_server_check.c (the
 * invariants checked at every quiet point).
 */
#ifndef CACHIFY_FUZZ_SERVER_H
#define CACHIFY_FUZZ_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "grant.h"
#include "resp.h"

#define NCLIENTS 4

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fuzz_fail(__FILE__, __LINE__, #cond);                                      \
	} while (0)

/* Prints the violated invariant and aborts: libFuzzer keeps the input. */
_Noreturn void fuzz_fail(const char *file, int line, const char *what);

/* One client: our end of its socketpair, and what we saw on it. */
struct client {
	int fd;			 /* our end, -1 when closed */
	uint64_t id;		 /* the daemon's conn id; 0 before the first open */
	bool stalled;		 /* not reading its replies */
	struct resp_buf pending; /* bytes not yet written to fd */
	struct resp_reader rd;	 /* its replies */
	uint64_t replies;
	/* The mirror: the same parser on the bytes sent counts the commands
	 * that must each get one reply. Off once limits change under it. */
	struct resp_req mreq;
	struct resp_buf mbuf;
	uint64_t cmds;
	bool mirror_off;
	char last_id[GRANT_TOKEN_MAX]; /* the last grant's id, for "@N" */
	size_t last_id_len;
	/* Since the last quiet point. */
	uint64_t replies_since;
	bool first_is_grant;
	uint64_t first_fence;
	bool uncertain; /* stalled, closed or reopened: its waits prove nothing */
};

extern struct client cl[NCLIENTS];
extern int64_t now_ms; /* ms, the fake monotonic clock */
extern int64_t now_wall_ms; /* ms since the epoch, the fake wall clock */

struct conn;
/* The live conn with this id, or NULL. */
struct conn *conn_by_id(uint64_t id);

/* At a quiet point (no active event, every socket drained): checks the
 * state, and the FIFO order since the previous quiet point, which this one
 * then becomes. Resets every client's "since" fields. */
void check_quiet(void);
/* Forgets the previous quiet point (the end of an input). */
void check_reset(void);

#endif /* CACHIFY_FUZZ_SERVER_H */
