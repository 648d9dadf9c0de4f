/*
 * portal_retry_export: GET /retry-queue/export.csv — the list's rows with
 * the list's filters, every column and the payload, as RFC 4180 CSV
 * (CRLF lines, fields quoted when they hold a comma, quote or line break,
 * quotes doubled). Streamed page by page (keyset on id), so an export of
 * any size holds one page in memory.
 *
 * Cells are written by csv.h: a cell that a spreadsheet would run as a
 * formula gets a leading apostrophe — payloads and errors come from
 * workflows, and an export is opened by people.
 */
#include <stdio.h>
#include <string.h>

#include "csv.h"
#include "log.h"
#include "portal_retry.h"

#define EXPORT_PAGE	500
#define EXPORT_COLUMNS	11

static const char header[] = "id,state,created_at,workflow,execution_id,"
    "lead_id,event_type,attempts,next_attempt_at,error,payload\r\n";

/* One page of rows after cursor `before` (NULL: the first). */
static int
fetch(struct db *db, const struct retry_filter *f, const char *before,
    PGresult **res)
{
	const char	*params[5];
	char		 limit[8];

	snprintf(limit, sizeof(limit), "%d", EXPORT_PAGE);
	params[0] = f->state;
	params[1] = f->workflow;
	params[2] = f->older;
	params[3] = before;
	params[4] = limit;
	return db_exec(db, STMT_RETRY_EXPORT, params, res);
}

/* GET /retry-queue/export.csv: 200 text/csv, 400 bad filter, 503 (only
 * before the first byte: once streaming, a failure cuts the file short,
 * which the log records). */
void
retry_export(struct visit *v)
{
	struct retry_filter	 f;
	struct buf		 out = BUF_INIT;
	PGresult		*res;
	char			 before[24];
	int			 rc, i, c, n;

	if (retry_filter_read(v, &f) == -1)
		return;
	if ((rc = fetch(&v->w->db, &f, NULL, &res)) != DB_OK) {
		portal_send_db_error(v, rc);
		return;
	}
	if (http_stream_begin(v->req, 200, "text/csv; charset=utf-8",
	    "Content-Disposition: attachment; filename=\"retry-queue.csv\"\r\n"
	    "Cache-Control: no-store\r\n") == -1) {
		PQclear(res);	/* HEAD */
		return;
	}
	buf_puts(&out, header);
	for (;;) {
		n = PQntuples(res);
		for (i = 0; i < n; i++) {
			for (c = 0; c < EXPORT_COLUMNS; c++)
				csv_cell(&out, PQgetvalue(res, i, c), c == 0);
			csv_end_row(&out);
		}
		if (n > 0)
			snprintf(before, sizeof(before), "%s",
			    PQgetvalue(res, n - 1, 0));
		PQclear(res);
		if (buf_failed(&out)) {
			log_error("retry-queue export cut short: out of memory");
			http_stream_abort(v->req);
			break;
		}
		if (http_stream_write(v->req, out.data, out.len) == -1) {
			log_warn("retry-queue export: the client went away");
			break;
		}
		buf_reset(&out);
		if (n < EXPORT_PAGE)
			break;
		if ((rc = fetch(&v->w->db, &f, before, &res)) != DB_OK) {
			/* The status is sent: the client must at least see
			 * that the file is not whole. */
			log_error("retry-queue export cut short: %s",
			    v->w->db.error);
			http_stream_abort(v->req);
			break;
		}
	}
	buf_free(&out);
}
