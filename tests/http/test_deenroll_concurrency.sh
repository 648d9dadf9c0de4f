#!/usr/bin/env bash
# Exact under concurrency (issue 12): two de-enrollment runs at once for
# the same clients, while the API moves leads forward (MESSAGE_SENT steps,
# replays of old steps, enrolments and moves) and the portal enrols and
# moves leads (through its form, POST /leads/{id}/campaign, and its
# CAMPAIGN_ENROLLED statement run directly as the app role) — ROUNDS
# times. After every round: no lead de-enrolled twice (the
# SOP's duplicate query, and no journey completed twice in
# campaign_history), one log row and one CAMPAIGN_COMPLETED event per
# completion, every run succeeded, the SOP's drift queries return nothing
# and the counts equal the recalculation; a quiet run then leaves no lead
# stuck (none was skipped for good).
#
# The runs are `minicrm deenroll` (DEENROLL_WITH=cli) when it exists, else
# the job's SQL (campaign_lib.sh, deenroll_sql).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/campaign_lib.sh"

ROUNDS=${ROUNDS:-20}
PER_CLIENT=${PER_CLIENT:-300}	# leads enrolled per client and round
APP_URL=$(sed -n "s/^MINICRM_APP_DATABASE_URL='\(.*\)'$/\1/p" "$MINICRM_CONF")
KEY=$(new_key "concurrency-$$")
SLUGS=(cc$$a cc$$b)
declare -A CID
for s in "${SLUGS[@]}"; do
	CID[$s]=$(sql "INSERT INTO clients (slug, name) VALUES ('$s', 'Concurrency $s') RETURNING id")
	sql "INSERT INTO campaigns (client_id, name, messages, is_active, active_leads_count) VALUES
	  ('${CID[$s]}', 'Short', '[{}, {}]', true, 0), ('${CID[$s]}', 'Long', '[{}, {}, {}]', true, 0)" >/dev/null
done
check "an admin logs in to the portal" login "conc-$$@example.com" "concurrency-password-$$"
browse GET /campaigns
CSRF=$(field csrf)
MY_CLIENTS="'${CID[${SLUGS[0]}]}', '${CID[${SLUGS[1]}]}'"
MINE="client_id IN ($MY_CLIENTS)"
echo "de-enrollment runs by: $DEENROLL_WITH; $ROUNDS rounds, $PER_CLIENT leads per client and round"

