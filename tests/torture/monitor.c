/* monitor.c - the monitor process: every MONITOR_PERIOD_MS it checks that
 * the running daemon answers PING, that its INFO counters add up, and samples
 * its VmRSS for the supervisor's bound. Also the INFO parser the supervisor's
 * final checks use.
 *
 * Every grant ends exactly one way (daemon/lock.h), and INFO is computed in
 * one turn of the daemon's loop, so the identity holds in every reply, under
 * load: grants == locks_held + releases + session_releases + expired +
 * forced_releases, and likewise for slots.
 */
#include "monitor.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torture.h"

#define MONITOR_PERIOD_US 200000 /* between two rounds of checks */

static const struct {
	const char *section, *name;
	size_t off;
} info_fields[] = {
#define F(sec, name, field)                                                                        \
	{                                                                                          \
		sec, name, offsetof(struct tt_info, field)                                         \
	}
    F("Locks", "locks_held", locks_held),
    F("Locks", "waiters", waiters),
    F("Locks", "grants", grants),
    F("Locks", "releases", releases),
    F("Locks", "waits", waits),
    F("Locks", "timeouts", timeouts),
    F("Locks", "waiters_gone", waiters_gone),
    F("Locks", "session_releases", session_releases),
    F("Locks", "expired", expired),
    F("Locks", "forced_releases", forced_releases),
    F("Pools", "pools", pools),
    F("Pools", "slots_held", slots_held),
    F("Pools", "slot_grants", slot_grants),
    F("Pools", "slot_releases", slot_releases),
    F("Pools", "session_releases", pool_session_releases),
    F("Pools", "slots_expired", slots_expired),
    F("Pools", "slots_forced", slots_forced),
#undef F
};
#define NFIELDS (sizeof info_fields / sizeof info_fields[0])

/* Fills *out from INFO text; -1 (why set) if a field is missing. */
static int info_parse(const char *text, struct tt_info *out, char *why, size_t size)
{
	char section[160] = "";
	bool seen[NFIELDS] = {false};
	const char *p = text;

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char line[160], *colon;

		snprintf(line, sizeof line, "%.*s",
		         (int)(len < sizeof line ? len : sizeof line - 1), p);
		line[strcspn(line, "\r")] = '\0';
		p += len + (eol ? 1 : 0);
		if (line[0] == '#') {
			snprintf(section, sizeof section, "%s", line + 2);
			continue;
		}
		if (!(colon = strchr(line, ':')))
			continue;
		*colon = '\0';
		for (size_t i = 0; i < NFIELDS; i++)
			if (strcmp(info_fields[i].section, section) == 0 &&
			    strcmp(info_fields[i].name, line) == 0) {
				*(long long *)((char *)out + info_fields[i].off) =
				    strtoll(colon + 1, NULL, 10);
				seen[i] = true;
			}
	}
	for (size_t i = 0; i < NFIELDS; i++)
		if (!seen[i]) {
			snprintf(why, size, "INFO has no %s field in # %s", info_fields[i].name,
			         info_fields[i].section);
			return -1;
		}
	return 0;
}

int monitor_info(struct rconn *c, int timeout_ms, struct tt_info *out, char *why, size_t size)
{
	struct resp_arg a[] = {{"INFO", 4}, {"locks", 5}, {"pools", 5}};
	struct resp_reply *r;
	int rc;

	if (rconn_send(c, 3, a) != 0) {
		snprintf(why, size, "INFO: send: %s", strerror(errno));
		return -1;
	}
	rc = rconn_reply(c, timeout_ms, &r, NULL);
	if (rc != 1) {
		snprintf(why, size, "INFO: %s", rc == 0 ? "EOF" : strerror(errno));
		return -1;
	}
	if (r->type != RESP_BULK) {
		char desc[160];

		snprintf(why, size, "INFO: %s", rconn_desc(r, desc, sizeof desc));
		resp_reply_free(r);
		return -1;
	}
	rc = info_parse(r->str, out, why, size);
	resp_reply_free(r);
	return rc;
}

