#!/usr/bin/env bash
# The nurture campaign pages and the portal's enrolment: create a campaign,
# add steps (a template that does not compile is refused with the parser's
# line and column; the names a step uses are shown), edit and delete one,
# preview a step for a lead (a missing token is named, never rendered as
# braces), enrol a lead from its page (twice is one enrolment) and every
# lead a leads-list filter selects (other clients' and opted-out leads
# refused), cancel an enrolment, pause / resume / archive, the CSV
# exports, hostile text escaped everywhere; viewers read and are refused
# every change, a form without the CSRF token is refused, unknown ids 404.
source "$(dirname "$0")/lib.sh"

ADMIN=nurture-pages-$$@example.com
check "log in" login "$ADMIN" "nurture-pages-password-$$"
C=np$$
C2=nq$$
sql "INSERT INTO clients (slug, name) VALUES ('$C', 'Nurture pages'), ('$C2', 'Other client')" >/dev/null
CID=$(sql "SELECT id FROM clients WHERE slug = '$C'")
CID2=$(sql "SELECT id FROM clients WHERE slug = '$C2'")
XSS='<script>alert(1)</script>'
IMG='"><img src=x onerror=alert(2)>'
lead() { # external_id first_name email [client] [opted_out] [metadata]
	sql "INSERT INTO leads (client_id, external_id, first_name, email, opted_out, metadata) VALUES ('${4:-$CID}', '$1', '$2', ${3:-NULL}, ${5:-false}, '${6:-{\}}') RETURNING id" | head -n 1
}
ANN=$(lead ncA$$ Ann "'ann-$$@example.com'" "$CID" false '{"company": "Acme"}')
BOB=$(lead ncB$$ Bob "'bob-$$@example.com'")
NOMAIL=$(lead ncN$$ Nem NULL)
OPTED=$(lead ncO$$ Opt "'opt-$$@example.com'" "$CID" true)
OTHER=$(lead ncX$$ Xen "'xen-$$@example.com'" "$CID2")
enrolments() { sql "SELECT count(*) FROM lead_campaign_enrollments WHERE campaign_id = '$1'${2:+ AND lead_id = '$2'}"; }

# --- create --------------------------------------------------------------
browse GET /nurture/campaigns
expect_status 200 "the nurture campaigns page"
check "...offers the create form" grep -q '<form id="nurture-campaign-create"' <<<"$BODY"
CSRF=$(field csrf)
browse POST /nurture/campaigns --data-urlencode "csrf=$CSRF" --data-urlencode "client=$C" --data-urlencode "name=" --data-urlencode "from_email=not-an-address"
expect_status 400 "a campaign without a name and with a bad sender is refused"
check "...the name's message beside it" grep -q 'id="error-name">The name must be 1 to 200 characters.' <<<"$BODY"
check "...the sender's too" grep -q 'id="error-from_email">The sender' <<<"$BODY"
check "...what was typed kept" grep -q 'name="from_email" value="not-an-address"' <<<"$BODY"
check "...nothing stored" test "$(sql "SELECT count(*) FROM nurture_campaigns WHERE organization_id = '$CID'")" = 0
browse POST /nurture/campaigns --data-urlencode "csrf=$CSRF" --data-urlencode "client=nosuch$$" --data-urlencode "name=x" --data-urlencode "from_email=a@b.example"
expect_status 400 "an unknown client is refused"
check "...saying so" grep -q 'id="error-client">There is no such client.' <<<"$BODY"
browse POST /nurture/campaigns --data-urlencode "csrf=$CSRF" --data-urlencode "client=$C" --data-urlencode "name=Welcome $XSS" --data-urlencode "from_email=hello@example.com" --data-urlencode "from_name=Team $IMG" --data-urlencode "description=Desc $XSS"
expect_status 303 "create a campaign"
NC=$(sql "SELECT id FROM nurture_campaigns WHERE organization_id = '$CID' AND campaign_name = 'Welcome $XSS'")
expect_header "^Location: /nurture/campaigns/$NC" "...to its page"
check "...active, with its sender" test "$(sql "SELECT status || '|' || from_email FROM nurture_campaigns WHERE id = '$NC'")" = "active|hello@example.com"
browse POST /nurture/campaigns --data-urlencode "csrf=$CSRF" --data-urlencode "client=$C" --data-urlencode "name=Welcome $XSS" --data-urlencode "from_email=hello@example.com"
expect_status 409 "the same name again for the client"
check "...says so beside the name" grep -q 'id="error-name">The client has a campaign of that name already.' <<<"$BODY"
NC2=$(sql "INSERT INTO nurture_campaigns (organization_id, campaign_name, from_email) VALUES ('$CID2', 'Elsewhere', 'x@example.com') RETURNING id" | head -n 1)

