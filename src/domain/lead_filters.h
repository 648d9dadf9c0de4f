/*
 * lead_filters: the pure checks behind the portal's leads search, lead
 * timeline and activity pages — ids, cursors, dates, time zone names,
 * search patterns, sort orders and lead statuses. No allocation, no
 * database, no global state: each is a small function a unit test can
 * drive (tests/unit/test_lead_filters.c).
 */
#ifndef MINICRM_LEAD_FILTERS_H
#define MINICRM_LEAD_FILTERS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Is s a UUID in its canonical text form (8-4-4-4-12 hex digits)? */
bool	lead_uuid_valid(const char *s);

/*
 * A timeline cursor is the id of the last event shown (events are
 * append-only, so the id finds its (occurred_at, id) position again).
 * True if s is one: 1 to 19 digits, no sign, no leading zero, at most
 * 9223372036854775807.
 */
bool	lead_event_cursor_valid(const char *s);

/* Is s a real calendar date written YYYY-MM-DD (years 1000..9999)? */
bool	lead_date_valid(const char *s);

/*
 * Could s be an IANA time zone name ("UTC", "Europe/Berlin",
 * "America/Argentina/Buenos_Aires", "Etc/GMT+5")? Letters, digits and
 * "/_+-" only, 1 to 64 bytes, starting with a letter, no empty or dot
 * segments. Whether the zone exists is PostgreSQL's to say (set_config
 * refuses an unknown one); this keeps anything else from reaching it.
 */
bool	lead_tz_valid(const char *s);

/*
 * The LIKE pattern "%q%" for search text q, with LIKE's own characters
 * (% _ \) escaped by a backslash. Returns 0, or -1 if q is empty or the
 * pattern does not fit in outsz.
 */
int	lead_like_pattern(const char *q, char *out, size_t outsz);

/*
 * When q looks like a phone number (only digits, spaces and "+-().",
 * at least 3 digits), the pattern "%digits%" of its digits alone, so
 * "(555) 010" finds "+1 555 0100". Returns 0 with the pattern, or -1 if
 * q is not phone-like or the pattern does not fit.
 */
int	lead_phone_pattern(const char *q, char *out, size_t outsz);

/* The orders of the leads list. */
enum lead_sort {
	LEAD_SORT_CREATED,	/* when the lead arrived */
	LEAD_SORT_NAME,		/* display name, case-insensitive */
	LEAD_SORT_EMAIL,	/* e-mail, case-insensitive */
	LEAD_SORT__MAX
};

/* "created", "name", "email"; NULL or "" is the default (created). */
int	lead_sort_parse(const char *s, enum lead_sort *out);
const char *lead_sort_name(enum lead_sort);
/* "asc" or "desc"; NULL or "" is the sort's default (desc for created). */
int	lead_dir_parse(const char *s, enum lead_sort, bool *descending);

/* The statuses a lead may have, in the order a menu lists them. */
extern const char *const lead_statuses[];
#define LEAD_STATUS_OPTED_OUT	"opted_out"
bool	lead_status_valid(const char *s);

/*
 * Append "name=value" to a query string in b, percent-encoded (every byte
 * but A-Z a-z 0-9 - . _ ~), preceded by '&' unless b is empty. An empty
 * or NULL value adds nothing.
 */
void	lead_qs_add(struct buf *b, const char *name, const char *value);

/* The longest note an admin may add, in characters. */
#define LEAD_NOTE_MAX	4000

#endif
