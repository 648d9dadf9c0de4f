#!/usr/bin/env bash
# The ingest contract as n8n sees it: stored events, duplicates answered as
# such, batches, clients, keys (rotation and revocation), the health figures.
source "$(dirname "$0")/lib.sh"

KEY=$(new_key ingest-test)
post() { request POST /api/internal/log-activity -H "x-api-key: $KEY" -H 'Content-Type: application/json' --data-binary "$@"; }
events() { sql "SELECT count(*) FROM lead_activity_log"; }

# --- one event, stored with every field, answered 201 with its id
post '{"event_type":"MESSAGE_SENT","lead_id":"recT1","source":"UYSP-Kajabi-SMS-Scheduler","execution_id":"29345","channel":"sms","message":"Hi <b>there</b>","occurred_at":"2025-11-07T10:15:30.5-05:00","metadata":{"campaign":"fall","step":2}}'
expect_status 201 "a new event is answered 201"
expect_json '.status == "created" and .duplicate == false and (.id | type) == "number"' "201 names the new id"
ID=$(jq -r .id <<<"$BODY")
row=$(sql "SELECT a.event_type, l.external_id, a.source, a.execution_id, a.channel, a.message, a.metadata->>'campaign', a.occurred_at AT TIME ZONE 'UTC', a.created_at > now() - interval '1 minute' FROM lead_activity_log a JOIN leads l ON l.id = a.lead_id WHERE a.id = $ID")
expect_eq "$row" "MESSAGE_SENT|recT1|UYSP-Kajabi-SMS-Scheduler|29345|sms|Hi <b>there</b>|fall|2025-11-07 15:15:30.5|t" "every field is stored; occurred_at (caller's time) apart from created_at"

# --- n8n retries the same item: derived key from source, execution, type, lead
before=$(events)
post '{"event_type":"MESSAGE_SENT","lead_id":"recT1","source":"UYSP-Kajabi-SMS-Scheduler","execution_id":"29345","message":"Hi again"}'
expect_status 200 "a retried event is answered 200"
expect_json ".duplicate == true and .id == $ID" "the duplicate names the stored event's id"
expect_eq "$(events)" "$before" "a duplicate writes nothing"
post '{"event_type":"MESSAGE_SENT","lead_id":"recT2","source":"UYSP-Kajabi-SMS-Scheduler","execution_id":"29345"}'
expect_status 201 "the same execution for another lead is a new event"

# --- explicit idempotency keys
post '{"event_type":"BOOKING_CONFIRMED","lead_id":"recT3","idempotency_key":"calendly-evt-1"}'
expect_status 201 "first event with an idempotency key"
post '{"event_type":"BOOKING_CONFIRMED","lead_id":"recT3","idempotency_key":"calendly-evt-1"}'
expect_status 200 "same idempotency key again is a duplicate"
before=$(events)
post '{"event_type":"INBOUND_REPLY","lead_id":"recT3"}'
post '{"event_type":"INBOUND_REPLY","lead_id":"recT3"}'
expect_eq "$(events)" "$((before + 2))" "events without any key are all stored"

# --- an unknown lead is created, so no event is dropped
expect_eq "$(sql "SELECT count(*) FROM leads WHERE external_id = 'recT1'")" "1" "the unknown lead was created once"

# --- batches: counts, in-batch duplicates, per-index errors, partial 207
before=$(events)
post '[{"event_type":"MESSAGE_DELIVERED","lead_id":"b1","idempotency_key":"k-b1"},{"event_type":"MESSAGE_DELIVERED","lead_id":"b1","idempotency_key":"k-b1"},{"event_type":"MESSAGE_SENT","lead_id":"b2"}]'
expect_status 201 "a valid batch is answered 201"
expect_json '.received == 3 and .accepted == 2 and .duplicates == 1 and .rejected == 0' "batch counts accepted and duplicates"
expect_json '.results[0].id == .results[1].id and .results[1].duplicate == true' "an in-batch duplicate points at the first"
expect_eq "$(events)" "$((before + 2))" "the batch stored two events"
post '[{"event_type":"MESSAGE_SENT","lead_id":"p1","idempotency_key":"k-p1"},{"event_type":"NOT_A_TYPE","lead_id":"p2","idempotency_key":"k-p2"},{"lead_id":"p3"}]'
expect_status 207 "a batch with rejected events is answered 207"
expect_json '.accepted == 1 and .rejected == 2 and ([.errors[].index] == [1,2])' "rejected events are listed by index"
expect_json '.errors[0].errors[0].field == "event_type" and .errors[1].errors[0].field == "event_type"' "each rejected event names its bad field"
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log WHERE idempotency_key IN ('k-p1','k-p2')")" "1" "only the valid event of the batch was written"
post '[{"event_type":"MESSAGE_SENT","lead_id":"p1","idempotency_key":"k-p1"}]'
expect_status 200 "a batch of only duplicates is answered 200"
expect_json '.accepted == 0 and .duplicates == 1' "...and counts it as a duplicate"