browse GET "/nurture/campaigns/$NC"
expect_status 200 "the campaign's page"
check "its name escaped" grep -qF '<h2 class="campaign-name">Welcome &lt;script&gt;alert(1)&lt;/script&gt;</h2>' <<<"$BODY"
check "...its sender's name escaped" grep -qF 'Team &quot;&gt;&lt;img src=x onerror=alert(2)&gt; &lt;hello@example.com&gt;' <<<"$BODY"
check "no raw markup from the campaign" bash -c '! grep -qF "<script>alert(1)" <<<"$0" && ! grep -qF "<img src=x" <<<"$0"' "$BODY"
check "no steps yet" grep -q 'This campaign has no steps yet' <<<"$BODY"

# --- steps ---------------------------------------------------------------
browse POST "/nurture/campaigns/$NC/steps" --data-urlencode "csrf=$CSRF" --data-urlencode "subject=Hi {{first_name}}" --data-urlencode $'body=Hello {{first_name}},\n  {{#offer}}broken' --data-urlencode "delay_minutes=0"
expect_status 400 "a body that does not compile is refused"
check "...with the parser's line and column" grep -q "id=\"add-error-body\">The body does not compile: line 2, column 3: unclosed section &#39;offer&#39;" <<<"$BODY"
check "...what was typed kept" grep -qF 'Hello {{first_name}},' <<<"$BODY"
check "...nothing stored" test "$(sql "SELECT count(*) FROM nurture_campaign_steps WHERE campaign_id = '$NC'")" = 0
browse POST "/nurture/campaigns/$NC/steps" --data-urlencode "csrf=$CSRF" --data-urlencode "subject={{#x}}" --data-urlencode "body=b" --data-urlencode "delay_minutes=525601"
expect_status 400 "a broken subject and a delay past a year"
check "...the subject's message" grep -q 'id="add-error-subject">The subject does not compile: line 1, column 1' <<<"$BODY"
check "...the delay's" grep -q 'id="add-error-delay">The delay is a whole number of minutes, 0 to 525600' <<<"$BODY"
browse POST "/nurture/campaigns/$NC/steps" --data-urlencode "csrf=$CSRF" --data-urlencode "subject=s" --data-urlencode $'body=a\n{{> footer}}' --data-urlencode "delay_minutes=0"
expect_status 400 "a partial is refused"
check "...naming where" grep -q 'includes another template at line 2, column 1' <<<"$BODY"
browse POST "/nurture/campaigns/$NC/steps" --data-urlencode "csrf=$CSRF" --data-urlencode "subject=Hi {{first_name}} $XSS" --data-urlencode "body=Hello {{first_name}} from {{company}} $IMG" --data-urlencode "delay_minutes=0"
expect_status 303 "add step 1"
expect_header "^Location: /nurture/campaigns/$NC\?step_added=1#step-1" "...back to it"
browse POST "/nurture/campaigns/$NC/steps" --data-urlencode "csrf=$CSRF" --data-urlencode "subject=Day two" --data-urlencode "body=Still there, {{first_name}}? {{#city}}In {{city}}{{/city}}" --data-urlencode "delay_minutes=1440"
expect_status 303 "add step 2"
browse POST "/nurture/campaigns/$NC/steps" --data-urlencode "csrf=$CSRF" --data-urlencode "subject=Three" --data-urlencode "body=Third" --data-urlencode "delay_minutes=90"
expect_status 303 "add step 3"
check "three steps numbered 1..3" test "$(sql "SELECT string_agg(step_number || ':' || delay_minutes, ',' ORDER BY step_number) FROM nurture_campaign_steps WHERE campaign_id = '$NC'")" = "1:0,2:1440,3:90"
browse GET "/nurture/campaigns/$NC?step_added=3"
check "the flash says so" grep -q 'id="flash">Step 3 added.' <<<"$BODY"
check "step 1's subject escaped" grep -qF '<strong class="subject">Hi {{first_name}} &lt;script&gt;alert(1)&lt;/script&gt;</strong>' <<<"$BODY"
check "...its body escaped" grep -qF 'from {{company}} &quot;&gt;&lt;img src=x onerror=alert(2)&gt;</pre>' <<<"$BODY"
check "no raw markup from the steps" bash -c '! grep -qF "<script>alert(1)" <<<"$0" && ! grep -qF "<img src=x" <<<"$0"' "$BODY"
check "the names step 1 uses, once each" grep -qF 'Uses <code>{{first_name}}, {{company}}</code>' <<<"$BODY"
check "the names step 2 uses" grep -qF 'Uses <code>{{first_name}}, {{city}}</code>' <<<"$BODY"
check "step 2's delay in words" grep -qF 'sent 1 day after the step before' <<<"$BODY"
check "step 3's" grep -qF 'sent 1 h 30 min after the step before' <<<"$BODY"
check "step 1's" grep -qF 'sent at once on enrolment' <<<"$BODY"
browse POST "/nurture/campaigns/$NC/steps/3" --data-urlencode "csrf=$CSRF" --data-urlencode "subject=Three" --data-urlencode "body={{/nope}}" --data-urlencode "delay_minutes=90"
expect_status 400 "an edit that does not compile is refused"
check "...the step's form open with the message" grep -q 'The body does not compile: line 1, column 1' <<<"$BODY"
check "...step 3 unchanged" test "$(sql "SELECT body_template FROM nurture_campaign_steps WHERE campaign_id = '$NC' AND step_number = 3")" = Third
browse POST "/nurture/campaigns/$NC/steps/3" --data-urlencode "csrf=$CSRF" --data-urlencode "subject=Three" --data-urlencode "body=Third, edited" --data-urlencode "delay_minutes=60"
expect_status 303 "edit step 3"
check "...stored" test "$(sql "SELECT body_template || '|' || delay_minutes FROM nurture_campaign_steps WHERE campaign_id = '$NC' AND step_number = 3")" = "Third, edited|60"
browse POST "/nurture/campaigns/$NC/steps/9" --data-urlencode "csrf=$CSRF" --data-urlencode "subject=x" --data-urlencode "body=x" --data-urlencode "delay_minutes=0"
expect_status 404 "editing a step the campaign does not have"
browse POST "/nurture/campaigns/$NC/steps/0" --data-urlencode "csrf=$CSRF" --data-urlencode "subject=x" --data-urlencode "body=x" --data-urlencode "delay_minutes=0"
expect_status 404 "step 0 is no step"
check "...saying so" grep -q 'The campaign has no such step.' <<<"$BODY"
browse POST "/nurture/campaigns/$NC/steps" --data-urlencode "csrf=$CSRF" --data-urlencode "subject=Four" --data-urlencode "body=Fourth" --data-urlencode "delay_minutes=5"
browse POST "/nurture/campaigns/$NC/steps/3/delete" --data-urlencode "csrf=$CSRF"
expect_status 303 "delete step 3"
expect_header "^Location: /nurture/campaigns/$NC\?step_deleted=3#steps" "...back to the campaign"
check "the others keep their numbers (the scheduler takes the first step after an enrolment's)" test "$(sql "SELECT string_agg(step_number || ':' || subject, ',' ORDER BY step_number) FROM nurture_campaign_steps WHERE campaign_id = '$NC'")" = "1:Hi {{first_name}} $XSS,2:Day two,4:Four"
browse GET "/nurture/campaigns/$NC?step_deleted=3"
check "the flash says so" grep -q 'id="flash">Step 3 deleted.' <<<"$BODY"
check "...steps 1, 2 and 4 listed" test "$(grep -o 'id="step-[0-9]*"' <<<"$BODY" | tr '\n' ' ')" = 'id="step-1" id="step-2" id="step-4" '
browse POST "/nurture/campaigns/$NC/steps/3/delete" --data-urlencode "csrf=$CSRF"
expect_status 404 "deleting a step that is gone"
browse POST "/nurture/campaigns/$NC/steps/3" --data-urlencode "csrf=$CSRF" --data-urlencode "subject=x" --data-urlencode "body=x" --data-urlencode "delay_minutes=0"
expect_status 404 "editing a step that is gone"
browse POST "/nurture/campaigns/$NC/steps/4/delete" --data-urlencode "csrf=$CSRF"
expect_status 303 "delete step 4"
check "two steps left" test "$(sql "SELECT count(*) FROM nurture_campaign_steps WHERE campaign_id = '$NC'")" = 2

