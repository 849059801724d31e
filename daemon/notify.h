/* notify.h - the systemd notification protocol (sd_notify), without libsystemd.
 *
 * Owns $NOTIFY_SOCKET and the watchdog settings ($WATCHDOG_USEC,
 * $WATCHDOG_PID). What to say and when (READY=1, STATUS=, RELOADING=1,
 * STOPPING=1, WATCHDOG=1) is the server's business.
 */
#ifndef CACHIFY_NOTIFY_H
#define CACHIFY_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#define NOTIFY_MSG_MAX	    1024 /* bytes in one notification */
#define NOTIFY_SEND_TIMEOUT 1000 /* ms a send may block before it is dropped */

/* Reads and unsets NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID, and
 * opens the datagram socket. Without NOTIFY_SOCKET every call below is a
 * no-op. 0, or -1 (logged) when the variables are malformed or the socket
 * cannot be made; notification is then off. */
int notify_init(void);
void notify_free(void);
/* Is there a service manager to notify? */
bool notify_enabled(void);

/* Sends one notification: newline-separated KEY=VALUE lines, e.g.
 * notify_send("READY=1\nSTATUS=%s", s). Never blocks longer than
 * NOTIFY_SEND_TIMEOUT. 0 (also when disabled), or -1 (logged at debug). */
int notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The watchdog interval the manager expects pings in, in us; 0 if none. */
int64_t notify_watchdog_usec(void);

/* us on the real CLOCK_MONOTONIC, for MONOTONIC_USEC= (the manager's clock,
 * not the daemon's testable one). */
uint64_t notify_monotonic_usec(void);

#endif /* CACHIFY_NOTIFY_H */
