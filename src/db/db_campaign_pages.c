/* db_campaign_pages: what the campaign pages read (see db_campaign_pages.h). */
#include <stdio.h>
#include <stdlib.h>

#include "db_campaign_pages.h"
#include "db_store.h"

#define NFIELDS(a)	(sizeof(a) / sizeof((a)[0]))

#define C(type, member, col)	DB_FIELD(type, struct db_campaign, member, col)
static const struct db_field campaign_fields[] = {
	C(DB_FIELD_TEXT, id, DB_CAMPAIGN_ID),
	C(DB_FIELD_TEXT, name, DB_CAMPAIGN_NAME),
	C(DB_FIELD_TEXT, client, DB_CAMPAIGN_CLIENT),
	C(DB_FIELD_BOOL, is_active, DB_CAMPAIGN_IS_ACTIVE),
	C(DB_FIELD_INT, steps, DB_CAMPAIGN_STEPS),
	C(DB_FIELD_INT, kept.active, DB_CAMPAIGN_ACTIVE),
	C(DB_FIELD_INT, kept.completed, DB_CAMPAIGN_COMPLETED),
	C(DB_FIELD_INT, kept.opted_out, DB_CAMPAIGN_OPTED_OUT),
	C(DB_FIELD_INT, kept.booked, DB_CAMPAIGN_BOOKED),
	C(DB_FIELD_INT, actual.active, DB_CAMPAIGN_ACTUAL_ACTIVE),
	C(DB_FIELD_INT, actual.completed, DB_CAMPAIGN_ACTUAL_COMPLETED),
	C(DB_FIELD_INT, actual.opted_out, DB_CAMPAIGN_ACTUAL_OPTED_OUT),
	C(DB_FIELD_INT, actual.booked, DB_CAMPAIGN_ACTUAL_BOOKED),
	C(DB_FIELD_INT, stuck, DB_CAMPAIGN_STUCK),
	C(DB_FIELD_TEXT_NULL, last_enrolment, DB_CAMPAIGN_LAST_ENROLMENT),
	C(DB_FIELD_BOOL, auto_discovered, DB_CAMPAIGN_AUTO_DISCOVERED),
	C(DB_FIELD_TEXT, description, DB_CAMPAIGN_DESCRIPTION),
	C(DB_FIELD_TEXT, created, DB_CAMPAIGN_CREATED),
	C(DB_FIELD_TEXT_NULL, deactivated, DB_CAMPAIGN_DEACTIVATED),
};
#undef C

int
db_campaigns_list(struct db *db, const char *client,
    struct db_campaign **rows, size_t *n)
{
	const char *params[1] = { client };

	return db_store_rows(db, STMT_CAMPAIGNS_LIST, params, sizeof(**rows),
	    campaign_fields, NFIELDS(campaign_fields), (void **)rows, n);
}

int
db_campaign_get(struct db *db, const char *id, struct db_campaign **row)
{
	const char	*params[1] = { id };

	return db_store_row(db, STMT_CAMPAIGN_GET, params, sizeof(**row),
	    campaign_fields, NFIELDS(campaign_fields), (void **)row);
}

int
db_campaign_steps(struct db *db, const char *id,
    struct db_campaign_step **rows, size_t *n)
{
#define S(type, member, col) DB_FIELD(type, struct db_campaign_step, member, col)
	static const struct db_field fields[] = {
		S(DB_FIELD_INT, position, DB_STEP_POSITION),
		S(DB_FIELD_TEXT_NULL, body, DB_STEP_BODY),
		S(DB_FIELD_TEXT_NULL, delay_hours, DB_STEP_DELAY),
		S(DB_FIELD_TEXT, json, DB_STEP_JSON),
	};
#undef S
	const char *params[1] = { id };

	return db_store_rows(db, STMT_CAMPAIGN_STEPS, params, sizeof(**rows),
	    fields, NFIELDS(fields), (void **)rows, n);
}

int
db_campaign_leads(struct db *db, const char *id, const char *state,
    const char *after, long limit, struct db_campaign_lead **rows,
    size_t *n)
{
#define L(type, member, col) DB_FIELD(type, struct db_campaign_lead, member, col)
	static const struct db_field fields[] = {
		L(DB_FIELD_TEXT, id, DB_CLEAD_ID),
		L(DB_FIELD_TEXT, name, DB_CLEAD_NAME),
		L(DB_FIELD_TEXT, external_id, DB_CLEAD_EXTERNAL),
		L(DB_FIELD_INT, position, DB_CLEAD_POSITION),
		L(DB_FIELD_INT, total, DB_CLEAD_TOTAL),
		L(DB_FIELD_INT, received, DB_CLEAD_RECEIVED),
		L(DB_FIELD_TEXT_NULL, enrolled, DB_CLEAD_ENROLLED),
		L(DB_FIELD_TEXT_NULL, completed, DB_CLEAD_COMPLETED),
		L(DB_FIELD_TEXT_NULL, opted_out, DB_CLEAD_OPTED_OUT),
		L(DB_FIELD_BOOL, booked, DB_CLEAD_BOOKED),
		L(DB_FIELD_TEXT, state, DB_CLEAD_STATE),
	};
#undef L
	char		 lim[24];
	const char	*params[4] = { id, state, after, lim };

	snprintf(lim, sizeof(lim), "%ld", limit);
	return db_store_rows(db, STMT_CAMPAIGN_LEADS, params, sizeof(**rows),
	    fields, NFIELDS(fields), (void **)rows, n);
}

