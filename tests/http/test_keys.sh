#!/usr/bin/env bash
# The API keys page through nginx: the list with its empty state, a new key
# shown once (never in a URL, the log or the list) that works on the API,
# validation that keeps what was typed, revocation behind a confirmation
# that stops the key on the API within 2 s, and who did what.
source "$(dirname "$0")/lib.sh"

ADMIN=keys-$$@example.com
check "log in as an admin" login "$ADMIN" "keys-password-$$"
ADMIN_ID=$(sql "SELECT id FROM admin_users WHERE email = '$ADMIN'")
KEYRE='mcrm_[0-9a-f]{12}_[A-Za-z0-9_-]{43}'
api_post() {
	request POST /api/internal/log-activity -H "x-api-key: $1" \
		-H 'Content-Type: application/json' \
		--data "{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"keys-$$\"}"
}

# The empty state: the keys other tests made are set aside for a moment.
sql "CREATE TABLE keys_aside_$$ AS SELECT * FROM api_keys; DELETE FROM api_keys" >/dev/null
browse GET /keys
expect_status 200 "the keys page answers with no keys"
check "it says there are none" grep -q '<p class="empty">No API keys yet' <<<"$BODY"
check "and has no table" bash -c '! grep -q "<table id=\"keys\"" <<<"$0"' "$BODY"
sql "INSERT INTO api_keys SELECT * FROM keys_aside_$$; DROP TABLE keys_aside_$$" >/dev/null

browse GET /keys
CSRF=$(field csrf)
check "an admin sees the form to make a key" grep -q '<form method="post" action="/keys"' <<<"$BODY"
check "the client list names the clients" grep -q '<option value="default">default</option>' <<<"$BODY"

# Validation: the message beside the field, what was typed kept, 400.
BEFORE=$(sql "SELECT count(*) FROM api_keys")
browse POST /keys --data-urlencode "csrf=$CSRF" --data-urlencode "name=" --data-urlencode "client=default"
expect_status 400 "a key without a name is refused"
check "the message is beside the name field" grep -q '<p class="error field-error" id="name-error">Give the key a name' <<<"$BODY"
check "the chosen client is kept" grep -q '<option value="default" selected>default</option>' <<<"$BODY"
LONG=$(printf 'n%.0s' $(seq 101))
browse POST /keys --data-urlencode "csrf=$CSRF" --data-urlencode "name=<b>$LONG" --data-urlencode "client="
expect_status 400 "a name over 100 characters is refused"
check "the typed name is kept, escaped" grep -qF "value=\"&lt;b&gt;$LONG\"" <<<"$BODY"
browse POST /keys --data-urlencode "csrf=$CSRF" --data-urlencode "name=wf-$$" --data-urlencode "client=no-such-client"
expect_status 400 "an unknown client is refused"
check "the message is beside the client field" grep -q '<p class="error field-error" id="client-error">There is no such client' <<<"$BODY"
check "the name is kept" grep -q "name=\"name\" value=\"wf-$$\"" <<<"$BODY"
expect_eq "$(sql "SELECT count(*) FROM api_keys")" "$BEFORE" "nothing was stored for a refused form"

# A key made on the page is shown once, on the answer itself.
browse POST /keys --data-urlencode "csrf=$CSRF" --data-urlencode "name=<i>wf-$$</i>" --data-urlencode "client=default"
expect_status 200 "an admin makes a key"
expect_header '^Cache-Control: no-store' "the answer is not cached"
check "there is no redirect to carry it" bash -c '! grep -qi "^Location:" <<<"$0"' "$HEADERS"
KEY=$(grep -oE "<code id=\"new-key\" class=\"secret\">$KEYRE</code>" <<<"$BODY" | grep -oE "$KEYRE")
check "the whole key is on the page" test -n "$KEY"
record_secret "$KEY"
check "its name is escaped" grep -qF "&lt;i&gt;wf-$$&lt;/i&gt;" <<<"$BODY"
PREFIX=$(cut -d_ -f2 <<<"$KEY")
ROW="SELECT %s FROM api_keys WHERE prefix = '$PREFIX'"
expect_eq "$(sql "$(printf "$ROW" "key_hash = sha256(convert_to('$KEY', 'UTF8'))")")" t "only its SHA-256 is stored"
expect_eq "$(sql "$(printf "$ROW" "created_by")")" "$ADMIN_ID" "who made it is recorded"
expect_eq "$(sql "$(printf "$ROW" "(SELECT slug FROM clients c WHERE c.id = client_id)")")" default "bound to the chosen client"
api_post "$KEY"
expect_status 201 "the new key works on the API"
browse GET /keys
check "the list does not show the key again" bash -c '! grep -qF "$1" <<<"$0"' "$BODY" "$KEY"
check "it shows its prefix, client and state" grep -qzE "<tr class=\"key\" id=\"key-$PREFIX\">.<td class=\"name\">&lt;i&gt;wf-$$&lt;/i&gt;</td>.<td><code>mcrm_${PREFIX}_…</code></td>.<td>default</td>.<td>[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{5} <span class=\"muted\">by $ADMIN</span></td>.<td>[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{5}</td>.<td class=\"state\">live</td>" <<<"$BODY"
check "the key is not in any log" bash -c '! grep -rqF "$0" "$1"/log' "$KEY" "$MINICRM_VAR"
check "the log says who made it" grep -qF "api key $PREFIX (<i>wf-$$</i>) created by $ADMIN" "$MINICRM_VAR/log/admin.log"

