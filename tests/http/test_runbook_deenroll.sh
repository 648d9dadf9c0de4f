#!/usr/bin/env bash
# The de-enrollment SOP's runbook runs unchanged (issue 12, "Runbook"):
# every SQL statement of docs/sop/de-enrollment-sop.md, extracted by
# tests/sop_sql.awk, run as the database owner the way an operator pastes
# a block into psql (one session per block, ON_ERROR_STOP), placeholders
# filled — against campaigns and leads loaded with the SOP's own column
# lists, events sent through the API, and a real de-enrollment run. Beyond
# "it ran", what the statements say: stuck leads before and after, no
# drift, no duplicates, the backup and its restore, the monthly cleanup.
#
# The SOP gets two things wrong, and these fail for exactly that reason:
# the index-usage query names pg_stat_user_indexes columns that do not
# exist (tablename), and the monthly cleanup runs VACUUM inside its own
# BEGIN … COMMIT (PostgreSQL refuses; the whole block rolls back). The
# cleanup's statements are then run one by one, as they must be.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/campaign_lib.sh"

SOP=$TOP/docs/sop/de-enrollment-sop.md
STMTS=$TMP/stmts
mkdir -p "$STMTS" "$TMP/out"
awk -v out="$STMTS" -f "$TOP/tests/sop_sql.awk" "$SOP" > "$TMP/index" ||
	{ fail "tests/sop_sql.awk reads the SOP"; finish; exit 1; }
TODAY=$(date -u +%Y%m%d)
KEY=$(new_key "runbook-$$")
A_SLUG=rba$$ B_SLUG=rbb$$
sql "INSERT INTO clients (slug, name) VALUES ('$A_SLUG', 'Runbook A'), ('$B_SLUG', 'Runbook B')" >/dev/null
A=$(sql "SELECT id FROM clients WHERE slug = '$A_SLUG'")
B=$(sql "SELECT id FROM clients WHERE slug = '$B_SLUG'")
MY_CLIENTS="'$A', '$B'"	# other tests' runs and drift are not ours to judge
STUCK0=$(sop_stuck)

# --- the operator's load from the old system: the SOP's column lists
sql "INSERT INTO campaigns (client_id, name, messages, is_active, active_leads_count) VALUES
  ('$A', 'Welcome', '[{\"body\": \"Hi\"}, {\"body\": \"Still there?\"}, {\"body\": \"Last one\"}]', true, 6),
  ('$A', 'Reactivation', '[{\"body\": \"Back?\"}, {\"body\": \"Offer\"}]', true, 2),
  ('$B', 'Welcome', '[{\"body\": \"Hello\"}]', true, 1)" >/dev/null
WA=$(sql "SELECT id FROM campaigns WHERE client_id = '$A' AND name = 'Welcome'")
RA=$(sql "SELECT id FROM campaigns WHERE client_id = '$A' AND name = 'Reactivation'")
WB=$(sql "SELECT id FROM campaigns WHERE client_id = '$B' AND name = 'Welcome'")
sql "INSERT INTO leads (client_id, external_id, first_name, last_name, campaign_link_id, current_message_position, is_active, opted_out) VALUES
  ('$A', 'a1', 'Ada', 'One', '$WA', 3, true, false),
  ('$A', 'a2', 'Bea', 'Two', '$WA', 3, true, false),
  ('$A', 'a3', 'Cy', 'Three', '$WA', 1, true, false),
  ('$A', 'a4', 'Di', 'Four', '$WA', 2, true, false),
  ('$A', 'a5', 'Ed', 'Five', '$WA', 0, true, false),
  ('$A', 'a6', 'Flo', 'Six', '$WA', 0, true, false),
  ('$A', 'a7', 'Gus', 'Seven', '$WA', 1, false, true),
  ('$A', 'r1', 'Hal', 'Eight', '$RA', 2, true, false),
  ('$A', 'r2', 'Ivy', 'Nine', '$RA', 1, true, false),
  ('$B', 'b1', 'Jo', 'Ten', '$WB', 0, true, false)" >/dev/null
