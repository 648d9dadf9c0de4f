/*
 * portal_csv: a streamed CSV download for the campaign and de-enrollment
 * pages' exports (RFC 4180 cells by csv.h, formulas defused). Begin it
 * once the first batch is read (the status cannot change after), then
 * flush each batch's lines.
 */
#ifndef MINICRM_PORTAL_CSV_H
#define MINICRM_PORTAL_CSV_H

#include "buf.h"
#include "portal.h"

/*
 * Send 200 text/csv as an attachment named filename (ASCII, no quotes)
 * and put header (its CRLF included) into out. Returns 0, or -1 for a
 * HEAD request (nothing more to write).
 */
int	portal_csv_begin(struct visit *, const char *filename, struct buf *out,
	    const char *header) __attribute__((warn_unused_result));

/*
 * Write out's lines and empty it. Returns 0, or -1 when the download has
 * ended: the client went away, or memory ran out (then it is cut short,
 * http_stream_abort, so the client sees it is not whole). what names the
 * export in the log.
 */
int	portal_csv_flush(struct visit *, struct buf *out, const char *what)
	    __attribute__((warn_unused_result));

/* A number as a CSV cell (first: no comma before it). */
void	portal_csv_int(struct buf *out, long long n, bool first);

#endif