# Revocation: a confirmation first, then the key stops working.
KEY_ID=$(sql "$(printf "$ROW" id)")
check "the list links to the confirmation" grep -qF "href=\"/keys/$KEY_ID/revoke\"" <<<"$BODY"
browse GET "/keys/$KEY_ID/revoke"
expect_status 200 "the confirmation page answers"
check "it asks" grep -q "Are you sure?" <<<"$BODY"
check "with a form that posts the revocation" grep -qF "<form method=\"post\" action=\"/keys/$KEY_ID/revoke\"" <<<"$BODY"
expect_eq "$(sql "$(printf "$ROW" "revoked_at IS NULL")")" t "showing the confirmation revokes nothing"
browse GET "/keys/00000000-0000-0000-0000-000000000000/revoke"
expect_status 404 "an unknown key is 404"
browse GET "/keys/not-a-uuid/revoke"
expect_status 404 "so is a malformed id"
browse POST "/keys/00000000-0000-0000-0000-000000000000/revoke" --data-urlencode "csrf=$CSRF"
expect_status 404 "revoking an unknown key is 404"

api_post "$KEY"	# fresh in the API's cache
browse POST "/keys/$KEY_ID/revoke" --data-urlencode "csrf=$CSRF"
expect_status 303 "an admin revokes the key"
expect_header '^Location: /keys' "and goes back to the list"
REVOKED_AT=$(sql "$(printf "$ROW" revoked_at)")
check "it is revoked" test -n "$REVOKED_AT"
expect_eq "$(sql "$(printf "$ROW" revoked_by)")" "$ADMIN_ID" "who revoked it is recorded"
sleep 2.2
refused=0
for i in 1 2 3 4 5 6; do api_post "$KEY"; [ "$STATUS" = 401 ] && refused=$((refused + 1)); done
expect_eq "$refused" 6 "2 s later the API refuses the revoked key, on every worker"
browse GET /keys
check "the list shows it revoked, by whom" grep -qE "<td class=\"state\">revoked [0-9-]{10} [0-9:]{5} <span class=\"muted\">by $ADMIN</span></td>" <<<"$BODY"
check "without a revoke link" bash -c '! grep -qF "/keys/$1/revoke" <<<"$0"' "$BODY" "$KEY_ID"
browse POST "/keys/$KEY_ID/revoke" --data-urlencode "csrf=$CSRF"
expect_status 303 "revoking it again is harmless"
expect_eq "$(sql "$(printf "$ROW" revoked_at)")" "$REVOKED_AT" "and keeps the first time"
browse GET "/keys/$KEY_ID/revoke"
check "its confirmation page says it is revoked already" grep -q "was revoked at" <<<"$BODY"

# A key for any client, from the page, logs for the default client.
browse POST /keys --data-urlencode "csrf=$CSRF" --data-urlencode "name=any-$$" --data-urlencode "client="
expect_status 200 "a key for any client"
ANY=$(grep -oE "$KEYRE" <<<"$BODY" | head -n 1)
record_secret "$ANY"
expect_eq "$(sql "SELECT client_id IS NULL FROM api_keys WHERE name = 'any-$$'")" t "is bound to no client"
api_post "$ANY"
expect_status 201 "and works"

# The CLI makes keys through the same code.
CLI_KEY=$(new_key "cli-$$" --client default)
check "the CLI still makes keys" grep -qE "^$KEYRE\$" <<<"$CLI_KEY"
check "and refuses an unknown client" bash -c "! '$TOP/bin/minicrm' apikey create --name cli-$$ --client nope 2>&1 | grep -q mcrm_"
expect_eq "$(sql "SELECT created_by IS NULL FROM api_keys WHERE name = 'cli-$$'")" t "a CLI key has no portal author"

# A viewer reads the list but gets no form and no revoke links.
JAR=$TMP/viewer
check "log in as a viewer" login "keys-viewer-$$@example.com" "viewer-password-$$" viewer
browse GET /keys
expect_status 200 "a viewer sees the list"
check "without the form" bash -c '! grep -q "action=\"/keys\"" <<<"$0"' "$BODY"
check "without revoke links" bash -c '! grep -q "class=\"revoke\"" <<<"$0"' "$BODY"
browse POST /keys --data-urlencode "csrf=$(field csrf)" --data-urlencode "name=viewer-$$"
expect_status 403 "a viewer cannot make a key"
expect_eq "$(sql "SELECT count(*) FROM api_keys WHERE name = 'viewer-$$'")" 0 "and none was made"

finish
