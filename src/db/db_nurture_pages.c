/* db_nurture_pages: the nurture pages' reads and actions (see
 * db_nurture_pages.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_nurture_pages.h"
#include "db_store.h"
#include "db_timeline.h"

#define F(type, st, member, col)	DB_FIELD(type, st, member, col)

/* The portal's read transaction (its settings), in UTC. */
int
db_nurture_pages_begin(struct db *db)
{
	return db_timeline_begin(db, "UTC");
}

void
db_nurture_pages_end(struct db *db)
{
	if (!db->in_transaction)
		return;
	if (db_commit(db) != DB_OK)
		db_rollback(db);
}

/* A statement of one row into *out (rowsize bytes, fields as for
 * db_store_rows): copied, or DB_ERROR if it gave no row. */
static int
one_row(struct db *db, enum stmt st, const char *const *params,
    size_t rowsize, const struct db_field *fields, size_t nfields, void *out)
{
	void	*rows;
	size_t	 n;
	int	 rc;

	if ((rc = db_store_rows(db, st, params, rowsize, fields, nfields,
	    &rows, &n)) != DB_OK)
		return rc;
	if (n != 1) {
		free(rows);
		snprintf(db->error, sizeof(db->error), "expected one row");
		return DB_ERROR;
	}
	/* The row holds numbers and booleans only: no pointer into rows. */
	memcpy(out, rows, rowsize);
	free(rows);
	return DB_OK;
}

int
db_nurture_pages_kpi(struct db *db, const char *client, long days,
    const char *scheduler, const char *sender,
    struct db_nurture_kpi_counts *out)
{
	static const struct db_field fields[] = {
		F(DB_FIELD_INT, struct db_nurture_kpi_counts, sent, 0),
		F(DB_FIELD_INT, struct db_nurture_kpi_counts, delivered, 1),
		F(DB_FIELD_INT, struct db_nurture_kpi_counts, opened, 2),
		F(DB_FIELD_INT, struct db_nurture_kpi_counts, clicked, 3),
		F(DB_FIELD_INT, struct db_nurture_kpi_counts, bounced, 4),
		F(DB_FIELD_INT, struct db_nurture_kpi_counts, unsubscribes, 5),
		F(DB_FIELD_INT, struct db_nurture_kpi_counts, scheduler_runs, 6),
		F(DB_FIELD_INT, struct db_nurture_kpi_counts, scheduler_ok, 7),
		F(DB_FIELD_INT, struct db_nurture_kpi_counts, sender_runs, 8),
		F(DB_FIELD_INT, struct db_nurture_kpi_counts, sender_ok, 9),
	};
	char		 d[24];
	const char	*params[4] = { client, d, scheduler, sender };

	snprintf(d, sizeof(d), "%ld", days);
	memset(out, 0, sizeof(*out));
	return one_row(db, STMT_NURTURE_PAGES_KPI, params, sizeof(*out),
	    fields, sizeof(fields) / sizeof(fields[0]), out);
}

int
db_nurture_pages_daily(struct db *db, const char *client,
    struct db_nurture_day **rows, size_t *n)
{
	static const struct db_field fields[] = {
		F(DB_FIELD_TEXT, struct db_nurture_day, day, 0),
		F(DB_FIELD_INT, struct db_nurture_day, sent, 1),
		F(DB_FIELD_INT, struct db_nurture_day, delivered, 2),
		F(DB_FIELD_INT, struct db_nurture_day, opened, 3),
		F(DB_FIELD_INT, struct db_nurture_day, clicked, 4),
		F(DB_FIELD_INT, struct db_nurture_day, bounced, 5),
		F(DB_FIELD_INT, struct db_nurture_day, unsubscribes, 6),
	};
	const char *params[1] = { client };

	return db_store_rows(db, STMT_NURTURE_PAGES_DAILY, params,
	    sizeof(**rows), fields, sizeof(fields) / sizeof(fields[0]),
	    (void **)rows, n);
}

