#!/usr/bin/env bash
# The campaign and de-enrollment pages: campaigns per client with their
# counts and the SOP's drift check beside them, "recalculate", a
# campaign's steps and leads by state with CSV exports, a lead's campaign
# section and its enrol / move / remove actions (events with the actor,
# moved by the log's trigger; a replayed form stores one event), the
# de-enrollment runs, a run's lead log, health and "run now". Viewers
# read; only admins post, with the CSRF token.
source "$(dirname "$0")/lib.sh"

ADMIN=campaigns-$$@example.com
check "log in" login "$ADMIN" "campaigns-password-$$"
ADMIN_ID=$(sql "SELECT id FROM admin_users WHERE email = '$ADMIN'")
C=cp$$
C2=cq$$
sql "INSERT INTO clients (slug, name) VALUES ('$C', 'Campaign pages'), ('$C2', 'Other client')" >/dev/null
CID=$(sql "SELECT id FROM clients WHERE slug = '$C'")
CID2=$(sql "SELECT id FROM clients WHERE slug = '$C2'")
XSS='<script>alert(1)</script>'
IMG='"><img src=x onerror=alert(2)>'
# Two campaigns of three steps (names and a step body that try XSS), one
# of another client; leads loaded as an operator would (SOP columns).
CAMP=$(sql "INSERT INTO campaigns (client_id, name, messages) VALUES ('$CID', 'Spring $XSS', jsonb_build_array(jsonb_build_object('body', 'Hi $IMG', 'delay_hours', 0), jsonb_build_object('body', 'Step two', 'delay_hours', 24), jsonb_build_object('body', 'Last'))) RETURNING id")
CAMP2=$(sql "INSERT INTO campaigns (client_id, name, messages) VALUES ('$CID', 'Autumn', '[{\"body\": \"a\"}, {\"body\": \"b\"}]') RETURNING id")
OTHER=$(sql "INSERT INTO campaigns (client_id, name, messages) VALUES ('$CID2', 'Elsewhere', '[{\"body\": \"x\"}]') RETURNING id")
lead() { sql "INSERT INTO leads (client_id, external_id, first_name, campaign_link_id, current_message_position, is_active, opted_out) VALUES ('$CID', '$1', '$2', ${3:-NULL}, ${4:-0}, ${5:-true}, ${6:-false}) RETURNING id"; }
A1=$(lead recA1$$ Ann "'$CAMP'" 1)
A2=$(lead recA2$$ Bob "'$CAMP'" 3)
A3=$(lead recA3$$ Cid "'$CAMP'" 3)
A4=$(lead recA4$$ Dot "'$CAMP'" 2 false true)
FREE=$(lead recF$$ Eve)
OPTED=$(lead recO$$ Fay NULL 0 false true)
# The campaign row's counts as the old system left them: wrong (drift).
sql "UPDATE campaigns SET active_leads_count = 7 WHERE id = '$CAMP'" >/dev/null

browse GET "/campaigns?client=$C"
expect_status 200 "the campaigns page"
check "...lists the client's campaigns" grep -q "href=\"/campaigns/$CAMP\"" <<<"$BODY"
check "...not another client's" bash -c '! grep -q "$0" <<<"$1"' "$OTHER" "$BODY"
check "the campaign name is escaped" grep -qF 'Spring &lt;script&gt;alert(1)&lt;/script&gt;' <<<"$BODY"
check "...never raw" bash -c '! grep -qF "<script>alert(1)" <<<"$0"' "$BODY"
ROW=$(grep -A6 "id=\"campaign-$CAMP\"" <<<"$BODY")
check "active: kept 7, counted 3, marked as drift" grep -qF '<td class="count active drift">7 ≠ 3</td>' <<<"$ROW"
check "opted out: 0 kept, 1 counted, drift" grep -qF '<td class="count opted-out drift">0 ≠ 1</td>' <<<"$ROW"
check "completed matches: no mark" grep -qF '<td class="count completed">0</td>' <<<"$ROW"
check "two stuck leads (finished, still active)" grep -qF '<td class="stuck">2</td>' <<<"$ROW"
check "three messages" grep -qF '<td class="steps">3</td>' <<<"$ROW"
check "the page says how many drifted" grep -q 'id="drift-count">1 campaign(s)' <<<"$BODY"
check "an admin sees Recalculate" grep -q '<form id="recalculate"' <<<"$BODY"
check "...for the chosen client" grep -q "<input type=\"hidden\" name=\"client_id\" value=\"$CID\">" <<<"$BODY"
CSRF=$(field csrf)

