/*
 * db_timeline: the store that reads lead activity for the portal — one
 * lead's events (the lead timeline) or every lead's (the activity page) —
 * a keyset page or an export batch at a time, with times in the viewer's
 * time zone, into rows of struct db_event.
 *
 * A read is a transaction: db_timeline_begin() sets the time zone and
 * custom plans for it (sql_leads.def says why), the fetches run,
 * db_timeline_end() commits. Dates in a filter are days in that time zone.
 */
#ifndef MINICRM_DB_TIMELINE_H
#define MINICRM_DB_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

/* The columns of STMT_TIMELINE_* and STMT_ACTIVITY_* (sql_leads.def). */
enum db_event_col {
	DB_EVENT_ID, DB_EVENT_TYPE, DB_EVENT_OCCURRED, DB_EVENT_CHANNEL,
	DB_EVENT_SOURCE, DB_EVENT_EXECUTION, DB_EVENT_MESSAGE,
	DB_EVENT_METADATA_PRETTY, DB_EVENT_OCCURRED_ISO, DB_EVENT_METADATA,
	DB_EVENT_LEAD_EXTERNAL, DB_EVENT_LEAD_ID, DB_EVENT_LEAD_NAME,
	DB_EVENT_CLIENT, DB_EVENT_TEST, DB_EVENT__MAX
};

/* One event as the pages and the export show it; NULL is SQL NULL. */
struct db_event {
	const char	*id;		/* lead_activity_log.id, decimal */
	const char	*type;
	const char	*occurred;	/* YYYY-MM-DD HH24:MI:SS TZ */
	const char	*occurred_iso;	/* ISO 8601 with offset */
	const char	*channel;
	const char	*source;
	const char	*execution_id;
	const char	*message;
	const char	*metadata_pretty;	/* jsonb_pretty */
	const char	*metadata;	/* compact, for the export */
	const char	*lead_external_id;
	const char	*lead_id;	/* uuid */
	const char	*lead_name;
	const char	*client;	/* slug */
	bool		 is_test;	/* logged with a test key (sql 0018) */
};

/* What to read; NULL fields do not filter. Strings stay the caller's. */
struct timeline_filter {
	const char	*lead_id;	/* a lead's uuid, or NULL for every lead */
	const char	*client;	/* client slug (every lead only) */
	const char	*type;		/* event type */
	const char	*channel;
	const char	*from;		/* YYYY-MM-DD, inclusive */
	const char	*to;		/* YYYY-MM-DD, inclusive */
};

/*
 * Begin a read in time zone tz (checked by lead_tz_valid). Returns a
 * db_status: DB_BAD_INPUT if PostgreSQL does not know the zone; on any
 * error there is no transaction left open.
 */
int	db_timeline_begin(struct db *, const char *tz)
	    __attribute__((warn_unused_result));
/* End the read (commit; nothing was written). */
void	db_timeline_end(struct db *);

/*
 * Fetch up to rows events after cursor (an event id, or NULL for the
 * start): older ones, newest first; or with newer, newer ones, oldest
 * first (from no cursor: the oldest events). Without a lead (the activity
 * page) "older" and "newer" are by arrival (the event id). One round
 * trip. On DB_OK *events (*n of them) is one allocation, strings
 * included, that the caller releases with free() (also for *n == 0); on
 * an error it is NULL and db->error says why. Returns a db_status.
 */
int	db_timeline_fetch(struct db *, const struct timeline_filter *,
	    const char *cursor, bool newer, int rows, struct db_event **events,
	    size_t *n) __attribute__((warn_unused_result));

#endif
