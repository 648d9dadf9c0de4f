#!/usr/bin/env bash
# minicrm backup and restore (issue 14, "Backups"): an instance loaded
# through its API (events, retry rows, a campaign, nurture enrolments, an
# admin session) is backed up, its database destroyed (dropped and made
# again empty, as createdb would), and restored; every table then holds
# what it held (row count and an md5 of its ordered rows), and the same
# running programs answer again: readiness, activity health, a lead's
# page in the old session, a new event. Refused, with nothing written: a
# restore into a database that is not empty, a damaged dump, a tampered
# manifest, a folder without one. pg_dump gets the password in its
# environment, never on its command line.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/campaign_lib.sh"

S=$$
KEY=$(new_key "backup-$S")
C=bk$S
sql "INSERT INTO clients (slug, name) VALUES ('$C', 'Backup test')" >/dev/null
CID=$(sql "SELECT id FROM clients WHERE slug = '$C'")
DB=$(sql "SELECT current_database()")
OWNER=$(sql "SELECT current_user")
# The application's role, whatever the instance calls it.
APP_ROLE=$(psql "$(sed -n "s/^MINICRM_APP_DATABASE_URL='\(.*\)'$/\1/p" "$MINICRM_CONF")" -qAtX -c "SELECT current_user")

# --- load: a campaign and its leads through the API, events, retry rows,
# nurture enrolments, a portal session
sql "INSERT INTO campaigns (client_id, name, messages, is_active) VALUES
  ('$CID', 'Backup spring', '[{\"body\": \"1\"}, {\"body\": \"2\"}, {\"body\": \"3\"}]', true)" >/dev/null
CAMPAIGN=$(sql "SELECT id FROM campaigns WHERE client_id = '$CID'")
for i in $(seq 1 20); do
	events "$KEY" "{\"client_id\":\"$C\",\"lead_id\":\"b$i\",\"event_type\":\"CAMPAIGN_ENROLLED\",\"metadata\":{\"campaign_id\":\"$CAMPAIGN\"}}"
	[ "$STATUS" = 201 ] || break
done
expect_status 201 "20 leads enrolled in a campaign through the API"
BATCH=$(jq -nc --arg c "$C" --arg k "$CAMPAIGN" '[range(0; 200) | {client_id: $c, lead_id: ("b" + ((. % 20) + 1 | tostring)), event_type: "MESSAGE_SENT", channel: "sms", message: ("message \(.) with \"quotes\", commas and ünïcode"), metadata: {step: 1, campaign_id: $k, n: .}, idempotency_key: ("bk-\(.)")}]')
events "$KEY" "$BATCH"
expect_status 201 "a batch of 200 events is stored"
for i in 1 2 3; do
	request POST /api/internal/retry-queue -H "x-api-key: $KEY" -H 'Content-Type: application/json' \
		--data "{\"payload\":{\"client_id\":\"$C\",\"lead_id\":\"b$i\",\"event_type\":\"NOPE\"},\"workflow\":\"backup\",\"execution_id\":\"bk-$S-$i\",\"error\":\"timeout\"}"
