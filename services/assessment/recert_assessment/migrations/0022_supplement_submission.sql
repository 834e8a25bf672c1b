-- A supplement keeps the id of its own snapshot (portfolio.supplement.submitted's supplement_submission_id),
-- so that the case answers it and the assessor reads the supplement without searching portfolio's list.
-- Supplements received before have none.
ALTER TABLE supplements ADD COLUMN supplement_submission_id uuid;
