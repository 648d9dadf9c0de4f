/*
 * db_nurture_pages: the store the portal's nurture pages read and change
 * (sql_nurture_pages.def, the tables of sql/0013): the dashboard's counts
 * (the runbook's KPIs, per day for the charts, its morning health check),
 * campaign_analytics, the pause switches as they stand, the send queue
 * with its counts and failure reasons, releasing or marking sent a send a
 * crashed sender left claimed, and workflow_errors. (Pausing goes through
 * nurture_set_paused, src/domain/nurture.h.)
 *
 * The reads run between db_nurture_pages_begin and db_nurture_pages_end
 * (one read transaction: one snapshot for a page or an export, UTC days,
 * custom plans). Every function returns a db_status. Rows come back as one allocation,
 * strings included, that the caller free()s (also when there are none);
 * on an error the pointer is NULL and db->error says why. Strings passed
 * in stay the caller's. A client is its id (a uuid the caller checked;
 * NULL: every client).
 */
#ifndef MINICRM_DB_NURTURE_PAGES_H
#define MINICRM_DB_NURTURE_PAGES_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

/* Start the reads of a page or an export; end them (also after a failed
 * read: it rolls back then). */
int	db_nurture_pages_begin(struct db *) __attribute__((warn_unused_result));
void	db_nurture_pages_end(struct db *);

/* The dashboard's counts over a window (STMT_NURTURE_PAGES_KPI says what
 * each counts). */
struct db_nurture_kpi_counts {
	long long	 sent, delivered, opened, clicked, bounced;
	long long	 unsubscribes;
	long long	 scheduler_runs, scheduler_ok;
	long long	 sender_runs, sender_ok;
};

/* The counts of the last days days into *out; scheduler and sender are
 * the workflows' names (nurture_workflow_name). */
int	db_nurture_pages_kpi(struct db *, const char *client, long days,
	    const char *scheduler, const char *sender,
	    struct db_nurture_kpi_counts *out)
	    __attribute__((warn_unused_result));

/* One UTC day of the charts. */
struct db_nurture_day {
	const char	*day;		/* YYYY-MM-DD */
	long long	 sent, delivered, opened, clicked, bounced;
	long long	 unsubscribes;
};

/* The last 14 UTC days that had e-mails or unsubscribes, oldest first. */
int	db_nurture_pages_daily(struct db *, const char *client,
	    struct db_nurture_day **rows, size_t *n)
	    __attribute__((warn_unused_result));

/* The runbook's morning health check (its queries 1 to 3). */
struct db_nurture_morning {
	long long	 emails, successful, failed;	/* yesterday's */
	bool		 has_avg_delay;		/* NULL when none was sent */
	long long	 avg_delay_s;
	long long	 active, overdue, due_soon;	/* enrolments now */
	long long	 errors_today;		/* workflow_errors, any client */
};

int	db_nurture_pages_morning(struct db *, const char *client,
	    struct db_nurture_morning *out) __attribute__((warn_unused_result));

/* Today's workflow errors by workflow (the runbook's query 3). */
struct db_nurture_error_count {
	const char	*workflow;
	long long	 count;
	const char	*last;		/* UTC */
};

int	db_nurture_pages_errors_today(struct db *,
	    struct db_nurture_error_count **rows, size_t *n)
	    __attribute__((warn_unused_result));

/* A campaign_analytics row; rates in basis points, -1 for NULL. */
struct db_nurture_analytics {
	long long	 id;
	const char	*date;		/* YYYY-MM-DD */
	const char	*client;	/* slug */
	const char	*campaign_id;
	const char	*campaign;
	long long	 sent, delivered, opens, clicks, bounces, unsubscribes,
			 spam_reports;
	long long	 delivery_bp, open_bp, click_bp, bounce_bp,
			 unsubscribe_bp;
	const char	*updated;	/* UTC */
};

/* The analytics of the last days days, newest day first, then campaign
 * name; after: the last row shown (0: from the first); at most limit. */
int	db_nurture_pages_analytics(struct db *, const char *client, long days,
	    long long after, long limit, struct db_nurture_analytics **rows,
	    size_t *n) __attribute__((warn_unused_result));

