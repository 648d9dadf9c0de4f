-- bench/portal_data.sql — the portal benchmark's data (bench/portal.sh):
-- :leads leads over five clients and :events events spread over a year,
-- one lead ("recBENCHBIG0001") with :big_events of them, every other lead
-- with about (:events - :big_events) / (:leads - 1) (about 100 for
-- 100,000 leads and 10,000,000 events).
--
--   psql "$DATABASE_URL" -v leads=100000 -v events=10000000 -v big_events=10000 \
--        -f bench/portal_data.sql
--
-- Run as the schema owner on a throw-away instance only: for speed the
-- log's indexes, its foreign key and its counting trigger are set aside
-- during the one big INSERT … SELECT and put back after (an index built
-- once over sorted data is several times cheaper than 10 million random
-- insertions into it; the foreign key is then checked by one join instead
-- of a trigger per row). activity_counts is filled to match the log, as
-- the trigger would have. Everything is deterministic but the times.
\set ON_ERROR_STOP on
\timing on
SET maintenance_work_mem = '1GB';
SET work_mem = '256MB';
SET synchronous_commit = off;

INSERT INTO clients (slug, name) VALUES
	('acme', 'Acme Dental'), ('globex', 'Globex Realty'),
	('initech', 'Initech Roofing'), ('umbrella', 'Umbrella Clinics')
ON CONFLICT (slug) DO NOTHING;

-- Lead n (1..:leads) has the id md5('bench-lead-' || n) and the client
-- number n % 5, so an event can name its lead without a join.
CREATE TEMP TABLE bench_clients AS
SELECT array_agg(id ORDER BY slug) AS ids FROM clients
WHERE slug IN ('default', 'acme', 'globex', 'initech', 'umbrella');

\echo leads
INSERT INTO leads (id, client_id, external_id, first_name, last_name, email,
    phone, status, created_at, updated_at)
SELECT md5('bench-lead-' || n)::uuid, c.ids[1 + n % 5],
    CASE WHEN n = 1 THEN 'recBENCHBIG0001'
         ELSE 'rec' || upper(substr(md5('ext' || n), 1, 14)) END,
    CASE WHEN n = 1 THEN 'Bigg' ELSE f.names[1 + n % 40] END,
    CASE WHEN n = 1 THEN 'Timeline' ELSE l.names[1 + (n / 40) % 50] END,
    lower(f.names[1 + n % 40]) || '.' || lower(l.names[1 + (n / 40) % 50])
        || '.' || n || '@' || d.names[1 + n % 6],
    '+1 (' || (200 + n % 800) || ') 555-' || lpad((n % 10000)::text, 4, '0'),
    s.names[1 + (n * 7) % 5],
    now() - interval '365 days' + n * (interval '364 days' / :leads),
    now() - interval '365 days' + n * (interval '364 days' / :leads)
FROM generate_series(1, :leads) n, bench_clients c,
    (SELECT ARRAY['James','Mary','Robert','Patricia','John','Jennifer',
        'Michael','Linda','David','Elizabeth','William','Barbara','Richard',
        'Susan','Joseph','Jessica','Thomas','Sarah','Carlos','Karen',
        'Wei','Nancy','Ahmed','Lisa','Daniel','Betty','Matthew','Sandra',
        'Anthony','Ashley','Mark','Kimberly','Ngozi','Emily','Paul',
        'Donna','Andrew','Michelle','Joshua','Aisha'] AS names) f,
    (SELECT ARRAY['Smith','Johnson','Williams','Brown','Jones','Garcia',
        'Miller','Davis','Rodriguez','Martinez','Hernandez','Lopez',
        'Gonzalez','Wilson','Anderson','Thomas','Taylor','Moore','Jackson',
        'Martin','Lee','Perez','Thompson','White','Harris','Sanchez',
        'Clark','Ramirez','Lewis','Robinson','Walker','Young','Allen',
        'King','Wright','Scott','Torres','Nguyen','Hill','Flores','Green',
        'Adams','Nelson','Baker','Hall','Rivera','Campbell','Mitchell',
        'Carter','Okafor'] AS names) l,
    (SELECT ARRAY['gmail.com','yahoo.com','outlook.com','icloud.com',
        'example.org','proton.me'] AS names) d,
    (SELECT ARRAY['new','contacted','booked','nurture','opted_out'] AS names) s;

