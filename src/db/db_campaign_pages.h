/*
 * db_campaign_pages: the store the portal's campaign pages and a lead's
 * campaign section read (sql_campaign_pages.def): campaigns with their
 * counts beside the counts their leads give (the SOP's drift check), a
 * campaign's steps, its leads by state, its completions per day, a lead's
 * place in its campaign and its journeys. (The SOP's stats fix is
 * deenroll_recalc, in the domain.)
 *
 * Every function returns a db_status. Rows come back as one allocation,
 * strings included, that the caller free()s (also when there are none);
 * on an error the pointer is NULL and db->error says why. Strings passed
 * in stay the caller's.
 */
#ifndef MINICRM_DB_CAMPAIGN_PAGES_H
#define MINICRM_DB_CAMPAIGN_PAGES_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"
#include "db_dashboard.h"

/* The columns of STMT_CAMPAIGNS_LIST and STMT_CAMPAIGN_GET. */
enum db_campaign_col {
	DB_CAMPAIGN_ID, DB_CAMPAIGN_NAME, DB_CAMPAIGN_CLIENT,
	DB_CAMPAIGN_IS_ACTIVE, DB_CAMPAIGN_STEPS, DB_CAMPAIGN_ACTIVE,
	DB_CAMPAIGN_COMPLETED, DB_CAMPAIGN_OPTED_OUT, DB_CAMPAIGN_BOOKED,
	DB_CAMPAIGN_ACTUAL_ACTIVE, DB_CAMPAIGN_ACTUAL_COMPLETED,
	DB_CAMPAIGN_ACTUAL_OPTED_OUT, DB_CAMPAIGN_ACTUAL_BOOKED,
	DB_CAMPAIGN_STUCK, DB_CAMPAIGN_LAST_ENROLMENT,
	DB_CAMPAIGN_AUTO_DISCOVERED, DB_CAMPAIGN_DESCRIPTION,
	DB_CAMPAIGN_CREATED, DB_CAMPAIGN_DEACTIVATED
};

/* A campaign's four counts: as its row keeps them, or as counted. */
struct db_campaign_counts {
	long long	 active, completed, opted_out, booked;
};

/* A campaign with its counts and the counts its leads give. */
struct db_campaign {
	const char		*id;
	const char		*name;
	const char		*client;	/* slug */
	bool			 is_active;
	long long		 steps;		/* messages in the sequence */
	struct db_campaign_counts kept;		/* the campaign row's */
	struct db_campaign_counts actual;	/* counted from its leads */
	long long		 stuck;		/* finished, still active */
	const char		*last_enrolment; /* UTC, NULL: never */
	bool			 auto_discovered;
	const char		*description;
	const char		*created;	/* UTC */
	const char		*deactivated;	/* UTC, NULL: not */
};

/* Every campaign, or client's (a slug; NULL: all), by client and name. */
int	db_campaigns_list(struct db *, const char *client,
	    struct db_campaign **rows, size_t *n)
	    __attribute__((warn_unused_result));

/* One campaign by id (a uuid the caller checked): *row is NULL (and DB_OK
 * returned) if there is none; else the caller free()s it. */
int	db_campaign_get(struct db *, const char *id, struct db_campaign **row)
	    __attribute__((warn_unused_result));

/* The columns of STMT_CAMPAIGN_STEPS. */
enum db_campaign_step_col {
	DB_STEP_POSITION, DB_STEP_BODY, DB_STEP_DELAY, DB_STEP_JSON
};

/* One step of a campaign's sequence. */
struct db_campaign_step {
	long long	 position;	/* 1, 2, ... */
	const char	*body;		/* NULL: the step has none */
	const char	*delay_hours;	/* NULL: none */
	const char	*json;		/* the step as stored */
};

int	db_campaign_steps(struct db *, const char *id,
	    struct db_campaign_step **rows, size_t *n)
	    __attribute__((warn_unused_result));

/* The columns of STMT_CAMPAIGN_LEADS. */
enum db_campaign_lead_col {
	DB_CLEAD_ID, DB_CLEAD_NAME, DB_CLEAD_EXTERNAL, DB_CLEAD_POSITION,
	DB_CLEAD_TOTAL, DB_CLEAD_RECEIVED, DB_CLEAD_ENROLLED,
	DB_CLEAD_COMPLETED, DB_CLEAD_OPTED_OUT, DB_CLEAD_BOOKED,
	DB_CLEAD_STATE
};

