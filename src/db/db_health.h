/*
 * db_health: the store of the activity-health figures (activity_health(),
 * STMT_HEALTH), the folding of the per-minute counts, and the ping of
 * /health and /readyz. health.c turns the figures into the answer.
 */
#ifndef MINICRM_DB_HEALTH_H
#define MINICRM_DB_HEALTH_H

#include <stdbool.h>

#include "db.h"

/* The columns of STMT_HEALTH (sql_core.def). */
enum db_health_col {
	HEALTH_EVENTS_LAST_HOUR, HEALTH_EVENTS_LAST_24H,
	HEALTH_RETRY_QUEUE_SIZE, HEALTH_OLDEST_RETRY_AGE,
	HEALTH_LAST_EVENT_AT, HEALTH_UNCOMPACTED_ROWS, HEALTH_ISODOW,
	HEALTH_HOUR
};

/* The figures; a number that is SQL NULL reads 0. */
struct db_health {
	long long	 events_last_hour;
	long long	 events_last_24h;
	long long	 retry_queue_size;
	bool		 has_oldest_retry_age;	/* false: nothing waits */
	long long	 oldest_retry_age_seconds;
	bool		 has_last_event;	/* false: nothing logged */
	char		 last_event_at[40];	/* ISO 8601 UTC, or "" */
	long long	 uncompacted_rows;	/* count shards not folded */
	int		 isodow;		/* now in tz: 1 Monday .. 7 */
	int		 hour;			/* now in tz: 0..23 */
};

/*
 * Read the figures, with the day and hour of now in time zone tz, into
 * *out (the caller's). Returns a db_status: DB_BAD_INPUT if PostgreSQL
 * does not know tz. Nothing to free.
 */
int	db_health_read(struct db *, const char *tz, struct db_health *out)
	    __attribute__((warn_unused_result));

/*
 * Fold the per-minute count shards of past minutes
 * (activity_counts_compact()). *folded (NULL: not wanted) is the number of
 * rows folded. Returns a db_status.
 */
int	db_health_compact(struct db *, long long *folded)
	    __attribute__((warn_unused_result));

/* Is the database there (SELECT 1)? Returns a db_status. */
int	db_health_ping(struct db *) __attribute__((warn_unused_result));

#endif
