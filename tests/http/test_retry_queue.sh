#!/usr/bin/env bash
# The retry queue's two ways in: POST /api/internal/retry-queue with an API
# key (201 with the row id, the same failure queued again is the same row,
# bad input a 400 that names the problem and writes nothing), and the
# plain INSERT n8n's Postgres node runs as minicrm_n8n — a role that may
# insert into retry_queue and do nothing else.
source "$(dirname "$0")/lib.sh"

KEY=$(new_key retry-intake-$$)
WF=intake-$$
rows() { sql "SELECT count(*) FROM retry_queue WHERE workflow = '$WF'"; }
queue() { request POST /api/internal/retry-queue -H "x-api-key: $KEY" -H 'Content-Type: application/json' --data-binary "$1"; }

EVENT='{"event_type":"MESSAGE_SENT","lead_id":"recQ1","source":"'$WF'","execution_id":"29345","message":"Hi"}'
queue '{"payload":'"$EVENT"',"error":"portal timed out after 3 tries"}'
expect_status 201 "a failed event is queued"
expect_json '.status == "queued" and (.id | type == "number") and .duplicate == false' "with the row's id"
ID=$(jq .id <<<"$BODY")
expect_eq "$(sql "SELECT state || ' ' || attempts || ' ' || (next_attempt_at <= now()) FROM retry_queue WHERE id = $ID")" "pending 0 true" "the row is pending and due now"
expect_eq "$(sql "SELECT workflow || '|' || execution_id || '|' || lead_id || '|' || event_type || '|' || error FROM retry_queue WHERE id = $ID")" "$WF|29345|recQ1|MESSAGE_SENT|portal timed out after 3 tries" "where it came from is taken from the payload"
expect_eq "$(sql "SELECT payload::jsonb = '$EVENT'::jsonb FROM retry_queue WHERE id = $ID")" "t" "the payload is kept as received"
expect_eq "$(sql "SELECT api_key_id = (SELECT id FROM api_keys WHERE name = 'retry-intake-$$') FROM retry_queue WHERE id = $ID")" "t" "with the key that queued it"

queue '{"payload":'"$EVENT"',"error":"second try of the error branch"}'
expect_status 200 "n8n retrying its error branch queues nothing twice"
expect_json ".status == \"duplicate\" and .id == $ID and .duplicate == true" "and answers the same row"
expect_eq "$(rows)" 1 "one row for that failure"

queue '{"payload":"{\"event_type\":\"MESSAGE_SENT\", truncated","workflow":"'$WF'","execution_id":"29346","lead_id":"recQ2","event_type":"MESSAGE_SENT","error":"invalid JSON"}'
expect_status 201 "a payload that is not even JSON is queued (as a string)"
ID2=$(jq .id <<<"$BODY")
expect_eq "$(sql "SELECT payload FROM retry_queue WHERE id = $ID2")" '{"event_type":"MESSAGE_SENT", truncated' "kept byte for byte"
queue '{"payload":{"lead_id":"no type"},"workflow":"'$WF'","execution_id":"29347"}'
expect_status 201 "an invalid event is queued too: the replay will say why"

# A payload json-c would alter is kept as the text received (issue 9 item
# 6): its compact JSON would keep only the last of a repeated key, and the
# replay would then store what log-activity refuses.
DUP='{"event_type":"NOPE","event_type":"MESSAGE_SENT","lead_id":"recQ3"}'
queue '{"payload":'"$DUP"',"workflow":"'$WF'","execution_id":"29348"}'
expect_status 201 "a payload with a repeated key is queued"
DUPID=$(jq .id <<<"$BODY")
expect_eq "$(sql "SELECT payload FROM retry_queue WHERE id = $DUPID")" "$DUP" "...as received, both keys kept"
minicrm replay --id "$DUPID" >/dev/null 2>&1
expect_eq "$(sql "SELECT state || ' ' || attempts || ' ' || (error LIKE 'the key \"event_type\" appears more than once%') FROM retry_queue WHERE id = $DUPID")" "pending 1 true" "...and the replay refuses it for the repeated key, logging nothing"
expect_eq "$(sql "SELECT count(*) FROM leads WHERE external_id = 'recQ3'")" 0 "...not even its lead"
SUR='[{"event_type":"MESSAGE_SENT","lead_id":"recQ4\ud800"}, 18446744073709551616]'
queue '{"payload": '"$SUR"' ,"workflow":"'$WF'","execution_id":"29349"}'
expect_status 201 "a payload with a lone surrogate and a 2^64 number is queued"
expect_eq "$(sql "SELECT payload FROM retry_queue WHERE id = $(jq .id <<<"$BODY")")" "$SUR" "...as received, not as U+FFFD and a saturated number"

