#!/usr/bin/env bash
# Test mode (the activity SOP's "Test Mode", per API key; sql 0018): a key
# made with --test (or the keys page's checkbox) logs events that are
# stored and shown marked "test" — in the timeline, the activity page, the
# CSV export and the API's answer — and that count nowhere: the health
# figures and red flags, the dashboard and the retry queue's figures are
# exactly what they were before, while a live event still counts. A test
# key's event through the retry queue and the replay stays test; a lead
# that only test events made is a test lead until a live event names it.
source "$(dirname "$0")/lib.sh"

C=tm$$
minicrm client create "$C" --name "Test mode $$" >/dev/null
LIVE=$(new_key "tm-live-$$" --client "$C")
TEST=$(minicrm apikey create --name "tm-test-$$" --client "$C" --test 2>"$TMP/create.err")
RC=$?
record_secret "$TEST"
expect_eq "$RC" 0 "apikey create --test exits 0"
check "and says the key is a test key" grep -q '^Test API key' "$TMP/create.err"
TPREFIX=$(cut -d_ -f2 <<<"$TEST")
LPREFIX=$(cut -d_ -f2 <<<"$LIVE")
expect_eq "$(sql "SELECT is_test FROM api_keys WHERE prefix = '$TPREFIX'")|$(sql "SELECT is_test FROM api_keys WHERE prefix = '$LPREFIX'")" "t|f" "the test key is stored as one, the live key not"
minicrm apikey list >"$TMP/list"
check "apikey list has a test column" grep -qE '^id +name +prefix +client +created +last used +test +state$' "$TMP/list"
check "apikey list marks the test key" grep -qE "^[0-9a-f-]{36} +tm-test-$$ +$TPREFIX .* yes +live$" "$TMP/list"
check "and not the live key" grep -qE "^[0-9a-f-]{36} +tm-live-$$ +$LPREFIX .* no +live$" "$TMP/list"
minicrm apikey create --name "tm-bad-$$" --tset >/dev/null 2>"$TMP/bad.err"
expect_eq "$?" 2 "a misspelt flag is a usage error (exit 2)"
check "the usage names --test" grep -q -- '--test' "$TMP/bad.err"
expect_eq "$(sql "SELECT count(*) FROM api_keys WHERE name = 'tm-bad-$$'")" 0 "and makes no key"

post() { # post KEY JSON
	request POST /api/internal/log-activity -H "x-api-key: $1" \
		-H 'Content-Type: application/json' --data-binary "$2"
}
# What the health API says, but for the age of the oldest queued row
# (a clock, not a count).
health() {
	request GET /api/internal/activity-health
	jq -c 'del(.oldest_retry_age_seconds)' <<<"$BODY"
}
# The dashboard's figures: the health block, the red flags, the chart's
# bars and the weekly table (not the retry queue's age).
dashboard() {
	browse GET /
	grep -oE '<dd id="(events-last-hour|events-last-24h|retry-queue-size)">.*</dd>|<title>[0-9-]+ [A-Z_]+: [0-9]+</title>|<td>[A-Z_]+</td><td>[0-9]+</td><td>[^<]*</td>|role="alert"[^<]*<[^>]*>[^<]*' <<<"$BODY"
}
# The live events in the log over the health API's windows, as the SOP's
# own query counts them (with "AND NOT is_test").
live_counts() {
	sql "SELECT count(*) FILTER (WHERE created_at > now() - interval '1 hour'), count(*) FROM lead_activity_log WHERE NOT is_test AND created_at > now() - interval '24 hours'"
}
# At one instant (one transaction, one now()): activity_health()'s two
# figures, the SOP's count of live events and its count of every event,
# each "hour|day".
same_instant() {
	psql "$OWNER_URL" -qAtX -F ' ' -v ON_ERROR_STOP=1 <<-'SQL'
	BEGIN;
	SELECT h.events_last_hour || '|' || h.events_last_24h,
	  (SELECT count(*) FILTER (WHERE created_at > now() - interval '1 hour') || '|' || count(*)
	   FROM lead_activity_log WHERE NOT is_test AND created_at > now() - interval '24 hours'),
	  (SELECT count(*) FILTER (WHERE created_at > now() - interval '1 hour') || '|' || count(*)
	   FROM lead_activity_log WHERE created_at > now() - interval '24 hours')
	FROM activity_health() h;
	COMMIT;
	SQL
}
# minus A B: "hour|day" B minus "hour|day" A.
minus() { awk -F'|' -v a="$1" -v b="$2" 'BEGIN { split(a, x, "|"); split(b, y, "|"); print y[1] - x[1] "|" y[2] - x[2] }'; }
check "log in as an admin" login "tm-$$@example.com" "tm-password-$$"

