/*
 * airtable: reading Airtable's CSV exports for the cutover (the hub's week
 * 4; docs/airtable-cutover.md) and mapping their rows onto our tables.
 *
 *   airtable_csv.c   an RFC 4180 reader: quoted fields with embedded
 *                    newlines and doubled quotes, CRLF or LF, a UTF-8 BOM
 *   airtable_date.c  Airtable's date formats: ISO 8601, "2024-03-05 14:07",
 *                    "3/5/2024 2:07pm" (US or European order), "March 5,
 *                    2024 2:07pm"
 *   airtable_map.c   the three tables (leads, sms_audit, retry_queue): the
 *                    columns by name, each row checked as our API checks it
 *                    and written as one line of COPY text for the staging
 *                    table, or refused with the column and the reason
 *
 * Pure but for the catalog (event types and clients, read through the
 * caller's connection) in airtable_map.c.
 */
#ifndef MINICRM_AIRTABLE_H
#define MINICRM_AIRTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "catalog.h"
#include "db.h"

/* ---- the CSV reader (airtable_csv.c) ---- */

/* What was wrong with a record's syntax (the record is still returned). */
enum airtable_csv_problem {
	CSV_OK = 0,
	CSV_BAD_QUOTE,		/* a quote inside an unquoted field, or text
				 * after a closing quote */
	CSV_UNTERMINATED,	/* a quoted field runs to the end of the file */
	CSV_NUL			/* a NUL byte */
};

struct airtable_csv {
	FILE		*f;
	char		 block[65536];	/* read-ahead */
	size_t		 pos, end;
	bool		 eof, started;
	char		*text;		/* the record's fields, each NUL-ended */
	size_t		 len, cap;
	size_t		*offs;		/* where each field starts in text */
	size_t		 nfields, capfields;
	long		 line;		/* the line the record starts on (1-based) */
	long		 next_line;
	long		 bytes;		/* read so far, for progress */
	enum airtable_csv_problem problem;
	bool		 io_error;
};

/* Start reading f (the caller keeps and closes it). A BOM is skipped. */
void		 airtable_csv_open(struct airtable_csv *, FILE *f);
/*
 * Read the next record. Returns 1 (fields in the struct until the next
 * call; problem says whether its syntax was sound), 0 at the end of the
 * file, -1 on a read error or when memory ran out. Blank lines are
 * skipped.
 */
int		 airtable_csv_next(struct airtable_csv *)
		    __attribute__((warn_unused_result));
/* Field i of the current record, or "" past its last. */
const char	*airtable_csv_field(const struct airtable_csv *, size_t i);
/* Free what the reader allocated (not the FILE). NULL is fine. */
void		 airtable_csv_close(struct airtable_csv *);
const char	*airtable_csv_problem_text(enum airtable_csv_problem);

/* ---- dates (airtable_date.c) ---- */

/* How to read "3/5/2024": month first (Airtable's US and Local formats)
 * or day first (its European format). */
enum airtable_date_order { AIRTABLE_MDY, AIRTABLE_DMY };

/*
 * Parse an Airtable date s into microseconds since the epoch. A time
 * without an offset (all but ISO 8601's "Z" or "+01:00") is local time in
 * the process's TZ — the CLI sets it from --timezone — and UTC when
 * utc is true (the fast path, for TZ=UTC). A date without a time is
 * midnight. Returns 0, or -1 if s is none of the formats.
 */
int		 airtable_date_parse(const char *s, enum airtable_date_order,
		    bool utc, int64_t *usec);

/* ---- the tables (airtable_map.c) ---- */

enum airtable_table {
	AIRTABLE_LEADS,
	AIRTABLE_SMS_AUDIT,
	AIRTABLE_RETRY_QUEUE,
	AIRTABLE__MAX
};

/* "leads", "sms_audit", "retry_queue" and back (-1: no such table). */
const char	*airtable_table_name(enum airtable_table);
int		 airtable_table_parse(const char *name);

/* Longest text of a refusal's reason. */
#define AIRTABLE_REASON_MAX	256

/* A row that was not imported, and why. */
struct airtable_refusal {
	long		 row;		/* data row, from 1 (the header is 0) */
	long		 line;		/* the file's line it starts on */
	char		 record_id[64];
	char		 column[128];	/* the export's column, or "row" */
	char		 reason[AIRTABLE_REASON_MAX];
};

/* Called for every problem of a row (a row may have several). */
typedef void	(*airtable_refuse_fn)(void *ctx, const struct airtable_refusal *);

/* The most columns a mapping knows. */
#define AIRTABLE_FIELDS_MAX	24

struct airtable_mapper {
	enum airtable_table	 table;
	enum airtable_date_order order;
	bool			 utc;		/* TZ is UTC */
	const char		*client;	/* --client: slug or id, or NULL */
	struct db		*db;		/* for the catalog */
	struct catalog		 cat;
	int64_t			 now_usec;	/* bounds occurred_at */
	/* For each of the table's fields, its column in the export, or -1;
	 * and the export's header, copied. */
	int			 col[AIRTABLE_FIELDS_MAX];
	char			*header[AIRTABLE_FIELDS_MAX];
	size_t			 ncolumns;
	char			 ignored[512];	/* columns we do not map */
	int			 db_rc;		/* a catalog read that failed */
	bool			 lead_by_name;	/* the last row's lead is a name,
						 * resolved in the database */
	/* The last row's lead (sms_audit) or record (the others): what
	 * the CLI spreads rows over its connections by. */
	char			 lane_key[256];
	/* sms_audit: the leads (client and record id) rows have named so
	 * far; only a row naming a new one asks the database to create it
	 * (staging's lead_new), so a million events of 100,000 leads make
	 * 100,000 lookups, not a million. */
	char			**seen;
	size_t			 nseen, capseen;
};

/*
 * Read the export's header (the reader's current record) for table. On
 * success returns 0; otherwise -1 and a message naming the missing
 * column in why (whysz bytes). The mapper keeps db (the caller's, open
 * for as long as the mapper is used) for the catalog. Free with
 * airtable_mapper_free.
 */
int		 airtable_mapper_init(struct airtable_mapper *,
		    enum airtable_table, const struct airtable_csv *header,
		    struct db *, char *why, size_t whysz)
		    __attribute__((warn_unused_result));
void		 airtable_mapper_free(struct airtable_mapper *);

/*
 * Check the reader's current record (data row `row`) as our API checks the
 * same data. If it passes, append its staging line (COPY text format, the
 * columns of db_import.h's staging table for the table) to out and return
 * 1; otherwise call refuse for each problem and return 0. -1: the catalog
 * could not be read (m->db_rc says why); nothing appended.
 */
int		 airtable_map_row(struct airtable_mapper *,
		    const struct airtable_csv *, long row, struct buf *out,
		    airtable_refuse_fn refuse, void *ctx)
		    __attribute__((warn_unused_result));

/*
 * For `import compare`: the day (YYYY-MM-DD in TZ, out 11 bytes) and event
 * type (into type, typesz bytes) of an sms_audit row, as the import would
 * read them. Returns 0, or -1 when either cannot be read (the row is then
 * counted as unreadable).
 */
int		 airtable_row_day_type(struct airtable_mapper *,
		    const struct airtable_csv *, char day[11], char *type,
		    size_t typesz);

/* Append s to out as one COPY text-format value (NULL: \N). */
void		 airtable_copy_value(struct buf *out, const char *s);

#endif
