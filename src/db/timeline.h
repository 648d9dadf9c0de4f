/*
 * timeline: reading lead activity for the portal — one lead's events (the
 * lead timeline) or every lead's (the activity page) — a keyset page or an
 * export batch at a time, with times in the viewer's time zone.
 *
 * A read is a transaction: timeline_begin() sets the time zone and custom
 * plans for it (sql_leads.def says why), the fetches run, timeline_end()
 * commits. Dates in a filter are days in that time zone.
 */
#ifndef MINICRM_TIMELINE_H
#define MINICRM_TIMELINE_H

#include <stdbool.h>
#include <json-c/json.h>
#include <libpq-fe.h>

#include "buf.h"
#include "db.h"

/* The columns of a fetched page. */
enum timeline_col {
	TL_ID, TL_TYPE, TL_OCCURRED, TL_CHANNEL, TL_SOURCE, TL_EXECUTION,
	TL_MESSAGE, TL_METADATA_PRETTY, TL_OCCURRED_ISO, TL_METADATA,
	TL_LEAD_EXTERNAL, TL_LEAD_ID, TL_LEAD_NAME, TL_CLIENT
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
int	timeline_begin(struct db *, const char *tz)
	    __attribute__((warn_unused_result));
/* End the read (commit; nothing was written). NULL-safe on errors. */
void	timeline_end(struct db *);

/*
 * Fetch up to rows events after cursor (an event id, or NULL for the
 * start): older ones, newest first; or with newer, newer ones, oldest
 * first (from no cursor: the oldest events). Without a lead (the activity
 * page) "older" and "newer" are by arrival (the event id). On DB_OK the
 * caller PQclear()s *out.
 */
int	timeline_fetch(struct db *, const struct timeline_filter *,
	    const char *cursor, bool newer, int rows, PGresult **out)
	    __attribute__((warn_unused_result));

/* Row `row` of a page as the templates read it; the caller puts it. */
json_object *timeline_event_json(const PGresult *, int row);

/* The export's header line, and row `row` as one CSV record. */
void	timeline_csv_header(struct buf *);
void	timeline_csv_row(struct buf *, const PGresult *, int row);

#endif
