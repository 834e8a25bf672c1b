-- Final certification decisions (positive or negative), from certification.decision.made: the messages a
-- jobcoach received before one are deleted RECERT_NOTIFICATIONS_RETENTION_DAYS after it (ADR 0020).
CREATE TABLE final_decisions (
    decision_id uuid PRIMARY KEY,
    account_id  uuid NOT NULL,
    decided_at  timestamptz NOT NULL,
    purged_at   timestamptz
);
CREATE INDEX final_decisions_due ON final_decisions (decided_at) WHERE purged_at IS NULL;
