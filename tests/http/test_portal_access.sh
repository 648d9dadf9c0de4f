#!/usr/bin/env bash
# Access control on every route of the admin portal, through nginx:
#   anonymous GET → 303 /login, anonymous POST → 403;
#   a viewer reads every page (200) and is refused every change (403);
#   an admin's POST without the session's CSRF token, or with a wrong one,
#   is refused (403);
#   an expired session is sent to the login page;
# none of the refused requests changes anything in the database, and every
# answer carries the security headers (the CSP on every HTML page).
# The routes are listed once, below; a new page is a new line here.
source "$(dirname "$0")/lib.sh"

# --- the routes -------------------------------------------------------
# "METHOD PATH [FORM]": a GET is a page any logged-in user may read; a
# POST changes something and is for admins only (its FORM is what a real
# admin would send, so a POST let through would change the database);
# POST /logout is any user's. {lead}, {retry}, {retry2}, {retry3}, {key},
# {campaign}, {run}, {client}, {ncampaign} (a nurture campaign),
# {enrolment} (an enrolment in it), {nurture} (another, with e-mails),
# {send}, {send2} (two of its e-mails) are replaced by the ids of rows
# made below.
ROUTES=(
	"GET /"
	"GET /leads"
	"GET /leads?q=access&client=default&status=new&sort=name&dir=asc"
	"GET /leads/{lead}"
	"GET /leads/{lead}?type=MESSAGE_SENT&channel=sms&from=2020-01-01&to=2099-12-31&tz=Europe/Berlin"
	"GET /leads/{lead}/export.csv"
	"GET /activity"
	"GET /activity/export.csv"
	"GET /retry-queue"
	"GET /retry-queue/{retry}"
	"GET /retry-queue/{retry2}/discard"
	"GET /retry-queue/export.csv"
	"GET /keys"
	"GET /keys/{key}/revoke"
	"GET /campaigns"
	"GET /campaigns?client=default&recalculated=1"
	"GET /campaigns/export.csv?client=default"
	"GET /campaigns/{campaign}"
	"GET /campaigns/{campaign}?state=stuck"
	"GET /campaigns/{campaign}/leads.csv?state=all"
	"GET /de-enrollment"
	"GET /de-enrollment?client=default&status=success&from=2020-01-01&to=2099-12-31"
	"GET /de-enrollment/export.csv?status=success"
	"GET /de-enrollment/health.csv"
	"GET /de-enrollment/runs/{run}"
	"GET /de-enrollment/runs/{run}/export.csv"
	"GET /nurture/campaigns"
	"GET /nurture/campaigns?client=default&status=active"
	"GET /nurture/campaigns/export.csv?client=default&status=active"
	"GET /nurture/campaigns/{ncampaign}"
	"GET /nurture/campaigns/{ncampaign}?status=active&step_added=1"
	"GET /nurture/campaigns/{ncampaign}/enrollments.csv?status=all"
	"GET /nurture/campaigns/{ncampaign}/analytics.csv"
	"GET /nurture/campaigns/{ncampaign}/preview?step=1&lead={lead}"
	"GET /nurture"
	"GET /nurture?client=default&days=30&done=sender-paused"
	"GET /nurture/analytics.csv?client=default&days=90"
	"GET /nurture/sends"
	"GET /nurture/sends?state=unsettled&client=default&campaign={nurture}"
	"GET /nurture/sends/export.csv?state=failed"
	"GET /nurture/errors"
	"GET /nurture/errors?workflow=Lead+Nurture+-+Email+Sender"
	"GET /nurture/errors.csv"
	"GET /alerts"
	"GET /alerts?outcome=failed&kind=dead&from=2020-01-01&to=2099-12-31"
	"GET /alerts/export.csv"
	"GET /alerts/export.csv?outcome=sent&kind=retry_queue"
	"POST /leads/{lead}/note message=a+note+from+the+access+test"
	"POST /leads/{lead}/status status=contacted"
	"POST /leads/{lead}/campaign campaign_id={campaign}"
	"POST /leads/{lead}/campaign/remove"
	"POST /nurture/campaigns client=default&name=access-created-nurture&from_email=a%40example.com"
	"POST /nurture/campaigns/{ncampaign}/steps subject=Three&body=Third&delay_minutes=60"
	"POST /nurture/campaigns/{ncampaign}/steps/1 subject=Hi&body=Edited&delay_minutes=5"
	"POST /nurture/campaigns/{ncampaign}/steps/2/delete"
	"POST /nurture/campaigns/{ncampaign}/pause"
	"POST /nurture/campaigns/{ncampaign}/resume"
	"POST /nurture/campaigns/{ncampaign}/enroll q=access"
	"POST /leads/{lead}/nurture campaign_id={ncampaign}"
	"POST /nurture/enrollments/{enrolment}/cancel back=campaign"
	"POST /nurture/campaigns/{ncampaign}/archive"
	"POST /leads/{lead}/opt-out confirm=yes"
	"POST /retry-queue/{retry}/replay"
	"POST /retry-queue/replay id={retry3}"
	"POST /retry-queue/{retry2}/discard confirm=yes"
	"POST /keys name=access-test-key&client=default"
	"POST /keys/{key}/revoke"
	"POST /campaigns/recalculate client_id={client}&client=default"
	"POST /de-enrollment/run client_id={client}"
	"POST /nurture/sends/{send}/release"
	"POST /nurture/sends/{send2}/mark-sent"
	"POST /nurture/sender/pause reason=access+test"
	"POST /nurture/sender/resume"
	"POST /nurture/scheduler/pause reason=access+test"
	"POST /nurture/scheduler/resume reason=done"
	"POST /nurture/analytics/update"
	"POST /logout"
)

