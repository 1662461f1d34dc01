-- Campaigns (announcements to many people) and one delivery row per (campaign, recipient).

CREATE TABLE campaigns (
    id                  INTEGER PRIMARY KEY,
    author_id           INTEGER,                       -- NULL when sent from the command line
    author_locale       TEXT    NOT NULL,              -- language of progress and report
    audience            TEXT    NOT NULL,              -- JSON, see storage/campaigns.py
    texts               TEXT    NOT NULL,              -- JSON {locale: Telegram HTML}
    media_kind          TEXT CHECK (media_kind IN ('photo', 'document')),
    media_file_id       TEXT,
    state               TEXT    NOT NULL DEFAULT 'draft'
        CHECK (state IN ('draft', 'scheduled', 'sending', 'paused', 'done', 'cancelled')),
    scheduled_at        TEXT,
    created_at          TEXT    NOT NULL,
    started_at          TEXT,
    finished_at         TEXT,
    progress_chat_id    INTEGER,                       -- where the live progress message is
    progress_message_id INTEGER
);
CREATE INDEX campaigns_state ON campaigns (state, scheduled_at);

CREATE TABLE deliveries (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    chat_id     INTEGER NOT NULL,
    locale      TEXT    NOT NULL,
    state       TEXT    NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'unreachable')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    message_id  INTEGER,
    updated_at  TEXT    NOT NULL,
    PRIMARY KEY (campaign_id, user_id)
);
CREATE INDEX deliveries_state ON deliveries (campaign_id, state);
