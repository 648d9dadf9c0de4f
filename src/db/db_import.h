/*
 * db_import: the Airtable import's store (sql_import.def). A chunk of an
 * export goes in as COPY text into the export's staging table, then one
 * set-based statement moves it into our tables; the caller holds the
 * transaction (db_begin … db_commit per chunk, or one for a dry run that
 * is rolled back).
 */
#ifndef MINICRM_DB_IMPORT_H
#define MINICRM_DB_IMPORT_H

#include <stddef.h>

#include "db.h"

/* The staging tables, in the order of enum airtable_table. */
enum db_import_table {
	DB_IMPORT_LEADS,
	DB_IMPORT_EVENTS,
	DB_IMPORT_RETRY
};

/* What a chunk added. */
struct db_import_counts {
	long long	 added;		/* leads, events or queue rows new */
	long long	 filled;	/* leads: existing ones given blanks */
	long long	 leads_created;	/* events: leads first seen here */
};

/* A row whose lead name found no lead (matches 0) or several. */
typedef void	(*db_import_unresolved_fn)(void *ctx, long row,
		    const char *record_id, const char *lead_name,
		    long long matches);

/* Create the table's staging table if this session has none, and empty
 * it. A db_status. */
int	db_import_stage(struct db *, enum db_import_table)
	    __attribute__((warn_unused_result));

/* COPY into the staging table: begin, put any number of whole lines,
 * end. Each a db_status; after a failure the COPY is over. */
int	db_import_copy_begin(struct db *, enum db_import_table)
	    __attribute__((warn_unused_result));
int	db_import_copy_put(struct db *, const char *data, size_t len)
	    __attribute__((warn_unused_result));
int	db_import_copy_end(struct db *)
	    __attribute__((warn_unused_result));

/*
 * Move what is staged into our tables and empty the staging table. Events
 * whose lead name resolves to no single lead are reported through
 * unresolved (and not stored). Adds to *counts. A db_status.
 */
int	db_import_apply(struct db *, enum db_import_table, bool names,
	    struct db_import_counts *counts, db_import_unresolved_fn unresolved,
	    void *ctx) __attribute__((warn_unused_result));

/* One line of `import compare`'s PostgreSQL side. */
struct db_import_day {
	const char	*day;		/* YYYY-MM-DD */
	const char	*event_type;
	long long	 events;
};

/*
 * Our events per day (in time zone tz) and type, for days from..to
 * (YYYY-MM-DD), of the types in types (a text[] literal such as
 * {MESSAGE_SENT,MESSAGE_FAILED}) and client_id (NULL: every client).
 * *rows (*n of them) is one allocation the caller free()s. A db_status.
 */
int	db_import_compare(struct db *, const char *from, const char *to,
	    const char *tz, const char *types, const char *client_id,
	    struct db_import_day **rows, size_t *n)
	    __attribute__((warn_unused_result));

#endif
