/* listen.h - the listening socket: binding or adopting it, accepting on it.
 *
 * The descriptor and its events live in struct server (server.h); this
 * module opens, accepts on and closes them.
 */
#ifndef CACHIFY_LISTEN_H
#define CACHIFY_LISTEN_H

#include <event2/util.h>

/* Adopts the socket systemd passed (LISTEN_FDS) or binds server.cfg.unixsocket,
 * never removing anything but a stale socket; sets server.listen_fd and notes
 * the socket's group for allow-gid. 0 or -1 (logged). */
int listen_open(void);
/* Stops accepting and closes the socket; unlinks the file if we bound it.
 * Safe to call more than once. */
void listen_close(void);
/* Closes the rejected peers still being drained. */
void listen_rejects_free(void);

/* libevent callbacks: accept on server.ev_accept, and re-enable it from
 * server.ev_accept_resume after an EMFILE pause. */
void listen_accept_cb(evutil_socket_t fd, short what, void *arg);
void listen_accept_resume_cb(evutil_socket_t fd, short what, void *arg);

#endif /* CACHIFY_LISTEN_H */
