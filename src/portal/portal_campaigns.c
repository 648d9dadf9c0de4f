/*
 * portal_campaigns: the campaigns, per client (routes below).
 *
 *   GET  /campaigns               every campaign (client=SLUG: one
 *                                 client's) with its four counts, the
 *                                 counts its leads give beside them
 *                                 (a mismatch marked: the SOP's drift
 *                                 check), steps, stuck leads, last
 *                                 enrolment
 *   GET  /campaigns/export.csv    the same rows as CSV
 *   POST /campaigns/recalculate   admins: the SOP's stats fix
 *                                 (deenroll_recalc) for client_id or,
 *                                 without one, every client; 303 back
 *                                 with the campaigns it changed
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "db_apikey.h"
#include "deenroll.h"
#include "json_put.h"
#include "log.h"
#include "portal_campaigns.h"
#include "portal_csv.h"
#include "validate.h"

static const char *
nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

/* One count: {kept, actual, drift}. */
static json_object *
count_json(long long kept, long long actual)
{
	json_object *c = json_object_new_object();

	json_put_int(c, "kept", kept);
	json_put_int(c, "actual", actual);
	json_object_object_add(c, "drift",
	    json_object_new_boolean(kept != actual));
	return c;
}

static bool
drifted(const struct db_campaign *c)
{
	return c->kept.active != c->actual.active ||
	    c->kept.completed != c->actual.completed ||
	    c->kept.opted_out != c->actual.opted_out ||
	    c->kept.booked != c->actual.booked;
}

json_object *
campaign_json(const struct db_campaign *c)
{
	json_object *o = json_object_new_object();

	json_put_string(o, "id", c->id);
	json_put_string(o, "name", c->name);
	json_put_string(o, "client", c->client);
	json_put_string(o, "description", c->description);
	json_put_string(o, "created", c->created);
	json_put_string(o, "deactivated", c->deactivated);
	json_put_string(o, "last_enrolment", c->last_enrolment);
	json_object_object_add(o, "is_active",
	    json_object_new_boolean(c->is_active));
	json_object_object_add(o, "auto_discovered",
	    json_object_new_boolean(c->auto_discovered));
	json_put_int(o, "steps", c->steps);
	json_put_int(o, "stuck", c->stuck);
	json_object_object_add(o, "active",
	    count_json(c->kept.active, c->actual.active));
	json_object_object_add(o, "completed",
	    count_json(c->kept.completed, c->actual.completed));
	json_object_object_add(o, "opted_out",
	    count_json(c->kept.opted_out, c->actual.opted_out));
	json_object_object_add(o, "booked",
	    count_json(c->kept.booked, c->actual.booked));
	json_object_object_add(o, "drift",
	    json_object_new_boolean(drifted(c)));
	return o;
}

/* The client menu [{slug, selected}], and the chosen client's id as
 * client_id (recalculate's form). */
static int
client_menu(struct visit *v, json_object *data, const char *client)
{
	struct db_client_row	*rows;
	json_object		*clients;
	size_t			 n, i;
	int			 rc;

	if ((rc = db_client_list(&v->w->db, &rows, &n)) != DB_OK)
		return rc;
	clients = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *c = json_object_new_object();

		bool chosen = client != NULL && strcmp(client, rows[i].slug) == 0;

		json_put_string(c, "slug", rows[i].slug);
		json_object_object_add(c, "selected",
		    json_object_new_boolean(chosen));
		json_object_array_add(clients, c);
		if (chosen)
			json_put_string(data, "client_id", rows[i].id);
	}
	free(rows);
	json_object_object_add(data, "clients", clients);
	return DB_OK;
}

/* The message a recalculation left in the query: a number only, so
 * nothing a user typed is echoed. NULL if there is none. */
static json_object *
recalc_flash(struct visit *v)
{
	const char	*s = portal_query(v, "recalculated");
	char		 text[128];
	long		 n;

	if (s == NULL || parse_long(s, 0, 100000000, &n) == -1)
		return NULL;
	if (n == 0)
		snprintf(text, sizeof(text), "Recalculated: every campaign's "
		    "counts were right already.");
	else
		snprintf(text, sizeof(text), "Recalculated: %ld campaign%s "
		    "corrected.", n, n == 1 ? "" : "s");
	return json_object_new_string(text);
}

