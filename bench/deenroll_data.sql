-- deenroll_data.sql — bench/deenroll.sh's data, set-based: 100 clients,
-- five campaigns of five steps each, 10,000 leads per client (1,000,000),
-- one in ten at the end of its campaign (100,000 finished), the rest on
-- their way; the campaigns' counts recalculated; statistics fresh.
--   psql URL -f bench/deenroll_data.sql
\set ON_ERROR_STOP 1
INSERT INTO clients (slug, name)
SELECT 'bench-' || i, 'Bench client ' || i FROM generate_series(1, 100) i;

CREATE TEMP TABLE bench_campaigns AS
SELECT c.id AS client_id, k, gen_random_uuid() AS id
FROM clients c, generate_series(1, 5) k WHERE c.slug LIKE 'bench-%';
INSERT INTO campaigns (id, client_id, name, messages, is_active)
SELECT id, client_id, 'Drip ' || k,
    (SELECT jsonb_agg(jsonb_build_object('body', 'Message ' || s || ' of Drip ' || k,
                                         'delay_hours', 24))
     FROM generate_series(1, 5) s), true
FROM bench_campaigns;

-- Lead i of a client: campaign (i / 10) % 5 + 1; finished when i % 10 = 0
-- (position 5 of 5), else at position i % 5.
INSERT INTO leads (client_id, external_id, first_name, last_name, phone,
    campaign_link_id, current_message_position, messages_received,
    is_active, enrolled_at, campaign_event_at)
SELECT b.client_id, 'lead-' || i, 'First' || i, 'Last' || i,
    '+1555' || lpad(i::text, 7, '0'), b.id, p.pos, p.pos, true,
    now() - interval '10 days', now() - interval '10 days'
FROM generate_series(1, 10000) i
CROSS JOIN LATERAL (SELECT CASE WHEN i % 10 = 0 THEN 5 ELSE i % 5 END AS pos) p
JOIN bench_campaigns b ON b.k = (i / 10) % 5 + 1;

SELECT campaigns_recalculate() AS campaigns_counted;
