/*
 * test_validate.c - the checks every value from outside goes through:
 * UTF-8 well-formedness and length, RFC 3339 timestamps (parse, canonical
 * format, round trips, known epoch values) and bounded integer parsing.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "validate.h"
#include "check.h"

#define USEC	INT64_C(1000000)

/* utf8_valid over a string literal, without its terminating NUL. */
#define VALID(lit)	utf8_valid((lit), sizeof(lit) - 1)

static void
test_utf8_valid(void)
{
	/* Well-formed: ASCII, and the edges of each encoding length. */
	CHECK(utf8_valid("", 0));
	CHECK(VALID("hello, world"));
	CHECK(VALID("\xc2\x80"));		/* U+0080, first 2-byte */
	CHECK(VALID("\xc3\xa9"));		/* U+00E9 e acute */
	CHECK(VALID("\xdf\xbf"));		/* U+07FF, last 2-byte */
	CHECK(VALID("\xe0\xa0\x80"));		/* U+0800, first 3-byte */
	CHECK(VALID("\xe2\x82\xac"));		/* U+20AC euro sign */
	CHECK(VALID("\xed\x9f\xbf"));		/* U+D7FF, below surrogates */
	CHECK(VALID("\xee\x80\x80"));		/* U+E000, above surrogates */
	CHECK(VALID("\xef\xbf\xbf"));		/* U+FFFF */
	CHECK(VALID("\xf0\x90\x80\x80"));	/* U+10000, first 4-byte */
	CHECK(VALID("\xf0\x9f\x98\x80"));	/* U+1F600 emoji */
	CHECK(VALID("\xf4\x8f\xbf\xbf"));	/* U+10FFFF, the last one */
	CHECK(VALID("caf\xc3\xa9 \xe2\x82\xac\xf0\x9f\x98\x80 ok"));

	/* Overlong encodings. */
	CHECK(!VALID("\xc0\x80"));		/* NUL in 2 bytes */
	CHECK(!VALID("\xc0\xaf"));		/* '/' in 2 bytes */
	CHECK(!VALID("\xc1\xbf"));
	CHECK(!VALID("\xe0\x80\x80"));
	CHECK(!VALID("\xe0\x9f\xbf"));		/* U+07FF in 3 bytes */
	CHECK(!VALID("\xf0\x80\x80\x80"));
	CHECK(!VALID("\xf0\x8f\xbf\xbf"));	/* U+FFFF in 4 bytes */

	/* UTF-16 surrogates. */
	CHECK(!VALID("\xed\xa0\x80"));		/* U+D800 */
	CHECK(!VALID("\xed\xaf\xbf"));		/* U+DBFF */
	CHECK(!VALID("\xed\xb0\x80"));		/* U+DC00 */
	CHECK(!VALID("\xed\xbf\xbf"));		/* U+DFFF */
	CHECK(!VALID("\xed\xa0\xbd\xed\xb8\x80"));	/* CESU-8 pair */

	/* Beyond U+10FFFF, and bytes that never start a sequence. */
	CHECK(!VALID("\xf4\x90\x80\x80"));	/* U+110000 */
	CHECK(!VALID("\xf5\x80\x80\x80"));
	CHECK(!VALID("\xf7\xbf\xbf\xbf"));
	CHECK(!VALID("\xf8\x88\x80\x80\x80"));	/* old 5-byte form */
	CHECK(!VALID("\xfc\x84\x80\x80\x80\x80"));	/* old 6-byte form */
	CHECK(!VALID("\xfe"));
	CHECK(!VALID("\xff"));
	CHECK(!VALID("\x80"));			/* lone continuation */
	CHECK(!VALID("a\xbf" "b"));

	/* Truncated sequences, at the end and before more text. */
	CHECK(!VALID("\xc3"));
	CHECK(!VALID("\xe2\x82"));
	CHECK(!VALID("\xf0\x9f\x98"));
	CHECK(!VALID("abc\xe2"));
	CHECK(!VALID("\xc3" "A"));
	CHECK(!VALID("\xe2\x82" "A"));
	CHECK(!VALID("\xf0\x9f\x98" "A"));
	CHECK(!VALID("\xf0\x9f" "AB"));

	/* The length is the limit, not the NUL: a sequence cut by len. */
	CHECK(!utf8_valid("\xc3\xa9", 1));
	CHECK(!utf8_valid("\xf0\x9f\x98\x80", 3));
	CHECK(utf8_valid("ab\xc3\xa9", 2));
	CHECK(utf8_valid("ok\xff", 2));		/* the bad byte is past len */
	CHECK(!VALID("fine until the end \xff"));
}

