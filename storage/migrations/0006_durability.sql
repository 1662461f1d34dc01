-- The durable inbox (every update kept until handled) and owners of campaigns being sent.

CREATE TABLE inbox (
    update_id   INTEGER PRIMARY KEY,                -- Telegram's update_id
    payload     TEXT    NOT NULL,                   -- the raw JSON as received
    received_at INTEGER NOT NULL,                   -- unix seconds (pruning only)
    state       TEXT    NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'handled', 'skipped')),
    applied     INTEGER NOT NULL DEFAULT 0,         -- 1 once a write of its handler committed
    attempts    INTEGER NOT NULL DEFAULT 0,         -- parse or handling attempts that died
    handled_at  INTEGER
);
CREATE INDEX inbox_pending ON inbox (state, update_id);

-- Who is sending a campaign: 'bot' or 'cli:<pid>:<random>', and until when (unix seconds)
-- the owner's last heartbeat holds the campaign. Only an expired owner is taken over.
ALTER TABLE campaigns ADD COLUMN owner TEXT;
ALTER TABLE campaigns ADD COLUMN lease_until REAL;
