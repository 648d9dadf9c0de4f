/*
 * portal_keys: the API keys page: list with last use, create (the key is
 * shown once, on the answer to the POST, and never again), revoke after a
 * confirmation page.
 *
 *   GET  /keys               the list (empty state) and, for admins, the
 *                            form to make one: 200; 503/500 without a db
 *   POST /keys               name, client, test ("yes": a test key, whose
 *                            events count nowhere; sql 0018): 200 with the
 *                            new key; 400 the form again with the message
 *                            beside the field
 *   GET  /keys/{id}/revoke   "are you sure": 200; 404 for an unknown id
 *   POST /keys/{id}/revoke   303 /keys (also if it was revoked already);
 *                            404 for an unknown id
 *
 * The API caches a verified key for 2 s (apikey.h), so a revoked key stops
 * working within that time. Who made and who revoked a key is kept in
 * api_keys.created_by / revoked_by (0006) and logged (never the key).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "apikey.h"
#include "db_apikey.h"
#include "json_put.h"
#include "log.h"
#include "portal_keys.h"

/*
 * One key as the templates see it; with_people: who made and revoked it
 * and its refusals (db_apikey_list_full's). The caller owns the object.
 */
static json_object *
key_json(const struct db_apikey_info *key, bool with_people)
{
	json_object	*k = json_object_new_object();
	char		 n[24];

	json_put_string(k, "id", key->id);
	json_put_string(k, "name", key->name);
	json_put_string(k, "prefix", key->prefix);
	json_put_string(k, "client", key->client);
	json_put_string(k, "created", key->created);
	json_put_string(k, "last_used", key->last_used);
	json_put_string(k, "revoked_at", key->revoked_at);
	json_object_object_add(k, "revoked",
	    json_object_new_boolean(key->revoked_at != NULL));
	json_object_object_add(k, "is_test",
	    json_object_new_boolean(key->is_test));
	if (with_people) {
		json_put_string(k, "created_by", key->created_by);
		json_put_string(k, "revoked_by", key->revoked_by);
		/* Refused since (sql 0009): a caller still using it. */
		if (key->refused_count != 0) {
			snprintf(n, sizeof(n), "%lld", key->refused_count);
			json_put_string(k, "refused_count", n);
			json_put_string(k, "last_refused", key->last_refused);
		}
	}
	return k;
}

/* The clients for the form's list, client (NULL: none) selected. The
 * caller owns the array. */
static json_object *
clients_json(const struct db_client_row *rows, size_t n, const char *client)
{
	json_object	*clients = json_object_new_array();
	size_t		 i;

	for (i = 0; i < n; i++) {
		json_object *c = json_object_new_object();

		json_put_string(c, "slug", rows[i].slug);
		json_object_object_add(c, "selected", json_object_new_boolean(
		    client != NULL && strcmp(client, rows[i].slug) == 0));
		json_object_array_add(clients, c);
	}
	return clients;
}

/* What the create form held, and what was wrong with it (NULL: nothing). */
struct keys_form {
	const char	*name;
	const char	*client;
	bool		 is_test;
	const char	*name_error;
	const char	*client_error;
	const char	*test_error;
};

/*
 * The list page, with the create form holding what was typed and the
 * messages beside its fields (f NULL: an empty form).
 */
static void
keys_render(struct visit *v, int status, const struct keys_form *f)
{
	struct db_apikey_info	*rows;
	struct db_client_row	*clients;
	json_object		*data, *keys;
	size_t			 i, n, nclients;
	int			 rc;

	if ((rc = db_apikey_list_full(&v->w->db, &rows, &n)) != DB_OK) {
		portal_send_db_error(v, rc);
		return;
	}
	keys = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(keys, key_json(&rows[i], true));
	free(rows);
	if ((rc = db_client_list(&v->w->db, &clients, &nclients)) != DB_OK) {
		json_object_put(keys);
		portal_send_db_error(v, rc);
		return;
	}

	data = portal_page_data(v);
	json_object_object_add(data, "has_keys",
	    json_object_new_boolean(n > 0));
	json_object_object_add(data, "keys", keys);
	json_object_object_add(data, "clients",
	    clients_json(clients, nclients, f ? f->client : NULL));
	free(clients);
	json_put_string(data, "name", f ? f->name : "");
	json_object_object_add(data, "test_checked",
	    json_object_new_boolean(f != NULL && f->is_test));
	if (f != NULL) {
		json_put_string(data, "name_error", f->name_error);
		json_put_string(data, "client_error", f->client_error);
		json_put_string(data, "test_error", f->test_error);
	}
	portal_send_page(v, status, PORTAL_TEMPLATE_KEYS, data);
	json_object_put(data);
}

