/*
 * db_nurture_campaigns: the store of the portal's nurture campaign pages
 * and a lead's e-mail section (sql_nurture_campaigns.def): campaigns with
 * their counts, steps, status changes, enrolments, daily analytics, a
 * lead's enrolments and e-mails, the campaigns a lead or a set can be
 * enrolled in, the ids a leads-list filter selects, and what the
 * preview reads of a lead. (Enrolling itself is nurture_enroll(), in the
 * domain.)
 *
 * Every function returns a db_status unless it says otherwise. Rows come
 * back as one allocation, strings included, that the caller free()s (also
 * when there are none); on an error the pointer is NULL and db->error
 * says why. Strings passed in stay the caller's.
 */
#ifndef MINICRM_DB_NURTURE_CAMPAIGNS_H
#define MINICRM_DB_NURTURE_CAMPAIGNS_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

/* The columns of STMT_NC_LIST and STMT_NC_GET. */
enum db_nc_col {
	DB_NC_ID, DB_NC_CLIENT, DB_NC_CLIENT_ID, DB_NC_NAME, DB_NC_STATUS,
	DB_NC_STEPS, DB_NC_ACTIVE, DB_NC_COMPLETED, DB_NC_SENDS,
	DB_NC_OPEN_RATE, DB_NC_CLICK_RATE, DB_NC_DESCRIPTION,
	DB_NC_FROM_EMAIL, DB_NC_FROM_NAME, DB_NC_PAUSED_AT, DB_NC_PAUSED_BY,
	DB_NC_CREATED, DB_NC_UPDATED
};

/* A nurture campaign with its counts. */
struct db_nc {
	const char	*id;
	const char	*client;	/* slug */
	const char	*client_id;
	const char	*name;
	const char	*status;	/* active | paused | archived */
	long long	 steps;
	long long	 active;	/* enrolments active */
	long long	 completed;	/* enrolments completed */
	long long	 sends;		/* e-mails sent (sent or bounced) */
	const char	*open_rate;	/* %, 30 days; NULL: nothing sent */
	const char	*click_rate;
	const char	*description;
	const char	*from_email;
	const char	*from_name;
	const char	*paused_at;	/* UTC; NULL: not paused */
	const char	*paused_by;
	const char	*created;	/* UTC */
	const char	*updated;
};

/* Every campaign, or client's (a slug; NULL: all) in status (NULL: any),
 * by client and name. */
int	db_nc_list(struct db *, const char *client, const char *status,
	    struct db_nc **rows, size_t *n) __attribute__((warn_unused_result));

/* Campaign id (a uuid the caller checked): *row NULL (DB_OK) if there is
 * none; else the caller free()s it. */
int	db_nc_get(struct db *, const char *id, struct db_nc **row)
	    __attribute__((warn_unused_result));

/*
 * Create a campaign of client (a slug). Its id into id_out. Returns 1
 * created, 0 no such client, DB_CONFLICT the client has a campaign of
 * that name, DB_BAD_INPUT a value the table refuses, or another db_status.
 */
int	db_nc_create(struct db *, const char *client, const char *name,
	    const char *from_email, const char *from_name,
	    const char *description, char id_out[37])
	    __attribute__((warn_unused_result));

/* The columns of STMT_NC_STEPS. */
enum db_nc_step_col {
	DB_NC_STEP_NUMBER, DB_NC_STEP_SUBJECT, DB_NC_STEP_BODY,
	DB_NC_STEP_DELAY, DB_NC_STEP_UPDATED
};

struct db_nc_step {
	long long	 number;	/* 1..100 */
	const char	*subject;	/* a mustache template */
	const char	*body;		/* a mustache template */
	long long	 delay;		/* minutes after the step before */
	const char	*updated;	/* UTC */
};

/* Campaign id's steps in order. */
int	db_nc_steps(struct db *, const char *id, struct db_nc_step **rows,
	    size_t *n) __attribute__((warn_unused_result));

/* Add a step after the last (delay in minutes, as text); its number into
 * *number. DB_CONFLICT: another was added at the same moment;
 * DB_BAD_INPUT: the last step is number 100. */
int	db_nc_step_add(struct db *, const char *id, const char *subject,
	    const char *body, const char *delay, long *number)
	    __attribute__((warn_unused_result));

/* Change step number of campaign id. Returns 1 changed, 0 no such step,
 * or a db_status. */
int	db_nc_step_update(struct db *, const char *id, long number,
	    const char *subject, const char *body, const char *delay)
	    __attribute__((warn_unused_result));

/* Delete step number of campaign id (the later ones keep their numbers).
 * Returns 1 deleted, 0 no such step, or a db_status. */
int	db_nc_step_delete(struct db *, const char *id, long number)
	    __attribute__((warn_unused_result));

