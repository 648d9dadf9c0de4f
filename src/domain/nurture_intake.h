/*
 * nurture_intake: enrolment from outside — the body of POST
 * /api/internal/nurture/enroll (n8n) checked field by field, the leads
 * named by id or by their external ids resolved in one client, and the
 * enrolment (nurture_enroll) recorded as a run of the runbook's
 * "Lead Nurture - Enrollment" workflow. `minicrm nurture enroll` uses the
 * same run.
 */
#ifndef MINICRM_NURTURE_INTAKE_H
#define MINICRM_NURTURE_INTAKE_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "db.h"

/* A checked request: every string is well formed. */
struct nurture_enroll_request {
	char	  campaign_id[37];
	bool	  external;	/* ids are external ids, not lead ids */
	char	**ids;		/* n of them */
	size_t	  n;
	char	  start_at[65];	/* RFC 3339, or "" for now */
};

/*
 * Parse and check body[0..len) (body[len] must be '\0'): {"campaign_id":
 * uuid, "lead_ids": [uuid, …] or "external_ids": [text, …] (1 to 10,000),
 * "start_at": RFC 3339 (optional)}. Returns NULL with *req filled, or the
 * 400 answer naming every problem ({"error", "errors": [{field,
 * message}]}), which the caller frees (json_object_put). Either way the
 * caller frees *req with nurture_enroll_request_free.
 */
json_object	*nurture_enroll_request_parse(const char *body, size_t len,
		    struct nurture_enroll_request *req);

void	nurture_enroll_request_free(struct nurture_enroll_request *);

enum nurture_intake_status {
	NURTURE_INTAKE_OK,
	NURTURE_INTAKE_NO_CAMPAIGN,	/* no such campaign */
	NURTURE_INTAKE_OTHER_CLIENT,	/* the campaign is another client's */
	NURTURE_INTAKE_CLOSED,		/* archived, or no steps */
	NURTURE_INTAKE_BAD_INPUT,	/* what nurture_enroll refused */
	NURTURE_INTAKE_DB_ERROR
};

struct nurture_intake_result {
	enum nurture_intake_status	 status;
	long	enrolled;	/* new enrolments */
	long	already;	/* already in the campaign */
	long	refused;	/* unknown (or unresolved external ids),
				 * another client's, opted out, no e-mail */
	char	error[300];
};

/*
 * Enrol req's leads into its campaign. client_id: the only client the
 * caller may act for ("" or NULL: any); external ids are resolved among
 * the leads of the campaign's client. by: who, kept on the enrolments.
 * One run of "Lead Nurture - Enrollment" (items: enrolled). Fills *out;
 * returns its status.
 */
enum nurture_intake_status nurture_intake_enroll(struct db *db,
	    const struct nurture_enroll_request *req, const char *client_id,
	    const char *by, struct nurture_intake_result *out);

#endif
