/*
 * test_db_migrate: the migrator runs each file with the roles renamed for
 * the instance (minicrm_app -> <prefix>_app, minicrm_n8n -> <prefix>_n8n,
 * whole identifiers only), so a second instance's migrations never grant
 * to the first one's roles; and it refuses a prefix that is not a plain
 * role name, since the prefix is spliced into SQL.
 */
#include <stdlib.h>

#include "check.h"
#include "db_migrate.h"

static struct buf out = BUF_INIT;	/* freed at the end of main */

/* sql renamed for prefix, in out, for the checks. */
static const char *
renamed(const char *sql, const char *prefix)
{
	buf_reset(&out);
	CHECK(db_migrate_roles(sql, prefix, &out) == 0);
	return buf_str(&out);
}

static void
roles_renamed(void)
{
	CHECK_STR("a grant to the app role",
	    renamed("GRANT SELECT ON leads TO minicrm_app;", "staging"),
	    "GRANT SELECT ON leads TO staging_app;");
	CHECK_STR("the n8n role, and both in one statement",
	    renamed("GRANT USAGE ON s TO minicrm_n8n, minicrm_app;", "crm2"),
	    "GRANT USAGE ON s TO crm2_n8n, crm2_app;");
	CHECK_STR("the quoted name of the role a DO block creates",
	    renamed("WHERE rolname = 'minicrm_app') THEN\n"
	    "\tCREATE ROLE minicrm_app NOLOGIN;", "b"),
	    "WHERE rolname = 'b_app') THEN\n\tCREATE ROLE b_app NOLOGIN;");
	CHECK_STR("at the very start and end of the text",
	    renamed("minicrm_n8n", "p"), "p_n8n");
	CHECK_STR("the default database keeps the names as written",
	    renamed("REVOKE ALL ON t FROM minicrm_app;", "minicrm"),
	    "REVOKE ALL ON t FROM minicrm_app;");
}

static void
others_kept(void)
{
	const char *sql = "SELECT minicrm_apps, xminicrm_app, minicrm_app2,"
	    " minicrm_app$x, minicrm_owner, minicrm.migrate, minicrm_ FROM t";

	CHECK_STR("longer identifiers and other roles are left alone",
	    renamed(sql, "other"), sql);
	CHECK_STR("no role at all: the text unchanged",
	    renamed("CREATE TABLE t (x int);", "other"),
	    "CREATE TABLE t (x int);");
	CHECK_STR("empty text", renamed("", "other"), "");
}

static void
prefixes(void)
{
	char	 longest[DB_MIGRATE_PREFIX_MAX + 2];

	CHECK(db_migrate_prefix_ok("minicrm"));
	CHECK(db_migrate_prefix_ok("crm_staging2"));
	CHECK(db_migrate_prefix_ok("_x"));
	CHECK(!db_migrate_prefix_ok(""));
	CHECK(!db_migrate_prefix_ok("2crm"));		/* a digit first */
	CHECK(!db_migrate_prefix_ok("crm-staging"));	/* not an identifier */
	CHECK(!db_migrate_prefix_ok("Crm"));		/* folded unquoted */
	CHECK(!db_migrate_prefix_ok("a;DROP"));
	CHECK(!db_migrate_prefix_ok("a b"));
	memset(longest, 'a', sizeof(longest) - 2);
	longest[sizeof(longest) - 2] = '\0';
	CHECK(db_migrate_prefix_ok(longest));	/* _owner still fits in 63 */
	longest[sizeof(longest) - 2] = 'a';
	longest[sizeof(longest) - 1] = '\0';
	CHECK(!db_migrate_prefix_ok(longest));
}

int
main(void)
{
	roles_renamed();
	others_kept();
	prefixes();
	buf_free(&out);
	return check_done("test_db_migrate");
}
