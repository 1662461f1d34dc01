-- The event (its definition file, every loaded version kept), workshop sign-ups with their
-- waiting lists, check-ins, and the clock's due rows (reminders and change notices).

CREATE TABLE event_versions (
    id         INTEGER PRIMARY KEY,
    slug       TEXT    NOT NULL,
    definition TEXT    NOT NULL,                -- JSON of bot.event_file.EventDefinition
    loaded_at  TEXT    NOT NULL,
    loaded_by  INTEGER                          -- NULL from the command line
);

-- One row per (person, workshop). `id` keeps arrival order for the waiting list.
CREATE TABLE signups (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    workshop_id TEXT    NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES participants (user_id) ON DELETE CASCADE,
    state       TEXT    NOT NULL CHECK (state IN ('confirmed', 'waiting')),
    created_at  TEXT    NOT NULL,
    UNIQUE (workshop_id, user_id)
);
CREATE INDEX signups_workshop ON signups (workshop_id, state, id);
CREATE INDEX signups_user ON signups (user_id);

CREATE TABLE checkins (
    user_id INTEGER PRIMARY KEY REFERENCES participants (user_id) ON DELETE CASCADE,
    at      TEXT    NOT NULL
);

-- What the clock sends when due. `key` makes re-planning idempotent.
CREATE TABLE prompts (
    id       INTEGER PRIMARY KEY,
    key      TEXT    NOT NULL UNIQUE,           -- e.g. "session:opening:12345"
    kind     TEXT    NOT NULL CHECK (kind IN ('day_before', 'morning_agenda', 'session', 'notice')),
    user_id  INTEGER NOT NULL,
    subject  TEXT,                              -- agenda item or workshop id
    payload  TEXT    NOT NULL DEFAULT '{}',     -- JSON (a notice's text)
    due_at   TEXT    NOT NULL,                  -- UTC
    state    TEXT    NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sending', 'sent', 'dropped', 'failed', 'unreachable')),
    done_at  TEXT
);
CREATE INDEX prompts_due ON prompts (state, due_at);
CREATE INDEX prompts_user ON prompts (user_id, state);
