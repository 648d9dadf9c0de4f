/* sql: the statement table (see sql.h). */
#include "sql.h"

const struct stmt_def stmt_defs[STMT__MAX] = {
	[STMT_PING] = { "ping", 0, "SELECT 1" },
	[STMT_LOG_BATCH] = { "log_batch", 1,
	    "SELECT ord, id, duplicate FROM log_activity_batch($1::jsonb)" },
	[STMT_HEALTH] = { "health", 1,
	    "SELECT events_last_hour, events_last_24h, retry_queue_size,"
	    " oldest_retry_age_seconds,"
	    " to_char(last_event_at AT TIME ZONE 'UTC',"
	    "  'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
	    " uncompacted_rows,"
	    " extract(isodow FROM now() AT TIME ZONE $1)::int,"
	    " extract(hour FROM now() AT TIME ZONE $1)::int"
	    " FROM activity_health()" },
	[STMT_COUNTS_COMPACT] = { "counts_compact", 0,
	    "SELECT activity_counts_compact()" },
	[STMT_APIKEY_BY_PREFIX] = { "apikey_by_prefix", 1,
	    "SELECT id, key_hash, client_id, revoked_at IS NOT NULL"
	    " FROM api_keys WHERE prefix = $1" },
	[STMT_APIKEY_TOUCH] = { "apikey_touch", 1,
	    "UPDATE api_keys SET last_used_at = now() WHERE id = $1"
	    " AND (last_used_at IS NULL"
	    "  OR last_used_at < now() - interval '1 minute')" },
	[STMT_APIKEY_INSERT] = { "apikey_insert", 4,
	    "INSERT INTO api_keys (name, prefix, key_hash, client_id)"
	    " VALUES ($1, $2, decode($3, 'hex'), $4) RETURNING id" },
	[STMT_APIKEY_LIST] = { "apikey_list", 0,
	    "SELECT k.id, k.name, k.prefix, coalesce(c.slug, '*'),"
	    " to_char(k.created_at, 'YYYY-MM-DD HH24:MI'),"
	    " coalesce(to_char(k.last_used_at, 'YYYY-MM-DD HH24:MI'), 'never'),"
	    " CASE WHEN k.revoked_at IS NULL THEN 'live' ELSE 'revoked' END"
	    " FROM api_keys k LEFT JOIN clients c ON c.id = k.client_id"
	    " ORDER BY k.created_at, k.name" },
	[STMT_APIKEY_REVOKE] = { "apikey_revoke", 1,
	    "UPDATE api_keys SET revoked_at = now()"
	    " WHERE (id::text = $1 OR prefix = $1 OR name = $1)"
	    " AND revoked_at IS NULL RETURNING id, name" },
	[STMT_CLIENTS_ALL] = { "clients_all", 0,
	    "SELECT id, slug FROM clients ORDER BY slug" },
	[STMT_CLIENT_BY_SLUG] = { "client_by_slug", 1,
	    "SELECT id FROM clients WHERE slug = $1" },
	[STMT_CLIENT_INSERT] = { "client_insert", 2,
	    "WITH ins AS (INSERT INTO clients (slug, name) VALUES ($1, $2)"
	    " ON CONFLICT (slug) DO NOTHING RETURNING id)"
	    " SELECT id FROM ins UNION ALL"
	    " SELECT id FROM clients WHERE slug = $1 LIMIT 1" },
	[STMT_EVENT_TYPES_ALL] = { "event_types_all", 0,
	    "SELECT name FROM event_types ORDER BY name" },
	[STMT_MIGRATIONS_TABLE] = { "migrations_table", 0,
	    "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " version integer PRIMARY KEY, name text NOT NULL,"
	    " checksum text NOT NULL,"
	    " applied_at timestamptz NOT NULL DEFAULT now())" },
	[STMT_MIGRATIONS_LIST] = { "migrations_list", 0,
	    "SELECT version, name, checksum,"
	    " to_char(applied_at, 'YYYY-MM-DD HH24:MI:SS')"
	    " FROM schema_migrations ORDER BY version" },
	[STMT_MIGRATION_RECORD] = { "migration_record", 3,
	    "INSERT INTO schema_migrations (version, name, checksum)"
	    " VALUES ($1, $2, $3)" },
	[STMT_MIGRATION_FORGET] = { "migration_forget", 1,
	    "DELETE FROM schema_migrations WHERE version = $1" },
	[STMT_MIGRATE_LOCK] = { "migrate_lock", 0,
	    "SELECT pg_advisory_xact_lock(hashtext('minicrm.migrate'))" },
};