# Bad input: 4xx naming the problem, nothing written.
before=$(sql "SELECT count(*) FROM retry_queue")
queue '{"workflow":"'$WF'","error":"x"}'
expect_status 400 "no payload is refused"
expect_json '.errors[] | select(.field == "payload") | .message | test("required")' "naming payload"
queue '{"payload":{},"workfow":"typo","execution_id":7}'
expect_status 400 "unknown fields and wrong types are refused"
expect_json '([.errors[].field] | sort) == ["execution_id", "workfow"]' "naming every bad field"
queue "{\"payload\":{},\"workflow\":\"$(head -c 300 /dev/zero | tr '\0' w)\"}"
expect_status 400 "an over-long workflow is refused"
expect_json '.errors[0].field == "workflow" and (.errors[0].message | test("255"))' "with its limit"
queue '{"payload":{},"lead_id":"a\nb"}'
expect_status 400 "control characters in an identifier are refused"
queue '{"payload":"\u0000"}'
expect_status 400 "a NUL byte is refused"
queue '{"payload": {"a": '
expect_status 400 "malformed JSON is refused"
expect_json '.errors[0].field == "body"' "as a body error"
queue '[{"payload":{}}]'
expect_status 400 "an array is not an envelope"
queue '{"payload":{},"workflow":"'$WF'","workflow":"other"}'
expect_status 400 "a repeated key in the envelope itself is refused"
expect_json '.errors[0].field == "body" and (.error | test("the key \"workflow\" appears more than once"))' "...naming it"
queue '{"payload":"text\ud800","workflow":"'$WF'"}'
expect_status 400 "a string payload with a lone surrogate is refused (its text cannot be kept)"
expect_json '.errors[0].field == "payload" and (.errors[0].message | test("surrogate"))' "...naming payload"
queue '{"payload":{},"error":"\udc00"}'
expect_status 400 "a lone surrogate in another field is refused"
expect_json '.errors[0].field == "error"' "...naming the field"
expect_eq "$(sql "SELECT count(*) FROM retry_queue")" "$before" "nothing of a refused entry was written"

request POST /api/internal/retry-queue -H 'Content-Type: application/json' --data '{"payload":{}}'
expect_status 401 "no key: 401"
request POST /api/internal/retry-queue -H "x-api-key: mcrm_000000000000_$(head -c 43 /dev/zero | tr '\0' A)" -H 'Content-Type: application/json' --data '{"payload":{}}'
expect_status 401 "a wrong key: 401"
request POST /api/internal/retry-queue -H "x-api-key: $KEY" -H 'Content-Type: text/plain' --data '{"payload":{}}'
expect_status 415 "another content type: 415"
request POST /api/internal/retry-queue -H "x-api-key: $KEY" -H 'Content-Type: application/json'
expect_status 411 "no body: 411"
request GET /api/internal/retry-queue -H "x-api-key: $KEY"
expect_status 405 "GET: 405"
expect_header '^Allow: POST' "with Allow"

# The key's client goes with the row.
minicrm client create "intake$$" >/dev/null
CKEY=$(new_key "retry-intake-client" --client "intake$$")
request POST /api/internal/retry-queue -H "x-api-key: $CKEY" -H 'Content-Type: application/json' --data '{"payload":{"event_type":"MESSAGE_SENT","lead_id":"c1"},"workflow":"'$WF'"}'
expect_status 201 "a client's key queues"
expect_eq "$(sql "SELECT c.slug FROM retry_queue q JOIN clients c ON c.id = q.client_id WHERE q.id = $(jq .id <<<"$BODY")")" "intake$$" "the row is bound to the key's client"