# --- one bad spot refuses its event, not the batch (issue 9 item 4): what
# json-c would alter (a lone surrogate, an integer beyond 64 bits, a NUL in
# a key) or a repeated key, in the middle event of three: 207, the other
# two stored, the middle one refused by index with the reason, nothing of
# it written
spot() {	# NAME MIDDLE-EVENT-JSON REGEX
	local name=$1 before=$(events)
	post "[{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"spot-$name-0\",\"idempotency_key\":\"spot-$name-0\"},$2,{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"spot-$name-2\",\"idempotency_key\":\"spot-$name-2\"}]"
	expect_status 207 "$name in the middle event: 207, not 400 for the batch"
	expect_json ".accepted == 2 and .rejected == 1 and [.results[].index] == [0,2] and .errors[0].index == 1" "$name: the other two accepted, the middle one refused by index"
	expect_json ".errors[0].errors[0].field == \"event\" and (.errors[0].errors[0].message | test(\"$3\"))" "$name: the refusal says why"
	expect_eq "$(events)" "$((before + 2))" "$name: two events written"
	expect_eq "$(sql "SELECT count(*) FROM leads WHERE external_id LIKE 'spot-$name-%'")" "2" "$name: nothing of the refused event (no lead)"
}
spot surrogate '{"event_type":"MESSAGE_SENT","lead_id":"spot-surrogate-1\ud800","idempotency_key":"spot-surrogate-1"}' 'surrogate'
spot bigint '{"event_type":"MESSAGE_SENT","lead_id":"spot-bigint-1","idempotency_key":"spot-bigint-1","metadata":{"n":18446744073709551616}}' '64 bits'
spot nulkey '{"event_type":"MESSAGE_SENT","lead_id":"spot-nulkey-1","idempotency_key":"spot-nulkey-1","metadata":{"k\u0000x":1}}' 'NUL'
spot dupkey '{"event_type":"NOPE","event_type":"MESSAGE_SENT","lead_id":"spot-dupkey-1","idempotency_key":"spot-dupkey-1"}' 'event_type.*more than once'
spot dupmeta '{"event_type":"MESSAGE_SENT","lead_id":"spot-dupmeta-1","idempotency_key":"spot-dupmeta-1","metadata":{"a":[{"k":1,"k":2}]}}' 'key .k. appears more than once'
# What is not JSON at all still refuses the whole batch.
before=$(events)
post '[{"event_type":"MESSAGE_SENT","lead_id":"spot-nan-0"},{"event_type":"MESSAGE_SENT","lead_id":"spot-nan-1","metadata":{"n":NaN}}]'
expect_status 400 "a batch that is not JSON (NaN) is refused whole"
expect_json '.errors[0].field == "body"' "...as a body error"
expect_eq "$(events)" "$before" "...nothing written"

# --- a repeated key is a caller's bug, not data (issue 9 item 6): 400
# naming the key, at the top and at any depth, nothing written
before=$(events)
post '{"event_type":"NOPE","event_type":"MESSAGE_SENT","lead_id":"recDup1"}'
expect_status 400 "a repeated key in an event is refused"
expect_json '.errors[0].field == "body" and (.error | test("the key \"event_type\" appears more than once"))' "...naming the key"
post '{"event_type":"MESSAGE_SENT","lead_id":"recDup2","metadata":{"a":{"b":[{"c":1,"\u0063":2}]}}}'
expect_status 400 "a repeated key deep in metadata is refused (the same name escaped)"
expect_json '.error | test("\"c\"")' "...naming it"
expect_eq "$(events)" "$before" "neither wrote anything"
expect_eq "$(sql "SELECT count(*) FROM leads WHERE external_id IN ('recDup1','recDup2')")" "0" "...not even a lead"

