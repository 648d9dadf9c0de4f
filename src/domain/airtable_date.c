/*
 * airtable_date: the dates of Airtable's CSV exports (airtable.h). A date
 * field exports as the field shows it: ISO ("2024-03-05", with a 24-hour
 * time "2024-03-05 14:07"), US or Local ("3/5/2024 2:07pm"), European
 * ("5/3/2024 14:07"), Friendly ("March 5, 2024 2:07pm"); the API and a
 * formula give ISO 8601 ("2024-03-05T14:07:00.000Z"). Only ISO 8601 says
 * its offset; the others are in the field's time zone (--timezone).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "airtable.h"
#include "validate.h"

struct parsed {
	int	 year, month, day, hour, min, sec;
	long	 usec;
	bool	 has_offset;
	int	 offset_min;	/* east of UTC */
};

/* Up to max digits (at least one) into *out; the digits read, or 0. */
static int
digits(const char **s, int max, int *out)
{
	int	 n = 0, v = 0;

	while (n < max && isdigit((unsigned char)**s)) {
		v = v * 10 + (**s - '0');
		(*s)++;
		n++;
	}
	*out = v;
	return n;
}

static const char *const months[12] = { "january", "february", "march",
    "april", "may", "june", "july", "august", "september", "october",
    "november", "december" };

/* "March" or "Mar" (any case); the month (1-12) or 0. */
static int
month_name(const char **s)
{
	size_t	 n = 0;
	int	 m;

	while (isalpha((unsigned char)(*s)[n]))
		n++;
	if (n < 3)
		return 0;
	for (m = 0; m < 12; m++)
		if (strncasecmp(*s, months[m], n) == 0 &&
		    (n == 3 || n == strlen(months[m]))) {
			*s += n;
			return m + 1;
		}
	return 0;
}

/* " 14:07", " 2:07pm", "T14:07:30.123Z", " 2:07 PM": the time after a
 * date, and an offset. 0, or -1. */
static int
time_part(const char *s, struct parsed *p)
{
	int	 frac = 0, n;

	if (*s == '\0')
		return 0;
	if (*s != 'T' && *s != 't' && *s != ' ')
		return -1;
	s++;
	while (*s == ' ')
		s++;
	if (digits(&s, 2, &p->hour) == 0 || *s++ != ':' ||
	    digits(&s, 2, &p->min) != 2)
		return -1;
	if (*s == ':') {
		s++;
		if (digits(&s, 2, &p->sec) != 2)
			return -1;
		if (*s == '.' || *s == ',') {
			s++;
			for (n = 0; isdigit((unsigned char)*s); s++, n++)
				if (n < 6)
					frac = frac * 10 + (*s - '0');
			if (n == 0)
				return -1;
			for (; n < 6; n++)
				frac *= 10;
			p->usec = frac;
		}
	}
	while (*s == ' ')
		s++;
	if (strncasecmp(s, "am", 2) == 0 || strncasecmp(s, "pm", 2) == 0) {
		if (p->hour < 1 || p->hour > 12)
			return -1;
		p->hour = p->hour % 12 + (tolower((unsigned char)*s) == 'p' ?
		    12 : 0);
		s += 2;
	}
	if (*s == 'Z' || *s == 'z') {
		p->has_offset = true;
		s++;
	} else if (*s == '+' || *s == '-') {
		int	 sign = *s++ == '-' ? -1 : 1, oh, om = 0;

		if (digits(&s, 2, &oh) != 2)
			return -1;
		if (*s == ':')
			s++;
		if (isdigit((unsigned char)*s) && digits(&s, 2, &om) != 2)
			return -1;
		if (oh > 23 || om > 59)
			return -1;
		p->has_offset = true;
		p->offset_min = sign * (oh * 60 + om);
	}
	return *s == '\0' ? 0 : -1;
}

static int
date_part(const char **sp, enum airtable_date_order order, struct parsed *p)
{
	const char	*s = *sp;
	int		 a, b;

	if (isalpha((unsigned char)*s)) {	/* Friendly: March 5, 2024 */
		if ((p->month = month_name(&s)) == 0 || *s++ != ' ' ||
		    digits(&s, 2, &p->day) == 0)
			return -1;
		if (*s == ',')
			s++;
		if (*s++ != ' ' || digits(&s, 4, &p->year) != 4)
			return -1;
	} else if (digits(&s, 4, &a) == 4) {	/* ISO: 2024-03-05 */
		p->year = a;
		if (*s++ != '-' || digits(&s, 2, &p->month) != 2 ||
		    *s++ != '-' || digits(&s, 2, &p->day) != 2)
			return -1;
	} else {				/* 3/5/2024 or 5/3/2024 */
		s = *sp;
		if (digits(&s, 2, &a) == 0 || *s++ != '/' ||
		    digits(&s, 2, &b) == 0 || *s++ != '/' ||
		    digits(&s, 4, &p->year) != 4)
			return -1;
		p->month = order == AIRTABLE_MDY ? a : b;
		p->day = order == AIRTABLE_MDY ? b : a;
	}
	*sp = s;
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int n[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return n[m - 1];
}

int
airtable_date_parse(const char *s, enum airtable_date_order order, bool utc,
    int64_t *usec)
{
	struct parsed	 p;
	int64_t		 secs;

	memset(&p, 0, sizeof(p));
	while (*s == ' ')
		s++;
	if (date_part(&s, order, &p) == -1 || time_part(s, &p) == -1)
		return -1;
	if (p.year < 1900 || p.month < 1 || p.month > 12 || p.day < 1 ||
	    p.day > days_in_month(p.year, p.month) || p.hour > 23 ||
	    p.min > 59 || p.sec > 60)
		return -1;
	if (p.sec == 60)
		p.sec = 59;
	if (p.has_offset || utc) {
		secs = days_from_civil(p.year, p.month, p.day) * 86400 +
		    p.hour * 3600 + p.min * 60 + p.sec -
		    (int64_t)p.offset_min * 60;
	} else {
		struct tm	 tm;
		time_t		 t;

		memset(&tm, 0, sizeof(tm));
		tm.tm_year = p.year - 1900;
		tm.tm_mon = p.month - 1;
		tm.tm_mday = p.day;
		tm.tm_hour = p.hour;
		tm.tm_min = p.min;
		tm.tm_sec = p.sec;
		tm.tm_isdst = -1;
		if ((t = mktime(&tm)) == (time_t)-1 && tm.tm_year != 69)
			return -1;
		secs = (int64_t)t;
	}
	*usec = secs * 1000000 + p.usec;
	return 0;
}
