-- The revocation read model (recert_common.revocation): ended sessions and disabled accounts, fed by
-- identity's events in every service (identity writes its own in the same transaction), so that every
-- service refuses their access tokens at once instead of when the tokens expire.

-- One row per ended session; the key is the sid claim of its access tokens.
CREATE TABLE revoked_sessions (
    session_id uuid PRIMARY KEY,
    account_id uuid NOT NULL,
    ended_at   timestamptz NOT NULL,
    reason     text NOT NULL
);
CREATE INDEX revoked_sessions_ended ON revoked_sessions (ended_at);

-- At most one row per account: disabled, and/or "tokens issued before tokens_not_before are refused"
-- (every session ended, except kept_session_id).
CREATE TABLE account_revocations (
    account_id        uuid PRIMARY KEY,
    disabled_at       timestamptz,
    tokens_not_before timestamptz,
    kept_session_id   uuid,
    updated_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