request GET "/campaigns/export.csv?client=$C" -b "$JAR"
expect_status 200 "the campaigns CSV"
expect_header '^Content-Type: text/csv' "...is CSV"
expect_header 'attachment; filename="campaigns.csv"' "...a download"
check "...header row" grep -q '^id,client,name,is_active,messages,active_leads_count,' <<<"$BODY"
check "...the drifted campaign with both counts" grep -qF "$CAMP,$C,Spring $XSS,true,3,7,0,0,0,3,0,1,0,2,true," <<<"$BODY"
check "...two campaigns of this client" test "$(grep -c ",$C," <<<"$BODY")" = 2

browse POST /campaigns/recalculate --data-urlencode "csrf=wrong" --data-urlencode "client_id=$CID" --data-urlencode "client=$C"
expect_status 403 "recalculate without the CSRF token is refused"
check "...and changes nothing" test "$(sql "SELECT active_leads_count FROM campaigns WHERE id = '$CAMP'")" = 7
browse POST /campaigns/recalculate --data-urlencode "csrf=$CSRF" --data-urlencode "client_id=00000000-0000-4000-8000-000000000000"
expect_status 400 "recalculate for an unknown client"
check "...changes nothing" test "$(sql "SELECT active_leads_count FROM campaigns WHERE id = '$CAMP'")" = 7
browse POST /campaigns/recalculate --data-urlencode "csrf=$CSRF" --data-urlencode "client_id=$CID" --data-urlencode "client=$C"
expect_status 303 "recalculate the client's campaigns"
expect_header "^Location: /campaigns\?recalculated=1&client=$C" "...back with the number changed"
check "the counts are the leads' now" test "$(sql "SELECT active_leads_count || ',' || opted_out_count FROM campaigns WHERE id = '$CAMP'")" = "3,1"
browse GET "/campaigns?recalculated=1&client=$C"
check "...the page says so" grep -q 'id="flash">Recalculated: 1 campaign corrected.' <<<"$BODY"
check "...and no drift is left" bash -c '! grep -q "drift-count" <<<"$0"' "$BODY"

browse GET "/campaigns/$CAMP"
expect_status 200 "a campaign's page"
check "its name, escaped" grep -qF '<h2 class="campaign-name">Spring &lt;script&gt;alert(1)&lt;/script&gt;</h2>' <<<"$BODY"
check "its steps in order, bodies escaped" grep -qF '<span class="body">Hi &quot;&gt;&lt;img src=x onerror=alert(2)&gt;</span> <small class="delay">after 0 h</small>' <<<"$BODY"
check "...three of them" test "$(grep -c '<li class="step">' <<<"$BODY")" = 3
check "no raw img tag" bash -c '! grep -qF "<img src=x" <<<"$0"' "$BODY"
check "the state tabs count the leads" grep -qF 'id="tab-stuck">Finished, not yet de-enrolled (2)' <<<"$BODY"
check "...active (1)" grep -qF 'id="tab-active">Active (1)' <<<"$BODY"
check "...opted out (1)" grep -qF 'id="tab-opted_out">Opted out (1)' <<<"$BODY"
check "the active tab lists Ann" grep -q "href=\"/leads/$A1\">Ann<" <<<"$BODY"
check "...at 1 / 3" grep -qF '<td class="position">1 / 3</td>' <<<"$BODY"
check "...not the stuck ones" bash -c '! grep -q "$0" <<<"$1"' "$A2" "$BODY"
check "the completions chart is an SVG" grep -q '<svg class="chart" [^>]*aria-label="Leads that completed the campaign per day over the last 14 days' <<<"$BODY"
browse GET "/campaigns/$CAMP?state=stuck"
check "the stuck tab lists Bob and Cid" test "$(grep -c 'class="lead-link"' <<<"$BODY")" = 2
browse GET "/campaigns/$CAMP?state=nonsense"
expect_status 400 "an unknown state is 400"
browse GET "/campaigns/$CAMP?after=x"
expect_status 400 "a malformed page marker is 400"
browse GET "/campaigns/00000000-0000-4000-8000-000000000000"
expect_status 404 "an unknown campaign is 404"
check "...saying so" grep -q 'There is no such campaign.' <<<"$BODY"
browse GET "/campaigns/not-a-uuid"
expect_status 404 "a malformed campaign id is 404"
request GET "/campaigns/$CAMP/leads.csv?state=stuck" -b "$JAR"
expect_status 200 "the campaign's stuck leads as CSV"
check "...header" grep -q '^lead_id,name,external_id,state,current_message_position,total_messages,messages_received,' <<<"$BODY"
check "...Bob, stuck at 3 of 3" grep -q "^$A2,Bob,recA2$$,stuck,3,3,0," <<<"$BODY"
check "...two rows" test "$(grep -c ',stuck,' <<<"$BODY")" = 2
request GET "/campaigns/00000000-0000-4000-8000-000000000000/leads.csv" -b "$JAR"
expect_status 404 "the CSV of an unknown campaign is 404"

