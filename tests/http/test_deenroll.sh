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
# Two workers (DE_ENROLLMENT_WORKERS' default): while one completed the
# big client, the other began the clients after it.
expect_eq "$(sql "SELECT count(*) > 0 FROM de_enrollment_runs g
	JOIN de_enrollment_runs o ON o.client_id <> g.client_id
	 AND o.run_at > g.run_at AND o.run_at < g.finished_at
	WHERE g.client_id = '$G' AND g.leads_de_enrolled = 2990")" t \
	"two workers: another client's run began while the big client's ran"

# --- two runs at once split the leads, never complete one twice -----------
sql "INSERT INTO leads (client_id, external_id, campaign_link_id, current_message_position, is_active, opted_out)
     SELECT '$G', 'twin-' || i, '$(camp "$G")', 3, true, false FROM generate_series(1, 2000) i" >/dev/null
sql "SELECT campaigns_recalculate('$G')" >/dev/null
T0=$(sql "SELECT now()")
DE_ENROLLMENT_BATCH_SIZE=50 minicrm deenroll --client-id="$G" >"$TMP/twin1" & T1=$!
DE_ENROLLMENT_BATCH_SIZE=50 minicrm deenroll --client-id="$G" >"$TMP/twin2"; wait $T1
expect_eq "$(stuck "$G")" 0 "two runs at once: every lead completed"
expect_eq "$(sql "SELECT sum(leads_de_enrolled) FROM de_enrollment_runs WHERE client_id = '$G' AND run_at >= '$T0'")" 2000 \
	"...2000 in all between the two runs"
expect_eq "$(sql "SELECT count(*) || ' ' || count(DISTINCT lead_id) FROM de_enrollment_lead_log l JOIN leads d ON d.id = l.lead_id WHERE d.external_id LIKE 'twin-%' AND d.client_id = '$G'")" "2000 2000" \
	"...each lead logged once"
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log WHERE client_id = '$G' AND event_type = 'CAMPAIGN_COMPLETED'")" 5000 \
	"...one CAMPAIGN_COMPLETED event each (and the 3000 before)"
expect_eq "$(counts "$G")" 0/5000 "...and the campaign's counts are exact"

# --- a batch lost to a deadlock is run again ------------------------------
journey "wt$S-b" b9 3
sql "CREATE SEQUENCE wt_once_$S;
     CREATE FUNCTION wt_deadlock_$S() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS \$\$
     BEGIN
	IF NEW.client_id = '$B' AND NEW.completed_at IS NOT NULL AND nextval('wt_once_$S') = 1 THEN
		RAISE EXCEPTION 'wt: deadlock detected (once)' USING ERRCODE = '40P01';
	END IF;
	RETURN NEW;
     END \$\$;
     CREATE TRIGGER wt_deadlock_$S BEFORE UPDATE ON leads FOR EACH ROW EXECUTE FUNCTION wt_deadlock_$S()" >/dev/null
OUT=$(minicrm deenroll --client-id="$B" 2>"$TMP/err"); RC=$?
expect_eq "$RC" 0 "a deadlock on the first try: the run still succeeds"
check "...having completed the lead" grep -q "wt$S-b ($B): success, 1 de-enrolled in 1 batches" <<<"$OUT"
check "...and logged the retry" grep -q "batch retried after: .*deadlock detected (once)" "$TMP/err"
sql "DROP TRIGGER wt_deadlock_$S ON leads; DROP FUNCTION wt_deadlock_$S(); DROP SEQUENCE wt_once_$S" >/dev/null

# --- on a terminal, progress on stderr -------------------------------------
if command -v script >/dev/null; then
	sql "INSERT INTO leads (client_id, external_id, campaign_link_id, current_message_position, is_active, opted_out)
	     SELECT '$G', 'tty-' || i, '$(camp "$G")', 3, true, false FROM generate_series(1, 300) i" >/dev/null
	DE_ENROLLMENT_BATCH_SIZE=100 script -qec "'$TOP/bin/minicrm' deenroll --client-id=$G" /dev/null >"$TMP/tty" 2>&1
	check "on a terminal: a progress line, rewritten in place" grep -q $'\r.*wt'"$S"'-big: 300 de-enrolled in 4 batches' "$TMP/tty"
	check "...and the summary line" grep -q "wt$S-big ($G): success, 300 de-enrolled in 4 batches" "$TMP/tty"
