-- Documents a jobcoach uploaded to be read (ADR 0027): a certificate of attendance, a confirmation e-mail,
-- a screenshot or a photo. The file waits in the evidence bucket under object_key; the worker reads it and
-- stores its proposal. A reading is a queue entry too: the worker claims the oldest pending one whose
-- not_before has come (FOR UPDATE SKIP LOCKED), sets not_before a lease ahead and counts the attempt, so a
-- worker that dies while reading leaves it to be claimed again after the lease, at most
-- RECERT_PE_REGISTRY_READING_MAX_ATTEMPTS times. Confirming turns the file into an activity's evidence and
-- deletes the row; dismissing deletes the row and the file.
CREATE TABLE readings (
    id           uuid PRIMARY KEY,
    account_id   uuid NOT NULL,
    object_key   text NOT NULL,
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size         bigint NOT NULL CHECK (size > 0),
    content_type text NOT NULL,
    filename     text NOT NULL,
    state        text NOT NULL CHECK (state IN ('pending', 'proposed', 'failed')),
    attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    not_before   timestamptz NOT NULL DEFAULT now(),
    method       text CHECK (method IN ('pdf_text', 'email', 'text', 'ocr')),
    failure      text,
    proposal     jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    read_at      timestamptz,
    CHECK ((state = 'proposed') = (proposal IS NOT NULL)),
    CHECK ((state = 'failed') = (failure IS NOT NULL))
);
CREATE INDEX readings_by_account ON readings (account_id, created_at DESC);
CREATE INDEX readings_pending ON readings (not_before, created_at) WHERE state = 'pending';
