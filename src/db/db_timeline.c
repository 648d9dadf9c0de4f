/* db_timeline: lead activity a page at a time, as rows (see db_timeline.h). */
#include <stdio.h>
#include <stdlib.h>

#include "db_store.h"
#include "db_timeline.h"

int
db_timeline_begin(struct db *db, const char *tz)
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
db_timeline_end(struct db *db)
{
	if (db_commit(db) != DB_OK)
		db_rollback(db);
}

/* Copy row i of res into e, its text into the pool. */
static void
event_copy(struct db_event *e, char **pool, const PGresult *res, int i)
{
	e->id = db_store_text_null(pool, res, i, DB_EVENT_ID);
	e->type = db_store_text_null(pool, res, i, DB_EVENT_TYPE);
	e->occurred = db_store_text_null(pool, res, i, DB_EVENT_OCCURRED);
	e->channel = db_store_text_null(pool, res, i, DB_EVENT_CHANNEL);
	e->source = db_store_text_null(pool, res, i, DB_EVENT_SOURCE);
	e->execution_id = db_store_text_null(pool, res, i,
	    DB_EVENT_EXECUTION);
	e->message = db_store_text_null(pool, res, i, DB_EVENT_MESSAGE);
	e->metadata_pretty = db_store_text_null(pool, res, i,
	    DB_EVENT_METADATA_PRETTY);
	e->occurred_iso = db_store_text_null(pool, res, i,
	    DB_EVENT_OCCURRED_ISO);
	e->metadata = db_store_text_null(pool, res, i, DB_EVENT_METADATA);
	e->lead_external_id = db_store_text_null(pool, res, i,
	    DB_EVENT_LEAD_EXTERNAL);
	e->lead_id = db_store_text_null(pool, res, i, DB_EVENT_LEAD_ID);
	e->lead_name = db_store_text_null(pool, res, i, DB_EVENT_LEAD_NAME);
	e->client = db_store_text_null(pool, res, i, DB_EVENT_CLIENT);
	e->is_test = PQgetvalue(res, i, DB_EVENT_TEST)[0] == 't';
}

int
db_timeline_fetch(struct db *db, const struct timeline_filter *f,
    const char *cursor, bool newer, int rows, struct db_event **events,
    size_t *n)
{
	/* Every column but is_test is text, copied in the order
	 * event_copy takes it. */
	static const int text[] = {
		DB_EVENT_ID, DB_EVENT_TYPE, DB_EVENT_OCCURRED,
		DB_EVENT_CHANNEL, DB_EVENT_SOURCE, DB_EVENT_EXECUTION,
		DB_EVENT_MESSAGE, DB_EVENT_METADATA_PRETTY,
		DB_EVENT_OCCURRED_ISO, DB_EVENT_METADATA,
		DB_EVENT_LEAD_EXTERNAL, DB_EVENT_LEAD_ID, DB_EVENT_LEAD_NAME,
		DB_EVENT_CLIENT
	};
	struct db_event	*out;
	PGresult	*res;
	enum stmt	 stmt;
	char		 limit[16], *pool;
	const char	*params[7];
	int		 rc, i;

	*events = NULL;
	*n = 0;
	snprintf(limit, sizeof(limit), "%d", rows);
	params[0] = f->lead_id != NULL ? f->lead_id : f->client;
	params[1] = f->type;
	params[2] = f->channel;
	params[3] = f->from;
	params[4] = f->to;
	params[5] = cursor;
	params[6] = limit;
	if (f->lead_id == NULL)
		stmt = newer ? STMT_ACTIVITY_NEWER : STMT_ACTIVITY_OLDER;
	else
		stmt = newer ? STMT_TIMELINE_NEWER : STMT_TIMELINE_OLDER;
	if ((rc = db_exec(db, stmt, params, &res)) != DB_OK)
		return rc;
	if ((out = db_store_alloc(res, sizeof(*out), text,
	    sizeof(text) / sizeof(text[0]), &pool)) == NULL) {
		PQclear(res);
		snprintf(db->error, sizeof(db->error), "out of memory");
		return DB_ERROR;
	}
	for (i = 0; i < PQntuples(res); i++)
		event_copy(&out[i], &pool, res, i);
	*events = out;
	*n = (size_t)PQntuples(res);
	PQclear(res);
	return DB_OK;
}
