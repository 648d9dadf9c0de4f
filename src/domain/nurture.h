/*
 * nurture: what the parts of e-mail nurture share (docs/nurture.md) —
 * enrolling leads into a nurture campaign, the runbook's workflows as
 * recorded runs, and the operator's pause switches. The scheduler, the
 * sender, the SendGrid event intake and the analytics each have their own
 * module (nurture_<part>.h) on top of this one.
 *
 * The runbook's five n8n workflows are minicrm's jobs; each run of one is
 * a workflow_executions row under the runbook's name, and its errors are
 * workflow_errors rows, so the runbook's queries and alerts see them.
 */
#ifndef MINICRM_NURTURE_H
#define MINICRM_NURTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

enum nurture_workflow {
	NURTURE_SCHEDULER,	/* "Lead Nurture - Message Scheduler" */
	NURTURE_SENDER,		/* "Lead Nurture - Email Sender" */
	NURTURE_EVENTS,		/* "Lead Nurture - Event Tracker" */
	NURTURE_ANALYTICS,	/* "Lead Nurture - Analytics Updater" */
	NURTURE_ENROLLMENT,	/* "Lead Nurture - Enrollment" */
	NURTURE_WORKFLOW__MAX
};

/* The runbook's name of a workflow (static). */
const char	*nurture_workflow_name(enum nurture_workflow);

/* One run of a workflow: begun, then ended once. */
struct nurture_run {
	enum nurture_workflow	 workflow;
	long long		 id;	/* workflow_executions.id; 0: not recorded */
};

/*
 * Record the start of a run (its own statement: call it outside the
 * run's transaction). A run that could not be recorded still runs: the
 * failure is logged and run->id is 0.
 */
void	nurture_run_begin(struct db *, enum nurture_workflow,
	    struct nurture_run *run);
/* Record its end: error NULL for success, else the reason (also written
 * to workflow_errors). items: what it processed. */
void	nurture_run_end(struct db *, struct nurture_run *run, long items,
	    const char *error);
/* An error during the run that did not end it (one e-mail that failed):
 * a workflow_errors row; context is JSON text or NULL. */
void	nurture_run_error(struct db *, const struct nurture_run *run,
	    const char *message, const char *context);

#define NURTURE_ENROLL_MAX	10000	/* leads in one enrolment call */

enum nurture_enroll_status {
	NURTURE_ENROLL_OK,
	NURTURE_ENROLL_BAD_INPUT,	/* a lead or campaign id is no uuid,
					 * none or too many leads */
	NURTURE_ENROLL_NO_CAMPAIGN,	/* no such campaign */
	NURTURE_ENROLL_CLOSED,		/* archived, or it has no steps */
	NURTURE_ENROLL_DB_ERROR
};

struct nurture_enroll_result {
	enum nurture_enroll_status	 status;
	long	enrolled;	/* new enrolments */
	long	already;	/* already in the campaign (any state) */
	long	refused;	/* unknown, another client's, opted out,
				 * without a valid e-mail */
	char	error[300];	/* what was wrong, for the caller's answer */
};

/*
 * Enrol lead_ids[0..n) (uuids) into campaign campaign_id, the first step
 * due at start (an ISO timestamp; NULL: now) plus its delay; by is kept
 * on the enrolment ("portal:<e-mail>", "api:<key>", "cli"). Fills *out.
 * One statement: all of them or none.
 */
void	nurture_enroll(struct db *, const char *campaign_id,
	    const char *const *lead_ids, size_t n, const char *start,
	    const char *by, struct nurture_enroll_result *out);

/* The pause switches. */
enum nurture_switch {
	NURTURE_SWITCH_SCHEDULER,
	NURTURE_SWITCH_SENDER
};

/* Is it paused? 1 yes, 0 no, or a negative db_status. */
int	nurture_paused(struct db *, enum nurture_switch)
	    __attribute__((warn_unused_result));
/* Pause or resume it, with a reason and who. A db_status. */
int	nurture_set_paused(struct db *, enum nurture_switch, bool paused,
	    const char *reason, const char *by)
	    __attribute__((warn_unused_result));

#endif
