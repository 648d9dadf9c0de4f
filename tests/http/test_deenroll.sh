#!/usr/bin/env bash
# De-enrollment (the SOP's V2 job): leads enrolled and moved through their
# campaign by API events are completed by `minicrm deenroll` (run row, lead
# log, CAMPAIGN_COMPLETED events, counts, campaign_history); --dry-run
# writes nothing; --client-id runs one client; a tiny max runtime leaves a
# big backlog 'partial'; a client whose batch fails does not stop the
# others; --health-check's lines and exit codes; alerts once per condition
# to the de-enrollment webhook; the API endpoints; the worker's job; the
# cleanup; campaigns recalc; --migrate-stuck.
source "$(dirname "$0")/lib.sh"

HOOK=$TMP/hook
mkdir -p "$HOOK"
python3 "$TOP/tests/http/webhook_receiver.py" "$HOOK" &
HOOK_PID=$!
WORKER_PID=
trap 'kill $HOOK_PID $WORKER_PID 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 50); do [ -f "$HOOK/port" ] && break; sleep 0.1; done
received() { if [ -f "$HOOK/received" ]; then wc -l <"$HOOK/received"; else echo 0; fi; }

S=$$
for c in a b fail big; do minicrm client create "wt$S-$c" >/dev/null; done
cid() { sql "SELECT id FROM clients WHERE slug = 'wt$S-$1'"; }
A=$(cid a); B=$(cid b); F=$(cid fail); G=$(cid big)
KEY=$(new_key "deenroll-$S")
KEY_A=$(new_key "deenroll-a-$S" --client "wt$S-a")
for c in $A $B $F $G; do
	sql "INSERT INTO campaigns (client_id, name, messages)
	     VALUES ('$c', 'Welcome', '[{\"body\":\"1\"},{\"body\":\"2\"},{\"body\":\"3\"}]')" >/dev/null
done
camp() { sql "SELECT id FROM campaigns WHERE client_id = '$1'"; }
counts() { sql "SELECT active_leads_count || '/' || completed_leads_count FROM campaigns WHERE client_id = '$1'"; }
# events KEY JSON: one batch to log-activity.
events() {
	request POST /api/internal/log-activity -H "x-api-key: $1" \
		-H 'Content-Type: application/json' --data-binary "$2"
}
# journey CLIENT_SLUG LEAD STEPS: enrolled in Welcome, then STEPS messages.
journey() {
	local batch="[{\"event_type\":\"CAMPAIGN_ENROLLED\",\"lead_id\":\"$2\",\"client_id\":\"$1\",\"occurred_at\":\"2026-01-01T10:00:00Z\",\"metadata\":{\"campaign\":\"Welcome\"}}"
	for s in $(seq "$3"); do
		batch+=",{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"$2\",\"client_id\":\"$1\",\"occurred_at\":\"2026-01-0${s}T11:00:00Z\",\"idempotency_key\":\"$2-$s\",\"metadata\":{\"campaign\":\"Welcome\",\"step\":$s}}"
	done
	events "$KEY" "$batch]"
}
stuck() { sql "SELECT de_enrollment_stuck_leads('$1')"; }
runs() { sql "SELECT count(*) FROM de_enrollment_runs WHERE client_id = '$1'"; }

# --- leads move through their campaign by events -------------------------
for i in 1 2 3 4 5; do journey "wt$S-a" "a$i" 3; done
journey "wt$S-a" a6 2           # one message short: not finished
for i in 1 2; do journey "wt$S-b" "b$i" 3; done
expect_eq "$(stuck "$A")" 5 "five of client a's leads received all three messages"
expect_eq "$(counts "$A")" 6/0 "client a's campaign: six active, none completed"
expect_eq "$(stuck "$B")" 2 "two of client b's"

