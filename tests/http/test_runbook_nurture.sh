#!/usr/bin/env bash
# The nurture runbook runs unchanged (issue 13, "Runbook and speed"): every
# SQL statement of docs/sop/nurture-runbook.md, extracted by
# tests/sop_sql.awk, run as the schema owner against data that gives it
# something to say, and what it says checked against the runbook's reading
# of it: yesterday's volume, overdue enrolments, errors per workflow, the
# stopped scheduler, low engagement, the unsubscribe and bounce rates, stuck
# queued e-mails, failure reasons, repeated events and dedupe, bouncing
# leads, the bounce fix's UPDATEs, the analytics rollup run twice, the
# monthly REINDEX/ANALYZE and the weekly pg_stat_statements review.
#
# The count. The issue says 27: that is the statements of the runbook's
# ```sql blocks. Issue 5's ```bash block adds one more, the analytics
# INSERT after "Or run SQL directly:", so 28 SQL statements in all (the
# Backup section's ```sql block holds only a comment). The Quick
# Reference's connection test, psql "…" -c "SELECT 1;", is run too, with
# our DATABASE_URL for Supabase's.
#
# How. Other tests leave their own sends, events, runs and analytics in the
# same database, and the runbook's queries count the whole database, not a
# client. So the data and the statements run in ONE transaction that first
# deletes every row of the runbook's tables (and clears other leads'
# email_invalid) and ends in ROLLBACK: the statements see exactly this
# test's data, the worker's jobs never see it, and nothing is left behind.
# psql runs with ON_ERROR_ROLLBACK, so a statement that fails is rolled back
# alone and reports its SQLSTATE; :ROW_COUNT gives the UPDATEs' and the
# INSERT's row counts. The maintenance block (REINDEX, ANALYZE) and the
# weekly review run afterwards, for real, each block in its own session.
#
# What the runbook gets wrong, asserted as it happens:
# - "Stop campaigns for bounced leads" has SELECT lead_id FROM leads: leads
#   has no lead_id, so lead_id binds to the OUTER lead_campaign_enrollments
#   row and the statement completes EVERY enrolment (every client's, the
#   finished and the paused ones too) as soon as one lead anywhere is
#   invalid. Run on data with exactly one invalid lead, then the corrected
#   statement (SELECT id FROM leads …, docs/nurture.md) is run and checked.
# - The failure-rate, unsubscribe-rate and bounce-rate queries divide by a
#   count that is 0 when their window holds no e-mail: division by zero
#   (22012), not a rate. Asserted on the empty tables first.
# - Issue 4's '[your-org-id]' must be filled: unchanged it is not a uuid
#   (22P02). Filled with client A's id (the operator's organization is our
#   client) it lists A's leads missing a name or an e-mail.
# - Issue 2: email_events.event_hash is unique (the sg_event_id), so a
#   re-sent event is refused on arrival and total always equals unique
#   events; the "duplicates" query lists distinct events of one kind for one
#   e-mail (a lead who opened twice), not duplicates.
#
# The statements (in the runbook's order, numbered as sop_sql.awk does) and
# the data each needs to mean something, all loaded below by SQL:
#   001 yesterday's volume       yesterday's sends in each state, scheduled and actual times
#   002 active enrolments        enrolments active (overdue, due soon, later), paused, finished
#   003 errors per workflow      workflow_errors today and yesterday
#   004 engagement               campaign_analytics for yesterday (019's and a loaded row)
#   005 failure rate             sends created in the last 5 minutes (and none: 22012)
#   006 workflow stopped         workflow_executions, the scheduler's 20 minutes old
#   007 low engagement           campaign_analytics joined to nurture_campaigns
#   008 unsubscribe rate         unsubscribe events yesterday and today, sends yesterday
#   009 stuck queued             queued sends an hour late, 30 minutes late, due tomorrow
#   010 failure reasons          failed sends today and yesterday, two reasons
#   011 "duplicate" events       a send opened twice (two events)
#   012 total vs unique events   today's events, one re-sent by SendGrid
#   013 bounce rate              a bounce among yesterday's sends
#   014 leads bouncing twice     hard and soft bounces, two leads over the line, one under
#   015 mark invalid             one lead with hard bounces
#   016 stop campaigns (WRONG)   that one invalid lead among 8 enrolments of 2 clients
#   017 leads missing data       leads without a name or an e-mail in two clients
#   018 last analytics date      an analytics row 3 days old, then the rollup's
#   019 analytics INSERT         yesterday's sends with opens and clicks, their enrolments
#   020-025 REINDEX, ANALYZE     nothing: the tables as they are
#   026 slow queries             the statements above, as pg_stat_statements saw them
#   027 scheduling per minute    sends queued today in five different minutes
#   028 sending per minute       sends sent today in two different minutes
source "$(dirname "$0")/lib.sh"

RUNBOOK=$TOP/docs/sop/nurture-runbook.md
STMTS=$TMP/stmts
OUT=$TMP/out
mkdir -p "$STMTS" "$OUT"
awk -v out="$STMTS" -f "$TOP/tests/sop_sql.awk" "$RUNBOOK" > "$TMP/index" ||
	{ fail "tests/sop_sql.awk reads the runbook"; finish; exit 1; }
kinds() { awk -F'\t' -v k="$1" '$4 == k { print $1 }' "$TMP/index"; }
expect_eq "$(kinds sql | wc -l)" 27 "the runbook's \`\`\`sql blocks hold the issue's 27 statements"
expect_eq "$(kinds bash-sql | wc -l)" 1 "Issue 5's bash block holds one more (the analytics INSERT)"
expect_eq "$(kinds psql-c | wc -l)" 1 "and the Quick Reference one psql -c (the connection test)"
expect_eq "$(kinds meta | wc -l)" 0 "no psql meta-command"