/*
 * Set campaign id's status to to if it is one of from (a PostgreSQL text
 * array literal, "{active,paused}"); by is kept when pausing. Returns 1
 * changed, 0 it was not in one of those, or a db_status.
 */
int	db_nc_status_set(struct db *, const char *id, const char *to,
	    const char *from, const char *by)
	    __attribute__((warn_unused_result));

/* The columns of STMT_NC_ENROLMENTS. */
enum db_nc_enrolment_col {
	DB_NCE_ID, DB_NCE_LEAD_ID, DB_NCE_LEAD_NAME, DB_NCE_EXTERNAL_ID,
	DB_NCE_EMAIL, DB_NCE_STATUS, DB_NCE_STEP, DB_NCE_NEXT_SEND,
	DB_NCE_REASON, DB_NCE_BY, DB_NCE_ENROLLED, DB_NCE_COMPLETED
};

struct db_nc_enrolment {
	const char	*id;
	const char	*lead_id;
	const char	*lead_name;
	const char	*external_id;
	const char	*email;		/* NULL: none */
	const char	*status;
	long long	 step;		/* the last step queued */
	const char	*next_send;	/* UTC; NULL: none left */
	const char	*reason;	/* completion_reason; NULL */
	const char	*by;		/* enrolled_by */
	const char	*enrolled;	/* UTC */
	const char	*completed;	/* UTC; NULL */
};

/* Campaign id's enrolments in status ("all": every one), by id, after
 * enrolment after (NULL: from the first), at most limit. */
int	db_nc_enrolments(struct db *, const char *id, const char *status,
	    const char *after, long limit, struct db_nc_enrolment **rows,
	    size_t *n) __attribute__((warn_unused_result));

/* The columns of STMT_NC_ENROLMENT_COUNTS. */
enum db_nc_count_col { DB_NC_COUNT_STATUS, DB_NC_COUNT_N };

struct db_nc_count {
	const char	*status;
	long long	 n;
};

/* How many of campaign id's enrolments are in each status (absent: 0). */
int	db_nc_enrolment_counts(struct db *, const char *id,
	    struct db_nc_count **rows, size_t *n)
	    __attribute__((warn_unused_result));

/* The columns of STMT_NC_ANALYTICS. */
enum db_nc_day_col {
	DB_NC_DAY_DATE, DB_NC_DAY_SENT, DB_NC_DAY_DELIVERED, DB_NC_DAY_OPENS,
	DB_NC_DAY_CLICKS, DB_NC_DAY_BOUNCES, DB_NC_DAY_UNSUBSCRIBES,
	DB_NC_DAY_SPAM, DB_NC_DAY_DELIVERY_RATE, DB_NC_DAY_OPEN_RATE,
	DB_NC_DAY_CLICK_RATE, DB_NC_DAY_BOUNCE_RATE,
	DB_NC_DAY_UNSUBSCRIBE_RATE
};

/* One day of campaign_analytics (rates as text, NULL where none). */
struct db_nc_day {
	const char	*date;
	long long	 sent, delivered, opens, clicks, bounces,
			 unsubscribes, spam;
	const char	*delivery_rate, *open_rate, *click_rate,
			*bounce_rate, *unsubscribe_rate;
};

/* Campaign id's days, the newest first: the last days days (0: all). */
int	db_nc_analytics(struct db *, const char *id, long days,
	    struct db_nc_day **rows, size_t *n)
	    __attribute__((warn_unused_result));

/* The columns of STMT_NC_LEAD_ENROLMENTS. */
enum db_nc_lead_enrolment_col {
	DB_NCL_ID, DB_NCL_CAMPAIGN_ID, DB_NCL_CAMPAIGN, DB_NCL_CAMPAIGN_STATUS,
	DB_NCL_STATUS, DB_NCL_DONE, DB_NCL_STEPS, DB_NCL_NEXT_STEP,
	DB_NCL_NEXT_SEND, DB_NCL_REASON, DB_NCL_ENROLLED, DB_NCL_COMPLETED
};

struct db_nc_lead_enrolment {
	const char	*id;
	const char	*campaign_id;
	const char	*campaign;
	const char	*campaign_status;
	const char	*status;
	long long	 done;		/* steps queued so far */
	long long	 steps;		/* steps the campaign has */
	long long	 next_step;	/* the next step's number; 0: none */
	const char	*next_send;	/* UTC; NULL */
	const char	*reason;	/* NULL */
	const char	*enrolled;
	const char	*completed;	/* NULL */
};

/* Lead id's enrolments, the newest first. */
int	db_nc_lead_enrolments(struct db *, const char *lead,
	    struct db_nc_lead_enrolment **rows, size_t *n)
	    __attribute__((warn_unused_result));

