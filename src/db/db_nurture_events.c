/* db_nurture_events: SendGrid's events into the database (see the header). */
#include <string.h>
#include <libpq-fe.h>

#include "db_nurture_events.h"
#include "db_store.h"

int
db_nurture_events_store(struct db *db, const char *events,
    const char *refused, struct db_nurture_events_counts *out)
{
	const char	*params[2] = { events, refused };
	PGresult	*res;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = db_exec(db, STMT_NURTURE_EVENTS_STORE, params, &res)) !=
	    DB_OK)
		return rc;
	out->received = (long)db_store_int(res, 0, 0);
	out->stored = (long)db_store_int(res, 0, 1);
	out->duplicates = (long)db_store_int(res, 0, 2);
	out->unknown_sends = (long)db_store_int(res, 0, 3);
	out->execution_id = db_store_int(res, 0, 4);
	PQclear(res);
	return DB_OK;
}
