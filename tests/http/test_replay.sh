#!/usr/bin/env bash
# minicrm replay: due rows are logged through the API's own ingest and
# marked done in the same transaction; rows not yet due are left; an
# event already in the log is marked done and stored nothing twice; an
# invalid payload stays with its validation error, backs off, and is dead
# after REPLAY_MAX_ATTEMPTS; two replays at once process each row exactly
# once; --dry-run changes nothing; --id replays one row, due or not.
source "$(dirname "$0")/lib.sh"

W=replay-$$
KEY=$(new_key "replay-$$")
sql "DELETE FROM retry_queue WHERE state = 'pending'" >/dev/null	# a clean queue
# enqueue WORKFLOW PAYLOAD [next_attempt_at]: a row as n8n would insert it.
enqueue() {
	sql "INSERT INTO retry_queue (payload, workflow, error, next_attempt_at) VALUES ('$2', '$1', 'HTTP 503', ${3:-now()}) RETURNING id" | head -n 1
}
logged() { sql "SELECT count(*) FROM lead_activity_log WHERE source = '$1'"; }
state() { sql "SELECT state || ' ' || attempts FROM retry_queue WHERE id = $1"; }
run_replay() { OUT=$(minicrm replay "$@" 2>"$TMP/replay.err"); RC=$?; }

# Due and not-yet-due.
D1=$(enqueue "$W-due" '{"event_type":"MESSAGE_SENT","lead_id":"recR1","source":"'$W'-due","message":"one"}')
D2=$(enqueue "$W-due" '{"event_type":"INBOUND_REPLY","lead_id":"recR2","source":"'$W'-due","channel":"sms"}')
LATER=$(enqueue "$W-later" '{"event_type":"MESSAGE_SENT","lead_id":"recR3","source":"'$W'-later"}' "now() + interval '1 hour'")
run_replay --dry-run
expect_eq "$RC" 0 "a dry run that would succeed exits 0"
check "and says what it would do" grep -qx "replay (dry run): taken 2, logged 2, duplicates 0, failed 0, dead 0; nothing was changed" <<<"$OUT"
expect_eq "$(logged "$W-due") $(state "$D1") $(state "$D2")" "0 pending 0 pending 0" "a dry run changes nothing"

run_replay
expect_eq "$RC" 0 "the replay exits 0"
check "its summary: two taken, two logged" grep -qx "replay: taken 2, logged 2, duplicates 0, failed 0, dead 0" <<<"$OUT"
expect_eq "$(state "$D1") $(state "$D2")" "done 0 done 0" "the due rows are done"
expect_eq "$(logged "$W-due")" 2 "their events are in the log"
expect_eq "$(sql "SELECT a.message FROM retry_queue q JOIN lead_activity_log a ON a.id = q.log_id WHERE q.id = $D1")" "one" "each row points at the event it became"
expect_eq "$(sql "SELECT count(*) FROM retry_queue WHERE id IN ($D1, $D2) AND done_at IS NOT NULL")" 2 "with the time it was done"
expect_eq "$(state "$LATER")" "pending 0" "a row not yet due is left alone"
expect_eq "$(logged "$W-later")" 0 "and not logged"

# --id: that row now, due or not; never a done or discarded one.
run_replay --id "$LATER"
expect_eq "$RC" 0 "--id replays a row that is not due"
expect_eq "$(state "$LATER") $(logged "$W-later")" "done 0 1" "it is logged and done"
run_replay --id "$LATER"
expect_eq "$RC" 4 "--id of a done row: exit 4"
check "saying why" grep -q "does not exist or is done or discarded" "$TMP/replay.err"
expect_eq "$(logged "$W-later")" 1 "and nothing is logged again"
DISC=$(enqueue "$W-disc" '{"event_type":"MESSAGE_SENT","lead_id":"recR4","source":"'$W'-disc"}')
sql "UPDATE retry_queue SET state = 'discarded' WHERE id = $DISC" >/dev/null
run_replay --id "$DISC"
expect_eq "$RC $(logged "$W-disc")" "4 0" "--id never replays a discarded row"
run_replay --id 999999999
expect_eq "$RC" 4 "--id of no row: exit 4"
run_replay --id abc
expect_eq "$RC" 2 "--id must be a number: usage, exit 2"
run_replay --limit 0
expect_eq "$RC" 2 "--limit must be positive"

