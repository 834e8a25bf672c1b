-- The portfolio database: read models fed by other services' events, and what portfolio owns.

-- --- read models ----------------------------------------------------------------------------------------

-- identity.account.*: which account a Noloc membership (or affiliate) number belongs to.
CREATE TABLE accounts (
    account_id uuid PRIMARY KEY,
    membership_number text UNIQUE,
    roles text[] NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- noloc.meeting.attended: every fact Noloc sent, once per external id. account_id is filled in when the
-- membership number is known (the fact is "parked" until then); meeting_id once it became a meeting.
CREATE TABLE noloc_attendance (
    external_id text PRIMARY KEY,
    membership_number text NOT NULL,
    met_on date NOT NULL,
    kind text NOT NULL,
    group_name text,
    supervisor_name text,
    duration_minutes integer,
    received_at timestamptz NOT NULL DEFAULT now(),
    account_id uuid,
    meeting_id uuid
);
CREATE INDEX noloc_attendance_unapplied ON noloc_attendance (membership_number) WHERE meeting_id IS NULL;

-- pe.*: the activities and evidence hashes of each account (pe-registry owns them).
CREATE TABLE pe_activities (
    activity_id uuid PRIMARY KEY,
    account_id uuid NOT NULL,
    category text NOT NULL,
    title text NOT NULL,
    completed_on date NOT NULL,
    points numeric NOT NULL CHECK (points >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pe_activities_account ON pe_activities (account_id, completed_on);

CREATE TABLE pe_evidence (
    evidence_id uuid PRIMARY KEY,
    activity_id uuid NOT NULL,
    account_id uuid NOT NULL,
    sha256 text NOT NULL
);
CREATE INDEX pe_evidence_activity ON pe_evidence (activity_id);

-- assessment.case.opened / assessor.assigned: which submission a case is about and who assesses it.
CREATE TABLE cases (
    case_id uuid PRIMARY KEY,
    account_id uuid NOT NULL,
    submission_id uuid,
    assessor_id uuid,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_submission ON cases (submission_id);
CREATE INDEX cases_assessor ON cases (assessor_id);

-- certification.decision.made: the day of each decision (a renewed cycle starts the day after it).
CREATE TABLE decisions (
    decision_id uuid PRIMARY KEY,
    case_id uuid NOT NULL,
    decision text NOT NULL,
    decided_on date NOT NULL
);

-- --- owned ----------------------------------------------------------------------------------------------

CREATE TABLE cycles (
    id uuid PRIMARY KEY,
    portfolio_id uuid NOT NULL UNIQUE,
    account_id uuid NOT NULL,
    certificate_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('regular', 'after_negative')),
    state text NOT NULL
        CHECK (state IN ('open', 'submitted', 'supplement_open', 'supplement_submitted', 'closed')),
    starts_on date NOT NULL,
    expires_on date NOT NULL,
    window_opens_on date NOT NULL,
    submit_by date NOT NULL,
    submission_id uuid,
    previous_cycle_id uuid REFERENCES cycles (id),
    opened_at timestamptz NOT NULL DEFAULT now(),
    closed_at timestamptz,
    CHECK (window_opens_on <= submit_by)
);
-- One cycle in progress per jobcoach: "the current cycle" is never ambiguous.
CREATE UNIQUE INDEX cycles_one_current ON cycles (account_id) WHERE state <> 'closed';
-- A certificate period opens its cycle once, however often the certificate event is delivered or resent.
CREATE UNIQUE INDEX cycles_once_per_period ON cycles (certificate_id, expires_on, kind);

CREATE TABLE proofs (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL,
    object_key text NOT NULL UNIQUE,
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size bigint NOT NULL CHECK (size > 0),
    content_type text NOT NULL,
    filename text,
    uploaded_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE meetings (
    id uuid PRIMARY KEY,
    cycle_id uuid NOT NULL REFERENCES cycles (id),
    account_id uuid NOT NULL,
    met_on date NOT NULL,
    kind text NOT NULL CHECK (kind IN ('intervision', 'supervision', 'coaching', 'quality_circle')),
    group_name text,
    supervisor_name text,
    duration_minutes integer CHECK (duration_minutes > 0),
    source text NOT NULL CHECK (source IN ('upload', 'noloc')),
    external_id text,
    proof_id uuid REFERENCES proofs (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((source = 'noloc') = (external_id IS NOT NULL)),
    CHECK (group_name IS NOT NULL OR supervisor_name IS NOT NULL)
);
CREATE INDEX meetings_cycle ON meetings (cycle_id, met_on);
CREATE UNIQUE INDEX meetings_noloc_once ON meetings (cycle_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE parts (
    cycle_id uuid NOT NULL REFERENCES cycles (id),
    part text NOT NULL CHECK (part IN ('A1', 'A2', 'A3', 'A4')),
    text text NOT NULL DEFAULT '',
    declared_at timestamptz CHECK (declared_at IS NULL OR part = 'A1'),
    meeting_id uuid REFERENCES meetings (id) CHECK (meeting_id IS NULL OR part = 'A3'),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cycle_id, part)
);

-- Submitted snapshots. content is the canonical JSON exactly as hashed. Rows are written once and never
-- changed: the trigger below refuses UPDATE, DELETE and TRUNCATE whatever the code tries.
CREATE TABLE submissions (
    id uuid PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('submission', 'supplement')),
    cycle_id uuid NOT NULL REFERENCES cycles (id),
    portfolio_id uuid NOT NULL,
    account_id uuid NOT NULL,
    -- The submission an assessment case is about: the row itself, or the original one for a supplement.
    about_submission_id uuid NOT NULL,
    supplement_id uuid,
    submitted_at timestamptz NOT NULL,
    content text NOT NULL,
    snapshot_hash text NOT NULL CHECK (snapshot_hash ~ '^[0-9a-f]{64}$'),
    CHECK ((kind = 'supplement') = (supplement_id IS NOT NULL))
);
CREATE INDEX submissions_account ON submissions (account_id, submitted_at);
CREATE INDEX submissions_about ON submissions (about_submission_id);

CREATE FUNCTION submissions_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'submitted snapshots are immutable (% refused)', TG_OP USING ERRCODE = 'P0001';
END
$$;
CREATE TRIGGER submissions_no_update_or_delete BEFORE UPDATE OR DELETE ON submissions
    FOR EACH ROW EXECUTE FUNCTION submissions_are_immutable();
CREATE TRIGGER submissions_no_truncate BEFORE TRUNCATE ON submissions
    FOR EACH STATEMENT EXECUTE FUNCTION submissions_are_immutable();

CREATE TABLE withdrawals (
    submission_id uuid PRIMARY KEY REFERENCES submissions (id),
    withdrawn_at timestamptz NOT NULL,
    reason text
);

-- After a postponed advice: the parts named in it reopen until due_on.
CREATE TABLE supplements (
    id uuid PRIMARY KEY,
    cycle_id uuid NOT NULL REFERENCES cycles (id),
    case_id uuid NOT NULL UNIQUE,
    submission_id uuid NOT NULL REFERENCES submissions (id),
    parts text[] NOT NULL,
    assignments jsonb NOT NULL,
    -- The named parts the jobcoach saved since the supplement opened.
    revised_parts text[] NOT NULL DEFAULT '{}',
    due_on date NOT NULL,
    opened_at timestamptz NOT NULL DEFAULT now(),
    submitted_at timestamptz,
    supplement_submission_id uuid REFERENCES submissions (id)
);
CREATE INDEX supplements_cycle ON supplements (cycle_id);
