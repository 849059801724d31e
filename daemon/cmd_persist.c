/* cmd_persist.c - SAVE, BGSAVE and LASTSAVE, with Redis's replies and
 * errors. Writing files and the child are persist.c's; SHUTDOWN's saving
 * and INFO persistence are cmd_server.c's, through persist.h.
 */
#include <stdbool.h>

#include "client.h"
#include "cmd.h"
#include "cmd_args.h"
#include "persist.h"
#include "reply.h"

#define ERR_BGSAVE_RUNNING "ERR Background save already in progress"

/* SAVE: writes the snapshot before replying (the loop waits for it). */
void cmd_save(struct conn *c, int argc, struct resp_arg *argv)
{
	char err[PERSIST_ERR_MAX];

	(void)argc;
	(void)argv;
	if (persist_bgsave_running()) {
		reply_error(c, ERR_BGSAVE_RUNNING);
		return;
	}
	if (persist_save(false, err) != 0)
		reply_error(c, "ERR");
	else
		reply_ok(c);
}

/* BGSAVE [SCHEDULE]: forks a child that writes the snapshot. With SCHEDULE
 * while one runs, another follows it. */
void cmd_bgsave(struct conn *c, int argc, struct resp_arg *argv)
{
	char err[PERSIST_ERR_MAX];
	bool schedule = false;

	if (argc > 1) {
		if (argc != 2 || !arg_is(&argv[1], "schedule")) {
			reply_error(c, ERR_SYNTAX);
			return;
		}
		schedule = true;
	}
	if (persist_bgsave_running()) {
		if (schedule) {
			persist_schedule();
			reply_simple(c, "Background saving scheduled");
		} else {
			reply_error(c, ERR_BGSAVE_RUNNING);
		}
		return;
	}
	if (persist_bgsave(err) != 0)
		reply_error(c, "ERR");
	else
		reply_simple(c, "Background saving started");
}

/* LASTSAVE: Unix seconds of the last good save (the start if none yet). */
void cmd_lastsave(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	(void)argv;
	reply_int(c, (long long)persist_stats()->last_save);
}