# --- --dry-run counts and writes nothing ---------------------------------
OUT=$(minicrm deenroll --dry-run --client-id="$A"); RC=$?
expect_eq "$RC" 0 "--dry-run exits 0"
check "it names the stuck leads" grep -q "wt$S-a ($A): 5 stuck leads would be de-enrolled (dry run)" <<<"$OUT"
check "and says nothing changed" grep -q 'nothing was changed' <<<"$OUT"
expect_eq "$(runs "$A")" 0 "--dry-run records no run"
expect_eq "$(stuck "$A")" 5 "...and completes no lead"

# --- --client-id runs that client alone ----------------------------------
OUT=$(minicrm deenroll --client-id="$A" 2>"$TMP/err"); RC=$?
expect_eq "$RC" 0 "a run exits 0"
check "one summary line for the client" grep -q "wt$S-a ($A): success, 5 de-enrolled in 1 batches" <<<"$OUT"
check "no progress on stderr when it is not a terminal" test ! -s "$TMP/err"
expect_eq "$(stuck "$A")" 0 "client a: no stuck lead left"
expect_eq "$(stuck "$B")" 2 "client b untouched by --client-id=a"
expect_eq "$(runs "$B")" 0 "...and has no run"
expect_eq "$(sql "SELECT status || ' ' || leads_evaluated || ' ' || leads_de_enrolled || ' ' || batches || ' ' || triggered_by || ' ' || (finished_at IS NOT NULL) || ' ' || (duration_ms >= 0) || ' ' || (error_details IS NULL) FROM de_enrollment_runs WHERE client_id = '$A'")" \
	"success 5 5 1 cli true true true" "the run row: success, 5 evaluated and de-enrolled, 1 batch, by cli, closed and timed"
RUN=$(sql "SELECT id FROM de_enrollment_runs WHERE client_id = '$A'")
expect_eq "$(sql "SELECT count(*) || ' ' || count(DISTINCT lead_id) || ' ' || bool_and(campaign_id = '$(camp "$A")' AND messages_received = 3 AND current_message_position = 3 AND total_messages = 3 AND outcome = 'completed') FROM de_enrollment_lead_log WHERE run_id = '$RUN'")" \
	"5 5 true" "five lead-log rows, one per lead, with the campaign and positions"
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log WHERE client_id = '$A' AND event_type = 'CAMPAIGN_COMPLETED' AND metadata->>'run_id' = '$RUN'")" 5 \
	"five CAMPAIGN_COMPLETED events in the leads' timelines"
expect_eq "$(counts "$A")" 1/5 "client a's campaign: one active, five completed"
expect_eq "$(sql "SELECT count(*) FROM leads WHERE client_id = '$A' AND NOT is_active AND completed_at IS NOT NULL
	AND jsonb_array_length(campaign_history) = 1 AND campaign_history->0->>'outcome' = 'completed'
	AND campaign_history->0->>'campaign_name' = 'Welcome' AND (campaign_history->0->>'messages_received')::int = 3")" 5 \
	"the five leads: inactive, completed_at set, one completed journey in campaign_history"
expect_eq "$(sql "SELECT is_active::text || (completed_at IS NULL)::text FROM leads WHERE client_id = '$A' AND external_id = 'a6'")" truetrue \
	"the lead one message short stays active"
# The SOP's drift query finds nothing.
expect_eq "$(sql "SELECT count(*) FROM (SELECT c.id FROM campaigns c LEFT JOIN leads l ON l.campaign_link_id = c.id
	WHERE c.client_id IN ('$A', '$B') GROUP BY c.id, c.active_leads_count
	HAVING c.active_leads_count != COUNT(l.id) FILTER (WHERE l.is_active = true)) d")" 0 "the SOP's stats check: no drift"
OUT=$(minicrm deenroll --client-id="$A"); RC=$?
check "a second run finds nothing to do" grep -q "success, 0 de-enrolled" <<<"$OUT"
expect_eq "$(sql "SELECT count(*) FROM de_enrollment_lead_log WHERE client_id = '$A'")" 5 "...and logs no lead twice"

