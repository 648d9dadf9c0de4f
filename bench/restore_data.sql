-- bench/restore_data.sql: 1,000,000 events in lead_activity_log for the
-- backup and restore benchmark (psql -v client=UUID), over 90 days, from
-- 20,000 leads, with the text and metadata real events carry, in arrival
-- order as the API appends them. Set-based: one INSERT.
INSERT INTO leads (client_id, external_id, first_name, email)
SELECT :'client', 'restore-' || g, 'Lead ' || g, 'lead' || g || '@example.com'
FROM generate_series(1, 20000) g ON CONFLICT DO NOTHING;
INSERT INTO lead_activity_log (client_id, lead_id, event_type, occurred_at,
    created_at, source, execution_id, channel, message, metadata)
SELECT :'client', l.id,
    (ARRAY['MESSAGE_SENT', 'INBOUND_REPLY', 'BOOKING_CONFIRMED'])[1 + x.n % 3],
    t, t, 'UYSP-Flow-' || (x.n % 40), 'exec-' || x.g, 'sms',
    'Hi Lead ' || x.n || ', following up on your enquiry (message ' || x.g || ')',
    jsonb_build_object('step', 1 + x.g % 5, 'segment', 'bench')
FROM (SELECT g, now() - interval '90 days' + g * interval '7776 milliseconds' AS t,
             1 + (g % 20000) AS n
      FROM generate_series(1, 1000000) g) x
JOIN leads l ON l.client_id = :'client' AND l.external_id = 'restore-' || x.n
ORDER BY t;