# The other way in: n8n's Postgres node, as minicrm_n8n.
N8N_URL=$(sed -n "s/^MINICRM_N8N_DATABASE_URL='\(.*\)'$/\1/p" "$MINICRM_CONF")
check "the instance file has minicrm_n8n's URL" test -n "$N8N_URL"
n8n_sql() { psql "$N8N_URL" -qAtX -v ON_ERROR_STOP=1 -c "$1" 2>"$TMP/n8n.err"; }
INSERT="INSERT INTO retry_queue (payload, workflow, execution_id, lead_id, event_type, error) VALUES ('{\"event_type\":\"BOOKING_CONFIRMED\",\"lead_id\":\"recN8N\"}', '$WF-direct', '555', 'recN8N', 'BOOKING_CONFIRMED', 'ECONNREFUSED') ON CONFLICT DO NOTHING"
check "minicrm_n8n can run the documented INSERT" n8n_sql "$INSERT"
check "twice, harmlessly" n8n_sql "$INSERT"
expect_eq "$(sql "SELECT count(*) || ' ' || min(state) || ' ' || min(queued_error) FROM retry_queue WHERE workflow = '$WF-direct'")" "1 pending ECONNREFUSED" "one pending row, as the API would make it"
check "minicrm_n8n cannot read the queue" bash -c '! psql "$0" -qAtX -c "SELECT payload FROM retry_queue" 2>/dev/null' "$N8N_URL"
check "...with permission denied" bash -c 'psql "$0" -qAtX -c "SELECT payload FROM retry_queue" 2>&1 | grep -q "permission denied for table retry_queue"' "$N8N_URL"
check "cannot update a row" bash -c '! psql "$0" -qAtX -v ON_ERROR_STOP=1 -c "UPDATE retry_queue SET state = '"'done'"'" 2>/dev/null' "$N8N_URL"
check "cannot delete a row" bash -c '! psql "$0" -qAtX -v ON_ERROR_STOP=1 -c "DELETE FROM retry_queue" 2>/dev/null' "$N8N_URL"
check "cannot set the columns the replay keeps" bash -c '! psql "$0" -qAtX -v ON_ERROR_STOP=1 -c "INSERT INTO retry_queue (payload, state) VALUES ('"'{}'"', '"'done'"')" 2>/dev/null' "$N8N_URL"
check "cannot read the activity log" bash -c '! psql "$0" -qAtX -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM lead_activity_log" 2>/dev/null' "$N8N_URL"
check "cannot write to it" bash -c '! psql "$0" -qAtX -v ON_ERROR_STOP=1 -c "SELECT log_activity_batch('"'[]'"')" 2>/dev/null' "$N8N_URL"
check "cannot read the API keys" bash -c '! psql "$0" -qAtX -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM api_keys" 2>/dev/null' "$N8N_URL"
check "cannot read the error history" bash -c '! psql "$0" -qAtX -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM retry_queue_attempts" 2>/dev/null' "$N8N_URL"
check "cannot create a table" bash -c '! psql "$0" -qAtX -v ON_ERROR_STOP=1 -c "CREATE TABLE n8n_was_here (x int)" 2>/dev/null' "$N8N_URL"
expect_eq "$(sql "SELECT string_agg(privilege_type || ':' || table_name, ',' ORDER BY table_name, privilege_type) FROM information_schema.role_table_grants WHERE grantee = 'minicrm_n8n'")" "" "no table-wide right at all"
expect_eq "$(sql "SELECT string_agg(DISTINCT privilege_type || ':' || table_name, ',') FROM information_schema.column_privileges WHERE grantee = 'minicrm_n8n'")" "INSERT:retry_queue" "only INSERT on retry_queue's columns"

sql "DELETE FROM retry_queue WHERE workflow LIKE 'intake-%'" >/dev/null
finish
