-- Participants, registration drafts, roles and the audit log.
-- Times are ISO-8601 strings in UTC.

CREATE TABLE participants (
    user_id        INTEGER PRIMARY KEY,          -- Telegram user id
    chat_id        INTEGER NOT NULL,             -- private chat with the bot
    locale         TEXT    NOT NULL CHECK (locale IN ('ar', 'fr', 'en')),
    consent_at     TEXT    NOT NULL,
    full_name      TEXT    NOT NULL,
    function_code  TEXT    NOT NULL,             -- a code from settings, or 'other'
    function_other TEXT,                         -- free text when function_code = 'other'
    region_code    TEXT    NOT NULL,
    unit           TEXT    NOT NULL,
    phone          TEXT,                         -- E.164, optional
    reachable      INTEGER NOT NULL DEFAULT 1 CHECK (reachable IN (0, 1)),
    registered_at  TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL
);
CREATE INDEX participants_region ON participants (region_code);
CREATE INDEX participants_function ON participants (function_code);

-- A conversation in progress (registration, profile edit, later flows), one per user and flow.
-- Written on every answer so a restart, even a SIGKILL, loses no answered step.
CREATE TABLE drafts (
    user_id    INTEGER NOT NULL,
    flow       TEXT    NOT NULL,
    step       TEXT    NOT NULL,
    data       TEXT    NOT NULL DEFAULT '{}',    -- JSON object
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (user_id, flow)
);

-- Roles beyond "participant". Not tied to participants: an organizer may not have registered.
CREATE TABLE roles (
    user_id    INTEGER NOT NULL,
    role       TEXT    NOT NULL CHECK (role IN ('organizer', 'delegate')),
    granted_by INTEGER,                          -- NULL when bootstrapped from settings
    granted_at TEXT    NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT    NOT NULL,
    actor_id  INTEGER,                           -- NULL for the system itself
    action    TEXT    NOT NULL,
    subject   TEXT,
    details   TEXT    NOT NULL DEFAULT '{}'      -- JSON object, never names or phones
);
CREATE INDEX audit_log_at ON audit_log (at);