# One live event first, so the figures are not all zero.
post "$LIVE" "{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"tm-live-$$\"}"
expect_status 201 "a live event is stored"
expect_json 'has("test") | not' "a live key's answer says nothing of test"

N=25
# Before and after N test events, the health API's answer (figures and
# red flags) and the dashboard's figures are equal, exactly. Other tests'
# events logged hours back keep leaving the windows: a try during which
# one did (the SOP's live count moved) is done again, at most 10 times.
read -r A_HEALTH A_LIVE A_ALL <<<"$(same_instant)"
for try in 1 2 3 4 5 6 7 8 9 10; do
	L0=$(live_counts)
	H0=$(health)
	jq -nc --arg l "tm-test-$$-$try" "[range($N) | {event_type: \"BOOKING_CONFIRMED\", lead_id: \$l, channel: \"sms\", message: \"test run \\(.)\"}]" >"$TMP/batch.json"
	post "$TEST" "@$TMP/batch.json"
	BATCH_STATUS=$STATUS BATCH_BODY=$BODY
	H1=$(health)
	L1=$(live_counts)
	[ "$L0" = "$L1" ] && break
done
read -r B_HEALTH B_LIVE B_ALL <<<"$(same_instant)"
STATUS=$BATCH_STATUS BODY=$BATCH_BODY
expect_status 201 "a test key's batch is stored"
expect_json ".accepted == $N and .test == true" "the answer says the events are test ones"
TLEAD_EXT=tm-test-$$-$try
expect_eq "$(sql "SELECT count(*) FILTER (WHERE a.is_test), count(*) FROM lead_activity_log a JOIN api_keys k ON k.id = a.api_key_id WHERE k.prefix = '$TPREFIX'")" "$N|$N" "every event of the test key is stored, marked test"
expect_eq "$H1" "$H0" "the health API's figures and red flags are exactly as before the test events"
check "(the health answer was read)" jq -e '.events_last_24h >= 1' <<<"$H1"
# The same at two instants in the database: the figures moved exactly as
# the live events in the log did (edges crossed meanwhile), while every
# event of the log moved by the test events more.
expect_eq "$(minus "$A_HEALTH" "$B_HEALTH")" "$(minus "$A_LIVE" "$B_LIVE")" "activity_health() moves only with the live events of the SOP's query"
expect_eq "$(minus "$(minus "$A_LIVE" "$B_LIVE")" "$(minus "$A_ALL" "$B_ALL")")" "$((N * try))|$((N * try))" "while the log's every-event count grew by the test events"
expect_eq "$(sql "SELECT coalesce(sum(events), 0) FROM activity_counts_hourly WHERE client_id = (SELECT id FROM clients WHERE slug = '$C') AND event_type = 'BOOKING_CONFIRMED'")" 0 "no count row holds a test event"

# The dashboard, before and after more test events (tried again as above).
for try2 in 1 2 3 4 5 6 7 8 9 10; do
	L0=$(live_counts)
	D0=$(dashboard)
	post "$TEST" "{\"event_type\":\"MESSAGE_FAILED\",\"lead_id\":\"$TLEAD_EXT\"}"
	D1=$(dashboard)
	L1=$(live_counts)
	[ "$L0" = "$L1" ] && break
done
expect_eq "$D1" "$D0" "the dashboard's figures, red flags, chart and weekly table are exactly as before"
check "(the dashboard's figures were read)" grep -q 'id="events-last-24h"' <<<"$D1"
check "(and its weekly table)" grep -q '<td>MESSAGE_SENT</td>' <<<"$D1"

# The test events are shown, marked.
TLEAD=$(sql "SELECT id FROM leads WHERE external_id = '$TLEAD_EXT'")
expect_eq "$(sql "SELECT is_test FROM leads WHERE id = '$TLEAD'")" t "a lead only test events made is a test lead"
browse GET "/leads/$TLEAD"
expect_status 200 "the test lead's timeline answers"
check "its events are in the timeline" test "$(grep -c '<tr class="event test-event"' <<<"$BODY")" -ge 1
check "each with a test badge" grep -qE '<td class="event-type">BOOKING_CONFIRMED <span class="badge test"[^>]*>test</span></td>' <<<"$BODY"
check "the page says the lead is a test lead" grep -q 'id="test-lead"' <<<"$BODY"
browse GET "/activity?client=$C"
expect_status 200 "the activity page answers"
check "the activity page marks test events too" grep -qE '<tr class="event test-event" id="event-[0-9]+">.*<span class="badge test"' <<<"$BODY"
check "and not the live one" grep -qE '<tr class="event" id="event-[0-9]+">.*tm-live' <<<"$BODY"
browse GET "/leads/$TLEAD/export.csv"
expect_status 200 "the timeline's export answers"
check "the export has an is_test column" grep -q '^occurred_at,.*,event_id,is_test' <<<"$(tr -d '\r' <<<"$BODY")"
expect_eq "$(tr -d '\r' <<<"$BODY" | grep -c ',true$')" "$(sql "SELECT count(*) FROM lead_activity_log WHERE lead_id = '$TLEAD' AND is_test")" "each test event is true in it"
check "(there are some)" test "$(tr -d '\r' <<<"$BODY" | grep -c ',true$')" -ge "$N"

