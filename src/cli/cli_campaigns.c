/*
 * minicrm campaigns recalc [--client-id=ID]: the de-enrollment SOP's
 * stats fix ("Fix Stats if Minor"): every campaign's active, completed,
 * opted-out and booked counts counted again from its leads
 * (campaigns_recalculate()), for one client or all. The counts follow the
 * leads by themselves (sql/0011); this repairs rows loaded or edited by
 * hand with the trigger bypassed.
 *
 * Exit status: 0 done (the campaigns corrected are printed, 0 if none
 * was off); 5 --client-id names no client; 1 the database failed; 2
 * usage.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "deenroll.h"

static int
campaigns_usage(void)
{
	fprintf(stderr, "usage: minicrm campaigns recalc [--client-id=ID]\n"
	    "exit: 0 done; 5 no such client; 1 database; 2 usage\n");
	return 2;
}

int
cli_campaigns(int argc, char **argv)
{
	const char	*client_id = NULL;
	struct db	 db;
	long		 changed;
	int		 a, rc;

	if (argc < 2 || strcmp(argv[1], "recalc") != 0)
		return campaigns_usage();
	for (a = 2; a < argc; a++) {
		if (strncmp(argv[a], "--client-id=", 12) == 0)
			client_id = argv[a] + 12;
		else if (strcmp(argv[a], "--client-id") == 0 && a + 1 < argc)
			client_id = argv[++a];
		else
			return campaigns_usage();
	}
	if (cli_connect(&db, "MINICRM_APP_DATABASE_URL", "DATABASE_URL") == -1)
		return 1;
	rc = client_id != NULL ? deenroll_client_exists(&db, client_id) : 1;
	if (rc == 0) {
		fprintf(stderr, "minicrm: there is no client %s\n", client_id);
		db_close(&db);
		return 5;
	}
	if (rc > 0)
		rc = deenroll_recalc(&db, client_id, &changed);
	if (rc < 0) {
		fprintf(stderr, "minicrm: %s (%s)\n", db_status_text(rc),
		    db.error);
		db_close(&db);
		return 1;
	}
	db_close(&db);
	printf("campaigns recalc: %ld campaign%s corrected\n", changed,
	    changed == 1 ? "" : "s");
	return 0;
}
