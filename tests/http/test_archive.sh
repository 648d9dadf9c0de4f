#!/usr/bin/env bash
# minicrm archive (issue 14, "Retention"): events, e-mail events, job runs
# and errors and alerts older than the cut-off move into gzip CSV files
# with a checksum, which hold exactly the rows deleted; newer rows, the
# leads and the health counts' agreement with the log are untouched;
# ingest keeps answering 201 while it runs; `archive import` puts back
# exactly what went, and importing twice adds nothing; a bad date, a bad
# batch size and a damaged file are refused with nothing changed; a run
# killed half way never leaves a row deleted that no file holds.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/campaign_lib.sh"

S=$$
KEY=$(new_key "archive-$S")
C=ar$S
sql "INSERT INTO clients (slug, name) VALUES ('$C', 'Archive test')" >/dev/null
CID=$(sql "SELECT id FROM clients WHERE slug = '$C'")
events "$KEY" "{\"client_id\":\"$C\",\"lead_id\":\"a1\",\"event_type\":\"MESSAGE_SENT\",\"message\":\"recent\"}"
expect_status 201 "a recent event through the API"
LEAD=$(sql "SELECT id FROM leads WHERE client_id = '$CID' AND external_id = 'a1'")
CUTDATE=$(date -u -d '-400 days' +%F)
CUT="${CUTDATE}T00:00:00Z"
OLD=200000
# Old rows as an old system's load would have them (the API stamps now):
# events from 700 to 401 days ago, with NULL, empty and awkward text; and
# 30 newer ones. E-mail events, job runs (one old run still 'running':
# kept), job errors and alerts on both sides of the cut-off.
sql "INSERT INTO lead_activity_log (client_id, lead_id, event_type, occurred_at, created_at, source, channel, message, metadata)
 SELECT '$CID', '$LEAD', 'MESSAGE_SENT', t, t, 'old-' || g, 'sms',
  CASE g % 4 WHEN 0 THEN NULL WHEN 1 THEN '' WHEN 2 THEN 'quote \" comma , newline
 here' ELSE 'plain ' || g END, jsonb_build_object('g', g, 'note', 'ünï')
 FROM generate_series(1, $OLD) g, LATERAL (SELECT timestamptz '$CUT' - interval '1 day' - (g % 300) * interval '1 day' - g * interval '1 second' AS t) x;
 INSERT INTO lead_activity_log (client_id, lead_id, event_type, occurred_at, created_at, message)
 SELECT '$CID', '$LEAD', 'MESSAGE_SENT', t, t, 'newer ' || g
 FROM generate_series(1, 30) g, LATERAL (SELECT timestamptz '$CUT' + g * interval '1 day' AS t) x;
 INSERT INTO email_events (organization_id, lead_id, event_type, event_hash, email, event_timestamp, payload, created_at)
 SELECT '$CID', '$LEAD', 'delivered', 'arch-$S-' || g, 'a@example.com', t, '{\"n\": 1}', t
 FROM generate_series(1, 40) g, LATERAL (SELECT timestamptz '$CUT' + (g - 21) * interval '1 day' AS t) x;
 INSERT INTO workflow_executions (workflow_name, status, started_at, finished_at, created_at)
 SELECT 'archive-test-$S', CASE WHEN g = 1 THEN 'running' ELSE 'success' END, t, t, t
 FROM generate_series(1, 20) g, LATERAL (SELECT timestamptz '$CUT' + (g - 11) * interval '1 day' AS t) x;
 INSERT INTO workflow_errors (workflow_name, execution_id, error_message, created_at)
 SELECT 'archive-test-$S', NULL, 'failed ' || g, timestamptz '$CUT' + (g - 6) * interval '1 day' FROM generate_series(1, 10) g;
 INSERT INTO alert_history (created_at, kind, message, host, outcome)
 SELECT timestamptz '$CUT' + (g - 4) * interval '1 day', 'archive-test-$S', 'alert ' || g, 'h', 'logged' FROM generate_series(1, 6) g" >/dev/null
