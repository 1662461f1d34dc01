-- Where each role came from, so that ORGANIZER_IDS can be the truth at every start without
-- undoing what was granted on purpose elsewhere:
--   settings  granted because the id is in ORGANIZER_IDS; revoked at start once it is not
--   terminal  granted with `multaqa roles grant`; kept until `multaqa roles revoke`
-- Every role held before this migration came from ORGANIZER_IDS.
ALTER TABLE roles ADD COLUMN source TEXT NOT NULL DEFAULT 'settings'
    CHECK (source IN ('settings', 'terminal', 'invite'));
