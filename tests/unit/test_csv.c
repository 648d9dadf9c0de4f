/* test_csv: RFC 4180 quoting and the formula-injection defence. */
#include "check.h"
#include "csv.h"

/* One row of cells, as csv.c writes it. */
static void
row(struct buf *b, const char *const *cells, int n)
{
	int i;

	buf_reset(b);
	for (i = 0; i < n; i++)
		csv_cell(b, cells[i], i == 0);
	csv_end_row(b);
}

int
main(void)
{
	struct buf b = BUF_INIT;

	row(&b, (const char *[]){ "a", "b c", NULL, "" }, 4);
	CHECK_STR("plain cells, NULL and empty are empty", buf_str(&b),
	    "a,b c,,\r\n");
	row(&b, (const char *[]){ "x,y", "say \"hi\"", "two\nlines", "cr\r" }, 4);
	CHECK_STR("commas, quotes, LF and CR are quoted", buf_str(&b),
	    "\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\r\"\r\n");
	row(&b, (const char *[]){ "=1+2", "+1 555", "-3", "@SUM(A1)" }, 4);
	CHECK_STR("formulas get an apostrophe", buf_str(&b),
	    "'=1+2,'+1 555,'-3,'@SUM(A1)\r\n");
	row(&b, (const char *[]){ "\tx", "\rx", "a=1", "=HYPERLINK(\"http://x\",\"y\")" }, 4);
	CHECK_STR("tab and CR first; quoted formulas keep the apostrophe "
	    "inside the quotes", buf_str(&b),
	    "'\tx,\"'\rx\",a=1,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\r\n");
	row(&b, (const char *[]){ "{\"a\": \"<b>\"}", "Müller" }, 2);
	CHECK_STR("JSON and UTF-8 pass", buf_str(&b),
	    "\"{\"\"a\"\": \"\"<b>\"\"}\",Müller\r\n");
	CHECK(!buf_failed(&b));
	buf_free(&b);
	return check_done("test_csv");
}
