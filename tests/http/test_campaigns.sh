#!/usr/bin/env bash
# Campaigns through the real API (issue 12, "Campaigns and leads"): what
# CAMPAIGN_ENROLLED, MESSAGE_SENT with a step, CAMPAIGN_DE_ENROLLED,
# OPTED_OUT and BOOKING_CONFIRMED do to a lead and its campaign's counts,
# that a duplicate, a replay or an old enrolment moves nothing, that another
# client's campaign is out of reach, that the counts always equal the
# recalculation (and the SOP's drift queries find nothing), that an
# operator's plain-SQL load with the SOP's columns works with defaults, and
# that migrations 0012 and 0011 go down and up again with data in them.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/campaign_lib.sh"

KEY=$(new_key "campaigns-$$")
C1=ca$$ C2=cb$$
sql "INSERT INTO clients (slug, name) VALUES ('$C1', 'Campaigns one'), ('$C2', 'Campaigns two')" >/dev/null
A=$(sql "SELECT id FROM clients WHERE slug = '$C1'")
B=$(sql "SELECT id FROM clients WHERE slug = '$C2'")
MY_CLIENTS="'$A', '$B'"
at() { date -u -d "$1" +%Y-%m-%dT%H:%M:%S.%3NZ; }
T0=$(at '-10 min') T1=$(at '-5 min')
# ev CLIENT LEAD TYPE [METADATA] [EXTRA FIELDS]: one event through the API
ev() {
	events "$KEY" "{\"client_id\":\"$1\",\"lead_id\":\"$2\",\"event_type\":\"$3\",\"metadata\":${4:-{\}}${5:+,$5}}"
}
lead() { sql "SELECT id FROM leads WHERE client_id = '${2:-$A}' AND external_id = '$1'"; }
# state LEAD: campaign name|position|received|active|completed|opted out|booked
state() {
	sql "SELECT coalesce(c.name, '-') || '|' || l.current_message_position || '|' || l.messages_received || '|' || l.is_active || '|' || (l.completed_at IS NOT NULL) || '|' || l.opted_out || '|' || (l.booked_at IS NOT NULL)
	     FROM leads l LEFT JOIN campaigns c ON c.id = l.campaign_link_id WHERE l.client_id = '${2:-$A}' AND l.external_id = '$1'"
}
# counts CAMPAIGN [CLIENT]: active completed opted_out booked
counts() { sql "SELECT active_leads_count || ' ' || completed_leads_count || ' ' || opted_out_count || ' ' || booked_count FROM campaigns WHERE client_id = '${2:-$A}' AND name = '$1'"; }
history() { sql "SELECT coalesce(string_agg((j->>'campaign_name') || ':' || (j->>'outcome') || ':' || (j->>'position'), ' '), '') FROM leads l, jsonb_array_elements(l.campaign_history) j WHERE l.client_id = '${2:-$A}' AND l.external_id = '$1'"; }
exact() {
	expect_eq "$(recalc_changes)" 0 "$1: every campaign's counts equal the recalculation"
	expect_eq "$(sop_drift)" "" "$1: the SOP's drift queries find nothing"
}

# --- the operator's load from an old system, the SOP's column lists
check "campaigns load with the SOP's columns" sql "INSERT INTO campaigns (client_id, name, messages, is_active, active_leads_count) VALUES
  ('$A', 'Spring', '[{\"body\": \"1\"}, {\"body\": \"2\"}, {\"body\": \"3\"}]', true, 1),
  ('$A', 'Summer', '[{\"body\": \"1\"}, {\"body\": \"2\"}]', true, 0),
  ('$B', 'Secret', '[{\"body\": \"1\"}, {\"body\": \"2\"}]', true, 0)"
check "leads load with the SOP's columns" sql "INSERT INTO leads (client_id, external_id, first_name, last_name, campaign_link_id, current_message_position, is_active, opted_out) VALUES
  ('$A', 'l1', 'Old', 'System', (SELECT id FROM campaigns WHERE client_id = '$A' AND name = 'Spring'), 1, true, false)"
