/*
 * db_nurture_schedule: the store of the nurture scheduler and of the
 * enrolment entry points (sql_nurture_schedule.def, sql/0014): one batch
 * of due enrolments queued, how many are due, leads by external id, a
 * client's leads page by page.
 */
#ifndef MINICRM_DB_NURTURE_SCHEDULE_H
#define MINICRM_DB_NURTURE_SCHEDULE_H

#include <stddef.h>

#include "db.h"

/* What one batch did (nurture_schedule_batch()). */
struct db_nurture_batch {
	long	taken;		/* due enrolments taken */
	long	queued;		/* email_sends rows inserted */
	long	finished;	/* completed after their last step */
	long	unsubscribed;	/* completed: the lead opted out */
	long	invalid_email;	/* completed: no valid e-mail */
};

/* One batch of at most size due enrolments, in one statement. A
 * db_status; on an error nothing of the batch was kept. */
int	db_nurture_schedule_batch(struct db *, long size,
	    struct db_nurture_batch *out) __attribute__((warn_unused_result));

/* The due enrolments of active campaigns into *n. A db_status. */
int	db_nurture_schedule_due(struct db *, long *n)
	    __attribute__((warn_unused_result));

/* A lead id. */
struct db_nurture_lead_id {
	const char	*id;
};

/*
 * The ids of client_id's leads whose external ids are in external_json (a
 * JSON array of strings). *rows (*n of them) is one allocation the caller
 * free()s (also for none). A db_status.
 */
int	db_nurture_leads_by_external(struct db *, const char *client_id,
	    const char *external_json, struct db_nurture_lead_id **rows,
	    size_t *n) __attribute__((warn_unused_result));

/*
 * At most limit of client_id's active leads not opted out with an
 * e-mail, by id, after after (NULL: from the first). *rows (*n) as above.
 */
int	db_nurture_client_leads(struct db *, const char *client_id,
	    const char *after, long limit, struct db_nurture_lead_id **rows,
	    size_t *n) __attribute__((warn_unused_result));

#endif