# Retry rows: done, discarded, dead and pending, on both sides of the
# cut-off, two attempts each, and a final error that is not the queued one
# (the insert trigger would take it for the queued one on import).
sql "INSERT INTO retry_queue (payload, workflow, execution_id, error, state, attempts, created_at, updated_at, done_at)
 SELECT '{\"n\": ' || g || '}', 'archive-test-$S', 'ex-' || g, 'timeout', st, 2, t, t, CASE WHEN st = 'done' THEN t END
 FROM generate_series(1, 16) g,
  LATERAL (SELECT (ARRAY['done', 'discarded', 'dead', 'pending'])[1 + g % 4] AS st,
                  timestamptz '$CUT' + (g - 9) * interval '1 day' AS t) x;
 INSERT INTO retry_queue_attempts (retry_id, attempt, at, error)
 SELECT id, a, created_at - interval '1 hour' * a, 'attempt ' || a FROM retry_queue, generate_series(1, 2) a
 WHERE workflow = 'archive-test-$S';
 UPDATE retry_queue SET error = 'final error' WHERE workflow = 'archive-test-$S'" >/dev/null

# Each archived table: its rows before the cut-off as COPY writes them (the
# files' format), and an md5 of its newer rows.
declare -A PRED=(
	[lead_activity_log]="created_at < '$CUT'"
	[email_events]="created_at < '$CUT'"
	[workflow_errors]="created_at < '$CUT'"
	[workflow_executions]="status <> 'running' AND created_at < '$CUT'"
	[alert_history]="created_at < '$CUT'"
	[retry_queue]="state IN ('done', 'discarded') AND coalesce(done_at, updated_at) < '$CUT'"
	[retry_queue_attempts]="retry_id IN (SELECT id FROM retry_queue WHERE state IN ('done', 'discarded') AND coalesce(done_at, updated_at) < '$CUT')"
)
declare -A ORDER=([retry_queue_attempts]="retry_id, attempt")
# This test's own rows of each (the worker's jobs add their runs and
# alerts meanwhile: newer rows, not this test's).
declare -A MINE=(
	[lead_activity_log]="client_id = '$CID'"
	[email_events]="event_hash LIKE 'arch-$S-%'"
	[workflow_errors]="workflow_name = 'archive-test-$S'"
	[workflow_executions]="workflow_name = 'archive-test-$S'"
	[alert_history]="kind = 'archive-test-$S'"
	[retry_queue]="workflow = 'archive-test-$S'"
	[retry_queue_attempts]="retry_id IN (SELECT id FROM retry_queue WHERE workflow = 'archive-test-$S')"
)
TABLES="lead_activity_log email_events workflow_errors workflow_executions alert_history retry_queue retry_queue_attempts"
old_rows() { psql "$OWNER_URL" -qAtX -c "\\copy (SELECT * FROM $1 WHERE ${PRED[$1]} ORDER BY ${ORDER[$1]:-id}) TO STDOUT WITH (FORMAT csv)"; }
kept_md5() { sql "SELECT count(*) || ' ' || md5(coalesce(string_agg(x::text, E'\n' ORDER BY x::text), '')) FROM $1 x WHERE NOT (${PRED[$1]}) AND ${MINE[$1]}"; }
all_md5() { sql "SELECT count(*) || ' ' || md5(coalesce(string_agg(x::text, E'\n' ORDER BY x.id), '')) FROM $1 x"; }
counts_agree() {	# the health counts of this client equal its log
	sql "SELECT (SELECT coalesce(sum(events), 0) FROM activity_counts_hourly WHERE client_id = '$CID') = (SELECT count(*) FROM lead_activity_log WHERE client_id = '$CID')"
}
leads_md5() { sql "SELECT md5(string_agg(l::text, '' ORDER BY l.id)) FROM leads l WHERE id = '$LEAD'"; }
for t in $TABLES; do
	old_rows "$t" > "$TMP/old.$t"
	kept_md5 "$t" > "$TMP/kept.$t"
	all_md5 "$t" > "$TMP/all.$t"
done
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log WHERE ${PRED[lead_activity_log]}")" "$OLD" "$OLD events before the cut-off"
expect_eq "$(counts_agree)" t "before: the client's health counts equal its log"
LEADS=$(leads_md5)