expect_eq "$(sql "SELECT description = '' AND opted_out_count = 0 AND completed_leads_count = 0 AND booked_count = 0 AND NOT auto_discovered AND deactivated_at IS NULL AND last_enrollment_at IS NULL AND created_at IS NOT NULL FROM campaigns WHERE client_id = '$A' AND name = 'Spring'")" t "a loaded campaign's other columns have their defaults"
expect_eq "$(sql "SELECT messages_received = 0 AND campaign_history = '[]' AND completed_at IS NULL AND enrolled_at IS NULL AND opted_out_at IS NULL AND booked_at IS NULL AND status = 'new' FROM leads WHERE id = '$(lead l1)'")" t "a loaded lead's other columns have their defaults"
exact "after the load"
SPRING=$(sql "SELECT id FROM campaigns WHERE client_id = '$A' AND name = 'Spring'")
SECRET=$(sql "SELECT id FROM campaigns WHERE client_id = '$B' AND name = 'Secret'")

# --- enrolment by id and by name
ev "$C1" e1 CAMPAIGN_ENROLLED "{\"campaign_id\":\"$SPRING\"}" "\"occurred_at\":\"$T0\""
expect_status 201 "an enrolment by campaign id is stored"
expect_eq "$(state e1)" "Spring|0|0|true|false|false|false" "the lead is on Spring at position 0"
expect_eq "$(counts Spring)" "2 0 0 0" "Spring counts it active"
check "Spring's last enrolment is the event's time" test "$(sql "SELECT last_enrollment_at = '$T0' FROM campaigns WHERE id = '$SPRING'")" = t
ev "$C1" e2 CAMPAIGN_ENROLLED '{"campaign":"Autumn","total_steps":4}'
expect_status 201 "an enrolment naming an unknown campaign is stored"
expect_eq "$(sql "SELECT auto_discovered || ' ' || jsonb_array_length(messages) || ' ' || active_leads_count FROM campaigns WHERE client_id = '$A' AND name = 'Autumn'")" "true 4 1" "it discovers the campaign with total_steps steps, the lead on it"
ev "$C1" e3 CAMPAIGN_ENROLLED '{"campaign":"Summer"}'
expect_eq "$(state e3)" "Summer|0|0|true|false|false|false" "an enrolment by a known name joins that campaign"
expect_eq "$(sql "SELECT count(*) FROM campaigns WHERE client_id = '$A'")" 3 "...without a new one"
exact "after the enrolments"

# --- steps: forward only; duplicates and replays move nothing
ev "$C1" e1 MESSAGE_SENT '{"campaign":"Spring","step":1}'
expect_eq "$(state e1)" "Spring|1|1|true|false|false|false" "step 1 moves the lead to position 1, one message received"
ev "$C1" e1 MESSAGE_SENT "{\"campaign_id\":\"$SPRING\",\"step\":2}" '"idempotency_key":"e1-step-2"'
expect_status 201 "step 2 by campaign id is stored"
expect_eq "$(state e1)" "Spring|2|2|true|false|false|false" "...and moves it to 2"
ev "$C1" e1 MESSAGE_SENT "{\"campaign_id\":\"$SPRING\",\"step\":2}" '"idempotency_key":"e1-step-2"'
expect_status 200 "the same event again is a duplicate"
expect_eq "$(state e1)" "Spring|2|2|true|false|false|false" "...and moves nothing"
ev "$C1" e1 MESSAGE_SENT '{"campaign":"Spring","step":1}' '"idempotency_key":"e1-step-1-replayed"'
expect_status 201 "a replay of step 1 under another key is stored"
expect_eq "$(state e1)" "Spring|2|2|true|false|false|false" "...and moves nothing back, counts no message"
ev "$C1" e1 MESSAGE_SENT '{"campaign":"Spring","step":2}' '"idempotency_key":"e1-step-2-replayed"'
expect_eq "$(state e1)" "Spring|2|2|true|false|false|false" "a replay of the current step counts no second message"
ev "$C1" e1 MESSAGE_SENT '{"campaign":"Summer","step":2}'
expect_eq "$(state e1)" "Spring|2|2|true|false|false|false" "a step of a campaign the lead is not on moves nothing"
ev "$C1" e1 MESSAGE_SENT '{"step":2}'
expect_status 400 "a step without its campaign is refused"
exact "after the steps"

