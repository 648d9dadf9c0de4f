#!/usr/bin/env bash
# A CSV export that fails half way must not look whole: the rows sent so
# far arrive, then the connection is cut before the chunked body's last
# chunk, so the client reports an incomplete transfer, and admin.fcgi logs
# why. The failure here is the export's database session ended mid-stream
# (as a restart of PostgreSQL would), after the first batch has gone out.
source "$(dirname "$0")/lib.sh"

check "log in" login "export-abort-$$@example.com" "export-abort-password-$$"
C=xa$$
sql "INSERT INTO clients (slug, name) VALUES ('$C', 'Export abort test')" >/dev/null
CID=$(sql "SELECT id FROM clients WHERE slug = '$C'")
LEAD=$(sql "INSERT INTO leads (client_id, external_id, first_name) VALUES ('$CID', 'recXA$$', 'Abby') RETURNING id")
N=100000
sql "INSERT INTO lead_activity_log (client_id, lead_id, event_type, occurred_at, source, message)
 SELECT '$CID', '$LEAD', 'MESSAGE_SENT', timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',
  'xa', repeat('x', 200) || g FROM generate_series(1, $N) g;
 ANALYZE lead_activity_log" >/dev/null

# The whole export, for comparison: it ends well.
curl -sS -b "$JAR" -o "$TMP/whole.csv" "$BASE/leads/$LEAD/export.csv"
expect_eq "$?" 0 "an export that does not fail ends cleanly (curl exit 0)"
expect_eq "$(($(wc -l < "$TMP/whole.csv") - 1))" "$N" "with every event"

# The same export, with its database session ended once rows have reached
# the client (so after the 200 went out), between two batches: the
# export's session then sits in its transaction after a timeline query.
# As superuser, to end another role's session.
LOG=$MINICRM_VAR/log/admin.log
LOG_BEFORE=$(wc -l < "$LOG")
curl -sS -N -b "$JAR" -o "$TMP/cut.csv" -D "$TMP/cut.headers" "$BASE/leads/$LEAD/export.csv" 2>"$TMP/curl.err" &
CURL=$!
killed=0
for _ in $(seq 1000); do
	if [ -s "$TMP/cut.csv" ]; then
		killed=$(superuser_sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE usename = 'minicrm_app' AND state = 'idle in transaction'
			AND query ILIKE '%lead_activity_log%'")
		[ "$killed" -gt 0 ] && break
	fi
	kill -0 "$CURL" 2>/dev/null || break
	sleep 0.005
done
wait "$CURL"
RC=$?
check "the export's session was ended mid-stream ($killed)" test "${killed:-0}" -gt 0
ROWS=$(($(wc -l < "$TMP/cut.csv") - 1))
check "the export had begun: 200, CSV" bash -c 'head -n 1 "$0" | grep -q " 200" && grep -qi "^Content-Type: text/csv" "$0"' "$TMP/cut.headers"
check "some rows arrived before the failure ($ROWS)" test "$ROWS" -gt 0
check "but not all of them" test "$ROWS" -lt "$N"
check "curl reports an incomplete transfer, not a whole file (exit $RC: $(cat "$TMP/curl.err"))" test "$RC" -ne 0
sleep 0.2
check "nginx sees the export cut short" grep -q 'upstream prematurely closed connection.*export.csv' "$MINICRM_VAR/log/nginx-error.log"
check "admin.fcgi logs the cut export" bash -c "tail -n +$((LOG_BEFORE + 1)) '$LOG' | grep -q 'export lead-$LEAD.csv: cut short after'"

# admin.fcgi goes on serving (the next request reconnects).
browse GET "/leads/$LEAD/export.csv?from=2024-01-01&to=2024-01-01&tz=UTC"
expect_status 200 "the next export is answered"
browse GET "/leads/$LEAD?tz=UTC"
expect_status 200 "and the timeline"

sql "DELETE FROM lead_activity_log WHERE lead_id = '$LEAD'" >/dev/null
finish
