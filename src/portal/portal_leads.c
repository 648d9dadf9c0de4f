/*
 * portal_leads: the leads search (GET /leads); portal_leads.h names the
 * files of the leads area's other pages.
 *
 * The search matches q anywhere in a lead's name, e-mail, phone (also
 * without punctuation) or the caller's lead id, through a trigram index;
 * client and status narrow it; the list is sorted by one of its indexed
 * orders and paged by keyset (after=the last lead shown), never OFFSET.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_apikey.h"
#include "db_leads.h"
#include "json_put.h"
#include "lead_filters.h"
#include "portal_leads.h"
#include "portal_nurture_campaigns.h"

#define SEARCH_MAX	200

/* The store's order for each of the search's sorts. */
static const enum db_leads_sort leads_sort[LEAD_SORT__MAX] = {
	[LEAD_SORT_CREATED] = DB_LEADS_CREATED,
	[LEAD_SORT_NAME] = DB_LEADS_NAME,
	[LEAD_SORT_EMAIL] = DB_LEADS_EMAIL,
};

/* What the search asks for, as read from the query string. */
struct search {
	const char	*q, *client, *status, *after;
	bool		 with_test;	/* test=include: test leads too */
	enum lead_sort	 sort;
	bool		 desc;
	char		 like[2 * SEARCH_MAX + 3];
	char		 phone[SEARCH_MAX + 3];
	const char	*second;	/* phone, or like again */
};

static const char *
nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

/* Read and check; field errors go into errors. */
static void
search_read(struct visit *v, struct search *s, json_object *errors)
{
	const char *test;

	memset(s, 0, sizeof(*s));
	s->q = nonempty(portal_query(v, "q"));
	s->client = nonempty(portal_query(v, "client"));
	s->status = nonempty(portal_query(v, "status"));
	s->after = nonempty(portal_query(v, "after"));
	if (s->q != NULL && (strlen(s->q) > SEARCH_MAX ||
	    lead_like_pattern(s->q, s->like, sizeof(s->like)) == -1)) {
		json_object_object_add(errors, "q", json_object_new_string(
		    "Search for at most 200 characters."));
		s->q = NULL;
	}
	/* Not phone-like: the same pattern again (a NULL would keep the
	 * planner from using the index for the OR). */
	s->second = s->like;
	if (s->q != NULL && lead_phone_pattern(s->q, s->phone,
	    sizeof(s->phone)) == 0)
		s->second = s->phone;
	/* Test leads (sql 0018) are left out unless asked for. */
	test = nonempty(portal_query(v, "test"));
	s->with_test = test != NULL && strcmp(test, "include") == 0;
	if (test != NULL && !s->with_test)
		json_object_object_add(errors, "test", json_object_new_string(
		    "Tick the box to include test leads, or leave it."));
	if (s->status != NULL && !lead_status_valid(s->status)) {
		json_object_object_add(errors, "status",
		    json_object_new_string("Not a lead status."));
		s->status = NULL;
	}
	if (lead_sort_parse(portal_query(v, "sort"), &s->sort) == -1) {
		json_object_object_add(errors, "sort",
		    json_object_new_string("Sort by name, email or created."));
		s->sort = LEAD_SORT_CREATED;
	}
	if (lead_dir_parse(portal_query(v, "dir"), s->sort, &s->desc) == -1)
		(void)lead_dir_parse(NULL, s->sort, &s->desc);
	if (s->after != NULL && !lead_uuid_valid(s->after))
		s->after = NULL;
}

/* The query string of the search with another sort, direction or page. */
static char *
search_url(const struct search *s, enum lead_sort sort, bool desc,
    const char *after)
{
	struct buf	 b = BUF_INIT;
	char		*url;

	lead_qs_add(&b, "q", s->q);
	lead_qs_add(&b, "client", s->client);
	lead_qs_add(&b, "status", s->status);
	lead_qs_add(&b, "test", s->with_test ? "include" : NULL);
	lead_qs_add(&b, "sort", lead_sort_name(sort));
	lead_qs_add(&b, "dir", desc ? "desc" : "asc");
	lead_qs_add(&b, "after", after);
	url = strdup(buf_failed(&b) ? "" : buf_str(&b));
	buf_free(&b);
	return url;
}

static void
add_url(json_object *data, const char *key, char *qs)
{
	char line[8];

	snprintf(line, sizeof(line), "/leads");
	if (qs != NULL) {
		struct buf b = BUF_INIT;

		buf_printf(&b, "%s?%s", line, qs);
		json_object_object_add(data, key,
		    json_object_new_string(buf_str(&b)));
		buf_free(&b);
	}
	free(qs);
}

/* The column headers' links: each keeps the search and flips its order. */
static void
sort_links(json_object *data, const struct search *s)
{
	int i;

	for (i = 0; i < LEAD_SORT__MAX; i++) {
		enum lead_sort	 sort = (enum lead_sort)i;
		bool		 desc;
		char		 key[32];

		if (sort == s->sort)
			desc = !s->desc;
		else
			(void)lead_dir_parse(NULL, sort, &desc);
		snprintf(key, sizeof(key), "sort_%s_url", lead_sort_name(sort));
		add_url(data, key, search_url(s, sort, desc, NULL));
		if (sort == s->sort) {
			snprintf(key, sizeof(key), "sorted_%s",
			    lead_sort_name(sort));
			json_object_object_add(data, key, json_object_new_string(
			    s->desc ? "descending" : "ascending"));
		}
	}
}