int
db_nurture_pages_morning(struct db *db, const char *client,
    struct db_nurture_morning *out)
{
	static const struct db_field fields[] = {
		F(DB_FIELD_INT, struct db_nurture_morning, emails, 0),
		F(DB_FIELD_INT, struct db_nurture_morning, successful, 1),
		F(DB_FIELD_INT, struct db_nurture_morning, failed, 2),
		F(DB_FIELD_BOOL, struct db_nurture_morning, has_avg_delay, 3),
		F(DB_FIELD_INT, struct db_nurture_morning, avg_delay_s, 4),
		F(DB_FIELD_INT, struct db_nurture_morning, active, 5),
		F(DB_FIELD_INT, struct db_nurture_morning, overdue, 6),
		F(DB_FIELD_INT, struct db_nurture_morning, due_soon, 7),
		F(DB_FIELD_INT, struct db_nurture_morning, errors_today, 8),
	};
	const char *params[1] = { client };

	memset(out, 0, sizeof(*out));
	return one_row(db, STMT_NURTURE_PAGES_MORNING, params, sizeof(*out),
	    fields, sizeof(fields) / sizeof(fields[0]), out);
}

int
db_nurture_pages_errors_today(struct db *db,
    struct db_nurture_error_count **rows, size_t *n)
{
	static const struct db_field fields[] = {
		F(DB_FIELD_TEXT, struct db_nurture_error_count, workflow, 0),
		F(DB_FIELD_INT, struct db_nurture_error_count, count, 1),
		F(DB_FIELD_TEXT, struct db_nurture_error_count, last, 2),
	};

	return db_store_rows(db, STMT_NURTURE_PAGES_ERRORS_TODAY, NULL,
	    sizeof(**rows), fields, sizeof(fields) / sizeof(fields[0]),
	    (void **)rows, n);
}

int
db_nurture_pages_analytics(struct db *db, const char *client, long days,
    long long after, long limit, struct db_nurture_analytics **rows,
    size_t *n)
{
#define A(type, member, col)	F(type, struct db_nurture_analytics, member, col)
	static const struct db_field fields[] = {
		A(DB_FIELD_INT, id, 0), A(DB_FIELD_TEXT, date, 1),
		A(DB_FIELD_TEXT, client, 2), A(DB_FIELD_TEXT, campaign_id, 3),
		A(DB_FIELD_TEXT, campaign, 4), A(DB_FIELD_INT, sent, 5),
		A(DB_FIELD_INT, delivered, 6), A(DB_FIELD_INT, opens, 7),
		A(DB_FIELD_INT, clicks, 8), A(DB_FIELD_INT, bounces, 9),
		A(DB_FIELD_INT, unsubscribes, 10),
		A(DB_FIELD_INT, spam_reports, 11),
		A(DB_FIELD_INT, delivery_bp, 12), A(DB_FIELD_INT, open_bp, 13),
		A(DB_FIELD_INT, click_bp, 14), A(DB_FIELD_INT, bounce_bp, 15),
		A(DB_FIELD_INT, unsubscribe_bp, 16),
		A(DB_FIELD_TEXT, updated, 17),
	};
#undef A
	char		 d[24], a[24], l[24];
	const char	*params[4] = { client, d, after > 0 ? a : NULL, l };

	snprintf(d, sizeof(d), "%ld", days);
	snprintf(a, sizeof(a), "%lld", after);
	snprintf(l, sizeof(l), "%ld", limit);
	return db_store_rows(db, STMT_NURTURE_PAGES_ANALYTICS, params,
	    sizeof(**rows), fields, sizeof(fields) / sizeof(fields[0]),
	    (void **)rows, n);
}

int
db_nurture_pages_controls(struct db *db, struct db_nurture_switch **rows,
    size_t *n)
{
	static const struct db_field fields[] = {
		F(DB_FIELD_TEXT, struct db_nurture_switch, name, 0),
		F(DB_FIELD_BOOL, struct db_nurture_switch, paused, 1),
		F(DB_FIELD_TEXT, struct db_nurture_switch, reason, 2),
		F(DB_FIELD_TEXT, struct db_nurture_switch, changed_by, 3),
		F(DB_FIELD_TEXT, struct db_nurture_switch, changed_at, 4),
	};

	return db_store_rows(db, STMT_NURTURE_PAGES_CONTROLS, NULL,
	    sizeof(**rows), fields, sizeof(fields) / sizeof(fields[0]),
	    (void **)rows, n);
}

int
db_nurture_pages_sends(struct db *db, const struct db_nurture_sends_query *q,
    struct db_nurture_send **rows, size_t *n)
{
	struct db_field	 fields[DB_SEND__MAX];
	char		 limit[24];
	const char	*params[5] = { q->client, q->campaign, q->state,
			    q->before, limit };

