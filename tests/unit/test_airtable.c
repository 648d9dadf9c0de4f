/*
 * test_airtable: the Airtable export reader (src/domain/airtable_csv.c),
 * its date formats (airtable_date.c) and the COPY text it writes
 * (airtable_map.c's airtable_copy_value). The mapping itself needs the
 * database's catalog: tests/http/test_import.sh covers it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "airtable.h"
#include "check.h"

/* Read all of text; the records' fields joined by '|', records by '\n',
 * a record's problem as " !N". */
static char *
read_all(const char *text, size_t len, long *lines)
{
	static char		 out[4096];
	struct airtable_csv	 c;
	FILE			*f = fmemopen((void *)text, len, "rb");
	size_t			 i, n = 0;
	int			 rc;

	out[0] = '\0';
	airtable_csv_open(&c, f);
	while ((rc = airtable_csv_next(&c)) == 1) {
		for (i = 0; i < c.nfields; i++)
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s",
			    i ? "|" : "", airtable_csv_field(&c, i));
		if (c.problem != CSV_OK)
			n += (size_t)snprintf(out + n, sizeof(out) - n, " !%d",
			    (int)c.problem);
		if (lines != NULL)
			*lines++ = c.line;
		n += (size_t)snprintf(out + n, sizeof(out) - n, "\n");
	}
	if (rc == -1)
		snprintf(out + n, sizeof(out) - n, "ERROR");
	airtable_csv_close(&c);
	fclose(f);
	return out;
}

#define READ(s)	read_all((s), sizeof(s) - 1, NULL)

static void
test_csv(void)
{
	long	 lines[8];

	CHECK_STR("plain, LF", READ("a,b,c\n1,2,3\n"), "a|b|c\n1|2|3\n");
	CHECK_STR("CRLF, no newline at the end", READ("a,b\r\n1,2"),
	    "a|b\n1|2\n");
	CHECK_STR("BOM skipped", READ("\xef\xbb\xbfRecord ID,x\nr,1\n"),
	    "Record ID|x\nr|1\n");
	CHECK_STR("quoted comma and doubled quotes",
	    READ("\"a,b\",\"say \"\"hi\"\"\"\n"), "a,b|say \"hi\"\n");
	CHECK_STR("embedded newline (CRLF kept inside the cell)",
	    READ("x,\"line 1\r\nline 2\"\r\ny,z\r\n"),
	    "x|line 1\r\nline 2\ny|z\n");
	CHECK_STR("empty cells", READ(",,\n"), "||\n");
	CHECK_STR("blank lines skipped", READ("a\n\n\r\nb\n"), "a\nb\n");
	CHECK_STR("a quote inside an unquoted cell",
	    READ("ab\"c,d\n"), "ab\"c|d !1\n");
	CHECK_STR("text after a closing quote", READ("\"ab\"c,d\n"),
	    "abc|d !1\n");
	CHECK_STR("unterminated quote runs to the end",
	    READ("a,\"open\nmore\n"), "a|open\nmore\n !2\n");
	CHECK_STR("NUL byte", read_all("a\0b,c\n", 6, NULL), "ab|c !3\n");
	CHECK_STR("only a BOM", READ("\xef\xbb\xbf"), "");
	CHECK_STR("a lone 0xEF is data", READ("\xef" "a\n"), "\xef" "a\n");

	read_all("h\n\"1\n2\"\nx\n", 10, lines);
	CHECK_I64("header on line 1", lines[0], 1);
	CHECK_I64("quoted record on line 2", lines[1], 2);
	CHECK_I64("next record after the embedded newline", lines[2], 4);
}

/* A record longer than the reader's 64 KiB block. */
static void
test_csv_large(void)
{
	size_t	 n = 200000, i;
	char	*text;
	{
		struct airtable_csv	 c;
		FILE			*f;

		text = malloc(n + 16);
		text[0] = '"';
		for (i = 1; i < n; i++)
			text[i] = (char)('a' + i % 26);
		memcpy(text + n, "\",x\nlast\n", 9);
		f = fmemopen(text, n + 9, "rb");
		airtable_csv_open(&c, f);
		CHECK(airtable_csv_next(&c) == 1);
		CHECK_I64("long cell length", strlen(airtable_csv_field(&c, 0)),
		    n - 1);
		CHECK_STR("cell after it", airtable_csv_field(&c, 1), "x");
		CHECK_STR("past the last cell", airtable_csv_field(&c, 7), "");
		CHECK(airtable_csv_next(&c) == 1);
		CHECK_STR("next record", airtable_csv_field(&c, 0), "last");
		CHECK(airtable_csv_next(&c) == 0);
		airtable_csv_close(&c);
		fclose(f);
		free(text);
	}
}

