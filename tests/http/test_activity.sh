#!/usr/bin/env bash
# The activity page: every lead's events, newest first, filtered by client,
# type, channel and dates, paged by keyset through every event once, each
# row linking to its lead, escaped, with the same CSV export.
source "$(dirname "$0")/lib.sh"

check "log in" login "activity-$$@example.com" "activity-password-$$"
C=ac$$
sql "INSERT INTO clients (slug, name) VALUES ('$C', 'Activity test')" >/dev/null
CID=$(sql "SELECT id FROM clients WHERE slug = '$C'")
A=$(sql "INSERT INTO leads (client_id, external_id, first_name) VALUES ('$CID', 'recA$$', 'Alma') RETURNING id")
B=$(sql "INSERT INTO leads (client_id, external_id, first_name) VALUES ('$CID', 'recB$$', '<script>alert(1)</script>') RETURNING id")
sql "INSERT INTO lead_activity_log (client_id, lead_id, event_type, occurred_at, channel, message)
 SELECT '$CID', CASE WHEN g % 2 = 0 THEN '$A'::uuid ELSE '$B'::uuid END,
  CASE WHEN g % 5 = 0 THEN 'INBOUND_REPLY' ELSE 'MESSAGE_SENT' END,
  timestamptz '2025-05-01 12:00+00' - g * interval '1 hour', CASE WHEN g % 3 = 0 THEN 'email' ELSE 'sms' END, 'Activity ' || g
 FROM generate_series(1, 120) g ORDER BY g DESC" >/dev/null
sql "SELECT id FROM lead_activity_log WHERE client_id = '$CID' ORDER BY id DESC" > "$TMP/want"

browse GET "/activity?client=$C&tz=UTC"
expect_status 200 "the activity page"
check "the client is selected" grep -q "<option value=\"$C\" selected>" <<<"$BODY"
check "50 events on a page" test "$(grep -c '<tr class="event"' <<<"$BODY")" -eq 50
check "each row links to its lead" grep -q "<td><a class=\"lead-link\" href=\"/leads/$A\">Alma</a></td><td class=\"client\">$C</td>" <<<"$BODY"
check "a lead's name is escaped" grep -qF "<a class=\"lead-link\" href=\"/leads/$B\">&lt;script&gt;alert(1)&lt;/script&gt;</a>" <<<"$BODY"
check "...never raw" bash -c '! grep -q "<script>alert" <<<"$0"' "$BODY"
check "the newest first (the last received)" test "$(grep -o '<tr class="event" id="event-[0-9]*"' <<<"$BODY" | head -n 1 | grep -o '[0-9]*')" = "$(head -n 1 "$TMP/want")"

: > "$TMP/walk"; path="/activity?client=$C&tz=UTC"; pages=0
while [ -n "$path" ] && [ $pages -lt 10 ]; do
	browse GET "$path"
	grep -o '<tr class="event" id="event-[0-9]*"' <<<"$BODY" | grep -o '[0-9]*' >> "$TMP/walk"
	path=$(grep -o '<a rel="next" href="[^"]*"' <<<"$BODY" | sed 's/.*href="//; s/"$//; s/&amp;/\&/g')
	pages=$((pages + 1))
done
check "three pages" test $pages = 3
check "every event exactly once, newest first" cmp -s "$TMP/walk" "$TMP/want"
check "the oldest page has no older page" bash -c '! grep -q "rel=\"next\"" <<<"$0"' "$BODY"
check "...but a newer one and the newest" grep -q '<a rel="prev" href="/activity?client='"$C"'&amp;tz=UTC&amp;before=[0-9]*">Newer</a>' <<<"$BODY"

# From the oldest page, newer and newer through rel=prev.
href() { grep -o "<a $1 href=\"[^\"]*\"" <<<"$BODY" | sed 's/.*href="//; s/"$//; s/&amp;/\&/g'; }
ids() { grep -o '<tr class="event" id="event-[0-9]*"' <<<"$BODY" | grep -o '[0-9]*'; }
browse GET "/activity?client=$C&tz=UTC"
check "the newest page has no newer page" bash -c '! grep -q "rel=\"prev\"" <<<"$0"' "$BODY"
check "...and links the oldest with the filters" grep -q '<a class="last-page" href="/activity?client='"$C"'&amp;tz=UTC&amp;last=1">Oldest</a>' <<<"$BODY"
browse GET "$(href 'class="last-page"')"
expect_status 200 "the oldest page"
check "the oldest page holds the oldest 50, newest first" test "$(ids | tr '\n' ' ')" = "$(tail -n 50 "$TMP/want" | tr '\n' ' ')"
: > "$TMP/back"; pages=0
while [ $pages -lt 10 ]; do
	ids | tac >> "$TMP/back"; path=$(href 'rel="prev"'); pages=$((pages + 1))
	[ -n "$path" ] || break
	browse GET "$path"