# Paging: 120 active leads, pages of 50 by id.
sql "INSERT INTO leads (client_id, external_id, first_name, campaign_link_id) SELECT '$CID', 'recP$$-' || g, 'Page' || g, '$CAMP2' FROM generate_series(1, 120) g" >/dev/null
sql "SELECT campaigns_recalculate('$CID')" >/dev/null
browse GET "/campaigns/$CAMP2?state=active"
check "the first page has 50 leads" test "$(grep -c 'class="lead-link"' <<<"$BODY")" = 50
NEXT=$(grep -o 'href="[^"]*" *>Next' <<<"$BODY" | sed 's/href="\([^"]*\)".*/\1/; s/&amp;/\&/g')
browse GET "$NEXT"
check "the next page 50 more" test "$(grep -c 'class="lead-link"' <<<"$BODY")" = 50
NEXT=$(grep -o 'href="[^"]*" *>Next' <<<"$BODY" | sed 's/href="\([^"]*\)".*/\1/; s/&amp;/\&/g')
browse GET "$NEXT"
check "the last page the other 20" test "$(grep -c 'class="lead-link"' <<<"$BODY")" = 20
check "...and no next" bash -c '! grep -q "rel=\"next\"" <<<"$0"' "$BODY"
request GET "/campaigns/$CAMP2/leads.csv?state=all" -b "$JAR"
check "the CSV has all 120 leads" test "$(grep -c ',active,' <<<"$BODY")" = 120

