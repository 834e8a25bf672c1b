-- The AVG (ADR 0020): an account its holder closed (POST /v1/accounts/me/close) can no longer log in and is
-- erased by the worker RECERT_IDENTITY_ERASE_AFTER_DAYS later (identity.account.erased).
ALTER TABLE accounts ADD COLUMN closed_at timestamptz;
CREATE INDEX accounts_closed ON accounts (closed_at) WHERE closed_at IS NOT NULL;