/* The columns of STMT_NC_LEAD_SENDS. */
enum db_nc_send_col {
	DB_NCS_ID, DB_NCS_CAMPAIGN_ID, DB_NCS_CAMPAIGN, DB_NCS_STEP,
	DB_NCS_SUBJECT, DB_NCS_STATUS, DB_NCS_SCHEDULED, DB_NCS_SENT,
	DB_NCS_OPENED, DB_NCS_CLICKED, DB_NCS_FAILURE, DB_NCS_BOUNCE
};

/* One e-mail of a lead (times UTC; NULL where it has not happened). */
struct db_nc_send {
	const char	*id;
	const char	*campaign_id;
	const char	*campaign;
	long long	 step;
	const char	*subject;	/* NULL until the sender renders it */
	const char	*status;	/* queued | sent | failed | bounced */
	const char	*scheduled;
	const char	*sent;
	const char	*opened;
	const char	*clicked;
	const char	*failure;
	const char	*bounce;
};

/* Lead id's e-mails, the newest first, at most limit. */
int	db_nc_lead_sends(struct db *, const char *lead, long limit,
	    struct db_nc_send **rows, size_t *n)
	    __attribute__((warn_unused_result));

/* The columns of STMT_NC_LEAD_CHOICES and STMT_NC_CHOICES. */
enum db_nc_choice_col {
	DB_NCC_ID, DB_NCC_NAME, DB_NCC_CLIENT, DB_NCC_STATUS, DB_NCC_STEPS
};

/* A campaign an enrol menu offers. */
struct db_nc_choice {
	const char	*id;
	const char	*name;
	const char	*client;
	const char	*status;
	long long	 steps;
};

/* The not archived campaigns of lead's client, by name. */
int	db_nc_lead_choices(struct db *, const char *lead,
	    struct db_nc_choice **rows, size_t *n)
	    __attribute__((warn_unused_result));
/* The not archived campaigns of client (a slug; NULL: all). */
int	db_nc_choices(struct db *, const char *client,
	    struct db_nc_choice **rows, size_t *n)
	    __attribute__((warn_unused_result));

/* Why nurture_enroll() would refuse a lead (all false: it would not). */
struct db_nc_refusal {
	bool	other_client, opted_out, email_opt_out, no_email,
		email_invalid;
};

/* For lead and campaign: 1 and *out, 0 no such lead or campaign, or a
 * db_status. */
int	db_nc_lead_refusal(struct db *, const char *lead, const char *campaign,
	    struct db_nc_refusal *out) __attribute__((warn_unused_result));

/* The leads-list filter, as the leads search takes it (NULL: absent). */
struct db_nc_filter {
	const char	*like;		/* LIKE pattern of the search */
	const char	*second;	/* its phone-digits pattern, or like */
	const char	*client;	/* slug */
	const char	*status;
};

/*
 * The ids of the leads the filter selects after lead after (NULL: from
 * the first), by id, at most limit: *ids is an array of *n pointers to
 * the ids, in the same allocation; the caller free()s it.
 */
int	db_nc_filter_ids(struct db *, const struct db_nc_filter *,
	    const char *after, long limit, const char ***ids, size_t *n)
	    __attribute__((warn_unused_result));

/*
 * Cancel enrolment id (active or paused) with reason. Its lead and
 * campaign ids into lead[37], campaign[37], its status into status[16]
 * (also when it was not changed). Returns 1 cancelled, 0 it has ended
 * already (status says how), 2 no such enrolment, or a db_status.
 */
int	db_nc_enrolment_cancel(struct db *, const char *id, const char *reason,
	    char lead[37], char campaign[37], char status[16])
	    __attribute__((warn_unused_result));

/* The columns of STMT_NC_LEAD_VIEW. */
enum db_nc_view_col {
	DB_NCV_ID, DB_NCV_FIRST_NAME, DB_NCV_LAST_NAME, DB_NCV_NAME,
	DB_NCV_EMAIL, DB_NCV_PHONE, DB_NCV_EXTERNAL_ID, DB_NCV_METADATA
};

/* What personalization reads of a lead: its columns (NULL where SQL
 * NULL) and metadata as JSON text. */
struct db_nc_view {
	const char	*id;
	const char	*first_name, *last_name, *name, *email, *phone,
			*external_id;
	const char	*metadata;
};

/* The lead of client_id whose id is uuid or whose external id is
 * external_id (either NULL): *row NULL (DB_OK) if none; else the caller
 * free()s it. */
int	db_nc_lead_view(struct db *, const char *client_id, const char *uuid,
	    const char *external_id, struct db_nc_view **row)
	    __attribute__((warn_unused_result));

#endif