# stmt_of TEXT: the number of the one statement containing TEXT.
stmt_of() {
	local m
	m=$(grep -lF -- "$1" "$STMTS"/*.sql)
	if [ "$(wc -l <<<"$m")" -ne 1 ] || [ -z "$m" ]; then
		fail "exactly one runbook statement contains: $1" "$m" >&2; echo 000; return
	fi
	basename "$m" .sql
}
S_VOLUME=$(stmt_of "as avg_delay_seconds")
S_ACTIVE=$(stmt_of "as active_enrollments")
S_WFERR=$(stmt_of "as error_count")
S_ENGAGE=$(stmt_of "ORDER BY campaign_id;")
S_FAILRATE=$(stmt_of "as failure_rate")
S_STOPPED=$(stmt_of "as last_run")
S_LOWENG=$(stmt_of "AND (open_rate < 20 OR click_rate < 2)")
S_UNSUB=$(stmt_of "as unsubscribes_today")
S_STUCK=$(stmt_of "WHERE send_status = 'queued'")
S_REASONS=$(stmt_of "SELECT failure_reason, COUNT(*)")
S_DUPS=$(stmt_of "SELECT email_send_id, event_type, COUNT(*)")
S_UNIQUE=$(stmt_of "as unique_events")
S_BOUNCE=$(stmt_of "as bounce_rate")
S_BOUNCERS=$(stmt_of "as bounce_count")
S_MARK=$(stmt_of "'{email_invalid}',")
S_STOP=$(stmt_of "completion_reason = 'invalid_email'")
S_MISSING=$(stmt_of "[your-org-id]")
S_LASTDAY=$(stmt_of "SELECT MAX(analytics_date)")
S_ROLLUP=$(stmt_of "INSERT INTO campaign_analytics")
S_SLOW=$(stmt_of "FROM pg_stat_statements")
S_SCHED=$(stmt_of "as enrollments_processed")
S_RATE=$(stmt_of "as emails_per_second")
S_CONN=$(kinds psql-c)
MAINT=$(awk -F'\t' -v b="$(awk -F'\t' '/REINDEX TABLE/ { print $2; exit }' "$TMP/index")" '$2 == b { print $1 }' "$TMP/index")
expect_eq "$(for n in $MAINT; do cat "$STMTS/$n.sql"; done | tr '\n' ' ')" "REINDEX TABLE lead_campaign_enrollments; REINDEX TABLE email_sends; REINDEX TABLE email_events; ANALYZE lead_campaign_enrollments; ANALYZE email_sends; ANALYZE email_events; " "the monthly maintenance block is three REINDEX and three ANALYZE"

# The corrected "Stop campaigns for bounced leads": the runbook's text with
# the one fix, so nothing else can differ.
sed 's/SELECT lead_id FROM leads/SELECT id FROM leads/' "$STMTS/$S_STOP.sql" > "$TMP/stop_fixed.sql"
expect_eq "$(diff "$STMTS/$S_STOP.sql" "$TMP/stop_fixed.sql" | grep -c '^[<>]')" 2 "the corrected statement differs from the runbook's in one line"
check "the corrected statement is the one docs/nurture.md gives, word for word" python3 -c '
import sys
def text(p): return "\n".join(l.rstrip() for l in open(p).read().splitlines())
sys.exit(text(sys.argv[1]).strip() not in text(sys.argv[2]))' "$TMP/stop_fixed.sql" "$TOP/docs/nurture.md"

# The day boundary: "today" rows are at most 10 minutes old and yesterday's
# are near its midnight; in the first quarter hour of a day wait it out.
TOD=$(sql "SELECT extract(epoch FROM now() - date_trunc('day', now()))::int")
[ "$TOD" -lt 900 ] && { echo "waiting $((900 - TOD)) s for 00:15 (the runbook's days)"; sleep $((900 - TOD + 1)); }

# --- the data: ids chosen here so the checks can name them
uuid() { cat /proc/sys/kernel/random/uuid; }
for v in A B LA1 LA2 LA3 LA4 LA5 LA6 LB1 LB2 LB3 CA1 CA2 CB1 E1 E2 E3 E4 E5 E6 E7 E8 \
	S1 S2 S3 S4 S5 S6 S7 FY QY R1 R2 R3 R4 R5 R6 R7 R8 F1 F2 F3 Q1 Q2 Q3 B1 B2 B3 B4; do
	printf -v "$v" '%s' "$(uuid)"
done
RUN=rb$$x$RANDOM
Y="((CURRENT_DATE - 1)::timestamptz + interval '1 minute')"	# yesterday, 00:01
M="date_trunc('minute', now())"
D3="(now() - interval '3 days')"
PERSONALIZATION='personalization: no value for {{company}}'
SG400='sendgrid 400: The to email does not contain a valid address.'

SCRIPT=$TMP/main.sql
emit() { cat >> "$SCRIPT"; }
mark() { printf '\\echo @@%s\n' "$1" >> "$SCRIPT"; }
fill() { sed "s/\[your-org-id\]/$A/g" "$1"; }
# runbook N [TAG]: statement N as the runbook has it (TAG: a second run of
# it under another name); its output lands in $OUT/TAG, its SQLSTATE and
# row count in $TMP/rc.
runbook() {
	local tag=${2:-$1}
	mark "$tag"
	fill "$STMTS/$1.sql" >> "$SCRIPT"
	printf '\\echo @@rc %s :SQLSTATE :ROW_COUNT\n' "$tag" >> "$SCRIPT"
}
# mine TAG: the statement from stdin, ours (a check or a load step).
mine() { mark "$1"; emit; printf '\\echo @@rc %s :SQLSTATE :ROW_COUNT\n' "$1" >> "$SCRIPT"; }

: > "$SCRIPT"
emit <<'SQL'
BEGIN;
SET LOCAL lock_timeout = '60s';
-- Only this test's rows, until the ROLLBACK at the end.
DELETE FROM email_events;
DELETE FROM email_sends;
DELETE FROM lead_campaign_enrollments;
DELETE FROM campaign_analytics;
DELETE FROM workflow_errors;
DELETE FROM workflow_executions;
UPDATE leads SET metadata = metadata - 'email_invalid' WHERE metadata ? 'email_invalid';
SQL
# The rates over empty windows.
runbook "$S_FAILRATE" empty-failrate
runbook "$S_UNSUB" empty-unsub
runbook "$S_BOUNCE" empty-bounce

mine load-core <<SQL
INSERT INTO clients (id, slug, name) VALUES ('$A', '${RUN}a', 'Runbook A'), ('$B', '${RUN}b', 'Runbook B');
INSERT INTO leads (id, client_id, external_id, first_name, last_name, email) VALUES
  ('$LA1', '$A', 'a1', 'Ada', 'Lovelace', 'ada@example.com'),
  ('$LA2', '$A', 'a2', 'Bea', 'Two', 'bea@example.com'),
  ('$LA3', '$A', 'a3', 'Cy', 'Three', 'cy@example.com'),
  ('$LA4', '$A', 'a4', 'Di', 'Four', 'di@example.com'),
  ('$LA5', '$A', 'a5', NULL, NULL, 'e5@example.com'),
  ('$LA6', '$A', 'a6', 'Flo', 'Six', NULL),
  ('$LB1', '$B', 'b1', 'Jo', 'Ten', 'jo@example.com'),
  ('$LB2', '$B', 'b2', 'Kim', 'Eleven', 'kim@example.com'),
  ('$LB3', '$B', 'b3', NULL, NULL, 'b3@example.com');
INSERT INTO lead_preferences (lead_id, organization_id, preferred_send_hour) VALUES ('$LA1', '$A', 9);
INSERT INTO nurture_campaigns (id, organization_id, campaign_name, from_email) VALUES
  ('$CA1', '$A', 'Welcome', 'news@a.example.com'),
  ('$CA2', '$A', 'Reactivation', 'news@a.example.com'),
  ('$CB1', '$B', 'Onboarding', 'hello@b.example.com');
INSERT INTO nurture_campaign_steps (campaign_id, step_number, subject, body_template, delay_minutes) VALUES
  ('$CA1', 1, 'Welcome, {{first_name}}', 'Hi {{first_name}}, glad you are here.', 0),
  ('$CA1', 2, 'A tip for {{first_name}}', 'Here is a tip.', 1440),
  ('$CA1', 3, 'Still with us?', 'One more thing, {{first_name}}.', 4320),
  ('$CA2', 1, 'We miss you', 'Come back, {{first_name}}.', 0),
  ('$CA2', 2, 'An offer', 'For {{company}}.', 2880),
  ('$CB1', 1, 'Getting started', 'Hello {{first_name}}.', 0),
  ('$CB1', 2, 'Next steps', 'Next, {{first_name}}.', 1440);
-- e1, e2 overdue; e3, e6 due within the hour; e4, e7 later; e5 finished; e8 paused (and overdue).
INSERT INTO lead_campaign_enrollments (id, organization_id, lead_id, campaign_id, status, current_step, next_send_at, completion_reason, completed_at) VALUES
  ('$E1', '$A', '$LA1', '$CA1', 'active', 1, now() - interval '10 minutes', NULL, NULL),
  ('$E2', '$A', '$LA2', '$CA1', 'active', 1, now() - interval '2 hours', NULL, NULL),
  ('$E3', '$A', '$LA3', '$CA1', 'active', 1, now() + interval '30 minutes', NULL, NULL),
  ('$E4', '$A', '$LA4', '$CA1', 'active', 1, now() + interval '1 day', NULL, NULL),
  ('$E5', '$A', '$LA1', '$CA2', 'completed', 2, NULL, 'finished', $Y),
  ('$E6', '$B', '$LB1', '$CB1', 'active', 2, now() + interval '20 minutes', NULL, NULL),
  ('$E7', '$B', '$LB2', '$CB1', 'active', 1, now() + interval '3 days', NULL, NULL),
  ('$E8', '$A', '$LA2', '$CA2', 'paused', 1, now() - interval '1 day', NULL, NULL);
SQL
# The sends: yesterday 6 sent, 1 bounced (soft), 1 failed, 1 still queued,
# sent 10-90 s after their time; today 8 sent 1-2 minutes ago, 2 failed
# (personalization) just now and 1 (a SendGrid 400) 6 minutes ago, 3
# queued (one an hour late); three days ago 2 hard bounces for b2 and a
# soft one each for a4 and a3.
mine load-sends <<SQL
INSERT INTO email_sends (id, organization_id, enrollment_id, lead_id, campaign_id, step_number, send_status,
    scheduled_send_time, actual_send_time, failure_reason, bounce_type, opened_at, first_click_at, created_at, updated_at)
SELECT v.id::uuid, e.organization_id, e.id, e.lead_id, e.campaign_id, v.step, v.status,
       v.sched, v.actual, v.reason, v.bounce, v.opened, v.clicked, v.created, coalesce(v.actual, v.created)
FROM (VALUES
  ('$S1', '$E1', 1, 'sent', $Y, $Y + interval '10 s', NULL, NULL, $Y + interval '1 hour', $Y + interval '2 hours', $Y),
  ('$S2', '$E2', 1, 'sent', $Y + interval '1 min', $Y + interval '1 min 20 s', NULL, NULL, $Y + interval '1 hour', NULL, $Y + interval '1 min'),
  ('$S3', '$E3', 1, 'sent', $Y + interval '2 min', $Y + interval '2 min 30 s', NULL, NULL, NULL, NULL, $Y + interval '2 min'),
  ('$S4', '$E4', 1, 'bounced', $Y + interval '3 min', $Y + interval '4 min 30 s', NULL, 'soft', NULL, NULL, $Y + interval '3 min'),
  ('$S5', '$E6', 1, 'sent', $Y + interval '4 min', $Y + interval '4 min 40 s', NULL, NULL, $Y + interval '3 hours', NULL, $Y + interval '4 min'),
  ('$S6', '$E6', 2, 'sent', $Y + interval '5 min', $Y + interval '5 min 50 s', NULL, NULL, NULL, NULL, $Y + interval '5 min'),
  ('$S7', '$E7', 1, 'sent', $Y + interval '6 min', $Y + interval '7 min', NULL, NULL, NULL, NULL, $Y + interval '6 min'),
  ('$FY', '$E1', 2, 'failed', $Y + interval '7 min', NULL, 'sendgrid 400: an old failure', NULL, NULL, NULL, $Y + interval '7 min'),
  ('$QY', '$E2', 2, 'queued', $Y + interval '8 min', NULL, NULL, NULL, NULL, NULL, $Y + interval '8 min'),
  ('$R1', '$E3', 2, 'sent', $M - interval '3 min', $M - interval '2 min' + interval '1 s', NULL, NULL, NULL, NULL, $M - interval '3 min'),
  ('$R2', '$E3', 3, 'sent', $M - interval '3 min', $M - interval '2 min' + interval '2 s', NULL, NULL, NULL, NULL, $M - interval '3 min'),
  ('$R3', '$E3', 4, 'sent', $M - interval '3 min', $M - interval '2 min' + interval '3 s', NULL, NULL, NULL, NULL, $M - interval '3 min'),
  ('$R4', '$E3', 5, 'sent', $M - interval '3 min', $M - interval '2 min' + interval '4 s', NULL, NULL, NULL, NULL, $M - interval '3 min'),
  ('$R5', '$E3', 6, 'sent', $M - interval '3 min', $M - interval '2 min' + interval '5 s', NULL, NULL, NULL, NULL, $M - interval '3 min'),
  ('$R6', '$E3', 7, 'sent', $M - interval '3 min', $M - interval '1 min' + interval '1 s', NULL, NULL, NULL, NULL, $M - interval '3 min'),
  ('$R7', '$E3', 8, 'sent', $M - interval '3 min', $M - interval '1 min' + interval '2 s', NULL, NULL, NULL, NULL, $M - interval '3 min'),
  ('$R8', '$E3', 9, 'sent', $M - interval '3 min', $M - interval '1 min' + interval '3 s', NULL, NULL, NULL, NULL, $M - interval '3 min'),
  ('$F1', '$E4', 3, 'failed', now(), NULL, '$PERSONALIZATION', NULL, NULL, NULL, now()),
  ('$F2', '$E4', 4, 'failed', now(), NULL, '$PERSONALIZATION', NULL, NULL, NULL, now()),
  ('$F3', '$E6', 3, 'failed', now() - interval '6 min', NULL, '$SG400', NULL, NULL, NULL, now() - interval '6 min'),
  ('$Q1', '$E7', 2, 'queued', now() - interval '2 hours', NULL, NULL, NULL, NULL, NULL, now() - interval '7 min'),
  ('$Q2', '$E1', 3, 'queued', now() - interval '30 min', NULL, NULL, NULL, NULL, NULL, now() - interval '8 min'),
  ('$Q3', '$E2', 3, 'queued', now() + interval '1 day', NULL, NULL, NULL, NULL, NULL, now() - interval '8 min'),
  ('$B1', '$E7', 5, 'bounced', $D3, $D3, NULL, 'hard', NULL, NULL, $D3),
  ('$B2', '$E7', 6, 'bounced', $D3, $D3, NULL, 'hard', NULL, NULL, $D3),
  ('$B3', '$E4', 5, 'bounced', $D3, $D3, NULL, 'soft', NULL, NULL, $D3),
  ('$B4', '$E3', 10, 'bounced', $D3, $D3, NULL, 'soft', NULL, NULL, $D3)
) v(id, enr, step, status, sched, actual, reason, bounce, opened, clicked, created)
JOIN lead_campaign_enrollments e ON e.id = v.enr::uuid;
SQL
# SendGrid's events: a1 opened twice (two events) and clicked; two
# unsubscribes yesterday, one today; one event for a send we do not know.
ev() {	# ev SEND HASH TYPE TIME: one row of the events VALUES (SEND "": none)
	local send=NULL
	[ -n "$1" ] && send="'$1'"
	printf "(%s, '%s$RUN', '%s', %s, '{\"sg_event_id\": \"%s$RUN\"}')" "$send" "$2" "$3" "$4" "$2"
}
EVENTS="$(ev "$S1" d1 delivered "$Y + interval '11 s'"),
$(ev "$S1" o1 open "$Y + interval '1 hour'"),
$(ev "$S1" o2 open "$Y + interval '5 hours'"),
$(ev "$S1" c1 click "$Y + interval '2 hours'"),
$(ev "$S2" d2 delivered "$Y + interval '2 min'"),
$(ev "$S2" o3 open "$Y + interval '1 hour'"),
$(ev "$S5" o4 open "$Y + interval '3 hours'"),
$(ev "$S5" u1 unsubscribe "$Y + interval '4 hours'"),
$(ev "$S3" u2 unsubscribe "$Y + interval '6 hours'"),
$(ev "" p1 processed "$Y"),
$(ev "$R1" u3 unsubscribe "now()")"
mine load-events <<SQL
INSERT INTO email_events (email_send_id, event_hash, event_type, event_timestamp, payload, organization_id, lead_id, campaign_id)
SELECT v.send::uuid, v.hash, v.type, v.ts, v.payload::jsonb, s.organization_id, s.lead_id, s.campaign_id
FROM (VALUES $EVENTS) v(send, hash, type, ts, payload)
LEFT JOIN email_sends s ON s.id = v.send::uuid;
SQL
# SendGrid re-sends an event (it does, for 24 hours): the webhook's insert
# drops it on arrival; a plain INSERT of it is refused.
mine resent <<SQL
INSERT INTO email_events (email_send_id, event_hash, event_type, event_timestamp, payload)
VALUES ('$S1', 'o1$RUN', 'open', $Y + interval '1 hour', '{}') ON CONFLICT (event_hash) DO NOTHING;
SQL
mine resent-plain <<SQL
INSERT INTO email_events (email_send_id, event_hash, event_type, event_timestamp, payload)
VALUES ('$S1', 'o1$RUN', 'open', $Y + interval '1 hour', '{}');
SQL
# The jobs' runs: the scheduler last ran 20 minutes ago (stopped), the
# sender 2 minutes ago; errors today: sender 3, scheduler 1; yesterday the
# event tracker 1.
mine load-workflows <<SQL
INSERT INTO workflow_executions (workflow_name, status, items_processed, started_at, finished_at, created_at) VALUES
  ('Lead Nurture - Message Scheduler', 'success', 40, now() - interval '35 min', now() - interval '35 min', now() - interval '35 min'),
  ('Lead Nurture - Message Scheduler', 'success', 12, now() - interval '20 min', now() - interval '20 min', now() - interval '20 min'),
  ('Lead Nurture - Email Sender', 'error', 0, now() - interval '30 min', now() - interval '30 min', now() - interval '30 min'),
  ('Lead Nurture - Email Sender', 'success', 10, now() - interval '2 min', now() - interval '2 min', now() - interval '2 min'),
  ('Lead Nurture - Analytics Updater', 'success', 3, now() - interval '2 hours', now() - interval '2 hours', now() - interval '2 hours');
INSERT INTO workflow_errors (workflow_name, error_message, created_at) VALUES
  ('Lead Nurture - Email Sender', 'sendgrid 500', now() - interval '1 min'),
  ('Lead Nurture - Email Sender', 'sendgrid 500', now() - interval '5 min'),
  ('Lead Nurture - Email Sender', 'timeout', now() - interval '9 min'),
  ('Lead Nurture - Message Scheduler', 'database error: deadlock detected', now() - interval '10 min'),
  ('Lead Nurture - Event Tracker', 'bad signature', $Y);
-- The updater last ran three days ago.
INSERT INTO campaign_analytics (organization_id, campaign_id, analytics_date, emails_sent_today, open_rate, click_rate)
VALUES ('$A', '$CA1', CURRENT_DATE - 3, 5, 40, 10);
SQL
mine loaded <<SQL
SELECT (SELECT count(*) FROM email_sends) || ' ' || (SELECT count(*) FROM email_events) || ' ' ||
       (SELECT count(*) FROM lead_campaign_enrollments) || ' ' || (SELECT count(*) FROM workflow_executions) || ' ' ||
       (SELECT count(*) FROM workflow_errors) || ' ' || (SELECT count(*) FROM campaign_analytics) || ' ' ||
       (SELECT count(*) FROM lead_campaign_enrollments WHERE status = 'active') || ' ' ||
       (SELECT count(*) FROM leads WHERE client_id IN ('$A', '$B') AND (opted_out OR metadata ? 'email_invalid'));
SQL

# 1. Daily operations: the morning health check.
runbook "$S_VOLUME"
runbook "$S_ACTIVE"
runbook "$S_WFERR"
# 2. Monitoring.
runbook "$S_FAILRATE"
runbook "$S_STOPPED"
runbook "$S_UNSUB"
# 3. Issue 1: stuck queued, failure reasons.
runbook "$S_STUCK"
runbook "$S_REASONS"
# Issue 2: repeated events, dedupe.
runbook "$S_DUPS"
runbook "$S_UNIQUE"
# Issue 3: bounce rate, bouncing leads, the fix.
runbook "$S_BOUNCE"
runbook "$S_BOUNCERS"
runbook "$S_MARK"
mine invalid-after-mark <<SQL
SELECT string_agg(external_id, ' ' ORDER BY external_id) FROM leads WHERE metadata->>'email_invalid' = 'true';
SQL
emit <<<'SAVEPOINT before_stop;'
runbook "$S_STOP"
mine after-stop <<SQL
SELECT count(*) || ' ' || count(*) FILTER (WHERE status = 'completed' AND completion_reason = 'invalid_email') || ' ' ||
       count(*) FILTER (WHERE organization_id = '$A' AND completion_reason = 'invalid_email') || ' ' ||
       count(*) FILTER (WHERE id = '$E5' AND completion_reason = 'invalid_email')
FROM lead_campaign_enrollments;
SQL
emit <<<'ROLLBACK TO SAVEPOINT before_stop;'
mark stop-fixed
cat "$TMP/stop_fixed.sql" >> "$SCRIPT"
printf '\\echo @@rc stop-fixed :SQLSTATE :ROW_COUNT\n' >> "$SCRIPT"
mine after-stop-fixed <<'SQL'
SELECT string_agg(l.external_id || ':' || e.status || ':' || coalesce(e.completion_reason, '-'), ' ' ORDER BY l.external_id, e.status)
FROM lead_campaign_enrollments e JOIN leads l ON l.id = e.lead_id;
SQL
# Issue 4: the placeholder as written, then filled.
mark missing-unfilled
cat "$STMTS/$S_MISSING.sql" >> "$SCRIPT"
printf '\\echo @@rc missing-unfilled :SQLSTATE :ROW_COUNT\n' >> "$SCRIPT"
runbook "$S_MISSING"
# Issue 5: analytics behind; the rollup twice; the morning engagement check
# and the low-engagement alert on what it wrote.
runbook "$S_LASTDAY" lastday-before
mine load-ca2 <<SQL
INSERT INTO campaign_analytics (organization_id, campaign_id, analytics_date, emails_sent_today, open_rate, click_rate, unsubscribe_rate)
VALUES ('$A', '$CA2', CURRENT_DATE - 1, 25, 40.00, 8.00, 0.40);
SQL
ANALYTICS="SELECT string_agg(id || ':' || campaign_id || ':' || analytics_date || ':' || emails_sent_today || ':' || unique_opens_today || ':' || unique_clicks_today || ':' || coalesce(open_rate::text, '-') || ':' || coalesce(click_rate::text, '-') || ':' || coalesce(unsubscribe_rate::text, '-'), ' ' ORDER BY campaign_id, analytics_date) FROM campaign_analytics;"
runbook "$S_ROLLUP" rollup-1
mine analytics-1 <<<"$ANALYTICS"
runbook "$S_ROLLUP"
mine analytics-2 <<<"$ANALYTICS"
runbook "$S_LASTDAY"
runbook "$S_ENGAGE"
runbook "$S_LOWENG"
# 4. Performance: today's scheduling and sending per minute.
runbook "$S_SCHED"
runbook "$S_RATE"
emit <<<'ROLLBACK;'
mark end

psql "$OWNER_URL" -qAtX -v ON_ERROR_ROLLBACK=on -f "$SCRIPT" > "$TMP/main.out" 2> "$TMP/main.err"
MAIN_RC=$?
awk -v dir="$OUT" -v rc="$TMP/rc" '
	/^@@rc / { print $2, $3, $4 > rc; f = ""; next }
	/^@@/ { f = dir "/" substr($0, 3); printf "" > f; next }
	f { print > f }' "$TMP/main.out"
out() { cat "$OUT/$1" 2>/dev/null; }
state() { awk -v t="$1" '$1 == t { print $2 }' "$TMP/rc"; }
rows() { awk -v t="$1" '$1 == t { print $3 }' "$TMP/rc"; }
declare -A RAN
for t in $(awk '$2 == "00000" { print $1 }' "$TMP/rc"); do
	[[ $t =~ ^[0-9]{3}$ ]] && RAN[$t]=1
done
ran() {	# ran TAG "what": the statement ran without an error
	if [ "$(state "$1")" = 00000 ]; then pass; else fail "$2 runs unchanged" "SQLSTATE $(state "$1"); $(grep -m1 ERROR "$TMP/main.err")"; fi
}

check "the script ran to its end" test "$MAIN_RC" = 0 -a -f "$OUT/end"
expect_eq "$(grep -c 'ERROR:' "$TMP/main.err")" 5 "exactly the 5 expected errors (3 divisions by zero, the refused duplicate, the unfilled placeholder)" 
# (A trigger that acted on the loaded events — opting the unsubscribers
# out, say — would show here, before it confuses the counts below.)
expect_eq "$(out loaded)" "27 11 8 5 5 1 6 0" "the data loaded as written: 27 sends, 11 events, 8 enrolments (6 active), 5 runs, 5 errors, 1 analytics row, no lead opted out or invalid"

# Empty windows: no rate, an error.
for t in empty-failrate empty-unsub empty-bounce; do
	expect_eq "$(state "$t")" 22012 "$t: the runbook's rate query over an empty window fails with division by zero"
done

# Morning check 1: yesterday 9 e-mails, 6 sent, 1 failed, on average 43 s late.
ran "$S_VOLUME" "morning check 1"
expect_eq "$(out "$S_VOLUME")" "9|6|1|43" "yesterday's volume: 9 created, 6 sent, 1 failed, avg delay 43 s ((10+20+30+90+40+50+60)/7)"
# 2: 6 active, 2 overdue, 4 due within the hour (overdue included).
ran "$S_ACTIVE" "morning check 2"
expect_eq "$(out "$S_ACTIVE")" "6|2|4" "active enrolments 6, overdue 2, due soon 4 (the paused and the finished are not counted)"
# 3: errors today per workflow, most first; yesterday's not counted.
ran "$S_WFERR" "morning check 3"
expect_eq "$(out "$S_WFERR" | cut -d'|' -f1,2 | tr '\n' ';')" "Lead Nurture - Email Sender|3;Lead Nurture - Message Scheduler|1;" "today's errors: sender 3, scheduler 1 (yesterday's event tracker error not counted)"

# Alerts.
ran "$S_FAILRATE" "the failure-rate alert"
expect_eq "$(out "$S_FAILRATE")" "$(sql "SELECT 2 * 100.0 / 10")" "failure rate over the last 5 minutes: 2 of 10 = 20 % (over the 10 % alert)"
ran "$S_STOPPED" "the workflow-stopped alert"
expect_eq "$(out "$S_STOPPED" | cut -d'|' -f1)" "Lead Nurture - Message Scheduler" "only the scheduler (last run 20 minutes ago) is reported stopped; the sender ran 2 minutes ago"
ran "$S_UNSUB" "the unsubscribe alert"
expect_eq "$(out "$S_UNSUB")" "2|$(sql "SELECT 2 * 100.0 / 7")" "2 unsubscribes yesterday over 7 e-mails sent yesterday (today's not counted)"

# Issue 1.
ran "$S_STUCK" "Issue 1's stuck count"
expect_eq "$(out "$S_STUCK")" 2 "2 e-mails queued over an hour past their time (yesterday's and today's late one; not the one due 30 minutes ago)"
ran "$S_REASONS" "Issue 1's failure reasons"
expect_eq "$(out "$S_REASONS" | LC_ALL=C sort | tr '\n' ';')" "$PERSONALIZATION|2;$SG400|1;" "the last day's failures grouped by reason: the personalization token named, SendGrid's 400 (yesterday's old one is out of the window)"

# Issue 2.
ran "$S_DUPS" "Issue 2's symptom"
expect_eq "$(out "$S_DUPS")" "$S1|open|2" "the 'duplicates' query lists the e-mail a1 opened twice: two distinct events"
expect_eq "$(rows resent)" 0 "SendGrid's re-sent event is dropped on arrival (ON CONFLICT on event_hash)"
expect_eq "$(state resent-plain)" 23505 "...and a plain INSERT of it is refused (event_hash is unique)"
ran "$S_UNIQUE" "Issue 2's dedupe check"
expect_eq "$(out "$S_UNIQUE")" "11|11" "total events = unique events (11): duplicates never get in, whatever the runbook reads into it"

# Issue 3.
ran "$S_BOUNCE" "Issue 3's bounce rate"
expect_eq "$(out "$S_BOUNCE")" "$(sql "SELECT 1 * 100.0 / 7")" "yesterday's bounce rate: 1 of the 7 sent"
ran "$S_BOUNCERS" "Issue 3's problem leads"
expect_eq "$(out "$S_BOUNCERS" | LC_ALL=C sort | tr '\n' ';')" "$(printf '%s\n' "$LB2|2|hard" "$LA4|2|soft" | LC_ALL=C sort | tr '\n' ';')" "leads with 2+ bounces of one type: b2 (hard), a4 (soft); a3's single bounce is not listed"
ran "$S_MARK" "Issue 3's 'mark emails as invalid'"
expect_eq "$(rows "$S_MARK")" 1 "it marks the one lead with a hard bounce"
expect_eq "$(out invalid-after-mark)" b2 "...b2, the only invalid lead in the database"
ran "$S_STOP" "Issue 3's 'stop campaigns for bounced leads'"
expect_eq "$(rows "$S_STOP")" 8 "THE RUNBOOK'S STATEMENT COMPLETES ALL 8 ENROLMENTS for one invalid lead (leads has no lead_id: it is the enrolment's own)"
expect_eq "$(out after-stop)" "8 8 6 1" "...every one 'invalid_email': client A's 6 (none of its leads is invalid) and a1's finished one included"
expect_eq "$(state stop-fixed)" 00000 "the corrected statement (SELECT id FROM leads …) runs"
expect_eq "$(rows stop-fixed)" 1 "...and completes only b2's enrolment"
expect_eq "$(out after-stop-fixed)" "a1:active:- a1:completed:finished a2:active:- a2:paused:- a3:active:- a4:active:- b1:active:- b2:completed:invalid_email" "...leaving every other enrolment as it was"

# Issue 4.
expect_eq "$(state missing-unfilled)" 22P02 "Issue 4's query with '[your-org-id]' left in is refused (not a uuid): the operator fills it"
ran "$S_MISSING" "Issue 4's query, filled with client A's id"
expect_eq "$(out "$S_MISSING" | LC_ALL=C sort | tr '\n' ';')" "$(printf '%s\n' "$LA5||e5@example.com|missing_name" "$LA6|Flo Six||" | LC_ALL=C sort | tr '\n' ';')" "it lists client A's lead without a name (missing_name) and the one without an e-mail; not client B's"

# Issue 5.
ran lastday-before "Issue 5's symptom"
expect_eq "$(out lastday-before)" "$(sql "SELECT CURRENT_DATE - 3")" "the last analytics date is 3 days ago: before yesterday, the symptom"
expect_eq "$(state rollup-1)" 00000 "Issue 5's INSERT … ON CONFLICT runs unchanged"
expect_eq "$(rows rollup-1)" 2 "...writing yesterday's row for the 2 campaigns that sent yesterday"
expect_eq "$(rows "$S_ROLLUP")" 2 "run again it touches the same 2 rows"
check "...and leaves every row exactly as the first run did (idempotent)" test -n "$(out analytics-1)" -a "$(out analytics-1)" = "$(out analytics-2)"
ROLLED=$(out analytics-2 | tr ' ' '\n' | cut -d: -f2- | LC_ALL=C sort | tr '\n' ' ')
WANT=$(printf '%s\n' "$CA1:$(sql "SELECT CURRENT_DATE - 3"):5:0:0:40.00:10.00:-" "$CA1:$(sql "SELECT CURRENT_DATE - 1"):4:2:1:50.00:25.00:-" \
	"$CA2:$(sql "SELECT CURRENT_DATE - 1"):25:0:0:40.00:8.00:0.40" "$CB1:$(sql "SELECT CURRENT_DATE - 1"):3:1:0:33.33:0.00:-" | LC_ALL=C sort | tr '\n' ' ')
expect_eq "$ROLLED" "$WANT" "the rollup: Welcome 4 sent, 2 opened, 1 clicked (50 %, 25 %); Onboarding 3 sent to 2 leads, 1 opened (33.33 %, 0 %); Reactivation's loaded row and the old one untouched"
ran "$S_LASTDAY" "Issue 5's symptom, after"
expect_eq "$(out "$S_LASTDAY")" "$(sql "SELECT CURRENT_DATE - 1")" "after the rollup the last analytics date is yesterday"
ran "$S_ENGAGE" "morning check 4"
expect_eq "$(out "$S_ENGAGE" | tr '\n' ';')" "$(printf '%s\n' "$CA1|$(sql "SELECT CURRENT_DATE - 1")|50.00|25.00|" "$CA2|$(sql "SELECT CURRENT_DATE - 1")|40.00|8.00|0.40" "$CB1|$(sql "SELECT CURRENT_DATE - 1")|33.33|0.00|" | LC_ALL=C sort | tr '\n' ';')" "the morning engagement check shows yesterday's 3 campaigns in campaign order (the runbook's INSERT leaves unsubscribe_rate empty)"
ran "$S_LOWENG" "the low-engagement alert"
expect_eq "$(out "$S_LOWENG")" "$CB1|Onboarding|33.33|0.00" "only Onboarding is below the thresholds (click rate 0 < 2)"

# Performance.
ran "$S_SCHED" "the scheduler's per-minute figures"
expect_eq "$(out "$S_SCHED" | cut -d'|' -f2 | tr '\n' ' ')" "2 8 1 1 2 " "today's e-mails per minute they were queued, newest first: 2, 8, 1, 1, 2"
ran "$S_RATE" "the sender's per-minute rate"
expect_eq "$(out "$S_RATE" | cut -d'|' -f2 | tr '\n' ' ')" "3 5 " "today's sent e-mails per minute, newest first: 3 then 5"
check "...with the per-second rate count/60" awk -F'|' '{ d = $3 - $2 / 60; if (d > 1e-9 || d < -1e-9) exit 1 } END { exit NR != 2 }' "$OUT/$S_RATE"

check "the transaction rolled back: none of the test's rows is left" test "$(sql "SELECT count(*) FROM clients WHERE slug LIKE '${RUN}%'")" = 0

# --- monthly maintenance, as pasted: one session, for real.
T0=$(sql "SELECT now()")
for n in $MAINT; do cat "$STMTS/$n.sql"; done > "$TMP/maint.sql"
if psql "$OWNER_URL" -qAtX -v ON_ERROR_STOP=1 -f "$TMP/maint.sql" > "$TMP/maint.out" 2>&1; then
	pass; for n in $MAINT; do RAN[$n]=1; done
else fail "the index maintenance block runs unchanged" "$(cat "$TMP/maint.out")"; fi
expect_eq "$(sql "SELECT count(*) FROM pg_stat_user_tables WHERE relname IN ('lead_campaign_enrollments', 'email_sends', 'email_events') AND last_analyze >= '$T0'")" 3 "the three tables were analyzed just now"
expect_eq "$(sql "SELECT bool_and(i.indisvalid) AND count(*) >= 10 FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE c.relname IN ('lead_campaign_enrollments', 'email_sends', 'email_events')")" t "their indexes are rebuilt and valid"

# --- the weekly query review: pg_stat_statements (preloaded, the owner has
# pg_read_all_stats) has seen the statements above.
printf '%s\n\\echo @@rc %s :SQLSTATE :ROW_COUNT\n' "$(cat "$STMTS/$S_SLOW.sql")" "$S_SLOW" > "$TMP/slow.sql"
psql "$OWNER_URL" -qAtX -f "$TMP/slow.sql" > "$TMP/slow.out" 2>&1
SLOW_RC=$(sed -n "s/^@@rc $S_SLOW //p" "$TMP/slow.out")
if [ "${SLOW_RC% *}" = 00000 ]; then pass; RAN[$S_SLOW]=1; else fail "the weekly pg_stat_statements review runs unchanged" "$(cat "$TMP/slow.out")"; fi
check "...listing 1 to 10 statements" test "${SLOW_RC#* }" -ge 1 -a "${SLOW_RC#* }" -le 10
check "...whose text it can read (not <insufficient privilege>)" test "$(grep -c 'insufficient privilege' "$TMP/slow.out")" = 0
expect_eq "$(sql "SELECT count(*) > 0 FROM pg_stat_statements WHERE query LIKE '%as emails_sent%' AND calls >= 1 AND mean_exec_time > 0")" t "pg_stat_statements recorded the morning check's volume query"

# --- the Quick Reference's connection test, with our URL for Supabase's.
expect_eq "$(psql "$OWNER_URL" -qAtX -c "$(cat "$STMTS/$S_CONN.sql")" 2>&1)" 1 "the connection test (psql … -c \"SELECT 1;\") answers 1"

# --- the guide's monthly cleanup (not the runbook's: docs/nurture.md gives
# it), as written there, on an old finished enrolment, a recent one and an
# old active one; in a transaction rolled back.
CLEANUP=$(grep -o "DELETE FROM lead_campaign_enrollments WHERE [^;\`]*;" "$TOP/docs/nurture.md" | head -n 1)
check "docs/nurture.md gives the monthly cleanup statement" test -n "$CLEANUP"
psql "$OWNER_URL" -qAtX -v ON_ERROR_STOP=1 > "$TMP/cleanup.out" 2>&1 <<SQL
BEGIN;
INSERT INTO clients (slug, name) VALUES ('${RUN}-cl', 'cleanup');
INSERT INTO leads (client_id, external_id, email)
	SELECT id, 'cl-' || i, 'cl' || i || '@example.test'
	FROM clients, generate_series(1, 3) i WHERE slug = '${RUN}-cl';
INSERT INTO nurture_campaigns (organization_id, campaign_name, from_email)
	SELECT id, 'cleanup', 'a@example.test' FROM clients WHERE slug = '${RUN}-cl';
INSERT INTO lead_campaign_enrollments (organization_id, lead_id, campaign_id, status, updated_at)
	SELECT l.client_id, l.id, c.id,
	       CASE l.external_id WHEN 'cl-3' THEN 'active' ELSE 'completed' END,
	       now() - CASE l.external_id WHEN 'cl-2' THEN interval '10 days' ELSE interval '100 days' END
	FROM leads l JOIN nurture_campaigns c ON c.organization_id = l.client_id
	WHERE c.campaign_name = 'cleanup';
INSERT INTO email_sends (organization_id, enrollment_id, lead_id, campaign_id, step_number, send_status, scheduled_send_time)
	SELECT organization_id, id, lead_id, campaign_id, 1, 'sent', now() - interval '100 days'
	FROM lead_campaign_enrollments e WHERE e.campaign_id = (SELECT id FROM nurture_campaigns WHERE campaign_name = 'cleanup' AND organization_id = (SELECT id FROM clients WHERE slug = '${RUN}-cl'));
INSERT INTO email_events (email_send_id, event_type, event_hash, event_timestamp, payload)
	SELECT s.id, 'open', '${RUN}-cl-' || l.external_id, now() - interval '100 days', '{}'
	FROM email_sends s JOIN leads l ON l.id = s.lead_id WHERE l.client_id = (SELECT id FROM clients WHERE slug = '${RUN}-cl');
$CLEANUP
\echo @@deleted :ROW_COUNT
SELECT '@@left', string_agg(l.external_id || ':' || e.status, ',' ORDER BY l.external_id)
	FROM lead_campaign_enrollments e JOIN leads l ON l.id = e.lead_id WHERE l.client_id = (SELECT id FROM clients WHERE slug = '${RUN}-cl');
SELECT '@@events', count(*), count(email_send_id) FROM email_events WHERE event_hash LIKE '${RUN}-cl-%';
ROLLBACK;
SQL
expect_eq "$(sed -n 's/^@@deleted //p' "$TMP/cleanup.out")" 1 "the guide's cleanup deletes the one enrolment finished over 90 days ago"
expect_eq "$(sed -n 's/^@@left|//p' "$TMP/cleanup.out")" "cl-2:completed,cl-3:active" "...and keeps the recent one and the old active one"
expect_eq "$(sed -n 's/^@@events|//p' "$TMP/cleanup.out")" "3|2" "...its e-mail goes with it; the e-mail's event is kept, detached from it"

NOTRUN=
for n in $(kinds sql) $(kinds bash-sql); do [ -n "${RAN[$n]:-}" ] || NOTRUN="$NOTRUN $n"; done
echo "runbook statements: $(kinds sql | wc -l) in sql blocks + $(kinds bash-sql | wc -l) in Issue 5's bash block; run without error: ${#RAN[@]}; the one that runs but is wrong: $S_STOP (line $(awk -F'\t' -v n="$S_STOP" '$1 == n { print $3 }' "$TMP/index"))"
expect_eq "${NOTRUN:-none}" none "every one of the runbook's 28 SQL statements ran unchanged (with data that gives it meaning)"
[ "$FAILED" -gt 0 ] && { echo "--- psql errors"; cat "$TMP/main.err"; }
finish
