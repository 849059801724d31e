/* listen.h - the listening socket: binding or adopting it, accepting on it.
 *
 * Owns the descriptor, its events and the rejected peers being drained.
 * What an accepted client does is conn.c's.
 */
#ifndef CACHIFY_LISTEN_H
#define CACHIFY_LISTEN_H

#include <stdbool.h>

struct event_base;

/* Adopts the socket systemd passed (LISTEN_FDS) or binds server.cfg.unixsocket,
 * never removing anything but a stale socket; notes the socket's group for
 * allow-gid. 0 or -1 (logged). Before privileges are dropped. */
int listen_open(void);
/* Starts accepting on base. 0 or -1 (logged). */
int listen_start(struct event_base *base);
/* Stops accepting and closes the socket; unlinks the file if we bound it.
 * Safe to call more than once. */
void listen_close(void);
/* listen_close, and frees the events and the rejected peers still draining. */
void listen_free(void);
/* True when the socket came from systemd. */
bool listen_is_activated(void);
/* For script.c's poll while a script runs past busy-reply-threshold (the
 * event loop is inside it): the socket while accepting, else -1; and one
 * batch of accepts, as the loop would run it. */
int listen_fd(void);
void listen_accept(void);

#endif /* CACHIFY_LISTEN_H */