done
expect_status 201 "retry rows are queued"
NC=$(sql "INSERT INTO nurture_campaigns (organization_id, campaign_name, status, from_email)
     VALUES ('$CID', 'Backup nurture $S', 'paused', 'team@example.com') RETURNING id")
sql "INSERT INTO nurture_campaign_steps (campaign_id, step_number, subject, body_template, delay_minutes)
     VALUES ('$NC', 1, 'Hi', 'Hello {{first_name}}', 600)" >/dev/null
LEADS=$(sql "SELECT json_agg(id) FROM (SELECT id FROM leads WHERE client_id = '$CID' ORDER BY external_id LIMIT 5) l")
request POST /api/internal/nurture/enroll -H "x-api-key: $KEY" -H 'Content-Type: application/json' \
	--data "{\"campaign_id\":\"$NC\",\"lead_ids\":$LEADS}"
expect_status 200 "five leads enrolled in a nurture campaign"
check "log in" login "backup-$S@example.com" "backup-password-$S"
LEAD=$(sql "SELECT id FROM leads WHERE client_id = '$CID' AND external_id = 'b3'")
EVENTS=$(sql "SELECT count(*) FROM lead_activity_log WHERE client_id = '$CID'")
expect_eq "$EVENTS" 220 "220 events of this test in the log"

# Every table of the database (extensions' aside): name, rows, md5 of its
# rows in order. The cluster's superuser reads them, whoever owns them.
TABLES_SQL="SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
  ORDER BY 1"
fingerprint() {
	local t
	for t in $(sql "$TABLES_SQL"); do
		sql "SELECT '$t', count(*), md5(coalesce(string_agg(x::text, E'\n' ORDER BY x::text), '')) FROM \"$t\" x"
	done
}

# pg_dump through a stand-in that notes its arguments and whether the
# password came in its environment, then runs the real one.
mkdir -p "$TMP/pgbin"
REAL_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
for prog in pg_dump pg_restore; do
	cat > "$TMP/pgbin/$prog" <<-EOF
		#!/bin/sh
		printf '%s\n' "\$*" >> "$TMP/$prog.args"
		[ -n "\$PGPASSWORD" ] && echo yes >> "$TMP/$prog.env"
		exec "$REAL_BIN/$prog" "\$@"
	EOF
	chmod +x "$TMP/pgbin/$prog"
done
export MINICRM_PG_BINDIR=$TMP/pgbin
OWNER_PW=$(sed -n "s/^OWNER_PASSWORD='\(.*\)'$/\1/p" "$MINICRM_CONF")

# The instance's worker is held still (SIGSTOP, as test_alert_history.sh
# does) from the backup until the restored tables are compared, between
# two of its jobs, so that no job writes a row after the backup that the
# comparison would count; it continues on exit.
WPID=$(cat "$MINICRM_VAR/run/worker.pid" 2>/dev/null)
WPIDS=
freeze_worker() {
	[ -n "$WPID" ] && kill -0 "$WPID" 2>/dev/null || return 0
	for _ in $(seq 50); do
		WPIDS="$WPID $(pgrep -P "$WPID" | tr '\n' ' ')"
		kill -STOP $WPIDS 2>/dev/null
		[ "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" = 0 ] && return 0
		kill -CONT $WPIDS 2>/dev/null
		sleep 0.2
	done
}
thaw_worker() { [ -n "$WPIDS" ] && kill -CONT $WPIDS 2>/dev/null; WPIDS=; return 0; }
trap 'thaw_worker; rm -rf "$TMP"' EXIT
freeze_worker

# --- backup: taken between two equal fingerprints (then again if
# anything wrote meanwhile)
for try in 1 2 3 4 5; do
	fingerprint > "$TMP/before"
	rm -rf "$TMP/bk"
	minicrm backup --output "$TMP/bk" > "$TMP/backup.out" 2> "$TMP/backup.err"; RC=$?
	fingerprint > "$TMP/after"
	cmp -s "$TMP/before" "$TMP/after" && break
done
expect_eq "$RC" 0 "backup exits 0"
check "it says where, what and how much" grep -qE "^backup $TMP/bk: database $DB, schema [0-9]+, [0-9]+ tables, [0-9]+ rows, dump [0-9]+ bytes, sha256 [0-9a-f]{64}$" "$TMP/backup.out"
check "the folder holds the dump, the manifest and the sums" test -s "$TMP/bk/minicrm.dump" -a -s "$TMP/bk/manifest.json" -a -s "$TMP/bk/SHA256SUMS"
check "sha256sum -c agrees with SHA256SUMS" bash -c "cd '$TMP/bk' && sha256sum -c --quiet SHA256SUMS"
check "the dump is pg_dump's custom format" bash -c "head -c 5 '$TMP/bk/minicrm.dump' | grep -q PGDMP"
M=$(cat "$TMP/bk/manifest.json")
expect_eq "$(jq -r .database <<<"$M")" "$DB" "the manifest names the database"
expect_eq "$(jq -r .schema_version <<<"$M")" "$(sql "SELECT max(version) FROM schema_migrations")" "the manifest's schema version is the last migration"
expect_eq "$(jq -r .server_version <<<"$M")" "$(sql "SHOW server_version")" "the manifest's server version"
expect_eq "$(jq -r .dump.bytes <<<"$M")" "$(stat -c %s "$TMP/bk/minicrm.dump")" "the manifest's dump size"
expect_eq "$(jq -r .dump.sha256 <<<"$M")" "$(sha256sum "$TMP/bk/minicrm.dump" | cut -d' ' -f1)" "the manifest's dump SHA-256"
expect_eq "$(jq -r '.tables | to_entries | map("\(.key) \(.value)") | .[]' <<<"$M")" "$(awk -F'|' '{print $1, $2}' "$TMP/before")" "the manifest counts every table's rows, as they were"
check "the manifest names the roles the dump grants to ($APP_ROLE)" jq -e --arg r "$APP_ROLE" '.roles | index($r) != null' <<<"$M"
check "pg_dump got the password in its environment" grep -qx yes "$TMP/pg_dump.env"
if [ -n "$OWNER_PW" ] && grep -qF "$OWNER_PW" "$TMP/pg_dump.args"; then fail "no password on pg_dump's command line"; else pass; fi
check "nor a connection URL" bash -c "! grep -q 'postgres' '$TMP/pg_dump.args'"
check "the folder is the owner's alone" test "$(stat -c %a "$TMP/bk")" = 700
minicrm backup --output "$TMP/bk" >/dev/null 2>"$TMP/err"; RC=$?
expect_eq "$RC" 1 "a backup into a folder that is not empty is refused"
check "...naming it" grep -q "is not empty" "$TMP/err"

# --- restore refused into the running, non-empty database: nothing changes
minicrm restore "$TMP/bk" >/dev/null 2>"$TMP/err"; RC=$?
expect_eq "$RC" 4 "restore into a database that is not empty: exit 4"
check "...saying so" grep -q "the database is not empty" "$TMP/err"

# --- damaged backups, made from the good one
cp -r "$TMP/bk" "$TMP/bad-dump"
SIZE=$(stat -c %s "$TMP/bad-dump/minicrm.dump")
printf 'X' | dd of="$TMP/bad-dump/minicrm.dump" bs=1 seek=$((SIZE / 2)) conv=notrunc status=none
cp -r "$TMP/bk" "$TMP/bad-manifest"
sed -i 's/"database":/"database" :/' "$TMP/bad-manifest/manifest.json"
cp -r "$TMP/bk" "$TMP/no-manifest"
rm "$TMP/no-manifest/manifest.json"
# a consistent backup (sums recomputed) whose GRANTs name a role this
# cluster lacks
cp -r "$TMP/bk" "$TMP/bad-roles"
jq --arg r "minicrm_nosuch_$S" '.roles += [$r]' "$TMP/bk/manifest.json" > "$TMP/bad-roles/manifest.json"
(cd "$TMP/bad-roles" && sha256sum minicrm.dump manifest.json > SHA256SUMS)

# --- destroy: the database dropped (the programs' connections with it) and
# made again, empty, as an operator would (createdb; the instance's
# pg_stat_statements is the cluster administrator's)
superuser_sql "DROP DATABASE \"$DB\" WITH (FORCE)"
request GET /readyz
expect_status 503 "with the database gone the API is not ready"
superuser_sql "CREATE DATABASE \"$DB\" OWNER \"$OWNER\""
as_postgres psql -h "$(readlink -f "$MINICRM_VAR/pg")/run" -d "$DB" -qAtX -c 'CREATE EXTENSION pg_stat_statements' >/dev/null
# ... and, as docs/backup.md says, the database's own rights again: only
# the instance's roles may connect (not in a dump of one database).
N8N_ROLE=${APP_ROLE%_app}_n8n
superuser_sql "REVOKE CONNECT, TEMPORARY ON DATABASE \"$DB\" FROM PUBLIC"
superuser_sql "GRANT CONNECT ON DATABASE \"$DB\" TO \"$APP_ROLE\", \"$N8N_ROLE\"; GRANT TEMPORARY ON DATABASE \"$DB\" TO \"$APP_ROLE\""
empty() { sql "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"; }
EMPTY_TABLES=$(empty)

for bad in bad-dump bad-manifest no-manifest; do
	: > "$TMP/pg_restore.args"
	minicrm restore "$TMP/$bad" >/dev/null 2>"$TMP/err.$bad"; RC=$?
	expect_eq "$RC" 3 "$bad: refused with exit 3"
	check "$bad: pg_restore never ran" test ! -s "$TMP/pg_restore.args"
	expect_eq "$(empty)" "$EMPTY_TABLES" "$bad: the database is as empty as before"
done
check "the damaged dump is named as such" grep -q "minicrm.dump does not match its checksum" "$TMP/err.bad-dump"
check "the tampered manifest too" grep -q "manifest.json does not match its checksum" "$TMP/err.bad-manifest"
check "a folder without a manifest is no complete backup" grep -q "not a complete backup" "$TMP/err.no-manifest"
: > "$TMP/pg_restore.args"
minicrm restore "$TMP/bad-roles" >/dev/null 2>"$TMP/err"; RC=$?
expect_eq "$RC" 4 "a cluster without a role the dump grants to: refused with exit 4"
check "...naming the role" grep -q "does not have: minicrm_nosuch_$S" "$TMP/err"
check "...before pg_restore ran" test ! -s "$TMP/pg_restore.args"
expect_eq "$(empty)" "$EMPTY_TABLES" "...and the database is as empty as before"

# --- restore
minicrm restore "$TMP/bk" > "$TMP/restore.out" 2> "$TMP/restore.err"; RC=$?
expect_eq "$RC" 0 "restore exits 0"
check "it says the counts matched" grep -q "every count as the manifest's" "$TMP/restore.out"
check "pg_restore got the password in its environment" grep -qx yes "$TMP/pg_restore.env"
if [ -n "$OWNER_PW" ] && grep -qF "$OWNER_PW" "$TMP/pg_restore.args"; then fail "no password on pg_restore's command line"; else pass; fi
fingerprint > "$TMP/restored"
expect_eq "$(wc -l < "$TMP/restored")" "$(wc -l < "$TMP/before")" "as many tables as before ($(wc -l < "$TMP/before"))"
if diff "$TMP/before" "$TMP/restored" > "$TMP/diff"; then pass; else fail "every table's rows equal the original's (count and md5)" "$(head -n 6 "$TMP/diff")"; fi
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log WHERE client_id = '$CID'")" 220 "this test's 220 events are back"
thaw_worker
expect_eq "$(sql "SELECT has_table_privilege('$APP_ROLE', 'lead_activity_log', 'INSERT') AND NOT has_table_privilege('$APP_ROLE', 'lead_activity_log', 'DELETE')")" t "the application's grants are the original's"
expect_eq "$(sql "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> current_user")" 0 "every table belongs to the instance's owner"

# --- the same programs answer again (they reconnect by themselves)
for _ in $(seq 50); do request GET /readyz; [ "$STATUS" = 200 ] && break; sleep 0.2; done
expect_status 200 "the API is ready again"
request GET /api/internal/activity-health -H "x-api-key: $KEY"
expect_status 200 "activity health answers with the old key"
browse GET "/leads/$LEAD?tz=UTC"
expect_status 200 "the lead's page opens in the session made before the backup"
check "its timeline holds its events" grep -q '<table id="timeline">' <<<"$BODY"
events "$KEY" "{\"client_id\":\"$C\",\"lead_id\":\"b3\",\"event_type\":\"MESSAGE_SENT\",\"idempotency_key\":\"after-restore\"}"
expect_status 201 "a new event is stored (the identity continues past the old ids)"
events "$KEY" "$BATCH"
expect_status 200 "the old batch again: 200..."
expect_json '.duplicates == 200 and .accepted == 0' "...all 200 duplicates (the idempotency index came back)"
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log WHERE client_id = '$CID'")" 221 "221 events: the old 220 and the new one"

minicrm restore "$TMP/bk" >/dev/null 2>&1; RC=$?
expect_eq "$RC" 4 "restoring once more into the restored database is refused"
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log WHERE client_id = '$CID'")" 221 "...and changed nothing"

# Out of later tests' way: its nurture campaign goes (with its enrolments),
# its retry rows wait for no replay (test_dashboard counts the queue).
sql "DELETE FROM nurture_campaigns WHERE id = '$NC';
     UPDATE retry_queue SET state = 'discarded' WHERE workflow = 'backup' AND execution_id LIKE 'bk-$S-%'" >/dev/null
finish