# --- a move, and the old enrolment replayed after it
ev "$C1" e1 CAMPAIGN_ENROLLED '{"campaign":"Summer"}' "\"occurred_at\":\"$T1\""
expect_eq "$(state e1)" "Summer|0|0|true|false|false|false" "an enrolment into another campaign moves the lead, position 0"
expect_eq "$(history e1)" "Spring:moved:2" "...and appends its Spring journey as moved, at position 2"
expect_eq "$(counts Spring) / $(counts Summer)" "1 0 0 0 / 2 0 0 0" "Spring loses the lead, Summer gains it"
ev "$C1" e1 CAMPAIGN_ENROLLED "{\"campaign_id\":\"$SPRING\"}" "\"occurred_at\":\"$T0\",\"idempotency_key\":\"e1-enrol-replayed\""
expect_status 201 "the first enrolment replayed under another key is stored"
expect_eq "$(state e1) $(history e1)" "Summer|0|0|true|false|false|false Spring:moved:2" "...and changes nothing: it is older than the move"
ev "$C1" e1 CAMPAIGN_ENROLLED '{"campaign":"Summer"}'
expect_eq "$(state e1) $(history e1)" "Summer|0|0|true|false|false|false Spring:moved:2" "an enrolment into the campaign the lead is on changes nothing"
exact "after the move"

# --- removal, opt-out, booking
ev "$C1" e3 CAMPAIGN_DE_ENROLLED '{"campaign":"Spring"}'
expect_eq "$(state e3)" "Summer|0|0|true|false|false|false" "a removal naming another campaign leaves the lead"
ev "$C1" e3 CAMPAIGN_DE_ENROLLED
expect_eq "$(state e3)" "-|0|0|false|false|false|false" "CAMPAIGN_DE_ENROLLED takes the lead off its campaign, inactive"
expect_eq "$(history e3)" "Summer:removed:0" "...its journey appended as removed"
expect_eq "$(counts Summer)" "1 0 0 0" "Summer counts one active lead less"
ev "$C1" e2 OPTED_OUT
expect_eq "$(state e2)" "Autumn|0|0|false|false|true|false" "OPTED_OUT makes the lead inactive and opted out"
expect_eq "$(counts Autumn)" "0 0 1 0" "Autumn counts it opted out, no longer active"
ev "$C1" e2 OPTED_OUT "{}" '"idempotency_key":"e2-opt-out-again"'
expect_eq "$(counts Autumn)" "0 0 1 0" "a second opt-out counts nothing more"
ev "$C1" e2 CAMPAIGN_ENROLLED '{"campaign":"Spring"}'
expect_eq "$(state e2)" "Autumn|0|0|false|false|true|false" "an opted-out lead is not enrolled again"
ev "$C1" e1 BOOKING_CONFIRMED
ev "$C1" e1 BOOKING_CONFIRMED "{}" '"idempotency_key":"e1-booked-again"'
expect_eq "$(state e1)" "Summer|0|0|true|false|false|true" "BOOKING_CONFIRMED marks the lead booked"
expect_eq "$(counts Summer)" "1 0 0 1" "Summer counts one booking, however often it is confirmed"
exact "after removal, opt-out and bookings"