# The leads list hides test leads unless asked.
browse GET "/leads?q=$TLEAD_EXT"
check "the leads list leaves the test lead out by default" bash -c '! grep -q "/leads/$1\"" <<<"$0"' "$BODY" "$TLEAD"
browse GET "/leads?q=$TLEAD_EXT&test=include"
check "and shows it, marked, when asked" grep -qE "href=\"/leads/$TLEAD\".*<span class=\"badge test\"" <<<"$BODY"
browse GET "/leads?q=$TLEAD_EXT&test=bogus"
expect_status 400 "a bad test filter is refused"

# A test event moves no lead through a campaign (nor makes a campaign);
# the same event from the live key does.
CAMP=tm-camp-$$
post "$TEST" "{\"event_type\":\"CAMPAIGN_ENROLLED\",\"lead_id\":\"$TLEAD_EXT\",\"metadata\":{\"campaign\":\"$CAMP\",\"total_steps\":3}}"
expect_status 201 "a test enrolment is stored"
expect_eq "$(sql "SELECT campaign_link_id IS NULL FROM leads WHERE id = '$TLEAD'")|$(sql "SELECT count(*) FROM campaigns WHERE name = '$CAMP'")" "t|0" "a test enrolment enrols no lead and makes no campaign"

# A live event still counts, and makes the test lead a live one: the
# health API's figures grow by one each (tried again, as above, when an
# old event left a window meanwhile), and activity_health() moves with the
# SOP's live count.
TESTS_BEFORE=$(sql "SELECT count(*) FROM lead_activity_log WHERE lead_id = '$TLEAD' AND is_test")
read -r A_HEALTH A_LIVE A_ALL <<<"$(same_instant)"
for try in 1 2 3 4 5 6 7 8 9 10; do
	L0=$(live_counts)
	H0=$(health)
	post "$LIVE" "{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"$TLEAD_EXT\"}"
	LIVE_STATUS=$STATUS
	H1=$(health)
	L1=$(live_counts)
	[ "$(minus "$L0" "$L1")" = "1|1" ] && break
done
read -r B_HEALTH B_LIVE B_ALL <<<"$(same_instant)"
STATUS=$LIVE_STATUS
expect_status 201 "a live event for the test lead is stored"
expect_eq "$(minus "$(jq -r '"\(.events_last_hour)|\(.events_last_24h)"' <<<"$H0")" "$(jq -r '"\(.events_last_hour)|\(.events_last_24h)"' <<<"$H1")")" "1|1" "the health API counts the live event"
expect_eq "$(minus "$A_HEALTH" "$B_HEALTH")" "$(minus "$A_LIVE" "$B_LIVE")" "activity_health() moves with the SOP's live count"
expect_eq "$(sql "SELECT is_test FROM leads WHERE id = '$TLEAD'")" f "a live event makes the test lead a live one"
expect_eq "$(sql "SELECT count(*) FILTER (WHERE is_test) FROM lead_activity_log WHERE lead_id = '$TLEAD'")" "$TESTS_BEFORE" "its test events stay test"
post "$LIVE" "{\"event_type\":\"CAMPAIGN_ENROLLED\",\"lead_id\":\"$TLEAD_EXT\",\"metadata\":{\"campaign\":\"$CAMP\",\"total_steps\":3}}"
expect_eq "$(sql "SELECT c.name FROM leads l JOIN campaigns c ON c.id = l.campaign_link_id WHERE l.id = '$TLEAD'")" "$CAMP" "the live enrolment enrols it"

# The retry queue: a test key's event stays test, through the replay, and
# counts in neither the queue's figures nor its red flag (over 20 waiting).
H0=$(health)
queue_alert() { minicrm job run alerts 2>&1 | grep -o 'queue [0-9]* pending'; }
Q0=$(queue_alert)
pending_metric() { curl -sS "$BASE/metrics" | grep '^minicrm_retry_queue_rows{state="pending"}'; }
M0=$(pending_metric)
for i in $(seq 1 21); do
	request POST /api/internal/retry-queue -H "x-api-key: $TEST" -H 'Content-Type: application/json' \
		--data-binary "{\"payload\":{\"event_type\":\"INBOUND_REPLY\",\"lead_id\":\"tm-retry-$$\",\"execution_id\":\"tm-$$-$i\"},\"workflow\":\"tm-$$\",\"error\":\"timeout\"}"
	[ "$STATUS" = 201 ] || break
