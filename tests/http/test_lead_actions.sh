#!/usr/bin/env bash
# The actions on a lead: a note, a status change and an opt-out each write
# their event (NOTE_ADDED, STATUS_CHANGED, OPTED_OUT) with the acting admin
# as actor, together with the change; a form sent twice stores one event;
# bad input comes back with the message beside the field and the input
# kept; viewers and forged forms are refused.
source "$(dirname "$0")/lib.sh"

ADMIN=actions-$$@example.com
check "log in" login "$ADMIN" "actions-password-$$"
ADMIN_ID=$(sql "SELECT id FROM admin_users WHERE email = '$ADMIN'")
C=la$$
sql "INSERT INTO clients (slug, name) VALUES ('$C', 'Actions test')" >/dev/null
CID=$(sql "SELECT id FROM clients WHERE slug = '$C'")
LEAD=$(sql "INSERT INTO leads (client_id, external_id, first_name, status) VALUES ('$CID', 'recAct$$', 'Ada', 'new') RETURNING id")
events() { sql "SELECT count(*) FROM lead_activity_log WHERE lead_id = '$LEAD' AND event_type = '$1'"; }

browse GET "/leads/$LEAD"
check "an admin sees the note form" grep -q '<form class="note-form" method="post" action="/leads/'$LEAD'/note">' <<<"$BODY"
check "...with a message box" grep -q '<textarea name="message"' <<<"$BODY"
check "the status form with its menu" grep -q '<form class="status-form"' <<<"$BODY"
check "...the current status selected" grep -q '<option value="new" selected>' <<<"$BODY"
check "the opt-out form" grep -q '<form class="opt-out-form"' <<<"$BODY"
check "every form carries the CSRF token" test "$(grep -c 'name="csrf" value="[A-Za-z0-9_-]\{43\}"' <<<"$BODY")" -ge 3
CSRF=$(field csrf)
NONCE=$(field nonce)

browse POST "/leads/$LEAD/note" --data-urlencode "csrf=$CSRF" --data-urlencode "nonce=$NONCE" --data-urlencode "message=Called, <b>no answer</b> & left a voicemail"
expect_status 303 "a note is added"
expect_header "^Location: /leads/$LEAD" "back to the lead"
check "one NOTE_ADDED event" test "$(events NOTE_ADDED)" = 1
check "with the note, the admin as actor and the portal as source" test "$(sql "SELECT message || '|' || source || '|' || (metadata->>'actor') || '|' || (metadata->>'actor_id') FROM lead_activity_log WHERE lead_id = '$LEAD' AND event_type = 'NOTE_ADDED'")" = "Called, <b>no answer</b> & left a voicemail|minicrm-admin|$ADMIN|$ADMIN_ID"
browse POST "/leads/$LEAD/note" --data-urlencode "csrf=$CSRF" --data-urlencode "nonce=$NONCE" --data-urlencode "message=Called, <b>no answer</b> & left a voicemail"
expect_status 303 "the same form sent again"
check "...stores no second event" test "$(events NOTE_ADDED)" = 1
browse GET "/leads/$LEAD"
check "the note is on the timeline, escaped" grep -qF '<td class="event-type">NOTE_ADDED</td>' <<<"$BODY"
check "...as text" grep -qF '<td class="message">Called, &lt;b&gt;no answer&lt;/b&gt; &amp; left a voicemail</td>' <<<"$BODY"
check "...with its actor in the metadata" grep -qF "&quot;actor&quot;: &quot;$ADMIN&quot;" <<<"$BODY"
NONCE2=$(field nonce)
check "each page has a fresh nonce" test -n "$NONCE2" -a "$NONCE2" != "$NONCE"

browse POST "/leads/$LEAD/note" --data-urlencode "csrf=$CSRF" --data-urlencode "message=   "
expect_status 400 "an empty note is refused"
check "...with the message beside the field" grep -q '<span class="field-error">Write the note first.</span>' <<<"$BODY"
check "...on the lead's page" grep -q '<table id="timeline">' <<<"$BODY"
LONG=$(head -c 4001 /dev/zero | tr '\0' 'n')
browse POST "/leads/$LEAD/note" --data-urlencode "csrf=$CSRF" --data-urlencode "message=<i>$LONG"
expect_status 400 "a note over 4000 characters is refused"
check "...saying so" grep -q '<span class="field-error">A note is at most 4000 characters.</span>' <<<"$BODY"
check "...with the text kept, escaped" grep -q "<textarea name=\"message\"[^>]*>&lt;i&gt;$LONG</textarea>" <<<"$BODY"
check "nothing was written" test "$(events NOTE_ADDED)" = 1

