/* lead_filters: checks of the portal's query parameters (see lead_filters.h). */
#include <ctype.h>
#include <string.h>

#include "lead_filters.h"

const char *const lead_statuses[] = {
	"new", "contacted", "replied", "qualified", "booked", "customer",
	"unqualified", LEAD_STATUS_OPTED_OUT, NULL
};

static const char *const sort_names[LEAD_SORT__MAX] = {
	[LEAD_SORT_CREATED] = "created",
	[LEAD_SORT_NAME] = "name",
	[LEAD_SORT_EMAIL] = "email",
};

bool
lead_uuid_valid(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

bool
lead_event_cursor_valid(const char *s)
{
	size_t n, i;

	if (s == NULL || (n = strlen(s)) == 0 || n > 19 || s[0] == '0')
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	/* 19 digits: compare with INT64_MAX as text (same length). */
	return n < 19 || strcmp(s, "9223372036854775807") <= 0;
}

static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

bool
lead_date_valid(const char *s)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, m, d, max;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	if ((y = digits(s, 4)) < 1000 || (m = digits(s + 5, 2)) < 1 ||
	    m > 12 || (d = digits(s + 8, 2)) < 1)
		return false;
	max = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		max = 29;
	return d <= max;
}

bool
lead_tz_valid(const char *s)
{
	size_t	n, i, seg = 0;

	if (s == NULL || (n = strlen(s)) == 0 || n > 64 ||
	    !isalpha((unsigned char)s[0]))
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '/') {
			if (seg == 0)
				return false;
			seg = 0;
			continue;
		}
		if (!isalnum(c) && c != '_' && c != '+' && c != '-')
			return false;
		seg++;
	}
	return seg > 0;
}

int
lead_like_pattern(const char *q, char *out, size_t outsz)
{
	size_t o = 0;

	if (q == NULL || *q == '\0' || outsz < 3)
		return -1;
	out[o++] = '%';
	for (; *q != '\0'; q++) {
		if (*q == '%' || *q == '_' || *q == '\\') {
			if (o + 1 >= outsz)
				return -1;
			out[o++] = '\\';
		}
		if (o + 1 >= outsz)
			return -1;
		out[o++] = *q;
	}
	if (o + 2 > outsz)
		return -1;
	out[o++] = '%';
	out[o] = '\0';
	return 0;
}

int
lead_phone_pattern(const char *q, char *out, size_t outsz)
{
	size_t o = 0, ndigits = 0;

	if (q == NULL || outsz < 3)
		return -1;
	out[o++] = '%';
	for (; *q != '\0'; q++) {
		if (*q >= '0' && *q <= '9') {
			if (o + 2 >= outsz)
				return -1;
			out[o++] = *q;
			ndigits++;
		} else if (strchr(" +-().", *q) == NULL)
			return -1;
	}
	if (ndigits < 3)
		return -1;
	out[o++] = '%';
	out[o] = '\0';
	return 0;
}

int
lead_sort_parse(const char *s, enum lead_sort *out)
{
	int i;

	if (s == NULL || *s == '\0') {
		*out = LEAD_SORT_CREATED;
		return 0;
	}
	for (i = 0; i < LEAD_SORT__MAX; i++)
		if (strcmp(s, sort_names[i]) == 0) {
			*out = (enum lead_sort)i;
			return 0;
		}
	return -1;
}

const char *
lead_sort_name(enum lead_sort s)
{
	return s < LEAD_SORT__MAX ? sort_names[s] : "created";
}

int
lead_dir_parse(const char *s, enum lead_sort sort, bool *descending)
{
	if (s == NULL || *s == '\0') {
		/* The newest leads first; names and e-mails A to Z. */
		*descending = sort == LEAD_SORT_CREATED;
		return 0;
	}
	if (strcmp(s, "asc") == 0)
		*descending = false;
	else if (strcmp(s, "desc") == 0)
		*descending = true;
	else
		return -1;
	return 0;
}

bool
lead_status_valid(const char *s)
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; lead_statuses[i] != NULL; i++)
		if (strcmp(s, lead_statuses[i]) == 0)
			return true;
	return false;
}

void
lead_qs_add(struct buf *b, const char *name, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	if (b->len > 0)
		buf_putc(b, '&');
	buf_put_urlencoded(b, name);
	buf_putc(b, '=');
	buf_put_urlencoded(b, value);
}
