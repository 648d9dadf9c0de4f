#!/usr/bin/env bash
# Access to the admin portal through nginx: anonymous users are sent to the
# login page, logins need the form's CSRF token, sessions are cookies that
# only hold a random token, logout ends them, expired sessions end, and
# password guessing is slowed down.
source "$(dirname "$0")/lib.sh"

EMAIL=access-$$@example.com
PW=correct-horse-battery-$$
record_secret "$PW"
check "create a user" bash -c "printf '%s\n' '$PW' | '$TOP/bin/minicrm' user create --email '$EMAIL' --role admin"

request GET /
expect_status 303 "an anonymous visitor is redirected"
expect_header '^Location: /login' "to the login page"
request POST /logout --data 'csrf=x'
expect_status 403 "an anonymous POST is refused"

browse GET /login
expect_status 200 "the login page answers"
expect_header '^Set-Cookie: minicrm_login=[A-Za-z0-9_-]{43}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax' "it sets the login cookie the CSRF token is bound to"
CSRF=$(field csrf)
check "the form carries a CSRF token" test ${#CSRF} -eq 43

browse POST /login --data-urlencode "email=$EMAIL" --data-urlencode "password=$PW"
expect_status 403 "a login without the CSRF token is refused"
browse POST /login --data-urlencode "csrf=${CSRF}x" --data-urlencode "email=$EMAIL" --data-urlencode "password=$PW"
expect_status 403 "a login with a wrong CSRF token is refused"

browse POST /login --data-urlencode "csrf=$CSRF" --data-urlencode "email=<b>$EMAIL" --data-urlencode "password=wrong-password-1"
expect_status 200 "a wrong password shows the form again"
check "with the message" grep -q "Wrong e-mail or password." <<<"$BODY"
check "and the e-mail typed, escaped" grep -qF "value=\"&lt;b&gt;$EMAIL\"" <<<"$BODY"

browse POST /login --data-urlencode "csrf=$CSRF" --data-urlencode "email=$EMAIL" --data-urlencode "password=$PW"
expect_status 303 "the right password logs in"
expect_header '^Location: /.?$' "and goes to the portal"
expect_header '^Set-Cookie: minicrm_session=[A-Za-z0-9_-]{43}; Path=/; Max-Age=[0-9]+; HttpOnly; SameSite=Lax' "the session cookie is HttpOnly and SameSite"
TOKEN=$(awk '$6 == "minicrm_session" { print $7 }' "$JAR")
check "only the token's hash is stored" test "$(sql "SELECT count(*) FROM admin_sessions WHERE token_hash = sha256(convert_to('$TOKEN', 'UTF8'))")" = 1
check "never the token itself" test "$(sql "SELECT count(*) FROM admin_sessions WHERE encode(token_hash, 'escape') LIKE '%$TOKEN%'")" = 0

browse GET /
expect_status 200 "the portal answers a logged-in user"
check "and knows who it is" grep -qF "Logged in as $EMAIL (admin)" <<<"$BODY"
expect_header "^Content-Security-Policy: default-src 'self'" "pages carry a CSP"
CSRF=$(field csrf)

# The checks in front of every route.
browse GET /logout
expect_status 405 "logout is a form, never a GET"
expect_header '^Allow: POST\s*$' "the 405 says the one method that works"
browse POST / --data-urlencode "csrf=$CSRF"
expect_status 405 "the dashboard takes no form"
expect_header '^Allow: GET, HEAD\s*$' "its 405 names GET and HEAD, not POST"
browse PUT /keys --data-urlencode "csrf=$CSRF"
expect_status 405 "PUT on the keys page"
expect_header '^Allow: GET, HEAD, POST\s*$' "a path with a page and a form allows both"
request DELETE /login
expect_status 405 "the login page refuses DELETE (it used to show the form)"
expect_header '^Allow: GET, HEAD, POST\s*$' "and says what it takes"

# HEAD is answered like GET, without the body.
head_request() {
	STATUS=$(curl -sS -I -b "$JAR" -o /dev/null -D "$TMP/headers" \
		-w '%{http_code} %{size_download}' "$BASE$1")
	HEADERS=$(cat "$TMP/headers")
}
for path in / /leads /activity /keys /retry-queue /login; do
	head_request "$path"
	expect_eq "$STATUS" "200 0" "HEAD $path: 200 and no body"
	expect_header '^Content-Type: text/html' "HEAD $path: the page's type"
done
head_request /activity/export.csv
expect_eq "$STATUS" "200 0" "HEAD of an export: 200 and no body"
expect_header '^Content-Disposition: attachment' "with the download's headers"
head_request /no-such-page
expect_eq "$STATUS" "404 0" "HEAD of an unknown page: 404"
browse GET '/?tz=%zz'
expect_status 400 "a malformed query string is a readable 400"
check "in the portal's layout" grep -q '<nav aria-label="Portal">' <<<"$BODY"
browse POST /no-such-form --data-urlencode "csrf=$CSRF"
expect_status 404 "a form sent to nowhere is a 404"
browse GET /no-such-page
expect_status 404 "an unknown page is a 404 page"
check "which names the path, escaped" grep -qF "/no-such-page" <<<"$BODY"

browse POST /logout --data "csrf=nope"
expect_status 403 "logout without the right CSRF token is refused"
browse GET /
expect_status 200 "...and the session goes on"
browse POST /logout --data-urlencode "csrf=$CSRF"
expect_status 303 "logout with the token"
expect_header '^Location: /login' "goes to the login page"
expect_header '^Set-Cookie: minicrm_session=; Path=/; Max-Age=0' "and deletes the cookie"
request GET / -b "minicrm_session=$TOKEN"
expect_status 303 "the old session token no longer opens the portal"
expect_eq "$(sql "SELECT count(*) FROM admin_sessions WHERE token_hash = sha256(convert_to('$TOKEN', 'UTF8'))")" 0 "the session row is gone"

# An expired session is a login redirect.
browse GET /login
CSRF=$(field csrf)
browse POST /login --data-urlencode "csrf=$CSRF" --data-urlencode "email=$EMAIL" --data-urlencode "password=$PW"
TOKEN=$(awk '$6 == "minicrm_session" { print $7 }' "$JAR")
sql "UPDATE admin_sessions SET created_at = now() - interval '13 hours', last_seen_at = now() - interval '13 hours', expires_at = now() - interval '1 hour' WHERE token_hash = sha256(convert_to('$TOKEN', 'UTF8'))" >/dev/null
browse GET /
expect_status 303 "an expired session goes to the login page"

# Password guessing from one address is slowed down.
browse GET /login
CSRF=$(field csrf)
for i in 1 2 3 4 5; do
	browse POST /login --data-urlencode "csrf=$CSRF" --data-urlencode "email=guess-$$@example.com" --data-urlencode "password=guess-$i-wrong"
done
browse POST /login --data-urlencode "csrf=$CSRF" --data-urlencode "email=$EMAIL" --data-urlencode "password=$PW"
expect_status 429 "after 5 failures, even the right password waits"
expect_header '^Retry-After: [0-9]+' "with Retry-After"
check "and says so" grep -q "Too many failed logins" <<<"$BODY"
sql "DELETE FROM login_attempts" >/dev/null

# A burst of guesses at once gets exactly as many password checks as the
# limit allows: the attempts are counted under a lock, so concurrent ones
# cannot all pass the count before any of them is recorded.
browse GET /login
CSRF=$(field csrf)
seq 40 | xargs -P 40 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
	-b "$JAR" --data-urlencode "csrf=$CSRF" \
	--data-urlencode "email=burst-$$@example.com" \
	--data-urlencode "password=burst-{}-wrong" "$BASE/login" > "$TMP/burst"
expect_eq "$(grep -c '^200$' "$TMP/burst")" 5 "40 parallel guesses: exactly 5 passwords checked (200, wrong password)"
expect_eq "$(grep -c '^429$' "$TMP/burst")" 35 "and the other 35 refused unchecked (429)"
expect_eq "$(sql "SELECT count(*) FROM login_attempts WHERE email = 'burst-$$@example.com'")" 5 "exactly 5 failures recorded"
sql "DELETE FROM login_attempts" >/dev/null

finish
