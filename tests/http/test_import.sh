#!/usr/bin/env bash
# The Airtable cutover (issue 14, docs/airtable-cutover.md): `minicrm import
# airtable` reads the hand-written exports in tests/import/ (a BOM, every
# date style, quoted text with commas, quotes and newlines, multi-select
# tags, linked records by record id and by name, bad rows) into a client of
# its own: leads with their fields, SMS_Audit rows as timeline events (seen
# in the portal), retry-queue rows; every refused row reported with its row,
# column and reason (stderr and --report CSV); --dry-run writes nothing; a
# second import adds nothing; a large generated export killed with -9 half
# way is completed exactly by running it again; `import compare` matches
# after an import and shows the difference once events are deleted.
# Everything it made is deleted at the end (other tests count leads).
source "$(dirname "$0")/lib.sh"

S=$$
C=imp$S
minicrm client create "$C" >/dev/null
CID=$(sql "SELECT id FROM clients WHERE slug = '$C'")
FIX=$TOP/tests/import
cleanup() {
	sql "DELETE FROM lead_activity_log WHERE client_id = '$CID';
	     DELETE FROM retry_queue WHERE client_id = '$CID';
	     DELETE FROM leads WHERE client_id = '$CID';
	     DELETE FROM activity_counts WHERE client_id = '$CID';
	     DELETE FROM clients WHERE id = '$CID'" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
events() { sql "SELECT count(*) FROM lead_activity_log WHERE client_id = '$CID'"; }
leads() { sql "SELECT count(*) FROM leads WHERE client_id = '$CID'"; }
queued() { sql "SELECT count(*) FROM retry_queue WHERE client_id = '$CID'"; }
lead_uuid() { sql "SELECT id FROM leads WHERE client_id = '$CID' AND external_id = '$1'"; }
imp() { minicrm import airtable --client "$C" "$@"; }

# --- usage and unusable files --------------------------------------------
minicrm import airtable --table nope "$FIX/leads.csv" >/dev/null 2>"$TMP/err"; RC=$?
expect_eq "$RC" 2 "an unknown --table is a usage error (exit 2)"
check "the usage documents the exit codes" grep -q "exit: 0 done" "$TMP/err"
imp --table leads "$TMP/missing.csv" >/dev/null 2>"$TMP/err"; RC=$?
expect_eq "$RC" 4 "a missing file exits 4"
imp --table retry_queue "$FIX/leads.csv" >/dev/null 2>"$TMP/err"; RC=$?
expect_eq "$RC" 4 "a leads export given as retry_queue exits 4"
check "it names the missing column" grep -q 'no "payload" column' "$TMP/err"
minicrm import airtable --table leads --timezone Mars/Olympus "$FIX/leads.csv" >/dev/null 2>&1; RC=$?
expect_eq "$RC" 2 "an unknown time zone is refused"

# --- leads: dry run first, then for real ---------------------------------
OUT=$(imp --table leads --dry-run "$FIX/leads.csv" 2>"$TMP/err"); RC=$?
expect_eq "$RC" 3 "dry run of leads with bad rows exits 3"
check "the dry run says what it would add" grep -q "4 rows read, 2 leads added.*2 refused (dry run: nothing was written)" <<<"$OUT"
expect_eq "$(leads)" 0 "the dry run wrote no lead"
check "the bad e-mail is reported with row, record and column" \
	grep -q "row 3 (line 4, recLEAD000000003C): Email: is not an e-mail address" "$TMP/err"
check "the bad date is reported" grep -q "row 4 (line 5, recLEAD000000004D): Created: is not a date" "$TMP/err"

OUT=$(imp --table leads "$FIX/leads.csv" 2>/dev/null); RC=$?
expect_eq "$RC" 3 "the import of leads exits 3 (rows refused)"
expect_eq "$(leads)" 2 "two leads imported, the two bad rows not"
expect_eq "$(sql "SELECT concat_ws('|', first_name, last_name, email, phone, status, metadata->>'airtable_name', metadata->'tags', created_at AT TIME ZONE 'UTC') FROM leads WHERE client_id = '$CID' AND external_id = 'recLEAD000000001A'")" \
	'Ada|Lovelace|ada@example.com|+15550000001|Engaged|Ada Lovelace|["VIP", "Webinar"]|2024-03-01 09:00:00' \
	"Ada's fields, multi-select tags and US-format created date landed"
expect_eq "$(sql "SELECT concat_ws('|', first_name, last_name) FROM leads WHERE client_id = '$CID' AND external_id = 'recLEAD000000002B'")" \
	'Grace|Hopper' "a lead with only a Name gets first and last name from it"
OUT=$(imp --table leads "$FIX/leads.csv" 2>/dev/null)
check "a second import of leads adds nothing" grep -q "2 refused" <<<"$OUT"
check "... and says the two are already there" grep -q "0 leads added, 2 already there" <<<"$OUT"

# --- sms_audit: events with every date style -----------------------------
imp --table sms_audit --dry-run "$FIX/sms_audit.csv" >/dev/null 2>&1
expect_eq "$(events)" 0 "a dry run of sms_audit writes no event"
OUT=$(imp --table sms_audit --report "$TMP/report.csv" "$FIX/sms_audit.csv" 2>"$TMP/err"); RC=$?
expect_eq "$RC" 3 "sms_audit with bad rows exits 3"
check "12 rows read, 5 events added, 7 refused" grep -q "12 rows read, 5 events added, 0 already there, 0 new leads, 7 refused" <<<"$OUT"
expect_eq "$(events)" 5 "five events stored"
ev() { sql "SELECT concat_ws('|', a.event_type, a.occurred_at AT TIME ZONE 'UTC', a.source, a.message, a.metadata->>'phone', a.metadata->'tags', a.idempotency_key) FROM lead_activity_log a WHERE a.client_id = '$CID' AND a.metadata->>'airtable_record_id' = '$1'"; }
expect_eq "$(ev recSMS0000000001A)" \
	'MESSAGE_SENT|2024-03-05 14:07:00|UYSP-Kajabi-SMS-Scheduler|Hi Ada, your call is booked|+15550000001|["VIP", "Webinar"]|airtable:recSMS0000000001A' \
	"'Sent' with an ISO-style date, quoted comma and tags: MESSAGE_SENT at 14:07 UTC, key airtable:<record id>"
expect_eq "$(ev recSMS0000000002A | cut -d'|' -f1-2)" 'MESSAGE_DELIVERED|2024-03-05 14:09:00' \
	"'Delivered' with a US date 3/5/2024 2:09pm"
expect_eq "$(ev recSMS0000000003A | head -n 1 | cut -d'|' -f1-2)" 'INBOUND_REPLY|2024-03-05 14:15:00' \
	"a Friendly date, and a lead linked by its name (Ada Lovelace)"
expect_eq "$(sql "SELECT message FROM lead_activity_log WHERE client_id = '$CID' AND metadata->>'airtable_record_id' = 'recSMS0000000003A'")" \
	"$(printf 'Yes,\nsee you "then"')" "a quoted cell with a newline and doubled quotes kept whole"
expect_eq "$(ev recSMS0000000004A | cut -d'|' -f6)" '["Hot, warm", "Cold"]' \
	"a multi-select option holding a comma stays one option"
expect_eq "$(ev recSMS0000000005A | cut -d'|' -f2)" '2024-03-06 15:30:00' \
	"ISO 8601 with an offset (-05:00) stored in UTC"
expect_eq "$(sql "SELECT l.external_id FROM lead_activity_log a JOIN leads l ON l.id = a.lead_id WHERE a.client_id = '$CID' AND a.metadata->>'airtable_record_id' = 'recSMS0000000003A'")" \
	recLEAD000000001A "the reply linked by name is Ada's event"

# The refusals, each with its column and reason, as CSV too.
for want in \
	'6,8,recSMS0000000006A,Sent At,"?is not a date' \
	'7,9,recSMS0000000007A,Lead,"?links more than one lead' \
	'8,10,recSMS0000000008A,Event,"?is not a known event type' \
	'9,11,recSMS0000000009A,Campaign,"?is required with metadata.step' \
	'10,12,,Record ID,"?is empty' \
	'12,14,recSMS0000000012A,Sent At,"?must not be more than a day in the future'; do
	check "refused with row, line, record, column and reason: $want" grep -qE "^$want" "$TMP/report.csv"
done
check "the report is CSV with a header" grep -q '^row,line,record_id,column,reason' "$TMP/report.csv"
check "the report names the unknown lead name" grep -q '^11,.*recSMS0000000011A,Lead,"""Nobody Known"" names no lead' "$TMP/report.csv"
check "the report has the bad event type's row" grep -q '^8,10,recSMS0000000008A,Event,is not a known event type' "$TMP/report.csv"
expect_eq "$(($(wc -l <"$TMP/report.csv") - 1))" 7 "seven refusals in the report, one per bad row"
imp --table sms_audit "$FIX/sms_audit.csv" >/dev/null 2>"$TMP/err"
check "without --report the refusals go to stderr" grep -q "row 8 (line 10, recSMS0000000008A): Event: is not a known event type" "$TMP/err"
expect_eq "$(events)" 5 "a second import of sms_audit adds nothing"
# A record twice in one export: the fast INSERT meets its own duplicate key
# and the chunk goes in again the careful way (ON CONFLICT): one event,
# the first row's, and with it the chunk's other new row.
printf 'Record ID,Lead,Event,Sent At,Text\nrecSMSTWICE00001A,recLEAD000000001A,Sent,2024-03-07 10:00,first\nrecSMSTWICE00002A,recLEAD000000001A,Delivered,2024-03-07 10:01,\nrecSMSTWICE00001A,recLEAD000000001A,Sent,2024-03-07 10:00,again\n' >"$TMP/twice.csv"
imp --table sms_audit "$TMP/twice.csv" >/dev/null 2>"$TMP/err"
expect_eq "$?" 0 "an export with a record twice imports"
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log WHERE client_id = '$CID' AND metadata->>'airtable_record_id' = 'recSMSTWICE00001A'")" 1 \
	"the record given twice is stored once"
expect_eq "$(sql "SELECT message FROM lead_activity_log WHERE client_id = '$CID' AND metadata->>'airtable_record_id' = 'recSMSTWICE00001A'")" first \
	"... from its first row"
expect_eq "$(events)" 7 "... beside the chunk's other new event"
# A second chunk (--chunk 2) holding a key stored before: counted as
# already there, the chunks' new rows stored, a lead new in the first chunk
# found again in the second.
printf 'Record ID,Lead,Event,Sent At,Text\nrecSMSPROBE00001A,recLEAD000000002B,Sent,2024-03-08 10:00,p1\nrecSMSPROBE00002A,recLEADPROBE0001A,Sent,2024-03-08 10:01,p2\nrecSMSTWICE00002A,recLEAD000000001A,Delivered,2024-03-07 10:01,\nrecSMSPROBE00003A,recLEADPROBE0001A,Delivered,2024-03-08 10:02,p3\n' >"$TMP/probe.csv"
OUT=$(imp --table sms_audit --chunk 2 --workers 1 "$TMP/probe.csv" 2>&1); RC=$?
expect_eq "$RC" 0 "an export whose second chunk holds a stored key imports"
check "3 added, the stored one already there, one new lead ($OUT)" \
	grep -q "4 rows read, 3 events added, 1 already there, 1 new leads, 0 refused" <<<"$OUT"
expect_eq "$(sql "SELECT string_agg(a.message, ',' ORDER BY a.occurred_at) FROM lead_activity_log a JOIN leads l ON l.id = a.lead_id WHERE a.client_id = '$CID' AND l.external_id = 'recLEADPROBE0001A'")" \
	"p2,p3" "the new lead's two events, across both chunks, are its own"
expect_eq "$(events)" 10 "three events more, none twice"

# The timeline in the portal shows the imported events.
check "log in" login "import-$S@example.com" "import-password-$S"
browse GET "/leads/$(lead_uuid recLEAD000000001A)"
expect_status 200 "Ada's timeline"
check "her timeline shows the imported message" grep -q "Hi Ada, your call is booked" <<<"$BODY"
check "... and the reply" grep -q "INBOUND_REPLY" <<<"$BODY"

# --- retry_queue ----------------------------------------------------------
OUT=$(imp --table retry_queue "$FIX/retry_queue.csv" 2>"$TMP/err"); RC=$?
expect_eq "$RC" 3 "retry_queue with bad rows exits 3"
expect_eq "$(queued)" 2 "two queue rows imported"
expect_eq "$(sql "SELECT concat_ws('|', state, workflow, execution_id, lead_id, event_type, error, attempts, created_at AT TIME ZONE 'UTC', airtable_record_id) FROM retry_queue WHERE client_id = '$CID' AND execution_id = '29345'")" \
	'pending|UYSP-Kajabi-SMS-Scheduler|29345|recLEAD000000001A|MESSAGE_SENT|HTTP 503 after 3 retries|3|2024-03-05 14:07:00|recRQ00000000001A' \
	"a queue row keeps workflow, execution, lead, type, error, retry count and date, pending"
check "a row without payload is refused" grep -q "row 3 (line 4, recRQ00000000003A): payload: is required" "$TMP/err"
check "a retry count that is no number is refused" grep -q "row 4 (line 5, recRQ00000000004A): retry_count: must be a whole number" "$TMP/err"
imp --table retry_queue "$FIX/retry_queue.csv" >/dev/null 2>&1
expect_eq "$(queued)" 2 "a second import of retry_queue adds nothing"

# --- compare: the parallel run's check -----------------------------------
python3 "$TOP/bench/import_gen.py" 300 30 > "$TMP/clean.csv"
OUT=$(imp --table sms_audit "$TMP/clean.csv" 2>&1); RC=$?
expect_eq "$RC" 0 "a clean generated export imports with exit 0"
OUT=$(minicrm import compare --airtable "$TMP/clean.csv" --client "$C"); RC=$?
expect_eq "$RC" 0 "compare after the import: counts match (exit 0)"
check "compare says so" grep -q "counts match" <<<"$OUT"
check "compare lists a day and type with both counts" grep -qE "^2024-01-01  MESSAGE_SENT +[0-9]+ +[0-9]+ +\+0$" <<<"$OUT"
sql "DELETE FROM lead_activity_log WHERE client_id = '$CID' AND event_type = 'MESSAGE_DELIVERED' AND metadata->>'airtable_record_id' IN ('recSMS00000000001', 'recSMS00000000008')" >/dev/null
OUT=$(minicrm import compare --airtable "$TMP/clean.csv" --client "$C" --csv); RC=$?
expect_eq "$RC" 3 "after deleting two events compare exits 3"
check "the CSV has the header" grep -q "^day,event_type,airtable,postgresql,difference" <<<"$OUT"
check "the CSV shows the day's two missing deliveries" grep -qE "^2024-01-01,MESSAGE_DELIVERED,[0-9]+,[0-9]+,-2" <<<"$OUT"
OUT=$(minicrm import compare --airtable "$FIX/sms_audit.csv" --client "$C")
check "the fixture's refused event type shows as a difference" grep -qE "SMOKE_SIGNAL +1 +0 +-1" <<<"$OUT"

# --- progress on a terminal, quiet otherwise -----------------------------
python3 "$TOP/bench/import_gen.py" 3000 300 | sed 's/recSMS/recTTY/' > "$TMP/tty.csv"
script -qec "$TOP/bin/minicrm import airtable --client $C --table sms_audit $TMP/tty.csv" /dev/null >"$TMP/tty.out" 2>&1
check "a terminal shows the progress bar" grep -q "\] 100% 3000 rows, 0 refused" "$TMP/tty.out"
imp --table sms_audit "$TMP/tty.csv" >/dev/null 2>"$TMP/err"
check "not a terminal: no progress" test ! -s "$TMP/err"

# --- kill -9 half way, then run again: completed exactly -----------------
N=60000
python3 "$TOP/bench/import_gen.py" $N 2000 | sed 's/recSMS/recBIG/' > "$TMP/big.csv"
BEFORE=$(events)
# The program itself in the background (not a shell function: $! would
# be a subshell, and kill -9 would leave the import running).
"$TOP/bin/minicrm" import airtable --client "$C" --table sms_audit --chunk 2000 --workers 2 "$TMP/big.csv" >/dev/null 2>&1 &
PID=$!
for _ in $(seq 600); do
	[ "$(events)" -gt "$BEFORE" ] && break
	sleep 0.05
done
kill -9 $PID 2>/dev/null; wait $PID 2>/dev/null
# A COMMIT the client sent just before it died may still be landing.
sleep 1
MID=$(( $(events) - BEFORE ))
check "the killed import had committed some chunks ($MID events)" test "$MID" -gt 0
check "... but not all of them" test "$MID" -lt $N
OUT=$(imp --table sms_audit --chunk 2000 --workers 2 "$TMP/big.csv" 2>&1); RC=$?
expect_eq "$RC" 0 "the rerun (two workers) exits 0"
expect_eq "$(( $(events) - BEFORE ))" $N "the rerun completed the import: every row once"
check "the rerun counted what was there ($OUT)" grep -q "$((N - MID)) events added, $MID already there" <<<"$OUT"
expect_eq "$(sql "SELECT count(*) - count(DISTINCT idempotency_key) FROM lead_activity_log WHERE client_id = '$CID'")" 0 \
	"no event stored twice"
OUT=$(imp --table sms_audit --chunk 2000 "$TMP/big.csv" 2>&1)
check "a third run adds nothing" grep -q "0 events added, $N already there" <<<"$OUT"

# --- SIGTERM stops between chunks: exit 5, and a rerun completes --------
python3 "$TOP/bench/import_gen.py" 40000 1000 | sed 's/recSMS/recSIG/' > "$TMP/sig.csv"
BEFORE=$(events)
"$TOP/bin/minicrm" import airtable --client "$C" --table sms_audit --chunk 1000 "$TMP/sig.csv" >"$TMP/sig.out" 2>"$TMP/sig.err" &
PID=$!
for _ in $(seq 600); do
	[ "$(events)" -gt "$BEFORE" ] && break
	sleep 0.05
done
kill -TERM $PID; wait $PID; RC=$?
expect_eq "$RC" 5 "SIGTERM stops the import with exit 5"
check "it says to run it again" grep -q "run the same command again" "$TMP/sig.err"
imp --table sms_audit "$TMP/sig.csv" >/dev/null 2>&1
expect_eq "$(( $(events) - BEFORE ))" 40000 "the rerun after SIGTERM completes it"

finish
