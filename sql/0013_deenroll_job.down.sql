-- Roll back 0013: forgets the de-enrollment alerts' states (a condition
-- still holding is alerted once more after going up again).
DELETE FROM alert_state WHERE condition !~ '^[a-z_]{1,64}$';
ALTER TABLE alert_state DROP CONSTRAINT alert_state_condition_check;
ALTER TABLE alert_state ADD CONSTRAINT alert_state_condition_check
	CHECK (condition ~ '^[a-z_]{1,64}$');