fi

# --- SIGTERM stops after the batch in hand: the run is partial, closed -----
sql "INSERT INTO leads (client_id, external_id, campaign_link_id, current_message_position, is_active, opted_out)
     SELECT '$G', 'sig-' || i, '$(camp "$G")', 3, true, false FROM generate_series(1, 20000) i" >/dev/null
T0=$(sql "SELECT now()")
DE_ENROLLMENT_BATCH_SIZE=10 "$TOP/bin/minicrm" deenroll --client-id="$G" >"$TMP/sig" 2>&1 & SIGPID=$!
for _ in $(seq 100); do [ "$(sql "SELECT coalesce(max(batches), 0) FROM de_enrollment_runs WHERE client_id = '$G' AND run_at >= '$T0'")" -gt 2 ] && break; sleep 0.05; done
kill -TERM $SIGPID; wait $SIGPID; RC=$?
expect_eq "$RC" 3 "SIGTERM: exit 3 (partial)"
expect_eq "$(sql "SELECT status || ' ' || (finished_at IS NOT NULL) || ' ' || (leads_de_enrolled = batches * 10) || ' ' || (leads_de_enrolled < 20000) FROM de_enrollment_runs WHERE client_id = '$G' AND run_at >= '$T0'")" \
	"partial true true true" "the run row: partial, closed, whole batches only"
expect_eq "$(( $(stuck "$G") + $(sql "SELECT leads_de_enrolled FROM de_enrollment_runs WHERE client_id = '$G' AND run_at >= '$T0'") ))" 20000 \
	"the leads not reached wait, none half-done"
minicrm deenroll --client-id="$G" >/dev/null

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

# --- --health-check: the SOP's three kinds of lines and exit codes ---------
OUT=$(minicrm deenroll --health-check --client-id="$A"); RC=$?
expect_eq "$RC" 0 "health-check of a healthy client exits 0"
check "✅ line" grep -q '^✅ All clients processed successfully in last 24h$' <<<"$OUT"
check "a stuck-leads line" grep -q '^Stuck leads: 0 over 1 client' <<<"$OUT"
check "a duration line" grep -q '^Average run: [0-9.]* s over [0-9]* runs in the last 24h' <<<"$OUT"
OUT=$(minicrm deenroll --health-check --client-id="$F"); RC=$?
expect_eq "$RC" 3 "a client with failed runs: exit 3"
check "⚠️ failed runs line" grep -q "^⚠️ Client wt$S-fail has 2 failed runs in the last 24h$" <<<"$OUT"
check "⚠️ success rate line" grep -q "^⚠️ Client wt$S-fail: 0.0% of runs succeeded in the last 24h (below 95%)$" <<<"$OUT"
check "no ✅ line then" bash -c "! grep -q '^✅' <<<'$OUT'"
minicrm client create "wt$S-old" >/dev/null
O=$(cid old)
sql "INSERT INTO campaigns (client_id, name, messages) VALUES ('$O', 'Welcome', '[{}, {}]')" >/dev/null
sql "INSERT INTO de_enrollment_runs (client_id, run_at, finished_at, status, duration_ms)
     VALUES ('$O', now() - interval '25 hours', now() - interval '25 hours', 'success', 100),
            ('$O', now() - interval '1 hour', now() - interval '1 hour', 'partial', 300000);
     INSERT INTO leads (client_id, external_id, campaign_link_id, current_message_position, is_active, opted_out)
     SELECT '$O', 'o' || i, '$(camp "$O")', 2, true, false FROM generate_series(1, 120) i" >/dev/null
OUT=$(minicrm deenroll --health-check --client-id="$O"); RC=$?
expect_eq "$RC" 4 "a client without a success for 25 hours: exit 4"
check "❌ line" grep -q "^❌ Client wt$S-old hasn't run successfully in 25 hours$" <<<"$OUT"
check "the stuck leads over 100: a warning line" grep -q "^⚠️ Client wt$S-old has 120 stuck leads" <<<"$OUT"
check "runs over 4 minutes: a warning line" grep -q "^⚠️ Client wt$S-old: runs took 5.0 min on average in the last 24h (over 4 min)$" <<<"$OUT"
check "the stuck total" grep -q '^Stuck leads: 120 over 1 client' <<<"$OUT"
expect_eq "$(head -n 1 <<<"$OUT")" "❌ Client wt$S-old hasn't run successfully in 25 hours" "the error line first"
request GET /api/internal/de-enrollment/health -H "x-api-key: $KEY"
expect_json ".level == \"error\" and ([.clients[] | select(.client_id == \"$O\") | .level, (.checks_failed | sort | join(\",\"))] == [\"error\", \"avg_duration,hours_since_success,stuck_leads,success_rate\"])" \
	"the API's health marks the same client and checks"