# Already in the log: done, stored nothing twice.
EV='{"event_type":"MESSAGE_SENT","lead_id":"recDup","source":"'$W'-dup","execution_id":"777"}'
request POST /api/internal/log-activity -H "x-api-key: $KEY" -H 'Content-Type: application/json' --data "$EV"
expect_status 201 "an event is logged"
LOGID=$(jq .id <<<"$BODY")
DUP=$(enqueue "$W-dup" "$EV")
EV2='{"event_type":"MESSAGE_SENT","lead_id":"recDup2","idempotency_key":"replay-'$$'-k"}'
request POST /api/internal/log-activity -H "x-api-key: $KEY" -H 'Content-Type: application/json' --data "$EV2"
DUP2=$(enqueue "$W-dup" "$EV2")
run_replay
check "the replay reports two duplicates" grep -qx "replay: taken 2, logged 0, duplicates 2, failed 0, dead 0" <<<"$OUT"
expect_eq "$(state "$DUP") $(state "$DUP2")" "done 0 done 0" "rows already logged are marked done"
expect_eq "$(logged "$W-dup")" 1 "the event is in the log once"
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log WHERE idempotency_key = 'replay-$$-k'")" 1 "so is the one with an idempotency key"
expect_eq "$(sql "SELECT log_id FROM retry_queue WHERE id = $DUP")" "$LOGID" "the row points at the event already stored"

# Invalid payloads: stay pending with the validation error, back off, die.
BAD=$(enqueue "$W-bad" '{"lead_id":"recBad","source":"'$W'-bad"}')
NOTJSON=$(enqueue "$W-bad" '{"event_type": "MESSAGE_SENT", trunc')
export REPLAY_MAX_ATTEMPTS=3
run_replay
expect_eq "$RC" 3 "failed rows: exit 3"
check "the summary counts them" grep -qx "replay: taken 2, logged 0, duplicates 0, failed 2, dead 0" <<<"$OUT"
expect_eq "$(state "$BAD")" "pending 1" "an invalid event stays pending, one attempt counted"
expect_eq "$(sql "SELECT error FROM retry_queue WHERE id = $BAD")" "invalid event: event_type is required" "with the validation error"
expect_eq "$(sql "SELECT error LIKE 'malformed JSON%' FROM retry_queue WHERE id = $NOTJSON")" t "a payload that is not JSON says so"
expect_eq "$(sql "SELECT round(extract(epoch FROM next_attempt_at - updated_at)) FROM retry_queue WHERE id = $BAD")" 60 "the next try is a minute later"
run_replay
expect_eq "$(state "$BAD")" "pending 1" "not retried before it is due"
sql "UPDATE retry_queue SET next_attempt_at = now() WHERE id IN ($BAD, $NOTJSON)" >/dev/null
run_replay
expect_eq "$(state "$BAD")" "pending 2" "the second failure"
expect_eq "$(sql "SELECT round(extract(epoch FROM next_attempt_at - updated_at)) FROM retry_queue WHERE id = $BAD")" 120 "backs off twice as long"
sql "UPDATE retry_queue SET next_attempt_at = now() WHERE id IN ($BAD, $NOTJSON)" >/dev/null
run_replay
check "the third is the last: dead" grep -qx "replay: taken 2, logged 0, duplicates 0, failed 0, dead 2" <<<"$OUT"
expect_eq "$(state "$BAD")" "dead 3" "the row is dead after REPLAY_MAX_ATTEMPTS"
expect_eq "$(sql "SELECT error FROM retry_queue WHERE id = $BAD")" "invalid event: event_type is required" "with its last error"
expect_eq "$(sql "SELECT string_agg(attempt::text, ',' ORDER BY attempt) FROM retry_queue_attempts WHERE retry_id = $BAD")" "1,2,3" "every attempt is in the history"
expect_eq "$(sql "SELECT queued_error FROM retry_queue WHERE id = $BAD")" "HTTP 503" "and the error it was queued with is kept"
run_replay
expect_eq "$(state "$BAD")" "dead 3" "a dead row is not replayed by itself"
unset REPLAY_MAX_ATTEMPTS
# A dead row whose cause is fixed is replayed by --id.
TYPE=REPLAY_T$$
DEADT=$(enqueue "$W-type" '{"event_type":"'$TYPE'","lead_id":"recT","source":"'$W'-type"}')
sql "UPDATE retry_queue SET state = 'dead', attempts = 8 WHERE id = $DEADT" >/dev/null
run_replay --id "$DEADT"
expect_eq "$RC $(state "$DEADT")" "3 dead 9" "a dead row replayed by --id that fails again stays dead"
sql "INSERT INTO event_types (name) VALUES ('$TYPE')" >/dev/null
sleep 1.1	# the catalog reloads a missing name at most once a second
run_replay --id "$DEADT"
expect_eq "$RC $(state "$DEADT") $(logged "$W-type")" "0 done 9 1" "once the event type exists, --id logs it"