# --- refused: nothing written, nothing deleted
for bad in 2025-02-30 2025-13-01 "$(date -u -d '+2 days' +%F)" yesterday 2025-1-1 ""; do
	minicrm archive --before "$bad" --output "$TMP/refused" >/dev/null 2>"$TMP/err"; RC=$?
	expect_eq "$RC" 2 "--before '$bad' is refused with exit 2"
	cp "$TMP/err" "$TMP/err.$bad"
done
check "a day that does not exist is named so" grep -q "2025-02-30: no such day" "$TMP/err.2025-02-30"
minicrm archive --before "$CUTDATE" --batch 0 >/dev/null 2>&1; RC=$?
expect_eq "$RC" 2 "--batch 0 is refused"
check "no file was written" test ! -e "$TMP/refused"
expect_eq "$(all_md5 lead_activity_log)" "$(cat "$TMP/all.lead_activity_log")" "and the log is untouched"

# --- one run at a time: while another holds the archive's lock, refused
psql "$OWNER_URL" -qAtX -c "SELECT pg_advisory_lock(hashtext('minicrm.archive'))" -c "SELECT pg_sleep(30)" >/dev/null 2>&1 &
LOCKER=$!
for _ in $(seq 100); do
	[ "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = hashtext('minicrm.archive')::oid AND granted")" = 1 ] && break
	sleep 0.05
done
minicrm archive --before "$CUTDATE" --output "$TMP/locked" >/dev/null 2>"$TMP/err"; RC=$?
expect_eq "$RC" 5 "another archive running: refused with exit 5"
check "...saying so" grep -q "another minicrm archive is running" "$TMP/err"
sql "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = hashtext('minicrm.archive')::oid" >/dev/null
wait "$LOCKER" 2>/dev/null
for _ in $(seq 100); do
	[ "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = hashtext('minicrm.archive')::oid")" = 0 ] && break
	sleep 0.05
done
expect_eq "$(all_md5 lead_activity_log)" "$(cat "$TMP/all.lead_activity_log")" "...with nothing deleted"

# --- the archive, with ingest answering throughout
"$TOP/bin/minicrm" archive --before "$CUTDATE" --output "$TMP/out" --batch 2000 > "$TMP/archive.out" 2>"$TMP/archive.err" &
APID=$!
SENT=0 CREATED=0
while kill -0 "$APID" 2>/dev/null; do
	SENT=$((SENT + 1))
	events "$KEY" "{\"client_id\":\"$C\",\"lead_id\":\"a2\",\"event_type\":\"MESSAGE_SENT\",\"message\":\"during $SENT\"}"
	[ "$STATUS" = 201 ] && CREATED=$((CREATED + 1))
done
wait "$APID"; RC=$?
expect_eq "$RC" 0 "archive exits 0"
check "ingest was tried during the run (at least 5 events)" test "$SENT" -ge 5
expect_eq "$CREATED" "$SENT" "every event sent during the archive got 201 ($SENT)"
check "it reports the events archived and deleted" grep -qE "^lead_activity_log: [0-9]+ rows before $CUTDATE archived, [0-9]+ deleted$" "$TMP/archive.out"
for t in $TABLES; do
	f=$(ls "$TMP/out/$t-before-$CUTDATE-"*.csv.gz 2>/dev/null | head -n 1)
	if [ -z "$f" ]; then fail "$t: a file"; continue; fi
	check "$t: the file is gzip" gzip -t "$f"
	check "$t: its .sha256 checks (sha256sum -c)" bash -c "cd '$TMP/out' && sha256sum -c --quiet '$(basename "$f").sha256'"
	check "$t: the file is the owner's alone" test "$(stat -c %a "$f")" = 600
	expect_eq "$(zcat "$f" | head -n 1)" "$(sql "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = '$t'::regclass AND attnum > 0 AND NOT attisdropped")" "$t: the header names the columns"
	if cmp -s <(zcat "$f" | tail -n +2) "$TMP/old.$t"; then pass; else fail "$t: the file holds exactly the rows that were older" "$(zcat "$f" | tail -n +2 | wc -l) lines, wanted $(wc -l < "$TMP/old.$t")"; fi
	expect_eq "$(sql "SELECT count(*) FROM $t WHERE ${PRED[$t]}")" 0 "$t: no older row is left"
	[ "$t" = lead_activity_log ] && continue
	expect_eq "$(kept_md5 "$t")" "$(cat "$TMP/kept.$t")" "$t: this test's newer rows are untouched"
