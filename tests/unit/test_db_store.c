/*
 * test_db_store: the stores copy a result out of libpq whole — every row's
 * text in one allocation the caller frees, NULLs as "" or 0 — so a store
 * can clear its PGresult before the caller reads anything. Results are
 * made by hand (PQmakeEmptyPGresult), no server needed.
 */
#include <stdlib.h>

#include "check.h"
#include "db_store.h"

struct row {
	const char	*name;
	long long	 n;
	const char	*when;
};

/* A result with columns name, n, when and the rows given (NULL: SQL NULL). */
static PGresult *
result(const char *const cells[][3], int rows)
{
	PGresAttDesc	 cols[3];
	PGresult	*res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	const char	*names[3] = { "name", "n", "when" };
	int		 r, c;

	memset(cols, 0, sizeof(cols));
	for (c = 0; c < 3; c++) {
		cols[c].name = (char *)names[c];
		cols[c].typid = 25;	/* text */
		cols[c].typlen = -1;
	}
	PQsetResultAttrs(res, 3, cols);
	for (r = 0; r < rows; r++)
		for (c = 0; c < 3; c++)
			PQsetvalue(res, r, c, (char *)cells[r][c],
			    cells[r][c] ? (int)strlen(cells[r][c]) : -1);
	return res;
}

static void
copy_rows(void)
{
	static const char *const cells[][3] = {
		{ "call_booked", "42", "2026-11-27 09:00:00" },
		{ "", NULL, NULL },
		{ "Müller <b>", "-7", "x" },
	};
	static const int text[] = { 0, 2 };
	PGresult	*res = result(cells, 3);
	struct row	*rows;
	char		*pool;
	int		 i;

	rows = db_store_alloc(res, sizeof(*rows), text, 2, &pool);
	CHECK(rows != NULL);
	for (i = 0; rows != NULL && i < 3; i++) {
		rows[i].name = db_store_text(&pool, res, i, 0);
		rows[i].n = db_store_int(res, i, 1);
		rows[i].when = db_store_text(&pool, res, i, 2);
	}
	/* The copies outlive the result. */
	PQclear(res);
	if (rows == NULL)
		return;
	CHECK_STR("row 0 name", rows[0].name, "call_booked");
	CHECK_I64("row 0 n", rows[0].n, 42);
	CHECK_STR("row 0 when", rows[0].when, "2026-11-27 09:00:00");
	CHECK_STR("an empty text stays empty", rows[1].name, "");
	CHECK_I64("a NULL number reads 0", rows[1].n, 0);
	CHECK_STR("a NULL text reads \"\"", rows[1].when, "");
	CHECK_STR("UTF-8 and markup pass as they are", rows[2].name,
	    "Müller <b>");
	CHECK_I64("negative numbers", rows[2].n, -7);
	CHECK_STR("row 2 when", rows[2].when, "x");
	free(rows);
}

static void
no_rows(void)
{
	static const int text[] = { 0 };
	PGresult	*res = result(NULL, 0);
	struct row	*rows;
	char		*pool;

	rows = db_store_alloc(res, sizeof(*rows), text, 1, &pool);
	CHECK(rows != NULL);	/* never NULL for zero rows: free() it */
	CHECK_I64("no row reads 0", db_store_int(res, 0, 1), 0);
	free(rows);
	PQclear(res);
}

/* db_store_text_null keeps SQL NULL apart from "" and keeps the pool's
 * place, so the columns after it still fit. */
static void
null_kept(void)
{
	static const char *const cells[][3] = {
		{ "", NULL, NULL },
		{ NULL, "1", "after a NULL" },
	};
	static const int text[] = { 0, 2 };
	PGresult	*res = result(cells, 2);
	struct row	*rows;
	char		*pool;
	int		 i;

	rows = db_store_alloc(res, sizeof(*rows), text, 2, &pool);
	CHECK(rows != NULL);
	for (i = 0; rows != NULL && i < 2; i++) {
		rows[i].name = db_store_text_null(&pool, res, i, 0);
		rows[i].when = db_store_text_null(&pool, res, i, 2);
	}
	PQclear(res);
	if (rows == NULL)
		return;
	CHECK_STR("an empty text stays empty", rows[0].name, "");
	CHECK_STR("a NULL text is NULL", rows[0].when, NULL);
	CHECK_STR("a NULL first column is NULL", rows[1].name, NULL);
	CHECK_STR("the text after a NULL", rows[1].when, "after a NULL");
	free(rows);
}

/* The same rows through a field table: no loop of the store's own. */
static void
copy_by_table(void)
{
	static const char *const cells[][3] = {
		{ "call_booked", "42", "2026-11-27 09:00:00" },
		{ "", NULL, NULL },
		{ "t", "-7", "x" },
	};
	struct flagged {
		const char	*name;
		long long	 n;
		const char	*when;
		bool		 yes;
	};
	static const struct db_field fields[] = {
		DB_FIELD(DB_FIELD_TEXT, struct flagged, name, 0),
		DB_FIELD(DB_FIELD_INT, struct flagged, n, 1),
		DB_FIELD(DB_FIELD_TEXT_NULL, struct flagged, when, 2),
		DB_FIELD(DB_FIELD_BOOL, struct flagged, yes, 0),
	};
	struct flagged	*rows;
	void		*out;
	size_t		 n;

	CHECK_I64("copied", db_store_copy(result(cells, 3), sizeof(*rows),
	    fields, 4, &out, &n), DB_OK);
	rows = out;
	CHECK_I64("every row", n, 3);
	CHECK_STR("text", rows[0].name, "call_booked");
	CHECK_I64("a number", rows[0].n, 42);
	CHECK_STR("text beside it", rows[0].when, "2026-11-27 09:00:00");
	CHECK(!rows[0].yes);
	CHECK_STR("SQL NULL as text: \"\"", rows[1].name, "");
	CHECK_I64("SQL NULL as a number: 0", rows[1].n, 0);
	CHECK(rows[1].when == NULL);	/* TEXT_NULL keeps the NULL */
	CHECK_I64("a negative number", rows[2].n, -7);
	CHECK(rows[2].yes);		/* 't' */
	free(rows);

	CHECK_I64("no rows: still a block to free",
	    db_store_copy(result(cells, 0), sizeof(*rows), fields, 4, &out,
	    &n), DB_OK);
	CHECK_I64("and none counted", n, 0);
	free(out);
}

int
main(void)
{
	copy_rows();
	copy_by_table();
	no_rows();
	null_kept();
	return check_done("test_db_store");
}