/* GET /keys */
void
keys_page(struct visit *v)
{
	keys_render(v, 200, NULL);
}

/* POST /keys: 200 with the key shown once; 400 the form with messages. */
void
keys_create(struct visit *v)
{
	char		 key[APIKEY_LEN + 1], prefix[APIKEY_PREFIX_LEN + 1];
	char		 id[37], msg[96];
	const char	*test = form_get(&v->form, "test");
	struct keys_form f = { form_get(&v->form, "name"),
			    form_get(&v->form, "client"), false, NULL, NULL,
			    NULL };
	json_object	*data;
	int		 rc;

	if (f.name == NULL)
		f.name = "";
	if (f.client == NULL)
		f.client = "";
	/* The checkbox sends "yes" when ticked, nothing when not. */
	f.is_test = test != NULL && strcmp(test, "yes") == 0;
	if (test != NULL && !f.is_test)
		f.test_error = "Test key is a checkbox: tick it or leave it.";
	if (!apikey_name_valid(f.name)) {
		snprintf(msg, sizeof(msg), "Give the key a name of 1 to %d "
		    "characters, such as the workflow that will use it.",
		    APIKEY_NAME_MAX);
		f.name_error = msg;
	}
	if (f.name_error != NULL || f.test_error != NULL) {
		keys_render(v, 400, &f);
		return;
	}
	rc = apikey_create(&v->w->db, f.name, f.client, v->who.id, f.is_test,
	    key, prefix, id);
	if (rc == APIKEY_NO_CLIENT) {
		f.client_error = "There is no such client. Pick one from the "
		    "list.";
		keys_render(v, 400, &f);
		return;
	}
	if (rc == APIKEY_ESYS) {
		portal_send_error(v, 500, "No key could be made (libsodium "
		    "did not initialise).");
		return;
	}
	if (rc != APIKEY_CREATED) {
		portal_send_db_error(v, rc);
		return;
	}
	log_info("%s %s (%s) created by %s", f.is_test ? "test api key" :
	    "api key", prefix, f.name, v->who.email);

	data = portal_page_data(v);
	json_put_string(data, "key", key);
	json_put_string(data, "prefix", prefix);
	json_put_string(data, "name", f.name);
	json_object_object_add(data, "is_test",
	    json_object_new_boolean(f.is_test));
	if (*f.client != '\0')
		json_put_string(data, "client", f.client);
	sodium_memzero(key, sizeof(key));
	portal_send_page(v, 200, PORTAL_TEMPLATE_KEYS_CREATED, data);
	/* The page was rendered into and sent from the worker's buffer,
	 * which outlives the request: wipe the key from it (the JSON is
	 * freed now). */
	sodium_memzero(v->w->out.data, v->w->out.len);
	json_object_put(data);
}

/* GET /keys/{id}/revoke: 200 the confirmation; 404 unknown key. */
void
keys_revoke_confirm(struct visit *v)
{
	struct db_apikey_info	*key;
	json_object		*data;
	int			 rc;

	if ((rc = db_apikey_by_id(&v->w->db, v->arg[0], &key)) < 0) {
		portal_send_db_error(v, rc);
		return;
	}
	if (rc == 0) {
		portal_send_error(v, 404, "There is no such API key.");
		return;
	}
	data = portal_page_data(v);
	json_object_object_add(data, "key", key_json(key, false));
	free(key);
	portal_send_page(v, 200, PORTAL_TEMPLATE_KEYS_REVOKE, data);
	json_object_put(data);
}

/* POST /keys/{id}/revoke: 303 /keys; 404 unknown key. */
void
keys_revoke(struct visit *v)
{
	struct db_apikey_info	*key;
	char			 name[512], prefix[64];
	int			 rc;

	if ((rc = db_apikey_revoke_by_id(&v->w->db, v->arg[0], v->who.id,
	    name, sizeof(name), prefix, sizeof(prefix))) < 0) {
		portal_send_db_error(v, rc);
		return;
	}
	if (rc == 1)
		log_info("api key %s (%s) revoked by %s", prefix, name,
		    v->who.email);
	else {
		/* Revoked already (a second click) is done; unknown is 404. */
		if ((rc = db_apikey_by_id(&v->w->db, v->arg[0], &key)) < 0) {
			portal_send_db_error(v, rc);
			return;
		}
		free(key);
		if (rc == 0) {
			portal_send_error(v, 404, "There is no such API key.");
			return;
		}
	}
	portal_redirect(v, "/keys");
}
