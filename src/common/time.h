/* time.h — clocks in nanoseconds. */
#ifndef MQLB_TIME_H
#define MQLB_TIME_H

#include <stdint.h>

#define NS_PER_US 1000ULL
#define NS_PER_MS 1000000ULL
#define NS_PER_S  1000000000ULL

uint64_t time_mono_ns(void); /* CLOCK_MONOTONIC: intervals, timers */
uint64_t time_real_ns(void); /* CLOCK_REALTIME: timestamps comparable across hosts */
/* ISO-8601 local time with milliseconds, e.g. 2026-11-24T14:03:07.123+0000; buf >= 32 bytes. */
void time_iso8601_ms(uint64_t real_ns, char *buf, unsigned len);
/* Sleeps ns, resumed after a signal (EINTR) until the whole time passed. */
void time_sleep_ns(uint64_t ns);

#endif
