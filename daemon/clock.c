/* clock.c - monotonic and wall time, with a fake clock for tests. */
#include "clock.h"

#include <stdbool.h>
#include <time.h>

static bool fake_on;
static int64_t fake_ms;	     /* ms, monotonic */
static int64_t fake_wall_ms; /* ms since the epoch */

static int64_t read_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t clock_ms(void)
{
	return fake_on ? fake_ms : read_us(CLOCK_MONOTONIC) / 1000;
}

int64_t clock_us(void)
{
	return fake_on ? fake_ms * 1000 : read_us(CLOCK_MONOTONIC);
}

int64_t clock_wall_ms(void)
{
	return fake_on ? fake_wall_ms : read_us(CLOCK_REALTIME) / 1000;
}

int64_t clock_wall_us(void)
{
	return fake_on ? fake_wall_ms * 1000 : read_us(CLOCK_REALTIME);
}

void clock_fake_set(int64_t ms, int64_t wall_ms)
{
	fake_on = true;
	fake_ms = ms;
	fake_wall_ms = wall_ms;
}

void clock_fake_off(void)
{
	fake_on = false;
}