# --- preview -------------------------------------------------------------
browse GET "/nurture/campaigns/$NC/preview?step=1&lead=$ANN"
expect_status 200 "preview step 1 for Ann"
check "the subject rendered, escaped" grep -qF '<dd class="rendered-subject" id="rendered-subject">Hi Ann &lt;script&gt;alert(1)&lt;/script&gt;</dd>' <<<"$BODY"
check "...the company from her metadata" grep -qF 'Hello Ann from Acme' <<<"$BODY"
check "...no braces left" bash -c '! grep -q "id=\"rendered-body\">[^<]*{{" <<<"$0"' "$BODY"
browse GET "/nurture/campaigns/$NC/preview?step=1&lead=ncB$$"
expect_status 200 "preview step 1 for Bob, by his lead id"
check "...names the missing token" grep -qF '<code class="missing">{{company}}</code>' <<<"$BODY"
check "...as the sender would fail it" grep -qF 'This e-mail would not be sent: personalization: no value for {{company}} (body, line 1, column' <<<"$BODY"
check "...and renders nothing" bash -c '! grep -q "id=\"rendered-body\"" <<<"$0"' "$BODY"
browse GET "/nurture/campaigns/$NC/preview?step=2&lead=$BOB"
expect_status 200 "a section over a missing name"
check "...names it too (strict)" grep -qF '<code class="missing">{{city}}</code>' <<<"$BODY"
browse GET "/nurture/campaigns/$NC/preview?step=1&lead=$OTHER"
expect_status 404 "another client's lead cannot be previewed"
browse GET "/nurture/campaigns/$NC/preview?step=7&lead=$ANN"
expect_status 404 "a step the campaign lacks"
browse GET "/nurture/campaigns/$NC/preview?step=1"
expect_status 400 "a preview without a lead"

