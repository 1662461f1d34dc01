-- Replies as durable as the effects they answer (storage/journal.py, storage/outbox.py).

-- What a handler read and wrote, committed with each of its writes, so that a replay after a
-- crash takes the same path; deleted when the update's replies are committed.
CREATE TABLE update_journal (
    update_id INTEGER NOT NULL,
    bot_id    INTEGER NOT NULL DEFAULT 0,          -- update ids are per bot (0012)
    seq       INTEGER NOT NULL,                    -- the call's position in the handling
    kind      TEXT    NOT NULL,                    -- r: a read, w: a write, x: opaque
    what      TEXT    NOT NULL,                    -- the statement or the write's function
    payload   BLOB    NOT NULL,                    -- the result (pickled)
    PRIMARY KEY (update_id, bot_id, seq)
) WITHOUT ROWID;

-- Replies decided by a handler whose update had effects: committed together (with the inbox's
-- handled mark), then sent and marked sent. Pending rows at start are sent first.
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY,
    update_id  INTEGER NOT NULL,
    bot_id     INTEGER NOT NULL DEFAULT 0,         -- update ids are per bot (0012)
    seq        INTEGER NOT NULL,                   -- order within the update's replies
    chat_id    INTEGER,
    op         TEXT    NOT NULL,                   -- JSON: the Bot API method and its arguments
    state      TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    created_at INTEGER NOT NULL,
    UNIQUE (update_id, bot_id, seq)
);
CREATE INDEX outbox_pending ON outbox (state, id);
