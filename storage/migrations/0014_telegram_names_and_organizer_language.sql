-- What Telegram tells of a person, kept where the bot needs it.
-- A participant's Telegram first name, refreshed when it changes (with the @username of 0004):
-- an organizer looking for a delegate may know them by it.
ALTER TABLE participants ADD COLUMN first_name TEXT;
-- The language an organizer last used with the bot, for those who never registered (the
-- registered ones have participants.locale): their daily and weekly summaries and escalations
-- go in it. `locale_chosen` = 1 when picked with /language: Telegram's language_code of later
-- messages no longer overrides it.
ALTER TABLE organizer_prefs ADD COLUMN locale TEXT CHECK (locale IN ('ar', 'fr', 'en'));
ALTER TABLE organizer_prefs ADD COLUMN locale_chosen INTEGER NOT NULL DEFAULT 0
    CHECK (locale_chosen IN (0, 1));
