/*
 * portal_keys: the API keys page: list with last use, create (the key is
 * shown once, on the answer to the POST, and never again), revoke after a
 * confirmation page.
 *
 *   GET  /keys               the list (empty state) and, for admins, the
 *                            form to make one: 200; 503/500 without a db
 *   POST /keys               name, client: 200 with the new key; 400 the
 *                            form again with the message beside the field
 *   GET  /keys/{id}/revoke   "are you sure": 200; 404 for an unknown id
 *   POST /keys/{id}/revoke   303 /keys (also if it was revoked already);
 *                            404 for an unknown id
 *
 * The API caches a verified key for 2 s (apikey.h), so a revoked key stops
 * working within that time. Who made and who revoked a key is kept in
 * api_keys.created_by / revoked_by (0006) and logged (never the key).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "apikey.h"
#include "log.h"
#include "portal_keys.h"

static void
add_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value));
}

/* A cell of res, or NULL when it is SQL NULL (a missing key in o). */
static void
add_cell(json_object *o, const char *key, PGresult *res, int row, int col)
{
	if (!PQgetisnull(res, row, col))
		add_str(o, key, PQgetvalue(res, row, col));
}

/*
 * One key row (KEYS_LIST or KEYS_BY_ID columns) as the templates see it.
 * The caller owns the object.
 */
static json_object *
key_json(PGresult *res, int row, bool with_people)
{
	json_object *k = json_object_new_object();

	add_str(k, "id", PQgetvalue(res, row, 0));
	add_str(k, "name", PQgetvalue(res, row, 1));
	add_str(k, "prefix", PQgetvalue(res, row, 2));
	add_cell(k, "client", res, row, 3);
	add_str(k, "created", PQgetvalue(res, row, 4));
	add_cell(k, "last_used", res, row, 5);
	add_cell(k, "revoked_at", res, row, 6);
	json_object_object_add(k, "revoked",
	    json_object_new_boolean(!PQgetisnull(res, row, 6)));
	if (with_people) {
		add_cell(k, "created_by", res, row, 7);
		add_cell(k, "revoked_by", res, row, 8);
		/* Refused since (sql 0009): a caller still using it. */
		if (strcmp(PQgetvalue(res, row, 9), "0") != 0) {
			add_str(k, "refused_count", PQgetvalue(res, row, 9));
			add_cell(k, "last_refused", res, row, 10);
		}
	}
	return k;
}

/*
 * The list page, with the create form holding what was typed (name,
 * client) and the messages beside its fields (NULL when none).
 */
static void
keys_render(struct visit *v, int status, const char *name, const char *client,
    const char *name_error, const char *client_error)
{
	json_object	*data, *keys, *clients;
	PGresult	*res;
	int		 rc, i;

	if ((rc = db_exec(&v->w->db, STMT_KEYS_LIST, NULL, &res)) != DB_OK) {
		portal_send_db_error(v, rc);
		return;
	}
	keys = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++)
		json_object_array_add(keys, key_json(res, i, true));
	PQclear(res);
	if ((rc = db_exec(&v->w->db, STMT_CLIENTS_ALL, NULL, &res)) != DB_OK) {
		json_object_put(keys);
		portal_send_db_error(v, rc);
		return;
	}
	clients = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		json_object	*c = json_object_new_object();
		const char	*slug = PQgetvalue(res, i, 1);

		add_str(c, "slug", slug);
		json_object_object_add(c, "selected", json_object_new_boolean(
		    client != NULL && strcmp(client, slug) == 0));
		json_object_array_add(clients, c);
	}
	PQclear(res);

	data = portal_page_data(v);
	json_object_object_add(data, "has_keys",
	    json_object_new_boolean(json_object_array_length(keys) > 0));
	json_object_object_add(data, "keys", keys);
	json_object_object_add(data, "clients", clients);
	add_str(data, "name", name ? name : "");
	if (name_error != NULL)
		add_str(data, "name_error", name_error);
	if (client_error != NULL)
		add_str(data, "client_error", client_error);
	portal_send_page(v, status, PORTAL_TEMPLATE_KEYS, data);
	json_object_put(data);
}

/* GET /keys */
void
keys_page(struct visit *v)
{
	keys_render(v, 200, NULL, NULL, NULL, NULL);
}

/* POST /keys: 200 with the key shown once; 400 the form with messages. */
void
keys_create(struct visit *v)
{
	char		 key[APIKEY_LEN + 1], prefix[APIKEY_PREFIX_LEN + 1];
	char		 id[37], msg[96];
	const char	*name = form_get(&v->form, "name");
	const char	*client = form_get(&v->form, "client");
	json_object	*data;
	int		 rc;

	if (name == NULL)
		name = "";
	if (client == NULL)
		client = "";
	if (!apikey_name_valid(name)) {
		snprintf(msg, sizeof(msg), "Give the key a name of 1 to %d "
		    "characters, such as the workflow that will use it.",
		    APIKEY_NAME_MAX);
		keys_render(v, 400, name, client, msg, NULL);
		return;
	}
	rc = apikey_create(&v->w->db, name, client, v->who.id, key, prefix,
	    id);
	if (rc == APIKEY_NO_CLIENT) {
		keys_render(v, 400, name, client, NULL, "There is no such "
		    "client. Pick one from the list.");
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
	log_info("api key %s (%s) created by %s", prefix, name, v->who.email);

	data = portal_page_data(v);
	add_str(data, "key", key);
	add_str(data, "prefix", prefix);
	add_str(data, "name", name);
	if (*client != '\0')
		add_str(data, "client", client);
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
	const char	*params[1] = { v->arg[0] };
	json_object	*data;
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(&v->w->db, STMT_KEYS_BY_ID, params, &res)) !=
	    DB_OK) {
		portal_send_db_error(v, rc);
		return;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		portal_send_error(v, 404, "There is no such API key.");
		return;
	}
	data = portal_page_data(v);
	json_object_object_add(data, "key", key_json(res, 0, false));
	PQclear(res);
	portal_send_page(v, 200, PORTAL_TEMPLATE_KEYS_REVOKE, data);
	json_object_put(data);
}

/* POST /keys/{id}/revoke: 303 /keys; 404 unknown key. */
void
keys_revoke(struct visit *v)
{
	const char	*params[2] = { v->arg[0], v->who.id };
	PGresult	*res;
	int		 rc, revoked;

	if ((rc = db_exec(&v->w->db, STMT_KEYS_REVOKE_BY_ID, params, &res)) !=
	    DB_OK) {
		portal_send_db_error(v, rc);
		return;
	}
	if ((revoked = PQntuples(res)) == 1)
		log_info("api key %s (%s) revoked by %s",
		    PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 0),
		    v->who.email);
	PQclear(res);
	if (revoked == 0) {
		/* Revoked already (a second click) is done; unknown is 404. */
		if ((rc = db_exec(&v->w->db, STMT_KEYS_BY_ID, params, &res)) !=
		    DB_OK) {
			portal_send_db_error(v, rc);
			return;
		}
		revoked = PQntuples(res);
		PQclear(res);
		if (revoked == 0) {
			portal_send_error(v, 404, "There is no such API key.");
			return;
		}
	}
	portal_redirect(v, "/keys");
}
