/*
 * db_lead_actions: the store of the portal's actions on a lead — a note, a
 * status change, the opt-out, enrolling in (or moving to) a campaign and
 * removing from one. Each is one statement (sql_lead_actions.def),
 * so the change and its event commit together; key is the event's
 * idempotency key, so the same form sent twice stores one event and
 * changes nothing the second time. Strings stay the caller's; nothing to
 * free.
 */
#ifndef MINICRM_DB_LEAD_ACTIONS_H
#define MINICRM_DB_LEAD_ACTIONS_H

#include "db.h"

/* Who acts: the admin's e-mail and id, kept in the event's metadata. */
struct db_actor {
	const char	*email;
	const char	*id;
};

/*
 * Add a NOTE_ADDED event with message to lead. Returns 1 stored, 0 not (no
 * such lead, or key was used already), or a negative db_status.
 */
int	db_lead_note_add(struct db *, const char *lead, const char *key,
	    const char *message, const struct db_actor *)
	    __attribute__((warn_unused_result));

/* The columns of STMT_LEAD_STATUS_SET. */
enum db_lead_status_set_col {
	DB_LEAD_STATUS_SET_FOUND,	/* 1 if the lead exists */
	DB_LEAD_STATUS_SET_CHANGED	/* 1 if its status was changed */
};

/*
 * Set lead's status, logging event_type (STATUS_CHANGED or OPTED_OUT)
 * with the status it replaced. Nothing changes if the lead has that
 * status already or key was used. Returns 1 if the lead exists (changed
 * or not), 0 if there is no such lead, or a negative db_status.
 */
int	db_lead_status_set(struct db *, const char *lead, const char *key,
	    const char *status, const char *event_type,
	    const struct db_actor *) __attribute__((warn_unused_result));

/* The columns of STMT_LEAD_CAMPAIGN_ENROL. */
enum db_lead_enrol_col {
	DB_LEAD_ENROL_FOUND, DB_LEAD_ENROL_CAMPAIGN, DB_LEAD_ENROL_ACTIVE,
	DB_LEAD_ENROL_OPTED_OUT, DB_LEAD_ENROL_ALREADY, DB_LEAD_ENROL_SEEN,
	DB_LEAD_ENROL_STORED
};

/* The columns of STMT_LEAD_CAMPAIGN_REMOVE. */
enum db_lead_remove_col {
	DB_LEAD_REMOVE_FOUND, DB_LEAD_REMOVE_ON, DB_LEAD_REMOVE_SEEN,
	DB_LEAD_REMOVE_STORED
};

/* What an enrolment or a removal did (each a reason nothing moved, but
 * the last). */
enum db_campaign_move {
	DB_MOVE_NO_LEAD,		/* no such lead */
	DB_MOVE_NO_CAMPAIGN,		/* no such campaign for its client */
	DB_MOVE_CAMPAIGN_INACTIVE,	/* the campaign is not active */
	DB_MOVE_OPTED_OUT,		/* an opted-out lead is not enrolled */
	DB_MOVE_ALREADY_ON,		/* the lead is on that campaign */
	DB_MOVE_NOT_ON,			/* removal: the lead is on none */
	DB_MOVE_REPLAYED,		/* the form was sent before */
	DB_MOVE_STORED			/* the event is stored: the lead moved */
};

/*
 * Enrol lead in campaign (a uuid the caller checked), or move it there:
 * a CAMPAIGN_ENROLLED event with the campaign and the actor, whose
 * trigger moves the lead in the same statement. Returns an enum
 * db_campaign_move, or a negative db_status.
 */
int	db_lead_campaign_enrol(struct db *, const char *lead, const char *key,
	    const char *campaign, const struct db_actor *)
	    __attribute__((warn_unused_result));

/*
 * Remove lead from the campaign it is on: a CAMPAIGN_DE_ENROLLED event
 * with that campaign and the actor. Returns DB_MOVE_NO_LEAD,
 * DB_MOVE_NOT_ON, DB_MOVE_REPLAYED or DB_MOVE_STORED, or a negative
 * db_status.
 */
int	db_lead_campaign_remove(struct db *, const char *lead,
	    const char *key, const struct db_actor *)
	    __attribute__((warn_unused_result));

#endif