# --- enrol one lead ------------------------------------------------------
browse GET "/leads/$ANN"
expect_status 200 "Ann's page"
check "the nurture section" grep -q '<section class="nurture" aria-label="Nurture e-mails" id="lead-nurture">' <<<"$BODY"
check "...offers the campaign, escaped" grep -qF "<option value=\"$NC\">Welcome &lt;script&gt;alert(1)&lt;/script&gt;</option>" <<<"$BODY"
check "...not another client's" bash -c '! grep -q "$0" <<<"$1"' "$NC2" "$BODY"
browse POST "/leads/$ANN/nurture" --data-urlencode "csrf=$CSRF" --data-urlencode "campaign_id=$NC"
expect_status 303 "enrol Ann"
expect_header "^Location: /leads/$ANN\?nurture=enrolled#lead-nurture" "...back to her page, enrolled"
browse POST "/leads/$ANN/nurture" --data-urlencode "csrf=$CSRF" --data-urlencode "campaign_id=$NC"
expect_status 303 "enrol Ann again"
expect_header "nurture=already" "...already in it"
check "twice is one enrolment" test "$(enrolments "$NC" "$ANN")" = 1
check "...active at step 0, due now, by the admin" test "$(sql "SELECT status || '|' || current_step || '|' || (next_send_at <= now()) || '|' || enrolled_by FROM lead_campaign_enrollments WHERE lead_id = '$ANN'")" = "active|0|true|portal:$ADMIN"
check "the enrolment is a run of Lead Nurture - Enrollment" test "$(sql "SELECT count(*) > 0 FROM workflow_executions WHERE workflow_name = 'Lead Nurture - Enrollment' AND status = 'success'")" = t
browse GET "/leads/$ANN?nurture=already"
check "the page says already" grep -q 'id="nurture-flash">The lead is in that campaign already' <<<"$BODY"
check "...lists the enrolment" grep -q "id=\"nurture-enrolment-" <<<"$BODY"
check "...no step of two sent yet" grep -qF '<td class="step">0 / 2</td>' <<<"$BODY"
check "...a link to preview her next e-mail" grep -qF "href=\"/nurture/campaigns/$NC/preview?step=1&amp;lead=$ANN\">preview step 1</a>" <<<"$BODY"
browse POST "/leads/$OPTED/nurture" --data-urlencode "csrf=$CSRF" --data-urlencode "campaign_id=$NC"
expect_status 409 "an opted-out lead is refused"
check "...saying why" grep -q 'id="nurture-error">Refused: the lead has opted out' <<<"$BODY"
browse POST "/leads/$NOMAIL/nurture" --data-urlencode "csrf=$CSRF" --data-urlencode "campaign_id=$NC"
expect_status 409 "a lead without an e-mail is refused"
check "...saying why" grep -q 'id="nurture-error">Refused: the lead has no e-mail address' <<<"$BODY"
browse POST "/leads/$OTHER/nurture" --data-urlencode "csrf=$CSRF" --data-urlencode "campaign_id=$NC"
expect_status 400 "another client's campaign is refused"
check "...saying why" grep -q "id=\"nurture-error\">Refused: that campaign is another client" <<<"$BODY"
check "none of those enrolled" test "$(enrolments "$NC")" = 1
browse POST "/leads/$ANN/nurture" --data-urlencode "csrf=$CSRF" --data-urlencode "campaign_id=00000000-0000-4000-8000-000000000000"
expect_status 400 "an unknown campaign"

