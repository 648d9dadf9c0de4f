#!/usr/bin/env bash
# admin.fcgi: pages rendered through the mustache engine from templates/,
# escaped, with the portal's security headers, readable 404s, `make
# reload` (SIGHUP) picking up an edited template without a restart, and a
# template that does not compile keeping admin.fcgi from starting.
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
check "and no socket was opened" test ! -e "$TMP/admin-broken.sock"

finish
