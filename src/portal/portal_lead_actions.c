/*
 * portal_lead_actions: the actions on a lead — add a note, change its
 * status, mark it opted out, enrol it in a campaign or move it to
 * another, remove it from its campaign. Admins only (admin.c has checked
 * the session, the CSRF token, the role and that the lead's id is a
 * uuid). Each writes the change and its event (NOTE_ADDED,
 * STATUS_CHANGED, OPTED_OUT, CAMPAIGN_ENROLLED, CAMPAIGN_DE_ENROLLED, with
 * the acting admin in the metadata) in one statement — a campaign event
 * moves the lead through the log's trigger — so the timeline is also the
 * audit trail; the form's nonce is the event's idempotency key, so a
 * form sent twice stores one event. Success is 303 back to the lead; a field that fails
 * validation is the lead's page again, 400, with the input kept and the
 * message beside the field.
 */
#include <stdio.h>
#include <string.h>

#include "db_lead_actions.h"
#include "lead_filters.h"
#include "log.h"
#include "portal_leads.h"
#include "validate.h"

#include <sodium.h>

#define NONCE_MIN	16
#define NONCE_MAX	64

/* The event's idempotency key: "portal:" and the form's nonce, or a fresh
 * one if the form has none (a client that is not our page). */
static void
idempotency_key(struct visit *v, char out[NONCE_MAX + 8])
{
	const char	*nonce = form_get(&v->form, "nonce");
	size_t		 n = nonce ? strlen(nonce) : 0, i;
	unsigned char	 raw[24];
	char		 fresh[sodium_base64_ENCODED_LEN(24,
			    sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

	for (i = 0; i < n; i++)
		if (!((nonce[i] >= 'A' && nonce[i] <= 'Z') ||
		    (nonce[i] >= 'a' && nonce[i] <= 'z') ||
		    (nonce[i] >= '0' && nonce[i] <= '9') ||
		    nonce[i] == '-' || nonce[i] == '_'))
			break;
	if (n < NONCE_MIN || n > NONCE_MAX || i < n) {
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2base64(fresh, sizeof(fresh), raw, sizeof(raw),
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		nonce = fresh;
	}
	snprintf(out, NONCE_MAX + 8, "portal:%s", nonce);
}

/* The lead's page again with a message beside field (key) and what was
 * typed (input_key = input, if any). */
static void
invalid(struct visit *v, const char *key, const char *message,
    const char *input_key, const char *input)
{
	json_object *extra = json_object_new_object();

	json_object_object_add(extra, key, json_object_new_string(message));
	if (input_key != NULL)
		json_object_object_add(extra, input_key,
		    json_object_new_string(input ? input : ""));
	lead_page(v, 400, extra);
	json_object_put(extra);
}

static void
back_to_lead(struct visit *v)
{
	char location[PORTAL_ARG_MAX + 16];

	snprintf(location, sizeof(location), "/leads/%s", v->arg[0]);
	portal_redirect(v, location);
}

/* POST /leads/{uuid}/note: 303, 400 (empty or too long), 404, 503. */
void
lead_note_post(struct visit *v)
{
	const char	*message = form_get(&v->form, "message");
	struct db_actor	 who = { v->who.email, v->who.id };
	char		 key[NONCE_MAX + 8];
	size_t		 len, start;
	int		 rc;

	len = message ? strlen(message) : 0;
	for (start = 0; start < len && strchr(" \t\r\n", message[start]);
	    start++)
		;
	if (start == len) {
		invalid(v, "note_error", "Write the note first.",
		    "note_message", message);
		return;
	}
	if (utf8_length(message, len) > LEAD_NOTE_MAX) {
		invalid(v, "note_error", "A note is at most 4000 characters.",
		    "note_message", message);
		return;
	}
	idempotency_key(v, key);
	if ((rc = db_lead_note_add(&v->w->db, v->arg[0], key, message,
	    &who)) < 0) {
		log_error("note on lead %s: %s", v->arg[0], v->w->db.error);
		portal_send_db_error(v, rc);
		return;
	}
	/* 0: no such lead, or the same form sent again — the page tells
	 * which. */
	back_to_lead(v);
}

/* Set the status (and log event_type); 303, 404 or a db error page. */
static void
set_status(struct visit *v, const char *status, const char *event_type)
{
	struct db_actor	 who = { v->who.email, v->who.id };
	char		 key[NONCE_MAX + 8];
	int		 rc;

	idempotency_key(v, key);
	if ((rc = db_lead_status_set(&v->w->db, v->arg[0], key, status,
	    event_type, &who)) < 0) {
		log_error("status of lead %s: %s", v->arg[0], v->w->db.error);
		portal_send_db_error(v, rc);
		return;
	}
	if (rc == 0)
		portal_send_error(v, 404, "There is no such lead.");
	else
		back_to_lead(v);
}

/* POST /leads/{uuid}/status: 303, 400 (unknown status), 404, 503. */
void
lead_status_post(struct visit *v)
{
	const char *status = form_get(&v->form, "status");

	if (!lead_status_valid(status)) {
		invalid(v, "status_error", "Choose one of the statuses.",
		    NULL, NULL);
		return;
	}
	set_status(v, status, strcmp(status, LEAD_STATUS_OPTED_OUT) == 0 ?
	    "OPTED_OUT" : "STATUS_CHANGED");
}

/* POST /leads/{uuid}/opt-out: 303, 400 (not confirmed), 404, 503. */
void
lead_opt_out_post(struct visit *v)
{
	const char *confirm = form_get(&v->form, "confirm");

	if (confirm == NULL || strcmp(confirm, "yes") != 0) {
		invalid(v, "opt_out_error", "Tick the box to confirm.", NULL,
		    NULL);
		return;
	}
	set_status(v, LEAD_STATUS_OPTED_OUT, "OPTED_OUT");
}

/* The lead's page again, status, with message beside the campaign form. */
static void
not_moved(struct visit *v, int status, const char *message)
{
	json_object *extra = json_object_new_object();

	json_object_object_add(extra, "campaign_error",
	    json_object_new_string(message));
	lead_page(v, status, extra);
	json_object_put(extra);
}

/* What an enrolment or removal that did not move the lead answers. */
static void
move_answer(struct visit *v, int rc)
{
	switch (rc) {
	case DB_MOVE_STORED:
	case DB_MOVE_REPLAYED:	/* the page shows the first one's move */
		back_to_lead(v);
		break;
	case DB_MOVE_NO_LEAD:
		portal_send_error(v, 404, "There is no such lead.");
		break;
	case DB_MOVE_NO_CAMPAIGN:
		not_moved(v, 400, "Choose one of the client's campaigns.");
		break;
	case DB_MOVE_CAMPAIGN_INACTIVE:
		not_moved(v, 409, "That campaign is not active. Nothing "
		    "moved.");
		break;
	case DB_MOVE_OPTED_OUT:
		not_moved(v, 409, "This lead has opted out: it cannot be "
		    "enrolled in a campaign. Nothing moved.");
		break;
	case DB_MOVE_ALREADY_ON:
		not_moved(v, 409, "The lead is on that campaign already. "
		    "Nothing moved.");
		break;
	case DB_MOVE_NOT_ON:
		not_moved(v, 409, "The lead is not on a campaign. Nothing "
		    "moved.");
		break;
	default:
		portal_send_db_error(v, rc);
	}
}

/*
 * POST /leads/{uuid}/campaign: enrol the lead in campaign_id, or move it
 * there. 303 back to the lead (also for the same form sent again); 400 no
 * campaign of its client chosen; 404; 409 nothing moved (opted out, on it
 * already, campaign inactive), with the reason beside the form; 503.
 */
void
lead_campaign_post(struct visit *v)
{
	const char	*campaign = form_get(&v->form, "campaign_id");
	struct db_actor	 who = { v->who.email, v->who.id };
	char		 key[NONCE_MAX + 8];
	int		 rc;

	if (campaign == NULL || !lead_uuid_valid(campaign)) {
		not_moved(v, 400, "Choose one of the client's campaigns.");
		return;
	}
	idempotency_key(v, key);
	if ((rc = db_lead_campaign_enrol(&v->w->db, v->arg[0], key, campaign,
	    &who)) < 0)
		log_error("enrol lead %s: %s", v->arg[0], v->w->db.error);
	else if (rc == DB_MOVE_STORED)
		log_info("lead %s enrolled in campaign %s by %s", v->arg[0],
		    campaign, v->who.email);
	move_answer(v, rc);
}

/*
 * POST /leads/{uuid}/campaign/remove: take the lead off its campaign.
 * 303 back to the lead; 404; 409 it is on none; 503.
 */
void
lead_campaign_remove_post(struct visit *v)
{
	struct db_actor	 who = { v->who.email, v->who.id };
	char		 key[NONCE_MAX + 8];
	int		 rc;

	idempotency_key(v, key);
	if ((rc = db_lead_campaign_remove(&v->w->db, v->arg[0], key,
	    &who)) < 0)
		log_error("remove lead %s: %s", v->arg[0], v->w->db.error);
	else if (rc == DB_MOVE_STORED)
		log_info("lead %s removed from its campaign by %s", v->arg[0],
		    v->who.email);
	move_answer(v, rc);
}