# --- a batch of 1,000 events is one request
jq -nc '[range(1000) | {event_type:"MESSAGE_SENT", lead_id:("big-\(. % 100)"), idempotency_key:("big-\(.)")}]' > "$TMP/big.json"
before=$(events)
post @"$TMP/big.json"
expect_status 201 "a batch of 1000 events is accepted"
expect_json '.accepted == 1000 and (.results | length) == 1000' "all 1000 are reported"
expect_eq "$(events)" "$((before + 1000))" "all 1000 are stored"
post @"$TMP/big.json"
expect_json '.duplicates == 1000' "replaying the whole batch stores nothing twice"

# --- json-c would cut an object key at a NUL: such a body is refused whole
before=$(events)
post '{"event_type":"MESSAGE_SENT","lead_id":"recN","metadata":{"k\u0000x":1}}'
expect_status 400 "a NUL in an object key is refused"
expect_json '.errors[0].field == "body" and (.error | test("NUL"))' "...and the answer says why"
post '{"event_type":"MESSAGE_SENT","lead_id":"recN\u2028x"}'
expect_status 400 "a line separator in lead_id is refused"
expect_eq "$(events)" "$before" "neither wrote anything"
post '{"event_type":"MESSAGE_SENT","lead_id":"recN","metadata":{"k\\u0000x":"line1\nline2"}}'
expect_status 201 "an escaped backslash before u0000 is no NUL"

# --- clients: default, named, and keys bound to one client
minicrm client create acme --name "Acme Inc" >/dev/null
post '{"event_type":"MESSAGE_SENT","lead_id":"recC1","client_id":"acme"}'
expect_status 201 "an event for a named client"
expect_eq "$(sql "SELECT c.slug FROM lead_activity_log a JOIN clients c ON c.id = a.client_id WHERE a.id = $(jq .id <<<"$BODY")")" "acme" "stored under that client"
ACME_KEY=$(new_key acme-key --client acme)
request POST /api/internal/log-activity -H "x-api-key: $ACME_KEY" -H 'Content-Type: application/json' --data '{"event_type":"MESSAGE_SENT","lead_id":"recC2"}'
expect_status 201 "a client's key logs for its client"
expect_eq "$(sql "SELECT c.slug FROM lead_activity_log a JOIN clients c ON c.id = a.client_id WHERE a.id = $(jq .id <<<"$BODY")")" "acme" "without client_id, the key's client is used"
request POST /api/internal/log-activity -H "x-api-key: $ACME_KEY" -H 'Content-Type: application/json' --data '{"event_type":"MESSAGE_SENT","lead_id":"recC3","client_id":"default"}'
expect_status 400 "a client's key cannot log for another client"
expect_json '.errors[0].field == "client_id"' "...and the error names client_id"

# --- key rotation: two live keys, then the old one revoked
NEW_KEY=$(new_key rotated)
request POST /api/internal/log-activity -H "x-api-key: $NEW_KEY" -H 'Content-Type: application/json' --data '{"event_type":"MESSAGE_SENT","lead_id":"recR"}'
expect_status 201 "the new key works while the old one is live"
post '{"event_type":"MESSAGE_SENT","lead_id":"recR"}'
expect_status 201 "the old key still works until revoked"
check "revoke the old key" minicrm apikey revoke ingest-test
sleep 3	# verified keys are cached for MINICRM_APIKEY_CACHE_SECONDS (2)
post '{"event_type":"MESSAGE_SENT","lead_id":"recR"}'
expect_status 401 "a revoked key is refused"
request POST /api/internal/log-activity -H "x-api-key: $NEW_KEY" -H 'Content-Type: application/json' --data '{"event_type":"MESSAGE_SENT","lead_id":"recR"}'
expect_status 201 "the new key keeps working after the rotation"
expect_eq "$(sql "SELECT count(*) FROM api_keys WHERE name = 'rotated' AND last_used_at IS NOT NULL")" "1" "the key's last use is recorded"
# The secret is base64url and may itself hold '_': take it by position
# (after "mcrm_" + 12 hex + "_"), never by splitting on '_'.
expect_eq "$(sql "SELECT count(*) FROM api_keys WHERE name = 'rotated' AND key_hash = sha256(convert_to('$NEW_KEY', 'UTF8'))")" "1" "a key is stored as the SHA-256 of the key"
expect_eq "$(sql "SELECT count(*) FROM api_keys WHERE length(substr('$NEW_KEY', 19)) = 43 AND strpos(encode(key_hash, 'escape'), substr('$NEW_KEY', 19)) = 0 AND strpos(encode(key_hash, 'hex'), substr('$NEW_KEY', 19)) = 0 AND name = 'rotated'")" "1" "the key's secret is nowhere in what is stored"
check "keys never reach the logs" bash -c "! grep -rqF -- '$NEW_KEY' '$MINICRM_VAR/log'"

