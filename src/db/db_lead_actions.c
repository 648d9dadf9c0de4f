/* db_lead_actions: note, status, opt-out (see db_lead_actions.h). */
#include "db_lead_actions.h"
#include "db_store.h"

int
db_lead_note_add(struct db *db, const char *lead, const char *key,
    const char *message, const struct db_actor *who)
{
	const char	*params[5] = { lead, key, message, who->email,
			    who->id };
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, STMT_LEAD_NOTE_ADD, params, &res)) != DB_OK)
		return rc;
	rc = PQntuples(res) == 1;	/* RETURNING id */
	PQclear(res);
	return rc;
}

int
db_lead_status_set(struct db *db, const char *lead, const char *key,
    const char *status, const char *event_type, const struct db_actor *who)
{
	const char	*params[6] = { lead, key, status, who->email, who->id,
			    event_type };
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, STMT_LEAD_STATUS_SET, params, &res)) != DB_OK)
		return rc;
	rc = db_store_int(res, 0, DB_LEAD_STATUS_SET_FOUND) == 1;
	PQclear(res);
	return rc;
}

int
db_lead_campaign_enrol(struct db *db, const char *lead, const char *key,
    const char *campaign, const struct db_actor *who)
{
	const char	*params[5] = { lead, key, campaign, who->email,
			    who->id };
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, STMT_LEAD_CAMPAIGN_ENROL, params, &res)) !=
	    DB_OK)
		return rc;
	if (db_store_int(res, 0, DB_LEAD_ENROL_FOUND) == 0)
		rc = DB_MOVE_NO_LEAD;
	else if (db_store_int(res, 0, DB_LEAD_ENROL_STORED) == 1)
		rc = DB_MOVE_STORED;
	else if (db_store_int(res, 0, DB_LEAD_ENROL_SEEN) > 0)
		rc = DB_MOVE_REPLAYED;
	else if (db_store_int(res, 0, DB_LEAD_ENROL_CAMPAIGN) == 0)
		rc = DB_MOVE_NO_CAMPAIGN;
	else if (!db_store_bool(res, 0, DB_LEAD_ENROL_ACTIVE))
		rc = DB_MOVE_CAMPAIGN_INACTIVE;
	else if (db_store_bool(res, 0, DB_LEAD_ENROL_OPTED_OUT))
		rc = DB_MOVE_OPTED_OUT;
	else
		rc = DB_MOVE_ALREADY_ON;
	PQclear(res);
	return rc;
}

int
db_lead_campaign_remove(struct db *db, const char *lead, const char *key,
    const struct db_actor *who)
{
	const char	*params[4] = { lead, key, who->email, who->id };
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, STMT_LEAD_CAMPAIGN_REMOVE, params, &res)) !=
	    DB_OK)
		return rc;
	if (db_store_int(res, 0, DB_LEAD_REMOVE_FOUND) == 0)
		rc = DB_MOVE_NO_LEAD;
	else if (db_store_int(res, 0, DB_LEAD_REMOVE_STORED) == 1)
		rc = DB_MOVE_STORED;
	else if (db_store_int(res, 0, DB_LEAD_REMOVE_SEEN) > 0)
		rc = DB_MOVE_REPLAYED;
	else
		rc = DB_MOVE_NOT_ON;
	PQclear(res);
	return rc;
}
