#!/usr/bin/env bash
# admin.fcgi: pages rendered through the mustache engine from templates/,
# escaped, with the portal's security headers, readable 404s, `make
# reload` (SIGHUP) picking up an edited template without a restart, a
# template that does not compile keeping admin.fcgi from starting, and the
# router's 404 for a path argument that cannot name a row.
source "$(dirname "$0")/lib.sh"

check "log in" login "admin-page-$$@example.com" "admin-page-password-$$"
browse GET '/leads/%3Cscript%3Ealert(1)%3C/script%3E'
expect_status 404 "a page that does not exist is a 404"
expect_header '^Content-Type: text/html; charset=utf-8' "as an HTML page"
check "in the portal's layout" grep -q '<link rel="stylesheet" href="/static/minicrm.css">' <<<"$BODY"
check "what the user typed is escaped" grep -qF '/leads/&lt;script&gt;alert(1)&lt;/script&gt;' <<<"$BODY"
check "...and never appears raw" bash -c '! grep -qF "<script>" <<<"$0"' "$BODY"
expect_header "^Content-Security-Policy: default-src 'self'" "a CSP on pages"
expect_header '^X-Frame-Options: DENY' "frame denial on pages"

# A path argument that cannot name a row: 404 with its own message, for
# every route that takes one — and only after the CSRF token and the role
# were checked (a viewer's POST is a 403 whatever the id).
browse GET /
CSRF=$(field csrf)
LEAD_MSG="There is no such lead."
KEY_MSG="There is no such API key."
ROW_MSG="There is no such retry-queue row."
BAD_ARGS=(
	"GET /leads/not-a-uuid|$LEAD_MSG"
	"GET /leads/68b6cddd-ed22-43e9-8c85-63052d3adf7/export.csv|$LEAD_MSG"
	"POST /leads/not-a-uuid/note|$LEAD_MSG"
	"POST /leads/not-a-uuid/status|$LEAD_MSG"
	"POST /leads/not-a-uuid/opt-out|$LEAD_MSG"
	"GET /keys/not-a-uuid/revoke|$KEY_MSG"
	"POST /keys/not-a-uuid/revoke|$KEY_MSG"
	"GET /retry-queue/0|$ROW_MSG"
	"GET /retry-queue/replay|$ROW_MSG"
	"GET /retry-queue/1234567890123456789|$ROW_MSG"
	"POST /retry-queue/abc/replay|$ROW_MSG"
	"GET /retry-queue/-1/discard|$ROW_MSG"
	"POST /retry-queue/abc/discard|$ROW_MSG"
)
for case in "${BAD_ARGS[@]}"; do
	route=${case%%|*} msg=${case#*|}
	method=${route%% *} path=${route#* }
	if [ "$method" = POST ]; then
		browse POST "$path" --data-urlencode "csrf=$CSRF" --data-urlencode "confirm=yes"
	else
		browse GET "$path"
	fi
	expect_status 404 "$route: a malformed id is a 404"
	check "$route: \"$msg\"" grep -qF "$msg" <<<"$BODY"
	if [ "$method" = POST ]; then
		browse POST "$path" --data-urlencode "confirm=yes"
		expect_status 403 "$route without the CSRF token: 403 first"
	fi
done
STATUS=$(curl -sS -I -b "$JAR" -o /dev/null -w '%{http_code} %{size_download}' "$BASE/leads/not-a-uuid")
expect_eq "$STATUS" "404 0" "HEAD takes the GET route's answer: 404, no body"
ADMIN_JAR=$JAR
JAR=$TMP/viewer-cookies
check "a viewer logs in" login "admin-page-viewer-$$@example.com" "admin-page-viewer-password-$$" viewer
browse GET /
browse POST /leads/not-a-uuid/note --data-urlencode "csrf=$(field csrf)" --data-urlencode "message=x"
expect_status 403 "a viewer's POST with a malformed id: the role's 403 first"
JAR=$ADMIN_JAR

request GET /static/minicrm.css
expect_status 200 "nginx serves static files"

# Edit a template: the one compiled at start-up (or at the last reload)
# stays until the reload.
browse GET /
tpl=${MINICRM_TEMPLATES:?make test sets MINICRM_TEMPLATES}/dashboard.mustache
saved=$TMP/dashboard.mustache
cp "$tpl" "$saved"
pid=$(cat "$MINICRM_VAR/run/admin.pid")
sed -i 's/Events per day, last 14 days/Edited while running/' "$tpl"
browse GET /
check "an edited template is not read before the reload" grep -q "Events per day, last 14 days" <<<"$BODY"
check "make reload signals admin.fcgi" "$TOP/scripts/instance.sh" reload
sleep 0.3
browse GET /
check "after the reload the edit shows" grep -q "Edited while running" <<<"$BODY"
expect_eq "$(cat "$MINICRM_VAR/run/admin.pid")" "$pid" "without a restart"

# A template that no longer compiles: a clean 500, never half a page.
printf '{{<layout}}{{$content}}{{#open}}{{/content}}{{/layout}}\n' > "$tpl"
"$TOP/scripts/instance.sh" reload >/dev/null
sleep 0.3
browse GET /
expect_status 500 "a broken template answers 500"
check "with a whole error page" grep -q "could not be rendered" <<<"$BODY"
check "the log names the template, line and column" grep -qE "dashboard.mustache:1:33: mismatched close tag" "$MINICRM_VAR/log/admin.log"
cp "$saved" "$tpl"
"$TOP/scripts/instance.sh" reload >/dev/null
sleep 0.3
browse GET /
expect_status 200 "fixed and reloaded, the page is back"

# At start-up every template is compiled: a broken one stops admin.fcgi
# before it serves anything, and the log says where.
broken=$TMP/templates-broken
cp -r "$MINICRM_TEMPLATES" "$broken"
printf '{{<layout}}{{$content}}{{#open}}{{/content}}{{/layout}}\n' > "$broken/keys_revoke.mustache"
MINICRM_TEMPLATES=$broken timeout 10 "$TOP/cgi-bin/admin.fcgi" --socket "$TMP/admin-broken.sock" 2>"$TMP/admin-broken.log"
rc=$?
check "admin.fcgi with a broken template does not start (exit $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
check "its log names the template, line and column" grep -qE "keys_revoke.mustache:1:33: mismatched close tag" "$TMP/admin-broken.log"

finish
