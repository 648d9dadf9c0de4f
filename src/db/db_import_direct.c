/*
 * db_import_direct: a chunk of SMS_Audit events whose rows all name their
 * lead by record id, straight into lead_activity_log (db_import.h). The
 * staging path costs a COPY into a temporary table, a join with leads and
 * a NOT EXISTS per row on top of the insertion itself; here the chunk's
 * leads are made sure of and their ids fetched (two statements), its keys
 * already stored found (one), and the rest COPYed into the log, sorted by
 * lead and time on this side. A unique violation in that COPY (a key
 * stored since the probe) rolls back to a savepoint and sends the chunk the
 * staging way, which settles every row as before.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "buf.h"
#include "db_import.h"
#include "db_store.h"

/* The staging COPY line's columns (IMPORT_STAGE_EVENTS). */
enum {
	F_ROW, F_RECORD, F_CLIENT, F_LEAD_EXT, F_LEAD_NAME, F_TYPE, F_AT,
	F_SOURCE, F_EXECUTION, F_KEY, F_CHANNEL, F_MESSAGE, F_METADATA,
	F_LEAD_NEW, F_COUNT
};

/* The columns of IMPORT_DIRECT_COPY after client_id and lead_id. */
static const int log_fields[] = { F_TYPE, F_AT, F_SOURCE, F_EXECUTION, F_KEY,
    F_CHANNEL, F_MESSAGE, F_METADATA };

struct field {
	const char	*p;
	size_t		 n;
};

struct row {
	struct field	 f[F_COUNT];
	long		 lead;		/* index of its lead in the chunk's */
	char		 lead_id[37];	/* the lead's uuid, "" if none */
	bool		 keep;		/* new: into the log */
};

/* A set of (client, text) pairs, by open addressing: the index of the
 * first row or lead with the pair. */
struct set {
	long		*slot;		/* -1 empty, else an index */
	size_t		 cap;
};

struct chunk {
	struct row	*rows;
	long		 nrows;
	long		*leads;		/* a row of each distinct lead */
	long		 nleads;
};

static uint64_t
hash_pair(const struct field *a, const struct field *b)
{
	uint64_t	 h = 1469598103934665603ull;
	size_t		 i;

	for (i = 0; i < a->n; i++)
		h = (h ^ (unsigned char)a->p[i]) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (i = 0; i < b->n; i++)
		h = (h ^ (unsigned char)b->p[i]) * 1099511628211ull;
	return h;
}

static bool
field_eq(const struct field *a, const struct field *b)
{
	return a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
}

/* The index already in the set for the pair of row i's fields fa and fb,
 * or -1 after putting i there. */
static long
set_put(struct set *s, const struct chunk *c, long i, int fa, int fb)
{
	const struct row	*r = &c->rows[i];
	size_t			 at = hash_pair(&r->f[fa], &r->f[fb]) &
				    (s->cap - 1);

	for (; s->slot[at] != -1; at = (at + 1) & (s->cap - 1)) {
		const struct row *o = &c->rows[s->slot[at]];

		if (field_eq(&o->f[fa], &r->f[fa]) &&
		    field_eq(&o->f[fb], &r->f[fb]))
			return s->slot[at];
	}
	s->slot[at] = i;
	return -1;
}

/* Split the chunk's COPY text into rows of fields (pointing into data).
 * false if a row is not one of ours with its lead by record id and a
 * key: that chunk goes the staging way. */
static bool
split_rows(const char *data, size_t len, struct chunk *c)
{
	const char	*p = data, *end = data + len;

	while (p < end) {
		const char	*eol = memchr(p, '\n', (size_t)(end - p));
		struct row	*r = &c->rows[c->nrows];
		int		 k = 0;

		if (eol == NULL)
			return false;
		for (;;) {
			const char *tab = memchr(p, '\t', (size_t)(eol - p));
			const char *stop = tab != NULL ? tab : eol;

			if (k == F_COUNT)
				return false;
			r->f[k].p = p;
			r->f[k++].n = (size_t)(stop - p);
			p = stop + 1;
			if (tab == NULL)
				break;
		}
		if (k != F_COUNT || (r->f[F_LEAD_EXT].n == 2 &&
		    memcmp(r->f[F_LEAD_EXT].p, "\\N", 2) == 0) ||
		    (r->f[F_KEY].n == 2 && memcmp(r->f[F_KEY].p, "\\N", 2) == 0))
			return false;
		c->nrows++;
	}
	return true;
}

