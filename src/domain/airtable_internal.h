/*
 * airtable_internal: what the mapper's files share (airtable_map.c: the
 * tables' columns, the row checks, leads and retry_queue; airtable_map_sms.c:
 * SMS_Audit rows as events). Callers include airtable.h, never this.
 */
#ifndef MINICRM_AIRTABLE_INTERNAL_H
#define MINICRM_AIRTABLE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "airtable.h"
#include "buf.h"

/* SMS_Audit's columns, in airtable_map.c's sms_columns[] order. */
enum { S_RECORD_ID, S_LEAD_RECORD_ID, S_LEAD, S_EVENT, S_SENT_AT, S_TEXT,
    S_PHONE, S_CAMPAIGN, S_STEP, S_WORKFLOW, S_EXECUTION_ID, S_CLIENT,
    S_TAGS, S_ERROR, S_CARRIER, S__MAX };

/* The row being mapped, and where its problems are reported. */
struct airtable_row {
	struct airtable_mapper	*m;
	const struct airtable_csv *r;
	long			 row;
	airtable_refuse_fn	 refuse;
	void			*ctx;
	int			 refused;
};

/* Report one problem of the row: its column and why. */
void	 airtable_refuse(struct airtable_row *, const char *column,
	    const char *reason);
/* Cell f of the row (column f of the table's list), or NULL if the export
 * has no such column or the cell is empty. */
const char *airtable_cell(const struct airtable_mapper *,
	    const struct airtable_csv *, int f);
/* The export's name of column f (the docs' name if it has none). */
const char *airtable_column_name(const struct airtable_mapper *, int f);
/* Each value of a multi-select or linked-record cell to fn; the count. */
int	 airtable_split_list(const char *, void (*fn)(void *, const char *),
	    void *ctx);
/* split_list callbacks: append to a json-c array ctx; keep the first in a
 * char[256] ctx. */
void	 airtable_add_to_array(void *ctx, const char *item);
void	 airtable_keep_first(void *ctx, const char *item);
/* Is s an Airtable record id ("rec" and 14 letters and digits)? */
bool	 airtable_is_record_id(const char *s);
/* A COPY text field and the tab before it (\N for NULL). */
void	 airtable_copy_sep(struct buf *out, const char *s);
/* The row's client id: its Client cell (column f; -1 for none), else
 * --client, else the default client. NULL when not required and neither
 * is given, or when the client is unknown (refused then). */
const char *airtable_row_client(struct airtable_row *, int f, bool required);
/* Column f's text: at most max characters, one line unless multiline. */
void	 airtable_check_text(struct airtable_row *, int f, size_t max,
	    bool multiline);
/* Column f as a date; false (and refused) if it is not one. */
bool	 airtable_row_date(struct airtable_row *, int f, int64_t *usec);
/* The row's record id is one. */
void	 airtable_check_record_id(struct airtable_row *);
/* Is this the run's first row naming client's lead? Remembers it. When
 * memory runs out the answer is true: the database is asked, which is only
 * slower. */
bool	 airtable_lead_first_seen(struct airtable_mapper *,
	    const char *client, const char *lead);
/* An Airtable event name as ours (Sent → MESSAGE_SENT …) into out. */
void	 airtable_event_type_of(const char *s, char *out, size_t outsz);
/* An SMS_Audit row as an event's COPY line in out, or refused. */
void	 airtable_map_sms(struct airtable_row *, struct buf *out);

#endif
