/* pause.c - CLIENT PAUSE and UNPAUSE (see pause.h): the pause's mode and
 * end, its timer, and the queue of held clients. conn.c asks before each
 * command; the command itself is cmd_conn.c's.
 */
#include "pause.h"

#include <event2/event.h>
#include <sys/queue.h>

#include "client.h"
#include "clock.h"
#include "command.h"
#include "log.h"
#include "server.h"

static struct {
	bool on;
	bool all;	/* every command, else write commands only */
	int64_t until;	/* ms, monotonic */
	struct event *timer;
	TAILQ_HEAD(, conn) held; /* in the order they were held */
} pause = {.held = TAILQ_HEAD_INITIALIZER(pause.held)};

static void pause_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	pause_end();
}

void pause_start(int64_t until_ms, bool all)
{
	int64_t left;
	struct timeval tv;

	if (!pause.timer && !(pause.timer = evtimer_new(server.base, pause_timer_cb, NULL))) {
		log_warning("out of memory for the CLIENT PAUSE timer; not pausing");
		return;
	}
	if (!pause.on || until_ms > pause.until)
		pause.until = until_ms;
	pause.all = (pause.on && pause.all) || all;
	pause.on = true;
	left = pause.until - clock_ms();
	if (left < 0)
		left = 0;
	tv.tv_sec = (time_t)(left / 1000);
	tv.tv_usec = (suseconds_t)(left % 1000 * 1000);
	evtimer_add(pause.timer, &tv);
}

void pause_end(void)
{
	struct conn *c;

	if (!pause.on)
		return;
	pause.on = false;
	evtimer_del(pause.timer);
	/* Woken in order: libevent runs active callbacks in activation order. */
	while ((c = TAILQ_FIRST(&pause.held)) != NULL) {
		TAILQ_REMOVE(&pause.held, c, pause_link);
		c->flags &= ~(CONN_PAUSED | CONN_BLOCKED);
		client_wake(c);
	}
}

bool pause_holds(struct conn *c, int argc, const struct resp_arg *argv)
{
	const struct command *cmd;

	if (!pause.on)
		return false;
	cmd = command_lookup(argv[0].ptr, argv[0].len);
	if (!cmd || (cmd->arity > 0 && argc != cmd->arity) || (cmd->arity < 0 && argc < -cmd->arity))
		return false;
	if (!pause.all && !(cmd->flags & CMD_WRITE))
		return false;
	c->flags |= CONN_PAUSED | CONN_BLOCKED;
	TAILQ_INSERT_TAIL(&pause.held, c, pause_link);
	return true;
}

void pause_conn_gone(struct conn *c)
{
	if (!(c->flags & CONN_PAUSED))
		return;
	TAILQ_REMOVE(&pause.held, c, pause_link);
	c->flags &= ~(CONN_PAUSED | CONN_BLOCKED);
}

void pause_free(void)
{
	if (pause.timer)
		event_free(pause.timer);
	pause.timer = NULL;
	pause.on = false;
	TAILQ_INIT(&pause.held);
}
