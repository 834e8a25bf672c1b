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

-- Final certification decisions (positive or negative; a postponed one is not final), from
-- certification.decision.made: the evidence of the portfolio a decision was about is deleted a retention
-- period after it (RECERT_PE_REGISTRY_EVIDENCE_RETENTION_DAYS, ADR 0020). purged_at: when that was done.
CREATE TABLE final_decisions (
    decision_id uuid PRIMARY KEY,
    account_id  uuid NOT NULL,
    decided_at  timestamptz NOT NULL,
    purged_at   timestamptz
);
CREATE INDEX final_decisions_due ON final_decisions (decided_at) WHERE purged_at IS NULL;
