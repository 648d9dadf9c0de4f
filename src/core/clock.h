/*
 * clock: the monotonic clock in seconds, for intervals and schedules (the
 * worker's jobs, the supervisor's back-off), which must not jump when the
 * wall clock is set.
 */
#ifndef MINICRM_CLOCK_H
#define MINICRM_CLOCK_H

/* Seconds on CLOCK_MONOTONIC, with nanoseconds as the fraction. */
double	clock_mono(void);

#endif
