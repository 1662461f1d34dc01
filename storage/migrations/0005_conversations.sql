-- One conversation manager over the drafts table (see handlers/conversation.py):
-- at most one active draft per person, others put aside; every draft expires.
-- update_id: the last update that moved the draft, so a replayed update is recognised.
ALTER TABLE drafts ADD COLUMN active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1));
ALTER TABLE drafts ADD COLUMN update_id INTEGER;
ALTER TABLE drafts ADD COLUMN expires_at TEXT NOT NULL DEFAULT '';

-- Drafts written before this migration: the most recent one of each person stays active,
-- the others are put aside; all expire a day after their last change (the default).
UPDATE drafts SET active = 0 WHERE EXISTS (
    SELECT 1 FROM drafts AS newer
    WHERE newer.user_id = drafts.user_id
      AND (newer.updated_at > drafts.updated_at
           OR (newer.updated_at = drafts.updated_at AND newer.flow > drafts.flow))
);
UPDATE drafts SET expires_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', updated_at, '+1 day');

CREATE UNIQUE INDEX drafts_one_active ON drafts (user_id) WHERE active = 1;
CREATE INDEX drafts_expiry ON drafts (expires_at);
