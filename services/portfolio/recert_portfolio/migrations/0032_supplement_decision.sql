-- Which postponed decision asked for the supplement. An upheld objection annuls the supplement of the
-- decision it was against, never a later one: after the case went back to the PE check, a new postponed
-- decision asks for a supplement of its own, and an objection event handled late (retried, dead-lettered
-- and replayed) must leave that one alone. Supplements opened before this migration have none: an upheld
-- objection annuls the case's latest of those, as before.
ALTER TABLE supplements ADD COLUMN decision_id uuid;