static json_object *
lead_row(const struct db_lead_row *l)
{
	json_object *r = json_object_new_object();

	json_put_string(r, "id", l->id);
	json_put_string(r, "name", l->name);
	json_put_string(r, "external_id", l->external_id);
	json_put_string(r, "email", l->email);
	json_put_string(r, "phone", l->phone);
	json_put_string(r, "status", l->status);
	json_put_string(r, "client", l->client);
	json_put_string(r, "created", l->created);
	json_put_string(r, "last_activity", l->last_activity);
	json_object_object_add(r, "is_test",
	    json_object_new_boolean(l->is_test));
	return r;
}

/* The menus: clients [{slug, selected}] and statuses [{name, selected}]. */
static int
menus(struct visit *v, json_object *data, const struct search *s)
{
	struct db_client_row	*rows;
	json_object		*clients, *statuses;
	size_t			 n, i;
	int			 rc;

	if ((rc = db_client_list(&v->w->db, &rows, &n)) != DB_OK)
		return rc;
	clients = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *c = json_object_new_object();

		json_object_object_add(c, "slug",
		    json_object_new_string(rows[i].slug));
		json_object_object_add(c, "selected", json_object_new_boolean(
		    s->client != NULL && strcmp(s->client, rows[i].slug) == 0));
		json_object_array_add(clients, c);
	}
	free(rows);
	json_object_object_add(data, "clients", clients);
	statuses = json_object_new_array();
	for (i = 0; lead_statuses[i] != NULL; i++) {
		json_object *st = json_object_new_object();

		json_object_object_add(st, "name",
		    json_object_new_string(lead_statuses[i]));
		json_object_object_add(st, "selected", json_object_new_boolean(
		    s->status != NULL && strcmp(s->status,
		    lead_statuses[i]) == 0));
		json_object_array_add(statuses, st);
	}
	json_object_object_add(data, "statuses", statuses);
	return DB_OK;
}

/* GET /leads: 200, 400 (a bad field, shown beside it), 503. */
void
leads_page(struct visit *v)
{
	struct view_filters	 vf;
	struct search		 s;
	struct db_leads_query	 q;
	struct db_lead_row	*leads = NULL;
	json_object		*data = portal_page_data(v), *errors, *rows;
	size_t			 n, i, shown;
	int			 rc;

	errors = json_object_new_object();
	search_read(v, &s, errors);
	/* Only the time zone of the filters: the times shown are in it. */
	(void)view_filters_read(v, &vf, false);
	if ((rc = view_begin(v, &vf)) != DB_OK)
		goto db_error;
	memset(&q, 0, sizeof(q));
	q.like = s.q != NULL ? s.like : NULL;
	q.second = s.q != NULL ? s.second : NULL;
	q.client = s.client;
	q.status = s.status;
	q.after = s.after;
	q.sort = leads_sort[s.sort];
	q.desc = s.desc;
	q.rows = VIEW_PAGE_ROWS + 1;
	q.with_test = s.with_test;
	if ((rc = db_leads_search(&v->w->db, &q, &leads, &n)) != DB_OK ||
	    (rc = menus(v, data, &s)) != DB_OK ||
	    (rc = leads_nurture_add(v, data, s.client)) != DB_OK) {
		db_rollback(&v->w->db);
		goto db_error;
	}
	db_timeline_end(&v->w->db);
	shown = n > VIEW_PAGE_ROWS ? VIEW_PAGE_ROWS : n;
	rows = json_object_new_array();
	for (i = 0; i < shown; i++)
		json_object_array_add(rows, lead_row(&leads[i]));
	json_object_object_add(data, "leads", rows);
	json_object_object_add(data, "has_leads",
	    json_object_new_boolean(shown > 0));
	if (n > VIEW_PAGE_ROWS)
		add_url(data, "next_url", search_url(&s, s.sort, s.desc,
		    leads[shown - 1].id));
	if (s.after != NULL)
		add_url(data, "first_url", search_url(&s, s.sort, s.desc, NULL));
	sort_links(data, &s);
	json_object_object_add(data, "q",
	    json_object_new_string(nonempty(portal_query(v, "q")) ?
	    portal_query(v, "q") : ""));
	json_object_object_add(data, "tz", json_object_new_string(vf.tz));
	json_object_object_add(data, "with_test",
	    json_object_new_boolean(s.with_test));
	json_object_object_add(data, "errors", json_object_get(errors));
	portal_send_page(v, json_object_object_length(errors) > 0 ? 400 : 200,
	    PORTAL_TEMPLATE_LEADS, data);
	goto out;
db_error:
	portal_send_db_error(v, rc);
out:
	free(leads);
	json_object_put(errors);
	json_object_put(data);
	view_filters_free(&vf);
}
