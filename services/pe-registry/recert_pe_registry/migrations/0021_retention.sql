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