# A lead's page: campaign, position, history; enrol, move, remove.
events() { sql "SELECT count(*) FROM lead_activity_log WHERE lead_id = '$1' AND event_type = '$2'"; }
browse GET "/leads/$A1"
check "the lead's campaign, linked" grep -q "<dd class=\"campaign\"><a href=\"/campaigns/$CAMP\">Spring &lt;script&gt;" <<<"$BODY"
check "...its position of the messages" grep -qF '<dd class="position">1 / 3</dd>' <<<"$BODY"
check "...active" grep -qF '<dd class="campaign-state">active</dd>' <<<"$BODY"
check "an admin can move it to Autumn" grep -q "<option value=\"$CAMP2\">Autumn</option>" <<<"$BODY"
check "...not to another client's campaign" bash -c '! grep -q "$0" <<<"$1"' "$OTHER" "$BODY"
check "...or remove it" grep -q '<form class="remove-form"' <<<"$BODY"
CSRF=$(field csrf)
NONCE=$(field nonce)
browse POST "/leads/$A1/campaign" --data-urlencode "csrf=$CSRF" --data-urlencode "nonce=$NONCE" --data-urlencode "campaign_id=$CAMP2"
expect_status 303 "move the lead to Autumn"
check "the lead is on Autumn at position 0" test "$(sql "SELECT campaign_link_id || ',' || current_message_position FROM leads WHERE id = '$A1'")" = "$CAMP2,0"
check "one CAMPAIGN_ENROLLED event with the campaign and the actor" test "$(sql "SELECT (metadata->>'campaign_id') || '|' || (metadata->>'actor') || '|' || (metadata->>'actor_id') || '|' || source FROM lead_activity_log WHERE lead_id = '$A1' AND event_type = 'CAMPAIGN_ENROLLED'")" = "$CAMP2|$ADMIN|$ADMIN_ID|minicrm-admin"
check "its journey on Spring is kept as moved" test "$(sql "SELECT campaign_history->-1->>'outcome' FROM leads WHERE id = '$A1'")" = moved
browse POST "/leads/$A1/campaign" --data-urlencode "csrf=$CSRF" --data-urlencode "nonce=$NONCE" --data-urlencode "campaign_id=$CAMP2"
expect_status 303 "the same form sent again"
check "...stores no second event" test "$(events "$A1" CAMPAIGN_ENROLLED)" = 1
check "the campaigns' counts followed (Spring 2 active, Autumn 121)" test "$(sql "SELECT string_agg(active_leads_count::text, ',' ORDER BY name) FROM campaigns WHERE client_id = '$CID'")" = "121,2"
browse GET "/leads/$A1"
check "the page shows Autumn" grep -q "<dd class=\"campaign\"><a href=\"/campaigns/$CAMP2\">Autumn</a>" <<<"$BODY"
check "...and the history: Spring, moved" grep -q '<td class="outcome">moved</td>' <<<"$BODY"
check "...the journey's campaign escaped" grep -qF "<a href=\"/campaigns/$CAMP\">Spring &lt;script&gt;alert(1)&lt;/script&gt;</a>" <<<"$BODY"
check "the event is on the timeline" grep -qF '<td class="event-type">CAMPAIGN_ENROLLED</td>' <<<"$BODY"
NONCE=$(field nonce)
browse POST "/leads/$A1/campaign" --data-urlencode "csrf=$CSRF" --data-urlencode "nonce=$NONCE" --data-urlencode "campaign_id=$OTHER"
expect_status 400 "another client's campaign is refused"
check "...with the message" grep -q 'id="campaign-error">Choose one of the client' <<<"$BODY"
browse POST "/leads/$A1/campaign/remove" --data-urlencode "csrf=$CSRF" --data-urlencode "nonce=$NONCE"
expect_status 303 "remove the lead from its campaign"
check "the lead is on no campaign" test "$(sql "SELECT coalesce(campaign_link_id::text, 'none') || ',' || is_active FROM leads WHERE id = '$A1'")" = "none,false"
check "one CAMPAIGN_DE_ENROLLED event with Autumn and the actor" test "$(sql "SELECT (metadata->>'campaign_id') || '|' || (metadata->>'actor') FROM lead_activity_log WHERE lead_id = '$A1' AND event_type = 'CAMPAIGN_DE_ENROLLED'")" = "$CAMP2|$ADMIN"
browse POST "/leads/$A1/campaign/remove" --data-urlencode "csrf=$CSRF" --data-urlencode "nonce=$NONCE"
expect_status 303 "the removal sent again"
check "...stores one event" test "$(events "$A1" CAMPAIGN_DE_ENROLLED)" = 1
browse POST "/leads/$A1/campaign/remove" --data-urlencode "csrf=$CSRF" --data-urlencode "nonce=fresh-nonce-$$-abcdefgh"
expect_status 409 "removing a lead on no campaign"
check "...says nothing moved" grep -q 'id="campaign-error">The lead is not on a campaign. Nothing moved.' <<<"$BODY"
browse POST "/leads/$FREE/campaign" --data-urlencode "csrf=$CSRF" --data-urlencode "nonce=enrol-free-$$-abcdefgh" --data-urlencode "campaign_id=$CAMP"
expect_status 303 "enrol a lead on no campaign"
check "...it is on Spring" test "$(sql "SELECT campaign_link_id FROM leads WHERE id = '$FREE'")" = "$CAMP"
browse POST "/leads/$OPTED/campaign" --data-urlencode "csrf=$CSRF" --data-urlencode "nonce=enrol-opted-$$-abcdefgh" --data-urlencode "campaign_id=$CAMP"
expect_status 409 "an opted-out lead cannot be enrolled"
check "...the page says why" grep -q 'id="campaign-error">This lead has opted out: it cannot be enrolled in a campaign. Nothing moved.' <<<"$BODY"
check "...no event is stored" test "$(events "$OPTED" CAMPAIGN_ENROLLED)" = 0
check "...and it is on no campaign" test "$(sql "SELECT coalesce(campaign_link_id::text, 'none') FROM leads WHERE id = '$OPTED'")" = none
browse POST "/leads/$FREE/campaign" --data-urlencode "csrf=wrong" --data-urlencode "campaign_id=$CAMP2"
expect_status 403 "an enrolment without the CSRF token is refused"
check "...and moves nothing" test "$(sql "SELECT campaign_link_id FROM leads WHERE id = '$FREE'")" = "$CAMP"
browse POST "/leads/00000000-0000-4000-8000-000000000000/campaign" --data-urlencode "csrf=$CSRF" --data-urlencode "campaign_id=$CAMP"
expect_status 404 "enrolling an unknown lead is 404"
check "the SOP's drift query finds nothing after the moves" test "$(sql "SELECT count(*) FROM (SELECT c.id FROM campaigns c LEFT JOIN leads l ON l.campaign_link_id = c.id WHERE c.client_id = '$CID' GROUP BY c.id, c.active_leads_count HAVING c.active_leads_count != COUNT(l.id) FILTER (WHERE l.is_active = true AND l.opted_out = false)) d")" = 0

