/*
 * csv: writing RFC 4180 CSV cells safely for spreadsheets. A cell is
 * quoted when it holds a comma, a double quote, CR or LF (quotes doubled),
 * and a cell that a spreadsheet would read as a formula (first character
 * = + - @ TAB or CR) gets a leading apostrophe, so an exported message
 * such as "=HYPERLINK(...)" stays text (OWASP "CSV injection").
 */
#ifndef MINICRM_CSV_H
#define MINICRM_CSV_H

#include <stdbool.h>

#include "buf.h"

/*
 * Append cell s (NULL is an empty cell) to b, preceded by a comma unless
 * first. Errors are the buffer's sticky flag (buf_failed).
 */
void	csv_cell(struct buf *b, const char *s, bool first);

/* End a record: CRLF, as RFC 4180 writes it. */
void	csv_end_row(struct buf *b);

#endif
