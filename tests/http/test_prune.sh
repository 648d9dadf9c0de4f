#!/usr/bin/env bash
# The prune job: retry-queue rows replayed (done) more than
# RETRY_DONE_KEEP_DAYS ago are removed with their error history; rows done
# recently, and every pending, dead or discarded row whatever its age, stay.
# The app role may prune only through the job's function: it holds no
# DELETE on the queue.
source "$(dirname "$0")/lib.sh"

APP_URL=$(sed -n "s/^MINICRM_APP_DATABASE_URL='\(.*\)'$/\1/p" "$MINICRM_CONF")
app_sql() { psql "$APP_URL" -qAtX -v ON_ERROR_STOP=1 -c "$1" 2>&1; }
W=prune-$$
# row STATE AGE_DAYS: a queue row in STATE whose life ended AGE_DAYS ago.
row() {
	sql "INSERT INTO retry_queue (payload, workflow, execution_id, error, state, created_at, updated_at, done_at)
	     VALUES ('{}', '$W', '$1-$2-$RANDOM', 'HTTP 503', '$1', now() - interval '$2 days',
	             now() - interval '$2 days', CASE WHEN '$1' = 'done' THEN now() - interval '$2 days' END)
	     RETURNING id" | head -n 1
}
left() { sql "SELECT state || ':' || count(*) FROM retry_queue WHERE workflow = '$W' GROUP BY state ORDER BY state" | paste -sd' '; }

OLD_DONE=$(row done 40)
for _ in $(seq 4); do row done 31 >/dev/null; done
row done 29 >/dev/null
row done 0 >/dev/null
row pending 400 >/dev/null
row dead 400 >/dev/null
row discarded 400 >/dev/null
sql "INSERT INTO retry_queue_attempts (retry_id, attempt, error) VALUES ($OLD_DONE, 1, 'HTTP 503')" >/dev/null
expect_eq "$(sql "SELECT count(*) FROM retry_queue_attempts WHERE retry_id = $OLD_DONE")" "1" "the oldest done row has an error history"
expect_eq "$(left)" "dead:1 discarded:1 done:7 pending:1" "the queue holds seven done rows of all ages and one of each other state"

check "the app role may not delete queue rows itself" bash -c "app_sql() { psql '$APP_URL' -qAtX -c \"\$1\" 2>&1; }; app_sql \"DELETE FROM retry_queue WHERE workflow = '$W'\" | grep -q 'permission denied'"
check "job list names the prune job" bash -c "'$TOP/bin/minicrm' job list | grep -q '^prune'"

OUT=$("$TOP/bin/minicrm" job run prune 2>&1); RC=$?
expect_eq "$RC" 0 "job run prune exits 0"
check "and logs how many it removed" grep -q 'job prune: pruned 5 done rows replayed more than 30 days ago' <<<"$OUT"
expect_eq "$(left)" "dead:1 discarded:1 done:2 pending:1" "done rows older than 30 days are gone; recent done rows and other states stay"
expect_eq "$(sql "SELECT count(*) FROM retry_queue_attempts WHERE retry_id = $OLD_DONE")" "0" "a pruned row's error history goes with it"

OUT=$(RETRY_DONE_KEEP_DAYS=1 "$TOP/bin/minicrm" job run prune 2>&1)
expect_eq "$(left)" "dead:1 discarded:1 done:1 pending:1" "RETRY_DONE_KEEP_DAYS=1 also removes the 29-day-old row, not today's"

OUT=$("$TOP/bin/minicrm" job run prune 2>&1)
check "a second run finds nothing to do" grep -q 'pruned 0 done rows' <<<"$OUT"
check "the function refuses to remove rows done within the last hour, whatever it is asked" \
	test "$(app_sql "SELECT retry_queue_prune(interval '0', 100)")" = 0
expect_eq "$(left)" "dead:1 discarded:1 done:1 pending:1" "...so today's done row is still there"

# A long history goes in batches until none is left.
sql "INSERT INTO retry_queue (payload, workflow, execution_id, state, done_at)
     SELECT '{}', '$W', 'bulk-' || g, 'done', now() - interval '90 days' FROM generate_series(1, 12000) g" >/dev/null
OUT=$("$TOP/bin/minicrm" job run prune 2>&1)
check "12,000 old done rows are pruned in one run (several batches)" grep -q 'pruned 12000 done rows' <<<"$OUT"
expect_eq "$(left)" "dead:1 discarded:1 done:1 pending:1" "...and only they"

sql "DELETE FROM retry_queue WHERE workflow = '$W'" >/dev/null
finish