# De-enrollment runs as the job leaves them: a run that completed the two
# stuck leads (the SOP's batch function), a failed run of the other
# client whose error tries XSS, an old run three days ago.
RUN=$(sql "INSERT INTO de_enrollment_runs (client_id, triggered_by) VALUES ('$CID', 'cli') RETURNING id")
check "a batch completes the two stuck leads" test "$(sql "SELECT process_de_enrollment_batch('$RUN', '$CID', 100)")" = 2
sql "UPDATE de_enrollment_runs SET status = 'success', finished_at = now(), duration_ms = 12 WHERE id = '$RUN'" >/dev/null
FRUN=$(sql "INSERT INTO de_enrollment_runs (client_id, status, finished_at, duration_ms, error_details, triggered_by) VALUES ('$CID2', 'failed', now(), 5, 'boom $XSS', 'worker') RETURNING id")
OLD=$(sql "INSERT INTO de_enrollment_runs (client_id, run_at, status, finished_at, duration_ms, triggered_by) VALUES ('$CID', now() - interval '3 days', 'success', now() - interval '3 days', 7, 'worker') RETURNING id")
TODAY=$(date -u +%F)
BEFORE=$(date -u -d '2 days ago' +%F)

browse GET "/de-enrollment?client=$C"
expect_status 200 "the de-enrollment page"
check "...lists the client's run, linked" grep -q "href=\"/de-enrollment/runs/$RUN\"" <<<"$BODY"
check "...and its old run" grep -q "href=\"/de-enrollment/runs/$OLD\"" <<<"$BODY"
check "...not the other client's" bash -c '! grep -q "$0" <<<"$1"' "$FRUN" "$BODY"
check "the run says 2 de-enrolled" grep -q "runs/$RUN\">[^<]*</a></td><td class=\"client\">$C</td><td class=\"status\">success</td><td>2</td><td class=\"de-enrolled\">2</td>" <<<"$BODY"
browse GET "/de-enrollment?status=failed"
check "the status filter finds the failed run" grep -q "runs/$FRUN\"" <<<"$BODY"
check "...and only failed ones" bash -c '! grep -q "$0" <<<"$1"' "$RUN" "$BODY"
check "its error is escaped" grep -qF '<td class="error">boom &lt;script&gt;alert(1)&lt;/script&gt;</td>' <<<"$BODY"
browse GET "/de-enrollment?client=$C&from=$BEFORE&to=$TODAY"
check "a date range keeps today's run" grep -q "runs/$RUN\"" <<<"$BODY"
check "...and leaves out the one three days ago" bash -c '! grep -q "$0" <<<"$1"' "$OLD" "$BODY"
C3=cr$$
sql "INSERT INTO clients (slug, name) VALUES ('$C3', 'Many runs')" >/dev/null
sql "INSERT INTO de_enrollment_runs (client_id, run_at, status, finished_at, duration_ms, triggered_by) SELECT id, now() - g * interval '1 minute', 'success', now(), 1, 'worker' FROM clients, generate_series(1, 60) g WHERE slug = '$C3'" >/dev/null
browse GET "/de-enrollment?client=$C3"
check "runs come 50 to a page" test "$(grep -c 'class="run-link"' <<<"$BODY")" = 50
NEXT=$(grep -o 'href="[^"]*" *>Older' <<<"$BODY" | sed 's/href="\([^"]*\)".*/\1/; s/&amp;/\&/g')
check "...with an Older link that keeps the client" grep -q "client=$C3&before=" <<<"$NEXT"
browse GET "$NEXT"
check "the next page has the other 10" test "$(grep -c 'class="run-link"' <<<"$BODY")" = 10
check "...and no further page" bash -c '! grep -q "rel=\"next\"" <<<"$0"' "$BODY"
request GET "/de-enrollment/export.csv?client=$C3" -b "$JAR"
check "the CSV has all 60 runs" test "$(grep -c ",$C3,.*,success," <<<"$BODY")" = 60
browse GET "/de-enrollment?status=exploded"
expect_status 400 "an unknown status is 400"
browse GET "/de-enrollment?from=2026-02-30"
expect_status 400 "an impossible date is 400"
request GET "/de-enrollment/export.csv?client=$C" -b "$JAR"
expect_status 200 "the runs as CSV"
check "...header" grep -q '^id,client,run_at,finished_at,status,leads_evaluated,leads_de_enrolled,batches,duration_ms,error_details,triggered_by' <<<"$BODY"
check "...the run: success, 2 evaluated, 2 de-enrolled, 1 batch" grep -q "^$RUN,$C,$TODAY [0-9:]*,$TODAY [0-9:]*,success,2,2,1,12,,cli" <<<"$BODY"
check "...two runs of this client" test "$(grep -c ",$C," <<<"$BODY")" = 2
request GET "/de-enrollment/export.csv?status=failed" -b "$JAR"
check "the failed run's error is in the CSV as text" grep -qF "boom $XSS" <<<"$BODY"

