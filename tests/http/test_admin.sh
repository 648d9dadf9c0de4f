#!/usr/bin/env bash
# admin.fcgi: pages rendered through the mustache engine from templates/,
# escaped, with the portal's security headers, readable 404s, and `make
# reload` (SIGHUP) picking up an edited template without a restart.
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

# Edit a template: the compiled one stays cached until the reload. (Render
# the page first: templates compile on first use, and a request process
# started since the last render — test_recovery's restart, say — has none.)
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

finish
