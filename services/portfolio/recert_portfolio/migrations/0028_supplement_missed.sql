-- When the deadline check announced that a supplement's due date passed with nothing handed in
-- (portfolio.supplement.missed, ADR 0042): once per supplement, and final (no hand-in after it).
ALTER TABLE supplements ADD COLUMN missed_at timestamptz;

-- The deadline check reads the supplements past their due date that were neither handed in nor announced.
CREATE INDEX supplements_due_unannounced ON supplements (due_on) WHERE submitted_at IS NULL AND missed_at IS NULL;
