/*
 * db_lead_actions: the store of the portal's actions on a lead — a note, a
 * status change, the opt-out. Each is one statement (sql_lead_actions.def),
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

#endif
