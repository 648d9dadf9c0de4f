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
	/* The admin portal's access (auth.h); hashes travel as hex. */
	[STMT_ADMIN_USER_INSERT] = { "admin_user_insert", 3,
	    "INSERT INTO admin_users (email, password_hash, role)"
	    " VALUES ($1, $2, $3) RETURNING id" },
	[STMT_ADMIN_USER_LIST] = { "admin_user_list", 0,
	    "SELECT id, email, role, to_char(created_at, 'YYYY-MM-DD HH24:MI'),"
	    " CASE WHEN disabled_at IS NULL THEN 'active' ELSE 'disabled' END"
	    " FROM admin_users ORDER BY lower(email)" },
	[STMT_ADMIN_USER_BY_EMAIL] = { "admin_user_by_email", 1,
	    "SELECT id, password_hash, role, disabled_at IS NOT NULL, email"
	    " FROM admin_users WHERE lower(email) = lower($1)" },
	[STMT_ADMIN_USER_REHASH] = { "admin_user_rehash", 2,
	    "UPDATE admin_users SET password_hash = $2 WHERE id = $1" },
	[STMT_ADMIN_SESSION_INSERT] = { "admin_session_insert", 3,
	    "INSERT INTO admin_sessions (token_hash, user_id, expires_at)"
	    " VALUES (decode($1, 'hex'), $2,"
	    "  now() + $3::int * interval '1 second')" },
	/* Found, not expired either way, user not disabled; last_seen_at is
	 * written at most once a minute, not on every request. */
	[STMT_ADMIN_SESSION_LOOKUP] = { "admin_session_lookup", 2,
	    "WITH s AS (SELECT s.id, s.last_seen_at, u.id AS user_id, u.email,"
	    "  u.role FROM admin_sessions s"
	    "  JOIN admin_users u ON u.id = s.user_id"
	    "  WHERE s.token_hash = decode($1, 'hex') AND s.expires_at > now()"
	    "  AND s.last_seen_at > now() - $2::int * interval '1 second'"
	    "  AND u.disabled_at IS NULL),"
	    " t AS (UPDATE admin_sessions SET last_seen_at = now()"
	    "  WHERE id IN (SELECT id FROM s"
	    "   WHERE last_seen_at < now() - interval '1 minute'))"
	    " SELECT user_id, email, role FROM s" },
	[STMT_ADMIN_SESSION_DELETE] = { "admin_session_delete", 1,
	    "DELETE FROM admin_sessions WHERE token_hash = decode($1, 'hex')" },
	[STMT_ADMIN_SESSION_PURGE] = { "admin_session_purge", 1,
	    "DELETE FROM admin_sessions WHERE expires_at <= now()"
	    " OR last_seen_at <= now() - $1::int * interval '1 second'" },
	/*
	 * Record an attempt before its password is checked (so concurrent
	 * guesses see each other) and count the earlier ones in the window
	 * for the address and for the account, with the age in seconds of
	 * the oldest of each; the new row is not in the statement's snapshot.
	 * Also forgets attempts older than a day, so the table stays small.
	 */
	[STMT_LOGIN_ATTEMPT] = { "login_attempt", 3,
	    "WITH old AS (DELETE FROM login_attempts"
	    "  WHERE at < now() - interval '1 day'),"
	    " ins AS (INSERT INTO login_attempts (address, email)"
	    "  VALUES (left($1, 64), left(lower($2), 254)) RETURNING id)"
	    " SELECT (SELECT id FROM ins),"
	    " count(*) FILTER (WHERE address = left($1, 64)),"
	    " count(*) FILTER (WHERE email = left(lower($2), 254)),"
	    " coalesce(extract(epoch FROM now() - min(at)"
	    "  FILTER (WHERE address = left($1, 64)))::int, 0),"
	    " coalesce(extract(epoch FROM now() - min(at)"
	    "  FILTER (WHERE email = left(lower($2), 254)))::int, 0)"
	    " FROM login_attempts"
	    " WHERE at > now() - $3::int * interval '1 second'"
	    " AND (address = left($1, 64) OR email = left(lower($2), 254))" },
	/* An attempt that was refused unchecked, or succeeded. */
	[STMT_LOGIN_ATTEMPT_FORGET] = { "login_attempt_forget", 1,
	    "DELETE FROM login_attempts WHERE id = $1" },
	/* After a success: that account's failures from that address only,
	 * so a user logging in does not wipe an attacker's count elsewhere. */
	[STMT_LOGIN_FAILURES_CLEAR] = { "login_failures_clear", 2,
	    "DELETE FROM login_attempts"
	    " WHERE email = left(lower($1), 254) AND address = left($2, 64)" },
	/* The SOP's weekly query, from the counts (not the log): events
	 * per type over 7 days, and the newest, found in its last bucket. */
	[STMT_DASH_WEEKLY] = { "dash_weekly", 0,
	    "SELECT w.event_type, w.events,"
	    " to_char((SELECT max(a.created_at) FROM lead_activity_log a"
	    "   WHERE a.event_type = w.event_type AND a.created_at >= w.last),"
	    "  'YYYY-MM-DD HH24:MI:SS')"
	    " FROM (SELECT event_type, sum(events) AS events, max(bucket) AS last"
	    "  FROM activity_counts WHERE bucket > now() - interval '7 days'"
	    "  GROUP BY event_type) w ORDER BY w.events DESC, w.event_type" },
	/* Events per day and type for the last 14 days (UTC days). */
	[STMT_DASH_DAILY] = { "dash_daily", 0,
	    "SELECT to_char(bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD'),"
	    " event_type, sum(events)"
	    " FROM activity_counts"
	    " WHERE bucket >= (date_trunc('day', now() AT TIME ZONE 'UTC')"
	    "  - interval '13 days') AT TIME ZONE 'UTC'"
	    " GROUP BY 1, 2 ORDER BY 1, 2" },
};
