/*
 * minicrm import compare --airtable FILE.csv [--table sms_audit] [--csv]
 *     [--client SLUG] [--timezone ZONE] [--date-order mdy|dmy]
 *
 * The parallel run's daily check (docs/airtable-cutover.md): an SMS_Audit
 * export's rows counted per day (in --timezone) and event type, as the
 * import reads them, beside our events of the same days and types (one
 * client with --client), and ours minus Airtable's; a table, or CSV. Exit
 * 0 when every count matches, 3 when one differs, 4 the file cannot be
 * used, 1 the database failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airtable.h"
#include "cli.h"
#include "cli_import.h"
#include "csv.h"
#include "db_import.h"

struct day_count {
	char	 day[11];
	char	 type[64];
	long	 airtable, ours;
};

struct tally {
	struct day_count	*v;
	size_t			 n, cap;
	long			 unreadable;
};

static int
day_cmp(const char *day, const char *type, const struct day_count *c)
{
	int	 d = strcmp(day, c->day);

	return d != 0 ? d : strcmp(type, c->type);
}

/* The count of (day, type), added in order if new; NULL if memory ran
 * out. Binary search: a year of five types is under 2,000 entries. */
static struct day_count *
tally_get(struct tally *t, const char *day, const char *type)
{
	size_t	 lo = 0, hi = t->n, mid;
	int	 d;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((d = day_cmp(day, type, &t->v[mid])) == 0)
			return &t->v[mid];
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (t->n == t->cap) {
		size_t		 ncap = t->cap ? t->cap * 2 : 256;
		struct day_count *nv = realloc(t->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return NULL;
		t->v = nv;
		t->cap = ncap;
	}
	memmove(&t->v[lo + 1], &t->v[lo], (t->n - lo) * sizeof(*t->v));
	memset(&t->v[lo], 0, sizeof(*t->v));
	snprintf(t->v[lo].day, sizeof(t->v[lo].day), "%s", day);
	snprintf(t->v[lo].type, sizeof(t->v[lo].type), "%s", type);
	t->n++;
	return &t->v[lo];
}

/* The types as a text[] literal, of the names that can be event types. */
static void
types_literal(const struct tally *t, struct buf *b)
{
	size_t	 i, k;

	buf_putc(b, '{');
	for (i = 0; i < t->n; i++) {
		const char *s = t->v[i].type;

		for (k = 0; s[k] != '\0'; k++)
			if (!((s[k] >= 'A' && s[k] <= 'Z') || s[k] == '_' ||
			    (s[k] >= '0' && s[k] <= '9')))
				break;
		if (s[k] != '\0' || k == 0 || strstr(buf_str(b), s) != NULL)
			continue;
		if (b->len > 1)
			buf_putc(b, ',');
		buf_puts(b, s);
	}
	buf_putc(b, '}');
}

static int
print_compare(const struct import_options *o, const struct tally *t)
{
	struct buf	 b = BUF_INIT;
	size_t		 i;
	int		 differ = 0;

	if (o->csv) {
		buf_puts(&b, "day,event_type,airtable,postgresql,difference\r\n");
		fwrite(b.data, 1, b.len, stdout);
	} else
		printf("%-10s  %-22s %10s %10s %10s\n", "day", "event_type",
		    "airtable", "postgresql", "difference");
	for (i = 0; i < t->n; i++) {
		const struct day_count *c = &t->v[i];

		differ |= c->airtable != c->ours;
		if (!o->csv) {
			printf("%-10s  %-22s %10ld %10ld %+10ld%s\n", c->day,
			    c->type, c->airtable, c->ours,
			    c->ours - c->airtable, c->airtable != c->ours ?
			    "  ≠" : "");
			continue;
		}
		/* Numbers as numbers: csv_cell would quote a negative one
		 * as text (its formula defence). */
		buf_reset(&b);
		csv_cell(&b, c->day, true);
		csv_cell(&b, c->type, false);
		buf_printf(&b, ",%ld,%ld,%ld", c->airtable, c->ours,
		    c->ours - c->airtable);
		csv_end_row(&b);
		fwrite(b.data, 1, b.len, stdout);
	}
	buf_free(&b);
	if (t->unreadable > 0)
		fprintf(stderr, "minicrm: %ld rows have no readable date or "
		    "event type and are not compared (see import airtable "
		    "--dry-run)\n", t->unreadable);
	if (!o->csv)
		printf("%s\n", differ ? "counts differ" : "counts match");
	return differ ? 3 : 0;
}

int
import_compare(const struct import_options *o)
{
	struct db		 db;
	struct airtable_mapper	 m;
	struct airtable_csv	 csv;
	struct tally		 t = { NULL, 0, 0, 0 };
	struct db_import_day	*ours = NULL;
	struct buf		 types = BUF_INIT;
	struct day_count	*c;
	const char		*client = NULL;
	char			 day[11], type[64];
	size_t			 n = 0, i;
	FILE			*f = NULL;
	int			 status, got, rc = DB_OK;

	memset(&m, 0, sizeof(m));
	memset(&csv, 0, sizeof(csv));
	if (cli_connect(&db, "MINICRM_APP_DATABASE_URL", "DATABASE_URL") == -1)
		return 1;
	if ((status = import_open_export(o, &db, &f, &csv, &m)) != 0)
		goto out;
	if (o->client != NULL && ((client = catalog_client_id(&db, &m.cat,
	    o->client, &rc)) == NULL || rc != DB_OK)) {
		fprintf(stderr, "minicrm: %s\n", rc != DB_OK ? db.error :
		    "--client names no client");
		status = rc != DB_OK ? 1 : 4;
		goto out;
	}
	while ((got = airtable_csv_next(&csv)) == 1) {
		if (airtable_row_day_type(&m, &csv, day, type,
		    sizeof(type)) == -1) {
			t.unreadable++;
			continue;
		}
		if ((c = tally_get(&t, day, type)) == NULL) {
			got = -1;
			break;
		}
		c->airtable++;
	}
	if (got == -1) {
		fprintf(stderr, "minicrm: %s: read error\n", o->file);
		status = 4;
		goto out;
	}
	if (t.n > 0) {
		types_literal(&t, &types);
		if ((rc = db_import_compare(&db, t.v[0].day, t.v[t.n - 1].day,
		    o->tz, buf_str(&types), client, &ours, &n)) != DB_OK) {
			fprintf(stderr, "minicrm: %s (%s)\n",
			    db_status_text(rc), db.error);
			status = 1;
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		if ((c = tally_get(&t, ours[i].day, ours[i].event_type)) ==
		    NULL) {
			status = 1;
			goto out;
		}
		c->ours = (long)ours[i].events;
	}
	status = print_compare(o, &t);
out:
	if (f != NULL)
		fclose(f);
	free(ours);
	free(t.v);
	buf_free(&types);
	airtable_csv_close(&csv);
	airtable_mapper_free(&m);
	db_close(&db);
	return status;
}

