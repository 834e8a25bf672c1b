-- Retention (ADR 0020): a cycle's submitted snapshots and its proof files are deleted
-- RECERT_PORTFOLIO_RETENTION_DAYS after the final decision (positive or negative) on its case.
-- purged_at: when that was done for this decision.
ALTER TABLE decisions ADD COLUMN purged_at timestamptz;

-- Snapshots stay immutable: never updated, never truncated, and deleted only by the retention job, in a
-- transaction that says so (SET LOCAL recert.retention = 'on').
CREATE OR REPLACE FUNCTION submissions_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('recert.retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'submitted snapshots are immutable (% refused)', TG_OP USING ERRCODE = 'P0001';
END
$$;