/* A COPY text field as an element of a text[] literal: the COPY escapes
 * undone (airtable_copy_value writes \\ \t \n \r), quoted for the array. */
static void
array_element(struct buf *out, const struct field *f)
{
	size_t	 i;

	buf_putc(out, '"');
	for (i = 0; i < f->n; i++)
		if (f->p[i] == '\\' || f->p[i] == '"')
			break;
	buf_append(out, f->p, i);	/* the plain start: all, mostly */
	for (; i < f->n; i++) {
		char	 ch = f->p[i];

		if (ch == '\\' && i + 1 < f->n) {
			switch (f->p[++i]) {
			case 't': ch = '\t'; break;
			case 'n': ch = '\n'; break;
			case 'r': ch = '\r'; break;
			default: ch = f->p[i]; break;
			}
		}
		if (ch == '"' || ch == '\\')
			buf_putc(out, '\\');
		buf_putc(out, ch);
	}
	buf_putc(out, '"');
}

/* Two parallel text[] literals: the clients and field f of the given
 * rows (which[0..n), row indexes, or every row's if which is NULL). */
static void
arrays(const struct chunk *c, const long *which, long n, int f,
    struct buf *clients, struct buf *values)
{
	long	 i;

	buf_reset(clients);
	buf_reset(values);
	buf_putc(clients, '{');
	buf_putc(values, '{');
	for (i = 0; i < n; i++) {
		const struct row *r = &c->rows[which != NULL ? which[i] : i];

		if (i > 0) {
			buf_putc(clients, ',');
			buf_putc(values, ',');
		}
		buf_append(clients, r->f[F_CLIENT].p, r->f[F_CLIENT].n);
		array_element(values, &r->f[f]);
	}
	buf_putc(clients, '}');
	buf_putc(values, '}');
}

static int
by_lead_and_time(const void *a, const void *b)
{
	const struct row *x = *(const struct row *const *)a,
	    *y = *(const struct row *const *)b;
	int	 d = memcmp(x->lead_id, y->lead_id, sizeof(x->lead_id));
	size_t	 n = x->f[F_AT].n < y->f[F_AT].n ? x->f[F_AT].n : y->f[F_AT].n;

	if (d == 0 && (d = memcmp(x->f[F_AT].p, y->f[F_AT].p, n)) == 0)
		d = (x->f[F_AT].n > y->f[F_AT].n) - (x->f[F_AT].n < y->f[F_AT].n);
	return d;
}

static void
set_error(struct db *db, const char *msg)
{
	size_t	 n;

	snprintf(db->error, sizeof(db->error), "%s", msg ? msg : "");
	n = strlen(db->error);
	while (n > 0 && db->error[n - 1] == '\n')
		db->error[--n] = '\0';
}

/* COPY the kept rows (sorted) into the log. DB_CONFLICT on a unique
 * violation; the COPY is over either way. */