int
db_campaign_state_counts(struct db *db, const char *id,
    struct db_campaign_state **rows, size_t *n)
{
	static const struct db_field fields[] = {
		DB_FIELD(DB_FIELD_TEXT, struct db_campaign_state, state,
		    DB_CSTATE_STATE),
		DB_FIELD(DB_FIELD_INT, struct db_campaign_state, leads,
		    DB_CSTATE_LEADS),
	};
	const char *params[1] = { id };

	return db_store_rows(db, STMT_CAMPAIGN_STATE_COUNTS, params,
	    sizeof(**rows), fields, NFIELDS(fields), (void **)rows, n);
}

int
db_campaign_completions(struct db *db, const char *id,
    struct db_dash_daily **rows, size_t *n)
{
#define D(type, member, col) DB_FIELD(type, struct db_dash_daily, member, col)
	static const struct db_field fields[] = {
		D(DB_FIELD_TEXT, day, DASH_DAILY_DAY),
		D(DB_FIELD_TEXT, event_type, DASH_DAILY_TYPE),
		D(DB_FIELD_INT, events, DASH_DAILY_EVENTS),
	};
#undef D
	const char *params[1] = { id };

	return db_store_rows(db, STMT_CAMPAIGN_COMPLETIONS, params,
	    sizeof(**rows), fields, NFIELDS(fields), (void **)rows, n);
}

int
db_lead_campaign(struct db *db, const char *lead,
    struct db_lead_campaign **row)
{
#define P(type, member, col) DB_FIELD(type, struct db_lead_campaign, member, col)
	static const struct db_field fields[] = {
		P(DB_FIELD_TEXT_NULL, campaign_id, DB_LCAMP_ID),
		P(DB_FIELD_TEXT_NULL, campaign, DB_LCAMP_NAME),
		P(DB_FIELD_INT, position, DB_LCAMP_POSITION),
		P(DB_FIELD_INT, total, DB_LCAMP_TOTAL),
		P(DB_FIELD_INT, received, DB_LCAMP_RECEIVED),
		P(DB_FIELD_BOOL, is_active, DB_LCAMP_IS_ACTIVE),
		P(DB_FIELD_BOOL, opted_out, DB_LCAMP_OPTED_OUT),
		P(DB_FIELD_BOOL, completed, DB_LCAMP_IS_COMPLETED),
		P(DB_FIELD_TEXT_NULL, enrolled_at, DB_LCAMP_ENROLLED),
		P(DB_FIELD_TEXT_NULL, completed_at, DB_LCAMP_COMPLETED),
		P(DB_FIELD_TEXT_NULL, opted_out_at, DB_LCAMP_OPTED_OUT_AT),
		P(DB_FIELD_BOOL, booked, DB_LCAMP_BOOKED),
	};
#undef P
	const char	*params[1] = { lead };

	return db_store_row(db, STMT_LEAD_CAMPAIGN, params, sizeof(**row),
	    fields, NFIELDS(fields), (void **)row);
}

int
db_lead_journeys(struct db *db, const char *lead, struct db_journey **rows,
    size_t *n)
{
#define J(member, col) DB_FIELD(DB_FIELD_TEXT_NULL, struct db_journey, member, col)
	static const struct db_field fields[] = {
		J(campaign_id, DB_JOURNEY_CAMPAIGN_ID),
		J(campaign, DB_JOURNEY_CAMPAIGN),
		J(enrolled, DB_JOURNEY_ENROLLED),
		J(ended, DB_JOURNEY_ENDED),
		J(outcome, DB_JOURNEY_OUTCOME),
		J(received, DB_JOURNEY_RECEIVED),
		J(total, DB_JOURNEY_TOTAL),
	};
#undef J
	const char *params[1] = { lead };

	return db_store_rows(db, STMT_LEAD_JOURNEYS, params, sizeof(**rows),
	    fields, NFIELDS(fields), (void **)rows, n);
}

int
db_lead_client_campaigns(struct db *db, const char *lead,
    struct db_campaign_choice **rows, size_t *n)
{
	static const struct db_field fields[] = {
		DB_FIELD(DB_FIELD_TEXT, struct db_campaign_choice, id,
		    DB_CHOICE_ID),
		DB_FIELD(DB_FIELD_TEXT, struct db_campaign_choice, name,
		    DB_CHOICE_NAME),
	};
	const char *params[1] = { lead };

	return db_store_rows(db, STMT_LEAD_CLIENT_CAMPAIGNS, params,
	    sizeof(**rows), fields, NFIELDS(fields), (void **)rows, n);
}
