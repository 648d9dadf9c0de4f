#!/usr/bin/env bash
# The retry queue's admin pages: counts by state, the list and its filters
# (state, workflow, age) with keyset pages, a row's payload and error
# history, replay one / selected / all due, discard behind a confirmation
# (the row is kept as discarded), the CSV export (RFC 4180, formula cells
# defused), everything escaped; viewers read but cannot act, and every
# POST needs the CSRF token.
source "$(dirname "$0")/lib.sh"

W=pages-$$
sql "DELETE FROM retry_queue WHERE state = 'pending'" >/dev/null
enqueue() {
	sql "INSERT INTO retry_queue (payload, workflow, execution_id, error) VALUES ('$2', '$1', ${3:-NULL}, 'HTTP 502') RETURNING id" | head -n 1
}
state() { sql "SELECT state FROM retry_queue WHERE id = $1"; }
GOOD=$(enqueue "$W" '{"event_type":"MESSAGE_SENT","lead_id":"recP1","source":"'$W'","message":"<script>alert(1)</script>"}' "'e1'")
BAD=$(enqueue "$W" '{"lead_id":"recP2","source":"'$W'"}' "'e2'")
OLD=$(enqueue "$W-old" '=HYPERLINK("http://evil")' "'e3'")
sql "UPDATE retry_queue SET created_at = now() - interval '30 hours' WHERE id = $OLD" >/dev/null
S1=$(enqueue "$W-sel" '{"event_type":"MESSAGE_SENT","lead_id":"recS1","source":"'$W'-sel"}')
S2=$(enqueue "$W-sel" '{"event_type":"MESSAGE_SENT","lead_id":"recS2","source":"'$W'-sel"}')
S3=$(enqueue "$W-sel" '{"event_type":"MESSAGE_SENT","lead_id":"recS3","source":"'$W'-sel"}')

check "log in as an admin" login "retry-admin-$$@example.com" "retry-admin-pw-$$"
browse GET /retry-queue
expect_status 200 "the retry queue page answers"
expect_eq "$(grep -o '<dd id="count-pending">[0-9]*' <<<"$BODY" | grep -o '[0-9]*$')" "$(sql "SELECT count(*) FROM retry_queue WHERE state = 'pending'")" "it counts the pending rows"
expect_eq "$(grep -o '<dd id="count-done">[0-9]*' <<<"$BODY" | grep -o '[0-9]*$')" "$(sql "SELECT count(*) FROM retry_queue WHERE state = 'done'")" "and the done ones"
check "it lists a pending row" grep -q "href=\"/retry-queue/$GOOD\"" <<<"$BODY"
check "with a checkbox to select it" grep -q "name=\"id\" value=\"$GOOD\"" <<<"$BODY"
check "and a button to replay all due" grep -q 'name="all" value="due"' <<<"$BODY"

browse GET "/retry-queue?workflow=$W-old"
check "filter by workflow: the old row" grep -q "href=\"/retry-queue/$OLD\"" <<<"$BODY"
check "...and not the others" bash -c '! grep -q "href=\"/retry-queue/$0\"" <<<"$1"' "$GOOD" "$BODY"
browse GET "/retry-queue?older=24"
check "filter by age: older than 24 hours" grep -q "href=\"/retry-queue/$OLD\"" <<<"$BODY"
check "...leaves out the new ones" bash -c '! grep -q "href=\"/retry-queue/$0\"" <<<"$1"' "$GOOD" "$BODY"
browse GET "/retry-queue?state=done&workflow=nothing-$$"
check "an empty list says so" grep -q 'class="empty">No done rows match these filters' <<<"$BODY"
browse GET "/retry-queue?state=bogus"
expect_status 400 "an unknown state filter is a 400"
browse GET "/retry-queue?older=abc"
expect_status 400 "so is a bad age"
# Keyset pages: 60 rows of one workflow are two pages.
sql "INSERT INTO retry_queue (payload, workflow) SELECT '{}', '$W-many' FROM generate_series(1, 60)" >/dev/null
browse GET "/retry-queue?workflow=$W-many"
check "a page holds 50 rows" test "$(grep -c 'href="/retry-queue/[0-9]*"' <<<"$BODY")" -eq 50
NEXT=$(grep -o 'href="[^"]*" rel="next"' <<<"$BODY" | sed 's/href="\([^"]*\)".*/\1/; s/&amp;/\&/g')
check "with a link to older rows" test -n "$NEXT"
browse GET "$NEXT"
check "the next page holds the other 10" test "$(grep -c 'href="/retry-queue/[0-9]*"' <<<"$BODY")" -eq 10
check "and no further link" bash -c '! grep -q "rel=\"next\"" <<<"$0"' "$BODY"

