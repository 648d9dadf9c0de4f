#!/usr/bin/env bash
# A lead's timeline: the header, every event newest first with its type,
# time in the viewer's time zone, channel, source, execution id, message
# and metadata (escaped); keyset pages that walk every event exactly once
# in both directions, last page included; filters by type, channel and
# dates; readable errors for bad filters; and the streamed CSV export,
# which equals the filtered timeline, quotes correctly, defuses formulas
# and does not make admin.fcgi grow on 100,000 events.
source "$(dirname "$0")/lib.sh"

check "log in" login "timeline-$$@example.com" "timeline-password-$$"
C=tl$$
sql "INSERT INTO clients (slug, name) VALUES ('$C', 'Timeline test')" >/dev/null
CID=$(sql "SELECT id FROM clients WHERE slug = '$C'")
LEAD=$(sql "INSERT INTO leads (client_id, external_id, first_name, last_name, email, phone, status) VALUES ('$CID', 'recTL$$', 'Tina', 'Line', 'tina$$@example.com', '+1 555 0199', 'contacted') RETURNING id")
# 123 events an hour apart from 2025-03-01 00:00 UTC backwards (the 11th
# one every 11 is an email), and two at the same instant (the id orders them).
sql "INSERT INTO lead_activity_log (client_id, lead_id, event_type, occurred_at, source, execution_id, channel, message, metadata)
 SELECT '$CID', '$LEAD', CASE WHEN g % 11 = 0 THEN 'BOOKING_CONFIRMED' ELSE 'MESSAGE_SENT' END,
  timestamptz '2025-03-01 00:00:00+00' - (g - 1) * interval '1 hour', 'UYSP-Flow-' || g, 'exec-' || g,
  CASE WHEN g % 11 = 0 THEN 'email' ELSE 'sms' END, 'Message number ' || g, jsonb_build_object('n', g)
 FROM generate_series(1, 121) g;
 INSERT INTO lead_activity_log (client_id, lead_id, event_type, occurred_at, source, channel, message, metadata)
 SELECT '$CID', '$LEAD', 'INBOUND_REPLY', timestamptz '2025-02-20 12:00:00+00', 'twin', 'sms', 'Twin ' || g, '{}' FROM generate_series(1, 2) g" >/dev/null
TOTAL=123
# The ids in the order the timeline must show them.
sql "SELECT id FROM lead_activity_log WHERE lead_id = '$LEAD' ORDER BY occurred_at DESC, id DESC" > "$TMP/want"

browse GET "/leads/$LEAD?tz=UTC"
expect_status 200 "the lead's page"
check "the header names the lead" grep -q '<h2 class="lead-name">Tina Line</h2>' <<<"$BODY"
check "with e-mail, phone, lead id, client and status" bash -c 'grep -q "<dd class=\"email\">tina'$$'@example.com</dd>" <<<"$0" && grep -q "<dd class=\"phone\">+1 555 0199</dd>" <<<"$0" && grep -q "<dd class=\"external-id\">recTL'$$'</dd>" <<<"$0" && grep -q "<dd class=\"client\">'$C'</dd>" <<<"$0" && grep -q "<dd class=\"status\">contacted</dd>" <<<"$0"' "$BODY"
check "the filter form" grep -q '<form id="timeline-filters" class="filters" method="get"' <<<"$BODY"
check "the timeline table" grep -q '<table id="timeline">' <<<"$BODY"
check "50 events on a page" test "$(grep -c '<tr class="event"' <<<"$BODY")" -eq 50
FIRST=$(sed -n 1p "$TMP/want")
check "the newest first, every field in its cell" grep -q "<tr class=\"event\" id=\"event-$FIRST\"><td class=\"event-type\">MESSAGE_SENT</td><td class=\"occurred\"><time datetime=\"2025-03-01T00:00:00.000000+00:00\">2025-03-01 00:00:00 UTC</time></td><td class=\"channel\">sms</td><td class=\"source\">UYSP-Flow-1</td><td class=\"execution\">exec-1</td><td class=\"message\">Message number 1</td><td><pre class=\"metadata\">{" <<<"$BODY"
check "metadata pretty-printed" grep -q '^    &quot;n&quot;: 1$' <<<"$BODY"
check "no previous page on the first" bash -c '! grep -q "rel=\"prev\"" <<<"$0"' "$BODY"
check "a last-page link" grep -q '<a class="last-page" href="/leads/'$LEAD'?tz=UTC&amp;last=1">' <<<"$BODY"
check "an export link with the filters" grep -q '<a class="export" href="/leads/'$LEAD'/export.csv?tz=UTC">' <<<"$BODY"

