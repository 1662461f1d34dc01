-- Update ids are numbered per bot: the inbox is keyed by (update_id, bot_id), so a database
-- reused with another bot's token does not take that bot's first updates for ones it has
-- already seen. The bot that last used the database is recorded (storage/inbox.py: claim).

-- One row: the Telegram id of the bot that last started on this database (the number before
-- ':' in its token; it stays the same when the token of the same bot is revoked and renewed).
CREATE TABLE bot_identity (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    bot_id     INTEGER NOT NULL,
    since      INTEGER NOT NULL                     -- unix seconds: first start of this bot
);

-- SQLite cannot change a primary key: rebuild the table. update_id first in the key, so the
-- marks written by update id alone (storage/database.py) still find their row by the index.
CREATE TABLE inbox_new (
    update_id   INTEGER NOT NULL,                   -- Telegram's update_id (per bot)
    bot_id      INTEGER NOT NULL DEFAULT 0,         -- 0: stored before 0012, the next bot's
    payload     TEXT    NOT NULL,                   -- the raw JSON as received
    received_at INTEGER NOT NULL,                   -- unix seconds (pruning only)
    state       TEXT    NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'handled', 'skipped')),
    applied     INTEGER NOT NULL DEFAULT 0,         -- 1 once a write of its handler committed
    attempts    INTEGER NOT NULL DEFAULT 0,         -- parse or handling attempts that died
    handled_at  INTEGER,
    PRIMARY KEY (update_id, bot_id)
);
INSERT INTO inbox_new (update_id, payload, received_at, state, applied, attempts, handled_at)
    SELECT update_id, payload, received_at, state, applied, attempts, handled_at FROM inbox;
DROP TABLE inbox;
ALTER TABLE inbox_new RENAME TO inbox;
CREATE INDEX inbox_pending ON inbox (state, bot_id, update_id);