# post FILE JSON: one log-activity request; its status appended to FILE
post() {
	curl -sS -o /dev/null -w '%{http_code}\n' -X POST "$BASE/api/internal/log-activity" \
		-H "x-api-key: $KEY" -H 'Content-Type: application/json' --data "$2" >> "$1" 2>/dev/null || echo 000 >> "$1"
}
# batch ROUND STEP|enrol|move FIRST LAST EVERY: a JSON array of events for
# leads FIRST..LAST (every EVERY-th) of both clients. Even leads are on
# Short (2 steps), odd ones on Long (3); a step past a lead's end is not
# sent; "move" enrols the lead in the other campaign.
batch() {
	local r=$1 what=$2 i s camp other sep='' out='['
	for s in "${SLUGS[@]}"; do
		for ((i = $3; i <= $4; i += $5)); do
			if ((i % 2 == 0)); then camp=Short other=Long; else camp=Long other=Short; fi
			case $what in
			enrol) out+="$sep{\"client_id\":\"$s\",\"lead_id\":\"r$r-$i\",\"event_type\":\"CAMPAIGN_ENROLLED\",\"metadata\":{\"campaign\":\"$camp\"}}" ;;
			move) out+="$sep{\"client_id\":\"$s\",\"lead_id\":\"r$r-$i\",\"event_type\":\"CAMPAIGN_ENROLLED\",\"metadata\":{\"campaign\":\"$other\"}}" ;;
			*)	[ "$camp" = Short ] && [ "$what" -gt 2 ] && continue
				out+="$sep{\"client_id\":\"$s\",\"lead_id\":\"r$r-$i\",\"event_type\":\"MESSAGE_SENT\",\"metadata\":{\"campaign\":\"$camp\",\"step\":$what}}" ;;
			esac
			sep=,
		done
	done
	printf '%s]' "$out"
}
# portal ROUND FIRST LAST EVERY: the portal's enrolment (its statement, as
# the app role), one per lead and transaction: moves leads to the other
# campaign with the acting admin in the metadata.
portal() {
	local r=$1 i s camp
	for s in "${SLUGS[@]}"; do
		for ((i = $2; i <= $3; i += $4)); do
			if ((i % 2 == 0)); then camp=Long; else camp=Short; fi
			printf "WITH l AS (SELECT id, client_id FROM leads WHERE client_id = '%s' AND external_id = 'r%s-%s' FOR UPDATE),
 c AS (SELECT id, name FROM campaigns WHERE client_id = '%s' AND name = '%s')
INSERT INTO lead_activity_log (client_id, lead_id, event_type, occurred_at, source, idempotency_key, channel, message, metadata)
SELECT l.client_id, l.id, 'CAMPAIGN_ENROLLED', now(), 'minicrm-admin', 'portal-%s-%s-%s', 'portal', 'Moved to ' || c.name || ' by admin@example.com',
  jsonb_build_object('campaign_id', c.id, 'campaign', c.name, 'actor', 'admin@example.com', 'actor_id', '1')
FROM l, c ON CONFLICT (client_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING;\n" \
				"${CID[$s]}" "$r" "$i" "${CID[$s]}" "$camp" "$r" "$s" "$i"
		done
	done | psql "$APP_URL" -qAtX -v ON_ERROR_STOP=1 >/dev/null 2>> "$TMP/portal.err"
}
# portal_http ROUND FIRST LAST EVERY: the same through the portal itself
# (POST /leads/{id}/campaign as a logged-in admin, CSRF token and a fresh
# nonce per form); each answer's status appended to portal.status.
portal_http() {
	local r=$1 lead camp
	sql "SELECT l.id, o.id FROM leads l JOIN campaigns c ON c.id = l.campaign_link_id
	     JOIN campaigns o ON o.client_id = l.client_id AND o.id <> c.id
	     WHERE l.$MINE AND l.external_id ~ '^r$r-[0-9]+$'
	       AND (substr(l.external_id, length('r$r-') + 1)::integer - $2) % $4 = 0" |
	while IFS='|' read -r lead camp; do
		curl -sS -o /dev/null -w '%{http_code}\n' -b "$JAR" -X POST "$BASE/leads/$lead/campaign" \
			--data-urlencode "csrf=$CSRF" --data-urlencode "nonce=conc-$r-$lead" \
			--data-urlencode "campaign_id=$camp" >> "$TMP/portal.status" 2>/dev/null || echo 000 >> "$TMP/portal.status"
	done
}
run_twice() { local n; for n in 1 2; do deenroll 2>> "$TMP/deenroll.err"; echo $? >> "$TMP/deenroll.rc"; done; }

dup_journeys() {
	sql "SELECT l.id, j->>'campaign_id', j->>'enrolled_at', count(*)
	     FROM leads l, jsonb_array_elements(l.campaign_history) j
	     WHERE l.$MINE AND j->>'outcome' = 'completed'
	     GROUP BY 1, 2, 3 HAVING count(*) > 1 LIMIT 3"
}
n=$PER_CLIENT
for ((r = 1; r <= ROUNDS; r++)); do
	: > "$TMP/api.status"; : > "$TMP/deenroll.rc"; : > "$TMP/portal.rc"
	: > "$TMP/portal.err"; : > "$TMP/deenroll.err"; : > "$TMP/portal.status"
	# This round's leads: enrolled, and a third already at their end.
	post "$TMP/api.status" "$(batch "$r" enrol 1 "$n" 1)"
	post "$TMP/api.status" "$(batch "$r" 1 1 "$((n / 3))" 1)"
	post "$TMP/api.status" "$(batch "$r" 2 1 "$((n / 3))" 1)"
	post "$TMP/api.status" "$(batch "$r" 3 1 "$((n / 3))" 1)"
	# Two runs, twice each, while the API and the portal move leads.
	run_twice & d1=$!
	run_twice & d2=$!
	(
		for s in 1 2 3; do
			post "$TMP/api.status" "$(batch "$r" "$s" "$((n / 3 + 1))" "$n" 1)"
			post "$TMP/api.status" "$(batch "$r" 1 1 "$n" 4)"	# replays of step 1
		done
		post "$TMP/api.status" "$(batch "$r" move 3 "$n" 10)"
	) & a1=$!
	( portal "$r" 7 "$n" 10; echo $? >> "$TMP/portal.rc" ) & p1=$!
	portal_http "$r" 5 "$n" 10 & p2=$!
	wait "$d1" "$d2" "$a1" "$p1" "$p2"

	if grep -q deadlock "$TMP/portal.err" "$TMP/deenroll.err"; then	# the server's side of it
		grep -A 14 'deadlock detected' "$(readlink -f "$MINICRM_VAR/pg")/log/postgres.log" | tail -n 15 | cut -c1-300
	fi
	bad=$(grep -cv '^20[01]$' "$TMP/api.status")
	expect_eq "$bad" 0 "round $r: every API request was stored"
	expect_eq "$(sort -u "$TMP/portal.rc") $(head -c 600 "$TMP/portal.err")" "0 " "round $r: every enrolment by the portal's statement was stored"
	expect_eq "$(sort -u "$TMP/portal.status" | tr '\n' ' ')" "303 " "round $r: every enrolment through the portal's form moved its lead ($(wc -l < "$TMP/portal.status") forms)"
	expect_eq "$(sort -u "$TMP/deenroll.rc" | tr '\n' ' ')$(head -c 600 "$TMP/deenroll.err")" "0 " "round $r: all four runs exited 0"
	expect_eq "$(sql "SELECT count(*) FROM de_enrollment_runs WHERE $MINE AND status <> 'success'")" 0 "round $r: every run recorded as a success"
	expect_eq "$(sop_duplicates)" "" "round $r: the SOP's duplicate query finds no lead de-enrolled twice"
	expect_eq "$(dup_journeys)" "" "round $r: no journey completed twice in campaign_history"
	expect_eq "$(sql "SELECT (SELECT count(*) FROM de_enrollment_lead_log WHERE $MINE) || ' ' || (SELECT count(*) FROM lead_activity_log WHERE $MINE AND event_type = 'CAMPAIGN_COMPLETED') || ' ' || (SELECT count(*) FROM leads l, jsonb_array_elements(l.campaign_history) j WHERE l.$MINE AND j->>'outcome' = 'completed')" | awk '{ print ($1 == $2 && $2 == $3) ? "same" : $0 }')" same "round $r: one lead-log row, one CAMPAIGN_COMPLETED event per completed journey"
	expect_eq "$(sop_drift)" "" "round $r: the SOP's drift queries return no rows"
	expect_eq "$(recalc_changes)" 0 "round $r: every campaign's counts equal the recalculation"
	deenroll
	expect_eq "$(sop_stuck)" 0 "round $r: a quiet run leaves no lead stuck"
done
SPLIT=$(sql "SELECT count(*) FROM (SELECT r.client_id, date_trunc('second', r.run_at) FROM de_enrollment_runs r WHERE r.$MINE AND r.leads_de_enrolled > 0 GROUP BY 1, 2 HAVING count(*) > 1) x")
echo "runs of one client that de-enrolled leads in the same second (the work split): $SPLIT"
echo "completed journeys: $(sql "SELECT count(*) FROM de_enrollment_lead_log WHERE $MINE"), moves: $(sql "SELECT count(*) FROM leads l, jsonb_array_elements(l.campaign_history) j WHERE l.$MINE AND j->>'outcome' = 'moved'"), runs: $(sql "SELECT count(*) FROM de_enrollment_runs WHERE $MINE")"
check "the rounds completed leads and moved others (the races happened)" test "$(sql "SELECT count(*) > 0 FROM leads l, jsonb_array_elements(l.campaign_history) j WHERE l.$MINE AND j->>'outcome' = 'moved'")" = t
finish
