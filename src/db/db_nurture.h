/*
 * db_nurture: the store of what every part of e-mail nurture shares
 * (sql_nurture.def, sql/0013): a campaign's state, enrolment, the
 * workflow_executions and workflow_errors rows, the pause switches.
 */
#ifndef MINICRM_DB_NURTURE_H
#define MINICRM_DB_NURTURE_H

#include <stdbool.h>

#include "db.h"

struct db_nurture_campaign_state {
	char	organization_id[37];
	char	status[16];		/* active | paused | archived */
	long	steps;
};

/* Campaign id's state into *out. Returns 1 found, 0 no such campaign, or
 * a negative db_status. */
int	db_nurture_campaign_state(struct db *, const char *id,
	    struct db_nurture_campaign_state *out)
	    __attribute__((warn_unused_result));

/*
 * nurture_enroll() (sql/0013): leads_array is a PostgreSQL uuid array
 * literal ("{…,…}"), start NULL for now. The counts into the three longs.
 * A db_status (DB_BAD_INPUT: the campaign has no steps or is archived).
 */
int	db_nurture_enroll(struct db *, const char *campaign_id,
	    const char *leads_array, const char *start, const char *by,
	    long *enrolled, long *already, long *refused)
	    __attribute__((warn_unused_result));

/* A workflow_executions row for workflow; its id into *id. A db_status. */
int	db_nurture_run_begin(struct db *, const char *workflow, long long *id)
	    __attribute__((warn_unused_result));
/* Close it: ok (success) or not (error, with message), items processed. */
int	db_nurture_run_end(struct db *, long long id, bool ok, long items,
	    const char *message);
/* A workflow_errors row (run_id 0: none; context JSON text or NULL). */
int	db_nurture_run_error(struct db *, const char *workflow,
	    long long run_id, const char *message, const char *context);

struct db_nurture_control {
	bool	paused;
	char	reason[501];
	char	changed_by[201];
	char	changed_at[40];
};

/* Switch name ("scheduler", "sender") into *out. A db_status. */
int	db_nurture_control_get(struct db *, const char *name,
	    struct db_nurture_control *out) __attribute__((warn_unused_result));
/* Set it. A db_status. */
int	db_nurture_control_set(struct db *, const char *name, bool paused,
	    const char *reason, const char *by)
	    __attribute__((warn_unused_result));

#endif
