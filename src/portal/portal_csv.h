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

/*
 * An export read a batch at a time (a keyset: each batch after the last
 * row of the one before), for portal_csv_batches.
 */
struct portal_csv_batches {
	const char	*filename;	/* as portal_csv_begin's */
	const char	*header;	/* its CRLF included */
	const char	*what;		/* names the export in the log */
	size_t		 batch;		/* a shorter batch is the last */
	/* The next batch into *rows (*n of them, one allocation: the
	 * caller free()s it), the first on the first call, else after
	 * where write left off. Returns a db_status. */
	int		(*read)(struct visit *, void *ctx, void **rows,
			    size_t *n);
	/* The batch's n rows as CSV lines into out; keeps in ctx where
	 * the next batch starts. */
	void		(*write)(struct buf *out, const void *rows, size_t n,
			    void *ctx);
	void		*ctx;
};

/*
 * Stream the export: 200 text/csv once the first batch is read, 503/500
 * (nothing sent) if it cannot be; a later batch that cannot be read cuts
 * the download short (logged, http_stream_abort), so the client sees it
 * is not whole.
 */
void	portal_csv_batches(struct visit *, const struct portal_csv_batches *);

/* A number as a CSV cell (first: no comma before it). */
void	portal_csv_int(struct buf *out, long long n, bool first);

#endif