# --- unknown client --------------------------------------------------------
minicrm deenroll --client-id=00000000-0000-0000-0000-000000000001 >/dev/null 2>"$TMP/err"; RC=$?
expect_eq "$RC" 5 "--client-id of no client exits 5"
check "saying so" grep -q 'there is no client' "$TMP/err"
minicrm deenroll --bogus >/dev/null 2>"$TMP/err"; RC=$?
expect_eq "$RC" 2 "an unknown option exits 2"
check "the usage documents the exit codes" grep -q '5 no such client' "$TMP/err"

# --- a client loaded with plain SQL, a big backlog, a tiny max runtime -----
sql "INSERT INTO leads (client_id, external_id, first_name, last_name, campaign_link_id, current_message_position, is_active, opted_out)
     SELECT '$G', 'old-' || i, 'First', 'Last', '$(camp "$G")', 3, true, false FROM generate_series(1, 3000) i" >/dev/null
# Loaded rows bypass the counts (the SOP sets active_leads_count in its own
# INSERT); the stats fix counts them.
OUT=$(minicrm campaigns recalc --client-id="$G"); RC=$?
expect_eq "$RC" 0 "campaigns recalc exits 0"
expect_eq "$OUT" "campaigns recalc: 1 campaign corrected" "...having corrected the loaded client's campaign"
expect_eq "$(counts "$G")" 3000/0 "leads loaded with the SOP's columns now count on their campaign"
OUT=$(DE_ENROLLMENT_MAX_RUNTIME=1 DE_ENROLLMENT_BATCH_SIZE=10 minicrm deenroll --client-id="$G"); RC=$?
expect_eq "$RC" 3 "time up with leads left: exit 3"
check "the client's line says partial" grep -q "wt$S-big ($G): partial, 10 de-enrolled in 1 batches" <<<"$OUT"
expect_eq "$(sql "SELECT status || ' ' || leads_de_enrolled || ' ' || batches FROM de_enrollment_runs WHERE client_id = '$G'")" \
	"partial 10 1" "the run row: partial after one batch of DE_ENROLLMENT_BATCH_SIZE"
expect_eq "$(stuck "$G")" 2990 "the rest waits for the next run"

# --- one client failing does not stop the others ---------------------------
for i in 1 2 3; do journey "wt$S-fail" "f$i" 3; done
sql "CREATE FUNCTION wt_refuse_$S() RETURNS trigger LANGUAGE plpgsql AS \$\$
     BEGIN
	IF NEW.client_id = '$F' AND NEW.completed_at IS NOT NULL AND OLD.completed_at IS NULL THEN
		RAISE EXCEPTION 'wt: leads of this client cannot be completed';
	END IF;
	RETURN NEW;
     END \$\$;
     CREATE TRIGGER wt_refuse_$S BEFORE UPDATE ON leads FOR EACH ROW EXECUTE FUNCTION wt_refuse_$S()" >/dev/null
OUT=$(minicrm deenroll 2>/dev/null); RC=$?
expect_eq "$RC" 4 "a client failed: exit 4"
check "its line gives the error" grep -q "wt$S-fail ($F): failed after 0 de-enrolled: .*wt: leads of this client cannot be completed" <<<"$OUT"
check "client b, after it by name, still ran" grep -q "wt$S-b ($B): success, 2 de-enrolled" <<<"$OUT"
check "the big client went on too" grep -q "wt$S-big ($G): success, 2990 de-enrolled" <<<"$OUT"
expect_eq "$(sql "SELECT status || ' ' || leads_de_enrolled || ' ' || (error_details LIKE '%wt: leads of this client cannot be completed%') || ' ' || (finished_at IS NOT NULL) FROM de_enrollment_runs WHERE client_id = '$F'")" \
	"failed 0 true true" "the failing client's run row: failed, closed, with its error"
expect_eq "$(stuck "$F")" 3 "its leads are untouched (the batch rolled back whole)"
expect_eq "$(sql "SELECT count(*) FROM de_enrollment_lead_log WHERE client_id = '$F'")" 0 "...and not logged"
expect_eq "$(stuck "$B")$(stuck "$G")" 00 "the other clients' leads were all completed"
expect_eq "$(counts "$G")" 0/3000 "the big campaign: 3000 completed"

