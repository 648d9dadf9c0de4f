/* db_store: copying results out of libpq for the stores (see db_store.h). */
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
