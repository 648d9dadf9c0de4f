#!/usr/bin/env bash
# The database side: migrations (order, checksums, rollback), the
# application role's least privilege, the SOP's runbook SQL unchanged,
# make psql, and an instance on an existing database (DATABASE_URL).
source "$(dirname "$0")/lib.sh"

APP_URL=$(sed -n "s/^MINICRM_APP_DATABASE_URL='\(.*\)'$/\1/p" "$MINICRM_CONF")
app_sql() { psql "$APP_URL" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }

# --- migrations, on a database of their own
superuser_sql "DROP DATABASE IF EXISTS minicrm_migtest" >/dev/null 2>&1
superuser_sql "CREATE DATABASE minicrm_migtest OWNER minicrm_owner" >/dev/null
MIG_URL=${OWNER_URL/\/minicrm\?/\/minicrm_migtest?}
mig() { DATABASE_URL=$MIG_URL MINICRM_SQL_DIR=${SQL_DIR:-$TOP/sql} minicrm migrate "$@"; }
mig_sql() { psql "$MIG_URL" -qAtX -c "$1"; }

check "migrate up applies every migration" mig up
expect_eq "$(mig_sql "SELECT count(*) FROM schema_migrations")" "$(ls "$TOP"/sql/*.up.sql | wc -l)" "each applied migration is recorded"
expect_eq "$(mig_sql "SELECT length(checksum) FROM schema_migrations LIMIT 1")" 64 "with its SHA-256"
out=$(mig up)
expect_eq "$out" "up to date" "a second up does nothing"
check "migrate status lists them as applied" bash -c "DATABASE_URL='$MIG_URL' '$TOP/bin/minicrm' migrate status | grep -q '0001_core  *applied'"
nmig=$(ls "$TOP"/sql/*.up.sql | wc -l)
check "migrate down rolls the last one back" mig down 1
expect_eq "$(mig_sql "SELECT count(*) FROM schema_migrations")" "$(( nmig - 1 ))" "and forgot it"
if [ "$nmig" -gt 1 ]; then check "migrate down N rolls back the rest" mig down $(( nmig - 1 )); fi
expect_eq "$(mig_sql "SELECT to_regclass('lead_activity_log') IS NULL")" "t" "the rollbacks dropped their tables"
expect_eq "$(mig_sql "SELECT count(*) FROM schema_migrations")" "0" "and forgot them"
check "migrate up again re-applies them" mig up

SQL_DIR=$TMP/sql
cp -r "$TOP/sql" "$SQL_DIR"
echo "-- an edit after the fact" >> "$SQL_DIR/0001_core.up.sql"
out=$(mig up 2>&1); rc=$?
expect_eq "$rc" 1 "a changed, already-applied migration is refused"
check "the refusal names the file and says what to do" grep -q "0001_core.up.sql was changed after it was applied.*write a new migration" <<<"$out"
unset SQL_DIR
superuser_sql "DROP DATABASE minicrm_migtest" >/dev/null

# --- least privilege: the application reads and writes data, nothing more
check "the app role can read the log" app_sql "SELECT count(*) FROM lead_activity_log"
if app_sql "CREATE TABLE intruder (x int)" 2>/dev/null; then fail "the app role must not create tables"; else pass; fi
if app_sql "ALTER TABLE leads ADD COLUMN x int" 2>/dev/null; then fail "the app role must not alter tables"; else pass; fi
if app_sql "DROP TABLE retry_queue" 2>/dev/null; then fail "the app role must not drop tables"; else pass; fi
if app_sql "UPDATE lead_activity_log SET message = 'forged'" 2>/dev/null; then fail "the activity log is append-only for the app role"; else pass; fi
if app_sql "DELETE FROM lead_activity_log" 2>/dev/null; then fail "the app role must not delete events"; else pass; fi
if app_sql "SELECT * FROM schema_migrations" >/dev/null 2>&1; then fail "the app role has no business with schema_migrations"; else pass; fi
if app_sql "DELETE FROM admin_users" 2>/dev/null; then fail "the app role must not delete admin users"; else pass; fi
if app_sql "UPDATE admin_users SET role = 'admin'" 2>/dev/null; then fail "the app role must not change a user's role"; else pass; fi
if app_sql "UPDATE admin_sessions SET expires_at = now() + interval '1 year'" 2>/dev/null; then fail "the app role must not extend a session's absolute expiry"; else pass; fi

# --- the SOP's runbook queries run unchanged (activity-logging SOP)
KEY=$(new_key runbook)
request POST /api/internal/log-activity -H "x-api-key: $KEY" -H 'Content-Type: application/json' \
	--data '[{"event_type":"MESSAGE_SENT","lead_id":"rb1"},{"event_type":"MESSAGE_SENT","lead_id":"rb2"},{"event_type":"INBOUND_REPLY","lead_id":"rb1"}]'
weekly=$(sql "SELECT event_type, COUNT(*) as count, MAX(created_at) as most_recent FROM lead_activity_log WHERE created_at > NOW() - INTERVAL '7 days' GROUP BY event_type ORDER BY count DESC;")
check "the SOP's weekly query runs and counts by event type" grep -q '^MESSAGE_SENT|' <<<"$weekly"
monthly=$(sql "SELECT COUNT(*) as total_events, pg_size_pretty(pg_total_relation_size('lead_activity_log')) as table_size FROM lead_activity_log;")
check "the SOP's monthly growth query runs" grep -qE '^[0-9]+\|[0-9]+ (bytes|kB|MB)$' <<<"$monthly"

# --- make run a second time is harmless: same data, keys still work
api_before=$(cat "$MINICRM_VAR/run/api.pid")
events_before=$(sql "SELECT count(*) FROM lead_activity_log")
out=$("$TOP/scripts/instance.sh" up 2>&1)
check "a second make run succeeds" grep -q "running at" <<<"$out"
check "it does not print a new key when keys exist" grep -q "API keys exist" <<<"$out"
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log")" "$events_before" "the data is kept"
check "the API was restarted on the current build" test "$(cat "$MINICRM_VAR/run/api.pid")" != "$api_before"
request POST /api/internal/log-activity -H "x-api-key: $KEY" -H 'Content-Type: application/json' --data '{"event_type":"MESSAGE_SENT","lead_id":"rb3"}'
expect_status 201 "existing keys keep working"

# --- make psql reads SQL from standard input
out=$(echo "SELECT 'psql ' || count(*) FROM event_types;" | "$TOP/scripts/instance.sh" psql -qAtX)
check "make psql runs SQL from standard input" grep -q '^psql [0-9]' <<<"$out"

# --- an instance on an existing database: DATABASE_URL, no private cluster
# (the database and its owner made by instance.sh createdb, the owner's
# roles by that instance's up: docs/operations.md, "Sharing a PostgreSQL server")
superuser_sql "DROP DATABASE IF EXISTS minicrm_ext" >/dev/null 2>&1
EXT_URL=$("$TOP/scripts/instance.sh" createdb minicrm_ext)
record_secret "$(sed -E 's#^postgresql://[^:]*:([^@]*)@.*#\1#' <<<"$EXT_URL")"
EXT_VAR=$(mktemp -d /tmp/minicrm-ext.XXXXXX)
EXT_PORT=$((MINICRM_PORT + 1))
while (exec 3<>"/dev/tcp/127.0.0.1/$EXT_PORT") 2>/dev/null; do EXT_PORT=$((EXT_PORT + 1)); done
ext() { DATABASE_URL=$EXT_URL MINICRM_VAR=$EXT_VAR MINICRM_PORT=$EXT_PORT MINICRM_CONF=$EXT_VAR/minicrm.conf "$@"; }
out=$(ext "$TOP/scripts/instance.sh" up 2>&1)
check "make run with DATABASE_URL starts" grep -q "running at http://127.0.0.1:$EXT_PORT/" <<<"$out"
check "no private cluster is created" test ! -e "$EXT_VAR/pg"
EXT_KEY=$(grep -oE 'mcrm_[0-9a-f]{12}_[A-Za-z0-9_-]{43}' <<<"$out" | head -n 1)
check "it prints a first API key" test -n "$EXT_KEY"
record_secret "$EXT_KEY"
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H "x-api-key: $EXT_KEY" -H 'Content-Type: application/json' \
	--data '{"event_type":"MESSAGE_SENT","lead_id":"ext1"}' "http://127.0.0.1:$EXT_PORT/api/internal/log-activity")
expect_eq "$STATUS" 201 "it logs events"
expect_eq "$(psql "$EXT_URL" -qAtX -c "SELECT count(*) FROM lead_activity_log")" 1 "into the database DATABASE_URL names"
ext_pids=$(cat "$EXT_VAR"/run/api.pid "$EXT_VAR"/run/admin.pid "$EXT_VAR"/run/nginx.pid)
expect_eq "$(wc -w <<<"$ext_pids")" 3 "it recorded the PIDs of api, admin and nginx"
ext "$TOP/scripts/instance.sh" down >/dev/null 2>&1
sleep 0.5
alive=0
for p in $ext_pids; do	# a zombie has stopped: it waits only for PID 1 to reap it
	[ -r "/proc/$p/stat" ] && ! grep -qE '^[0-9]+ \(.*\) Z' "/proc/$p/stat" && alive=$((alive + 1))
done
expect_eq "$alive" 0 "make stop stops every program it started"
request GET /health
expect_status 200 "stopping that instance left the shared database running"
record_secret "$(sed -n "s/^APP_PASSWORD='\(.*\)'$/\1/p" "$EXT_VAR/minicrm.conf")" \
	"$(sed -n "s/^N8N_PASSWORD='\(.*\)'$/\1/p" "$EXT_VAR/minicrm.conf")"
rm -rf "$EXT_VAR"
superuser_sql "DROP DATABASE minicrm_ext" >/dev/null
superuser_sql "DROP ROLE minicrm_ext_app, minicrm_ext_n8n, minicrm_ext_owner" >/dev/null

finish