-- The events: event g happens at a time that grows with g (the log is
-- appended in arrival order, which the BRIN index on created_at relies
-- on); every 1000th belongs to the big lead, the others go round the
-- other leads. Types, channels and workflows in plausible proportions.
ALTER TABLE lead_activity_log DISABLE TRIGGER lead_activity_log_count;
SELECT conname AS log_fk FROM pg_constraint
WHERE conrelid = 'lead_activity_log'::regclass AND contype = 'f'
    AND confrelid = 'leads'::regclass \gset
ALTER TABLE lead_activity_log DROP CONSTRAINT :"log_fk";
DROP INDEX lead_activity_log_timeline, lead_activity_log_created;

\echo events
INSERT INTO lead_activity_log (client_id, lead_id, event_type, occurred_at,
    created_at, source, execution_id, channel, message, metadata)
SELECT c.ids[1 + k % 5], md5('bench-lead-' || k)::uuid,
    (ARRAY['MESSAGE_SENT','MESSAGE_SENT','MESSAGE_SENT','MESSAGE_SENT',
        'MESSAGE_SENT','MESSAGE_DELIVERED','MESSAGE_DELIVERED',
        'MESSAGE_DELIVERED','INBOUND_REPLY','MESSAGE_FAILED',
        'BOOKING_CONFIRMED','NOTE_ADDED'])[1 + (g * 7) % 12],
    t - (g % 97) * interval '1 second', t,
    (ARRAY['sms-nurture-day1','sms-nurture-day3','booking-reminder',
        'inbound-router','calendly-sync'])[1 + g % 5],
    'exec-' || (g / 7),
    CASE WHEN g % 5 = 0 THEN 'email' ELSE 'sms' END,
    (ARRAY['Hi {{first_name}}, still interested in a free consultation?',
        'Your appointment is confirmed for tomorrow at 10:00.',
        'Thanks! Can I move it to Friday?',
        'Carrier rejected the message (30007).',
        'Reminder: reply STOP to opt out.'])[1 + g % 5],
    (ARRAY['{"campaign":"spring-promo","step":1}',
        '{"campaign":"spring-promo","step":2,"segment":"warm"}',
        '{"twilio_sid":"SM0000000000000000000000000000000","segments":1}',
        '{"calendly":{"event":"invitee.created","slot":"2025-06-01T10:00:00Z"}}',
        '{}'])[1 + g % 5]::jsonb
FROM (SELECT g,
        CASE WHEN g % 1000 = 0 AND g / 1000 <= :big_events THEN 1
             ELSE 2 + (g * 7919) % (:leads - 1) END AS k,
        now() - interval '365 days' + g * (interval '365 days' / :events)
            - interval '1 hour' AS t
      FROM generate_series(1::bigint, :events) g) e, bench_clients c;

\echo indexes and the foreign key
CREATE INDEX lead_activity_log_timeline
	ON lead_activity_log (lead_id, occurred_at DESC, id DESC);
CREATE INDEX lead_activity_log_created
	ON lead_activity_log USING brin (created_at) WITH (pages_per_range = 16);
ALTER TABLE lead_activity_log ADD CONSTRAINT :"log_fk"
	FOREIGN KEY (lead_id, client_id) REFERENCES leads (id, client_id);
ALTER TABLE lead_activity_log ENABLE TRIGGER lead_activity_log_count;

\echo activity_counts
-- What the trigger and the compaction would have left: one row per hour,
-- client and type, and one per minute for the last 26 hours.
INSERT INTO activity_counts_hourly AS a (bucket, shard, client_id, event_type, events)
SELECT date_trunc('hour', created_at), 0, client_id, event_type, count(*)
FROM lead_activity_log WHERE source IN ('sms-nurture-day1',
    'sms-nurture-day3', 'booking-reminder', 'inbound-router', 'calendly-sync')
GROUP BY 1, 2, 3, 4
ON CONFLICT (bucket, shard, client_id, event_type)
DO UPDATE SET events = a.events + EXCLUDED.events;
INSERT INTO activity_counts AS a (bucket, shard, client_id, event_type, events,
    first_id, last_id)
SELECT date_trunc('minute', created_at), 0, client_id, event_type, count(*),
    min(id), max(id)
FROM lead_activity_log WHERE source IN ('sms-nurture-day1',
    'sms-nurture-day3', 'booking-reminder', 'inbound-router', 'calendly-sync')
  AND created_at >= date_trunc('hour', now() - interval '26 hours')
GROUP BY 1, 2, 3, 4
ON CONFLICT (bucket, shard, client_id, event_type)
DO UPDATE SET events = a.events + EXCLUDED.events;

\echo vacuum analyze
VACUUM ANALYZE leads;
VACUUM ANALYZE lead_activity_log;
VACUUM ANALYZE activity_counts;
VACUUM ANALYZE activity_counts_hourly;
