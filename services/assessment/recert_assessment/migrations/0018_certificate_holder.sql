-- Issue 11 (ADR 0018): a certificate is linked to an account only when the holder data of the import (the
-- Noloc number and the e-mail address Noloc holds) match a verified account; the register shows the name
-- from the import, never a self-chosen one. Otherwise the holder claims it with a code Noloc or DNV gives.

-- identity announces only verified accounts (identity.account.registered at verification): the address.
-- A number is what the account says, not proof: several accounts may give one (the import decides).
ALTER TABLE accounts ADD COLUMN email text;
ALTER TABLE accounts DROP CONSTRAINT accounts_membership_number_key;
CREATE INDEX accounts_membership_number ON accounts (membership_number);

ALTER TABLE certificates ADD COLUMN holder_email text;
ALTER TABLE certificates ADD COLUMN holder_name text;
-- Certificates loaded before: the name the register showed so far stays until the next import names one.
UPDATE certificates c SET holder_name = a.full_name FROM accounts a WHERE a.account_id = c.account_id;

-- Single-use claim codes for a certificate that waits for its holder; only a hash is kept.
CREATE TABLE claim_codes (
    code_hash      bytea PRIMARY KEY,
    certificate_id uuid NOT NULL REFERENCES certificates (id),
    issued_by      uuid NOT NULL,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz,
    used_by        uuid
);
CREATE INDEX claim_codes_certificate ON claim_codes (certificate_id);

-- Failed redemptions per account: a code cannot be guessed by trying (rate limited).
CREATE TABLE claim_attempts (
    account_id   uuid NOT NULL,
    attempted_at timestamptz NOT NULL
);
CREATE INDEX claim_attempts_account ON claim_attempts (account_id, attempted_at);