void monitor_info_check(const struct tt_info *in, const char *when)
{
	long long locks = in->locks_held + in->releases + in->session_releases + in->expired +
	                  in->forced_releases;
	long long slots = in->slots_held + in->slot_releases + in->pool_session_releases +
	                  in->slots_expired + in->slots_forced;

	tt_checked(INV_INFO, 2);
	if (in->grants != locks)
		tt_violation(INV_INFO,
		             "%s: grants %lld != locks_held %lld + releases %lld + "
		             "session_releases %lld + expired %lld + forced_releases %lld",
		             when, in->grants, in->locks_held, in->releases, in->session_releases,
		             in->expired, in->forced_releases);
	if (in->slot_grants != slots)
		tt_violation(INV_INFO,
		             "%s: slot_grants %lld != slots_held %lld + slot_releases %lld + "
		             "session_releases %lld + slots_expired %lld + slots_forced %lld",
		             when, in->slot_grants, in->slots_held, in->slot_releases,
		             in->pool_session_releases, in->slots_expired, in->slots_forced);
}

/* VmRSS of the running daemon: first sample and peak per generation. */
static void sample_rss(void)
{
	int g = tt_load(&tt_shm->gen);
	struct tt_gen *gen = &tt_shm->gens[g];
	long kb = tt_rss_kb(gen->pid);

	if (kb <= 0 || tt_load(&tt_shm->restarting))
		return;
	if (gen->rss_first_kb == 0)
		gen->rss_first_kb = kb;
	if (kb > gen->rss_peak_kb)
		gen->rss_peak_kb = kb;
}

/* PING and INFO on c; drops c when the daemon went away. */
static void monitor_round(struct rconn *c, int gen)
{
	struct resp_arg ping[] = {{"PING", 4}};
	struct resp_reply *r = NULL;
	struct tt_info info;
	char why[256];
	int rc = -1;

	if (rconn_send(c, 1, ping) == 0)
		rc = rconn_reply(c, tt_ms(TT_HANG_MS), &r, NULL);
	tt_checked(INV_ALIVE, 1);
	if (rc != 1 || r->type != RESP_STRING || strcmp(r->str, "PONG") != 0) {
		char desc[160];

		if (!tt_close_expected(gen))
			tt_violation(INV_ALIVE, "PING: %s",
			             rc == 1   ? rconn_desc(r, desc, sizeof desc)
			             : rc == 0 ? "EOF"
			                       : strerror(errno));
		resp_reply_free(r);
		rconn_close(c);
		return;
	}
	resp_reply_free(r);
	if (monitor_info(c, tt_ms(TT_HANG_MS), &info, why, sizeof why) != 0) {
		if (!tt_close_expected(gen))
			tt_violation(INV_INFO, "%s", why);
		rconn_close(c);
		return;
	}
	monitor_info_check(&info, "under load");
	tt_add(&tt_shm->info_samples, 1);
}

void monitor_main(void)
{
	struct rconn c;
	int gen = -1;

	rconn_init(&c);
	while (!tt_load(&tt_shm->stop)) {
		tt_sleep_us(MONITOR_PERIOD_US);
		if (tt_load(&tt_shm->restarting)) {
			rconn_close(&c);
			continue;
		}
		sample_rss();
		if (c.fd < 0) {
			int before = tt_load(&tt_shm->gen);

			if (tt_connect(&c, &gen, tt_ms(TT_HANG_MS)) != 0) {
				if (!tt_load(&tt_shm->stop) && !tt_load(&tt_shm->restarting) &&
				    tt_load(&tt_shm->gen) == before)
					tt_violation(INV_ALIVE, "no connection in %d ms",
					             tt_ms(TT_HANG_MS));
				continue;
			}
		}
		monitor_round(&c, gen);
	}
	rconn_close(&c);
	exit(0);
}
