-- 0016 down: the alert history goes, with its rows.
DROP TABLE alert_history;
