-- Who read a jobcoach's documents (an assessor, a DNV officer): one row per read, for the jobcoach's own
-- access log (recert_common.access_log, ADR 0020). The owner's own reads are not logged.
CREATE TABLE access_log (
    id          uuid PRIMARY KEY,
    owner_id    uuid NOT NULL,
    reader_id   uuid NOT NULL,
    reader_role text NOT NULL,
    kind        text NOT NULL,
    object_id   uuid NOT NULL,
    label       text,
    read_at     timestamptz NOT NULL
);
CREATE INDEX access_log_by_owner ON access_log (owner_id, read_at DESC);

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
