/*
 * minicrm apikey: create (the key is printed once and never stored), list,
 * revoke. To rotate a key without downtime: create the new one, put it in
 * the n8n credential, then revoke the old one. A key made with --test is a
 * test key (the SOP's Test Mode): its events are stored marked test and
 * never counted in health, red flags or the dashboard.
 *
 * minicrm client: the tenants whose leads are logged.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "apikey.h"
#include "cli.h"
#include "db_apikey.h"

static int
apikey_usage(void)
{
	fprintf(stderr, "usage: minicrm apikey create --name NAME "
	    "[--client CLIENT] [--test]\n       minicrm apikey list\n"
	    "       minicrm apikey revoke ID|PREFIX|NAME\n");
	return 2;
}

static int
apikey_create_cmd(struct db *db, const char *name, const char *client,
    bool is_test)
{
	char	 key[APIKEY_LEN + 1], prefix[APIKEY_PREFIX_LEN + 1], id[37];
	int	 rc;

	rc = apikey_create(db, name, client, NULL, is_test, key, prefix, id);
	switch (rc) {
	case APIKEY_CREATED:
		printf("%s\n", key);
		fprintf(stderr, "%s %s (%s) created. It is shown only "
		    "now: put it in the n8n credential (header x-api-key).\n",
		    is_test ? "Test API key (its events count nowhere)" :
		    "API key", prefix, name);
		sodium_memzero(key, sizeof(key));
		return 0;
	case APIKEY_NO_CLIENT:
		fprintf(stderr, "minicrm: no client %s (create it with "
		    "minicrm client create %s)\n", client, client);
		return 1;
	case APIKEY_BAD_NAME:
		fprintf(stderr, "minicrm: a key's name is 1 to %d characters, "
		    "without control characters\n", APIKEY_NAME_MAX);
		return 1;
	case APIKEY_ESYS:
		fprintf(stderr, "minicrm: libsodium could not initialise\n");
		return 1;
	default:
		fprintf(stderr, "minicrm: cannot store the key: %s\n",
		    db->error);
		return 1;
	}
}

static int
apikey_list(struct db *db)
{
	struct db_apikey_row *rows;
	size_t		 n, i;

	if (db_apikey_list(db, &rows, &n) != DB_OK) {
		fprintf(stderr, "minicrm: %s\n", db->error);
		return 1;
	}
	/* state stays last: scripts grep for a " live" line end. */
	printf("%-36s  %-20s  %-12s  %-10s  %-16s  %-16s  %-4s  %s\n", "id",
	    "name", "prefix", "client", "created", "last used", "test",
	    "state");
	for (i = 0; i < n; i++)
		printf("%-36s  %-20s  %-12s  %-10s  %-16s  %-16s  %-4s  %s\n",
		    rows[i].id, rows[i].name, rows[i].prefix, rows[i].client,
		    rows[i].created, rows[i].last_used,
		    rows[i].is_test ? "yes" : "no", rows[i].state);
	free(rows);
	return 0;
}

static int
apikey_revoke(struct db *db, const char *which)
{
	size_t	 n;

	if (db_apikey_revoke(db, which, &n) != DB_OK) {
		fprintf(stderr, "minicrm: %s\n", db->error);
		return 1;
	}
	if (n == 0)
		fprintf(stderr, "minicrm: no live key matches %s\n", which);
	else
		printf("revoked %zu key%s\n", n, n == 1 ? "" : "s");
	return n == 0;
}

int
cli_apikey(int argc, char **argv)
{
	struct db	 db;
	const char	*name = NULL, *client = NULL;
	bool		 is_test = false;
	int		 i, rc;

	if (argc < 2)
		return apikey_usage();
	if (strcmp(argv[1], "create") == 0) {
		for (i = 2; i < argc; i++) {
			if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
				name = argv[++i];
			else if (strcmp(argv[i], "--client") == 0 &&
			    i + 1 < argc)
				client = argv[++i];
			else if (strcmp(argv[i], "--test") == 0)
				is_test = true;
			else
				return apikey_usage();
		}
		if (name == NULL)
			return apikey_usage();
	} else if (!(strcmp(argv[1], "list") == 0 && argc == 2) &&
	    !(strcmp(argv[1], "revoke") == 0 && argc == 3))
		return apikey_usage();

	if (cli_connect(&db, "MINICRM_APP_DATABASE_URL", "DATABASE_URL") == -1)
		return 1;
	if (strcmp(argv[1], "create") == 0)
		rc = apikey_create_cmd(&db, name, client, is_test);
	else if (strcmp(argv[1], "list") == 0)
		rc = apikey_list(&db);
	else
		rc = apikey_revoke(&db, argv[2]);
	db_close(&db);
	return rc;
}

static int
client_usage(void)
{
	fprintf(stderr, "usage: minicrm client create SLUG [--name NAME]\n"
	    "       minicrm client list\n");
	return 2;
}

/* minicrm client list: "id  slug" a line. */
static int
client_list(struct db *db)
{
	struct db_client_row *rows;
	size_t		 n, i;

	if (db_client_list(db, &rows, &n) != DB_OK)
		return 1;
	for (i = 0; i < n; i++)
		printf("%s  %s\n", rows[i].id, rows[i].slug);
	free(rows);
	return 0;
}

int
cli_client(int argc, char **argv)
{
	struct db	 db;
	char		 id[37];
	int		 rc = 0;

	if (argc == 3 || argc == 5) {
		if (strcmp(argv[1], "create") != 0 || (argc == 5 &&
		    strcmp(argv[3], "--name") != 0))
			return client_usage();
	} else if (argc != 2 || strcmp(argv[1], "list") != 0)
		return client_usage();
	if (cli_connect(&db, "MINICRM_APP_DATABASE_URL", "DATABASE_URL") == -1)
		return 1;
	if (argc == 2)
		rc = client_list(&db);
	else if (db_client_create(&db, argv[2], argc == 5 ? argv[4] : argv[2],
	    id) != DB_OK)
		rc = 1;
	else
		printf("%s\n", id);
	if (rc != 0)
		fprintf(stderr, "minicrm: %s\n", db.error);
	db_close(&db);
	return rc;
}