# --- the health API: the SOP's shape, counts that move
request GET /api/internal/activity-health
expect_status 200 "activity-health answers 200"
expect_json 'has("status") and has("events_last_hour") and has("events_last_24h") and has("retry_queue_size")' "the SOP's fields are there"
expect_json '.events_last_hour >= 1000 and .events_last_24h >= .events_last_hour' "the counts include the events just logged"
h1=$(jq .events_last_hour <<<"$BODY")
KEY=$NEW_KEY
post '{"event_type":"MESSAGE_SENT","lead_id":"recH"}'
request GET /api/internal/activity-health
expect_json ".events_last_hour == $((h1 + 1))" "one more event, one more in the last hour"
# The counts are kept per minute, in shards that compaction folds: events
# loaded with SQL count too (a statement trigger), old ones drop out of the
# hour and the day, and folding the shards changes no total.
CLIENT=$(sql "SELECT id FROM clients WHERE slug = 'default'")
LEAD=$(sql "SELECT id FROM leads WHERE client_id = '$CLIENT' LIMIT 1")
sql "INSERT INTO lead_activity_log (client_id, lead_id, event_type, occurred_at, created_at) SELECT '$CLIENT', '$LEAD', 'MESSAGE_SENT', now(), now() - interval '30 minutes' FROM generate_series(1, 5)" >/dev/null
sql "INSERT INTO lead_activity_log (client_id, lead_id, event_type, occurred_at, created_at) SELECT '$CLIENT', '$LEAD', 'MESSAGE_SENT', now(), now() - interval '3 hours' FROM generate_series(1, 7)" >/dev/null
sql "INSERT INTO lead_activity_log (client_id, lead_id, event_type, occurred_at, created_at) SELECT '$CLIENT', '$LEAD', 'MESSAGE_SENT', now(), now() - interval '2 days' FROM generate_series(1, 11)" >/dev/null
request GET /api/internal/activity-health
expect_json ".events_last_hour == $((h1 + 1 + 5)) and .events_last_24h == $((h1 + 1 + 5 + 7))" "events logged by SQL count in their own minute"
check "compaction folds the shards" sql "SELECT activity_counts_compact()"
expect_eq "$(sql "SELECT count(*) FROM activity_counts WHERE shard <> 0 AND bucket < date_trunc('minute', now() - interval '2 minutes')")" 0 "no old shard is left after compaction"
request GET /api/internal/activity-health
expect_json ".events_last_hour == $((h1 + 1 + 5)) and .events_last_24h == $((h1 + 1 + 5 + 7))" "compaction changes no total"
expect_eq "$(sql "SELECT sum(events) FROM activity_counts_hourly")" "$(sql "SELECT count(*) FROM lead_activity_log")" "the hourly counts match the log exactly"
expect_eq "$(sql "SELECT sum(events) FROM activity_counts")" "$(sql "SELECT count(*) FROM lead_activity_log WHERE created_at >= date_trunc('hour', now() - interval '26 hours')")" "the minute counts match the log's last 26 hours"
# The SOP's red flag: more than 20 events waiting in the retry queue.
sql "INSERT INTO retry_queue (payload, state) SELECT '{}', 'pending' FROM generate_series(1, 21)" >/dev/null
request GET /api/internal/activity-health
expect_json '.status == "degraded" and .retry_queue_size == 21 and (.reasons | map(test("retry queue")) | any)' "a queue above 20 makes the status degraded, with the reason"
sql "DELETE FROM retry_queue" >/dev/null
# No events in the last hour during business hours is the other red flag.
request GET /api/internal/activity-health
expect_json '.status == "healthy" and .reasons == []' "healthy again once the queue is empty"

# --- liveness and readiness, security headers
for p in /health /healthz /readyz; do
	request GET "$p"
	expect_status 200 "GET $p"
done
expect_header '^X-Content-Type-Options: nosniff' "nosniff on API answers"
expect_header '^X-Frame-Options: DENY' "frame denial on API answers"
expect_header "^Content-Security-Policy: default-src 'none'" "a CSP on API answers"
request GET /
expect_status 303 "the admin portal answers (anonymous: to the login page)"

finish
