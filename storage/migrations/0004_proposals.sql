-- Proposals sent by participants, and the recommendations organizers make of them.

CREATE TABLE proposals (
    id                INTEGER PRIMARY KEY,            -- shown as P-0042
    author_id         INTEGER NOT NULL REFERENCES participants (user_id) ON DELETE CASCADE,
    theme             TEXT    NOT NULL,               -- a workshop id, or 'general'
    text              TEXT    NOT NULL DEFAULT '',
    status            TEXT    NOT NULL DEFAULT 'new'
        CHECK (status IN ('new', 'accepted', 'merged', 'rejected', 'withdrawn')),
    note              TEXT,                           -- the organizer's note to the author
    tags              TEXT    NOT NULL DEFAULT '[]',  -- JSON list
    recommendation_id INTEGER REFERENCES recommendations (id) ON DELETE SET NULL,
    created_at        TEXT    NOT NULL,
    reviewed_at       TEXT,
    reviewed_by       INTEGER
);
CREATE INDEX proposals_author ON proposals (author_id, created_at);
CREATE INDEX proposals_theme ON proposals (theme, status, id);

CREATE TABLE proposal_attachments (
    id          INTEGER PRIMARY KEY,
    proposal_id INTEGER NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL CHECK (kind IN ('photo', 'voice', 'audio', 'document', 'video')),
    file_id     TEXT    NOT NULL,                     -- Telegram file id
    file_name   TEXT,
    position    INTEGER NOT NULL
);
CREATE INDEX proposal_attachments_proposal ON proposal_attachments (proposal_id, position);

CREATE TABLE recommendations (
    id          INTEGER PRIMARY KEY,                  -- shown as R-7
    workshop_id TEXT,                                 -- NULL: general
    text        TEXT    NOT NULL,
    language    TEXT    NOT NULL CHECK (language IN ('ar', 'fr', 'en')),
    owner_id    INTEGER REFERENCES participants (user_id) ON DELETE SET NULL,
    due_date    TEXT,                                 -- YYYY-MM-DD, in the event's zone
    status      TEXT    NOT NULL DEFAULT 'not_started'
        CHECK (status IN ('not_started', 'in_progress', 'done', 'blocked', 'dropped')),
    created_at  TEXT    NOT NULL,
    created_by  INTEGER,
    updated_at  TEXT    NOT NULL
);
CREATE INDEX recommendations_owner ON recommendations (owner_id, status);

-- Telegram @username, to find a recommendation's owner from an imported table.
ALTER TABLE participants ADD COLUMN username TEXT;
CREATE INDEX participants_username ON participants (username COLLATE NOCASE);
