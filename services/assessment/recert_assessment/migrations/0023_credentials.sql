-- Verifiable credentials of certificates (ADR 0030).

-- The Ed25519 keys that sign credentials and the status list. The private half is encrypted with
-- RECERT_ASSESSMENT_SECRETS_KEY and dropped once a newer key signs; every public half stays published, so a
-- credential signed years ago still verifies.
CREATE TABLE issuer_keys (
    kid                   text PRIMARY KEY,
    public_jwk            jsonb NOT NULL,
    private_jwk_encrypted text,
    created_at            timestamptz NOT NULL,
    activates_at          timestamptz NOT NULL
);
CREATE INDEX issuer_keys_activation ON issuer_keys (activates_at);

-- One credential per certificate period (while it is not revoked); its bit in status list 1 is set when it
-- is revoked (by DNV, or because the certificate lapsed).
CREATE TABLE credentials (
    id                uuid PRIMARY KEY,
    certificate_id    uuid NOT NULL REFERENCES certificates (id),
    status_list       integer NOT NULL DEFAULT 1,
    status_index      integer NOT NULL CHECK (status_index >= 0),
    valid_from        date NOT NULL,
    valid_until       date NOT NULL,
    kid               text NOT NULL REFERENCES issuer_keys (kid),
    token             text NOT NULL,
    issued_at         timestamptz NOT NULL,
    revoked_at        timestamptz,
    revocation_reason text CHECK (revocation_reason IN ('lapsed', 'revoked_by_dnv')),
    UNIQUE (status_list, status_index),
    CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL))
);
CREATE UNIQUE INDEX credentials_live_period ON credentials (certificate_id, valid_until)
    WHERE revoked_at IS NULL;
CREATE INDEX credentials_revoked ON credentials (status_list) WHERE revoked_at IS NOT NULL;