# An e-mail of Ann's as the sender leaves it: its subject is hostile text.
EID=$(sql "SELECT id FROM lead_campaign_enrollments WHERE lead_id = '$ANN'")
sql "INSERT INTO email_sends (organization_id, enrollment_id, lead_id, campaign_id, step_number, send_status, scheduled_send_time, actual_send_time, subject, opened_at) VALUES ('$CID', '$EID', '$ANN', '$NC', 1, 'sent', now(), now(), 'Hi Ann $XSS', now())" >/dev/null
sql "INSERT INTO email_sends (organization_id, enrollment_id, lead_id, campaign_id, step_number, send_status, scheduled_send_time, failure_reason) VALUES ('$CID', '$EID', '$ANN', '$NC', 2, 'failed', now(), 'personalization: no value for {{city}} $IMG')" >/dev/null
browse GET "/leads/$ANN"
check "her e-mails: the subject escaped" grep -qF '<td class="subject">Hi Ann &lt;script&gt;alert(1)&lt;/script&gt;</td><td class="send-status">sent</td>' <<<"$BODY"
check "...the failure reason escaped" grep -qF '<td class="failure">personalization: no value for {{city}} &quot;&gt;&lt;img src=x onerror=alert(2)&gt;</td>' <<<"$BODY"
check "no raw markup on the lead page" bash -c '! grep -qF "<script>alert(1)" <<<"$0" && ! grep -qF "<img src=x" <<<"$0"' "$BODY"

# --- enrol a filtered set -------------------------------------------------
# 25 more leads of the client with a common word, two of them opted out,
# one without e-mail; one lead of the other client with the same word.
sql "INSERT INTO leads (client_id, external_id, first_name, email, opted_out) SELECT '$CID', 'ncS$$-' || g, 'Setmember' || g, 'set' || g || '-$$@example.com', g <= 2 FROM generate_series(1, 25) g" >/dev/null
sql "INSERT INTO leads (client_id, external_id, first_name) VALUES ('$CID', 'ncS$$-nomail', 'Setmember nomail')" >/dev/null
sql "INSERT INTO leads (client_id, external_id, first_name, email) VALUES ('$CID2', 'ncS$$-other', 'Setmember other', 'other-$$@example.com')" >/dev/null
browse GET "/leads?q=setmember&status=new"
check "the leads list offers the enrol form" grep -q '<form id="nurture-enrol-filtered"' <<<"$BODY"
check "...keeping the filters" grep -q '<input type="hidden" name="q" value="setmember">' <<<"$BODY"
check "...a button for the campaign" grep -qF "formaction=\"/nurture/campaigns/$NC/enroll\">Enrol these leads into $C · Welcome &lt;script&gt;" <<<"$BODY"
browse POST "/nurture/campaigns/$NC/enroll" --data-urlencode "csrf=$CSRF" --data-urlencode "q=setmember" --data-urlencode "status=new"
expect_status 303 "enrol the filtered set"
expect_header "enrolled=23&already=0&refused=4#enrolments" "...23 enrolled, 4 refused (2 opted out, 1 no e-mail, 1 other client)"
check "...the filter's own leads of the client, exactly" test "$(sql "SELECT count(*) FROM lead_campaign_enrollments e JOIN leads l ON l.id = e.lead_id WHERE e.campaign_id = '$NC' AND l.first_name LIKE 'Setmember%'")" = 23
browse POST "/nurture/campaigns/$NC/enroll" --data-urlencode "csrf=$CSRF" --data-urlencode "q=setmember" --data-urlencode "status=new"
expect_header "enrolled=0&already=23&refused=4" "the same set again: all already in"
browse GET "/nurture/campaigns/$NC?enrolled=23&already=0&refused=4"
check "the flash has the counts" grep -q 'id="flash">Enrolled 23 lead(s); 0 already in the campaign; 4 refused' <<<"$BODY"
check "the tabs count 24 active" grep -qF 'id="tab-active">Active (24)' <<<"$BODY"
check "the first page shows 24 enrolments" test "$(grep -c 'class="enrolment"' <<<"$BODY")" = 24
check "...each with its next e-mail's preview" test "$(grep -c 'class="preview-next"' <<<"$BODY")" = 24
SET1=$(sql "SELECT e.id FROM lead_campaign_enrollments e JOIN leads l ON l.id = e.lead_id WHERE l.external_id = 'ncS$$-3'")
sql "UPDATE lead_campaign_enrollments SET current_step = 1 WHERE id = '$SET1'" >/dev/null
browse GET "/nurture/campaigns/$NC"
check "one sent step 1: its next is step 2" grep -q "id=\"enrolment-$SET1\".*preview?step=2&amp;lead=" <<<"$BODY"
sql "UPDATE lead_campaign_enrollments SET current_step = 2 WHERE id = '$SET1'" >/dev/null
browse GET "/nurture/campaigns/$NC"
check "...one past the last: nothing to preview" bash -c '! grep -q "id=\"enrolment-$0\".*preview-next" <<<"$1"' "$SET1" "$BODY"
sql "UPDATE lead_campaign_enrollments SET current_step = 0 WHERE id = '$SET1'" >/dev/null
browse POST "/nurture/campaigns/$NC/enroll" --data-urlencode "csrf=$CSRF" --data-urlencode "status=nonsense"
expect_status 400 "a bad filter is refused"
browse POST "/nurture/campaigns/$NC2/enroll" --data-urlencode "csrf=$CSRF" --data-urlencode "q=setmember"
expect_status 409 "a campaign without steps enrols nobody"
check "...saying why" grep -q 'id="page-error">Nothing enrolled: the campaign has no steps yet.' <<<"$BODY"
check "...nobody" test "$(enrolments "$NC2")" = 0

