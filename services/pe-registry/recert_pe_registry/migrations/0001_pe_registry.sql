-- PE activities of jobcoaches. Points are computed when the activity is recorded or changed, with the
-- framework of the year it was completed in (framework_version says which); category maxima apply only when
-- a summary counts them.
CREATE TABLE activities (
    id                uuid PRIMARY KEY,
    account_id        uuid NOT NULL,
    title             text NOT NULL,
    provider          text NOT NULL,
    completed_on      date NOT NULL,
    category          integer NOT NULL CHECK (category >= 1),
    amount            numeric NOT NULL CHECK (amount > 0),
    unit              text NOT NULL CHECK (unit IN ('sbu', 'ects', 'points')),
    points            numeric NOT NULL CHECK (points >= 0),
    description       text,
    source            text NOT NULL CHECK (source IN ('manual', 'noloc_academy')),
    external_id       text,
    framework_version text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK ((source = 'noloc_academy') = (external_id IS NOT NULL))
);
CREATE INDEX activities_by_account ON activities (account_id, completed_on, created_at);

-- Evidence files. The bytes live in the object store under object_key; two rows may share one object when
-- the jobcoach attaches the same file (same SHA-256) to two activities: the bytes are stored once.
CREATE TABLE evidence (
    id           uuid PRIMARY KEY,
    activity_id  uuid NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    account_id   uuid NOT NULL,
    object_key   text NOT NULL,
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size         bigint NOT NULL CHECK (size > 0),
    content_type text NOT NULL,
    filename     text NOT NULL,
    kind         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (activity_id, sha256)
);
CREATE INDEX evidence_by_account_sha256 ON evidence (account_id, sha256);
CREATE INDEX evidence_by_object ON evidence (object_key);

-- Every Noloc Academie completion imported, per account: one completion becomes one activity, even when
-- Noloc sends it again under another event id, and even after the jobcoach removed the activity.
CREATE TABLE noloc_imports (
    account_id  uuid NOT NULL,
    external_id text NOT NULL,
    activity_id uuid NOT NULL,
    event_id    uuid NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, external_id)
);

-- Noloc completions for a membership number no account has (yet): applied when the account registers.
CREATE TABLE pending_noloc_activities (
    membership_number text NOT NULL,
    external_id       text NOT NULL,
    event_id          uuid NOT NULL,
    data              jsonb NOT NULL,
    received_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (membership_number, external_id)
);

-- Read model of identity's accounts: which account a Noloc membership number belongs to.
CREATE TABLE accounts (
    account_id        uuid PRIMARY KEY,
    membership_number text,
    changed_at        timestamptz NOT NULL
);
CREATE INDEX accounts_by_membership_number ON accounts (membership_number);

-- Read model of certificates: each jobcoach's current PE period (from the previous (re)certification up to
-- the certificate's expiry), the default period of the summary and the earliest date an activity may have.
CREATE TABLE certificate_periods (
    account_id     uuid PRIMARY KEY,
    certificate_id uuid NOT NULL,
    starts_on      date NOT NULL,
    valid_from     date NOT NULL,
    valid_until    date NOT NULL,
    occurred_at    timestamptz NOT NULL
);

-- Read model of assessment's case assignments: which assessor may read which jobcoach's PE and evidence.
CREATE TABLE case_assignments (
    case_id     uuid PRIMARY KEY,
    account_id  uuid NOT NULL,
    assessor_id uuid NOT NULL,
    assigned_at timestamptz NOT NULL
);
CREATE INDEX case_assignments_by_assessor ON case_assignments (assessor_id, account_id);

-- Activities that are part of a submitted portfolio are read-only until the submission is withdrawn. No
-- foreign key: portfolio's event may arrive before (or without) our copy of an activity.
CREATE TABLE submission_locks (
    activity_id   uuid NOT NULL,
    submission_id uuid NOT NULL,
    account_id    uuid NOT NULL,
    locked_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (activity_id, submission_id)
);
CREATE INDEX submission_locks_by_submission ON submission_locks (submission_id);
