#!/usr/bin/env bash
# The alert history (sql 0016, GET /alerts, GET /alerts/export.csv): every
# alert the worker tries to deliver is kept — sent (with the webhook's host,
# never its URL), failed (with the error; the retry that delivers it is a
# second row), logged (no webhook) — and a history that cannot be written
# changes nothing about the alert. The page lists them newest first with
# filters and a 7-day summary per kind, escapes their text (lead data is
# hostile input), and its CSV export has the same rows; a viewer reads both.
source "$(dirname "$0")/lib.sh"

HOOK=$TMP/hook
mkdir -p "$HOOK"
python3 "$TOP/tests/http/webhook_receiver.py" "$HOOK" &
HOOK_PID=$!
# The instance's worker runs the alerts job every minute, without a
# webhook: it is held still (SIGSTOP) while this test runs its own, so it
# cannot take this test's dead rows (it continues on exit).
WPID=$(cat "$MINICRM_VAR/run/worker.pid" 2>/dev/null)
WPIDS=
freeze_worker() {
	local i
	[ -n "$WPID" ] && kill -0 "$WPID" 2>/dev/null || return 0
	for i in $(seq 50); do
		WPIDS="$WPID $(pgrep -P "$WPID" | tr '\n' ' ')"
		kill -STOP $WPIDS 2>/dev/null
		# Not in the middle of a job (which holds its advisory lock).
		[ "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" = 0 ] && return 0
		kill -CONT $WPIDS 2>/dev/null
		sleep 0.2
	done
}
cleanup() {
	sql "UPDATE retry_queue SET state = 'discarded' WHERE workflow = 'ah-backlog-$$';
	     ALTER TABLE alert_history DROP CONSTRAINT IF EXISTS ah_test_$$" >/dev/null 2>&1
	# No condition this test raised stays raised for the next test.
	ALERT_WEBHOOK_URL=$HOOKURL minicrm job run alerts >/dev/null 2>&1
	[ -n "$WPIDS" ] && kill -CONT $WPIDS 2>/dev/null
	kill $HOOK_PID 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
for _ in $(seq 50); do [ -f "$HOOK/port" ] && break; sleep 0.1; done
# The path is the secret part of a real webhook URL: it must never be kept.
HOOKURL="http://127.0.0.1:$(cat "$HOOK/port")/services/T0/B0/sekrit-$$"
freeze_worker

lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
received() { lines "$HOOK/received"; }
# run_job: one run of the alerts job from the CLI, to the receiver;
# run_job_unhooked: with no webhook at all.
run_job() { ALERT_WEBHOOK_URL=$HOOKURL minicrm job run alerts 2>>"$TMP/jobs.log"; RC=$?; }
run_job_unhooked() { env -u ALERT_WEBHOOK_URL "$TOP/bin/minicrm" job run alerts 2>>"$TMP/jobs.log"; RC=$?; }
dead_row() {
	sql "INSERT INTO retry_queue (payload, workflow, execution_id, lead_id, event_type, error, attempts, state)
	     VALUES ('{}', 'UYSP-Kajabi-SMS-Scheduler', '$1', '$2', 'MESSAGE_SENT', 'timeout', 5, 'dead') RETURNING id" | head -n 1
}
# hist WHERE: the history's rows that match, as "outcome|host|attempts|error".
hist() { sql "SELECT outcome || '|' || host || '|' || attempts || '|' || coalesce(error, '') FROM alert_history WHERE $1 ORDER BY id"; }

# Only this test's alerts from here on: older dead rows count as alerted,
# the backlog condition starts from nothing.
sql "UPDATE retry_queue SET dead_alerted_at = now() WHERE state IN ('dead', 'refused') AND dead_alerted_at IS NULL;
     DELETE FROM alert_state WHERE condition = 'retry_queue_backlog'" >/dev/null
START=$(sql "SELECT coalesce(max(id), 0) FROM alert_history")

# --- delivered: one 'sent' row, the host only ------------------------------
XSS='<script>alert("ah-'$$'")</script>'
dead_row "ah-sent-$$" "$XSS" >/dev/null
run_job
expect_eq "$RC" 0 "the alerts job succeeds"
expect_eq "$(received)" 1 "the dead row's alert was delivered"
expect_eq "$(hist "message LIKE '%Execution: ah-sent-$$%'")" "sent|127.0.0.1|1|" \
	"it is kept: sent, to the webhook's host, first attempt, no error"
expect_eq "$(sql "SELECT kind FROM alert_history WHERE message LIKE '%Execution: ah-sent-$$%'")" dead_event "...as a dead_event"
check "...with the message as delivered (the lead's text)" \
	grep -qF "Lead: $XSS" <<<"$(sql "SELECT message FROM alert_history WHERE message LIKE '%Execution: ah-sent-$$%'")"

# --- the webhook down: 'failed' with the error, then 'sent': two rows -----
touch "$HOOK/fail"
dead_row "ah-down-$$" "lead-down-$$" >/dev/null
sql "INSERT INTO retry_queue (payload, workflow, state, next_attempt_at)
     SELECT '{}', 'ah-backlog-$$', 'pending', now() + interval '1 day' FROM generate_series(1, 21)" >/dev/null
run_job
expect_eq "$RC" 0 "the webhook answering 500 does not fail the job"
expect_eq "$(hist "message LIKE '%Execution: ah-down-$$%'")" "failed|127.0.0.1|1|127.0.0.1: HTTP 500" \
	"the dead alert that failed is kept: failed, with the webhook's error"
expect_eq "$(hist "kind = 'retry_queue_backlog' AND id > $START")" "failed|127.0.0.1|1|127.0.0.1: HTTP 500" \
	"so is the queue's condition alert (alert_flush)"
rm "$HOOK/fail"
run_job
expect_eq "$(hist "message LIKE '%Execution: ah-down-$$%'")" "failed|127.0.0.1|1|127.0.0.1: HTTP 500
sent|127.0.0.1|2|" "the retry that delivered it is a second row: sent, attempt 2"
expect_eq "$(hist "kind = 'retry_queue_backlog' AND id > $START")" "failed|127.0.0.1|1|127.0.0.1: HTTP 500
sent|127.0.0.1|2|" "...and the condition's too"
run_job
expect_eq "$(sql "SELECT count(*) FROM alert_history WHERE id > $START AND (message LIKE '%ah-down-$$%' OR kind = 'retry_queue_backlog')")" 4 \
	"a run with nothing to send adds nothing"

# --- no webhook: 'logged' -------------------------------------------------
dead_row "ah-logged-$$" "lead-logged-$$" >/dev/null
run_job_unhooked
expect_eq "$RC" 0 "without a webhook the job succeeds"
expect_eq "$(hist "message LIKE '%Execution: ah-logged-$$%'")" "logged|-|1|" "the alert is kept as logged, no host"

# --- recording fails: the alert is unaffected, and not sent twice --------
sql "ALTER TABLE alert_history ADD CONSTRAINT ah_test_$$ CHECK (message NOT LIKE '%ah-norecord-$$%') NOT VALID" >/dev/null
dead_row "ah-norecord-$$" "lead-norecord-$$" >/dev/null
N=$(received)
run_job
expect_eq "$RC" 0 "a history that cannot be written does not fail the job"
expect_eq "$(received)" $((N + 1)) "...the alert is delivered"
check "...and the failure logged" grep -q "alert history: could not record the dead_event alert" "$TMP/jobs.log"
run_job
expect_eq "$(received)" $((N + 1)) "...once: the next run does not send it again"
sql "ALTER TABLE alert_history DROP CONSTRAINT ah_test_$$" >/dev/null

# --- the secret is nowhere ------------------------------------------------
expect_eq "$(sql "SELECT count(*) FROM alert_history WHERE message || host || coalesce(error, '') LIKE '%sekrit%' OR host LIKE '%/%'")" 0 \
	"no row holds the webhook's URL or its secret path"

# --- the page -------------------------------------------------------------
check "log in" login "ah-admin-$$@example.com" "ah-password-$$"
browse GET /alerts
expect_status 200 "the alerts page"
check "it lists the delivered alert" grep -q "Execution: ah-sent-$$" <<<"$BODY"
check "...its lead's text escaped" grep -qF '&lt;script&gt;alert(&quot;ah-'$$'&quot;)&lt;/script&gt;' <<<"$BODY"
check "...never as markup" bash -c '! grep -qF "<script>alert" <<<"$1"' _ "$BODY"
check "it names the webhook's host" grep -q '<td class="host">127.0.0.1</td>' <<<"$BODY"
check "...never its secret path" bash -c '! grep -q sekrit <<<"$1"' _ "$BODY"
check "the failure shows its error" grep -q '<span class="error">127.0.0.1: HTTP 500</span>' <<<"$BODY"
check "the logged alert is there" grep -q "Execution: ah-logged-$$" <<<"$BODY"
FIRST_LOGGED=$(grep -n "ah-logged-$$" <<<"$BODY" | head -n 1 | cut -d: -f1)
FIRST_SENT=$(grep -n "ah-sent-$$" <<<"$BODY" | head -n 1 | cut -d: -f1)
check "newest first" test "$FIRST_LOGGED" -lt "$FIRST_SENT"
check "the 7-day summary counts the dead events" grep -qE '<td class="kind">dead_event</td><td class="total">[0-9]+' <<<"$BODY"
check "...and the condition" grep -q '<td class="kind">retry_queue_backlog</td>' <<<"$BODY"
check "a nav link to it" grep -q '<a href="/alerts">Alerts</a>' <<<"$BODY"

browse GET "/alerts?outcome=failed"
expect_status 200 "filtered by outcome"
check "...the failed attempt is listed" grep -q "ah-down-$$" <<<"$BODY"
check "...the sent ones are not" bash -c '! grep -q "ah-sent-'$$'" <<<"$1"' _ "$BODY"
check "...the filter stays selected" grep -q '<option value="failed" selected>' <<<"$BODY"
browse GET "/alerts?kind=retry_queue"
check "filtered by kind prefix: the condition" grep -q "Retry queue above" <<<"$BODY"
check "...not the dead events" bash -c '! grep -q "Execution: ah-" <<<"$1"' _ "$BODY"
TODAY=$(date -u +%F)
browse GET "/alerts?from=$TODAY&to=$TODAY&kind=dead"
check "filtered by today: the dead events" grep -q "ah-logged-$$" <<<"$BODY"
browse GET "/alerts?to=2000-01-01"
check "a range before them: none" grep -q 'No alerts match' <<<"$BODY"
browse GET "/alerts?outcome=maybe"
expect_status 400 "an unknown outcome is refused"
browse GET "/alerts?from=2026-13-01"
expect_status 400 "a date that is not one is refused"
browse GET "/alerts?before=x"
expect_status 400 "a page marker that is not an id is refused"

# Paging: a marker before the newest of this test's rows shows the older.
LAST=$(sql "SELECT max(id) FROM alert_history WHERE message LIKE '%ah-logged-$$%'")
browse GET "/alerts?kind=dead&before=$LAST"
expect_status 200 "a page before a marker"
check "...without the rows after it" bash -c '! grep -q "ah-logged-'$$'" <<<"$1"' _ "$BODY"
check "...with the older ones" grep -q "ah-sent-$$" <<<"$BODY"
check "...and a link to the newest" grep -q 'class="first-page" href="/alerts?kind=dead"' <<<"$BODY"

# --- the CSV --------------------------------------------------------------
browse GET "/alerts/export.csv?kind=dead&from=$TODAY"
expect_status 200 "the export"
expect_header '^content-type: text/csv' "...is CSV"
expect_eq "$(head -n 1 <<<"$BODY" | tr -d '\r')" "id,created_at,kind,outcome,host,attempts,error,message" "...with a header"
IDS=$(sql "SELECT id FROM alert_history WHERE kind LIKE 'dead%' AND created_at >= '$TODAY' ORDER BY id DESC")
CSV_IDS=$(python3 -c 'import csv,sys; r=list(csv.reader(sys.stdin)); print("\n".join(x[0] for x in r[1:]))' <<<"$BODY")
expect_eq "$CSV_IDS" "$IDS" "...the page's rows, newest first"
check "...the message whole (CSV, not HTML)" python3 -c 'import csv,sys; sys.exit(not any(sys.argv[1] in x[7] for x in csv.reader(sys.stdin)))' "$XSS" <<<"$BODY"
check "...no secret" bash -c '! grep -q sekrit <<<"$1"' _ "$BODY"
browse GET "/alerts/export.csv?outcome=failed&kind=dead"
expect_eq "$(python3 -c 'import csv,sys; r=list(csv.reader(sys.stdin)); print(sorted(set(x[3] for x in r[1:])))' <<<"$BODY")" "['failed']" \
	"the export keeps the outcome filter"
browse GET "/alerts/export.csv?outcome=nope"
expect_status 400 "...and refuses a bad one"

# --- a viewer reads it ----------------------------------------------------
JAR=$TMP/viewer
check "a viewer logs in" login "ah-viewer-$$@example.com" "viewer-password-$$" viewer
browse GET /alerts
expect_status 200 "a viewer reads the alerts page"
check "...with the alerts" grep -q "ah-sent-$$" <<<"$BODY"
browse GET /alerts/export.csv
expect_status 200 "a viewer downloads the export"
request GET /alerts
expect_status 303 "without a session: to the login page"

finish
