/*
 * test_db_backup.c - db_conninfo_env: the connection URL pg_dump and
 * pg_restore get as libpq's environment, so that no password (nor the URL
 * that holds it) is ever on their command line: every setting of a URL or
 * a key=value string becomes its PG* variable, percent-escapes decoded,
 * nothing else is added, and a string that does not parse is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_backup.h"
#include "check.h"

/* The value of NAME in env, or NULL. */
static const char *
env_get(char **env, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; env[i] != NULL; i++)
		if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
			return env[i] + n + 1;
	return NULL;
}

static size_t
env_count(char **env)
{
	size_t n = 0;

	while (env[n] != NULL)
		n++;
	return n;
}

static void
test_url(void)
{
	char	 error[256];
	char	**env = db_conninfo_env("postgresql://minicrm_owner:"
	    "s3cr%40t%2Fpw@/minicrm?host=/tmp/pg%20run/sock", error,
	    sizeof(error));

	CHECK(env != NULL);
	if (env == NULL)
		return;
	CHECK_STR("user", env_get(env, "PGUSER"), "minicrm_owner");
	CHECK_STR("password, decoded", env_get(env, "PGPASSWORD"), "s3cr@t/pw");
	CHECK_STR("database", env_get(env, "PGDATABASE"), "minicrm");
	CHECK_STR("socket folder", env_get(env, "PGHOST"), "/tmp/pg run/sock");
	CHECK_I64("only the four settings", env_count(env), 4);
	db_conninfo_env_free(env);
}

static void
test_keywords(void)
{
	char	 error[256];
	char	**env = db_conninfo_env("host=db.example.com port=5433 "
	    "dbname=crm user=app password='a b' sslmode=require "
	    "connect_timeout=5", error, sizeof(error));

	CHECK(env != NULL);
	if (env == NULL)
		return;
	CHECK_STR("host", env_get(env, "PGHOST"), "db.example.com");
	CHECK_STR("port", env_get(env, "PGPORT"), "5433");
	CHECK_STR("password with a space", env_get(env, "PGPASSWORD"), "a b");
	CHECK_STR("sslmode", env_get(env, "PGSSLMODE"), "require");
	CHECK_STR("timeout", env_get(env, "PGCONNECT_TIMEOUT"), "5");
	CHECK_I64("seven settings", env_count(env), 7);
	db_conninfo_env_free(env);
}

static void
test_refused(void)
{
	char	 error[256] = "";
	char	**env;

	env = db_conninfo_env("postgresql://u@/db?nosuchoption=1", error,
	    sizeof(error));
	CHECK(env == NULL);
	CHECK(strstr(error, "does not parse") != NULL);
	env = db_conninfo_env("host=x password='unterminated", error,
	    sizeof(error));
	CHECK(env == NULL);
	db_conninfo_env_free(NULL);
}

int
main(void)
{
	test_url();
	test_keywords();
	test_refused();
	return check_done("test_db_backup");
}
