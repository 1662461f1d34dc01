-- The event file named by EVENT_FILE, as last decided about at start: its content hash, the
-- version it became (NULL when an organizer's version loaded through the bot was kept over
-- it), and the version organizers were told was kept (so they are told once).
CREATE TABLE event_file_seen (
    path         TEXT    PRIMARY KEY,            -- the file's absolute path
    sha256       TEXT    NOT NULL,
    version      INTEGER,
    told_version INTEGER,
    seen_at      TEXT    NOT NULL
);