# One row.
browse GET "/retry-queue/$GOOD"
expect_status 200 "a row's page answers"
check "its payload pretty-printed" grep -q '"event_type": "MESSAGE_SENT"' <<<"$(sed 's/&quot;/"/g' <<<"$BODY")"
check "escaped" grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' <<<"$BODY"
check "never raw" bash -c '! grep -qF "<script>alert" <<<"$0"' "$BODY"
check "where it came from" grep -q "by a direct INSERT (minicrm_n8n)" <<<"$BODY"
browse GET "/retry-queue/$OLD"
check "a payload that is not JSON is shown as received" grep -q 'Not valid JSON' <<<"$BODY"
browse GET /retry-queue/999999999
expect_status 404 "no such row: 404"
browse GET /retry-queue/abc
expect_status 404 "not an id: 404"

# Replay one.
CSRF=$(field csrf)
browse GET "/retry-queue/$BAD"
CSRF=$(field csrf)
browse POST "/retry-queue/$BAD/replay" --data-urlencode "csrf=$CSRF"
expect_status 303 "replay one now"
browse GET "/retry-queue/$BAD?taken=1&logged=0&duplicates=0&failed=1&dead=0"
check "the page says it failed again" grep -q "1 failed again" <<<"$BODY"
check "the error history shows the validation error" grep -q "<td>1</td><td>[0-9 :-]*</td><td>invalid event: event_type is required</td>" <<<"$BODY"
expect_eq "$(state "$BAD")" pending "the row stays pending"
browse POST "/retry-queue/$GOOD/replay" --data-urlencode "csrf=$CSRF"
expect_status 303 "replay a good row"
expect_header "^Location: /retry-queue/$GOOD\?taken=1&logged=1" "back to the row, logged"
expect_eq "$(state "$GOOD")" done "it is done"
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log WHERE source = '$W'")" 1 "its event is logged"
browse POST "/retry-queue/$GOOD/replay" --data-urlencode "csrf=$CSRF"
expect_status 409 "a done row cannot be replayed again"

# Replay selected: every id field, not only the first.
browse POST /retry-queue/replay --data-urlencode "csrf=$CSRF" --data "id=$S1&id=$S3"
expect_status 303 "replay the selected rows"
expect_header '^Location: /retry-queue\?taken=2&logged=2' "both of them"
expect_eq "$(state "$S1") $(state "$S2") $(state "$S3")" "done pending done" "the ticked rows, and only them"
browse POST /retry-queue/replay --data-urlencode "csrf=$CSRF"
expect_status 400 "nothing selected: 400"
browse POST /retry-queue/replay --data-urlencode "csrf=$CSRF" --data "id=1;drop"
expect_status 400 "a bad id: 400"

# Discard with a confirmation; the row is kept.
browse GET "/retry-queue/$S2/discard"
expect_status 200 "the discard page asks first"
check "are you sure" grep -q "Discard row $S2?" <<<"$BODY"
check "with a confirmed form" grep -q 'name="confirm" value="yes"' <<<"$BODY"
browse POST "/retry-queue/$S2/discard" --data-urlencode "csrf=$CSRF"
expect_status 400 "a discard without confirm=yes is refused"
expect_eq "$(state "$S2")" pending "and changes nothing"
browse POST "/retry-queue/$S2/discard" --data-urlencode "csrf=$CSRF" --data "confirm=yes"
expect_status 303 "a confirmed discard"
expect_eq "$(sql "SELECT state || ' ' || discarded_by FROM retry_queue WHERE id = $S2")" "discarded retry-admin-$$@example.com" "keeps the row, discarded, with who did it"
browse POST "/retry-queue/$S2/discard" --data-urlencode "csrf=$CSRF" --data "confirm=yes"
expect_status 409 "discarding twice: 409"
browse POST /retry-queue/replay --data-urlencode "csrf=$CSRF" --data "id=$S2"
check "a discarded row is not replayed" grep -q '^Location: /retry-queue?taken=0' <<<"$HEADERS"

