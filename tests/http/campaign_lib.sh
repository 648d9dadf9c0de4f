# campaign_lib.sh — sourced after lib.sh by the campaign and de-enrollment
# tests: events through the API, de-enrollment runs, and the SOP's own
# integrity queries (docs/sop/de-enrollment-sop.md), word for word.
#
#   events KEY JSON                 POST to log-activity (sets STATUS, BODY)
#   deenroll [--client-id=ID]       one de-enrollment run: `minicrm deenroll`
#                                   once it exists (DEENROLL_WITH=cli), else
#                                   the same SQL the job runs (=sql)
#   deenroll_sql [CLIENT_UUID]      the run by SQL: a de_enrollment_runs row,
#                                   process_de_enrollment_batch() until a
#                                   batch comes back short, each batch its
#                                   own transaction, the row closed
#   sop_stuck                       the SOP's stuck-leads count (Step 6.2)
#   sop_drift                       rows of the SOP's three drift queries
#                                   (Step 6.2, Level 3, Troubleshooting)
#   sop_duplicates                  rows of the SOP's duplicate query
#   recalc_changes                  campaigns_recalculate(): campaigns whose
#                                   four counts were not what the leads say
#   only_mine                       a filter: the lines naming a client of
#                                   MY_CLIENTS, or one of its campaigns or
#                                   leads
# MY_CLIENTS (the test's own clients, quoted and comma-separated) scopes
# sop_drift, sop_duplicates and recalc_changes: in `make test` other tests
# have left their own runs, failures and drift (on purpose) in the same
# database. The SOP's queries still run unchanged; only their rows are
# picked.
MY_CLIENTS=${MY_CLIENTS:-}

events() {
	request POST /api/internal/log-activity -H "x-api-key: $1" \
		-H 'Content-Type: application/json' --data "$2"
}

have_deenroll_cli() { "$TOP/bin/minicrm" 2>&1 | grep -q 'minicrm deenroll'; }
if [ -z "${DEENROLL_WITH:-}" ]; then
	if have_deenroll_cli; then DEENROLL_WITH=cli; else DEENROLL_WITH=sql; fi
fi

deenroll_sql() {
	psql "$OWNER_URL" -qAtX -v ON_ERROR_STOP=1 -v client="${1:-}" -v batch=100 \
		-f "$TOP/tests/deenroll_loop.sql"
}

deenroll() {
	if [ "$DEENROLL_WITH" = cli ]; then
		"$TOP/bin/minicrm" deenroll "$@" >/dev/null
	else
		deenroll_sql "${1:+${1#--client-id=}}" >/dev/null
	fi
}

only_mine() {
	if [ -z "$MY_CLIENTS" ]; then cat; return; fi
	sql "SELECT id FROM clients WHERE id IN ($MY_CLIENTS)
	     UNION ALL SELECT id FROM campaigns WHERE client_id IN ($MY_CLIENTS)
	     UNION ALL SELECT id FROM leads WHERE client_id IN ($MY_CLIENTS)" > "$TMP/mine.ids"
	grep -F -f "$TMP/mine.ids" || true
}

sop_stuck() {
	sql "SELECT COUNT(*) as stuck_leads
FROM leads l
JOIN campaigns c ON l.campaign_link_id = c.id
WHERE l.is_active = true
  AND l.completed_at IS NULL
  AND l.current_message_position >= jsonb_array_length(c.messages);"
}

sop_drift() { sop_drift_all | only_mine; }
sop_drift_all() {
	sql "SELECT
  c.id,
  c.name,
  c.active_leads_count as reported_active,
  COUNT(l.id) FILTER (WHERE l.is_active = true) as actual_active
FROM campaigns c
LEFT JOIN leads l ON l.campaign_link_id = c.id
GROUP BY c.id, c.name, c.active_leads_count
HAVING c.active_leads_count != COUNT(l.id) FILTER (WHERE l.is_active = true);"
	sql "SELECT
  c.id,
  c.active_leads_count as reported,
  COUNT(l.id) FILTER (WHERE l.is_active = true) as actual,
  ABS(c.active_leads_count - COUNT(l.id) FILTER (WHERE l.is_active = true)) as diff
FROM campaigns c
LEFT JOIN leads l ON l.campaign_link_id = c.id
GROUP BY c.id
HAVING ABS(c.active_leads_count - COUNT(l.id) FILTER (WHERE l.is_active = true)) > 10;"
	sql "SELECT
  c.id,
  c.name,
  c.active_leads_count as reported_active,
  COUNT(l.id) FILTER (WHERE l.is_active = true AND l.opted_out = false) as actual_active,
  ABS(c.active_leads_count - COUNT(l.id) FILTER (WHERE l.is_active = true AND l.opted_out = false)) as difference
FROM campaigns c
LEFT JOIN leads l ON l.campaign_link_id = c.id
GROUP BY c.id, c.name, c.active_leads_count
HAVING ABS(c.active_leads_count - COUNT(l.id) FILTER (WHERE l.is_active = true AND l.opted_out = false)) > 5
ORDER BY difference DESC;"
}

sop_duplicates() {
	sql "SELECT lead_id, COUNT(*) as count
FROM de_enrollment_lead_log
GROUP BY lead_id
HAVING COUNT(*) > 1;" | only_mine
}

recalc_changes() {
	if [ -z "$MY_CLIENTS" ]; then sql "SELECT campaigns_recalculate()"; return; fi
	sql "SELECT coalesce(sum(campaigns_recalculate(id)), 0) FROM clients WHERE id IN ($MY_CLIENTS)"
}
