/*
 * portal_retry: what the retry-queue pages share (portal_retry.c: the list
 * and the replay of ticked rows; portal_retry_row.c: one row, its replay
 * and its discard; portal_retry_export.c: the CSV), and their handlers for
 * admin.c's route table. Not for other modules.
 */
#ifndef MINICRM_PORTAL_RETRY_H
#define MINICRM_PORTAL_RETRY_H

#include <stdbool.h>

#include "buf.h"
#include "db_retry.h"
#include "portal.h"

/* The list's filters, read from the query string and checked. */
struct retry_filter {
	const char	*state;		/* NULL: any state */
	const char	*state_name;	/* "pending", ..., "all" */
	const char	*workflow;	/* NULL: any */
	const char	*older;		/* hours as text, NULL: any age */
	char		 older_buf[16];
};

/*
 * Read state, workflow and older from the query. Returns 0, or -1 having
 * sent a 400 page naming the bad filter.
 */
int	retry_filter_read(struct visit *, struct retry_filter *);

/* The filter as a query string ("state=dead&workflow=..."), appended. */
void	retry_filter_query(const struct retry_filter *, struct buf *);

/* The filter as the store's query (no cursor, no limit), into *q. */
void	retry_filter_to_query(const struct retry_filter *,
	    struct db_retry_query *q);

/* Can a row in state (its text) be replayed or discarded (pending, dead
 * or refused)? */
bool	retry_state_replayable(const char *state);

/*
 * The message a replay left in the query (taken, logged, duplicates,
 * failed, dead), made from numbers only: nothing a user typed is echoed.
 * NULL if there is none; else the caller owns it.
 */
json_object	*retry_flash(struct visit *);

/* Is s a row id (1 to 18 digits)? */
bool	retry_id_valid(const char *s);

/* The pages' handlers, for admin.c's route table; the router has
 * checked ID (PORTAL_ARG_RETRY_ID). */
void	retry_list_page(struct visit *);	/* GET /retry-queue */
void	retry_replay_selected(struct visit *);	/* POST /retry-queue/replay */
void	retry_row_page(struct visit *);		/* GET /retry-queue/ID */
void	retry_row_replay(struct visit *);	/* POST /retry-queue/ID/replay */
void	retry_discard_page(struct visit *);	/* GET /retry-queue/ID/discard */
void	retry_discard_post(struct visit *);	/* POST /retry-queue/ID/discard */
void	retry_export(struct visit *);		/* GET /retry-queue/export.csv */

#endif