# --- what the routes point at ----------------------------------------
KEY=$(new_key "access-$$")
request POST /api/internal/log-activity -H "x-api-key: $KEY" -H 'Content-Type: application/json' \
	--data "{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"access-$$\",\"channel\":\"sms\",\"message\":\"hello\"}"
expect_status 201 "an event makes a lead to look at"
LEAD=$(sql "SELECT id FROM leads WHERE external_id = 'access-$$'")
CLIENT=$(sql "SELECT id FROM clients WHERE slug = 'default'")
retry_row() {
	sql "INSERT INTO retry_queue (client_id, payload, workflow, lead_id, event_type, error)
	     VALUES ('$CLIENT', '{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"access-retry-$$\"}',
	             'access-test', 'access-retry-$$', 'MESSAGE_SENT', 'timeout') RETURNING id" | head -n 1
}
RETRY=$(retry_row)
RETRY2=$(retry_row)
RETRY3=$(retry_row)
KEY_ID=$(sql "SELECT id FROM api_keys WHERE name = 'access-$$'")
CAMPAIGN=$(sql "INSERT INTO campaigns (client_id, name, messages) VALUES ('$CLIENT', 'access-$$', '[{\"body\": \"hi\"}]') RETURNING id" | head -n 1)
RUN=$(sql "INSERT INTO de_enrollment_runs (client_id, status, finished_at, duration_ms, triggered_by) VALUES ('$CLIENT', 'success', now(), 3, 'access-test') RETURNING id" | head -n 1)
# A nurture campaign of two steps; the lead gets an e-mail address so it
# can be enrolled; another lead is enrolled already (to be cancelled).
NCAMPAIGN=$(sql "INSERT INTO nurture_campaigns (organization_id, campaign_name, from_email) VALUES ('$CLIENT', 'access-$$', 'access@example.com') RETURNING id" | head -n 1)
sql "INSERT INTO nurture_campaign_steps (campaign_id, step_number, subject, body_template) VALUES ('$NCAMPAIGN', 1, 'Hi {{first_name}}', 'Hello'), ('$NCAMPAIGN', 2, 'Two', 'Second')" >/dev/null
sql "UPDATE leads SET email = 'access-$$@example.com' WHERE id = '$LEAD'" >/dev/null
NLEAD=$(sql "INSERT INTO leads (client_id, external_id, email) VALUES ('$CLIENT', 'access-nurture-$$', 'access-n-$$@example.com') RETURNING id" | head -n 1)
sql "SELECT nurture_enroll('$NCAMPAIGN', ARRAY['$NLEAD'::uuid], now(), 'access-test')" >/dev/null
ENROLMENT=$(sql "SELECT id FROM lead_campaign_enrollments WHERE lead_id = '$NLEAD'")
# A nurture campaign with two e-mails a sender claimed and never settled.
NURTURE=$(sql "INSERT INTO nurture_campaigns (organization_id, campaign_name, from_email) VALUES ('$CLIENT', 'access-sends-$$', 'a@example.com') RETURNING id" | head -n 1)
sql "UPDATE leads SET email = 'access-$$@example.com' WHERE id = '$LEAD'" >/dev/null
SEND_ENROLMENT=$(sql "INSERT INTO lead_campaign_enrollments (organization_id, lead_id, campaign_id) VALUES ('$CLIENT', '$LEAD', '$NURTURE') RETURNING id" | head -n 1)
unsettled_send() {
	sql "INSERT INTO email_sends (organization_id, enrollment_id, lead_id, campaign_id, step_number, scheduled_send_time, claimed_at, claimed_by)
	     VALUES ('$CLIENT', '$SEND_ENROLMENT', '$LEAD', '$NURTURE', $1, now(), now() - interval '1 hour', 'access-test') RETURNING id" | head -n 1
}
SEND=$(unsettled_send 1)
SEND2=$(unsettled_send 2)
path_of() {
	local p=${1#* }
	p=${p%% *}
	p=${p//\{nurture\}/$NURTURE}
	p=${p//\{send\}/$SEND}
	p=${p//\{send2\}/$SEND2}
	p=${p//\{lead\}/$LEAD}
	p=${p//\{retry\}/$RETRY}
	p=${p//\{retry2\}/$RETRY2}
	p=${p//\{retry3\}/$RETRY3}
	p=${p//\{campaign\}/$CAMPAIGN}
	p=${p//\{run\}/$RUN}
	p=${p//\{ncampaign\}/$NCAMPAIGN}
	p=${p//\{enrolment\}/$ENROLMENT}
	printf '%s' "${p//\{key\}/$KEY_ID}"
}
form_of() {
	local r=${1#* }
	[[ $r == *" "* ]] || return 0
	r=${r#* }
	r=${r//\{campaign\}/$CAMPAIGN}
	r=${r//\{client\}/$CLIENT}
	r=${r//\{ncampaign\}/$NCAMPAIGN}
	printf '%s' "${r//\{retry3\}/$RETRY3}"
}
method_of() { printf '%s' "${1%% *}"; }
is_change() { [ "$(method_of "$1")" = POST ] && [ "$(path_of "$1")" != /logout ]; }

# Everything a refused request could have changed, as one digest.
fingerprint() {
	sql "SELECT md5(concat_ws('|',
	  (SELECT count(*) FROM lead_activity_log),
	  (SELECT string_agg(concat(id, status, updated_at), ',' ORDER BY id) FROM leads),
	  (SELECT string_agg(concat(id, revoked_at), ',' ORDER BY id) FROM api_keys),
	  (SELECT string_agg(concat(id, state, attempts, updated_at), ',' ORDER BY id) FROM retry_queue),
	  (SELECT count(*) FROM admin_sessions),
	  (SELECT string_agg(concat(id, active_leads_count, updated_at), ',' ORDER BY id) FROM campaigns),
	  (SELECT count(*) FROM de_enrollment_runs),
	  (SELECT string_agg(concat(id, status, updated_at), ',' ORDER BY id) FROM nurture_campaigns),
	  (SELECT string_agg(concat(campaign_id, step_number, updated_at), ',' ORDER BY campaign_id, step_number) FROM nurture_campaign_steps),
	  (SELECT string_agg(concat(id, status), ',' ORDER BY id) FROM lead_campaign_enrollments),
	  (SELECT string_agg(concat(name, paused, reason, changed_by, changed_at), ',' ORDER BY name) FROM nurture_control),
	  (SELECT string_agg(concat(id, send_status, claimed_at, updated_at), ',' ORDER BY id) FROM email_sends)))"
}

# The security headers every answer carries, and the CSP on HTML pages.
security_headers() {
	local what=$1
	expect_header '^X-Content-Type-Options: nosniff' "$what: nosniff"
	expect_header '^X-Frame-Options: DENY' "$what: frame denial"
	expect_header '^Referrer-Policy: (no-referrer|same-origin|strict-origin)' "$what: referrer policy"
	if grep -qi '^Content-Type: text/html' <<<"$HEADERS"; then
		expect_header "^Content-Security-Policy: default-src 'self'.*frame-ancestors 'none'" "$what: the CSP"
		check "$what: the CSP allows no inline script" bash -c '! grep -i "^Content-Security-Policy:.*unsafe-inline" <<<"$0"' "$HEADERS"
	fi
}

# send ROUTE [curl args]: the request, with the route's form when a POST.
send() {
	local route=$1 form
	shift
	form=$(form_of "$route")
	if [ "$(method_of "$route")" = POST ]; then
		browse POST "$(path_of "$route")" --data "${form:+$form&}$CSRF_FIELD" "$@"
	else
		browse GET "$(path_of "$route")" "$@"
	fi
}

# --- anonymous --------------------------------------------------------
BEFORE=$(fingerprint)
CSRF_FIELD=csrf=nothing
for r in "${ROUTES[@]}"; do
	send "$r"
	if [ "$(method_of "$r")" = GET ]; then
		expect_status 303 "anonymous $r is redirected"
		expect_header '^Location: /login' "anonymous $r goes to /login"
	else
		expect_status 403 "anonymous $r is refused"
	fi
	security_headers "anonymous $r"
done
expect_eq "$(fingerprint)" "$BEFORE" "anonymous requests changed nothing"

# --- a viewer ---------------------------------------------------------
JAR=$TMP/viewer
VIEWER=access-viewer-$$@example.com
record_secret "viewer-password-$$"
printf '%s\n' "viewer-password-$$" | "$TOP/bin/minicrm" user create --email "$VIEWER" --role viewer >/dev/null
check "a viewer logs in" login "$VIEWER" "viewer-password-$$" viewer
browse GET /
CSRF_FIELD="csrf=$(field csrf)"
BEFORE=$(fingerprint)
for r in "${ROUTES[@]}"; do
	is_change "$r" && continue
	[ "$(path_of "$r")" = /logout ] && continue
	send "$r"
	expect_status 200 "a viewer reads $r"
	security_headers "viewer $r"
done
for r in "${ROUTES[@]}"; do
	is_change "$r" || continue
	send "$r"
	expect_status 403 "a viewer is refused $r"
	security_headers "viewer $r"
done
expect_eq "$(fingerprint)" "$BEFORE" "the viewer changed nothing"
browse GET /
expect_status 200 "the viewer's session goes on"

# --- an admin without the right CSRF token ------------------------------
JAR=$TMP/admin
ADMIN=access-admin-$$@example.com
check "an admin logs in" login "$ADMIN" "admin-password-$$" admin
browse GET /
GOOD_CSRF="csrf=$(field csrf)"
BEFORE=$(fingerprint)
for r in "${ROUTES[@]}"; do
	[ "$(method_of "$r")" = POST ] || continue
	CSRF_FIELD=x=1
	send "$r"
	expect_status 403 "an admin's $r without a CSRF token is refused"
	CSRF_FIELD="${GOOD_CSRF}x"
	send "$r"
	expect_status 403 "an admin's $r with a wrong CSRF token is refused"
	CSRF_FIELD="csrf=$(cut -d= -f2 <<<"$GOOD_CSRF" | rev)"
	send "$r"
	expect_status 403 "an admin's $r with another token of the right shape is refused"
done
expect_eq "$(fingerprint)" "$BEFORE" "the refused forms changed nothing"
browse GET /
expect_status 200 "the admin's session survived the bad logout forms"

# The same forms with the token do get through: the checks above refused
# requests that would otherwise have worked (none is a 403, 404 or 405).
CSRF_FIELD=$GOOD_CSRF
for r in "${ROUTES[@]}"; do
	is_change "$r" || continue
	send "$r"
	check "an admin's $r with the token is let through (status $STATUS)" \
		bash -c '[[ $0 =~ ^(200|201|204|303)$ ]]' "$STATUS"
done
check "and those changed the database" test "$(fingerprint)" != "$BEFORE"

# --- an expired session ---------------------------------------------------
TOKEN=$(awk '$6 == "minicrm_session" { print $7 }' "$JAR")
sql "UPDATE admin_sessions SET last_seen_at = now() - interval '13 hours', created_at = now() - interval '14 hours', expires_at = now() - interval '1 hour' WHERE token_hash = sha256(convert_to('$TOKEN', 'UTF8'))" >/dev/null
BEFORE=$(fingerprint)
for r in "${ROUTES[@]}"; do
	if [ "$(method_of "$r")" = GET ]; then
		request GET "$(path_of "$r")" -b "minicrm_session=$TOKEN"
		expect_status 303 "an expired session's $r goes to the login page"
		expect_header '^Location: /login' "...to /login ($r)"
		expect_header '^Set-Cookie: minicrm_session=; Path=/; Max-Age=0' "...and clears the cookie ($r)"
	else
		request POST "$(path_of "$r")" -b "minicrm_session=$TOKEN" --data "$CSRF_FIELD"
		expect_status 403 "an expired session's $r is refused"
	fi
done
expect_eq "$(fingerprint)" "$BEFORE" "an expired session changed nothing"

finish
