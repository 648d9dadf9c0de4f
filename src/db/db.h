/*
 * db: one libpq connection with the statements of sql.h prepared on it.
 *
 * A connection belongs to one thread. It reconnects by itself: a connection
 * that the server closed (restart, failover) is noticed before the next
 * statement is sent and is opened again, so a worker never needs a restart
 * after the database comes back. Errors are mapped to what they mean for a
 * request (enum db_status), never to an exit.
 */
#ifndef MINICRM_DB_H
#define MINICRM_DB_H

#include <stdbool.h>

#include "sql.h"

/* libpq's own types, by their struct names: only the stores (src/db/)
 * include libpq-fe.h and read results; everyone else passes a struct db
 * along and never sees a connection or a result. */
struct pg_conn;
struct pg_result;

enum db_status {
	DB_OK = 0,
	DB_UNAVAILABLE = -1,	/* cannot reach the server: answer 503 */
	DB_CONFLICT = -2,	/* unique violation */
	DB_RETRY = -3,		/* deadlock or serialization failure */
	DB_BAD_INPUT = -4,	/* the server refused a value (22xxx, 23xxx) */
	DB_ERROR = -5		/* anything else: answer 500 */
};

struct db {
	struct pg_conn	*conn;
	char	*conninfo;
	bool	 prepared[STMT__MAX];
	bool	 in_transaction;	/* never reconnect inside one */
	char	 error[256];	/* the last error's message, for logs */
};

/* Remember conninfo (copied) and try to connect. Returns a db_status. */
int		 db_open(struct db *, const char *conninfo);
/*
 * db_open with the application's URL (MINICRM_APP_DATABASE_URL). Returns
 * -1, having logged how to set it, if there is none; otherwise 0, even if
 * the database is not reachable yet (logged: it reconnects on first use).
 */
int		 db_open_app(struct db *);
/* Close the connection and free what db_open allocated. NULL-safe. */
void		 db_close(struct db *);
/* Connected and usable now (reconnecting if the server went away)? */
int		 db_ensure(struct db *);

/*
 * Run a prepared statement with text parameters (NULL values are SQL NULL).
 * On DB_OK *out holds the result (a PGresult), which the caller — a store
 * in src/db/ — frees with PQclear(); otherwise *out is NULL and db->error
 * says why.
 */
int		 db_exec(struct db *, enum stmt, const char *const *params,
		    struct pg_result **out) __attribute__((warn_unused_result));

/* db_exec for a statement whose result does not matter beyond success
 * (an UPDATE, a lock): the result is cleared here. A db_status. */
int		 db_run(struct db *, enum stmt, const char *const *params)
		    __attribute__((warn_unused_result));

/* Run SQL text (possibly several statements) without parameters. */
int		 db_exec_script(struct db *, const char *sql)
		    __attribute__((warn_unused_result));

/* Transaction control on this connection. */
int		 db_begin(struct db *) __attribute__((warn_unused_result));
int		 db_commit(struct db *) __attribute__((warn_unused_result));
void		 db_rollback(struct db *);

const char	*db_status_text(int);

#endif
