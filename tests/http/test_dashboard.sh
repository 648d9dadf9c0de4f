#!/usr/bin/env bash
# The dashboard: the activity-health figures, the SOP's red flags as
# alerts, events per day and type as a server-drawn SVG chart, and the
# SOP's weekly table — all matching what was logged.
source "$(dirname "$0")/lib.sh"

check "log in" login "dash-$$@example.com" "dash-password-$$"
KEY=$(new_key dashboard)
jq -nc '[range(3) | {event_type:"BOOKING_CONFIRMED", lead_id:"dash-\(.)"}] + [range(2) | {event_type:"MESSAGE_FAILED", lead_id:"dash-x"}]' > "$TMP/events.json"
request POST /api/internal/log-activity -H "x-api-key: $KEY" -H 'Content-Type: application/json' --data-binary @"$TMP/events.json"
expect_status 201 "events to show"
# Two events three days ago, loaded by SQL, land on their own day.
CLIENT=$(sql "SELECT id FROM clients WHERE slug = 'default'")
LEAD=$(sql "SELECT id FROM leads WHERE external_id = 'dash-x'")
sql "INSERT INTO lead_activity_log (client_id, lead_id, event_type, occurred_at, created_at) SELECT '$CLIENT', '$LEAD', 'OPTED_OUT', now(), date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '3 days' + interval '12 hours' FROM generate_series(1, 2)" >/dev/null
DAY3=$(date -u -d '3 days ago' +%Y-%m-%d)
TODAY=$(date -u +%Y-%m-%d)

request GET /api/internal/activity-health
HOUR=$(jq .events_last_hour <<<"$BODY")
browse GET /
expect_status 200 "the dashboard answers"
check "it shows the health API's events in the last hour" grep -q "<dd id=\"events-last-hour\">$HOUR</dd>" <<<"$BODY"
check "the chart is an SVG image with a text alternative" grep -q '<svg class="chart" [^>]*role="img" aria-label=' <<<"$BODY"
# on_day DAY TYPE: the log's own count (other tests log events too).
on_day() { sql "SELECT count(*) FROM lead_activity_log WHERE event_type = '$2' AND (created_at AT TIME ZONE 'UTC')::date = '$1'"; }
check "today's bar holds the bookings the log holds" grep -q "<title>$TODAY BOOKING_CONFIRMED: $(on_day "$TODAY" BOOKING_CONFIRMED)</title>" <<<"$BODY"
check "and the failures" grep -q "<title>$TODAY MESSAGE_FAILED: $(on_day "$TODAY" MESSAGE_FAILED)</title>" <<<"$BODY"
check "three days ago, the opt-outs loaded for that day" grep -q "<title>$DAY3 OPTED_OUT: $(on_day "$DAY3" OPTED_OUT)</title>" <<<"$BODY"
check "...at least the two loaded" test "$(on_day "$DAY3" OPTED_OUT)" -ge 2
check "14 days are drawn" test "$(grep -c '<g transform="translate(' <<<"$BODY")" -eq 14
check "the legend names the types" grep -q '<span class="swatch t[0-9]"></span>OPTED_OUT' <<<"$BODY"
WEEK=$(sql "SELECT count(*) FROM lead_activity_log WHERE event_type = 'BOOKING_CONFIRMED' AND created_at > now() - interval '7 days'")
check "the weekly table counts as the SOP's query does" grep -q "<td>BOOKING_CONFIRMED</td><td>$WEEK</td>" <<<"$BODY"
RECENT=$(sql "SELECT to_char(max(created_at), 'YYYY-MM-DD HH24:MI:SS') FROM lead_activity_log WHERE event_type = 'BOOKING_CONFIRMED'")
check "with the most recent event's time" grep -q "<td>BOOKING_CONFIRMED</td><td>$WEEK</td><td>$RECENT</td>" <<<"$BODY"
check "no alert while healthy" bash -c '! grep -q "role=\"alert\"" <<<"$0"' "$BODY"

# The SOP's red flag: more than 20 events in the retry queue.
sql "INSERT INTO retry_queue (payload, state, created_at) SELECT '{}', 'pending', now() - interval '2 hours 5 minutes 30 seconds' FROM generate_series(1, 21)" >/dev/null
browse GET /
check "a red flag is shown as an alert" grep -q '<p class="alert" role="alert">retry queue holds 21 events' <<<"$BODY"
check "the dashboard shows the queue's size" grep -q 'id="retry-queue-size"><a href="/retry-queue?state=pending">21</a>' <<<"$BODY"
check "and how long its oldest event has waited" grep -q 'id="retry-oldest">2 h 5 min<' <<<"$BODY"
check "and the status says degraded" grep -q '<span class="status degraded">degraded</span>' <<<"$BODY"
sql "DELETE FROM retry_queue" >/dev/null

finish