/* GET /campaigns: 200, 503. */
void
campaigns_page(struct visit *v)
{
	const char		*client = nonempty(portal_query(v, "client"));
	struct db_campaign	*rows;
	struct buf		 b = BUF_INIT;
	json_object		*data, *list, *msg;
	size_t			 n, i, drift = 0;
	int			 rc;

	if ((rc = db_campaigns_list(&v->w->db, client, &rows, &n)) != DB_OK) {
		portal_send_db_error(v, rc);
		return;
	}
	data = portal_page_data(v);
	if ((rc = client_menu(v, data, client)) != DB_OK) {
		free(rows);
		json_object_put(data);
		portal_send_db_error(v, rc);
		return;
	}
	list = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object_array_add(list, campaign_json(&rows[i]));
		drift += drifted(&rows[i]);
	}
	free(rows);
	json_object_object_add(data, "campaigns", list);
	json_object_object_add(data, "has_campaigns",
	    json_object_new_boolean(n > 0));
	json_put_int(data, "drifted", (long long)drift);
	json_put_string(data, "client", client);
	buf_puts(&b, "/campaigns/export.csv");
	if (client != NULL) {
		buf_puts(&b, "?client=");
		buf_put_urlencoded(&b, client);
	}
	json_put_string(data, "export_url", buf_failed(&b) ? NULL :
	    buf_str(&b));
	buf_free(&b);
	if ((msg = recalc_flash(v)) != NULL)
		json_object_object_add(data, "flash", msg);
	portal_send_page(v, 200, PORTAL_TEMPLATE_CAMPAIGNS, data);
	json_object_put(data);
}

static const char export_header[] = "id,client,name,is_active,messages,"
    "active_leads_count,completed_leads_count,opted_out_count,booked_count,"
    "actual_active,actual_completed,actual_opted_out,actual_booked,"
    "stuck_leads,drift,last_enrollment_at\r\n";

/* GET /campaigns/export.csv: 200 text/csv, 503 (before the first byte). */
void
campaigns_export(struct visit *v)
{
	const char		*client = nonempty(portal_query(v, "client"));
	struct db_campaign	*rows;
	struct buf		 out = BUF_INIT;
	size_t			 n, i;
	int			 rc;

	if ((rc = db_campaigns_list(&v->w->db, client, &rows, &n)) != DB_OK) {
		portal_send_db_error(v, rc);
		return;
	}
	if (portal_csv_begin(v, "campaigns.csv", &out, export_header) == 0) {
		for (i = 0; i < n; i++) {
			const struct db_campaign *c = &rows[i];

			csv_cell(&out, c->id, true);
			csv_cell(&out, c->client, false);
			csv_cell(&out, c->name, false);
			csv_cell(&out, c->is_active ? "true" : "false", false);
			portal_csv_int(&out, c->steps, false);
			portal_csv_int(&out, c->kept.active, false);
			portal_csv_int(&out, c->kept.completed, false);
			portal_csv_int(&out, c->kept.opted_out, false);
			portal_csv_int(&out, c->kept.booked, false);
			portal_csv_int(&out, c->actual.active, false);
			portal_csv_int(&out, c->actual.completed, false);
			portal_csv_int(&out, c->actual.opted_out, false);
			portal_csv_int(&out, c->actual.booked, false);
			portal_csv_int(&out, c->stuck, false);
			csv_cell(&out, drifted(c) ? "true" : "false", false);
			csv_cell(&out, c->last_enrolment, false);
			csv_end_row(&out);
		}
		if (portal_csv_flush(v, &out, "campaigns") == -1)
			log_warn("campaigns export: not whole");
	}
	free(rows);
	buf_free(&out);
}

/*
 * POST /campaigns/recalculate: the SOP's stats fix (deenroll_recalc, as
 * `minicrm campaigns recalc`) for client_id or, without one, every client.
 * 303 to /campaigns (filtered by client, the slug the form names) with
 * the number of campaigns corrected; 400 no such client, 503.
 */
void
campaigns_recalculate_post(struct visit *v)
{
	const char	*client_id = nonempty(form_get(&v->form, "client_id"));
	const char	*slug = nonempty(form_get(&v->form, "client"));
	struct buf	 to = BUF_INIT;
	long		 changed;
	int		 rc;

	if (client_id != NULL &&
	    (rc = deenroll_client_exists(&v->w->db, client_id)) <= 0) {
		if (rc < 0)
			portal_send_db_error(v, rc);
		else
			portal_send_error(v, 400, "There is no such client.");
		return;
	}
	if ((rc = deenroll_recalc(&v->w->db, client_id, &changed)) != DB_OK) {
		log_error("recalculate: %s", v->w->db.error);
		portal_send_db_error(v, rc);
		return;
	}
	log_info("campaigns: %s recalculated %s: %ld changed", v->who.email,
	    client_id != NULL ? client_id : "every client", changed);
	buf_printf(&to, "/campaigns?recalculated=%ld", changed);
	if (client_id != NULL && slug != NULL) {
		buf_puts(&to, "&client=");
		buf_put_urlencoded(&to, slug);
	}
	portal_redirect(v, buf_failed(&to) ? "/campaigns" : buf_str(&to));
	buf_free(&to);
}
