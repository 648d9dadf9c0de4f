-- 0015 down: the SendGrid event intake's functions. The events, sends and
-- timeline rows they wrote stay (they are 0013's tables).
DROP FUNCTION nurture_events_store(jsonb, jsonb);
DROP FUNCTION nurture_events_apply(bigint[], uuid[], bigint[]);