# --- alerts: once per condition and client, to DE_ENROLLMENT_ALERT_WEBHOOK --
sql "DELETE FROM alert_state" >/dev/null
sql "INSERT INTO leads (client_id, external_id, campaign_link_id, current_message_position, is_active, opted_out)
     SELECT '$F', 'fx' || i, '$(camp "$F")', 3, true, false FROM generate_series(1, 120) i" >/dev/null
HOOKURL="http://127.0.0.1:$(cat "$HOOK/port")/services/deenroll"
mine() { if [ -f "$HOOK/received" ]; then grep -c "wt$S-" "$HOOK/received"; else echo 0; fi; }
job() { DE_ENROLLMENT_ALERT_WEBHOOK=$HOOKURL ALERT_WEBHOOK_URL=http://127.0.0.1:1/closed minicrm job run "$1" 2>>"$TMP/jobs.log"; RC=$?; }
job deenroll
expect_eq "$RC" 0 "the deenroll job succeeds (a failing client is its row's, not the job's)"
expect_eq "$(mine)" 5 "five alerts to the de-enrollment webhook: fail's success rate and stuck over 50 and 100, old's and big's (partial) success rates"
check "fail's stuck-leads alert" grep -q "has 123 stuck leads (over 100)" "$HOOK/received"
check "fail's success-rate alert" grep -q "Client wt$S-fail: 0.0% of runs succeeded" "$HOOK/received"
check "old's, whose run succeeded now (1 of 2)" grep -q "Client wt$S-old: 50.0% of runs succeeded" "$HOOK/received"
check "big's, whose partial runs count against it" grep -q "Client wt$S-big: [0-9.]*% of runs succeeded" "$HOOK/received"
job deenroll
expect_eq "$(mine)" 5 "a second run with the same conditions: no alert again"
sql "DROP TRIGGER wt_refuse_$S ON leads; DROP FUNCTION wt_refuse_$S()" >/dev/null
job deenroll
expect_eq "$(stuck "$F")" 0 "the trigger gone, fail's leads are completed"
expect_eq "$(mine)" 7 "two resolved messages: stuck over 50 and over 100"
check "a resolved message" grep -q "Resolved: client wt$S-fail has 100 stuck leads or fewer" "$HOOK/received"
# Without DE_ENROLLMENT_ALERT_WEBHOOK the alerts go to ALERT_WEBHOOK_URL.
sql "DELETE FROM de_enrollment_runs WHERE client_id IN ('$F', '$O', '$G') AND status <> 'success'" >/dev/null
ALERT_WEBHOOK_URL=$HOOKURL minicrm job run deenroll 2>>"$TMP/jobs.log"
expect_eq "$(mine)" 10 "success rates back: three resolved messages, through the fallback webhook"
check "fail's" grep -q "Resolved: client wt$S-fail has success rate back" "$HOOK/received"

# --- the worker runs the job, recorded as triggered by "worker" ------------
journey "wt$S-a" a7 3
DEENROLL_INTERVAL=1 REPLAY_INTERVAL=0 ALERT_INTERVAL=0 HEALTH_INTERVAL=0 COMPACT_INTERVAL=0 PRUNE_INTERVAL=0 DEENROLL_CLEANUP_INTERVAL=0 \
	"$TOP/bin/minicrm" worker 2>"$TMP/worker.log" &
WORKER_PID=$!
for _ in $(seq 100); do [ "$(stuck "$A")" = 0 ] && break; sleep 0.1; done
kill -TERM $WORKER_PID; wait $WORKER_PID 2>/dev/null; WORKER_PID=
expect_eq "$(stuck "$A")" 0 "the worker's deenroll job completed the lead"
expect_eq "$(sql "SELECT count(*) > 0 FROM de_enrollment_runs WHERE client_id = '$A' AND triggered_by = 'worker' AND status = 'success' AND leads_de_enrolled = 1")" t \
	"its run row says worker"
check "it logs the job's line" grep -q 'job deenroll: .* clients, .* leads de-enrolled' "$TMP/worker.log"

# --- the cleanup: runs older than 90 days, lead logs older than 30 ----------
LEAD=$(sql "SELECT id FROM leads WHERE client_id = '$A' AND external_id = 'a1'")
OLD=$(sql "INSERT INTO de_enrollment_runs (client_id, run_at, status) VALUES ('$A', now() - interval '91 days', 'success') RETURNING id")
KEEP=$(sql "INSERT INTO de_enrollment_runs (client_id, run_at, status) VALUES ('$A', now() - interval '89 days', 'success') RETURNING id")
sql "INSERT INTO de_enrollment_lead_log (run_id, lead_id, client_id, enrolled_at, processed_at) VALUES
     ('$KEEP', '$LEAD', '$A', '2020-01-01', now() - interval '31 days'),
     ('$KEEP', '$LEAD', '$A', '2020-01-02', now() - interval '29 days')" >/dev/null
BEFORE=$(sql "SELECT count(*) FROM de_enrollment_runs")
job deenroll-cleanup
expect_eq "$RC" 0 "the cleanup job succeeds"
expect_eq "$(sql "SELECT count(*) FROM de_enrollment_runs WHERE id = '$OLD'")" 0 "the 91-day-old run is gone"
expect_eq "$(sql "SELECT count(*) FROM de_enrollment_runs")" $((BEFORE - 1)) "...and no other run"
expect_eq "$(sql "SELECT count(*) FROM de_enrollment_lead_log WHERE run_id = '$KEEP'")" 1 "the 31-day-old lead log is gone, the 29-day-old kept"
expect_eq "$(sql "SELECT count(*) FROM de_enrollment_lead_log WHERE client_id = '$A' AND run_id <> '$KEEP'")" 6 "the recent lead logs are kept"

# --- campaigns recalc: the SOP's stats fix --------------------------------
RIGHT=$(counts "$A")
sql "UPDATE campaigns SET active_leads_count = 999, completed_leads_count = 0 WHERE client_id = '$A'" >/dev/null
OUT=$(minicrm campaigns recalc); RC=$?
expect_eq "$RC" 0 "recalc of every client exits 0"
check "it reports the campaign it corrected" grep -q '^campaigns recalc: [1-9][0-9]* campaigns\? corrected$' <<<"$OUT"
expect_eq "$(counts "$A")" "$RIGHT" "the drifted counts are right again"
minicrm campaigns recalc --client-id=00000000-0000-0000-0000-000000000001 >/dev/null 2>&1; RC=$?
expect_eq "$RC" 5 "recalc of no client exits 5"

# --- --migrate-stuck: every stuck lead, no time limit ---------------------
sql "INSERT INTO leads (client_id, external_id, campaign_link_id, current_message_position, is_active, opted_out)
     SELECT '$B', 'm' || i, '$(camp "$B")', 3, true, false FROM generate_series(1, 250) i" >/dev/null
OUT=$(DE_ENROLLMENT_MAX_RUNTIME=1 DE_ENROLLMENT_BATCH_SIZE=100 minicrm deenroll --migrate-stuck --client-id="$B"); RC=$?
expect_eq "$RC" 0 "--migrate-stuck exits 0 when none is left"
expect_eq "$(stuck "$B")" 0 "every stuck lead completed despite a 1 ms max runtime"
check "the report: before and after" grep -Eq "^wt$S-b +250 +0$" <<<"$OUT"
check "the totals" grep -q 'leads de-enrolled: 250; stuck leads left: 0; clients failed: 0' <<<"$OUT"
check "the SOP's check figures" grep -q '^completed today: [0-9]*; leads with a campaign history: [0-9]*' <<<"$OUT"
expect_eq "$(sql "SELECT status || ' ' || batches || ' ' || leads_de_enrolled FROM de_enrollment_runs WHERE client_id = '$B' AND triggered_by = 'cli:migrate-stuck'")" \
	"success 3 250" "one run of three batches, recorded as the migration's"

finish