/* s parsed as UTC (or local when utc is false) and formatted back. */
static const char *
date(const char *s, enum airtable_date_order order, bool utc)
{
	static char	 out[64];
	int64_t		 usec;
	time_t		 t;
	struct tm	 tm;

	if (airtable_date_parse(s, order, utc, &usec) == -1)
		return "invalid";
	t = (time_t)(usec / 1000000);
	gmtime_r(&t, &tm);
	snprintf(out, sizeof(out), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long)(usec % 1000000));
	return out;
}

static void
test_dates(void)
{
	const enum airtable_date_order M = AIRTABLE_MDY, D = AIRTABLE_DMY;

	CHECK_STR("ISO date and 24-hour time",
	    date("2024-03-05 14:07", M, true), "2024-03-05T14:07:00.000000Z");
	CHECK_STR("ISO date alone", date("2024-03-05", M, true),
	    "2024-03-05T00:00:00.000000Z");
	CHECK_STR("US, 12-hour pm", date("3/5/2024 2:07pm", M, true),
	    "2024-03-05T14:07:00.000000Z");
	CHECK_STR("US, 12-hour AM with a space",
	    date("3/5/2024 2:07 AM", M, true), "2024-03-05T02:07:00.000000Z");
	CHECK_STR("12am is midnight", date("3/5/2024 12:30am", M, true),
	    "2024-03-05T00:30:00.000000Z");
	CHECK_STR("12pm is noon", date("3/5/2024 12:30pm", M, true),
	    "2024-03-05T12:30:00.000000Z");
	CHECK_STR("European order", date("5/3/2024 14:07", D, true),
	    "2024-03-05T14:07:00.000000Z");
	CHECK_STR("Friendly", date("March 5, 2024 2:07pm", M, true),
	    "2024-03-05T14:07:00.000000Z");
	CHECK_STR("Friendly, short month", date("Mar 5, 2024", M, true),
	    "2024-03-05T00:00:00.000000Z");
	CHECK_STR("ISO 8601 with Z and milliseconds",
	    date("2024-03-05T14:07:30.123Z", M, true),
	    "2024-03-05T14:07:30.123000Z");
	CHECK_STR("ISO 8601 offset wins over the zone",
	    date("2024-03-05T09:07:00-05:00", M, false),
	    "2024-03-05T14:07:00.000000Z");
	CHECK_STR("leap day", date("2/29/2024", M, true),
	    "2024-02-29T00:00:00.000000Z");
	CHECK_STR("no 29 February in 2023", date("2/29/2023", M, true),
	    "invalid");
	CHECK_STR("month 13", date("13/5/2024", M, true), "invalid");
	CHECK_STR("13 o'clock pm", date("3/5/2024 13:07pm", M, true),
	    "invalid");
	CHECK_STR("not a date", date("yesterday", M, true), "invalid");
	CHECK_STR("empty", date("", M, true), "invalid");
	CHECK_STR("trailing text", date("2024-03-05 14:07 extra", M, true),
	    "invalid");
	CHECK_STR("two-digit year", date("3/5/24", M, true), "invalid");

	/* Local time in the process's zone (the CLI's --timezone). */
	setenv("TZ", "America/New_York", 1);
	tzset();
	CHECK_STR("New York, winter (EST)", date("1/15/2024 9:00am", M, false),
	    "2024-01-15T14:00:00.000000Z");
	CHECK_STR("New York, summer (EDT)", date("2024-07-15 09:00", M, false),
	    "2024-07-15T13:00:00.000000Z");
	setenv("TZ", "UTC", 1);
	tzset();
}

static struct buf b;

static const char *
copy_text(const char *s)
{
	buf_reset(&b);
	airtable_copy_value(&b, s);
	return buf_str(&b);
}

static void
test_copy_value(void)
{
	CHECK_STR("NULL is \\N", copy_text(NULL), "\\N");
	CHECK_STR("plain", copy_text("hello, world"), "hello, world");
	CHECK_STR("tab, newline, CR, backslash escaped",
	    copy_text("a\tb\nc\rd\\e"), "a\\tb\\nc\\rd\\\\e");
	CHECK_STR("empty string stays empty", copy_text(""), "");
}

static void
test_tables(void)
{
	CHECK(airtable_table_parse("leads") == AIRTABLE_LEADS);
	CHECK(airtable_table_parse("sms_audit") == AIRTABLE_SMS_AUDIT);
	CHECK(airtable_table_parse("retry_queue") == AIRTABLE_RETRY_QUEUE);
	CHECK(airtable_table_parse("Leads") == -1);
	CHECK_STR("name", airtable_table_name(AIRTABLE_SMS_AUDIT),
	    "sms_audit");
}

int
main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	test_csv();
	test_csv_large();
	test_dates();
	test_copy_value();
	test_tables();
	buf_free(&b);
	return check_done("test_airtable");
}
