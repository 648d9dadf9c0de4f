#!/usr/bin/env bash
# A refused event kept for review: POST /api/internal/retry-queue with
# "state": "refused" (what the n8n sub-workflow does with a 400) queues a
# row the replay never takes by itself; the portal counts and lists it
# with its refusal; a person replays it (`minicrm replay --id`, the page)
# once the cause is fixed, or discards it; it stays refused when it fails
# again; the worker alerts it once, as it alerts a dead row.
source "$(dirname "$0")/lib.sh"

HOOK=$TMP/hook
mkdir -p "$HOOK"
python3 "$TOP/tests/http/webhook_receiver.py" "$HOOK" &
HOOK_PID=$!
trap 'kill $HOOK_PID 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 50); do [ -f "$HOOK/port" ] && break; sleep 0.1; done
export ALERT_WEBHOOK_URL="http://127.0.0.1:$(cat "$HOOK/port")/services/T0/B0/refused-$$"
record_secret "/services/T0/B0/refused-$$"

KEY=$(new_key refused-$$)
WF=refused-$$
queue() { request POST /api/internal/retry-queue -H "x-api-key: $KEY" -H 'Content-Type: application/json' --data-binary "$1"; }
state() { sql "SELECT state || ' ' || attempts FROM retry_queue WHERE id = $1"; }

# An event log-activity refused (unknown event type), kept with its refusal.
EVENT='{"event_type":"NOT_YET_A_TYPE_'$$'","lead_id":"recR1","source":"'$WF'","execution_id":"r1"}'
queue '{"payload":'"$EVENT"',"error":"log-activity: HTTP 400: event_type: is not a known event type","state":"refused"}'
expect_status 201 "a refused event is queued with state refused"
ID=$(jq .id <<<"$BODY")
expect_eq "$(state "$ID")" "refused 0" "the row is refused, no attempt made"
expect_eq "$(sql "SELECT queued_error FROM retry_queue WHERE id = $ID")" "log-activity: HTTP 400: event_type: is not a known event type" "with the refusal as its error"
queue '{"payload":'"$EVENT"',"error":"again","state":"refused"}'
expect_status 200 "queued again: the same row"
queue '{"payload":{"lead_id":"x"},"workflow":"'$WF'","state":"dead"}'
expect_status 400 "any other state is refused"
expect_json '.errors[] | select(.field == "state") | .message | test("refused")' "naming the field"
queue '{"payload":{"event_type":"MESSAGE_SENT","lead_id":"recR2"},"workflow":"'$WF'","execution_id":"r2","state":"pending"}'
expect_status 201 "state pending is the default, spelled out"
expect_eq "$(state "$(jq .id <<<"$BODY")")" "pending 0" "and is pending"

# The replay does not take it by itself.
minicrm replay >/dev/null 2>&1
expect_eq "$(state "$ID")" "refused 0" "minicrm replay leaves a refused row alone"
# A person replays it before fixing the cause: it stays refused.
minicrm replay --id "$ID" >/dev/null 2>&1
expect_eq "$?" 3 "replay --id of a still invalid row fails (exit 3)"
expect_eq "$(state "$ID")" "refused 1" "...and the row stays refused, the attempt counted"
expect_eq "$(sql "SELECT count(*) FROM retry_queue_attempts WHERE retry_id = $ID")" 1 "...in its error history"
minicrm replay >/dev/null 2>&1
expect_eq "$(state "$ID")" "refused 1" "still not replayed by itself"

# The portal: counted, listed, replayable and discardable.
check "log in as an admin" login "refused-admin-$$@example.com" "refused-admin-pw-$$"
browse GET /retry-queue
expect_eq "$(grep -o '<dd id="count-refused">[0-9]*' <<<"$BODY" | grep -o '[0-9]*$')" "$(sql "SELECT count(*) FROM retry_queue WHERE state = 'refused'")" "the retry queue page counts refused rows"
browse GET "/retry-queue?state=refused"
expect_status 200 "and filters on them"
check "listing the row" grep -q "href=\"/retry-queue/$ID\"" <<<"$BODY"
check "with a checkbox to replay it" grep -q "name=\"id\" value=\"$ID\"" <<<"$BODY"
browse GET "/retry-queue/$ID/discard"
expect_status 200 "a refused row can be discarded"

# The alert: once, saying it is kept for review.
sql "UPDATE retry_queue SET dead_alerted_at = now() WHERE state IN ('dead', 'refused') AND id <> $ID" >/dev/null
minicrm job run alerts >/dev/null 2>&1
minicrm job run alerts >/dev/null 2>&1
check "the worker alerts the refused row" grep -q "refused, kept in the retry queue for review" <<<"$(jq -r .text "$HOOK/received" 2>/dev/null)"
expect_eq "$(grep -c "refused, kept" <<<"$(jq -r .text "$HOOK/received")")" 1 "once"

# The cause fixed (here: the event type added), a person replays it.
sql "INSERT INTO event_types (name, description) VALUES ('NOT_YET_A_TYPE_$$', 'added for the test')" >/dev/null
minicrm replay --id "$ID" >/dev/null 2>&1
expect_eq "$?" 0 "fixed, replay --id logs it"
expect_eq "$(state "$ID")" "done 1" "...and the row is done"
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log WHERE source = '$WF'")" 1 "the event is in the log once"
finish
