-- nurture_scheduler_floor.sql — the set-based floor of a scheduler run:
-- one INSERT … SELECT of the same email_sends rows the run queues (step 1
-- of every due enrolment, due at its next_send_at) and one UPDATE moving
-- the enrolments to step 1, due step 2's delay later — without batches,
-- locks, the opt-out checks or commits in between.
-- bench/nurture_scheduler.sh times it against the real run.
\set ON_ERROR_STOP 1
BEGIN;
INSERT INTO email_sends (organization_id, enrollment_id, lead_id,
    campaign_id, step_number, scheduled_send_time)
SELECT e.organization_id, e.id, e.lead_id, e.campaign_id, 1, e.next_send_at
FROM lead_campaign_enrollments e
WHERE e.status = 'active' AND e.next_send_at <= now();
UPDATE lead_campaign_enrollments SET current_step = 1,
    next_send_at = now() + interval '60 minutes', updated_at = now()
WHERE status = 'active' AND next_send_at <= now();
COMMIT;
