/* catalog: cached clients and event types, per thread (see catalog.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "catalog.h"

void
catalog_free(struct catalog *cat)
{
	size_t i;

	for (i = 0; i < cat->ntypes; i++)
		free(cat->types[i]);
	free(cat->types);
	free(cat->clients);
	memset(cat, 0, sizeof(*cat));
}

static int
catalog_load(struct db *db, struct catalog *cat)
{
	PGresult	*clients, *types;
	struct catalog	 fresh = { 0 };
	int		 rc, i;

	if ((rc = db_exec(db, STMT_CLIENTS_ALL, NULL, &clients)) != DB_OK)
		return rc;
	if ((rc = db_exec(db, STMT_EVENT_TYPES_ALL, NULL, &types)) != DB_OK) {
		PQclear(clients);
		return rc;
	}
	fresh.nclients = (size_t)PQntuples(clients);
	fresh.ntypes = (size_t)PQntuples(types);
	fresh.clients = calloc(fresh.nclients + 1, sizeof(*fresh.clients));
	fresh.types = calloc(fresh.ntypes + 1, sizeof(*fresh.types));
	if (fresh.clients == NULL || fresh.types == NULL)
		rc = DB_ERROR;
	for (i = 0; rc == DB_OK && i < (int)fresh.nclients; i++) {
		snprintf(fresh.clients[i].id, sizeof(fresh.clients[i].id),
		    "%s", PQgetvalue(clients, i, 0));
		snprintf(fresh.clients[i].slug, sizeof(fresh.clients[i].slug),
		    "%s", PQgetvalue(clients, i, 1));
	}
	for (i = 0; rc == DB_OK && i < (int)fresh.ntypes; i++)
		if ((fresh.types[i] = strdup(PQgetvalue(types, i, 0))) == NULL)
			rc = DB_ERROR;
	PQclear(clients);
	PQclear(types);
	if (rc != DB_OK) {
		catalog_free(&fresh);
		return rc;
	}
	catalog_free(cat);
	*cat = fresh;
	cat->loaded_at = time(NULL);
	return DB_OK;
}

/* Load if never loaded, or reload after a miss (once a second at most). */
static bool
catalog_reload(struct db *db, struct catalog *cat, bool missed, int *rc)
{
	*rc = DB_OK;
	if (cat->loaded_at != 0 && (!missed || time(NULL) == cat->loaded_at))
		return false;
	*rc = catalog_load(db, cat);
	return *rc == DB_OK;
}

static const char *
catalog_find_client(const struct catalog *cat, const char *name)
{
	size_t i;

	for (i = 0; i < cat->nclients; i++)
		if (strcmp(cat->clients[i].slug, name) == 0 ||
		    strcmp(cat->clients[i].id, name) == 0)
			return cat->clients[i].id;
	return NULL;
}

const char *
catalog_client_id(struct db *db, struct catalog *cat, const char *name,
    int *rc)
{
	const char *id;

	catalog_reload(db, cat, false, rc);
	if (*rc != DB_OK)
		return NULL;
	if ((id = catalog_find_client(cat, name)) != NULL)
		return id;
	if (catalog_reload(db, cat, true, rc))
		return catalog_find_client(cat, name);
	return NULL;
}

static bool
catalog_find_type(const struct catalog *cat, const char *name)
{
	size_t i;

	for (i = 0; i < cat->ntypes; i++)
		if (strcmp(cat->types[i], name) == 0)
			return true;
	return false;
}

bool
catalog_has_event_type(struct db *db, struct catalog *cat, const char *name,
    int *rc)
{
	catalog_reload(db, cat, false, rc);
	if (*rc != DB_OK)
		return false;
	if (catalog_find_type(cat, name))
		return true;
	if (catalog_reload(db, cat, true, rc))
		return catalog_find_type(cat, name);
	return false;
}
