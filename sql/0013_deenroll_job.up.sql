-- 0013 de-enrollment alerts: the job raises the SOP's alerts once per
-- condition and client, keyed 'deenroll:<client uuid>:<check>' in
-- alert_state, whose condition names allowed only letters and '_' (0005).
ALTER TABLE alert_state DROP CONSTRAINT alert_state_condition_check;
ALTER TABLE alert_state ADD CONSTRAINT alert_state_condition_check
	CHECK (condition ~ '^[a-z0-9_:.-]{1,100}$');
