-- Organizers' tools: dashboard sign-in links and sessions, daily jobs run once per day,
-- organizers' preferences, and messages to organizers delivered by the clock.

-- A personal sign-in link: only the SHA-256 of its token is kept; single use, short-lived.
CREATE TABLE web_links (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    locale     TEXT    NOT NULL CHECK (locale IN ('ar', 'fr', 'en')),  -- the dashboard's language
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL,
    used_at    TEXT
);

-- A dashboard session (the cookie holds the token; only its hash is stored here).
CREATE TABLE web_sessions (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    locale     TEXT    NOT NULL CHECK (locale IN ('ar', 'fr', 'en')),
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);

-- A daily job (summary, retention purge, backup) done for a day: claimed once per day,
-- whichever process or restart gets there first.
CREATE TABLE daily_runs (
    job        TEXT NOT NULL,
    day        TEXT NOT NULL,                 -- YYYY-MM-DD in the event's zone
    started_at TEXT NOT NULL,
    details    TEXT NOT NULL DEFAULT '{}',    -- JSON, counts only
    PRIMARY KEY (job, day)
);

CREATE TABLE organizer_prefs (
    user_id       INTEGER PRIMARY KEY,
    daily_summary INTEGER NOT NULL DEFAULT 1 CHECK (daily_summary IN (0, 1))
);

-- Messages to organizers (daily summary, purge report), sent by the clock. Organizers need
-- not be registered participants, so these are not participants' prompts. `key` makes
-- planning idempotent: a restart neither loses nor doubles one.
CREATE TABLE organizer_notices (
    id      INTEGER PRIMARY KEY,
    key     TEXT    NOT NULL UNIQUE,
    user_id INTEGER NOT NULL,
    text    TEXT    NOT NULL,                 -- Telegram HTML
    buttons TEXT    NOT NULL DEFAULT '[]',    -- JSON [[label, callback data], ...]
    due_at  TEXT    NOT NULL,
    state   TEXT    NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'unreachable')),
    done_at TEXT
);
CREATE INDEX organizer_notices_due ON organizer_notices (state, due_at);
