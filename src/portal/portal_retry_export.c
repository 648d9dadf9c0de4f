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
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "log.h"
#include "portal_retry.h"

#define EXPORT_PAGE	500

static const char header[] = "id,state,created_at,workflow,execution_id,"
    "lead_id,event_type,attempts,next_attempt_at,error,payload,is_test\r\n";

/* One page of rows after cursor `before` (NULL: the first) into *rows
 * (free() it). */
static int
fetch(struct db *db, const struct retry_filter *f, const char *before,
    struct db_retry_export_row **rows, size_t *n)
{
	struct db_retry_query q;

	retry_filter_to_query(f, &q);
	q.before = before;
	q.limit = EXPORT_PAGE;
	return db_retry_export(db, &q, rows, n);
}

/* A page's rows as CSV lines, appended to out. */
static void
put_rows(struct buf *out, const struct db_retry_export_row *rows, size_t n)
{
	size_t	 i;
	int	 c;

	for (i = 0; i < n; i++) {
		for (c = 0; c < RETRY_EXPORT__MAX; c++)
			csv_cell(out, rows[i].col[c], c == 0);
		csv_end_row(out);
	}
}

/* GET /retry-queue/export.csv: 200 text/csv, 400 bad filter, 503 (only
 * before the first byte: once streaming, a failure cuts the file short,
 * which the log records). */
void
retry_export(struct visit *v)
{
	struct retry_filter	 f;
	struct db_retry_export_row *rows;
	struct buf		 out = BUF_INIT;
	char			 before[24];
	size_t			 n;
	int			 rc;

	if (retry_filter_read(v, &f) == -1)
		return;
	if ((rc = fetch(&v->w->db, &f, NULL, &rows, &n)) != DB_OK) {
		portal_send_db_error(v, rc);
		return;
	}
	if (http_stream_begin(v->req, 200, "text/csv; charset=utf-8",
	    "Content-Disposition: attachment; filename=\"retry-queue.csv\"\r\n"
	    "Cache-Control: no-store\r\n") == -1) {
		free(rows);	/* HEAD */
		return;
	}
	buf_puts(&out, header);
	for (;;) {
		put_rows(&out, rows, n);
		if (n > 0)
			snprintf(before, sizeof(before), "%s",
			    rows[n - 1].col[RETRY_EXPORT_ID]);
		free(rows);
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
		if ((rc = fetch(&v->w->db, &f, before, &rows, &n)) != DB_OK) {
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