browse POST "/leads/$LEAD/status" --data-urlencode "csrf=$CSRF" --data-urlencode "status=booked"
expect_status 303 "the status changes"
check "the lead is booked" test "$(sql "SELECT status FROM leads WHERE id = '$LEAD'")" = booked
check "one STATUS_CHANGED event from new to booked by the admin" test "$(sql "SELECT (metadata->>'from') || '>' || (metadata->>'to') || '|' || (metadata->>'actor') FROM lead_activity_log WHERE lead_id = '$LEAD' AND event_type = 'STATUS_CHANGED'")" = "new>booked|$ADMIN"
check "updated_at moved" test "$(sql "SELECT updated_at > created_at FROM leads WHERE id = '$LEAD'")" = t
browse POST "/leads/$LEAD/status" --data-urlencode "csrf=$CSRF" --data-urlencode "status=booked"
check "the same status again writes no event" test "$(events STATUS_CHANGED)" = 1
browse POST "/leads/$LEAD/status" --data-urlencode "csrf=$CSRF" --data-urlencode "status=vip"
expect_status 400 "an unknown status is refused"
check "...beside the field" grep -q '<span class="field-error">Choose one of the statuses.</span>' <<<"$BODY"
check "...and nothing changed" test "$(sql "SELECT status FROM leads WHERE id = '$LEAD'")" = booked
browse GET "/leads/$LEAD"
check "the header shows the new status" grep -q '<dd class="status">booked</dd>' <<<"$BODY"

browse POST "/leads/$LEAD/opt-out" --data-urlencode "csrf=$CSRF"
expect_status 400 "an opt-out needs its confirmation"
check "...beside the field" grep -q '<span class="field-error">Tick the box to confirm.</span>' <<<"$BODY"
check "...and nothing changed" test "$(events OPTED_OUT)" = 0
browse POST "/leads/$LEAD/opt-out" --data-urlencode "csrf=$CSRF" --data-urlencode "confirm=yes"
expect_status 303 "the lead is marked opted out"
check "its status is opted_out" test "$(sql "SELECT status FROM leads WHERE id = '$LEAD'")" = opted_out
check "one OPTED_OUT event, from booked, by the admin" test "$(sql "SELECT (metadata->>'from') || '|' || (metadata->>'actor_id') FROM lead_activity_log WHERE lead_id = '$LEAD' AND event_type = 'OPTED_OUT'")" = "booked|$ADMIN_ID"

browse POST "/leads/00000000-0000-4000-8000-000000000000/status" --data-urlencode "csrf=$CSRF" --data-urlencode "status=new"
expect_status 404 "an unknown lead is 404"
browse POST "/leads/nope/note" --data-urlencode "csrf=$CSRF" --data-urlencode "message=x"
expect_status 404 "a malformed id is 404"
browse POST "/leads/$LEAD/note" --data-urlencode "csrf=wrong" --data-urlencode "message=forged"
expect_status 403 "a forged form (bad CSRF token) is refused"
check "...and writes nothing" test "$(sql "SELECT count(*) FROM lead_activity_log WHERE lead_id = '$LEAD' AND message = 'forged'")" = 0

JAR=$TMP/viewer-cookies
check "a viewer logs in" login "actions-viewer-$$@example.com" "viewer-password-$$" viewer
browse GET "/leads/$LEAD"
check "a viewer sees no action forms" bash -c '! grep -q "note-form\|status-form\|opt-out-form" <<<"$0"' "$BODY"
VCSRF=$(field csrf)
browse POST "/leads/$LEAD/note" --data-urlencode "csrf=$VCSRF" --data-urlencode "message=viewer note"
expect_status 403 "a viewer cannot add a note"
browse POST "/leads/$LEAD/status" --data-urlencode "csrf=$VCSRF" --data-urlencode "status=new"
expect_status 403 "a viewer cannot change the status"
browse POST "/leads/$LEAD/opt-out" --data-urlencode "csrf=$VCSRF" --data-urlencode "confirm=yes"
expect_status 403 "a viewer cannot opt a lead out"
check "nothing a viewer sent was written" test "$(sql "SELECT count(*) || status FROM leads WHERE id = '$LEAD' GROUP BY status")$(sql "SELECT count(*) FROM lead_activity_log WHERE lead_id = '$LEAD' AND message = 'viewer note'")" = "1opted_out0"

finish
