/*
 * portal_nurture_switches: the runbook's "pause sender workflow" and the
 * scheduler's switch (nurture_control, through nurture_set_paused), shown
 * on the dashboard with who changed them, when and why (routes below).
 * The sender also pauses itself when SendGrid refuses the API key; the
 * dashboard shows that reason at the top of the page.
 *
 *   POST /nurture/sender/pause      admins: pause, with a reason (reason)
 *   POST /nurture/sender/resume     admins: resume (reason optional)
 *   POST /nurture/scheduler/pause   the same for the scheduler
 *   POST /nurture/scheduler/resume
 *
 * Each answers 303 to /nurture with the outcome, 400 (a pause without a
 * reason, a reason over 500 characters: nothing changed), 503.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_put.h"
#include "log.h"
#include "nurture.h"
#include "portal_nurture.h"
#include "validate.h"

#define REASON_MAX	500

int
nurture_switches_add(struct visit *v, json_object *data)
{
	struct db_nurture_switch	*rows;
	json_object			*list;
	size_t				 n, i;
	int				 rc;

	if ((rc = db_nurture_pages_controls(&v->w->db, &rows, &n)) != DB_OK)
		return rc;
	list = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *s = json_object_new_object();

		json_put_string(s, "name", rows[i].name);
		json_object_object_add(s, "paused",
		    json_object_new_boolean(rows[i].paused));
		json_put_string(s, "reason", rows[i].reason[0] ?
		    rows[i].reason : NULL);
		json_put_string(s, "changed_by", rows[i].changed_by[0] ?
		    rows[i].changed_by : NULL);
		json_put_string(s, "changed_at", rows[i].changed_at);
		/* Not from the portal: the job itself (a revoked key). */
		json_object_object_add(s, "by_itself", json_object_new_boolean(
		    rows[i].paused && rows[i].changed_by[0] != '\0' &&
		    strncmp(rows[i].changed_by, "portal:", 7) != 0));
		if (rows[i].paused) {
			char key[32];

			snprintf(key, sizeof(key), "%s_paused", rows[i].name);
			json_object_object_add(data, key, json_object_get(s));
		}
		json_object_array_add(list, s);
	}
	free(rows);
	json_object_object_add(data, "switches", list);
	return DB_OK;
}

/* Set switch s from the form; 303 back, or the 400 or 503. */
static void
switch_post(struct visit *v, enum nurture_switch s, bool pause)
{
	const char	*name = s == NURTURE_SWITCH_SENDER ? "sender" :
			    "scheduler";
	const char	*reason = form_get(&v->form, "reason");
	char		 by[AUTH_EMAIL_MAX + 16], to[64];
	int		 rc;

	if (reason == NULL)
		reason = "";
	if (pause && *reason == '\0') {
		portal_send_error(v, 400, "Say why the switch is paused: the "
		    "reason is shown to everyone on the dashboard.");
		return;
	}
	if (utf8_length(reason, strlen(reason)) > REASON_MAX) {
		portal_send_error(v, 400, "The reason is at most 500 "
		    "characters.");
		return;
	}
	snprintf(by, sizeof(by), "portal:%s", v->who.email);
	if ((rc = nurture_set_paused(&v->w->db, s, pause, reason, by)) !=
	    DB_OK) {
		log_error("nurture %s %s: %s", name, pause ? "pause" : "resume",
		    v->w->db.error);
		portal_send_db_error(v, rc);
		return;
	}
	log_info("nurture: %s %s the %s", v->who.email,
	    pause ? "paused" : "resumed", name);
	snprintf(to, sizeof(to), "/nurture?done=%s-%s#switches", name,
	    pause ? "paused" : "resumed");
	portal_redirect(v, to);
}

void
nurture_sender_pause(struct visit *v)
{
	switch_post(v, NURTURE_SWITCH_SENDER, true);
}

void
nurture_sender_resume(struct visit *v)
{
	switch_post(v, NURTURE_SWITCH_SENDER, false);
}

void
nurture_scheduler_pause(struct visit *v)
{
	switch_post(v, NURTURE_SWITCH_SCHEDULER, true);
}

void
nurture_scheduler_resume(struct visit *v)
{
	switch_post(v, NURTURE_SWITCH_SCHEDULER, false);
}
