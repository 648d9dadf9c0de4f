/*
 * sql: every SQL statement the programs run, in one place. Each is a
 * constant string with $n parameters, named by its enum and prepared once
 * per connection (lazily, on first use) under that name.
 */
#ifndef MINICRM_SQL_H
#define MINICRM_SQL_H

enum stmt {
	STMT_PING,
	STMT_LOG_BATCH,
	STMT_HEALTH,
	STMT_COUNTS_COMPACT,
	STMT_APIKEY_BY_PREFIX,
	STMT_APIKEY_TOUCH,
	STMT_APIKEY_INSERT,
	STMT_APIKEY_LIST,
	STMT_APIKEY_REVOKE,
	STMT_CLIENTS_ALL,
	STMT_CLIENT_BY_SLUG,
	STMT_CLIENT_INSERT,
	STMT_EVENT_TYPES_ALL,
	STMT_MIGRATIONS_TABLE,
	STMT_MIGRATIONS_LIST,
	STMT_MIGRATION_RECORD,
	STMT_MIGRATION_FORGET,
	STMT_MIGRATE_LOCK,
	STMT_ADMIN_USER_INSERT,
	STMT_ADMIN_USER_LIST,
	STMT_ADMIN_USER_BY_EMAIL,
	STMT_ADMIN_USER_REHASH,
	STMT_ADMIN_SESSION_INSERT,
	STMT_ADMIN_SESSION_LOOKUP,
	STMT_ADMIN_SESSION_DELETE,
	STMT_ADMIN_SESSION_PURGE,
	STMT_LOGIN_ATTEMPT,
	STMT_LOGIN_ATTEMPT_FORGET,
	STMT_LOGIN_FAILURES_CLEAR,
	STMT_DASH_WEEKLY,
	STMT_DASH_DAILY,
	STMT__MAX
};

struct stmt_def {
	const char	*name;		/* prepared statement name */
	int		 nparams;
	const char	*sql;
};

extern const struct stmt_def stmt_defs[STMT__MAX];

#endif