# Two replays at once on 500 rows: each row exactly once. The events
# carry no key, so a row processed twice would be stored twice.
sql "INSERT INTO retry_queue (payload, workflow) SELECT json_build_object('event_type', 'MESSAGE_SENT', 'lead_id', 'recC' || (i % 40), 'source', '$W-conc', 'message', 'n' || i)::text, '$W-conc' FROM generate_series(1, 500) i" >/dev/null
minicrm replay >"$TMP/a.out" 2>"$TMP/a.err" & A=$!
minicrm replay >"$TMP/b.out" 2>"$TMP/b.err" & B=$!
wait $A; RA=$?
wait $B; RB=$?
expect_eq "$RA $RB" "0 0" "both replays succeed"
TA=$(sed -n 's/^replay: taken \([0-9]*\),.*/\1/p' "$TMP/a.out")
TB=$(sed -n 's/^replay: taken \([0-9]*\),.*/\1/p' "$TMP/b.out")
expect_eq "$((TA + TB))" 500 "together they took the 500 rows ($TA + $TB)"
expect_eq "$(logged "$W-conc")" 500 "the log holds 500 events, none twice"
expect_eq "$(sql "SELECT count(DISTINCT message) FROM lead_activity_log WHERE source = '$W-conc'")" 500 "each of them once"
expect_eq "$(sql "SELECT count(*) FROM retry_queue WHERE workflow = '$W-conc' AND state = 'done'")" 500 "and 500 rows are done"
expect_eq "$(sql "SELECT count(DISTINCT log_id) FROM retry_queue WHERE workflow = '$W-conc'")" 500 "each pointing at its own event"

# --limit, and the progress line on a terminal.
sql "INSERT INTO retry_queue (payload, workflow) SELECT json_build_object('event_type', 'MESSAGE_SENT', 'lead_id', 'recL', 'source', '$W-limit', 'message', 'n' || i)::text, '$W-limit' FROM generate_series(1, 120) i" >/dev/null
run_replay --limit 30
check "--limit takes no more rows than asked" grep -qx "replay: taken 30, logged 30, duplicates 0, failed 0, dead 0" <<<"$OUT"
expect_eq "$(sql "SELECT min(id) > (SELECT max(id) FROM retry_queue WHERE workflow = '$W-limit' AND state = 'done') FROM retry_queue WHERE workflow = '$W-limit' AND state = 'pending'")" t "oldest first"
check "no progress line when stderr is not a terminal" test ! -s "$TMP/replay.err"
script -qec "'$TOP/bin/minicrm' replay" /dev/null >"$TMP/tty.out" 2>&1
check "on a terminal the progress is shown in place" grep -q $'\rreplayed 90/90' "$TMP/tty.out"
check "then the summary" grep -q "replay: taken 90, logged 90" "$TMP/tty.out"

sql "DELETE FROM retry_queue WHERE workflow LIKE 'replay-%'" >/dev/null
finish
