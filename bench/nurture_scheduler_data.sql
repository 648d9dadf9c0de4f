-- nurture_scheduler_data.sql — bench/nurture_scheduler.sh's data,
-- set-based: 10 clients, 10 nurture campaigns each of three steps (0, 60
-- minutes, a day), 10,000 leads per client (100,000), each enrolled in one
-- campaign and due (next_send_at spread over the last hour): 100,000 due
-- enrolments; statistics fresh.
--   psql URL -f bench/nurture_scheduler_data.sql
\set ON_ERROR_STOP 1
INSERT INTO clients (slug, name)
SELECT 'nbench-' || i, 'Nurture bench client ' || i FROM generate_series(1, 10) i;

INSERT INTO nurture_campaigns (organization_id, campaign_name, from_email)
SELECT c.id, 'Nurture ' || k, 'team@example.com'
FROM clients c, generate_series(1, 10) k WHERE c.slug LIKE 'nbench-%';
INSERT INTO nurture_campaign_steps (campaign_id, step_number, subject,
    body_template, delay_minutes)
SELECT n.id, s, 'Step ' || s || ' for {{first_name}}',
    'Hello {{first_name}}, step ' || s, (ARRAY[0, 60, 1440])[s]
FROM nurture_campaigns n, generate_series(1, 3) s;

INSERT INTO leads (client_id, external_id, first_name, last_name, email)
SELECT c.id, 'lead-' || i, 'First' || i, 'Last' || i,
    'lead' || i || '@' || c.slug || '.example.com'
FROM clients c, generate_series(1, 10000) i WHERE c.slug LIKE 'nbench-%';

-- Lead i of a client goes into its campaign i % 10 + 1.
INSERT INTO lead_campaign_enrollments (organization_id, lead_id, campaign_id,
    next_send_at, enrolled_by)
SELECT l.client_id, l.id, n.id,
    now() - interval '1 hour' * random(), 'bench'
FROM leads l
JOIN nurture_campaigns n ON n.organization_id = l.client_id
 AND n.campaign_name = 'Nurture ' || (substr(l.external_id, 6)::integer % 10 + 1)
WHERE l.external_id LIKE 'lead-%';

VACUUM ANALYZE clients, leads, nurture_campaigns, nurture_campaign_steps,
    lead_campaign_enrollments, email_sends, lead_preferences, nurture_control;
