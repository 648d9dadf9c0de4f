/* portal_csv: streamed CSV downloads (see portal_csv.h). */
#include <stdio.h>
#include <stdlib.h>

#include "csv.h"
#include "log.h"
#include "portal_csv.h"

int
portal_csv_begin(struct visit *v, const char *filename, struct buf *out,
    const char *header)
{
	char headers[256];

	snprintf(headers, sizeof(headers), "Content-Disposition: attachment; "
	    "filename=\"%s\"\r\nCache-Control: no-store\r\n", filename);
	if (http_stream_begin(v->req, 200, "text/csv; charset=utf-8",
	    headers) == -1)
		return -1;
	buf_puts(out, header);
	return 0;
}

int
portal_csv_flush(struct visit *v, struct buf *out, const char *what)
{
	if (buf_failed(out)) {
		log_error("%s export cut short: out of memory", what);
		http_stream_abort(v->req);
		return -1;
	}
	if (http_stream_write(v->req, out->data, out->len) == -1) {
		log_warn("%s export: the client went away", what);
		return -1;
	}
	buf_reset(out);
	return 0;
}

void
portal_csv_batches(struct visit *v, const struct portal_csv_batches *b)
{
	struct buf	 out = BUF_INIT;
	void		*rows;
	size_t		 n;
	int		 rc;

	if ((rc = b->read(v, b->ctx, &rows, &n)) != DB_OK) {
		portal_send_db_error(v, rc);
		return;
	}
	if (portal_csv_begin(v, b->filename, &out, b->header) == -1) {
		free(rows);
		buf_free(&out);
		return;
	}
	for (;;) {
		b->write(&out, rows, n, b->ctx);
		free(rows);
		if (portal_csv_flush(v, &out, b->what) == -1 || n < b->batch)
			break;
		if (b->read(v, b->ctx, &rows, &n) != DB_OK) {
			log_error("%s export cut short: %s", b->what,
			    v->w->db.error);
			http_stream_abort(v->req);
			break;
		}
	}
	buf_free(&out);
}

void
portal_csv_int(struct buf *out, long long n, bool first)
{
	char text[24];

	snprintf(text, sizeof(text), "%lld", n);
	csv_cell(out, text, first);
}
