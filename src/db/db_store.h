/*
 * db_store: what the stores (db_<area>.c) share to copy a result out of
 * libpq into the structs they hand back, so the result can be cleared
 * before the caller sees anything. Only src/db/ uses it.
 */
#ifndef MINICRM_DB_STORE_H
#define MINICRM_DB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "db.h"

/* Column col of row row as a number; SQL NULL (or no such row) is 0. */
long long	 db_store_int(const PGresult *, int row, int col);
/* Column col of row row as a boolean: true if it is 't'; SQL NULL (or no
 * such row) is false. */
bool		 db_store_bool(const PGresult *, int row, int col);

/*
 * One allocation for every row of res: nrows structs of rowsize bytes,
 * followed by room for the text of the columns in textcols (each value
 * with its NUL) of every row, at *pool. Returns the block (free() it), or
 * NULL if memory ran out. Never NULL for zero rows.
 */
void		*db_store_alloc(const PGresult *, size_t rowsize,
		    const int *textcols, size_t ntext, char **pool);

/*
 * Copy column col of row row into the pool db_store_alloc made room for,
 * and move *pool past it. Returns the copy ("" for SQL NULL).
 */
char		*db_store_text(char **pool, const PGresult *, int row, int col);
/* db_store_text, but NULL for SQL NULL (for fields a page leaves out). */
char		*db_store_text_null(char **pool, const PGresult *, int row,
		    int col);

/*
 * A row's field in a store's struct, and the column it is read from: the
 * table a list function hands db_store_rows instead of a loop of its own.
 */
enum db_field_type {
	DB_FIELD_TEXT,		/* const char *: the text ("" for NULL) */
	DB_FIELD_TEXT_NULL,	/* const char *: the text, NULL for NULL */
	DB_FIELD_INT,		/* long long: the number (0 for NULL) */
	DB_FIELD_BOOL		/* bool: the column is 't' */
};

struct db_field {
	int			 col;
	enum db_field_type	 type;
	size_t			 offset;	/* offsetof() the field */
};

#define DB_FIELD(type, st, member, col)	{ (col), (type), offsetof(st, member) }

/*
 * Copy every row of res into one allocation of rowsize-byte structs,
 * each filled as fields[0..nfields) say (the text lives in the same
 * block), and clear res. *rows (*n of them) is the caller's to free(),
 * also when there are none. Returns DB_OK, or DB_ERROR when memory ran
 * out or there are more than 64 fields (*rows NULL, *n 0).
 */
int		 db_store_copy(PGresult *res, size_t rowsize,
		    const struct db_field *fields, size_t nfields, void **rows,
		    size_t *n) __attribute__((warn_unused_result));

/* Run statement st with params, then db_store_copy its rows. Returns a
 * db_status (DB_ERROR with db->error "out of memory" if the copy failed). */
int		 db_store_rows(struct db *, enum stmt st,
		    const char *const *params, size_t rowsize,
		    const struct db_field *fields, size_t nfields, void **rows,
		    size_t *n) __attribute__((warn_unused_result));

/*
 * db_store_rows for a statement of at most one row: *row the copy (the
 * caller's to free()), or NULL when there was none. Returns a db_status.
 */
int		 db_store_row(struct db *, enum stmt st,
		    const char *const *params, size_t rowsize,
		    const struct db_field *fields, size_t nfields, void **row)
		    __attribute__((warn_unused_result));

/*
 * A field table of n columns, every one as text or NULL (DB_FIELD_TEXT_NULL)
 * into an array of const char * at offset base of the row's struct: column
 * i into element i.
 */
void		 db_store_text_fields(struct db_field *fields, size_t n,
		    size_t base);

#endif