done
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log WHERE client_id = '$CID' AND NOT (${PRED[lead_activity_log]})")" $((31 + SENT)) "the log keeps the 30 newer events, the recent one and the $SENT sent during the run"
expect_eq "$(sql "SELECT count(*) FROM workflow_executions WHERE workflow_name = 'archive-test-$S' AND status = 'running'")" 1 "an old run still 'running' is kept"
expect_eq "$(counts_agree)" t "after: the health counts still equal the log"
expect_eq "$(leads_md5)" "$LEADS" "the leads (their lifetime counters) are untouched"
LOGFILE=$(ls "$TMP/out/lead_activity_log-before-"*.csv.gz | head -n 1)

# --- import: a damaged file or one without its checksum is refused
cp "$LOGFILE" "$TMP/lead_activity_log-before-damaged.csv.gz"
printf '%s  %s\n' "$(cut -d' ' -f1 "$LOGFILE.sha256")" lead_activity_log-before-damaged.csv.gz > "$TMP/lead_activity_log-before-damaged.csv.gz.sha256"
SIZE=$(stat -c %s "$TMP/lead_activity_log-before-damaged.csv.gz")
printf 'X' | dd of="$TMP/lead_activity_log-before-damaged.csv.gz" bs=1 seek=$((SIZE / 2)) conv=notrunc status=none
minicrm archive import "$TMP/lead_activity_log-before-damaged.csv.gz" >/dev/null 2>"$TMP/err"; RC=$?
expect_eq "$RC" 4 "a damaged file is refused with exit 4"
check "...saying it is damaged" grep -q "does not match its checksum" "$TMP/err"
cp "$LOGFILE" "$TMP/lead_activity_log-before-nosum.csv.gz"
minicrm archive import "$TMP/lead_activity_log-before-nosum.csv.gz" >/dev/null 2>&1; RC=$?
expect_eq "$RC" 4 "a file without its checksum is refused"
cp "$LOGFILE" "$TMP/leads-before-x.csv.gz"
minicrm archive import "$TMP/leads-before-x.csv.gz" >/dev/null 2>&1; RC=$?
expect_eq "$RC" 4 "a file named for no archived table is refused"
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log WHERE ${PRED[lead_activity_log]}")" 0 "nothing was imported"

# --- import: exactly what went, and twice adds nothing
for t in $TABLES; do
	f=$(ls "$TMP/out/$t-before-$CUTDATE-"*.csv.gz | head -n 1)
	minicrm archive import "$f" > "$TMP/import.out" 2>&1; RC=$?
	expect_eq "$RC" 0 "$t: import exits 0"
	check "$t: it added every row" grep -q ": [0-9]* rows in the file, [0-9]* added to $t, 0 already there" "$TMP/import.out"
	if cmp -s <(old_rows "$t") "$TMP/old.$t"; then pass; else fail "$t: the older rows are back exactly"; fi
	N=$(sql "SELECT count(*) FROM $t WHERE ${PRED[$t]}")
	minicrm archive import "$f" > "$TMP/import.out" 2>&1; RC=$?
	expect_eq "$RC" 0 "$t: importing again exits 0"
	check "$t: ...and adds nothing" grep -q ", 0 added to $t, $N already there" "$TMP/import.out"
done
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log WHERE ${PRED[lead_activity_log]}")" "$OLD" "the $OLD events are back, once"
expect_eq "$(counts_agree)" t "after the import: the health counts equal the log"

# --- killed half way: every row deleted is in the file
"$TOP/bin/minicrm" archive --before "$CUTDATE" --output "$TMP/killed" --batch 200 >/dev/null 2>&1 &
KPID=$!
for _ in $(seq 300); do
	[ -n "$(ls "$TMP/killed/"*.sha256 2>/dev/null)" ] &&
		[ "$(sql "SELECT count(*) < $OLD FROM lead_activity_log WHERE ${PRED[lead_activity_log]}")" = t ] && break
	sleep 0.05