# --- a batch mixing them, in the order they happened
T2=$(at '-4 min') T3=$(at '-3 min') T4=$(at '-2 min')
events "$KEY" "[{\"client_id\":\"$C1\",\"lead_id\":\"e4\",\"event_type\":\"CAMPAIGN_ENROLLED\",\"occurred_at\":\"$T2\",\"metadata\":{\"campaign\":\"Spring\"}},
 {\"client_id\":\"$C1\",\"lead_id\":\"e4\",\"event_type\":\"MESSAGE_SENT\",\"occurred_at\":\"$T3\",\"metadata\":{\"campaign\":\"Spring\",\"step\":1}},
 {\"client_id\":\"$C1\",\"lead_id\":\"e4\",\"event_type\":\"MESSAGE_SENT\",\"occurred_at\":\"$T3\",\"metadata\":{\"campaign\":\"Spring\",\"step\":2}},
 {\"client_id\":\"$C1\",\"lead_id\":\"e4\",\"event_type\":\"MESSAGE_SENT\",\"occurred_at\":\"$T4\",\"metadata\":{\"campaign\":\"Spring\",\"step\":3}},
 {\"client_id\":\"$C1\",\"lead_id\":\"e4\",\"event_type\":\"BOOKING_CONFIRMED\",\"occurred_at\":\"$T4\"},
 {\"client_id\":\"$C1\",\"lead_id\":\"e5\",\"event_type\":\"CAMPAIGN_ENROLLED\",\"occurred_at\":\"$T2\",\"metadata\":{\"campaign\":\"Summer\"}},
 {\"client_id\":\"$C1\",\"lead_id\":\"e5\",\"event_type\":\"OPTED_OUT\",\"occurred_at\":\"$T3\"},
 {\"client_id\":\"$C1\",\"lead_id\":\"l1\",\"event_type\":\"MESSAGE_SENT\",\"metadata\":{\"campaign\":\"Spring\",\"step\":3}},
 {\"client_id\":\"$C1\",\"lead_id\":\"e1\",\"event_type\":\"MESSAGE_SENT\",\"metadata\":{\"campaign\":\"Summer\",\"step\":1}}]"
expect_status 201 "a batch of enrolments, steps, a booking and an opt-out is stored"
expect_eq "$(state e4)" "Spring|3|3|true|false|false|true" "e4: enrolled, three steps, booked — all in one batch"
expect_eq "$(state e5)" "Summer|0|0|false|false|true|false" "e5: enrolled then opted out"
expect_eq "$(state l1)" "Spring|3|1|true|false|false|false" "the loaded lead reaches the end of Spring"
expect_eq "$(state e1)" "Summer|1|1|true|false|false|true" "e1 gets its first Summer message"
expect_eq "$(counts Spring) / $(counts Summer)" "2 0 0 1 / 1 0 1 1" "the counts follow the batch"
exact "after the batch"

# --- another client's campaign is out of reach
ev "$C1" e1 MESSAGE_SENT "{\"campaign_id\":\"$SECRET\",\"step\":2}"
expect_status 201 "a step naming another client's campaign is stored"
expect_eq "$(state e1)" "Summer|1|1|true|false|false|true" "...and moves nothing"
ev "$C1" e6 CAMPAIGN_ENROLLED "{\"campaign_id\":\"$SECRET\"}"
expect_status 201 "an enrolment into another client's campaign by id is stored"
expect_eq "$(state e6)" "-|0|0|true|false|false|false" "...and enrols no one"
ev "$C1" e6 CAMPAIGN_ENROLLED '{"campaign":"Secret","total_steps":1}'
expect_eq "$(sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE c.id = '$SECRET') FROM campaigns c JOIN leads l ON l.campaign_link_id = c.id WHERE l.id = '$(lead e6)'")" "1 0" "a name another client also uses is this client's own (discovered), never the other's"
expect_eq "$(counts Secret "$B")" "0 0 0 0" "the other client's campaign counts nothing"
exact "after the cross-client events"

# --- de-enrollment completes the finished, the counts follow
deenroll --client-id="$A"
expect_eq "$(state e4) $(state l1)" "Spring|3|3|false|true|false|true Spring|3|1|false|true|false|false" "the run completes e4 and the loaded lead like any other"
expect_eq "$(counts Spring)" "0 2 0 1" "Spring: none active, two completed, the booking kept"
expect_eq "$(history e4)" "Spring:completed:3" "e4's journey is appended as completed"
check "each has one CAMPAIGN_COMPLETED event" test "$(sql "SELECT count(*) FROM lead_activity_log WHERE event_type = 'CAMPAIGN_COMPLETED' AND lead_id IN ('$(lead e4)', '$(lead l1)')")" = 2
ev "$C1" e4 MESSAGE_SENT '{"campaign":"Spring","step":3}' '"idempotency_key":"e4-late"'
expect_eq "$(state e4)" "Spring|3|3|false|true|false|true" "a late step after completion moves nothing"
ev "$C1" e4 CAMPAIGN_ENROLLED '{"campaign":"Summer"}'
expect_eq "$(state e4) $(history e4)" "Summer|0|0|true|false|false|false Spring:completed:3" "a completed lead can be enrolled again, its history kept"
exact "after the run and the re-enrolment"
deenroll
expect_eq "$(sop_stuck)" 0 "no lead is left stuck"

# --- migrations 0012 and 0011 down and up again, with data in them
superuser_sql "DROP DATABASE IF EXISTS minicrm_camp$$" >/dev/null 2>&1
superuser_sql "CREATE DATABASE minicrm_camp$$ OWNER minicrm_owner" >/dev/null
MIG_URL=${OWNER_URL/\/minicrm\?/\/minicrm_camp$$?}
mig() { DATABASE_URL=$MIG_URL minicrm migrate "$@" >/dev/null 2>&1; }
msql() { psql "$MIG_URL" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
since() { ls "$TOP"/sql/*.up.sql | xargs -n1 basename | awk -v n="$1" '$0 >= n' | wc -l; }
check "a fresh database migrates up" mig up
D=$(msql "SELECT id FROM clients WHERE slug = 'default'")
msql "INSERT INTO campaigns (client_id, name, messages, is_active, active_leads_count) VALUES ('$D', 'Winter', '[{}, {}]', true, 2)" >/dev/null
msql "INSERT INTO leads (client_id, external_id, first_name, last_name, campaign_link_id, current_message_position, is_active, opted_out)
      SELECT '$D', 'w' || i, 'W', 'L', (SELECT id FROM campaigns WHERE name = 'Winter'), 1, true, false FROM generate_series(1, 2) i" >/dev/null
msql "SELECT count(*) FROM log_activity_batch('[{\"client_id\":\"$D\",\"lead_id\":\"w1\",\"event_type\":\"MESSAGE_SENT\",\"metadata\":{\"campaign\":\"Winter\",\"step\":2}}]')" >/dev/null
OWNER_URL=$MIG_URL deenroll_sql >/dev/null
expect_eq "$(msql "SELECT count(*) FROM de_enrollment_lead_log") $(msql "SELECT completed_leads_count FROM campaigns")" "1 1" "with a campaign, leads, a step and a run in it"
EVENTS=$(msql "SELECT count(*) FROM lead_activity_log")
check "migrate down through 0012" mig down "$(since 0012)"
expect_eq "$(msql "SELECT to_regclass('de_enrollment_runs') IS NULL AND to_regclass('de_enrollment_lead_log') IS NULL")" t "0012's tables are gone"
expect_eq "$(msql "SELECT count(*) FILTER (WHERE completed_at IS NOT NULL) || ' ' || count(*) FROM leads") $(msql "SELECT completed_leads_count FROM campaigns")" "1 2 1" "the completed lead and the campaign stay (0011's data)"
check "migrate up again" mig up
expect_eq "$(msql "SELECT count(*) FROM de_enrollment_runs")" 0 "0012 is back, empty"
msql "SELECT count(*) FROM log_activity_batch('[{\"client_id\":\"$D\",\"lead_id\":\"w2\",\"event_type\":\"MESSAGE_SENT\",\"metadata\":{\"campaign\":\"Winter\",\"step\":2}}]')" >/dev/null
OWNER_URL=$MIG_URL deenroll_sql >/dev/null
expect_eq "$(msql "SELECT completed_leads_count || ' ' || active_leads_count FROM campaigns")" "2 0" "and a run works on the data that stayed"
EVENTS=$(msql "SELECT count(*) FROM lead_activity_log")
check "migrate down through 0011" mig down "$(since 0011)"
expect_eq "$(msql "SELECT to_regclass('campaigns') IS NULL AND NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'leads' AND column_name IN ('campaign_link_id', 'is_active', 'campaign_history'))")" t "campaigns and the leads' campaign columns are gone"
expect_eq "$(msql "SELECT count(*) FROM leads") $(msql "SELECT count(*) FROM lead_activity_log")" "2 $EVENTS" "the leads and every event stay"
expect_eq "$(msql "SELECT count(*) FROM event_types WHERE name = 'CAMPAIGN_COMPLETED'")" 1 "CAMPAIGN_COMPLETED stays a type while its events exist"
check "migrate up again" mig up
expect_eq "$(msql "SELECT count(*) FILTER (WHERE is_active AND campaign_link_id IS NULL AND current_message_position = 0 AND campaign_history = '[]') FROM leads")" 2 "the leads come back with the defaults"
check "the SOP's load works again" msql "INSERT INTO campaigns (client_id, name, messages, is_active, active_leads_count) VALUES ('$D', 'Winter', '[{}]', true, 0)"
check "and events move leads again" msql "SELECT count(*) FROM log_activity_batch('[{\"client_id\":\"$D\",\"lead_id\":\"w3\",\"event_type\":\"CAMPAIGN_ENROLLED\",\"metadata\":{\"campaign\":\"Winter\"}}]')"
expect_eq "$(msql "SELECT active_leads_count FROM campaigns")" 1 "...with the counts"
superuser_sql "DROP DATABASE minicrm_camp$$" >/dev/null
finish
