/*
 * portal_sql: print the SQL of named statements from src/db/sql_*.def, so
 * bench/portal.sh runs exactly the portal's statements through pgbench as
 * its reference. Usage: portal_sql NAME  (the STMT's "name").
 */
#include <stdio.h>
#include <string.h>

#include "sql.h"

int
main(int argc, char **argv)
{
	int i;

	if (argc != 2) {
		fprintf(stderr, "usage: portal_sql STATEMENT_NAME\n");
		return 2;
	}
	for (i = 0; i < STMT__MAX; i++)
		if (strcmp(stmt_defs[i].name, argv[1]) == 0) {
			printf("%s\n", stmt_defs[i].sql);
			return 0;
		}
	fprintf(stderr, "portal_sql: no statement %s\n", argv[1]);
	return 1;
}