/* A lead of a campaign and where it is in the sequence. */
struct db_campaign_lead {
	const char	*id;
	const char	*name;
	const char	*external_id;
	long long	 position;
	long long	 total;
	long long	 received;
	const char	*enrolled;	/* UTC, NULL: unknown */
	const char	*completed;	/* UTC, NULL: not */
	const char	*opted_out;	/* UTC, NULL: not */
	bool		 booked;
	const char	*state;	/* active, stuck, completed, opted_out, inactive */
};

/*
 * Campaign id's leads in state ("all" for every one), by id, after lead
 * after (NULL: from the first), at most limit.
 */
int	db_campaign_leads(struct db *, const char *id, const char *state,
	    const char *after, long limit, struct db_campaign_lead **rows,
	    size_t *n) __attribute__((warn_unused_result));

/* The columns of STMT_CAMPAIGN_STATE_COUNTS. */
enum db_campaign_state_col { DB_CSTATE_STATE, DB_CSTATE_LEADS };

struct db_campaign_state {
	const char	*state;
	long long	 leads;
};

/* How many of campaign id's leads are in each state (absent: none). */
int	db_campaign_state_counts(struct db *, const char *id,
	    struct db_campaign_state **rows, size_t *n)
	    __attribute__((warn_unused_result));

/*
 * Campaign id's completions per UTC day over the last 14 days, as the
 * dashboard's daily rows (event_type "completed"), so its chart draws
 * them.
 */
int	db_campaign_completions(struct db *, const char *id,
	    struct db_dash_daily **rows, size_t *n)
	    __attribute__((warn_unused_result));

/* The columns of STMT_LEAD_CAMPAIGN. */
enum db_lead_campaign_col {
	DB_LCAMP_ID, DB_LCAMP_NAME, DB_LCAMP_POSITION, DB_LCAMP_TOTAL,
	DB_LCAMP_RECEIVED, DB_LCAMP_IS_ACTIVE, DB_LCAMP_OPTED_OUT,
	DB_LCAMP_IS_COMPLETED, DB_LCAMP_ENROLLED, DB_LCAMP_COMPLETED,
	DB_LCAMP_OPTED_OUT_AT, DB_LCAMP_BOOKED
};

/* A lead's place in its campaign. */
struct db_lead_campaign {
	const char	*campaign_id;	/* NULL: on none */
	const char	*campaign;	/* its name */
	long long	 position;
	long long	 total;
	long long	 received;
	bool		 is_active;
	bool		 opted_out;
	bool		 completed;
	const char	*enrolled_at;	/* UTC, NULL: never */
	const char	*completed_at;
	const char	*opted_out_at;
	bool		 booked;
};

/* Lead id's place: *row NULL (DB_OK) if no such lead; else free() it. */
int	db_lead_campaign(struct db *, const char *lead,
	    struct db_lead_campaign **row) __attribute__((warn_unused_result));

/* The columns of STMT_LEAD_JOURNEYS. */
enum db_journey_col {
	DB_JOURNEY_CAMPAIGN_ID, DB_JOURNEY_CAMPAIGN, DB_JOURNEY_ENROLLED,
	DB_JOURNEY_ENDED, DB_JOURNEY_OUTCOME, DB_JOURNEY_RECEIVED,
	DB_JOURNEY_TOTAL
};

/* A finished journey from the lead's campaign_history (text as kept;
 * NULL where the journey has no such field). */
struct db_journey {
	const char	*campaign_id;
	const char	*campaign;
	const char	*enrolled;
	const char	*ended;
	const char	*outcome;
	const char	*received;
	const char	*total;
};

/* Lead id's journeys, the latest first. */
int	db_lead_journeys(struct db *, const char *lead,
	    struct db_journey **rows, size_t *n)
	    __attribute__((warn_unused_result));

/* The columns of STMT_LEAD_CLIENT_CAMPAIGNS. */
enum db_campaign_choice_col { DB_CHOICE_ID, DB_CHOICE_NAME };

struct db_campaign_choice {
	const char	*id;
	const char	*name;
};

/* The active campaigns of lead's client, by name (the enrol menu). */
int	db_lead_client_campaigns(struct db *, const char *lead,
	    struct db_campaign_choice **rows, size_t *n)
	    __attribute__((warn_unused_result));

#endif
