-- When an upheld objection annulled the postponed decision taken on the failed PE check alone, and with it
-- the supplement it asked for (assessment.objection.decided, next_step pe_check; ADR 0011, amended): no
-- longer due, never handed in or announced as missed. A supplement handed in before portfolio heard of the
-- objection stays handed in, so a supplement is never both.
ALTER TABLE supplements ADD COLUMN annulled_at timestamptz;
ALTER TABLE supplements ADD CONSTRAINT supplements_annulled_not_submitted
    CHECK (annulled_at IS NULL OR submitted_at IS NULL);

-- One supplement in force per case, no longer one for good: the case goes back to the PE check, and a later
-- postponed decision on it asks for a supplement of its own.
ALTER TABLE supplements DROP CONSTRAINT supplements_case_id_key;
CREATE UNIQUE INDEX supplements_case_in_force ON supplements (case_id) WHERE annulled_at IS NULL;

-- The deadline check reads no annulled supplement.
DROP INDEX supplements_due_unannounced;
CREATE INDEX supplements_due_unannounced ON supplements (due_on)
    WHERE submitted_at IS NULL AND missed_at IS NULL AND annulled_at IS NULL;