# ids PATH: the event ids of a page, top to bottom.
ids() { grep -o '<tr class="event" id="event-[0-9]*"' <<<"$BODY" | grep -o '[0-9]*'; }
href() { grep -o "<a $1 href=\"[^\"]*\"" <<<"$BODY" | sed 's/.*href="//; s/"$//; s/&amp;/\&/g'; }

# Older and older, through rel=next.
: > "$TMP/walk"; path="/leads/$LEAD?tz=UTC"; pages=0
while [ -n "$path" ] && [ $pages -lt 10 ]; do
	browse GET "$path"; ids >> "$TMP/walk"; path=$(href 'rel="next"'); pages=$((pages + 1))
done
check "older: three pages" test $pages = 3
check "older: every event exactly once, newest first" cmp -s "$TMP/walk" "$TMP/want"
check "the last of them has no next page" bash -c '! grep -q "rel=\"next\"" <<<"$0"' "$BODY"
check "and has a newer page" grep -q 'rel="prev"' <<<"$BODY"

# From the last page, newer and newer, through rel=prev.
browse GET "$(href 'class="last-page"')"
expect_status 200 "the last page"
check "the last page holds the oldest 50" test "$(ids | tr '\n' ' ')" = "$(tail -n 50 "$TMP/want" | tr '\n' ' ')"
check "the last page has no next page" bash -c '! grep -q "rel=\"next\"" <<<"$0"' "$BODY"
: > "$TMP/back"; pages=0
while [ $pages -lt 10 ]; do
	ids | tac >> "$TMP/back"; path=$(href 'rel="prev"'); pages=$((pages + 1))
	[ -n "$path" ] || break
	browse GET "$path"
done
check "newer: three pages" test $pages = 3
check "newer: every event exactly once, oldest first" cmp -s "$TMP/back" <(tac "$TMP/want")
check "the newest page reached has a first-page link" grep -q 'class="first-page"' <<<"$BODY"

# Filters.
browse GET "/leads/$LEAD?type=BOOKING_CONFIRMED&tz=UTC"
check "type: only bookings" test "$(grep -c '<td class="event-type">BOOKING_CONFIRMED</td>' <<<"$BODY")" -eq 11 -a "$(grep -c '<tr class="event"' <<<"$BODY")" -eq 11
check "type: selected in its menu" grep -q '<option value="BOOKING_CONFIRMED" selected>' <<<"$BODY"
browse GET "/leads/$LEAD?channel=email&tz=UTC"
check "channel: only email" test "$(grep -c '<td class="channel">email</td>' <<<"$BODY")" -eq 11 -a "$(grep -c '<tr class="event"' <<<"$BODY")" -eq 11
browse GET "/leads/$LEAD?from=2025-02-28&to=2025-02-28&tz=UTC"
check "a day in UTC: 24 events" test "$(grep -c '<tr class="event"' <<<"$BODY")" -eq 24
check "...all of that day" test "$(grep -c '>2025-02-28 [0-9:]* UTC<' <<<"$BODY")" -eq 24
browse GET "/leads/$LEAD?from=2025-03-01&to=2025-03-01&tz=America/New_York"
check "1 March in New York starts at 05:00 UTC, after the newest event" test "$(grep -c '<tr class="event"' <<<"$BODY")" -eq 0
browse GET "/leads/$LEAD?from=2025-02-28&to=2025-02-28&tz=America/New_York"
check "28 Feb in New York, 05:00 UTC 28 Feb to 05:00 UTC 1 Mar: 20 events" test "$(grep -c '<tr class="event"' <<<"$BODY")" -eq 20
check "...shown in New York time" grep -q '>2025-02-28 19:00:00 EST<' <<<"$BODY"
browse GET "/leads/$LEAD?type=NOTE_ADDED"
check "a filter that matches nothing: the empty state" grep -q '<p class="empty">' <<<"$BODY"

# The time zone changes the time shown, and is remembered.
browse GET "/leads/$LEAD?tz=Europe/Berlin"
check "Berlin time" grep -q '<time datetime="2025-03-01T01:00:00.000000+01:00">2025-03-01 01:00:00 CET</time>' <<<"$BODY"
expect_header '^Set-Cookie: minicrm_tz=Europe/Berlin; Path=/; Max-Age=[0-9]+; HttpOnly; SameSite=Lax' "the zone is remembered in a cookie"
browse GET "/leads/$LEAD"
check "the cookie's zone without the parameter" grep -q '>2025-03-01 01:00:00 CET<' <<<"$BODY"
browse GET "/leads/$LEAD?tz=Asia/Kolkata"
check "Kolkata, half an hour off" grep -q '>2025-03-01 05:30:00 IST<' <<<"$BODY"
browse GET "/leads/$LEAD?tz=UTC"