done
check "newer: three pages" test $pages = 3
check "newer: every event exactly once, oldest first" cmp -s "$TMP/back" <(tac "$TMP/want")
check "each newer page is shown newest first" test "$(ids | tr '\n' ' ')" = "$(head -n 20 "$TMP/want" | tr '\n' ' ')"
check "the newest page reached links the first page" grep -q '<a class="first-page" href="/activity?client='"$C"'&amp;tz=UTC">Newest</a>' <<<"$BODY"

# The links keep the filters: 96 MESSAGE_SENT, walked back from the oldest.
sql "SELECT id FROM lead_activity_log WHERE client_id = '$CID' AND event_type = 'MESSAGE_SENT' ORDER BY id DESC" > "$TMP/sent"
browse GET "/activity?client=$C&type=MESSAGE_SENT&tz=UTC&last=1"
check "the oldest page of a type keeps the type in its links" grep -q '<a rel="prev" href="/activity?client='"$C"'&amp;type=MESSAGE_SENT&amp;tz=UTC&amp;before=[0-9]*">Newer</a>' <<<"$BODY"
check "...and in Newest" grep -q '<a class="first-page" href="/activity?client='"$C"'&amp;type=MESSAGE_SENT&amp;tz=UTC">Newest</a>' <<<"$BODY"
: > "$TMP/back"; pages=0
while [ $pages -lt 10 ]; do
	ids | tac >> "$TMP/back"; path=$(href 'rel="prev"'); pages=$((pages + 1))
	[ -n "$path" ] || break
	browse GET "$path"
done
check "newer with a type: two pages, every MESSAGE_SENT once" test $pages = 2 -a "$(cat "$TMP/back")" = "$(tac "$TMP/sent")"
check "the type's newest page links Older with the type" grep -q '<a rel="next" href="/activity?client='"$C"'&amp;type=MESSAGE_SENT&amp;tz=UTC&amp;after=[0-9]*">Older</a>' <<<"$BODY"

browse GET "/activity?client=$C&before=12x"
expect_status 400 "a malformed before="
check "...says where to start again" grep -q "Start again from the newest events" <<<"$BODY"
browse GET "/activity?client=$C&after=-1"
expect_status 400 "a malformed after="

browse GET "/activity?client=$C&type=INBOUND_REPLY"
check "the type narrows: 24 replies" test "$(grep -c '<td class="event-type">INBOUND_REPLY</td>' <<<"$BODY")" -eq 24 -a "$(grep -c '<tr class="event"' <<<"$BODY")" -eq 24
browse GET "/activity?client=$C&channel=email&type=INBOUND_REPLY"
check "type and channel: 8" test "$(grep -c '<tr class="event"' <<<"$BODY")" -eq 8
browse GET "/activity?client=$C&from=2025-04-30&to=2025-04-30&tz=UTC"
check "one UTC day: 24 events" test "$(grep -c '<tr class="event"' <<<"$BODY")" -eq 24
browse GET "/activity?client=$C&from=2025-04-30&to=2025-04-30&tz=Asia/Tokyo"
check "30 April in Tokyo (from 15:00 UTC the day before): 24 events in Tokyo time" test "$(grep -c '>2025-04-30 [0-9:]* JST<' <<<"$BODY")" -eq 24
browse GET "/activity?client=$C&to=bad-date"
expect_status 400 "a bad date"
check "...beside its field, typed value kept" grep -q 'name="to" value="bad-date">' <<<"$BODY"
browse GET "/activity?client=no-such-client-$$"
check "an unknown client: the empty state" grep -q '<p class="empty">' <<<"$BODY"

browse GET "/activity/export.csv?client=$C&type=INBOUND_REPLY&tz=UTC"
expect_status 200 "the export"
expect_header '^Content-Type: text/csv; charset=utf-8' "is CSV"
expect_header '^Content-Disposition: attachment; filename="activity.csv"' "to download"
expect_header "^Content-Security-Policy: default-src 'none'; frame-ancestors 'none'" "a download is data: a browser rendering it may run nothing"
check "the filtered events, one row each" test "$(($(wc -l <<<"$BODY") - 1))" = 24
check "rows name their lead and client" grep -q ",recA$$,$C,[0-9]*,false.$" <<<"$BODY"
browse GET "/activity?client=$C&type=INBOUND_REPLY&tz=UTC"
check "the page links its export with the filters" grep -q "class=\"export\" href=\"/activity/export.csv?client=$C&amp;type=INBOUND_REPLY&amp;tz=UTC\"" <<<"$BODY"

JAR=$TMP/viewer-cookies
check "a viewer logs in" login "activity-viewer-$$@example.com" "viewer-password-$$" viewer
browse GET "/activity?client=$C"
expect_status 200 "a viewer reads the activity"

finish
