/*
 * portal_nurture_campaigns: the nurture campaigns (routes below).
 *
 *   GET  /nurture/campaigns             every campaign (client=SLUG,
 *                                       status=active|paused|archived
 *                                       narrow it) with its steps,
 *                                       enrolments active and completed,
 *                                       e-mails sent, open and click rates
 *                                       over 30 days (campaign_analytics)
 *   GET  /nurture/campaigns/export.csv  the same rows as CSV
 *   POST /nurture/campaigns             admins: a new campaign (client,
 *                                       name, from_email, from_name,
 *                                       description); 303 to it
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "db_apikey.h"
#include "db_nurture_campaigns.h"
#include "json_put.h"
#include "log.h"
#include "nurture_campaigns.h"
#include "portal_csv.h"
#include "portal_nurture_campaigns.h"

static const char *const statuses[] = { "active", "paused", "archived" };
#define NSTATUSES	(sizeof(statuses) / sizeof(statuses[0]))

static const char *
nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

/* The filters of the list; false (400 sent) if the status is not one. */
static bool
filters_read(struct visit *v, const char **client, const char **status)
{
	size_t i;

	*client = nonempty(portal_query(v, "client"));
	*status = nonempty(portal_query(v, "status"));
	if (*status == NULL)
		return true;
	for (i = 0; i < NSTATUSES; i++)
		if (strcmp(*status, statuses[i]) == 0)
			return true;
	portal_send_error(v, 400, "The status must be active, paused or "
	    "archived.");
	return false;
}

/* The list's filters and its rows (the caller frees them): true, or
 * false having answered 400 (a bad status) or 503/500. */
static bool
list_read(struct visit *v, const char **client, const char **status,
    struct db_nc **rows, size_t *n)
{
	int rc;

	if (!filters_read(v, client, status))
		return false;
	if ((rc = db_nc_list(&v->w->db, *client, *status, rows, n)) !=
	    DB_OK) {
		portal_send_db_error(v, rc);
		return false;
	}
	return true;
}

static json_object *
campaign_row(const struct db_nc *c)
{
	json_object *o = json_object_new_object();

	json_put_string(o, "id", c->id);
	json_put_string(o, "client", c->client);
	json_put_string(o, "name", c->name);
	json_put_string(o, "status", c->status);
	json_put_int(o, "steps", c->steps);
	json_put_int(o, "active", c->active);
	json_put_int(o, "completed", c->completed);
	json_put_int(o, "sends", c->sends);
	json_put_string(o, "open_rate", c->open_rate);
	json_put_string(o, "click_rate", c->click_rate);
	json_put_string(o, "created", c->created);
	return o;
}

/* The menus: clients [{slug, selected}] (selected: the filter's, or the
 * create form's), statuses [{name, selected}]. */
static int
menus(struct visit *v, json_object *data, const char *client,
    const char *status, const char *create_client)
{
	struct db_client_row	*rows;
	json_object		*clients, *choices, *list;
	size_t			 n, i;
	int			 rc;

	if ((rc = db_client_list(&v->w->db, &rows, &n)) != DB_OK)
		return rc;
	clients = json_object_new_array();
	choices = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *c = json_object_new_object();

		json_put_string(c, "slug", rows[i].slug);
		json_object_object_add(c, "selected", json_object_new_boolean(
		    client != NULL && strcmp(client, rows[i].slug) == 0));
		json_object_array_add(clients, c);
		c = json_object_new_object();
		json_put_string(c, "slug", rows[i].slug);
		json_object_object_add(c, "selected", json_object_new_boolean(
		    create_client != NULL &&
		    strcmp(create_client, rows[i].slug) == 0));
		json_object_array_add(choices, c);
	}
	free(rows);
	json_object_object_add(data, "clients", clients);
	json_object_object_add(data, "create_clients", choices);
	list = json_object_new_array();
	for (i = 0; i < NSTATUSES; i++) {
		json_object *s = json_object_new_object();

		json_put_string(s, "name", statuses[i]);
		json_object_object_add(s, "selected", json_object_new_boolean(
		    status != NULL && strcmp(status, statuses[i]) == 0));
		json_object_array_add(list, s);
	}
	json_object_object_add(data, "statuses", list);
	return DB_OK;
}

/* The list with status; extra (the create form's values and errors, kept
 * by the caller) copied into the page's data. */
static void
list_render(struct visit *v, int status_code, json_object *extra)
{
	const char	*client, *status, *create_client = NULL;
	struct db_nc	*rows;
	struct buf	 url = BUF_INIT;
	json_object	*data, *list, *form;
	size_t		 n, i;
	int		 rc;

	if (!list_read(v, &client, &status, &rows, &n))
		return;
	if (extra != NULL && (form = json_object_object_get(extra,
	    "create")) != NULL)
		create_client = json_object_get_string(
		    json_object_object_get(form, "client"));
	data = portal_page_data(v);
	if ((rc = menus(v, data, client, status, create_client)) != DB_OK) {
		free(rows);
		json_object_put(data);
		portal_send_db_error(v, rc);
		return;
	}
	list = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(list, campaign_row(&rows[i]));
	free(rows);
	json_object_object_add(data, "campaigns", list);
	json_object_object_add(data, "has_campaigns",
	    json_object_new_boolean(n > 0));
	json_put_string(data, "client", client);
	json_put_string(data, "status", status);
	buf_puts(&url, "/nurture/campaigns/export.csv?");
	if (client != NULL) {
		buf_puts(&url, "client=");
		buf_put_urlencoded(&url, client);
		buf_putc(&url, '&');
	}
	if (status != NULL)
		buf_printf(&url, "status=%s", status);
	json_put_string(data, "export_url", buf_failed(&url) ? NULL :
	    buf_str(&url));
	buf_free(&url);
	portal_data_merge(data, extra, NULL);
	portal_send_page(v, status_code, PORTAL_TEMPLATE_NURTURE_CAMPAIGNS,
	    data);
	json_object_put(data);
}