# Bad filters: the page again, 400, the message beside the field.
browse GET "/leads/$LEAD?from=2025-02-30&channel=sms"
expect_status 400 "an impossible date"
check "...the message beside the field" grep -q '<input type="date" name="from" value="2025-02-30">' <<<"$BODY"
check "...is a field error" grep -q '<span class="field-error">Write the date as YYYY-MM-DD.</span>' <<<"$BODY"
check "...the other fields kept" grep -q 'name="channel" value="sms"' <<<"$BODY"
browse GET "/leads/$LEAD?tz=Mars/Olympus_Mons"
expect_status 400 "an unknown time zone"
check "...says so beside the field" grep -q '<span class="field-error">PostgreSQL does not know this time zone.</span>' <<<"$BODY"
check "...keeps what was typed" grep -q 'name="tz" value="Mars/Olympus_Mons"' <<<"$BODY"
browse GET "/leads/$LEAD?tz=UTC';DROP%20TABLE%20leads;--"
expect_status 400 "a time zone that is not a name"
check "...never reaches SQL" test "$(sql "SELECT count(*) FROM leads WHERE id = '$LEAD'")" = 1
browse GET "/leads/$LEAD?from=2025-03-02&to=2025-03-01"
expect_status 400 "an end before the start"
browse GET "/leads/$LEAD?after=12abc"
expect_status 400 "a malformed cursor"
browse GET "/leads/not-a-uuid"
expect_status 404 "a malformed id is 404"
check "...in the portal's layout" grep -q '<nav aria-label="Portal">' <<<"$BODY"
browse GET "/leads/00000000-0000-4000-8000-000000000000"
expect_status 404 "an unknown lead is 404"

# What a workflow wrote is shown as text.
sql "INSERT INTO lead_activity_log (client_id, lead_id, event_type, occurred_at, source, execution_id, channel, message, metadata)
 VALUES ('$CID', '$LEAD', 'INBOUND_REPLY', '2030-01-01', '<b>wf</b>', '\"><script>alert(3)</script>', '<i>ch</i>',
 '<script>alert(1)</script> \" onmouseover=\"alert(2)', '{\"html\": \"<img src=x onerror=alert(4)>\"}')" >/dev/null
browse GET "/leads/$LEAD?tz=UTC"
check "a message's script is text" grep -qF '<td class="message">&lt;script&gt;alert(1)&lt;/script&gt; &quot; onmouseover=&quot;alert(2)</td>' <<<"$BODY"
check "metadata's markup is text" grep -qF '&quot;html&quot;: &quot;&lt;img src=x onerror=alert(4)&gt;&quot;' <<<"$BODY"
check "source, execution and channel escaped" grep -qF '<td class="channel">&lt;i&gt;ch&lt;/i&gt;</td><td class="source">&lt;b&gt;wf&lt;/b&gt;</td><td class="execution">&quot;&gt;&lt;script&gt;alert(3)&lt;/script&gt;</td>' <<<"$BODY"
check "nothing raw" bash -c '! grep -q "<script>alert\|<img src=x\|<b>wf\|<i>ch" <<<"$0"' "$BODY"
sql "DELETE FROM lead_activity_log WHERE lead_id = '$LEAD' AND occurred_at = '2030-01-01'" >/dev/null

# The export: the filtered timeline, as CSV.
browse GET "/leads/$LEAD/export.csv?tz=UTC"
expect_status 200 "the export"
expect_header '^Content-Type: text/csv; charset=utf-8' "is CSV"
expect_header '^Content-Disposition: attachment; filename="lead-'$LEAD'.csv"' "to download"
expect_header "^Content-Security-Policy: default-src 'none'; frame-ancestors 'none'" "a download is data: a browser rendering it may run nothing"
check "a header row" test "$(head -n 1 <<<"$BODY" | tr -d '\r')" = "occurred_at,event_type,channel,source,execution_id,message,metadata,lead_id,client,event_id,is_test"
check "one row per event" test "$(($(wc -l <<<"$BODY") - 1))" = $TOTAL
check "the same events in the same order" cmp -s <(tail -n +2 <<<"$BODY" | tr -d '\r' | awk -F, '{ print $(NF - 1) }') "$TMP/want"
check "rows end in CRLF" test "$(head -n 2 <<<"$BODY" | tail -n 1 | od -c | grep -c '\\r')" -ge 1
check "the first row as RFC 4180 writes it" test "$(sed -n 2p <<<"$BODY" | tr -d '\r')" = "2025-03-01T00:00:00.000000+00:00,MESSAGE_SENT,sms,UYSP-Flow-1,exec-1,Message number 1,\"{\"\"n\"\": 1}\",recTL$$,$C,$FIRST,false"
browse GET "/leads/$LEAD/export.csv?type=BOOKING_CONFIRMED&tz=Europe/Berlin"
check "filtered: the bookings only" test "$(($(wc -l <<<"$BODY") - 1))" = 11
check "in the chosen zone" grep -q '^2025-02-28T15:00:00.000000+01:00,BOOKING_CONFIRMED,email,UYSP-Flow-11,' <<<"$BODY"
browse GET "/leads/$LEAD?type=BOOKING_CONFIRMED&tz=Europe/Berlin"
check "the page's export link carries the filters" grep -q 'class="export" href="/leads/'$LEAD'/export.csv?type=BOOKING_CONFIRMED&amp;tz=Europe%2FBerlin"' <<<"$BODY"
browse GET "/leads/$LEAD/export.csv?from=nope"
expect_status 400 "an export with a bad filter"