/* A pause switch as it stands. */
struct db_nurture_switch {
	const char	*name;		/* scheduler | sender */
	bool		 paused;
	const char	*reason;
	const char	*changed_by;
	const char	*changed_at;	/* UTC */
};

/* Both switches, scheduler first. */
int	db_nurture_pages_controls(struct db *, struct db_nurture_switch **rows,
	    size_t *n) __attribute__((warn_unused_result));

/* The columns of STMT_NURTURE_PAGES_SENDS, in order. */
enum db_nurture_send_col {
	DB_SEND_ID, DB_SEND_CREATED, DB_SEND_SCHEDULED, DB_SEND_SENT,
	DB_SEND_STATE, DB_SEND_CLIENT, DB_SEND_CAMPAIGN_ID, DB_SEND_CAMPAIGN,
	DB_SEND_STEP, DB_SEND_LEAD_ID, DB_SEND_LEAD_NAME, DB_SEND_TO,
	DB_SEND_SUBJECT, DB_SEND_ATTEMPTS, DB_SEND_FAILURE, DB_SEND_BOUNCE,
	DB_SEND_CLAIMED, DB_SEND_CLAIMED_BY, DB_SEND_MESSAGE_ID,
	DB_SEND_DELIVERED, DB_SEND_OPENED, DB_SEND_CLICKED,
	DB_SEND_NEXT_ATTEMPT, DB_SEND__MAX
};

/* A send, every column as text (NULL: SQL NULL). */
struct db_nurture_send {
	const char	*col[DB_SEND__MAX];
};

/* Which sends to list; NULL fields do not filter. */
struct db_nurture_sends_query {
	const char	*client;	/* id */
	const char	*campaign;	/* nurture campaign id */
	const char	*state;		/* queued stuck unsettled failed
					 * bounced sent */
	const char	*before;	/* the last send shown (its id) */
	long		 limit;
};

/* Sends matching q, newest first. */
int	db_nurture_pages_sends(struct db *, const struct db_nurture_sends_query *,
	    struct db_nurture_send **rows, size_t *n)
	    __attribute__((warn_unused_result));

/* The queue's counts for client and campaign (NULL: any). */
struct db_nurture_queue_counts {
	long long	 queued, stuck, unsettled;
};

int	db_nurture_pages_queue_counts(struct db *, const char *client,
	    const char *campaign, struct db_nurture_queue_counts *out)
	    __attribute__((warn_unused_result));

/* Failures of the last day by reason (reason NULL: none given). */
struct db_nurture_failure {
	const char	*reason;
	long long	 count;
};

int	db_nurture_pages_failures(struct db *, const char *client,
	    const char *campaign, struct db_nurture_failure **rows, size_t *n)
	    __attribute__((warn_unused_result));

/* A nurture campaign for the menus. */
struct db_nurture_campaign_item {
	const char	*id;
	const char	*name;
	const char	*client;	/* slug */
};

int	db_nurture_pages_campaigns(struct db *,
	    struct db_nurture_campaign_item **rows, size_t *n)
	    __attribute__((warn_unused_result));

/*
 * Release (unclaim) send id, or mark it sent (with its EMAIL_SENT event,
 * the actor's e-mail and id in it): only a queued send claimed more than
 * 5 minutes ago. *done is true if it was one and is changed now. A
 * db_status.
 */
int	db_nurture_pages_release(struct db *, const char *id, bool *done)
	    __attribute__((warn_unused_result));
int	db_nurture_pages_mark_sent(struct db *, const char *id,
	    const char *actor, const char *actor_id, bool *done)
	    __attribute__((warn_unused_result));

/* The columns of STMT_NURTURE_PAGES_ERRORS, in order. */
enum db_nurture_error_col {
	DB_WERR_ID, DB_WERR_CREATED, DB_WERR_WORKFLOW, DB_WERR_EXECUTION,
	DB_WERR_MESSAGE, DB_WERR_CONTEXT, DB_WERR__MAX
};

struct db_nurture_error {
	const char	*col[DB_WERR__MAX];
};

/* workflow_errors of workflow (NULL: all), newest first, before row
 * before (0: from the newest), at most limit. */
int	db_nurture_pages_errors(struct db *, const char *workflow,
	    long long before, long limit, struct db_nurture_error **rows,
	    size_t *n) __attribute__((warn_unused_result));

#endif
