/* timeline: reading lead activity a page at a time (see timeline.h). */
#include <stddef.h>
#include <stdio.h>

#include "csv.h"
#include "timeline.h"

int
timeline_begin(struct db *db, const char *tz)
{
	const char	*params[1] = { tz };
	PGresult	*res;
	int		 rc;

	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	if ((rc = db_exec(db, STMT_PORTAL_READ_SETTINGS, params, &res)) !=
	    DB_OK) {
		db_rollback(db);
		return rc;
	}
	PQclear(res);
	return DB_OK;
}

void
timeline_end(struct db *db)
{
	if (db_commit(db) != DB_OK)
		db_rollback(db);
}

int
timeline_fetch(struct db *db, const struct timeline_filter *f,
    const char *cursor, bool newer, int rows, PGresult **out)
{
	char		 limit[16];
	const char	*params[7];

	snprintf(limit, sizeof(limit), "%d", rows);
	params[0] = f->lead_id != NULL ? f->lead_id : f->client;
	params[1] = f->type;
	params[2] = f->channel;
	params[3] = f->from;
	params[4] = f->to;
	params[5] = cursor;
	params[6] = limit;
	if (f->lead_id == NULL)
		return db_exec(db, newer ? STMT_ACTIVITY_NEWER :
		    STMT_ACTIVITY_OLDER, params, out);
	return db_exec(db, newer ? STMT_TIMELINE_NEWER : STMT_TIMELINE_OLDER,
	    params, out);
}

static void
add(json_object *o, const char *key, const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return;
	json_object_object_add(o, key,
	    json_object_new_string(PQgetvalue(res, row, col)));
}

json_object *
timeline_event_json(const PGresult *res, int row)
{
	json_object *e = json_object_new_object();

	add(e, "id", res, row, TL_ID);
	add(e, "event_type", res, row, TL_TYPE);
	add(e, "occurred", res, row, TL_OCCURRED);
	add(e, "occurred_iso", res, row, TL_OCCURRED_ISO);
	add(e, "channel", res, row, TL_CHANNEL);
	add(e, "source", res, row, TL_SOURCE);
	add(e, "execution_id", res, row, TL_EXECUTION);
	add(e, "message", res, row, TL_MESSAGE);
	add(e, "metadata", res, row, TL_METADATA_PRETTY);
	add(e, "lead_external_id", res, row, TL_LEAD_EXTERNAL);
	add(e, "lead_id", res, row, TL_LEAD_ID);
	add(e, "lead_name", res, row, TL_LEAD_NAME);
	add(e, "client", res, row, TL_CLIENT);
	return e;
}

void
timeline_csv_header(struct buf *b)
{
	static const char *const names[] = {
		"occurred_at", "event_type", "channel", "source",
		"execution_id", "message", "metadata", "lead_id", "client",
		"event_id"
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		csv_cell(b, names[i], i == 0);
	csv_end_row(b);
}

void
timeline_csv_row(struct buf *b, const PGresult *res, int row)
{
	static const int cols[] = {
		TL_OCCURRED_ISO, TL_TYPE, TL_CHANNEL, TL_SOURCE, TL_EXECUTION,
		TL_MESSAGE, TL_METADATA, TL_LEAD_EXTERNAL, TL_CLIENT, TL_ID
	};
	size_t i;

	for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		csv_cell(b, PQgetisnull(res, row, cols[i]) ? NULL :
		    PQgetvalue(res, row, cols[i]), i == 0);
	csv_end_row(b);
}