done
expect_status 201 "a test key's events are queued"
expect_json '.test == true' "the queue's answer says test"
expect_eq "$(sql "SELECT count(*) FROM retry_queue WHERE workflow = 'tm-$$' AND is_test")" 21 "the queued rows are marked test"
expect_eq "$(health)" "$H0" "21 queued test events raise no red flag and count in no figure"
Q1=$(queue_alert)
expect_eq "$Q1" "$Q0" "nor does the worker's queue alert count them"
check "(the alerts job said how many wait)" test -n "$Q1"
expect_eq "$(pending_metric)" "$M0" "nor /metrics' pending rows"
check "(/metrics gave the pending rows)" test -n "$M0"
ROW=$(sql "SELECT min(id) FROM retry_queue WHERE workflow = 'tm-$$'")
minicrm replay --id "$ROW" >/dev/null 2>&1
expect_eq "$?" 0 "the replay logs a test row"
expect_eq "$(sql "SELECT state FROM retry_queue WHERE id = $ROW")" done "the row is done"
expect_eq "$(sql "SELECT a.is_test FROM lead_activity_log a JOIN retry_queue q ON q.log_id = a.id WHERE q.id = $ROW")" t "its event in the log is a test event"
browse GET "/retry-queue/export.csv?state=all&workflow=tm-$$"
check "the queue's export has an is_test column" grep -q '^id,state,.*,payload,is_test' <<<"$(tr -d '\r' <<<"$BODY")"
expect_eq "$(tr -d '\r' <<<"$BODY" | grep -c ',true$')" 21 "every queued test row is true in it"
sql "UPDATE retry_queue SET state = 'discarded' WHERE workflow = 'tm-$$' AND state = 'pending'" >/dev/null

# The keys page: the test key marked; an admin makes one with the checkbox.
browse GET /keys
CSRF=$(field csrf)
check "the keys page marks the test key" grep -qE "<tr class=\"key\" id=\"key-$TPREFIX\">" <<<"$BODY"
check "with a test badge" grep -A1 "id=\"key-$TPREFIX\"" <<<"$BODY" | grep -q '<span class="badge test"'
check "and not the live key" bash -c '! grep -A1 "id=\"key-$1\"" <<<"$0" | grep -q "badge test"' "$BODY" "$LPREFIX"
check "the form has a test key checkbox" grep -q '<input type="checkbox" name="test" value="yes"' <<<"$BODY"
BEFORE=$(sql "SELECT count(*) FROM api_keys")
browse POST /keys --data-urlencode "csrf=$CSRF" --data-urlencode "name=tm-portal-$$" --data-urlencode "client=" --data-urlencode "test=maybe"
expect_status 400 "a test field other than the checkbox's is refused"
check "the message is beside the checkbox" grep -q '<p class="error field-error" id="test-error">' <<<"$BODY"
expect_eq "$(sql "SELECT count(*) FROM api_keys")" "$BEFORE" "and no key is made"
browse POST /keys --data-urlencode "csrf=$CSRF" --data-urlencode "name=tm-portal-$$" --data-urlencode "client=" --data-urlencode "test=yes"
expect_status 200 "an admin makes a test key"
record_secret "$(grep -oE 'mcrm_[0-9a-f]{12}_[A-Za-z0-9_-]{43}' <<<"$BODY" | head -n 1)"
check "the page says it is a test key" grep -q "<h2>Test API key" <<<"$BODY"
expect_eq "$(sql "SELECT is_test FROM api_keys WHERE name = 'tm-portal-$$'")" t "it is stored as a test key"
browse POST /keys --data-urlencode "csrf=$CSRF" --data-urlencode "name=tm-portal-live-$$" --data-urlencode "client="
expect_status 200 "without the box ticked"
record_secret "$(grep -oE 'mcrm_[0-9a-f]{12}_[A-Za-z0-9_-]{43}' <<<"$BODY" | head -n 1)"
expect_eq "$(sql "SELECT is_test FROM api_keys WHERE name = 'tm-portal-live-$$'")" f "the key is a live one"
check "log in as a viewer" login "tm-view-$$@example.com" "tm-view-password-$$" viewer
browse GET /keys
CSRF=$(field csrf)
browse POST /keys --data-urlencode "csrf=$CSRF" --data-urlencode "name=tm-viewer-$$" --data-urlencode "test=yes"
expect_status 403 "a viewer cannot make a test key"

# The other tests of the suite compare the figures with the SOP's query
# as it is written (without "AND NOT is_test"): the test events go.
sql "DELETE FROM lead_activity_log WHERE is_test AND api_key_id IN (SELECT id FROM api_keys WHERE name = 'tm-test-$$')" >/dev/null
finish
