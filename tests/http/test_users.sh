#!/usr/bin/env bash
# `minicrm user disable|enable|passwd` and what they do to the portal
# through nginx: disabling ends a logged-in session at once and refuses
# logins; enabling lets the user in again; a new password (from stdin, or
# made up and printed once when stdin is a terminal) ends every session and
# retires the old password.
source "$(dirname "$0")/lib.sh"

EMAIL=users-$$@example.com
PW=users-password-$$
record_secret "$PW"
user() { "$TOP/bin/minicrm" user "$@"; }
sessions() { sql "SELECT count(*) FROM admin_sessions s JOIN admin_users u ON u.id = s.user_id WHERE u.email = '$EMAIL'"; }
# try_login PASSWORD [JAR]: a fresh login; STATUS 303 on success.
try_login() {
	local jar=${2:-$TMP/try}
	rm -f "$jar"
	request GET /login -b "$jar" -c "$jar"
	request POST /login -b "$jar" -c "$jar" --data-urlencode "csrf=$(field csrf)" \
		--data-urlencode "email=$EMAIL" --data-urlencode "password=$1"
}

check "log in (two sessions, two browsers)" login "$EMAIL" "$PW" admin
try_login "$PW" "$TMP/second"
expect_status 303 "a second session"
expect_eq "$(sessions)" 2 "two sessions are live"
browse GET /
expect_status 200 "the session works"

# disable
check "an unknown user cannot be disabled" bash -c "! '$TOP/bin/minicrm' user disable --email nobody-$$@example.com"
check "the usage is shown without --email" bash -c "'$TOP/bin/minicrm' user disable 2>&1 | grep -q 'user disable|enable --email'"
user disable --email "${EMAIL^^}" 2>"$TMP/err"
expect_eq "$?" 0 "disable finds the user whatever the case of the e-mail"
check "and says how many sessions ended" grep -q "is disabled; 2 sessions ended" "$TMP/err"
expect_eq "$(sessions)" 0 "the user's sessions are gone"
expect_eq "$(sql "SELECT disabled_at IS NOT NULL FROM admin_users WHERE email = '$EMAIL'")" t "disabled_at is set"
browse GET /
expect_status 303 "the logged-in browser is sent to the login page"
expect_header '^Location: /login' "...to /login"
request GET / -b "$TMP/second"
expect_status 303 "so is the other one"
browse POST /logout --data "csrf=x"
expect_status 403 "and its forms are refused"
try_login "$PW"
expect_status 200 "a disabled user cannot log in"
check "with the one message for every failure" grep -q "Wrong e-mail or password." <<<"$BODY"
FIRST=$(sql "SELECT disabled_at FROM admin_users WHERE email = '$EMAIL'")
check "disabling twice is fine" user disable --email "$EMAIL"
expect_eq "$(sql "SELECT disabled_at FROM admin_users WHERE email = '$EMAIL'")" "$FIRST" "and keeps the first time"
check "user list says disabled" bash -c "'$TOP/bin/minicrm' user list | grep -E '$EMAIL +admin .* disabled'"

# enable
check "enable" user enable --email "$EMAIL"
expect_eq "$(sql "SELECT disabled_at IS NULL FROM admin_users WHERE email = '$EMAIL'")" t "disabled_at is cleared"
expect_eq "$(sessions)" 0 "enabling starts no session"
try_login "$PW" "$JAR"
expect_status 303 "the user can log in again"
browse GET /
expect_status 200 "and use the portal"
check "an unknown user cannot be enabled" bash -c "! '$TOP/bin/minicrm' user enable --email nobody-$$@example.com"

# passwd from stdin
try_login "$PW" "$TMP/second"
expect_eq "$(sessions)" 2 "two sessions again"
OLD_HASH=$(sql "SELECT password_hash FROM admin_users WHERE email = '$EMAIL'")
check "a short new password is refused" bash -c "! printf 'short\n' | '$TOP/bin/minicrm' user passwd --email '$EMAIL'"
expect_eq "$(sql "SELECT password_hash FROM admin_users WHERE email = '$EMAIL'")" "$OLD_HASH" "and changes nothing"
expect_eq "$(sessions)" 2 "nor ends a session"
check "an unknown user gets no password" bash -c "! printf 'long-enough-password\n' | '$TOP/bin/minicrm' user passwd --email nobody-$$@example.com"
NEW=new-password-$$-ok
printf '%s\n' "$NEW" | user passwd --email "$EMAIL" >"$TMP/out" 2>"$TMP/err"
expect_eq "$?" 0 "passwd takes the new password from stdin"
check "prints no password then" test ! -s "$TMP/out"
check "and says the sessions ended" grep -q "has a new password; 2 sessions ended" "$TMP/err"
check "the hash is argon2id" test "$(sql "SELECT password_hash LIKE '\$argon2id\$%' AND password_hash <> '$OLD_HASH' FROM admin_users WHERE email = '$EMAIL'")" = t
expect_eq "$(sessions)" 0 "every session of the user ended"
browse GET /
expect_status 303 "the logged-in browser must log in again"
try_login "$PW"
expect_status 200 "the old password no longer works"
try_login "$NEW" "$JAR"
expect_status 303 "the new one does"

# passwd on a terminal: one is made up and printed once.
script -qec "'$TOP/bin/minicrm' user passwd --email '$EMAIL'" /dev/null </dev/null >"$TMP/tty" 2>&1
GEN=$(grep -oE '^[A-Za-z0-9_-]{20}' "$TMP/tty" | tr -d '\r' | head -n 1)
check "on a terminal a password is made up and printed" test ${#GEN} -eq 20
check "once, saying so" grep -q "shown only now" "$TMP/tty"
browse GET /
expect_status 303 "that also ended the session"
try_login "$NEW"
expect_status 200 "the previous password is retired"
try_login "$GEN"
expect_status 303 "the printed password logs in"

# Another user's sessions are untouched.
OTHER=users-other-$$@example.com
JAR=$TMP/other
check "another user logs in" login "$OTHER" "other-password-$$" viewer
check "disable the first user" user disable --email "$EMAIL"
browse GET /
expect_status 200 "the other user's session goes on"

finish
