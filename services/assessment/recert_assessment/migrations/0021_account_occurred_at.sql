-- The account read model keeps the time of the identity event it holds (recert_common.accounts): an older
-- identity.account.updated handled after a newer one leaves the row alone (ADR 0005: events may arrive in any
-- order). Rows from before this migration have none, and take the next event whatever its time.
ALTER TABLE accounts ADD COLUMN occurred_at timestamptz;
