/*
 * validate: pure checks for values that arrive from outside — UTF-8 text,
 * RFC 3339 timestamps, bounded integers. No allocation, no global state,
 * so each is easy to test and safe to call from any thread.
 */
#ifndef MINICRM_VALIDATE_H
#define MINICRM_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True if s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool	utf8_valid(const char *s, size_t len);

/* Number of code points in well-formed UTF-8 s[0..len). */
size_t	utf8_length(const char *s, size_t len);

/*
 * Parse an RFC 3339 date-time ("2025-11-07T10:15:30.123-05:00", "...Z") into
 * microseconds since the Unix epoch. Returns 0, or -1 if it is not one.
 */
int	rfc3339_parse(const char *s, int64_t *usec);

/* Days from 1970-01-01 to year-month-day (month 1 to 12) in the proleptic
 * Gregorian calendar: negative before 1970. */
int64_t	days_from_civil(int year, int month, int day);

/* Format microseconds since the epoch as "YYYY-MM-DDTHH:MM:SS.ffffffZ". */
#define RFC3339_BUFSZ 64
void	rfc3339_format(int64_t usec, char out[RFC3339_BUFSZ]);

/*
 * Parse all of s as a base-10 integer in [min, max]. Returns 0, or -1 for
 * empty input, trailing characters or a value out of range.
 */
/* The value of hexadecimal digit c (either case), or -1. */
int	hex_digit_value(int c);

int	parse_long(const char *s, long min, long max, long *out);

#endif