# Replay all due.
browse POST /retry-queue/replay --data-urlencode "csrf=$CSRF" --data "all=due"
expect_status 303 "replay all due"
expect_eq "$(sql "SELECT count(*) FROM retry_queue WHERE state = 'pending' AND next_attempt_at <= now()")" 0 "no row is left due"
browse GET "$(sed -n 's/^Location: \(.*\)\r$/\1/p' <<<"$HEADERS")"
check "the list reports what happened" grep -q 'id="flash">Replayed' <<<"$BODY"

# CSV export: the filtered list.
browse GET "/retry-queue/export.csv?state=all&workflow=$W-old"
expect_status 200 "the CSV export answers"
expect_header '^Content-Type: text/csv' "as CSV"
expect_header "^Content-Security-Policy: default-src 'none'; frame-ancestors 'none'" "a download is data: a browser rendering it may run nothing"
expect_header '^Content-Disposition: attachment' "as a download"
check "a header line, CRLF" bash -c 'head -n 1 <<<"$0" | grep -q $'"'"'^id,state,created_at,workflow,execution_id,lead_id,event_type,attempts,next_attempt_at,error,payload,is_test\r$'"'"'' "$BODY"
check "one row: the filter applies" test "$(grep -c $'\r$' <<<"$BODY")" -eq 2
check "a formula payload is defused and quoted" grep -qF "\"'=HYPERLINK(\"\"http://evil\"\")\"" <<<"$BODY"
browse GET "/retry-queue/export.csv?state=all&workflow=$W-many"
check "the export is not limited to a page" test "$(grep -c $'\r$' <<<"$BODY")" -eq 61
# Past the export's own pages (500 rows, keyset on id): every row once,
# newest first, however many pages it takes.
sql "INSERT INTO retry_queue (payload, workflow, state) SELECT '{}', '$W-export', 'discarded' FROM generate_series(1, 1201)" >/dev/null
browse GET "/retry-queue/export.csv?state=all&workflow=$W-export"
IDS=$(tail -n +2 <<<"$BODY" | cut -d, -f1)
check "an export of three pages has every row once" test "$(sort -u <<<"$IDS" | grep -c .)" -eq 1201
check "newest first across the pages" test "$IDS" = "$(sort -nr <<<"$IDS")"
sql "DELETE FROM retry_queue WHERE workflow = '$W-export'" >/dev/null

# Viewers read, but cannot act; every POST needs the CSRF token.
ADMIN_JAR=$JAR
JAR=$TMP/viewer-cookies
check "log in as a viewer" login "retry-viewer-$$@example.com" "retry-viewer-pw-$$" viewer
browse GET /retry-queue?state=all
expect_status 200 "a viewer sees the queue"
check "without checkboxes or buttons" bash -c '! grep -q "name=\"id\"\|Replay" <<<"$0"' "$BODY"
VCSRF=$(field csrf)
browse POST "/retry-queue/$S2/discard" --data-urlencode "csrf=$VCSRF" --data "confirm=yes"
expect_status 403 "a viewer cannot discard"
browse POST "/retry-queue/$BAD/replay" --data-urlencode "csrf=$VCSRF"
expect_status 403 "nor replay one"
browse POST /retry-queue/replay --data-urlencode "csrf=$VCSRF" --data "all=due"
expect_status 403 "nor replay all"
JAR=$ADMIN_JAR
browse POST "/retry-queue/$BAD/discard" --data "confirm=yes"
expect_status 403 "an admin's POST without the CSRF token is refused"
browse POST "/retry-queue/$BAD/replay" --data "csrf=wrong"
expect_status 403 "so is one with a wrong token"
expect_eq "$(state "$BAD")" pending "and nothing changed"

sql "DELETE FROM retry_queue WHERE workflow LIKE 'pages-%'" >/dev/null
finish