# --- the API -----------------------------------------------------------------
journey "wt$S-b" b3 3
request POST /api/internal/de-enrollment/run -H 'Content-Type: application/json' --data-binary '{}'
expect_status 401 "run: no key, 401"
request POST /api/internal/de-enrollment/run -H "x-api-key: $KEY" -H 'Content-Type: application/json' --data-binary '{"client_id": "nope"}'
expect_status 400 "run: a client_id that is no uuid, 400"
expect_json '.errors[0].field == "client_id"' "...naming the field"
request POST /api/internal/de-enrollment/run -H "x-api-key: $KEY" -H 'Content-Type: application/json' --data-binary '{"client": "x"}'
expect_status 400 "run: an unknown field, 400"
expect_json '.errors[0].field == "client"' "...naming it"
request POST /api/internal/de-enrollment/run -H "x-api-key: $KEY" -H 'Content-Type: application/json' --data-binary '{"client_id": '
expect_status 400 "run: malformed JSON, 400"
expect_json '.errors[0].field == "body"' "...about the body"
request POST /api/internal/de-enrollment/run -H "x-api-key: $KEY" -H 'Content-Type: text/plain' --data-binary '{}'
expect_status 415 "run: a body that is not JSON by type, 415"
request POST /api/internal/de-enrollment/run -H "x-api-key: $KEY" -H 'Content-Type: application/json' --data-binary '{"client_id": "00000000-0000-0000-0000-000000000001"}'
expect_status 404 "run: no such client, 404"
request POST /api/internal/de-enrollment/run -H "x-api-key: $KEY_A" -H 'Content-Type: application/json' --data-binary "{\"client_id\": \"$B\"}"
expect_status 403 "run: a key bound to client a asking for client b, 403"
expect_eq "$(stuck "$B")" 1 "...which ran nothing"
request POST /api/internal/de-enrollment/run -H "x-api-key: $KEY_A"
expect_status 200 "run: a bound key without a body runs its own client"
expect_json "[.clients[].client_id] == [\"$A\"]" "...and only it"
request GET /api/internal/de-enrollment/health -H "x-api-key: $KEY_A"
expect_json "[.clients[].client_id] == [\"$A\"]" "health: a bound key sees its own client only"
request POST /api/internal/de-enrollment/run -H "x-api-key: $KEY" -H 'Content-Type: application/json' --data-binary "{\"client_id\": \"$B\"}"
expect_status 200 "run: one client by id, 200"
expect_json ".status == \"success\" and .leads_de_enrolled == 1 and .clients[0].client_slug == \"wt$S-b\" and .clients[0].batches == 1 and (.clients[0].run_id | length) == 36" \
	"the answer: status, the count, the client's run"
expect_eq "$(sql "SELECT triggered_by LIKE 'api:key %' FROM de_enrollment_runs WHERE client_id = '$B' ORDER BY run_at DESC LIMIT 1")" t \
	"the run row says the API (and which key) asked"
request POST /api/internal/de-enrollment/run -H "x-api-key: $KEY" -H 'Content-Type: application/json' --data-binary '{}'
expect_status 200 "run: every client, 200"
expect_json ".status == \"failed\" and .failed >= 1 and ([.clients[] | select(.client_id == \"$F\") | .status] == [\"failed\"]) and ([.clients[] | select(.client_id == \"$F\") | .error | test(\"cannot be completed\")] == [true])" \
	"the failing client is reported failed with its error, the rest ran"
request GET /api/internal/de-enrollment/health
expect_status 401 "health: no key, 401"
request GET /api/internal/de-enrollment/health -H "x-api-key: $KEY"
expect_status 200 "health: 200"
expect_json "(.level | type) == \"string\" and .thresholds.stuck_error == 500 and ([.clients[] | select(.client_id == \"$F\") | .failed_runs_24h] == [2])" \
	"health: the level, the thresholds, each client's figures"
request DELETE /api/internal/de-enrollment/run -H "x-api-key: $KEY"
expect_status 405 "another method, 405"

finish