# Quoting and formulas.
sql "INSERT INTO lead_activity_log (client_id, lead_id, event_type, occurred_at, source, channel, message, metadata)
 VALUES ('$CID', '$LEAD', 'INBOUND_REPLY', '2031-01-01', '=cmd|''/c calc''!A1', 'sms', 'Hi, \"there\"
second line', '{\"a\": \"b,c\"}')" >/dev/null
browse GET "/leads/$LEAD/export.csv?from=2031-01-01&tz=UTC"
check "a comma, quotes and a newline are quoted; a formula is defused" bash -c 'grep -qF "2031-01-01T00:00:00.000000+00:00,INBOUND_REPLY,sms,'"'"'=cmd|'"'"'/c calc'"'"'!A1,,\"Hi, \"\"there\"\"" <<<"$0"' "$BODY"
check "...the line continues inside the quotes" grep -qF 'second line","{""a"": ""b,c""}",recTL'$$',' <<<"$BODY"
sql "DELETE FROM lead_activity_log WHERE lead_id = '$LEAD' AND occurred_at = '2031-01-01'" >/dev/null

# 100,000 events: streamed, so admin.fcgi does not grow with the export.
BIG=$(sql "INSERT INTO leads (client_id, external_id) VALUES ('$CID', 'recBig$$') RETURNING id")
sql "INSERT INTO lead_activity_log (client_id, lead_id, event_type, occurred_at, source, execution_id, channel, message, metadata)
 SELECT '$CID', '$BIG', 'MESSAGE_SENT', timestamptz '2024-01-01' + g * interval '1 second', 'bulk', 'exec-' || g, 'sms',
  repeat('x', 100) || g, jsonb_build_object('n', g, 'pad', repeat('y', 100))
 FROM generate_series(1, 100000) g" >/dev/null
# The request process (the PID file names its supervisor, whose memory
# does not move).
ADMIN_PID=$(pgrep -P "$(cat "$MINICRM_VAR/run/admin.pid")" | head -n 1)
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$ADMIN_PID/status"; }
curl -s -b "$JAR" -o /dev/null "$BASE/leads/$BIG/export.csv?to=2024-01-01"   # warm up
BEFORE=$(rss)
SIZE=$(curl -s -b "$JAR" -o "$TMP/big.csv" -w '%{size_download}' "$BASE/leads/$BIG/export.csv")
AFTER=$(rss)
check "100,000 events exported" test "$(($(wc -l < "$TMP/big.csv") - 1))" = 100000
check "...the first and the last" bash -c 'sed -n 2p "$0" | grep -q "^2024-01-02T03:46:40.000000+00:00,MESSAGE_SENT" && tail -n 1 "$0" | grep -q "^2024-01-01T00:00:01.000000+00:00,"' "$TMP/big.csv"
# (Under AddressSanitizer, make test-sanitized, freed memory is held in
# quarantine on purpose: resident size means nothing there.)
if [ "${MINICRM_SANITIZED:-0}" != 1 ]; then
	check "admin.fcgi grew less than 8 MB on a $((SIZE / 1048576)) MB export (RSS ${BEFORE} kB → ${AFTER} kB)" test $((AFTER - BEFORE)) -lt 8192
fi
printf 'export of 100000 events: %s bytes, admin.fcgi RSS %s kB -> %s kB\n' "$SIZE" "$BEFORE" "$AFTER"

# A viewer reads timelines and exports them, without the actions.
JAR=$TMP/viewer-cookies
check "a viewer logs in" login "timeline-viewer-$$@example.com" "viewer-password-$$" viewer
browse GET "/leads/$LEAD"
expect_status 200 "a viewer sees the timeline"
check "...without the action forms" bash -c '! grep -q "note-form\|status-form\|opt-out-form" <<<"$0"' "$BODY"
browse GET "/leads/$LEAD/export.csv"
expect_status 200 "a viewer may export"

finish
