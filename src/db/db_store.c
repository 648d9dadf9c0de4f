/* db_store: copying results out of libpq for the stores (see db_store.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "db_store.h"

long long
db_store_int(const PGresult *res, int row, int col)
{
	if (row >= PQntuples(res) || PQgetisnull(res, row, col))
		return 0;
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

bool
db_store_bool(const PGresult *res, int row, int col)
{
	if (row >= PQntuples(res) || PQgetisnull(res, row, col))
		return false;
	return PQgetvalue(res, row, col)[0] == 't';
}

void *
db_store_alloc(const PGresult *res, size_t rowsize, const int *textcols,
    size_t ntext, char **pool)
{
	size_t	 n = (size_t)PQntuples(res), text = 0, i, c;
	char	*block;

	for (i = 0; i < n; i++)
		for (c = 0; c < ntext; c++)
			text += (size_t)PQgetlength(res, (int)i,
			    textcols[c]) + 1;
	if ((block = malloc(n * rowsize + text + 1)) == NULL)
		return NULL;
	*pool = block + n * rowsize;
	return block;
}

char *
db_store_text(char **pool, const PGresult *res, int row, int col)
{
	char	*out = *pool;
	size_t	 len = (size_t)PQgetlength(res, row, col);

	memcpy(out, PQgetvalue(res, row, col), len);
	out[len] = '\0';
	*pool += len + 1;
	return out;
}

char *
db_store_text_null(char **pool, const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col)) {
		*pool += 1;	/* db_store_alloc counted its NUL */
		return NULL;
	}
	return db_store_text(pool, res, row, col);
}

int
db_store_copy(PGresult *res, size_t rowsize, const struct db_field *fields,
    size_t nfields, void **rows, size_t *n)
{
	int		 text[64];
	size_t		 ntext = 0, f;
	char		*block, *pool;
	int		 i;

	*rows = NULL;
	*n = 0;
	if (nfields > sizeof(text) / sizeof(text[0])) {	/* a table's bug */
		PQclear(res);
		return DB_ERROR;
	}
	for (f = 0; f < nfields; f++)
		if (fields[f].type == DB_FIELD_TEXT ||
		    fields[f].type == DB_FIELD_TEXT_NULL)
			text[ntext++] = fields[f].col;
	if ((block = db_store_alloc(res, rowsize, text, ntext, &pool)) ==
	    NULL) {
		PQclear(res);
		return DB_ERROR;
	}
	for (i = 0; i < PQntuples(res); i++) {
		char *row = block + (size_t)i * rowsize;

		for (f = 0; f < nfields; f++) {
			const struct db_field	*d = &fields[f];
			const char		*s;
			long long		 v;
			bool			 b;

			switch (d->type) {
			case DB_FIELD_TEXT:
			case DB_FIELD_TEXT_NULL:
				s = d->type == DB_FIELD_TEXT ?
				    db_store_text(&pool, res, i, d->col) :
				    db_store_text_null(&pool, res, i, d->col);
				memcpy(row + d->offset, &s, sizeof(s));
				break;
			case DB_FIELD_INT:
				v = db_store_int(res, i, d->col);
				memcpy(row + d->offset, &v, sizeof(v));
				break;
			case DB_FIELD_BOOL:
				b = PQgetvalue(res, i, d->col)[0] == 't';
				memcpy(row + d->offset, &b, sizeof(b));
				break;
			}
		}
	}
	*rows = block;
	*n = (size_t)PQntuples(res);
	PQclear(res);
	return DB_OK;
}

int
db_store_rows(struct db *db, enum stmt st, const char *const *params,
    size_t rowsize, const struct db_field *fields, size_t nfields,
    void **rows, size_t *n)
{
	PGresult	*res;
	int		 rc;

	*rows = NULL;
	*n = 0;
	if ((rc = db_exec(db, st, params, &res)) != DB_OK)
		return rc;
	if ((rc = db_store_copy(res, rowsize, fields, nfields, rows, n)) !=
	    DB_OK)
		snprintf(db->error, sizeof(db->error), "out of memory");
	return rc;
}

int
db_store_row(struct db *db, enum stmt st, const char *const *params,
    size_t rowsize, const struct db_field *fields, size_t nfields,
    void **row)
{
	size_t	n;
	int	rc;

	rc = db_store_rows(db, st, params, rowsize, fields, nfields, row, &n);
	if (rc == DB_OK && n == 0) {
		free(*row);
		*row = NULL;
	}
	return rc;
}

void
db_store_text_fields(struct db_field *fields, size_t n, size_t base)
{
	size_t i;

	for (i = 0; i < n; i++) {
		fields[i].col = (int)i;
		fields[i].type = DB_FIELD_TEXT_NULL;
		fields[i].offset = base + i * sizeof(const char *);
	}
}
