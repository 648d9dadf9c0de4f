#!/usr/bin/env bash
# A known API key refused — revoked, or presented with the wrong secret —
# is counted on the key (sql 0009): a caller still using a revoked key
# (an n8n workflow, whose events are then neither logged nor queued)
# shows on the keys page and in one alert that clears an hour after the
# last refusal. Unknown keys are not recorded.
source "$(dirname "$0")/lib.sh"

HOOK=$TMP/hook
mkdir -p "$HOOK"
python3 "$TOP/tests/http/webhook_receiver.py" "$HOOK" &
HOOK_PID=$!
trap 'kill $HOOK_PID 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 50); do [ -f "$HOOK/port" ] && break; sleep 0.1; done
export ALERT_WEBHOOK_URL="http://127.0.0.1:$(cat "$HOOK/port")/services/T0/B0/keys-$$"
record_secret "/services/T0/B0/keys-$$"
received() { if [ -f "$HOOK/received" ]; then wc -l <"$HOOK/received"; else echo 0; fi; }
last_text() { tail -n 1 "$HOOK/received" | jq -r .text; }

NAME=refused-key-$$
KEY=$(new_key "$NAME")
post() { request POST /api/internal/log-activity -H "x-api-key: $1" -H 'Content-Type: application/json' --data-binary '{"event_type":"MESSAGE_SENT","lead_id":"recKR'$$'"}'; }
refusals() { sql "SELECT refused_count || ' ' || (last_refused_at IS NOT NULL) FROM api_keys WHERE name = '$NAME'"; }

post "$KEY"
expect_status 201 "the live key logs"
expect_eq "$(refusals)" "0 false" "nothing refused yet"
# Start from no key alert: refusals other tests caused are an hour old.
sql "UPDATE api_keys SET last_refused_at = now() - interval '2 hours' WHERE last_refused_at IS NOT NULL; DELETE FROM alert_state WHERE condition = 'api_key_refused'" >/dev/null
minicrm job run alerts >/dev/null 2>&1
expect_eq "$(received)" 0 "no refusal in the last hour: no alert"

minicrm apikey revoke "$NAME" >/dev/null
sleep 2.1	# past the API's key cache (MINICRM_APIKEY_CACHE_SECONDS, 2)
post "$KEY"
expect_status 401 "the revoked key is refused"
post "$KEY"
expect_eq "$(refusals)" "2 true" "each refusal is counted on the key, with its time"
post "${KEY%?}x"
expect_eq "$(refusals)" "3 true" "the key's prefix with a wrong secret is counted too"
before=$(sql "SELECT sum(refused_count) FROM api_keys")
post "mcrm_000000000000_nosuchkeynosuchkeynosuchkeynosuchkeynosuchke"
expect_status 401 "an unknown key is refused"
post "not-even-a-key"
expect_eq "$(sql "SELECT sum(refused_count) FROM api_keys")" "$before" "...and recorded nowhere"

check "log in as an admin" login "keys-refused-$$@example.com" "keys-refused-pw-$$"
browse GET /keys
check "the keys page shows the key's refusals" grep -q "refused 3× (last [0-9-]* [0-9:]* UTC)" <<<"$BODY"

minicrm job run alerts >/dev/null 2>&1
minicrm job run alerts >/dev/null 2>&1
expect_eq "$(received)" 1 "one alert over two runs"
check "it names the key and says it is revoked" grep -q "Key $NAME (mcrm_[0-9a-f]*_…), revoked: refused 3 times" <<<"$(last_text)"
sql "UPDATE api_keys SET last_refused_at = now() - interval '61 minutes' WHERE name = '$NAME'" >/dev/null
minicrm job run alerts >/dev/null 2>&1
expect_eq "$(received)" 2 "an hour without a refusal: cleared"
check "saying so" grep -q "No API key refused in the last hour" <<<"$(last_text)"
finish
