-- Accounts with their credentials, login challenges, refresh-token families and the token signing keys.

CREATE TABLE accounts (
    id                    uuid PRIMARY KEY,
    email                 text NOT NULL,
    full_name             text NOT NULL,
    roles                 text[] NOT NULL CHECK (cardinality(roles) > 0),
    membership_kind       text CHECK (membership_kind IN ('member', 'affiliate')),
    membership_number     text,
    preferred_language    text NOT NULL DEFAULT 'nl' CHECK (preferred_language IN ('nl', 'en')),
    password_hash         text NOT NULL,
    -- Encrypted with the secrets key (crypto.py); NULL until the first login enrols an authenticator.
    totp_secret_encrypted text,
    -- The last TOTP time step accepted: codes of this step or earlier are refused (no replay).
    totp_last_step        bigint,
    totp_reset_at         timestamptz,
    failed_attempts       integer NOT NULL DEFAULT 0,
    locked_until          timestamptz,
    disabled_at           timestamptz,
    disabled_by           uuid,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    CHECK ((membership_kind IS NULL) = (membership_number IS NULL))
);
CREATE UNIQUE INDEX accounts_email_key ON accounts (lower(email));
CREATE UNIQUE INDEX accounts_membership_number_key ON accounts (membership_number);
CREATE INDEX accounts_created ON accounts (created_at, id);

CREATE TABLE recovery_codes (
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (account_id, code_hash)
);

-- Step 1 of a login, waiting for step 2. Only the hash of the id handed out is stored.
CREATE TABLE login_challenges (
    id_hash               bytea PRIMARY KEY,
    account_id            uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind                  text NOT NULL CHECK (kind IN ('enrol', 'totp')),
    -- For an enrolment: the secret offered in the QR code, kept until a code proves the app has it.
    pending_secret_encrypted text,
    created_at            timestamptz NOT NULL,
    expires_at            timestamptz NOT NULL,
    CHECK ((kind = 'enrol') = (pending_secret_encrypted IS NOT NULL))
);
CREATE INDEX login_challenges_account ON login_challenges (account_id);
CREATE INDEX login_challenges_expiry ON login_challenges (expires_at);

-- One family per login session; every refresh token descends from the one issued at login.
CREATE TABLE refresh_families (
    id             uuid PRIMARY KEY,
    account_id     uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoked_reason text
);
CREATE INDEX refresh_families_account ON refresh_families (account_id) WHERE revoked_at IS NULL;
CREATE INDEX refresh_families_expiry ON refresh_families (expires_at);

CREATE TABLE refresh_tokens (
    token_hash bytea PRIMARY KEY,
    family_id  uuid NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
    issued_at  timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Ed25519 keys. A key signs from activates_at until a newer key activates; the private half is encrypted
-- and dropped once the key can no longer sign.
CREATE TABLE signing_keys (
    kid                   text PRIMARY KEY,
    public_jwk            jsonb NOT NULL,
    private_jwk_encrypted text,
    created_at            timestamptz NOT NULL,
    activates_at          timestamptz NOT NULL
);
CREATE INDEX signing_keys_activation ON signing_keys (activates_at);