static int
copy_rows(struct db *db, struct row **sorted, long n, struct buf *out)
{
	PGresult	*res;
	const char	*state;
	long		 i;
	size_t		 k;
	int		 rc = DB_OK;

	buf_reset(out);
	for (i = 0; i < n; i++) {
		const struct row *r = sorted[i];

		buf_append(out, r->f[F_CLIENT].p, r->f[F_CLIENT].n);
		buf_putc(out, '\t');
		buf_puts(out, r->lead_id);
		for (k = 0; k < sizeof(log_fields) / sizeof(log_fields[0]);
		    k++) {
			buf_putc(out, '\t');
			buf_append(out, r->f[log_fields[k]].p,
			    r->f[log_fields[k]].n);
		}
		buf_putc(out, '\n');
	}
	if (buf_failed(out)) {
		set_error(db, "out of memory");
		return DB_ERROR;
	}
	res = PQexec(db->conn, stmt_defs[STMT_IMPORT_DIRECT_COPY].sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		set_error(db, PQresultErrorMessage(res));
		PQclear(res);
		return PQstatus(db->conn) == CONNECTION_OK ? DB_ERROR :
		    DB_UNAVAILABLE;
	}
	PQclear(res);
	if (PQputCopyData(db->conn, out->data, (int)out->len) != 1 ||
	    PQputCopyEnd(db->conn, NULL) != 1) {
		set_error(db, PQerrorMessage(db->conn));
		rc = DB_UNAVAILABLE;
	}
	while ((res = PQgetResult(db->conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == DB_OK) {
			set_error(db, PQresultErrorMessage(res));
			state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
			rc = PQstatus(db->conn) != CONNECTION_OK ?
			    DB_UNAVAILABLE : state != NULL &&
			    strcmp(state, "23505") == 0 ? DB_CONFLICT :
			    DB_BAD_INPUT;
		}
		PQclear(res);
	}
	return rc;
}

/* The probe, the leads, their ids and the COPY; DB_CONFLICT if the COPY
 * met a key stored since the probe. */
static int
direct(struct db *db, struct chunk *c, struct db_import_counts *n)
{
	struct set	 keys = { NULL, 0 }, leads = { NULL, 0 };
	struct buf	 a = { 0 }, b = { 0 };
	struct row	**sorted = NULL;
	const char	*params[2];
	long		*fresh = NULL, *kept = NULL, nfresh = 0, nkept = 0;
	long		 nsorted = 0, i, at;
	PGresult	*res = NULL;
	int		 rc = DB_ERROR;

	for (keys.cap = 16; keys.cap < (size_t)c->nrows * 2; keys.cap *= 2)
		;
	leads.cap = keys.cap;
	keys.slot = malloc(keys.cap * sizeof(long));
	leads.slot = malloc(leads.cap * sizeof(long));
	fresh = malloc(((size_t)c->nrows + 1) * sizeof(long));
	kept = malloc(((size_t)c->nrows + 1) * sizeof(long));
	sorted = malloc(((size_t)c->nrows + 1) * sizeof(*sorted));
	if (keys.slot == NULL || leads.slot == NULL || fresh == NULL ||
	    kept == NULL || sorted == NULL) {
		set_error(db, "out of memory");
		goto out;
	}
	memset(keys.slot, 0xff, keys.cap * sizeof(long));
	memset(leads.slot, 0xff, leads.cap * sizeof(long));

	/* A key twice in the chunk: its first row. A lead: once, and
	 * created if the run names it for the first time. */
	for (i = 0; i < c->nrows; i++) {
		struct row *r = &c->rows[i];

		r->keep = set_put(&keys, c, i, F_CLIENT, F_KEY) == -1;
		if ((at = set_put(&leads, c, i, F_CLIENT, F_LEAD_EXT)) == -1) {
			r->lead = c->nleads;
			c->leads[c->nleads++] = i;
			if (r->f[F_LEAD_NEW].n == 1 &&
			    r->f[F_LEAD_NEW].p[0] == 't')
				fresh[nfresh++] = i;
		} else
			r->lead = c->rows[at].lead;
	}

	/* The keys already stored: the probe answers ordinals in kept. */
	for (i = 0; i < c->nrows; i++)
		if (c->rows[i].keep)
			kept[nkept++] = i;
	arrays(c, kept, nkept, F_KEY, &a, &b);
	if (buf_failed(&a) || buf_failed(&b)) {
		set_error(db, "out of memory");
		rc = DB_ERROR;
		goto out;
	}
	params[0] = buf_str(&a);
	params[1] = buf_str(&b);
	if ((rc = db_exec(db, STMT_IMPORT_DIRECT_PROBE, params, &res)) !=
	    DB_OK)
		goto out;
	for (i = 0; i < PQntuples(res); i++) {
		long k = (long)db_store_int(res, (int)i, 0) - 1;

		if (k >= 0 && k < nkept)
			c->rows[kept[k]].keep = false;
	}
	PQclear(res);
	res = NULL;

	/* The leads: new ones created, then every one's id. */
	arrays(c, fresh, nfresh, F_LEAD_EXT, &a, &b);
	if (buf_failed(&a) || buf_failed(&b)) {
		set_error(db, "out of memory");
		rc = DB_ERROR;
		goto out;
	}
	params[0] = buf_str(&a);
	params[1] = buf_str(&b);
	if (nfresh > 0) {
		if ((rc = db_exec(db, STMT_IMPORT_DIRECT_LEADS, params,
		    &res)) != DB_OK)
			goto out;
		n->leads_created += db_store_int(res, 0, 0);
		PQclear(res);
		res = NULL;
	}
	arrays(c, c->leads, c->nleads, F_LEAD_EXT, &a, &b);
	if (buf_failed(&a) || buf_failed(&b)) {
		set_error(db, "out of memory");
		rc = DB_ERROR;
		goto out;
	}
	params[0] = buf_str(&a);
	params[1] = buf_str(&b);
	if ((rc = db_exec(db, STMT_IMPORT_DIRECT_LEAD_IDS, params, &res)) !=
	    DB_OK)
		goto out;
	for (i = 0; i < PQntuples(res); i++) {
		long k = (long)db_store_int(res, (int)i, 0) - 1;

		if (k >= 0 && k < c->nleads)
			snprintf(c->rows[c->leads[k]].lead_id,
			    sizeof(c->rows[0].lead_id), "%s",
			    PQgetvalue(res, (int)i, 1));
	}
	PQclear(res);
	res = NULL;

	/* The new rows, whose lead exists (as the staging path's JOIN), in
	 * lead and time order. */
	for (i = 0; i < c->nrows; i++) {
		struct row *r = &c->rows[i];

		memcpy(r->lead_id, c->rows[c->leads[r->lead]].lead_id,
		    sizeof(r->lead_id));
		if (r->keep && r->lead_id[0] != '\0')
			sorted[nsorted++] = r;
	}
	qsort(sorted, (size_t)nsorted, sizeof(*sorted), by_lead_and_time);
	if (nsorted > 0 && (rc = copy_rows(db, sorted, nsorted, &a)) != DB_OK)
		goto out;
	n->added += nsorted;
	rc = DB_OK;
out:
	PQclear(res);
	buf_free(&a);
	buf_free(&b);
	free(keys.slot);
	free(leads.slot);
	free(fresh);
	free(kept);
	free(sorted);
	return rc;
}

int
db_import_events_direct(struct db *db, const char *data, size_t len,
    struct db_import_counts *n, bool *direct_done)
{
	struct chunk		 c;
	struct db_import_counts	 got = { 0 };
	long			 lines = 0;
	size_t			 i;
	int			 rc;

	*direct_done = false;
	for (i = 0; i < len; i++)
		lines += data[i] == '\n';
	memset(&c, 0, sizeof(c));
	c.rows = calloc((size_t)lines + 1, sizeof(*c.rows));
	c.leads = malloc(((size_t)lines + 1) * sizeof(long));
	if (c.rows == NULL || c.leads == NULL) {
		free(c.rows);
		free(c.leads);
		set_error(db, "out of memory");
		return DB_ERROR;
	}
	if (!split_rows(data, len, &c)) {
		free(c.rows);
		free(c.leads);
		return DB_OK;
	}
	if ((rc = db_exec_script(db, "SAVEPOINT import_direct")) != DB_OK)
		goto out;
	rc = direct(db, &c, &got);
	if (rc == DB_CONFLICT) {
		/* A key stored since the probe: the whole chunk the staging
		 * way, from before its leads. */
		rc = db_exec_script(db, "ROLLBACK TO SAVEPOINT import_direct");
		goto out;
	}
	if (rc == DB_OK &&
	    (rc = db_exec_script(db, "RELEASE SAVEPOINT import_direct")) ==
	    DB_OK) {
		n->added += got.added;
		n->leads_created += got.leads_created;
		*direct_done = true;
	}
out:
	free(c.rows);
	free(c.leads);
	return rc;
}
