/* clock.h - the daemon's one seam for time.
 *
 * Every TTL, wait and timeout runs on CLOCK_MONOTONIC, read only here, so a
 * wall-clock step changes nothing and unit tests can drive time by hand.
 */
#ifndef CACHIFY_CLOCK_H
#define CACHIFY_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC (or the fake clock, when set). */
int64_t clock_ms(void);
/* Microseconds on CLOCK_MONOTONIC (or the fake clock * 1000). */
int64_t clock_us(void);
/* Milliseconds since the Unix epoch (CLOCK_REALTIME), for EXAT/PXAT and what clients are shown. */
int64_t clock_wall_ms(void);
/* Microseconds since the Unix epoch (CLOCK_REALTIME): TIME, MONITOR, SLOWLOG. */
int64_t clock_wall_us(void);

/* Tests: freeze the monotonic clock at ms (and the wall clock at
 * wall_ms); clock_fake_off() returns to the real clocks. */
void clock_fake_set(int64_t ms, int64_t wall_ms);
void clock_fake_off(void);

#endif /* CACHIFY_CLOCK_H */