lead() { sql "SELECT id FROM leads WHERE client_id = '${2:-$A}' AND external_id = '$1'"; }
LEAD_UUID=$(lead a3)
check "every other column of the loaded leads has its default" test "$(sql "SELECT count(*) FROM leads WHERE client_id IN ('$A', '$B') AND messages_received = 0 AND campaign_history = '[]' AND completed_at IS NULL AND booked_at IS NULL")" = 10
expect_eq "$(sop_drift)" "" "the SOP's drift queries find nothing after the load (counts given in the INSERT)"
expect_eq "$(recalc_changes)" 1 "the recalculation adds what the INSERT could not say: Welcome's opted-out lead"

# --- the SMS scheduler's events, through the API
events "$KEY" "[{\"client_id\":\"$A_SLUG\",\"lead_id\":\"a3\",\"event_type\":\"MESSAGE_SENT\",\"metadata\":{\"campaign\":\"Welcome\",\"step\":2}},
 {\"client_id\":\"$A_SLUG\",\"lead_id\":\"a4\",\"event_type\":\"MESSAGE_SENT\",\"metadata\":{\"campaign\":\"Welcome\",\"step\":3}},
 {\"client_id\":\"$A_SLUG\",\"lead_id\":\"a5\",\"event_type\":\"CAMPAIGN_ENROLLED\",\"metadata\":{\"campaign\":\"Nurture drip\",\"total_steps\":2}},
 {\"client_id\":\"$A_SLUG\",\"lead_id\":\"a6\",\"event_type\":\"OPTED_OUT\"},
 {\"client_id\":\"$A_SLUG\",\"lead_id\":\"r2\",\"event_type\":\"BOOKING_CONFIRMED\"},
 {\"client_id\":\"$A_SLUG\",\"lead_id\":\"a8\",\"event_type\":\"CAMPAIGN_ENROLLED\",\"metadata\":{\"campaign_id\":\"$WA\"}},
 {\"client_id\":\"$B_SLUG\",\"lead_id\":\"b1\",\"event_type\":\"MESSAGE_SENT\",\"metadata\":{\"campaign\":\"Welcome\",\"step\":1}}]"
expect_status 201 "the first batch of campaign events is stored"
events "$KEY" "[{\"client_id\":\"$A_SLUG\",\"lead_id\":\"a3\",\"event_type\":\"MESSAGE_SENT\",\"metadata\":{\"campaign\":\"Welcome\",\"step\":3}},
 {\"client_id\":\"$A_SLUG\",\"lead_id\":\"a5\",\"event_type\":\"MESSAGE_SENT\",\"metadata\":{\"campaign\":\"Nurture drip\",\"step\":1}},
 {\"client_id\":\"$A_SLUG\",\"lead_id\":\"a8\",\"event_type\":\"MESSAGE_SENT\",\"metadata\":{\"campaign_id\":\"$WA\",\"step\":1}},
 {\"client_id\":\"$A_SLUG\",\"lead_id\":\"r2\",\"event_type\":\"MESSAGE_SENT\",\"metadata\":{\"campaign_id\":\"$RA\",\"step\":2}}]"
expect_status 201 "the second batch is stored"
events "$KEY" "{\"client_id\":\"$A_SLUG\",\"lead_id\":\"a5\",\"event_type\":\"MESSAGE_SENT\",\"metadata\":{\"campaign\":\"Nurture drip\",\"step\":2}}"
expect_status 201 "the last step of the auto-discovered campaign is stored"
FINISHED=8	# a1 a2 a3 a4 a5 r1 r2 (client A), b1 (client B)
expect_eq "$(sop_stuck)" "$((STUCK0 + FINISHED))" "the SOP's stuck-leads query sees the 8 leads that finished"
expect_eq "$(sop_drift)" "" "the events kept the counts: no drift"

# --- running the SOP's blocks
declare -A KIND BLOCK
while IFS=$'\t' read -r n b _line kind _first; do KIND[$n]=$kind; BLOCK[$n]=$b; done < "$TMP/index"
RUNNABLE=0 TEMPLATES=0 CONTROL=0 META=0 PSQLC=0
fill() {
	sed -e "s/<client-uuid>/$A/g" -e "s/<lead-uuid>/$LEAD_UUID/g" \
		-e "s/<problem-client-uuid>/$A/g" -e "s/YYYYMMDD/$TODAY/g" "$STMTS/$1.sql"
}
tally() {	# tally N: count statement N as run
	local text
	text=$(cat "$STMTS/$1.sql")
	case ${KIND[$1]} in
	meta) META=$((META + 1)) ;;
	psql-c) PSQLC=$((PSQLC + 1)) ;;
	*)	if [[ $text =~ ^(BEGIN|COMMIT)\;$ ]]; then CONTROL=$((CONTROL + 1))
		elif [[ $text == *YYYYMMDD* ]]; then TEMPLATES=$((TEMPLATES + 1))
		else RUNNABLE=$((RUNNABLE + 1)); fi ;;
	esac
}
# run_block B: the statements of ```sql block B in one psql session, as
# pasted; each statement's output lands in $TMP/out/NNN. Sets BLOCK_RC and
# FAILED_AT (the statement that stopped the session) and BLOCK_ERR.
run_block() {
	local n script=$TMP/block.sql
	: > "$script"
	for n in $(awk -F'\t' -v b="$1" '$2 == b && $4 != "psql-c" { print $1 }' "$TMP/index"); do
		printf '\\echo @@%s\n' "$n" >> "$script"
		fill "$n" >> "$script"
	done
	psql "$OWNER_URL" -qAtX -v ON_ERROR_STOP=1 -f "$script" > "$TMP/block.out" 2> "$TMP/block.err"
	BLOCK_RC=$?
	BLOCK_ERR=$(cat "$TMP/block.err")
	awk -v dir="$TMP/out" '/^@@[0-9]+$/ { f = dir "/" substr($0, 3); printf "" > f; next } f { print > f }' "$TMP/block.out"
	local last
	last=$(grep -E '^@@[0-9]+$' "$TMP/block.out" | tail -n 1 | cut -c3-)
	FAILED_AT=
	for n in $(awk -F'\t' -v b="$1" '$2 == b && $4 != "psql-c" { print $1 }' "$TMP/index"); do
		if [ "$BLOCK_RC" -ne 0 ] && [ "$n" = "$last" ]; then FAILED_AT=$n; break; fi
		tally "$n"
	done
}
out() { cat "$TMP/out/$1"; }
# run_ok B "what": block B must run through.
run_ok() {
	run_block "$1"
	if [ "$BLOCK_RC" -eq 0 ]; then pass; else fail "SOP block $1 ($2) runs unchanged" "statement ${FAILED_AT:-?}: $BLOCK_ERR"; fi
}
# psql_c N: a `psql -c "…"` of the SOP's bash blocks.
psql_c() {
	if psql "$OWNER_URL" -qAtX -v ON_ERROR_STOP=1 -c "$(fill "$1")" > "$TMP/out/$1" 2>&1; then
		tally "$1"; pass
	else fail "the SOP's psql -c \"$(cat "$STMTS/$1.sql")\" runs" "$(cat "$TMP/out/$1")"; fi
}
stmt_of() { grep -lF -- "$1" "$STMTS"/*.sql | head -n "${2:-1}" | tail -n 1 | xargs -n1 basename | cut -d. -f1; }
psql_c_of() { S=$1 awk -F'\t' '$4 == "psql-c" && index($5, ENVIRON["S"]) == 1 { print $1; exit }' "$TMP/index"; }

check "no placeholder is left once filled" test -z "$(LEAD_UUID=x; for f in "$STMTS"/*.sql; do fill "$(basename "$f" .sql)"; done | grep -E '<[a-z-]+>|YYYYMMDD')"

# Pre-deployment: backups, baseline, the migrations' checks.
run_ok 1 "the checklist's backups, dated today"
run_ok 2 "Step 1.2 backups"
check "the backups hold every lead and campaign" test "$(sql "SELECT (SELECT count(*) FROM leads_backup_20241104) = (SELECT count(*) FROM leads) AND (SELECT count(*) FROM campaigns_backup_20241104) = (SELECT count(*) FROM campaigns)")" = t
run_ok 3 "Step 1.3 baseline"
for n in $(psql_c_of '\d leads') $(psql_c_of '\d campaigns') $(psql_c_of '\d de_enrollment_runs') $(psql_c_of '\df get_leads'); do psql_c "$n"; done
check "\\d leads shows completed_at and campaign_history (Step 2.1's grep)" grep -qE "completed_at.*campaign_history|campaign_history" "$TMP/out/$(psql_c_of '\d leads')"
check "\\d campaigns shows is_active and active_leads_count" grep -q "active_leads_count" "$TMP/out/$(psql_c_of '\d campaigns')"
check "\\df lists get_leads_for_de_enrollment" grep -q "get_leads_for_de_enrollment" "$TMP/out/$(psql_c_of '\df get_leads')"
run_ok 4 "Step 2.2 migration checks"
n=$(stmt_of "FROM information_schema.columns")
expect_eq "$(wc -l < "$TMP/out/$n")" 11 "Step 2.2 finds the ten columns it names (is_active on both tables)"
n=$(stmt_of "FROM information_schema.routines")
check "Step 2.2 finds the de-enrollment functions" grep -q "^process_de_enrollment_batch$" "$TMP/out/$n"
run_ok 5 "Step 3.2 migration results"

# Phase 4: one client first (Step 4.2), then all.
psql_c "$(psql_c_of 'SELECT client_id FROM campaigns')"
deenroll --client-id="$A"
check "a run for client A alone succeeded and de-enrolled its 7 finished leads" test "$(sql "SELECT status || ' ' || leads_de_enrolled FROM de_enrollment_runs WHERE client_id = '$A' ORDER BY run_at DESC LIMIT 1")" = "success 7"
expect_eq "$(sop_stuck)" "$((STUCK0 + 1))" "client B's finished lead is still waiting"
psql_c "$(psql_c_of 'SELECT * FROM de_enrollment_runs')"
deenroll
expect_eq "$(sop_stuck)" 0 "after a run for all clients no lead is stuck"

run_ok 6 "Step 5.3"
run_ok 7 "Step 6.1"
run_ok 8 "Step 6.2 integrity"
expect_eq "$(out "$(stmt_of 'as stuck_leads')")" 0 "Step 6.2: no stuck leads remain"
expect_eq "$(out "$(stmt_of 'HAVING c.active_leads_count != COUNT')" | only_mine)" "" "Step 6.2: campaign stats match reality"
run_ok 9 "morning health check"
n=$(stmt_of "as total_runs")
check "the morning check counts today's runs, at least the 8 leads processed" awk -F'|' -v f=$FINISHED '$1 >= 2 && $5 >= f { ok = 1 } END { exit !ok }' "$TMP/out/$n"
expect_eq "$(sql "SELECT count(*) FROM de_enrollment_runs WHERE client_id IN ($MY_CLIENTS) AND status <> 'success'")" 0 "...ours all succeeded"
expect_eq "$(out "$(stmt_of 'OR hours_since_success > 2')" | only_mine)" "" "neither client needs an alert"
expect_eq "$(out "$(stmt_of 'as stuck_count')")" 0 "the morning stuck count is 0"
run_ok 10 "weekly review"
run_ok 11 "Level 1 assessment"
run_ok 12 "Level 1 recovery"
run_ok 13 "Level 2 problem clients"
expect_eq "$(out "$(stmt_of 'array_agg(DISTINCT error_details)')" | only_mine)" "" "neither client has failed runs"
run_ok 14 "Level 3 damage assessment"
expect_eq "$(out "$(stmt_of 'HAVING COUNT(*) > 1;')" | only_mine)" "" "Level 3: no lead was de-enrolled twice"
expect_eq "$(out "$(stmt_of 'as diff')" | only_mine)" "" "Level 3: no campaign's stats are off"
run_ok 15 "Level 3 stats fix"
expect_eq "$(recalc_changes)" 0 "the SOP's fix and campaigns_recalculate() agree: nothing left to change"
check "Step 3.2: today's completions are the 8" test "$(sql "SELECT COUNT(*) FROM leads WHERE completed_at IS NOT NULL AND completed_at::date = CURRENT_DATE AND client_id IN ('$A', '$B')")" = "$FINISHED"
check "each de-enrolled lead has one completed journey; a5 also its move, a6 its opt-out" test "$(sql "SELECT string_agg(external_id || ':' || (SELECT string_agg(j->>'outcome', ',') FROM jsonb_array_elements(campaign_history) j), ' ' ORDER BY external_id) FROM leads WHERE client_id IN ('$A', '$B') AND campaign_history <> '[]'")" = "a1:completed a2:completed a3:completed a4:completed a5:moved,completed a6:opted_out b1:completed r1:completed r2:completed"
check "r2's journey says it booked" test "$(sql "SELECT campaign_history->-1->>'booked' FROM leads WHERE id = '$(lead r2)'")" = true
check "each has its CAMPAIGN_COMPLETED event" test "$(sql "SELECT count(DISTINCT lead_id) FROM lead_activity_log WHERE event_type = 'CAMPAIGN_COMPLETED' AND client_id IN ('$A', '$B')")" = "$FINISHED"
check "Welcome's counts: 1 active (a8, on its way), 4 completed, 2 opted out (a6, a7)" test "$(sql "SELECT active_leads_count || ' ' || completed_leads_count || ' ' || opted_out_count FROM campaigns WHERE id = '$WA'")" = "1 4 2"

# Rollback: backups, restore, and the state before the run again.
run_ok 16 "rollback Step 2, the backups exist"
run_ok 17 "rollback Step 4, the restore"
expect_eq "$(sql "SELECT count(*) FROM leads l JOIN leads_backup_20241104 b ON b.id = l.id WHERE (l.is_active, l.completed_at, l.campaign_history) IS DISTINCT FROM (b.is_active, b.completed_at, b.campaign_history)")" 0 "the restore puts every lead back as the backup had it"
expect_eq "$(sop_stuck)" "$((STUCK0 + FINISHED))" "the 8 leads are waiting again"
expect_eq "$(sop_drift)" "" "and the restored counts match the restored leads"
expect_eq "$(recalc_changes)" 0 "exactly"
run_ok 18 "rollback Step 5"

# The monthly cleanup, with a run older than 90 days and a lead log older
# than 30 in a recent run.
OLD_RUN=$(sql "INSERT INTO de_enrollment_runs (client_id, run_at, finished_at, status) VALUES ('$A', now() - interval '100 days', now() - interval '100 days', 'success') RETURNING id")
RECENT_RUN=$(sql "INSERT INTO de_enrollment_runs (client_id, status, finished_at) VALUES ('$B', 'success', now()) RETURNING id")
sql "INSERT INTO de_enrollment_lead_log (run_id, lead_id, client_id, processed_at) VALUES ('$OLD_RUN', '$(lead a8)', '$A', now() - interval '100 days'), ('$RECENT_RUN', '$(lead a7)', '$A', now() - interval '40 days')" >/dev/null
LOGS_BEFORE=$(sql "SELECT count(*) FROM de_enrollment_lead_log")
run_block 19
check "the SOP's cleanup block fails, as written, at its VACUUM (not allowed inside BEGIN … COMMIT)" test "$BLOCK_RC" -ne 0 -a "$(cat "$STMTS/$FAILED_AT.sql")" = "VACUUM ANALYZE de_enrollment_runs;"
check "...with PostgreSQL's reason" grep -q "VACUUM cannot run inside a transaction block" <<<"$BLOCK_ERR"
check "...and its BEGIN rolls the archive and the deletes back" test "$(sql "SELECT to_regclass('de_enrollment_runs_archive') IS NULL AND EXISTS (SELECT 1 FROM de_enrollment_runs WHERE id = '$OLD_RUN') AND (SELECT count(*) FROM de_enrollment_lead_log) = $LOGS_BEFORE")" = t
CLEAN_OK=1
for n in $(awk -F'\t' '$2 == 19 { print $1 }' "$TMP/index"); do
	if [[ $(cat "$STMTS/$n.sql") =~ ^(BEGIN|COMMIT)\;$ ]]; then
		[ "$n" -gt "$FAILED_AT" ] && tally "$n"
		continue
	fi
	[ "$n" -lt "$FAILED_AT" ] && RUNNABLE=$((RUNNABLE - 1))	# counted again below
	if psql "$OWNER_URL" -qAtX -v ON_ERROR_STOP=1 -f <(fill "$n") > "$TMP/out/$n" 2>&1; then tally "$n"; else CLEAN_OK=0; fi
done
check "its statements one by one (autocommit) all run" test "$CLEAN_OK" = 1
check "the old run is archived and gone, its lead log with it" test "$(sql "SELECT (SELECT count(*) FROM de_enrollment_runs_archive WHERE id = '$OLD_RUN') = 1 AND NOT EXISTS (SELECT 1 FROM de_enrollment_runs WHERE id = '$OLD_RUN') AND NOT EXISTS (SELECT 1 FROM de_enrollment_lead_log WHERE run_id = '$OLD_RUN')")" = t
check "the 40-day-old lead log is gone, its recent run and today's logs kept" test "$(sql "SELECT EXISTS (SELECT 1 FROM de_enrollment_runs WHERE id = '$RECENT_RUN') AND NOT EXISTS (SELECT 1 FROM de_enrollment_lead_log WHERE run_id = '$RECENT_RUN') AND (SELECT count(*) FROM de_enrollment_lead_log) = $LOGS_BEFORE - 2")" = t

# The one statement the SOP gets wrong.
run_block 20
check "the index-usage query fails" test "$BLOCK_RC" -ne 0 -a -n "$FAILED_AT"
check "...because pg_stat_user_indexes has no column tablename" grep -q 'column "tablename" does not exist' <<<"$BLOCK_ERR"
WRONG=$FAILED_AT

for b in 21 22 23 24 26 27 28; do run_ok "$b" "troubleshooting and appendix"; done
expect_eq "$(out "$(stmt_of 'as times_processed')" | only_mine)" "" "the duplicate-processing query finds none"
expect_eq "$(out "$(stmt_of 'as difference')" | only_mine)" "" "the drift diagnosis finds none"
expect_eq "$(out "$(stmt_of "AND l.client_id = '<client-uuid>'")" | cut -d'|' -f2 | sort | tr '\n' ' ')" "Ada Bea Cy Di Ed Hal Ivy " "Appendix A lists client A's 7 leads ready for de-enrollment (restored)"
expect_eq "$(out "$(stmt_of "WHERE l.lead_id = '<lead-uuid>'")" | cut -d'|' -f3,4,5)" "de_enroll|completed|2" "Appendix A: the lead's history shows its de-enrollment, the 2 messages it was sent here"

# After the restore the job finds the leads again and completes them.
deenroll
expect_eq "$(sop_stuck)" 0 "a run after the restore completes the restored leads again"
expect_eq "$(sop_drift)" "" "...and the counts follow"

echo "SOP statements run: $RUNNABLE runnable SQL statements (issue 12 says 44), plus $TEMPLATES checklist templates (YYYYMMDD filled with $TODAY), $CONTROL BEGIN/COMMIT, $META psql meta-commands, $PSQLC psql -c commands; 1 fails as the SOP has it wrong (statement $WRONG, line $(awk -F'\t' -v n="$WRONG" '$1 == n { print $3 }' "$TMP/index"))"
expect_eq "$RUNNABLE" 44 "the SOP's 44 runnable statements all ran"
finish