# 60 leads: the enrolments come in pages of 50.
sql "INSERT INTO leads (client_id, external_id, first_name, email) SELECT '$CID', 'ncP$$-' || g, 'Pagemember' || g, 'page' || g || '-$$@example.com' FROM generate_series(1, 60) g" >/dev/null
browse POST "/nurture/campaigns/$NC/enroll" --data-urlencode "csrf=$CSRF" --data-urlencode "q=pagemember" --data-urlencode "client=$C"
expect_header "enrolled=60&already=0&refused=0" "60 more by a client filter"
browse GET "/nurture/campaigns/$NC?status=active"
check "a page of 50" test "$(grep -c 'class="enrolment"' <<<"$BODY")" = 50
NEXT=$(grep -o 'href="[^"]*" *>Next' <<<"$BODY" | sed 's/href="\([^"]*\)".*/\1/; s/&amp;/\&/g')
browse GET "$NEXT"
check "...the next page the other 34" test "$(grep -c 'class="enrolment"' <<<"$BODY")" = 34

# --- cancel ----------------------------------------------------------------
browse POST "/nurture/enrollments/$EID/cancel" --data-urlencode "csrf=$CSRF" --data-urlencode "back=lead"
expect_status 303 "cancel Ann's enrolment"
expect_header "^Location: /leads/$ANN\?nurture=cancelled" "...back to her page"
check "...cancelled, nothing more to send" test "$(sql "SELECT status || '|' || coalesce(next_send_at::text, 'none') || '|' || completion_reason FROM lead_campaign_enrollments WHERE id = '$EID'")" = "cancelled|none|cancelled by portal:$ADMIN"
browse POST "/nurture/enrollments/$EID/cancel" --data-urlencode "csrf=$CSRF"
expect_status 409 "cancelling it again"
check "...says it ended" grep -q 'This enrolment has ended already (cancelled)' <<<"$BODY"
browse POST "/nurture/enrollments/00000000-0000-4000-8000-000000000000/cancel" --data-urlencode "csrf=$CSRF"
expect_status 404 "an unknown enrolment"
browse POST "/nurture/enrollments/nope/cancel" --data-urlencode "csrf=$CSRF"
expect_status 404 "a malformed enrolment id"

# --- status ------------------------------------------------------------------
browse POST "/nurture/campaigns/$NC/resume" --data-urlencode "csrf=$CSRF"
expect_status 409 "resuming an active campaign"
check "...says why" grep -q 'id="page-error">Only a paused campaign can be resumed.' <<<"$BODY"
browse POST "/nurture/campaigns/$NC/pause" --data-urlencode "csrf=$CSRF"
expect_status 303 "pause"
check "...paused, when and by whom" test "$(sql "SELECT status || '|' || (paused_at IS NOT NULL) || '|' || paused_by FROM nurture_campaigns WHERE id = '$NC'")" = "paused|true|portal:$ADMIN"
browse GET "/nurture/campaigns/$NC?status_changed=paused"
check "the page says paused" grep -q 'id="campaign-status">paused (since ' <<<"$BODY"
check "...and offers resume" grep -q 'id="resume-form"' <<<"$BODY"
browse POST "/nurture/campaigns/$NC/resume" --data-urlencode "csrf=$CSRF"
expect_status 303 "resume"
check "...active, the pause forgotten" test "$(sql "SELECT status || '|' || (paused_at IS NULL) FROM nurture_campaigns WHERE id = '$NC'")" = "active|true"
browse POST "/nurture/campaigns/$NC/archive" --data-urlencode "csrf=$CSRF"
expect_status 303 "archive"
check "...archived" test "$(sql "SELECT status FROM nurture_campaigns WHERE id = '$NC'")" = archived
browse POST "/nurture/campaigns/$NC/archive" --data-urlencode "csrf=$CSRF"
expect_status 409 "archiving it again"
browse POST "/leads/$BOB/nurture" --data-urlencode "csrf=$CSRF" --data-urlencode "campaign_id=$NC"
expect_status 409 "an archived campaign takes no one"
check "...saying why" grep -q 'id="nurture-error">Refused: the campaign is archived.' <<<"$BODY"

