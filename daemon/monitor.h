/* monitor.h - MONITOR: the clients that see every command run, each as one
 * line in Redis's format:
 *   +1339518083.107412 [0 unix:/run/cachifyd.sock] "set" "k" "v"
 */
#ifndef CACHIFY_MONITOR_H
#define CACHIFY_MONITOR_H

#include "resp.h"

struct conn;
struct command;

/* c starts (monitor_add) or stops (monitor_remove; nothing if it was not
 * monitoring) receiving the lines. conn_free removes it. */
void monitor_add(struct conn *c);
void monitor_remove(struct conn *c);

/* Sends every monitor the line for a command c just ran, unless Redis
 * hides that command (admin commands; passwords show as "(redacted)"). */
void monitor_feed(struct conn *c, const struct command *cmd, int argc, struct resp_arg *argv);

#endif /* CACHIFY_MONITOR_H */
