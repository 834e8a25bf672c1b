-- Assessment's copy of pe-registry's activities applies their events in pe-registry's order, not in the order
-- they arrive (ADR 0044, amended 2026-12-07, as portfolio's migration 0029): a retried or replayed event may
-- come after later ones. occurred_at: the time of the pe.activity.recorded/updated event the row holds; an
-- older event handled later leaves the row alone. Rows from before this column have none and take the next.
ALTER TABLE pe_activities ADD COLUMN occurred_at timestamptz;

-- Tombstones: the activities and evidence files pe-registry announced as removed. pe-registry never uses an
-- id again, so a recorded, updated or attached event that arrives after the removal is late and brings
-- nothing back. Assessment forgets no person's PE rows today (it does not consume identity.account.erased);
-- the account_id columns are there so that it can forget the tombstones with them when it does.
CREATE TABLE pe_removed_activities (
    activity_id uuid PRIMARY KEY,
    account_id  uuid NOT NULL,
    removed_at  timestamptz NOT NULL
);
CREATE INDEX pe_removed_activities_account ON pe_removed_activities (account_id);

CREATE TABLE pe_removed_evidence (
    evidence_id uuid PRIMARY KEY,
    account_id  uuid NOT NULL,
    removed_at  timestamptz NOT NULL
);
CREATE INDEX pe_removed_evidence_account ON pe_removed_evidence (account_id);
