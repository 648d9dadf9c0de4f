/* validate: UTF-8, RFC 3339 and integer checks (see validate.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "validate.h"

bool
utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t	 i = 0, n, k;
	uint32_t cp, min;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 2; cp = s[i] & 0x1f; min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 3; cp = s[i] & 0x0f; min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 4; cp = s[i] & 0x07; min = 0x10000;
		} else
			return false;
		if (len - i < n)
			return false;
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n;
	}
	return true;
}

size_t
utf8_length(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t	 i, count = 0;

	for (i = 0; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			count++;
	return count;
}

/* Read exactly n digits from *p into *out; advance *p. */
static int
digits(const char **p, int n, int *out)
{
	int v = 0;

	while (n-- > 0) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

static bool
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int64_t
days_from_civil(int y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
rfc3339_parse(const char *s, int64_t *usec)
{
	static const int mdays[] =
	    { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int	 y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0, last;
	int64_t	 frac = 0, scale = 100000, t;

	if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) ||
	    *s++ != '-' || digits(&s, 2, &d))
		return -1;
	if (*s != 'T' && *s != 't' && *s != ' ')
		return -1;
	s++;
	if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi) ||
	    *s++ != ':' || digits(&s, 2, &sec))
		return -1;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -1;
		for (; *s >= '0' && *s <= '9'; s++) {
			frac += (*s - '0') * scale;
			scale /= 10;
		}
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (digits(&s, 2, &oh) || *s++ != ':' || digits(&s, 2, &om))
			return -1;
	} else
		return -1;
	if (*s != '\0')
		return -1;

	if (mo < 1 || mo > 12 || d < 1)
		return -1;
	last = mdays[mo - 1] + (mo == 2 && is_leap(y));
	if (d > last || h > 23 || mi > 59 || sec > 60 || oh > 23 || om > 59)
		return -1;
	if (sec == 60)		/* a leap second: keep it in its minute */
		sec = 59;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= sign * (oh * 3600 + om * 60);
	*usec = t * 1000000 + frac;
	return 0;
}

void
rfc3339_format(int64_t usec, char out[RFC3339_BUFSZ])
{
	int64_t	 secs = usec / 1000000, us = usec % 1000000, days, rem;
	int64_t	 z, era, doe, yoe, doy, mp, y, m, d;

	if (us < 0) {
		us += 1000000;
		secs--;
	}
	days = secs / 86400;
	rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp + (mp < 10 ? 3 : -9);
	y = yoe + era * 400 + (m <= 2);
	snprintf(out, RFC3339_BUFSZ, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
	    (int)y, (int)m, (int)d, (int)(rem / 3600), (int)(rem / 60 % 60),
	    (int)(rem % 60), (int)us);
}

int
parse_long(const char *s, long min, long max, long *out)
{
	char	*end;
	long	 v;

	/* strtol would skip leading spaces and take a '+': we do not. */
	if (s == NULL || !((*s >= '0' && *s <= '9') || *s == '-'))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
hex_digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
