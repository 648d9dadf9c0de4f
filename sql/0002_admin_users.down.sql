-- Roll back 0002: drops the admin users, their sessions and the recorded
-- failed logins (and their data).
DROP TABLE IF EXISTS login_attempts, admin_sessions, admin_users;
