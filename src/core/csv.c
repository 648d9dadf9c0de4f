/* csv: RFC 4180 cells with formula-injection defence (see csv.h). */
#include <string.h>

#include "csv.h"

void
csv_cell(struct buf *b, const char *s, bool first)
{
	bool formula, quote;

	if (!first)
		buf_append(b, ",", 1);
	if (s == NULL || *s == '\0')
		return;
	formula = strchr("=+-@\t\r", *s) != NULL;
	quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		buf_append(b, "\"", 1);
	if (formula)
		buf_append(b, "'", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			buf_append(b, "\"", 1);
		buf_append(b, s, 1);
	}
	if (quote)
		buf_append(b, "\"", 1);
}

void
csv_end_row(struct buf *b)
{
	buf_append(b, "\r\n", 2);
}
