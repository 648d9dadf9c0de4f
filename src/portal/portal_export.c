/*
 * portal_export: the CSV export of a timeline or of the activity page,
 * streamed. The events are read in keyset batches of VIEW_EXPORT_BATCH
 * inside one read transaction and written out batch by batch, so an export
 * of any length holds one batch in memory.
 */
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "portal_leads.h"

void
portal_export_csv(struct visit *v, struct view_filters *vf,
    const char *filename)
{
	struct buf	 out = BUF_INIT;
	struct db_event	*rows = NULL;
	char		 cursor[24], line[160];
	long long	 total = 0;
	size_t		 n, i;
	int		 rc;

	if ((rc = view_begin(v, vf)) != DB_OK) {
		portal_send_db_error(v, rc);
		return;
	}
	if (json_object_object_length(vf->errors) > 0) {
		db_rollback(&v->w->db);
		portal_send_error(v, 400, "The export's time zone is not "
		    "known. Open the page to correct it.");
		return;
	}
	/* The first batch before the headers: until then a failure is
	 * still an error page. */
	if ((rc = db_timeline_fetch(&v->w->db, &vf->f, NULL, false,
	    VIEW_EXPORT_BATCH, &rows, &n)) != DB_OK) {
		db_rollback(&v->w->db);
		portal_send_db_error(v, rc);
		return;
	}
	snprintf(line, sizeof(line), "Content-Disposition: attachment; "
	    "filename=\"%s\"\r\nCache-Control: no-store\r\n", filename);
	portal_add_header(v, line);
	if (http_stream_begin(v->req, 200, "text/csv; charset=utf-8",
	    v->headers) == -1)
		goto done;	/* HEAD */
	timeline_csv_header(&out);
	for (;;) {
		for (i = 0; i < n; i++)
			timeline_csv_row(&out, &rows[i]);
		total += (long long)n;
		if (buf_failed(&out)) {
			log_error("export %s: cut short after %lld events: out "
			    "of memory", filename, total);
			http_stream_abort(v->req);
			break;
		}
		if (http_stream_write(v->req, out.data, out.len) == -1) {
			log_warn("export %s: stopped after %lld events: the "
			    "client went away", filename, total);
			break;
		}
		buf_reset(&out);
		if (n < VIEW_EXPORT_BATCH)
			break;
		snprintf(cursor, sizeof(cursor), "%s", rows[n - 1].id);
		free(rows);
		if ((rc = db_timeline_fetch(&v->w->db, &vf->f, cursor, false,
		    VIEW_EXPORT_BATCH, &rows, &n)) != DB_OK) {
			/* The status is sent: the client must at least see
			 * that the file is not whole. */
			log_error("export %s: cut short after %lld events: %s",
			    filename, total, v->w->db.error);
			http_stream_abort(v->req);
			break;
		}
	}
done:
	free(rows);
	buf_free(&out);
	db_timeline_end(&v->w->db);
}