# --- lists, analytics and CSVs --------------------------------------------
sql "INSERT INTO campaign_analytics (organization_id, campaign_id, analytics_date, emails_sent_today, emails_delivered_today, unique_opens_today, unique_clicks_today, open_rate, click_rate) VALUES ('$CID', '$NC', current_date - 1, 10, 9, 4, 1, 40, 10), ('$CID', '$NC', current_date - 2, 30, 30, 6, 3, 20, 10), ('$CID', '$NC', current_date - 100, 100, 100, 100, 100, 100, 100)" >/dev/null
browse GET "/nurture/campaigns?client=$C"
expect_status 200 "the list for the client"
ROW=$(grep -A3 "id=\"nurture-campaign-$NC\"" <<<"$BODY")
check "the campaign's row: name escaped" grep -qF 'Welcome &lt;script&gt;alert(1)&lt;/script&gt;</a>' <<<"$ROW"
check "...archived, 2 steps" grep -qF '<td class="status">archived</td><td class="steps">2</td>' <<<"$ROW"
check "...83 active, 0 completed, 1 sent" grep -qF '<td class="active">83</td><td class="completed">0</td><td class="sends">1</td>' <<<"$ROW"
check "...30-day rates from the analytics (10 of 40 opened, 4 clicked)" grep -qF '<td class="open-rate">25.00 %</td><td class="click-rate">10.00 %</td>' <<<"$ROW"
check "...not the other client's" bash -c '! grep -q "$0" <<<"$1"' "$NC2" "$BODY"
browse GET "/nurture/campaigns?status=archived&client=$C"
check "the status filter" grep -q "nurture-campaign-$NC" <<<"$BODY"
browse GET "/nurture/campaigns?status=active&client=$C"
check "...leaves out what is not" bash -c '! grep -q "nurture-campaign-$0" <<<"$1"' "$NC" "$BODY"
browse GET "/nurture/campaigns?status=bogus"
expect_status 400 "an unknown status is 400"
browse GET "/nurture/campaigns/$NC"
check "the analytics table, newest day first" test "$(grep -o '<td class="date">[^<]*' <<<"$BODY" | head -n 1 | cut -d'>' -f2)" = "$(date -u -d yesterday +%F)"
check "...within 90 days (3 rows but 2 shown)" test "$(grep -c '<tr class="day">' <<<"$BODY")" = 2

request GET "/nurture/campaigns/export.csv?client=$C" -b "$JAR"
expect_status 200 "the list as CSV"
expect_header '^Content-Type: text/csv' "...is CSV"
expect_header 'attachment; filename="nurture-campaigns.csv"' "...a download"
check "...its header" grep -q '^id,client,name,status,steps,active_enrollments,completed_enrollments,emails_sent,open_rate_30d,click_rate_30d,from_email,from_name,paused_at,paused_by,created_at' <<<"$BODY"
check "...the campaign's row" grep -qF "$NC,$C,Welcome $XSS,archived,2,83,0,1,25.00,10.00,hello@example.com,\"Team $(sed 's/"/""/g' <<<"$IMG")\"" <<<"$BODY"
request GET "/nurture/campaigns/$NC/enrollments.csv?status=all" -b "$JAR"
expect_status 200 "the enrolments as CSV"
check "...header" grep -q '^enrollment_id,lead_id,lead_name,external_id,email,status,current_step,next_send_at,completion_reason,enrolled_by,enrolled_at,completed_at' <<<"$BODY"
check "...84 rows" test "$(grep -c "portal:$ADMIN" <<<"$BODY")" = 84
check "...Ann's, cancelled" grep -q "^$EID,$ANN,Ann,ncA$$,ann-$$@example.com,cancelled,0,,cancelled by portal:$ADMIN,portal:$ADMIN," <<<"$BODY"
request GET "/nurture/campaigns/$NC/enrollments.csv?status=cancelled" -b "$JAR"
check "...a status: one row" test "$(grep -c "portal:$ADMIN" <<<"$BODY")" = 1
request GET "/nurture/campaigns/$NC/enrollments.csv?status=x" -b "$JAR"
expect_status 400 "a bad status for the CSV"
request GET "/nurture/campaigns/$NC/analytics.csv" -b "$JAR"
expect_status 200 "the analytics as CSV"
check "...header" grep -q '^analytics_date,emails_sent_today,emails_delivered_today,unique_opens_today,unique_clicks_today,' <<<"$BODY"
check "...every day (3)" test "$(grep -c '^20' <<<"$BODY")" = 3

