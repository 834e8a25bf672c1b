-- ADR 0009 (amended 2026-12-07): a negative decision on a whole new portfolio after a negative decision opens
-- no further portfolio, so it has no new-portfolio deadline. Only negative decisions may have one.
DO $$
DECLARE
    found text;
BEGIN
    FOR found IN
        SELECT conname FROM pg_constraint
         WHERE conrelid = 'decisions'::regclass AND contype = 'c'
           AND pg_get_constraintdef(oid) LIKE '%new_portfolio_deadline%'
    LOOP
        EXECUTE format('ALTER TABLE decisions DROP CONSTRAINT %I', found);
    END LOOP;
END $$;

ALTER TABLE decisions ADD CONSTRAINT decisions_new_portfolio_deadline_negative_only
    CHECK (decision = 'negative' OR new_portfolio_deadline IS NULL);

COMMENT ON COLUMN decisions.new_portfolio_deadline IS
    'Negative decisions only; null on the negative decision about the new portfolio after a negative one.';
