#!/usr/bin/env bash
# activity-health's events_last_hour and events_last_24h are exact: equal
# to what an operator's own query counts in the log
#   SELECT count(*) FROM lead_activity_log WHERE created_at > now() - interval '24 hours'
# before and after the worker's compaction, with events crowding both far
# ends of both windows (where counting by whole hours or minutes is off).
source "$(dirname "$0")/lib.sh"

C=he$$
sql "INSERT INTO clients (slug, name) VALUES ('$C', 'Health exact test')" >/dev/null
CID=$(sql "SELECT id FROM clients WHERE slug = '$C'")
LEAD=$(sql "INSERT INTO leads (client_id, external_id) VALUES ('$CID', 'recHE$$') RETURNING id")

# 20,000 events over 48 hours, and 4,000 more within 70 minutes either side
# of 24 hours ago and of an hour ago, each batch from its own session (so
# its own shard of the counts), at random microseconds.
log_events() {
	sql "INSERT INTO lead_activity_log (client_id, lead_id, event_type, occurred_at, created_at)
	 SELECT '$CID', '$LEAD', (ARRAY['MESSAGE_SENT','MESSAGE_DELIVERED','INBOUND_REPLY'])[1 + g % 3], t, t
	 FROM (SELECT g, $1 AS t FROM generate_series(1, $2) g) x ORDER BY t" >/dev/null
}
log_events "now() - random() * interval '48 hours'" 20000
log_events "now() - interval '24 hours' + (random() - 0.5) * interval '140 minutes'" 2000
log_events "now() - interval '1 hour' + (random() - 0.5) * interval '140 minutes'" 2000
log_events "now() - interval '24 hours' + (random() - 0.5) * interval '2 minutes'" 500
log_events "now() - interval '1 hour' + (random() - 0.5) * interval '2 minutes'" 500

# The figures and the operator's counts at one instant (one transaction).
same_instant() {
	psql "$OWNER_URL" -qAtX -v ON_ERROR_STOP=1 <<-'SQL'
	BEGIN;
	SELECT h.events_last_hour, h.events_last_24h,
	  (SELECT count(*) FROM lead_activity_log WHERE created_at > now() - interval '1 hour'),
	  (SELECT count(*) FROM lead_activity_log WHERE created_at > now() - interval '24 hours')
	FROM activity_health() h;
	COMMIT;
	SQL
}
IFS='|' read -r H D SOP_H SOP_D <<<"$(same_instant)"
expect_eq "$H" "$SOP_H" "events_last_hour equals the log's count, before compaction"
expect_eq "$D" "$SOP_D" "events_last_24h equals the log's count, before compaction"
check "the shards are there to fold" test "$(sql "SELECT count(*) FROM activity_counts WHERE shard <> 0")" -gt 0

check "compaction runs" minicrm job run compact
expect_eq "$(sql "SELECT count(*) FROM activity_counts WHERE shard <> 0 AND bucket < date_trunc('minute', now() - interval '2 minutes')") $(sql "SELECT count(*) FROM activity_counts_hourly WHERE shard <> 0 AND bucket < date_trunc('hour', now() - interval '2 minutes')")" "0 0" "no old shard is left, of minutes or hours"
expect_eq "$(sql "SELECT count(*) FROM activity_counts WHERE bucket < date_trunc('hour', now() - interval '26 hours')")" 0 "minute rows older than 26 hours are gone"
IFS='|' read -r H D SOP_H SOP_D <<<"$(same_instant)"
expect_eq "$H" "$SOP_H" "events_last_hour equals the log's count, after compaction"
expect_eq "$D" "$SOP_D" "events_last_24h equals the log's count, after compaction"
expect_eq "$(sql "SELECT sum(events) FROM activity_counts_hourly")" "$(sql "SELECT count(*) FROM lead_activity_log")" "the hourly counts hold every event of the log"

# Through the API: equal to the operator's count taken just before and
# just after (when those two agree, nothing crossed the window's edge).
sop24() { sql "SELECT count(*) FROM lead_activity_log WHERE created_at > now() - interval '24 hours'"; }
for try in 1 2 3 4 5; do
	BEFORE=$(sop24)
	request GET /api/internal/activity-health
	AFTER=$(sop24)
	[ "$BEFORE" = "$AFTER" ] && break
done
expect_status 200 "activity-health answers"
expect_json ".events_last_24h == $BEFORE" "the API's events_last_24h is the operator's count ($BEFORE)"

# An operator's erasure takes the events off the figures too: delete a
# third of them, spread over both windows' edges.
sql "DELETE FROM lead_activity_log WHERE lead_id = '$LEAD' AND id % 3 = 0" >/dev/null
IFS='|' read -r H D SOP_H SOP_D <<<"$(same_instant)"
expect_eq "$H $D" "$SOP_H $SOP_D" "after deleting events, both figures still equal the log's counts"

sql "DELETE FROM lead_activity_log WHERE lead_id = '$LEAD'" >/dev/null
expect_eq "$(sql "SELECT coalesce(sum(events), 0) FROM activity_counts_hourly WHERE client_id = '$CID'")" 0 "deleting them all leaves nothing counted for them"
finish
