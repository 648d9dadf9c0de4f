-- bench/health_data.sql: 1,000,000 events logged over the last 48 hours,
-- for activity-health (psql -v client=UUID). In arrival order, as the API
-- appends them; the counts compacted as the worker would have.
INSERT INTO leads (client_id, external_id)
SELECT :'client', 'health-' || g FROM generate_series(1, 10000) g ON CONFLICT DO NOTHING;
INSERT INTO lead_activity_log (client_id, lead_id, event_type, occurred_at, created_at, source)
SELECT :'client', l.id, 'MESSAGE_SENT', t, t, 'bench-health'
FROM (SELECT now() - random() * interval '48 hours' AS t, 1 + (g % 10000) AS n
      FROM generate_series(1, 1000000) g) x
JOIN leads l ON l.client_id = :'client' AND l.external_id = 'health-' || x.n
ORDER BY t;
SELECT activity_counts_compact();
