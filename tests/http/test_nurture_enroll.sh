#!/usr/bin/env bash
# Enrolment into nurture campaigns from outside: POST
# /api/internal/nurture/enroll (n8n) and `minicrm nurture enroll`. The
# counts (enrolled, already, refused), idempotent, the first step due
# start_at plus its delay; bad input is a 4xx naming the field with
# nothing written; another client's leads are refused, another client's
# campaign forbidden to a bound key; each enrolment a run of "Lead Nurture
# - Enrollment".
source "$(dirname "$0")/lib.sh"

S=$$
minicrm client create "ne$S-a" >/dev/null
minicrm client create "ne$S-b" >/dev/null
A=$(sql "SELECT id FROM clients WHERE slug = 'ne$S-a'")
B=$(sql "SELECT id FROM clients WHERE slug = 'ne$S-b'")
KEY=$(new_key "nurture-$S")
KEY_A=$(new_key "nurture-a-$S" --client "ne$S-a")
KEY_B=$(new_key "nurture-b-$S" --client "ne$S-b")
ENROLMENT='Lead Nurture - Enrollment'
# On exit this test's campaigns go, with their enrolments (due now: a later
# test's scheduler must not queue them).
cleanup() {
	sql "DELETE FROM nurture_campaigns WHERE organization_id IN ('$A', '$B')" >/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

campaign() {	# CLIENT NAME STATUS FIRST_DELAY|none → id
	local id
	id=$(sql "INSERT INTO nurture_campaigns (organization_id, campaign_name, status, from_email)
	     VALUES ('$1', '$2', '$3', 'team@example.com') RETURNING id")
	[ "$4" = none ] || sql "INSERT INTO nurture_campaign_steps (campaign_id, step_number, subject, body_template, delay_minutes)
	     VALUES ('$id', 1, 'Hi', 'Hello', $4), ('$id', 2, 'Again', 'Hello again', 60)" >/dev/null
	echo "$id"
}
lead() {	# CLIENT EXTERNAL_ID → id
	sql "INSERT INTO leads (client_id, external_id, first_name, email) VALUES ('$1', '$2', 'Ann', '$2@example.com') RETURNING id"
}
CA=$(campaign "$A" "Welcome $S" active 10)
ARCH=$(campaign "$A" "Old $S" archived 0)
EMPTY=$(campaign "$A" "Empty $S" active none)
CB=$(campaign "$B" "Bees $S" active 0)
for i in 1 2 3 4 5 6; do LA[$i]=$(lead "$A" "x$i"); done
OPT=$(lead "$A" xopt); sql "UPDATE leads SET opted_out = true WHERE id = '$OPT'" >/dev/null
LB=$(lead "$B" x1)	# the same external id in client b

enroll() {	# KEY JSON
	request POST /api/internal/nurture/enroll -H "x-api-key: $1" -H 'Content-Type: application/json' --data-binary "$2"
}
enrolments() { sql "SELECT count(*) FROM lead_campaign_enrollments WHERE organization_id IN ('$A', '$B')"; }
runs() { sql "SELECT count(*) FROM workflow_executions WHERE workflow_name = '$ENROLMENT'"; }

# --- bad input: 4xx naming the field, nothing written ------------------------
bad() {	# JSON FIELD WHAT
	enroll "$KEY" "$1"
	expect_status 400 "$3: 400"
	expect_json "any(.errors[]; .field == \"$2\")" "$3: names $2"
}
RUNS0=$(runs)
bad '{"lead_ids": ["'"${LA[1]}"'"]}' campaign_id "no campaign_id"
bad '{"campaign_id": "nope", "lead_ids": ["'"${LA[1]}"'"]}' campaign_id "a campaign_id that is no uuid"
bad '{"campaign_id": "'"$CA"'"}' lead_ids "neither lead_ids nor external_ids"
bad '{"campaign_id": "'"$CA"'", "lead_ids": "'"${LA[1]}"'"}' lead_ids "lead_ids not an array"
bad '{"campaign_id": "'"$CA"'", "lead_ids": []}' lead_ids "lead_ids empty"
bad '{"campaign_id": "'"$CA"'", "lead_ids": ["'"${LA[1]}"'", "x2"]}' lead_ids "a lead id that is no uuid"
expect_json '.errors[0].message | test("element 1")' "...saying which element"
bad '{"campaign_id": "'"$CA"'", "lead_ids": ["'"${LA[1]}"'", 7]}' lead_ids "a lead id that is no string"
bad '{"campaign_id": "'"$CA"'", "lead_ids": ["'"${LA[1]}"'"], "external_ids": ["x2"]}' external_ids "both lists"
bad '{"campaign_id": "'"$CA"'", "external_ids": [""]}' external_ids "an empty external id"
bad '{"campaign_id": "'"$CA"'", "lead_ids": ["'"${LA[1]}"'"], "start_at": "tomorrow"}' start_at "a start_at that is no date-time"
bad '{"campaign_id": "'"$CA"'", "lead_ids": ["'"${LA[1]}"'"], "campaign": "x"}' campaign "an unknown field"
bad '{"campaign_id": "'"$CA"'", "lead_ids": ["'"${LA[1]}"'"], "start_at": "2030-01-01T00:00:00Z", "x": 1, "y": 2}' y "every problem named at once"
enroll "$KEY" '{"campaign_id": '
expect_status 400 "malformed JSON: 400"
expect_json '.errors[0].field == "body"' "...about the body"
enroll "$KEY" '["'"$CA"'"]'
expect_status 400 "an array body: 400"
jq -cn --arg c "$CA" --arg l "${LA[1]}" '{campaign_id: $c, lead_ids: [range(10001) | $l]}' >"$TMP/too-many.json"
bad @"$TMP/too-many.json" lead_ids "10,001 lead ids"
expect_eq "$(enrolments)$(runs)" "0$RUNS0" "none of them enrolled anyone or recorded a run"
request POST /api/internal/nurture/enroll -H 'Content-Type: application/json' --data-binary '{}'
expect_status 401 "no key: 401"
request POST /api/internal/nurture/enroll -H "x-api-key: $KEY" -H 'Content-Type: text/plain' --data-binary '{}'
expect_status 415 "not JSON by type: 415"
request GET /api/internal/nurture/enroll -H "x-api-key: $KEY"
expect_status 405 "GET: 405"
expect_header '^Allow: POST' "...with Allow: POST"

# --- campaigns that cannot take leads ---------------------------------------
enroll "$KEY" '{"campaign_id": "00000000-0000-0000-0000-000000000001", "lead_ids": ["'"${LA[1]}"'"]}'
expect_status 404 "no such campaign: 404"
expect_json '.errors[0].field == "campaign_id"' "...naming campaign_id"
enroll "$KEY" '{"campaign_id": "'"$ARCH"'", "lead_ids": ["'"${LA[1]}"'"]}'
expect_status 409 "an archived campaign: 409"
expect_json '.errors[0].field == "campaign_id" and (.error | test("archived"))' "...saying so"
enroll "$KEY" '{"campaign_id": "'"$EMPTY"'", "lead_ids": ["'"${LA[1]}"'"]}'
expect_status 409 "a campaign without steps: 409"
enroll "$KEY_B" '{"campaign_id": "'"$CA"'", "lead_ids": ["'"${LA[1]}"'"]}'
expect_status 403 "a key bound to client b, client a's campaign: 403"
expect_eq "$(enrolments)$(runs)" "0$RUNS0" "still nothing written"

# --- enrolment by lead id ------------------------------------------------------
T0=$(sql "SELECT now()")
enroll "$KEY" '{"campaign_id": "'"$CA"'", "lead_ids": ["'"${LA[1]}"'", "'"${LA[2]}"'", "'"${LA[2]}"'", "'"$OPT"'", "'"$LB"'", "00000000-0000-0000-0000-000000000002"]}'
expect_status 201 "three leads (one twice), an opted-out one, client b's and an unknown: 201"
expect_json ".campaign_id == \"$CA\" and .enrolled == 2 and .already == 0 and .refused == 3" "enrolled 2, refused 3 (opted out, another client's, unknown)"
expect_eq "$(sql "SELECT count(*) FROM lead_campaign_enrollments WHERE campaign_id = '$CA' AND status = 'active' AND current_step = 0
	AND next_send_at BETWEEN '$T0'::timestamptz + interval '10 minutes' AND now() + interval '10 minutes' AND enrolled_by LIKE 'api:key %'")" 2 \
	"two enrolments, active, the first step due in its delay (10 min), by the API key"
expect_eq "$(sql "SELECT count(*) FROM lead_campaign_enrollments WHERE lead_id IN ('$OPT', '$LB')")" 0 "the refused leads are not enrolled"
enroll "$KEY" '{"campaign_id": "'"$CA"'", "lead_ids": ["'"${LA[1]}"'", "'"${LA[2]}"'"]}'
expect_status 200 "the same leads again: 200"
expect_json '.enrolled == 0 and .already == 2 and .refused == 0' "...already 2: idempotent"
expect_eq "$(sql "SELECT count(*) FROM lead_campaign_enrollments WHERE campaign_id = '$CA'")" 2 "still two enrolments"
expect_eq "$(sql "SELECT status || ' ' || items_processed FROM workflow_executions WHERE workflow_name = '$ENROLMENT' AND started_at >= '$T0' ORDER BY id")" \
	"$(printf 'success 2\nsuccess 0')" "each call is a run of 'Lead Nurture - Enrollment', its items the leads enrolled"

# --- start_at ----------------------------------------------------------------------
enroll "$KEY" '{"campaign_id": "'"$CA"'", "lead_ids": ["'"${LA[3]}"'"], "start_at": "2030-01-01T09:00:00+02:00"}'
expect_status 201 "start_at: 201"
expect_eq "$(sql "SELECT to_char(next_send_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM lead_campaign_enrollments WHERE lead_id = '${LA[3]}'")" \
	"2030-01-01 07:10" "the first step due start_at plus its delay"

# --- by external id, in the campaign's client ------------------------------------
enroll "$KEY" '{"campaign_id": "'"$CA"'", "external_ids": ["x4", "x5", "x5", "x1", "nope", "xopt"]}'
expect_status 201 "external ids: 201"
expect_json '.enrolled == 2 and .already == 1 and .refused == 2' "x4 and x5 enrolled, x1 already, nope and xopt refused"
expect_eq "$(sql "SELECT count(*) FROM lead_campaign_enrollments WHERE lead_id IN ('${LA[4]}', '${LA[5]}')")" 2 "client a's x4 and x5 are enrolled"
enroll "$KEY_B" '{"campaign_id": "'"$CB"'", "external_ids": ["x1", "x6"]}'
expect_status 201 "client b's key, client b's campaign, by external id: 201"
expect_json '.enrolled == 1 and .refused == 1' "...resolves x1 in client b only (x6 is client a's)"
expect_eq "$(sql "SELECT lead_id FROM lead_campaign_enrollments WHERE campaign_id = '$CB'")" "$LB" "...enrolling client b's x1"
enroll "$KEY_A" '{"campaign_id": "'"$CA"'", "lead_ids": ["'"$LB"'"]}'
expect_status 200 "client a's key, client b's lead: 200"
expect_json '.enrolled == 0 and .refused == 1' "...refused"

# --- minicrm nurture enroll --------------------------------------------------------
C2=$(campaign "$A" "Cli $S" active 0)
OUT=$(minicrm nurture enroll --campaign "$C2" --lead "${LA[1]}" --lead "${LA[2]}" 2>"$TMP/err"); RC=$?
expect_eq "$RC" 0 "--lead twice: exit 0"
expect_eq "$OUT" "nurture enroll: 2 enrolled, 0 already in the campaign, 0 refused (of 2 ids)" "...its counts"
check "no progress on stderr when it is not a terminal" test ! -s "$TMP/err"
expect_eq "$(sql "SELECT count(*) FROM lead_campaign_enrollments WHERE campaign_id = '$C2' AND enrolled_by = 'cli'")" 2 "enrolled by cli"
printf '# leads to nurture\n%s\n\n  %s  \r\n%s\n' "${LA[2]}" "${LA[3]}" "$OPT" >"$TMP/leads.txt"
OUT=$(minicrm nurture enroll --campaign "$C2" --leads-file "$TMP/leads.txt"); RC=$?
expect_eq "$RC" 0 "--leads-file (a comment, a blank line, spaces, CRLF): exit 0"
expect_eq "$OUT" "nurture enroll: 1 enrolled, 1 already in the campaign, 1 refused (of 3 ids)" "...its counts"
printf '%s\nnot-a-lead\n' "${LA[6]}" >"$TMP/bad.txt"
minicrm nurture enroll --campaign "$C2" --leads-file "$TMP/bad.txt" >/dev/null 2>"$TMP/err"; RC=$?
expect_eq "$RC" 2 "a file with a line that is no lead id: exit 2"
check "...naming the line" grep -q 'line 2 is not a lead id' "$TMP/err"
expect_eq "$(sql "SELECT count(*) FROM lead_campaign_enrollments WHERE lead_id = '${LA[6]}'")" 0 "...and enrolling nobody, not even line 1's"
OUT=$(minicrm nurture enroll --campaign "$C2" --all-active-leads); RC=$?
expect_eq "$RC" 0 "--all-active-leads: exit 0"
expect_eq "$OUT" "nurture enroll: 3 enrolled, 3 already in the campaign, 0 refused (of 6 ids)" \
	"...client a's six active leads with an e-mail (the opted-out one not asked)"
minicrm nurture enroll --campaign 00000000-0000-0000-0000-000000000001 --lead "${LA[1]}" >/dev/null 2>&1; RC=$?
expect_eq "$RC" 5 "no such campaign: exit 5"
minicrm nurture enroll --campaign "$ARCH" --lead "${LA[1]}" >/dev/null 2>&1; RC=$?
expect_eq "$RC" 4 "an archived campaign: exit 4"
minicrm nurture enroll --campaign "$C2" --lead "${LA[1]}" --all-active-leads >/dev/null 2>"$TMP/err"; RC=$?
expect_eq "$RC" 2 "two sources of leads: exit 2"
check "the usage documents the exit codes" grep -q '4 campaign archived or without steps; 5 no such campaign' "$TMP/err"
minicrm nurture enroll --campaign "$C2" --lead "${LA[1]}" --start soon >/dev/null 2>&1; RC=$?
expect_eq "$RC" 2 "a bad --start: exit 2"

# A big file, in chunks of 10,000, with progress on a terminal.
C3=$(campaign "$A" "Big $S" active 0)
sql "INSERT INTO leads (client_id, external_id, email) SELECT '$A', 'big-' || i, 'b' || i || '@example.com' FROM generate_series(1, 12000) i" >/dev/null
sql "SELECT id FROM leads WHERE client_id = '$A' AND external_id LIKE 'big-%'" >"$TMP/big.txt"
if command -v script >/dev/null; then
	script -qec "'$TOP/bin/minicrm' nurture enroll --campaign $C3 --leads-file $TMP/big.txt" /dev/null >"$TMP/tty" 2>&1; RC=$?
	expect_eq "$RC" 0 "12,000 leads from a file on a terminal: exit 0"
	check "a progress line after the first chunk" grep -q $'\r.*10000 of 12000 leads: 10000 enrolled' "$TMP/tty"
	check "...and the counts" grep -q 'nurture enroll: 12000 enrolled, 0 already in the campaign, 0 refused (of 12000 ids)' "$TMP/tty"
else
	minicrm nurture enroll --campaign "$C3" --leads-file "$TMP/big.txt" >/dev/null
fi
expect_eq "$(sql "SELECT count(*) FROM lead_campaign_enrollments WHERE campaign_id = '$C3'")" 12000 "12,000 enrolments"
expect_eq "$(sql "SELECT count(*) FROM workflow_executions WHERE workflow_name = '$ENROLMENT' AND items_processed IN (10000, 2000) AND started_at >= '$T0'")" 2 \
	"two chunks, two runs"

finish