	db_store_text_fields(fields, DB_SEND__MAX,
	    offsetof(struct db_nurture_send, col));
	snprintf(limit, sizeof(limit), "%ld", q->limit);
	return db_store_rows(db, STMT_NURTURE_PAGES_SENDS, params,
	    sizeof(**rows), fields, DB_SEND__MAX, (void **)rows, n);
}

int
db_nurture_pages_queue_counts(struct db *db, const char *client,
    const char *campaign, struct db_nurture_queue_counts *out)
{
	static const struct db_field fields[] = {
		F(DB_FIELD_INT, struct db_nurture_queue_counts, queued, 0),
		F(DB_FIELD_INT, struct db_nurture_queue_counts, stuck, 1),
		F(DB_FIELD_INT, struct db_nurture_queue_counts, unsettled, 2),
	};
	const char *params[2] = { client, campaign };

	memset(out, 0, sizeof(*out));
	return one_row(db, STMT_NURTURE_PAGES_QUEUE_COUNTS, params,
	    sizeof(*out), fields, sizeof(fields) / sizeof(fields[0]), out);
}

int
db_nurture_pages_failures(struct db *db, const char *client,
    const char *campaign, struct db_nurture_failure **rows, size_t *n)
{
	static const struct db_field fields[] = {
		F(DB_FIELD_TEXT_NULL, struct db_nurture_failure, reason, 0),
		F(DB_FIELD_INT, struct db_nurture_failure, count, 1),
	};
	const char *params[2] = { client, campaign };

	return db_store_rows(db, STMT_NURTURE_PAGES_FAILURES, params,
	    sizeof(**rows), fields, sizeof(fields) / sizeof(fields[0]),
	    (void **)rows, n);
}

int
db_nurture_pages_campaigns(struct db *db,
    struct db_nurture_campaign_item **rows, size_t *n)
{
	static const struct db_field fields[] = {
		F(DB_FIELD_TEXT, struct db_nurture_campaign_item, id, 0),
		F(DB_FIELD_TEXT, struct db_nurture_campaign_item, name, 1),
		F(DB_FIELD_TEXT, struct db_nurture_campaign_item, client, 2),
	};

	return db_store_rows(db, STMT_NURTURE_PAGES_CAMPAIGNS, NULL,
	    sizeof(**rows), fields, sizeof(fields) / sizeof(fields[0]),
	    (void **)rows, n);
}

/* Run an action that returns the id it changed, or no row. */
static int
action(struct db *db, enum stmt st, const char *const *params, bool *done)
{
	struct idrow { const char *id; } *rows;
	static const struct db_field fields[] = {
		F(DB_FIELD_TEXT, struct idrow, id, 0),
	};
	size_t	 n;
	int	 rc;

	*done = false;
	if ((rc = db_store_rows(db, st, params, sizeof(*rows), fields, 1,
	    (void **)&rows, &n)) != DB_OK)
		return rc;
	*done = n > 0;
	free(rows);
	return DB_OK;
}

int
db_nurture_pages_release(struct db *db, const char *id, bool *done)
{
	const char *params[1] = { id };

	return action(db, STMT_NURTURE_PAGES_RELEASE, params, done);
}

int
db_nurture_pages_mark_sent(struct db *db, const char *id, const char *actor,
    const char *actor_id, bool *done)
{
	const char *params[3] = { id, actor, actor_id };

	return action(db, STMT_NURTURE_PAGES_MARK_SENT, params, done);
}

int
db_nurture_pages_errors(struct db *db, const char *workflow, long long before,
    long limit, struct db_nurture_error **rows, size_t *n)
{
	struct db_field	 fields[DB_WERR__MAX];
	char		 b[24], l[24];
	const char	*params[3] = { workflow, before > 0 ? b : NULL, l };

	db_store_text_fields(fields, DB_WERR__MAX,
	    offsetof(struct db_nurture_error, col));
	snprintf(b, sizeof(b), "%lld", before);
	snprintf(l, sizeof(l), "%ld", limit);
	return db_store_rows(db, STMT_NURTURE_PAGES_ERRORS, params,
	    sizeof(**rows), fields, DB_WERR__MAX, (void **)rows, n);
}
