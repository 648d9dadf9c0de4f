/*
 * db_nurture_events: the store of SendGrid's events (sql_nurture_events.def,
 * sql/0015): one call of nurture_events_store() per webhook post.
 */
#ifndef MINICRM_DB_NURTURE_EVENTS_H
#define MINICRM_DB_NURTURE_EVENTS_H

#include "db.h"

struct db_nurture_events_counts {
	long		received;	/* events handed to the store */
	long		stored;		/* new */
	long		duplicates;	/* already stored, or twice in the post */
	long		unknown_sends;	/* new, for no send we know */
	long long	execution_id;	/* the post's workflow_executions row */
};

/*
 * Store and apply events (a JSON array's text, each event checked by
 * nurture_events) and record refused ([{index, field, message, event}]
 * text) as workflow_errors, in one statement. Counts into *out. A
 * db_status; on failure nothing was written.
 */
int	db_nurture_events_store(struct db *, const char *events,
	    const char *refused, struct db_nurture_events_counts *out)
	    __attribute__((warn_unused_result));

#endif