static void
test_utf8_length(void)
{
	char	 many[256 * 4 + 1];
	size_t	 i;

	CHECK_I64("utf8_length(\"\")", utf8_length("", 0), 0);
	CHECK_I64("utf8_length(\"abc\")", utf8_length("abc", 3), 3);
	CHECK_I64("utf8_length(e acute)", utf8_length("\xc3\xa9", 2), 1);
	CHECK_I64("utf8_length(euro)", utf8_length("\xe2\x82\xac", 3), 1);
	CHECK_I64("utf8_length(emoji)", utf8_length("\xf0\x9f\x98\x80", 4), 1);
	CHECK_I64("utf8_length(mixed)",
	    utf8_length("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10), 4);

	for (i = 0; i < 255; i++)
		memcpy(many + 2 * i, "\xc3\xa9", 2);
	CHECK_I64("utf8_length(255 x 2-byte)", utf8_length(many, 510), 255);
	for (i = 0; i < 256; i++)
		memcpy(many + 4 * i, "\xf0\x9f\x98\x80", 4);
	CHECK_I64("utf8_length(256 x 4-byte)", utf8_length(many, 1024), 256);
}

/* Parse s, expecting success and the given seconds plus microseconds. */
static void
parse_ok(int line, const char *s, int64_t secs, int64_t us)
{
	int64_t	 got = INT64_MIN;
	char	 what[160];

	snprintf(what, sizeof(what), "rfc3339_parse(\"%s\")", s);
	check_i64(__FILE__, line, what, rfc3339_parse(s, &got), 0);
	check_i64(__FILE__, line, what, got, secs * USEC + us);
}
#define PARSE_OK(s, secs, us)	parse_ok(__LINE__, (s), (secs), (us))

/* Parse s, expecting a refusal that leaves *usec alone. */
static void
parse_bad(int line, const char *s)
{
	int64_t	 got = 4242;
	char	 what[160];

	snprintf(what, sizeof(what), "rfc3339_parse(\"%s\") refused", s);
	check_i64(__FILE__, line, what, rfc3339_parse(s, &got), -1);
}
#define PARSE_BAD(s)	parse_bad(__LINE__, (s))

/* format(parse(in)) must be the canonical UTC form `want`. */
static void
round_trip(int line, const char *in, const char *want)
{
	int64_t	 usec = 0;
	char	 out[RFC3339_BUFSZ], what[160];

	snprintf(what, sizeof(what), "rfc3339_parse(\"%s\")", in);
	check_i64(__FILE__, line, what, rfc3339_parse(in, &usec), 0);
	rfc3339_format(usec, out);
	snprintf(what, sizeof(what), "format(parse(\"%s\"))", in);
	check_str(__FILE__, line, what, out, want);
}
#define ROUND_TRIP(in, want)	round_trip(__LINE__, (in), (want))

static void
test_rfc3339_parse(void)
{
	/* Known epoch values. */
	PARSE_OK("1970-01-01T00:00:00Z", 0, 0);
	PARSE_OK("2000-01-01T00:00:00Z", 946684800, 0);
	PARSE_OK("2024-02-29T00:00:00Z", 1709164800, 0);
	PARSE_OK("2038-01-19T03:14:08Z", INT64_C(2147483648), 0);
	PARSE_OK("2025-11-07T15:15:30Z", 1762528530, 0);
	PARSE_OK("1969-12-31T23:59:59Z", -1, 0);
	PARSE_OK("1969-12-31T23:59:59.5Z", -1, 500000);

	/* Offsets move the instant; lower-case t and z are allowed. */
	PARSE_OK("2025-11-07T10:15:30.123-05:00", 1762528530, 123000);
	PARSE_OK("2025-11-07T20:45:30+05:30", 1762528530, 0);
	PARSE_OK("2025-11-07T15:15:30+00:00", 1762528530, 0);
	PARSE_OK("2025-11-07T15:15:30-00:00", 1762528530, 0);
	PARSE_OK("2025-11-08T15:14:30+23:59", 1762528530, 0);
	PARSE_OK("2025-11-07t15:15:30z", 1762528530, 0);
	PARSE_OK("2025-11-07t10:15:30.123-05:00", 1762528530, 123000);

	/* Fractions of any length; digits past microseconds add nothing. */
	PARSE_OK("1970-01-01T00:00:00.1Z", 0, 100000);
	PARSE_OK("1970-01-01T00:00:00.000001Z", 0, 1);
	PARSE_OK("1970-01-01T00:00:00.999999Z", 0, 999999);
	PARSE_OK("1970-01-01T00:00:01.1234560001Z", 1, 123456);
	PARSE_OK("1970-01-01T00:00:01.000000000000000000000Z", 1, 0);

	/* Leap years: 2024 and 2000 have Feb 29, 2023 and 1900 do not. */
	PARSE_OK("2024-02-29T12:00:00Z", 1709208000, 0);
	PARSE_OK("2000-02-29T00:00:00Z", 951782400, 0);
	PARSE_BAD("2023-02-29T00:00:00Z");
	PARSE_BAD("1900-02-29T00:00:00Z");
	PARSE_BAD("2024-02-30T00:00:00Z");

	/* Field bounds. */
	PARSE_BAD("2025-00-07T10:15:30Z");
	PARSE_BAD("2025-13-07T10:15:30Z");
	PARSE_BAD("2025-11-00T10:15:30Z");
	PARSE_BAD("2025-01-32T10:15:30Z");
	PARSE_BAD("2025-04-31T10:15:30Z");
	PARSE_OK("2025-04-30T00:00:00Z", 1745971200, 0);
	PARSE_OK("2025-12-31T23:59:59Z", 1767225599, 0);
	PARSE_BAD("2025-11-07T24:00:00Z");
	PARSE_BAD("2025-11-07T10:60:30Z");
	PARSE_BAD("2025-11-07T10:15:61Z");
	PARSE_BAD("2025-11-07T10:15:30+24:00");
	PARSE_BAD("2025-11-07T10:15:30+05:60");

	/* A leap second is accepted and stays in its minute. */
	PARSE_OK("2016-12-31T23:59:60Z", 1483228799, 0);

	/* Missing or malformed zone. */
	PARSE_BAD("2025-11-07T10:15:30");
	PARSE_BAD("2025-11-07T10:15:30.123");
	PARSE_BAD("2025-11-07T10:15:30+05");
	PARSE_BAD("2025-11-07T10:15:30+0500");
	PARSE_BAD("2025-11-07T10:15:30+05:0");
	PARSE_BAD("2025-11-07T10:15:30+5:00");
	PARSE_BAD("2025-11-07T10:15:30 Z");
	PARSE_BAD("2025-11-07T10:15:30UTC");

	/* Trailing junk. */
	PARSE_BAD("2025-11-07T10:15:30Z ");
	PARSE_BAD("2025-11-07T10:15:30Zx");
	PARSE_BAD("2025-11-07T10:15:30Z\n");
	PARSE_BAD("2025-11-07T10:15:30ZZ");
	PARSE_BAD("2025-11-07T10:15:30+05:00x");
	PARSE_BAD("2025-11-07T10:15:30+05:00:00");

	/* Truncated, mis-separated or otherwise not a date-time. */
	PARSE_BAD("");
	PARSE_BAD("2025");
	PARSE_BAD("2025-11-07");
	PARSE_BAD("2025-11-07T");
	PARSE_BAD("2025-11-07T10:15");
	PARSE_BAD("2025-11-07T10:15Z");
	PARSE_BAD("2025-11-07T10:15:30.Z");
	PARSE_BAD("2025-11-07T10:15:30,123Z");
	PARSE_BAD("2025/11/07T10:15:30Z");
	PARSE_BAD("20251107T101530Z");
	PARSE_BAD("2025-11-07X10:15:30Z");
	PARSE_BAD("2025-1-07T10:15:30Z");
	PARSE_BAD("2025-11-7T10:15:30Z");
	PARSE_BAD("25-11-07T10:15:30Z");
	PARSE_BAD("12025-11-07T10:15:30Z");
	PARSE_BAD("2025-+1-07T10:15:30Z");
	PARSE_BAD(" 2025-11-07T10:15:30Z");
	PARSE_BAD("yesterday");
}

static void
test_rfc3339_format(void)
{
	char	 out[RFC3339_BUFSZ];

	rfc3339_format(0, out);
	CHECK_STR("format(0)", out, "1970-01-01T00:00:00.000000Z");
	rfc3339_format(-1, out);
	CHECK_STR("format(-1)", out, "1969-12-31T23:59:59.999999Z");
	rfc3339_format(INT64_C(1700000000) * USEC, out);
	CHECK_STR("format(1700000000 s)", out, "2023-11-14T22:13:20.000000Z");
	rfc3339_format(INT64_C(1709164800) * USEC + 1, out);
	CHECK_STR("format(2024-02-29 + 1 us)", out,
	    "2024-02-29T00:00:00.000001Z");
	rfc3339_format(-INT64_C(2208988800) * USEC, out);
	CHECK_STR("format(1900-01-01)", out, "1900-01-01T00:00:00.000000Z");

	/* The canonical UTC form of what a client may send. */
	ROUND_TRIP("2025-11-07T10:15:30.123-05:00",
	    "2025-11-07T15:15:30.123000Z");
	ROUND_TRIP("2025-11-07T10:15:30Z", "2025-11-07T10:15:30.000000Z");
	ROUND_TRIP("2025-11-07t10:15:30.5z", "2025-11-07T10:15:30.500000Z");
	ROUND_TRIP("2024-02-29T23:30:00-01:00", "2024-03-01T00:30:00.000000Z");
	ROUND_TRIP("2025-01-01T00:30:00+01:00", "2024-12-31T23:30:00.000000Z");
	ROUND_TRIP("2000-02-29T12:00:00.000001+00:00",
	    "2000-02-29T12:00:00.000001Z");
	ROUND_TRIP("1969-12-31T23:59:59.5Z", "1969-12-31T23:59:59.500000Z");
	ROUND_TRIP("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z");
	ROUND_TRIP("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000000Z");
	ROUND_TRIP("2016-12-31T23:59:60Z", "2016-12-31T23:59:59.000000Z");
	/* The canonical form is a fixed point. */
	ROUND_TRIP("2025-11-07T15:15:30.123000Z", "2025-11-07T15:15:30.123000Z");
}

/*
 * Across 1900..2100, compare rfc3339_format with gmtime_r and check that
 * parse(format(t)) == t, for a few thousand pseudo-random instants.
 */
static void
test_rfc3339_sweep(void)
{
	const int64_t	 lo = -INT64_C(2208988800), hi = INT64_C(4102444800);
	uint64_t	 seed = 12345;
	int		 i, bad_format = 0, bad_parse = 0;
	char		 out[RFC3339_BUFSZ], want[RFC3339_BUFSZ];

	for (i = 0; i < 5000; i++) {
		int64_t	 secs, us, back = 0;
		time_t	 tt;
		struct tm tm;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		secs = lo + (int64_t)((seed >> 11) % (uint64_t)(hi - lo));
		us = (int64_t)((seed >> 3) % 1000000);
		tt = (time_t)secs;
		if (gmtime_r(&tt, &tm) == NULL)
			continue;
		snprintf(want, sizeof(want),
		    "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec, (int)us);
		rfc3339_format(secs * USEC + us, out);
		if (strcmp(out, want) != 0 && bad_format++ == 0)
			fprintf(stderr, "format(%" PRId64 " us): expected %s, "
			    "got %s\n", secs * USEC + us, want, out);
		if ((rfc3339_parse(out, &back) != 0 ||
		    back != secs * USEC + us) && bad_parse++ == 0)
			fprintf(stderr, "parse(\"%s\"): expected %" PRId64
			    ", got %" PRId64 "\n", out, secs * USEC + us, back);
	}
	CHECK_I64("format disagreeing with gmtime_r", bad_format, 0);
	CHECK_I64("parse(format(t)) != t", bad_parse, 0);
}

/* parse_long(s, min, max) must give want. */
static void
long_ok(int line, const char *s, long min, long max, long want)
{
	long	 got = 4242;
	char	 what[160];

	snprintf(what, sizeof(what), "parse_long(\"%s\", %ld, %ld)", s, min,
	    max);
	check_i64(__FILE__, line, what, parse_long(s, min, max, &got), 0);
	check_i64(__FILE__, line, what, got, want);
}
#define LONG_OK(s, min, max, want)	long_ok(__LINE__, (s), (min), (max), (want))

/* parse_long(s, min, max) must refuse and leave *out alone. */
static void
long_bad(int line, const char *s, long min, long max)
{
	long	 got = 4242;
	char	 what[160];

	snprintf(what, sizeof(what), "parse_long(\"%s\", %ld, %ld) refused",
	    s ? s : "(null)", min, max);
	check_i64(__FILE__, line, what, parse_long(s, min, max, &got), -1);
	snprintf(what, sizeof(what), "parse_long(\"%s\") left *out alone",
	    s ? s : "(null)");
	check_i64(__FILE__, line, what, got, 4242);
}
#define LONG_BAD(s, min, max)	long_bad(__LINE__, (s), (min), (max))

static void
test_parse_long(void)
{
	char	 big[64];

	LONG_OK("0", 0, 10, 0);
	LONG_OK("42", 0, 100, 42);
	LONG_OK("-42", -100, 100, -42);
	LONG_OK("007", 0, 10, 7);
	LONG_OK("10", 0, 10, 10);		/* bounds are inclusive */
	LONG_OK("-5", -5, 5, -5);
	LONG_BAD("11", 0, 10);
	LONG_BAD("-1", 0, 10);
	LONG_BAD("-6", -5, 5);
	LONG_BAD("1099511627777", 0, (long)1 << 40);

	/* The whole range of long, and one past either end. */
	snprintf(big, sizeof(big), "%ld", LONG_MAX);
	LONG_OK(big, LONG_MIN, LONG_MAX, LONG_MAX);
	snprintf(big, sizeof(big), "%ld", LONG_MIN);
	LONG_OK(big, LONG_MIN, LONG_MAX, LONG_MIN);
	LONG_BAD("9223372036854775808", LONG_MIN, LONG_MAX);
	LONG_BAD("-9223372036854775809", LONG_MIN, LONG_MAX);
	LONG_BAD("99999999999999999999999999", LONG_MIN, LONG_MAX);

	/* A stale errno from elsewhere must not turn a good value bad. */
	errno = ERANGE;
	LONG_OK("12", 0, 100, 12);

	/* Anything that is not all digits. */
	LONG_BAD(NULL, 0, 100);
	LONG_BAD("", 0, 100);
	LONG_BAD("-", -100, 100);
	LONG_BAD("+", 0, 100);
	LONG_BAD("12a", 0, 100);
	LONG_BAD("a12", 0, 100);
	LONG_BAD("1 ", 0, 100);
	LONG_BAD("1\n", 0, 100);
	LONG_BAD("0x10", 0, 100);
	LONG_BAD("1.5", 0, 100);
	LONG_BAD("1e3", 0, 10000);
	LONG_BAD("--1", -100, 100);
	/* Leading white space is junk too ("all of s" is a number). */
	LONG_BAD(" 1", 0, 100);
	LONG_BAD("\t1", 0, 100);
	LONG_BAD("\n1", 0, 100);
	LONG_BAD("- 1", -100, 100);
	/* Nor is a '+': a number is an optional '-' and digits. */
	LONG_BAD("+7", 0, 100);
}

static void
test_hex_digit_value(void)
{
	const char	*digits = "0123456789abcdef";
	int		 i;

	for (i = 0; i < 16; i++) {
		CHECK(hex_digit_value(digits[i]) == i);
		CHECK(hex_digit_value(toupper((unsigned char)digits[i])) == i);
	}
	CHECK(hex_digit_value('g') == -1);
	CHECK(hex_digit_value('G') == -1);
	CHECK(hex_digit_value('/') == -1);
	CHECK(hex_digit_value(':') == -1);
	CHECK(hex_digit_value('@') == -1);
	CHECK(hex_digit_value('`') == -1);
	CHECK(hex_digit_value('\0') == -1);
	CHECK(hex_digit_value(0xc3) == -1);
}

int
main(void)
{
	test_utf8_valid();
	test_utf8_length();
	test_rfc3339_parse();
	test_rfc3339_format();
	test_rfc3339_sweep();
	test_parse_long();
	test_hex_digit_value();
	return check_done("test_validate");
}
