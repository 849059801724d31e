/* clock.c - libcachify's clocks and sleeping (see clock.h); the wall clock
 * has a seam so tests can expire pool slots without sleeping.
 */
#include <errno.h>
#include <time.h>

#include "clock.h"

static int64_t (*wall_clock)(void); /* tests' seam; NULL = CLOCK_REALTIME */

static int64_t read_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t lc_clock_ms(void)
{
	return read_ms(CLOCK_MONOTONIC);
}

int64_t lc_clock_wall_ms(void)
{
	int64_t (*fn)(void) = __atomic_load_n(&wall_clock, __ATOMIC_ACQUIRE);

	return fn ? fn() : read_ms(CLOCK_REALTIME);
}

void lc_clock_set_wall(int64_t (*now_ms)(void))
{
	__atomic_store_n(&wall_clock, now_ms, __ATOMIC_RELEASE);
}

/* Sleeps all of ts, resuming with the time left after a signal. */
static void sleep_ts(struct timespec ts)
{
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void lc_clock_sleep_s(double s)
{
	struct timespec ts;

	if (!(s > 0))
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	sleep_ts(ts);
}

void lc_clock_sleep_ms(int64_t ms)
{
	if (ms <= 0)
		return;
	sleep_ts((struct timespec){.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000});
}