done
kill -9 "$KPID" 2>/dev/null; wait "$KPID" 2>/dev/null
# The killed run's server process lets go of the lock when it sees its
# client gone (the batch in hand finished or not, as the database decides).
for _ in $(seq 100); do
	[ "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = hashtext('minicrm.archive')::oid")" = 0 ] && break
	sleep 0.05
done
LEFT=$(sql "SELECT count(*) FROM lead_activity_log WHERE ${PRED[lead_activity_log]}")
check "the run was killed while deleting ($LEFT of $OLD left)" test "$LEFT" -gt 0 -a "$LEFT" -lt "$OLD"
KFILE=$(ls "$TMP/killed/lead_activity_log-before-"*.csv.gz 2>/dev/null | head -n 1)
check "its file was complete before the first delete" bash -c "cd '$TMP/killed' && sha256sum -c --quiet '$(basename "$KFILE").sha256'"
psql "$OWNER_URL" -qAtX -c "\\copy (SELECT id FROM lead_activity_log WHERE ${PRED[lead_activity_log]} ORDER BY id) TO STDOUT" > "$TMP/left.ids"
grep -oE '^[0-9]+,[0-9a-f]{8}-' "$TMP/old.lead_activity_log" | cut -d, -f1 | sort > "$TMP/old.ids"
expect_eq "$(wc -l < "$TMP/old.ids")" "$OLD" "(the ids of the $OLD older events)"
zcat "$KFILE" | tail -n +2 | grep -oE '^[0-9]+,[0-9a-f]{8}-' | cut -d, -f1 | sort > "$TMP/file.ids"
comm -23 "$TMP/old.ids" <(sort "$TMP/left.ids") > "$TMP/deleted.ids"
expect_eq "$(comm -23 "$TMP/deleted.ids" "$TMP/file.ids" | wc -l)" 0 "no row is both deleted and in no file ($(wc -l < "$TMP/deleted.ids") deleted)"
minicrm archive --before "$CUTDATE" --output "$TMP/killed" >/dev/null 2>&1; RC=$?
expect_eq "$RC" 0 "a run again finishes the job"
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log WHERE ${PRED[lead_activity_log]}")" 0 "no older event is left"
for f in "$TMP/killed/lead_activity_log-before-"*.csv.gz; do minicrm archive import "$f" >/dev/null; done
if cmp -s <(old_rows lead_activity_log) "$TMP/old.lead_activity_log"; then pass; else fail "both files imported give back every event exactly once"; fi
expect_eq "$(counts_agree)" t "and the health counts equal the log"

# --- stopped (SIGTERM, ^C): it finishes the batch in hand and says so
"$TOP/bin/minicrm" archive --before "$CUTDATE" --output "$TMP/termed" --batch 100 >/dev/null 2>"$TMP/term.err" &
TPID=$!
for _ in $(seq 300); do
	[ -n "$(ls "$TMP/termed/"*.sha256 2>/dev/null)" ] &&
		[ "$(sql "SELECT count(*) < $OLD FROM lead_activity_log WHERE ${PRED[lead_activity_log]}")" = t ] && break
	sleep 0.05
done
kill -TERM "$TPID" 2>/dev/null; wait "$TPID"; RC=$?
expect_eq "$RC" 3 "a run stopped by SIGTERM exits 3"
check "...saying the files hold every row deleted" grep -q "stopped; the files hold every row deleted so far" "$TMP/term.err"
LEFT=$(sql "SELECT count(*) FROM lead_activity_log WHERE ${PRED[lead_activity_log]}")
check "...having deleted part of them ($LEFT of $OLD left)" test "$LEFT" -gt 0 -a "$LEFT" -lt "$OLD"

# Leave the old rows out of later tests' way (test_prune counts the old
# done retry rows of the whole queue).
sql "DELETE FROM lead_activity_log WHERE client_id = '$CID' AND ${PRED[lead_activity_log]};
     DELETE FROM email_events WHERE event_hash LIKE 'arch-$S-%';
     DELETE FROM workflow_errors WHERE workflow_name = 'archive-test-$S';
     DELETE FROM workflow_executions WHERE workflow_name = 'archive-test-$S';
     DELETE FROM alert_history WHERE kind = 'archive-test-$S';
     DELETE FROM retry_queue WHERE workflow = 'archive-test-$S'" >/dev/null
finish
