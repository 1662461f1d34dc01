-- Roles say where they truly came from: a delegate role that follows ownership of a
-- recommendation is 'assignment', a role opened through an invite link is 'invite' (both
-- were stored as 'settings', so `multaqa roles list` said "from ORGANIZER_IDS" and the next
-- start took an invited organizer's role away). SQLite cannot change a CHECK: rebuild.
CREATE TABLE roles_new (
    user_id    INTEGER NOT NULL,
    role       TEXT    NOT NULL CHECK (role IN ('organizer', 'delegate')),
    granted_by INTEGER,                          -- NULL when bootstrapped from settings
    granted_at TEXT    NOT NULL,
    source     TEXT    NOT NULL DEFAULT 'settings'
        CHECK (source IN ('settings', 'terminal', 'invite', 'assignment')),
    PRIMARY KEY (user_id, role)
);
INSERT INTO roles_new (user_id, role, granted_by, granted_at, source)
    SELECT user_id, role, granted_by, granted_at, source FROM roles;
DROP TABLE roles;
ALTER TABLE roles_new RENAME TO roles;

-- The wrong rows, where it can be told: a role granted the moment an invite for it was
-- opened came from that invite; any other delegate role came from an assignment (delegates
-- are never in ORGANIZER_IDS).
UPDATE roles SET source = 'invite' WHERE source = 'settings' AND EXISTS (
    SELECT 1 FROM invites i WHERE i.used_by = roles.user_id AND i.role = roles.role
    AND i.used_at = roles.granted_at);
UPDATE roles SET source = 'assignment' WHERE source = 'settings' AND role = 'delegate';

-- What was left behind by organizers revoked before this version: their dashboard sessions
-- and links, and the messages planned for them as organizers.
DELETE FROM web_sessions WHERE user_id NOT IN (SELECT user_id FROM roles WHERE role = 'organizer');
DELETE FROM web_links WHERE user_id NOT IN (SELECT user_id FROM roles WHERE role = 'organizer');
DELETE FROM organizer_notices WHERE state = 'pending'
    AND user_id NOT IN (SELECT user_id FROM roles WHERE role = 'organizer');
DELETE FROM prompts WHERE state = 'pending' AND kind IN ('escalation', 'weekly_summary')
    AND user_id NOT IN (SELECT user_id FROM roles WHERE role = 'organizer');