browse GET "/de-enrollment/runs/$RUN"
expect_status 200 "a run's page"
check "...its status" grep -qF '<dd class="status">success</dd>' <<<"$BODY"
check "...its lead log: Bob and Cid" test "$(grep -c 'class="log-row"' <<<"$BODY")" = 2
check "...linked to the lead" grep -q "href=\"/leads/$A2\">Bob</a>" <<<"$BODY"
check "...and the campaign, escaped" grep -qF "<a href=\"/campaigns/$CAMP\">Spring &lt;script&gt;alert(1)&lt;/script&gt;</a>" <<<"$BODY"
request GET "/de-enrollment/runs/$RUN/export.csv" -b "$JAR"
expect_status 200 "the run's lead log as CSV"
check "...header" grep -q '^id,lead_id,lead_name,campaign_id,campaign,action,outcome,messages_received,current_message_position,total_messages,' <<<"$BODY"
check "...Bob completed at 3 of 3" grep -q ",$A2,Bob,$CAMP,Spring <script>alert(1)</script>,de_enroll,completed,0,3,3," <<<"$BODY"
check "...two rows" test "$(grep -c ',completed,' <<<"$BODY")" = 2
browse GET "/de-enrollment/runs/00000000-0000-4000-8000-000000000000"
expect_status 404 "an unknown run is 404"
check "...saying so" grep -q 'There is no such de-enrollment run.' <<<"$BODY"
browse GET "/de-enrollment/runs/123"
expect_status 404 "a malformed run id is 404"
request GET "/de-enrollment/runs/00000000-0000-4000-8000-000000000000/export.csv" -b "$JAR"
expect_status 404 "the lead log of an unknown run is 404"

