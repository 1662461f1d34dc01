-- Follow-up of recommendations: every status change kept, the follow-up state of each
-- recommendation (prompts sent and not answered), invites for owners not yet registered,
-- and participants' choice about the "You said, we did" digest.

ALTER TABLE recommendations ADD COLUMN progress INTEGER NOT NULL DEFAULT 0
    CHECK (progress BETWEEN 0 AND 100);

-- Never updated, never deleted: the timeline of each recommendation.
CREATE TABLE status_updates (
    id                INTEGER PRIMARY KEY,
    recommendation_id INTEGER NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
    at                TEXT    NOT NULL,
    by_user           INTEGER,                      -- NULL: the system (e.g. dropped on import)
    kind              TEXT    NOT NULL DEFAULT 'status'
        CHECK (kind IN ('status', 'owner', 'due', 'comment')),
    from_status       TEXT,
    to_status         TEXT,
    progress          INTEGER,
    comment           TEXT,
    evidence          TEXT    NOT NULL DEFAULT '[]', -- JSON list of {kind, file_id, file_name}
    details           TEXT    NOT NULL DEFAULT '{}', -- JSON: old/new owner, old/new due date
    update_id         INTEGER UNIQUE                 -- the Telegram update that made it (replays)
);
CREATE INDEX status_updates_rec ON status_updates (recommendation_id, at);
CREATE INDEX status_updates_at ON status_updates (at);

-- Where each open recommendation stands in its follow-up cadence.
CREATE TABLE follow_state (
    recommendation_id INTEGER PRIMARY KEY REFERENCES recommendations (id) ON DELETE CASCADE,
    assigned_at       TEXT,             -- UTC: the current owner got it (the cadence starts)
    last_prompt_at    TEXT,             -- UTC; NULL: never prompted
    last_answer_at    TEXT,             -- UTC; NULL: never answered
    silent_prompts    INTEGER NOT NULL DEFAULT 0,   -- prompts since the last answer
    pre_due_sent      INTEGER NOT NULL DEFAULT 0,   -- the "N days before due" prompt went
    due_day_sent      INTEGER NOT NULL DEFAULT 0,   -- the due-date prompt went
    escalated_silent  INTEGER NOT NULL DEFAULT 0,   -- silent_prompts at the last escalation
    escalated_overdue TEXT                          -- the due date escalated as overdue
);

-- One-time links for owners who have not registered yet. Only a hash of the token is kept.
CREATE TABLE invites (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT    NOT NULL UNIQUE,
    role        TEXT    NOT NULL CHECK (role IN ('delegate', 'organizer')),
    label       TEXT    NOT NULL DEFAULT '',          -- the owner as the organizer typed it
    created_by  INTEGER,
    created_at  TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL,
    used_at     TEXT,
    used_by     INTEGER,
    revoked_at  TEXT
);

-- Recommendations waiting for the person who will open an invite.
ALTER TABLE recommendations ADD COLUMN pending_invite_id INTEGER REFERENCES invites (id);

-- 1: the person does not want the periodic "You said, we did" digest.
ALTER TABLE participants ADD COLUMN digest_opt_out INTEGER NOT NULL DEFAULT 0;

-- Organizers' choices about the summaries they receive (weekly follow-up summary...).
CREATE TABLE follow_up_prefs (
    user_id INTEGER NOT NULL,
    name    TEXT    NOT NULL,
    value   TEXT    NOT NULL,
    PRIMARY KEY (user_id, name)
);

-- The clock's rows gain follow-up kinds. SQLite cannot change a CHECK: rebuild the table.
CREATE TABLE prompts_new (
    id       INTEGER PRIMARY KEY,
    key      TEXT    NOT NULL UNIQUE,
    kind     TEXT    NOT NULL,          -- validated in code (storage.event.PROMPT_KINDS)
    user_id  INTEGER NOT NULL,
    subject  TEXT,
    payload  TEXT    NOT NULL DEFAULT '{}',
    due_at   TEXT    NOT NULL,
    state    TEXT    NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sending', 'sent', 'dropped', 'failed', 'unreachable')),
    done_at  TEXT
);
INSERT INTO prompts_new SELECT id, key, kind, user_id, subject, payload, due_at, state, done_at
    FROM prompts;
DROP TABLE prompts;
ALTER TABLE prompts_new RENAME TO prompts;
CREATE INDEX prompts_due ON prompts (state, due_at);
CREATE INDEX prompts_user ON prompts (user_id, state);
