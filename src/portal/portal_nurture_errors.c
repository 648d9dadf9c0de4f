/*
 * portal_nurture_errors: what went wrong in the nurture workflows
 * (workflow_errors: one row per error a job recorded with
 * nurture_run_error or a failed run), newest first (routes below). The
 * messages and contexts come from jobs handling hostile input (SendGrid's
 * answers, e-mail fields): shown as text.
 *
 *   GET /nurture/errors       filters: workflow (a runbook workflow
 *                             name); keyset pages of 50 (before=ID)
 *   GET /nurture/errors.csv   the same, every row, as CSV
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "json_put.h"
#include "lead_filters.h"
#include "nurture.h"
#include "portal_csv.h"
#include "portal_nurture.h"
#include "validate.h"

#define ERRORS_PAGE	50
#define EXPORT_BATCH	1000

static const char *const error_names[DB_WERR__MAX] = {
	[DB_WERR_ID] = "id", [DB_WERR_CREATED] = "created_at",
	[DB_WERR_WORKFLOW] = "workflow_name",
	[DB_WERR_EXECUTION] = "execution_id",
	[DB_WERR_MESSAGE] = "error_message", [DB_WERR_CONTEXT] = "context",
};

/* The filters: workflow (one of the runbook's names) and the cursor; -1
 * having sent a 400. */
static int
filters_read(struct visit *v, const char **workflow, long long *before)
{
	const char	*w = portal_query(v, "workflow");
	const char	*b = portal_query(v, "before");
	long		 n;
	int		 i;

	*workflow = NULL;
	*before = 0;
	if (w != NULL && *w != '\0') {
		for (i = 0; i < NURTURE_WORKFLOW__MAX; i++)
			if (strcmp(w, nurture_workflow_name(i)) == 0)
				*workflow = nurture_workflow_name(i);
		if (*workflow == NULL) {
			portal_send_error(v, 400, "There is no such nurture "
			    "workflow.");
			return -1;
		}
	}
	if (b != NULL && *b != '\0') {
		if (parse_long(b, 1, 999999999999999999L, &n) == -1) {
			portal_send_error(v, 400, "The page marker is not an "
			    "error id.");
			return -1;
		}
		*before = n;
	}
	return 0;
}

/* GET /nurture/errors: 200, 400 (a bad filter), 503. */
void
nurture_errors_page(struct visit *v)
{
	struct db_nurture_error	*rows;
	struct buf		 qs = BUF_INIT, url = BUF_INIT;
	json_object		*data, *list;
	const char		*workflow;
	long long		 before;
	size_t			 n, i, shown;
	int			 rc, c;

	if (filters_read(v, &workflow, &before) == -1)
		return;
	if ((rc = db_nurture_pages_begin(&v->w->db)) == DB_OK) {
		rc = db_nurture_pages_errors(&v->w->db, workflow, before,
		    ERRORS_PAGE + 1, &rows, &n);
		db_nurture_pages_end(&v->w->db);
	}
	if (rc != DB_OK) {
		portal_send_db_error(v, rc);
		return;
	}
	data = portal_page_data(v);
	shown = n > ERRORS_PAGE ? ERRORS_PAGE : n;
	list = json_object_new_array();
	for (i = 0; i < shown; i++) {
		json_object *e = json_object_new_object();

		for (c = 0; c < DB_WERR__MAX; c++)
			json_put_string(e, error_names[c], rows[i].col[c]);
		json_object_array_add(list, e);
	}
	json_object_object_add(data, "errors", list);
	json_object_object_add(data, "has_errors",
	    json_object_new_boolean(shown > 0));
	list = json_object_new_array();
	for (c = 0; c < NURTURE_WORKFLOW__MAX; c++) {
		json_object *w = json_object_new_object();

		json_put_string(w, "value", nurture_workflow_name(c));
		json_object_object_add(w, "selected", json_object_new_boolean(
		    workflow == nurture_workflow_name(c)));
		json_object_array_add(list, w);
	}
	json_object_object_add(data, "workflows", list);
	lead_qs_add(&qs, "workflow", workflow);
	if (n > ERRORS_PAGE) {
		buf_printf(&url, "/nurture/errors?%s%sbefore=%s", buf_str(&qs),
		    qs.len > 0 ? "&" : "", rows[shown - 1].col[DB_WERR_ID]);
		json_put_string(data, "next_url", buf_str(&url));
	}
	if (before > 0) {
		buf_reset(&url);
		buf_printf(&url, "/nurture/errors?%s", buf_str(&qs));
		json_put_string(data, "first_url", buf_str(&url));
	}
	buf_reset(&url);
	buf_printf(&url, "/nurture/errors.csv?%s", buf_str(&qs));
	json_put_string(data, "export_url", buf_str(&url));
	free(rows);
	buf_free(&qs);
	buf_free(&url);
	portal_send_page(v, 200, PORTAL_TEMPLATE_NURTURE_ERRORS, data);
	json_object_put(data);
}

/* Where the errors export is: the filter, the next batch before
 * before. */
struct errors_export {
	const char	*workflow;
	long long	 before;	/* 0: from the newest */
};

static int
errors_read(struct visit *v, void *ctx, void **rows, size_t *n)
{
	struct errors_export *e = ctx;

	return db_nurture_pages_errors(&v->w->db, e->workflow, e->before,
	    EXPORT_BATCH, (struct db_nurture_error **)rows, n);
}

static void
errors_write(struct buf *out, const void *rows, size_t n, void *ctx)
{
	const struct db_nurture_error	*r = rows;
	struct errors_export		*e = ctx;
	size_t				 i;
	int				 c;

	for (i = 0; i < n; i++) {
		for (c = 0; c < DB_WERR__MAX; c++)
			csv_cell(out, r[i].col[c], c == 0);
		csv_end_row(out);
	}
	e->before = n > 0 ? strtoll(r[n - 1].col[DB_WERR_ID], NULL, 10) : 0;
}

/* GET /nurture/errors.csv: 200 text/csv (streamed a batch at a time),
 * 400 a bad filter, 503 (before the first byte). */
void
nurture_errors_export(struct visit *v)
{
	struct errors_export		 e;
	struct portal_csv_batches	 b = { "nurture-errors.csv",
	    "id,created_at,workflow_name,execution_id,error_message,"
	    "context\r\n", "nurture errors", EXPORT_BATCH, errors_read,
	    errors_write, &e };
	int				 rc;

	if (filters_read(v, &e.workflow, &e.before) == -1)
		return;
	if ((rc = db_nurture_pages_begin(&v->w->db)) != DB_OK) {
		portal_send_db_error(v, rc);
		return;
	}
	portal_csv_batches(v, &b);
	db_nurture_pages_end(&v->w->db);
}
