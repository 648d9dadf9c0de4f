/*
 * db_store: what the stores (db_<area>.c) share to copy a result out of
 * libpq into the structs they hand back, so the result can be cleared
 * before the caller sees anything. Only src/db/ uses it.
 */
#ifndef MINICRM_DB_STORE_H
#define MINICRM_DB_STORE_H

#include <stddef.h>
#include <libpq-fe.h>

/* Column col of row row as a number; SQL NULL (or no such row) is 0. */
long long	 db_store_int(const PGresult *, int row, int col);

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

#endif