/* GET /nurture/campaigns: 200, 400 (a bad status), 503. */
void
nurture_campaigns_page(struct visit *v)
{
	list_render(v, 200, NULL);
}

static const char export_header[] = "id,client,name,status,steps,"
    "active_enrollments,completed_enrollments,emails_sent,open_rate_30d,"
    "click_rate_30d,from_email,from_name,paused_at,paused_by,created_at\r\n";

/* GET /nurture/campaigns/export.csv: 200 text/csv, 400, 503 (before the
 * first byte). */
void
nurture_campaigns_export(struct visit *v)
{
	const char	*client, *status;
	struct db_nc	*rows;
	struct buf	 out = BUF_INIT;
	size_t		 n, i;

	if (!list_read(v, &client, &status, &rows, &n))
		return;
	if (portal_csv_begin(v, "nurture-campaigns.csv", &out,
	    export_header) == 0) {
		for (i = 0; i < n; i++) {
			const struct db_nc *c = &rows[i];

			csv_cell(&out, c->id, true);
			csv_cell(&out, c->client, false);
			csv_cell(&out, c->name, false);
			csv_cell(&out, c->status, false);
			portal_csv_int(&out, c->steps, false);
			portal_csv_int(&out, c->active, false);
			portal_csv_int(&out, c->completed, false);
			portal_csv_int(&out, c->sends, false);
			csv_cell(&out, c->open_rate, false);
			csv_cell(&out, c->click_rate, false);
			csv_cell(&out, c->from_email, false);
			csv_cell(&out, c->from_name, false);
			csv_cell(&out, c->paused_at, false);
			csv_cell(&out, c->paused_by, false);
			csv_cell(&out, c->created, false);
			csv_end_row(&out);
		}
		if (portal_csv_flush(v, &out, "nurture campaigns") == -1)
			log_warn("nurture campaigns export: not whole");
	}
	free(rows);
	buf_free(&out);
}

/* The list again (status), the create form keeping what was typed, with
 * a message beside each bad field. */
static void
create_refused(struct visit *v, int status, const struct nurture_field_error
    *errors, size_t n)
{
	static const char *const fields[] = { "client", "name", "from_email",
	    "from_name", "description" };
	json_object	*extra = json_object_new_object();
	json_object	*form = json_object_new_object();
	json_object	*errs = json_object_new_object();
	size_t		 i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		json_put_string(form, fields[i], form_get(&v->form, fields[i]));
	for (i = 0; i < n; i++)
		json_put_string(errs, errors[i].field, errors[i].message);
	json_object_object_add(form, "errors", errs);
	json_object_object_add(extra, "create", form);
	json_object_object_add(extra, "create_open",
	    json_object_new_boolean(true));
	list_render(v, status, extra);
	json_object_put(extra);
}

/*
 * POST /nurture/campaigns: 303 to the new campaign; 400 a bad field (the
 * list again, the form kept, the message beside the field); 409 the
 * client has a campaign of that name; 503.
 */
void
nurture_campaigns_create(struct visit *v)
{
	const char			*client = form_get(&v->form, "client");
	const char			*name = form_get(&v->form, "name");
	const char			*from_email = form_get(&v->form,
					    "from_email");
	const char			*from_name = form_get(&v->form,
					    "from_name");
	const char			*description = form_get(&v->form,
					    "description");
	struct nurture_campaign_check	 check;
	struct nurture_field_error	 one;
	char				 id[37], to[64];
	int				 rc;

	if (nurture_campaign_check(client, name, from_email, from_name,
	    description, &check) > 0) {
		create_refused(v, 400, check.errors, check.nerrors);
		return;
	}
	rc = db_nc_create(&v->w->db, client, name, from_email,
	    from_name != NULL ? from_name : "",
	    description != NULL ? description : "", id);
	memset(&one, 0, sizeof(one));
	switch (rc) {
	case 1:
		log_info("nurture campaign %s created by %s", id,
		    v->who.email);
		snprintf(to, sizeof(to), "/nurture/campaigns/%s", id);
		portal_redirect(v, to);
		return;
	case 0:
		nurture_field_error_set(&one, "client", "There is no such "
		    "client.");
		create_refused(v, 400, &one, 1);
		return;
	case DB_CONFLICT:
		nurture_field_error_set(&one, "name", "The client has a "
		    "campaign of that name already.");
		create_refused(v, 409, &one, 1);
		return;
	case DB_BAD_INPUT:
		nurture_field_error_set(&one, "from_email", "The database "
		    "refused a value: %s", v->w->db.error);
		create_refused(v, 400, &one, 1);
		return;
	default:
		log_error("nurture campaign create: %s", v->w->db.error);
		portal_send_db_error(v, rc);
	}
}