# --- unknown ids ----------------------------------------------------------
browse GET "/nurture/campaigns/00000000-0000-4000-8000-000000000000"
expect_status 404 "an unknown campaign is 404"
check "...saying so" grep -q 'There is no such nurture campaign.' <<<"$BODY"
browse GET "/nurture/campaigns/not-a-uuid"
expect_status 404 "a malformed campaign id is 404"
request GET "/nurture/campaigns/00000000-0000-4000-8000-000000000000/enrollments.csv" -b "$JAR"
expect_status 404 "the CSV of an unknown campaign"
browse POST "/nurture/campaigns/00000000-0000-4000-8000-000000000000/steps" --data-urlencode "csrf=$CSRF" --data-urlencode "subject=s" --data-urlencode "body=b" --data-urlencode "delay_minutes=0"
expect_status 404 "a step for an unknown campaign"
browse POST "/nurture/campaigns/00000000-0000-4000-8000-000000000000/pause" --data-urlencode "csrf=$CSRF"
expect_status 404 "pausing an unknown campaign"

# --- CSRF and viewers -------------------------------------------------------
BEFORE=$(sql "SELECT md5(concat((SELECT string_agg(concat(id, status, updated_at), ',' ORDER BY id) FROM nurture_campaigns), (SELECT string_agg(concat(campaign_id, step_number, updated_at), ',' ORDER BY campaign_id, step_number) FROM nurture_campaign_steps), (SELECT string_agg(concat(id, status), ',' ORDER BY id) FROM lead_campaign_enrollments)))")
browse POST /nurture/campaigns --data-urlencode "csrf=wrong" --data-urlencode "client=$C" --data-urlencode "name=Sneaky" --data-urlencode "from_email=a@b.example"
expect_status 403 "create without the CSRF token"
browse POST "/nurture/campaigns/$NC2/steps" --data-urlencode "csrf=wrong" --data-urlencode "subject=s" --data-urlencode "body=b" --data-urlencode "delay_minutes=0"
expect_status 403 "a step without the CSRF token"
browse POST "/leads/$BOB/nurture" --data-urlencode "campaign_id=$NC2"
expect_status 403 "an enrolment without the CSRF token"
JAR=$TMP/viewer
VIEWER=nurture-viewer-$$@example.com
check "a viewer logs in" login "$VIEWER" "viewer-password-$$" viewer
browse GET "/nurture/campaigns/$NC"
expect_status 200 "a viewer reads the campaign"
check "...without the step forms" bash -c '! grep -q "class=\"step-form\"" <<<"$0" && ! grep -q "id=\"archive-form\"" <<<"$0"' "$BODY"
VCSRF=$(field csrf)
browse GET "/leads/$BOB"
check "...nor the enrol form on a lead" bash -c '! grep -q "id=\"nurture-enrol-form\"" <<<"$0"' "$BODY"
browse GET "/leads?q=setmember"
check "...nor on the leads list" bash -c '! grep -q "nurture-enrol-filtered" <<<"$0"' "$BODY"
for r in "/nurture/campaigns" "/nurture/campaigns/$NC2/steps" "/nurture/campaigns/$NC/steps/1" "/nurture/campaigns/$NC/steps/1/delete" "/nurture/campaigns/$NC2/pause" "/nurture/campaigns/$NC2/archive" "/nurture/campaigns/$NC2/enroll" "/leads/$BOB/nurture" "/nurture/enrollments/$EID/cancel"; do
	browse POST "$r" --data-urlencode "csrf=$VCSRF" --data-urlencode "client=$C" --data-urlencode "name=v" --data-urlencode "from_email=a@b.example" --data-urlencode "subject=s" --data-urlencode "body=b" --data-urlencode "delay_minutes=0" --data-urlencode "campaign_id=$NC2"
	expect_status 403 "a viewer is refused POST $r"
done
AFTER=$(sql "SELECT md5(concat((SELECT string_agg(concat(id, status, updated_at), ',' ORDER BY id) FROM nurture_campaigns), (SELECT string_agg(concat(campaign_id, step_number, updated_at), ',' ORDER BY campaign_id, step_number) FROM nurture_campaign_steps), (SELECT string_agg(concat(id, status), ',' ORDER BY id) FROM lead_campaign_enrollments)))")
expect_eq "$AFTER" "$BEFORE" "the refused forms changed nothing"

finish
