-- Issue 11 (ADR 0018): e-mail verification, password reset links and login throttling per source.

-- NULL until the owner opened the link sent to the address; an unverified account can only verify.
-- Accounts made before this migration were used already: they count as verified.
ALTER TABLE accounts ADD COLUMN email_verified_at timestamptz;
UPDATE accounts SET email_verified_at = created_at;

-- A number is what a person says it is, not proof: anyone can type someone else's. So it blocks no one (the
-- real member is never refused because a stranger typed their number first); what an account owns is
-- decided by the certificate import (number and e-mail address) or a claim code, in assessment.
DROP INDEX accounts_membership_number_key;
CREATE INDEX accounts_membership_number ON accounts (membership_number);

-- Single-use links sent by e-mail: only the SHA-256 of the token is stored.
CREATE TABLE email_tokens (
    token_hash bytea PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX email_tokens_account ON email_tokens (account_id, purpose);
CREATE INDEX email_tokens_expiry ON email_tokens (expires_at);

-- Failed logins per account and source address: a stranger's failures lock only the stranger out.
CREATE TABLE login_throttle (
    account_id      uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    source          text NOT NULL,
    failed_attempts integer NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (account_id, source)
);
CREATE INDEX login_throttle_updated ON login_throttle (updated_at);