browse GET "/campaigns/$CAMP?state=completed"
check "the campaign's completed tab lists the two" test "$(grep -c 'class="lead-link"' <<<"$BODY")" = 2
check "the chart shows today's 2 completions" grep -qF "<title>$TODAY: 2 completions</title>" <<<"$BODY"
check "the counts followed: 2 completed, no drift" grep -qF '<td class="actual completed">2</td>' <<<"$BODY"
browse GET "/leads/$A2"
check "Bob's page says completed" grep -qF '<dd class="campaign-state">completed</dd>' <<<"$BODY"
check "...and its journey, completed" grep -q '<td class="outcome">completed</td>' <<<"$BODY"

# Health by the SOP's thresholds, and run now (deenroll.h, as the worker).
sql "INSERT INTO de_enrollment_runs (client_id, status, finished_at, duration_ms, triggered_by) SELECT '$CID2', 'failed', now(), 5, 'worker' FROM generate_series(1, 5)" >/dev/null
sql "UPDATE leads SET current_message_position = 3 WHERE id = '$FREE'" >/dev/null
health_row() { sed -n "/id=\"health-$1\"/,/<\/tr>/p" <<<"$BODY"; }
browse GET /de-enrollment
check "the health table has a row per client" test "$(health_row "$C" | grep -c "href=\"/de-enrollment?client=$C\"")" = 1
check "...the client's one stuck lead" grep -qF '<td class="stuck">1</td>' <<<"$(health_row "$C")"
check "...its success rate, under no threshold" grep -qF '<td class="success-rate">100.0 %</td>' <<<"$(health_row "$C")"
check "six failed runs are past the SOP's five, marked" grep -qF '<td class="failed past">6</td>' <<<"$(health_row "$C2")"
check "...and a 0 % success rate too" grep -qF '<td class="success-rate past">0.0 %</td>' <<<"$(health_row "$C2")"
check "...its level is a warning at least" grep -qE '<td class="level">(warning|error)</td>' <<<"$(health_row "$C2")"
check "the health table links its CSV" grep -qF 'href="/de-enrollment/health.csv"' <<<"$BODY"
request GET "/de-enrollment/health.csv" -b "$JAR"
expect_status 200 "the health table as CSV"
check "...header" grep -q '^client,client_id,level,runs_24h,successful_runs_24h,failed_runs_24h,partial_runs_24h,success_rate_24h,hours_since_success,avg_duration_ms_24h,leads_de_enrolled_24h,stuck_leads,' <<<"$BODY"
check "...the client: ok or notice, one stuck lead, 100 % success" grep -qE "^$C,[0-9a-f-]{36},(ok|notice),[0-9]+,[0-9]+,0,0,100.0,[0-9.]+,[0-9]+,[0-9]+,1," <<<"$BODY"
check "...six failed runs, 0 % success" grep -qE "^$C2,[0-9a-f-]{36},(warning|error),[0-9]+,0,6,0,0.0," <<<"$BODY"
browse GET /de-enrollment
check "an admin sees Run now" grep -q '<form id="run-now"' <<<"$BODY"
CSRF=$(field csrf)
RUNS=$(sql "SELECT count(*) FROM de_enrollment_runs")
browse POST /de-enrollment/run --data-urlencode "csrf=wrong" --data-urlencode "client_id=$CID"
expect_status 403 "run now without the CSRF token is refused"
check "...and runs nothing" test "$(sql "SELECT count(*) FROM de_enrollment_runs")" = "$RUNS"
browse POST /de-enrollment/run --data-urlencode "csrf=$CSRF" --data-urlencode "client_id=nope"
expect_status 400 "run now for a malformed client id"
browse POST /de-enrollment/run --data-urlencode "csrf=$CSRF" --data-urlencode "client_id=$CID"
expect_status 303 "run now for the client"
check "...back to the runs with what it did" grep -qE "^Location: /de-enrollment\?ran=1&de_enrolled=1&failed=0&partial=0&run=[0-9a-f-]{36}" <<<"$HEADERS"
NEWRUN=$(sed -n 's/^Location: .*run=\([0-9a-f-]*\).*/\1/p' <<<"$HEADERS" | tr -d '\r')
check "a run of the client, triggered by the admin, success, 1 de-enrolled" test "$(sql "SELECT client_id || ',' || triggered_by || ',' || status || ',' || leads_de_enrolled FROM de_enrollment_runs WHERE id = '$NEWRUN'")" = "$CID,portal:$ADMIN,success,1"
check "the stuck lead is completed" test "$(sql "SELECT completed_at IS NOT NULL AND NOT is_active FROM leads WHERE id = '$FREE'")" = t
browse GET "/de-enrollment?ran=1&de_enrolled=1&failed=0&partial=0&run=$NEWRUN"
check "the page says what ran" grep -q 'id="flash">Ran de-enrollment for 1 client: 1 lead de-enrolled, 0 failed, 0 partial.' <<<"$BODY"
check "...with a link to the run" grep -q "<a href=\"/de-enrollment/runs/$NEWRUN\">See the run</a>" <<<"$BODY"
browse GET "/de-enrollment?ran=1&de_enrolled=<b>&failed=0&partial=0"
check "a flash is made of numbers only" bash -c '! grep -q "id=\"flash\"" <<<"$0"' "$BODY"
browse GET "/de-enrollment/runs/$NEWRUN"
check "the run's lead log lists the lead" grep -q "href=\"/leads/$FREE\">Eve</a>" <<<"$BODY"
check "...and who ran it" grep -qF "<dd class=\"triggered-by\">portal:$ADMIN</dd>" <<<"$BODY"
browse POST /de-enrollment/run --data-urlencode "csrf=$CSRF" --data-urlencode "client_id=00000000-0000-4000-8000-000000000000"
expect_status 303 "run now for an unknown client"
check "...ran nothing" grep -q '^Location: /de-enrollment?ran=0&de_enrolled=0&failed=0&partial=0' <<<"$HEADERS"

