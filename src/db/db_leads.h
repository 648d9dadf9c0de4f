/*
 * db_leads: the store of the portal's leads — the search (a keyset page
 * of leads in one of three indexed orders), one lead's header, and the
 * event types for the pages' type menus. The clients menu is
 * db_client_list (db_apikey.h).
 */
#ifndef MINICRM_DB_LEADS_H
#define MINICRM_DB_LEADS_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

/* The search's orders, each with an index (sql_leads.def). */
enum db_leads_sort {
	DB_LEADS_CREATED, DB_LEADS_NAME, DB_LEADS_EMAIL, DB_LEADS_SORT__MAX
};

/* What to search for; NULL fields do not filter. Strings stay the
 * caller's. */
struct db_leads_query {
	const char		*like;	/* LIKE pattern of the search text */
	const char		*second; /* phone-digits pattern, or like again */
	const char		*client;	/* slug */
	const char		*status;
	const char		*after;	/* the last lead of the page before */
	enum db_leads_sort	 sort;
	bool			 desc;
	int			 rows;
	bool			 with_test;	/* test leads too (sql 0018) */
};

/* The columns of STMT_LEADS_* (LEADS_PAGE). */
enum db_lead_row_col {
	DB_LEAD_ROW_ID, DB_LEAD_ROW_NAME, DB_LEAD_ROW_EXTERNAL,
	DB_LEAD_ROW_EMAIL, DB_LEAD_ROW_PHONE, DB_LEAD_ROW_STATUS,
	DB_LEAD_ROW_CLIENT, DB_LEAD_ROW_CREATED, DB_LEAD_ROW_LAST_ACTIVITY,
	DB_LEAD_ROW_TEST, DB_LEAD_ROW__MAX
};

/* A lead in the search's list; NULL is SQL NULL. Times are text in the
 * read's time zone. */
struct db_lead_row {
	const char	*id;		/* uuid */
	const char	*name;		/* display name */
	const char	*external_id;
	const char	*email;
	const char	*phone;
	const char	*status;
	const char	*client;	/* slug */
	const char	*created;	/* YYYY-MM-DD HH24:MI TZ */
	const char	*last_activity;	/* the same, NULL: no event yet */
	bool		 is_test;	/* made by test events only (0018) */
};

/*
 * Up to q->rows leads matching q, after q->after in q's order. One round
 * trip, inside db_timeline_begin()'s read (its time zone and custom
 * plans). *rows (*n of them) is one allocation, strings included, that
 * the caller releases with free() (also for *n == 0); NULL on an error.
 * Returns a db_status.
 */
int	db_leads_search(struct db *, const struct db_leads_query *q,
	    struct db_lead_row **rows, size_t *n)
	    __attribute__((warn_unused_result));

/* The columns of STMT_LEAD_GET. */
enum db_lead_col {
	DB_LEAD_ID, DB_LEAD_NAME, DB_LEAD_FIRST_NAME, DB_LEAD_LAST_NAME,
	DB_LEAD_EMAIL, DB_LEAD_PHONE, DB_LEAD_EXTERNAL, DB_LEAD_STATUS,
	DB_LEAD_CLIENT, DB_LEAD_CREATED, DB_LEAD_TEST, DB_LEAD__MAX
};

/* One lead's header; NULL is SQL NULL. */
struct db_lead {
	const char	*id;		/* uuid */
	const char	*name;		/* display name */
	const char	*first_name;
	const char	*last_name;
	const char	*email;
	const char	*phone;
	const char	*external_id;
	const char	*status;
	const char	*client;	/* slug */
	const char	*created;	/* YYYY-MM-DD HH24:MI TZ */
	bool		 is_test;	/* made by test events only (0018) */
};

/*
 * The lead whose id is id (a uuid). Returns 1 with *lead one allocation,
 * strings included, that the caller free()s; 0 if there is no such lead;
 * or a negative db_status. *lead is NULL unless 1.
 */
int	db_lead_get(struct db *, const char *id, struct db_lead **lead)
	    __attribute__((warn_unused_result));

/* An event type (event_types.name). */
struct db_event_type_row {
	const char	*name;
};

/* Every event type by name; *rows as db_leads_search's (free() it). */
int	db_event_type_list(struct db *, struct db_event_type_row **rows,
	    size_t *n) __attribute__((warn_unused_result));

#endif
