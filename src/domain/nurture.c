/* nurture: enrolment, workflow runs and pause switches (see nurture.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_nurture.h"
#include "lead_filters.h"
#include "log.h"
#include "nurture.h"

static const char *const workflow_names[NURTURE_WORKFLOW__MAX] = {
	[NURTURE_SCHEDULER] = "Lead Nurture - Message Scheduler",
	[NURTURE_SENDER] = "Lead Nurture - Email Sender",
	[NURTURE_EVENTS] = "Lead Nurture - Event Tracker",
	[NURTURE_ANALYTICS] = "Lead Nurture - Analytics Updater",
	[NURTURE_ENROLLMENT] = "Lead Nurture - Enrollment",
};

const char *
nurture_workflow_name(enum nurture_workflow w)
{
	return (unsigned)w < NURTURE_WORKFLOW__MAX ? workflow_names[w] : "";
}

void
nurture_run_begin(struct db *db, enum nurture_workflow w,
    struct nurture_run *run)
{
	run->workflow = w;
	run->id = 0;
	if (db_nurture_run_begin(db, nurture_workflow_name(w), &run->id) !=
	    DB_OK)
		log_warn("nurture: cannot record a run of %s: %s",
		    nurture_workflow_name(w), db->error);
}

void
nurture_run_end(struct db *db, struct nurture_run *run, long items,
    const char *error)
{
	if (error != NULL)
		nurture_run_error(db, run, error, NULL);
	if (run->id > 0 && db_nurture_run_end(db, run->id, error == NULL,
	    items, error) != DB_OK)
		log_warn("nurture: cannot record the end of a run of %s: %s",
		    nurture_workflow_name(run->workflow), db->error);
}

void
nurture_run_error(struct db *db, const struct nurture_run *run,
    const char *message, const char *context)
{
	if (db_nurture_run_error(db, nurture_workflow_name(run->workflow),
	    run->id, message, context) != DB_OK)
		log_warn("nurture: cannot record an error of %s: %s",
		    nurture_workflow_name(run->workflow), db->error);
}

static void
enroll_fail(struct nurture_enroll_result *out, enum nurture_enroll_status s,
    const char *message)
{
	out->status = s;
	snprintf(out->error, sizeof(out->error), "%s", message);
}

/* "{id,id,…}" of the n uuids (checked by the caller); free() it. NULL if
 * memory ran out. */
static char *
uuid_array(const char *const *ids, size_t n)
{
	char	*s, *p;
	size_t	 i;

	if ((s = malloc(n * 37 + 3)) == NULL)
		return NULL;
	p = s;
	*p++ = '{';
	for (i = 0; i < n; i++) {
		if (i > 0)
			*p++ = ',';
		memcpy(p, ids[i], 36);
		p += 36;
	}
	*p++ = '}';
	*p = '\0';
	return s;
}

void
nurture_enroll(struct db *db, const char *campaign_id,
    const char *const *lead_ids, size_t n, const char *start,
    const char *by, struct nurture_enroll_result *out)
{
	struct db_nurture_campaign_state	 state;
	char					*array;
	size_t					 i;
	int					 rc;

	memset(out, 0, sizeof(*out));
	if (campaign_id == NULL || !lead_uuid_valid(campaign_id))
		return enroll_fail(out, NURTURE_ENROLL_BAD_INPUT,
		    "campaign_id must be a campaign's id (a uuid)");
	if (n == 0 || n > NURTURE_ENROLL_MAX)
		return enroll_fail(out, NURTURE_ENROLL_BAD_INPUT,
		    "lead_ids must hold 1 to 10000 lead ids");
	for (i = 0; i < n; i++)
		if (lead_ids[i] == NULL || !lead_uuid_valid(lead_ids[i])) {
			snprintf(out->error, sizeof(out->error),
			    "lead_ids[%zu] must be a lead's id (a uuid)", i);
			out->status = NURTURE_ENROLL_BAD_INPUT;
			return;
		}
	if ((rc = db_nurture_campaign_state(db, campaign_id, &state)) < 0)
		return enroll_fail(out, NURTURE_ENROLL_DB_ERROR, db->error);
	if (rc == 0)
		return enroll_fail(out, NURTURE_ENROLL_NO_CAMPAIGN,
		    "there is no such campaign");
	if (strcmp(state.status, "archived") == 0 || state.steps == 0)
		return enroll_fail(out, NURTURE_ENROLL_CLOSED,
		    state.steps == 0 ? "the campaign has no steps yet" :
		    "the campaign is archived");
	if ((array = uuid_array(lead_ids, n)) == NULL)
		return enroll_fail(out, NURTURE_ENROLL_DB_ERROR,
		    "out of memory");
	rc = db_nurture_enroll(db, campaign_id, array, start, by,
	    &out->enrolled, &out->already, &out->refused);
	free(array);
	if (rc == DB_BAD_INPUT)
		return enroll_fail(out, NURTURE_ENROLL_BAD_INPUT,
		    "start must be a timestamp (ISO 8601)");
	if (rc != DB_OK)
		return enroll_fail(out, NURTURE_ENROLL_DB_ERROR, db->error);
	out->status = NURTURE_ENROLL_OK;
}

static const char *const switch_names[] = {
	[NURTURE_SWITCH_SCHEDULER] = "scheduler",
	[NURTURE_SWITCH_SENDER] = "sender",
};

int
nurture_paused(struct db *db, enum nurture_switch s)
{
	struct db_nurture_control	 c;
	int				 rc;

	if ((rc = db_nurture_control_get(db, switch_names[s], &c)) != DB_OK)
		return rc;
	return c.paused;
}

int
nurture_set_paused(struct db *db, enum nurture_switch s, bool paused,
    const char *reason, const char *by)
{
	return db_nurture_control_set(db, switch_names[s], paused,
	    reason != NULL ? reason : "", by != NULL ? by : "");
}