# A viewer reads every page and posts nothing.
JAR=$TMP/viewer-cookies
check "a viewer logs in" login "campaigns-viewer-$$@example.com" "viewer-password-$$" viewer
browse GET "/campaigns?client=$C"
expect_status 200 "a viewer sees the campaigns"
check "...without Recalculate" bash -c '! grep -q "id=\"recalculate\"" <<<"$0"' "$BODY"
VCSRF=$(field csrf)
browse GET "/campaigns/$CAMP"
expect_status 200 "a viewer sees a campaign"
browse GET "/leads/$FREE"
check "a viewer sees the lead's campaign" grep -q '<dd class="campaign"><a href=' <<<"$BODY"
check "...but no enrol or remove form" bash -c '! grep -q "enrol-form\|remove-form" <<<"$0"' "$BODY"
VCSRF=$(field csrf)
sql "UPDATE campaigns SET active_leads_count = 99 WHERE id = '$CAMP'" >/dev/null
browse POST /campaigns/recalculate --data-urlencode "csrf=$VCSRF" --data-urlencode "client_id=$CID" --data-urlencode "client=$C"
expect_status 403 "a viewer cannot recalculate"
check "...nothing changed" test "$(sql "SELECT active_leads_count FROM campaigns WHERE id = '$CAMP'")" = 99
browse POST "/leads/$FREE/campaign/remove" --data-urlencode "csrf=$VCSRF"
expect_status 403 "a viewer cannot remove a lead from its campaign"
browse GET /de-enrollment
expect_status 200 "a viewer sees the de-enrollment page"
check "...without Run now" bash -c '! grep -q "id=\"run-now\"" <<<"$0"' "$BODY"
RUNS=$(sql "SELECT count(*) FROM de_enrollment_runs")
browse POST /de-enrollment/run --data-urlencode "csrf=$VCSRF" --data-urlencode "client_id=$CID"
expect_status 403 "a viewer cannot run de-enrollment"
check "...nothing ran" test "$(sql "SELECT count(*) FROM de_enrollment_runs")" = "$RUNS"
browse POST "/leads/$FREE/campaign" --data-urlencode "csrf=$VCSRF" --data-urlencode "campaign_id=$CAMP2"
expect_status 403 "a viewer cannot move a lead"
check "...it stayed on Spring" test "$(sql "SELECT campaign_link_id FROM leads WHERE id = '$FREE'")" = "$CAMP"

finish
