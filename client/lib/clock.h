/* clock.h - libcachify's one seam for time: the monotonic clock deadlines,
 * waits and the memory client's expiry run on, the wall clock pool slots
 * expire on (slot lists are shared between processes), and sleeping.
 * The daemon and the CLI keep their own clocks; this one is internal and
 * not installed. Symbols start with lc_clock_.
 */
#ifndef CACHIFY_LIB_CLOCK_H
#define CACHIFY_LIB_CLOCK_H

#include <stdint.h>

/* ms on CLOCK_MONOTONIC. */
int64_t lc_clock_ms(void);
/* ms since the Unix epoch: CLOCK_REALTIME, or the clock given to
 * lc_clock_set_wall. */
int64_t lc_clock_wall_ms(void);
/* Replaces the wall clock (tests; NULL restores it). Call it while no other
 * thread uses pools. */
void lc_clock_set_wall(int64_t (*now_ms)(void));

/* Sleep s seconds / ms milliseconds (nothing when <= 0); a signal does not
 * cut the sleep short. */
void lc_clock_sleep_s(double s);
void lc_clock_sleep_ms(int64_t ms);

#endif /* CACHIFY_LIB_CLOCK_H */
