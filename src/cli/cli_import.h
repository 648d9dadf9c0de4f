/*
 * cli_import: what `minicrm import airtable` (cli_import.c) and `import
 * compare` (cli_import_compare.c) share: the options and opening an
 * export. Only these two files include it.
 */
#ifndef MINICRM_CLI_IMPORT_H
#define MINICRM_CLI_IMPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "airtable.h"
#include "db.h"

/* What both subcommands take. */
struct import_options {
	int		 table;
	const char	*file, *report, *client, *tz;
	enum airtable_date_order order;
	bool		 dry_run, csv;
	long		 chunk, workers;
};

/*
 * The export opened (*f, the caller fclose()s it) and its header read into
 * the mapper (free with airtable_mapper_free, the reader with
 * airtable_csv_close); catdb serves the mapper's catalog. 0, or the exit
 * status (4) having said why on stderr.
 */
int	import_open_export(const struct import_options *, struct db *catdb,
	    FILE **f, struct airtable_csv *, struct airtable_mapper *);

/* `import compare`: an exit status. */
int	import_compare(const struct import_options *);

#endif
