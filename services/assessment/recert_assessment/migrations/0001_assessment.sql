-- The assessment database: read models fed by other services' events, and what assessment owns (cases,
-- their steps and audit trail, certificates and their reminders).

-- --- read models ----------------------------------------------------------------------------------------

-- identity.account.*: names for the register and the form, roles for assignments, the membership number
-- that links an imported certificate to its account.
CREATE TABLE accounts (
    account_id uuid PRIMARY KEY,
    full_name text NOT NULL,
    membership_number text UNIQUE,
    roles text[] NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- pe.*: the activities and their evidence, for the PE check of a snapshot's activity ids.
CREATE TABLE pe_activities (
    activity_id uuid PRIMARY KEY,
    account_id uuid NOT NULL,
    category text NOT NULL,
    title text NOT NULL,
    completed_on date NOT NULL,
    unit text NOT NULL,
    amount numeric NOT NULL,
    points numeric NOT NULL CHECK (points >= 0),
    source text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pe_activities_account ON pe_activities (account_id);

CREATE TABLE pe_evidence (
    evidence_id uuid PRIMARY KEY,
    activity_id uuid NOT NULL,
    account_id uuid NOT NULL,
    sha256 text NOT NULL,
    size bigint NOT NULL,
    content_type text NOT NULL,
    filename text NOT NULL
);
CREATE INDEX pe_evidence_activity ON pe_evidence (activity_id);

-- billing.invoice.paid for DNV's fees, kept whether or not the case exists yet (events arrive in any order).
CREATE TABLE paid_invoices (
    invoice_id uuid PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('recertification', 'reassessment')),
    account_id uuid NOT NULL,
    submission_id uuid,
    case_id uuid,
    paid_on date NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX paid_invoices_submission ON paid_invoices (submission_id);
CREATE INDEX paid_invoices_case ON paid_invoices (case_id);

-- --- certificates ---------------------------------------------------------------------------------------

CREATE TABLE certificates (
    id uuid PRIMARY KEY,
    number text NOT NULL UNIQUE,
    membership_number text NOT NULL UNIQUE,
    -- Null until an account with membership_number is known; then certificate.registered is recorded.
    account_id uuid UNIQUE,
    valid_from date NOT NULL,
    valid_until date NOT NULL,
    state text NOT NULL CHECK (state IN ('active', 'lapsed')),
    lapsed_on date,
    lapse_reason text CHECK (lapse_reason IN ('negative_decision', 'not_recertified')),
    registered_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_from < valid_until),
    CHECK ((state = 'lapsed') = (lapsed_on IS NOT NULL))
);
CREATE INDEX certificates_expiry ON certificates (valid_until) WHERE state = 'active';

-- One row per reminder sent: the primary key makes "once per certificate, months and expiry date" hold
-- for any number of schedulers, and the row is written in the transaction that records the event.
CREATE TABLE expiry_notices (
    certificate_id uuid NOT NULL REFERENCES certificates (id),
    months_before integer NOT NULL CHECK (months_before IN (12, 6, 3, 1)),
    valid_until date NOT NULL,
    sent_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (certificate_id, months_before, valid_until)
);

-- The jobcoach's declared mentors (assessor accounts): never their assessor.
CREATE TABLE mentors (
    account_id uuid NOT NULL,
    mentor_id uuid NOT NULL,
    declared_by uuid NOT NULL,
    declared_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, mentor_id)
);

-- --- cases ----------------------------------------------------------------------------------------------

CREATE TABLE cases (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL,
    certificate_id uuid NOT NULL,
    portfolio_id uuid NOT NULL,
    cycle_id uuid NOT NULL,
    submission_id uuid NOT NULL UNIQUE,
    submitted_at timestamptz NOT NULL,
    certificate_expires_on date NOT NULL,
    is_new_portfolio_after_negative boolean NOT NULL,
    pe_activity_ids uuid[] NOT NULL,
    pe_points_claimed numeric NOT NULL,
    reflection_meetings integer NOT NULL,
    snapshot_hash text NOT NULL,
    state text NOT NULL CHECK (state IN ('opened', 'awaiting_payment', 'ready_for_assignment', 'assigned',
        'advised', 'supplement_due', 'supplement_received', 'reassessing', 'reassessed', 'objection_upheld',
        'decided', 'withdrawn')),
    due_on date NOT NULL,
    paid_at timestamptz,
    reassessment_paid_at timestamptz,
    assessor_id uuid,
    supplement_due_on date,
    opened_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_account ON cases (account_id, opened_at);
CREATE INDEX cases_assessor ON cases (assessor_id) WHERE assessor_id IS NOT NULL;
CREATE INDEX cases_certificate ON cases (certificate_id, certificate_expires_on);
CREATE INDEX cases_open_due ON cases (due_on) WHERE state NOT IN ('decided', 'withdrawn');

CREATE TABLE pe_check_rejections (
    case_id uuid NOT NULL REFERENCES cases (id),
    activity_id uuid NOT NULL,
    reason text NOT NULL,
    rejected_by uuid NOT NULL,
    rejected_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (case_id, activity_id)
);

CREATE TABLE pe_checks (
    case_id uuid PRIMARY KEY REFERENCES cases (id),
    passed boolean NOT NULL,
    points_counted numeric NOT NULL,
    points_required numeric NOT NULL,
    framework_version text NOT NULL,
    findings jsonb NOT NULL,
    completed_by uuid NOT NULL,
    completed_at timestamptz NOT NULL
);

-- Round 1 is the assessment of the portfolio, round 2 the reassessment of the supplement.
CREATE TABLE advices (
    case_id uuid NOT NULL REFERENCES cases (id),
    round integer NOT NULL CHECK (round IN (1, 2)),
    assessor_id uuid NOT NULL,
    advice text NOT NULL CHECK (advice IN ('positive', 'postponed', 'negative')),
    form jsonb NOT NULL,
    supplement_due_on date,
    given_at timestamptz NOT NULL,
    PRIMARY KEY (case_id, round),
    CHECK ((advice = 'postponed') = (supplement_due_on IS NOT NULL)),
    CHECK (round = 1 OR advice <> 'postponed')
);

CREATE TABLE decisions (
    id uuid PRIMARY KEY,
    case_id uuid NOT NULL REFERENCES cases (id),
    round integer NOT NULL,
    decision text NOT NULL CHECK (decision IN ('positive', 'postponed', 'negative')),
    follows_advice boolean NOT NULL,
    reason text,
    decided_on date NOT NULL,
    objection_deadline date NOT NULL,
    new_portfolio_deadline date,
    supplement_due_on date,
    decided_by uuid NOT NULL,
    decided_at timestamptz NOT NULL,
    CHECK (follows_advice OR reason IS NOT NULL),
    CHECK ((decision = 'negative') = (new_portfolio_deadline IS NOT NULL)),
    CHECK ((decision = 'postponed') = (supplement_due_on IS NOT NULL))
);
CREATE INDEX decisions_case ON decisions (case_id, decided_at);

CREATE TABLE objections (
    id uuid PRIMARY KEY,
    case_id uuid NOT NULL REFERENCES cases (id),
    decision_id uuid NOT NULL UNIQUE REFERENCES decisions (id),
    account_id uuid NOT NULL,
    reason text NOT NULL,
    filed_at timestamptz NOT NULL,
    outcome text CHECK (outcome IN ('upheld', 'rejected')),
    outcome_reason text,
    decided_by uuid,
    decided_at timestamptz,
    CHECK ((outcome IS NULL) = (decided_at IS NULL))
);

-- portfolio.supplement.submitted: it may arrive before DNV decided "postponed"; it counts from then.
CREATE TABLE supplements (
    supplement_id uuid PRIMARY KEY,
    case_id uuid NOT NULL UNIQUE REFERENCES cases (id),
    submission_id uuid NOT NULL,
    parts text[] NOT NULL,
    submitted_at timestamptz NOT NULL,
    snapshot_hash text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- Once per case and due date: a case whose due date moves (the supplement's, then the reassessment's) can
-- be reported again for the new date.
CREATE TABLE overdue_notices (
    case_id uuid NOT NULL REFERENCES cases (id),
    due_on date NOT NULL,
    sent_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (case_id, due_on)
);

-- Who did what when, written in the transaction of each step. actor_id is null for the system.
CREATE TABLE audit_trail (
    id bigserial PRIMARY KEY,
    case_id uuid NOT NULL REFERENCES cases (id),
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_id uuid,
    role text NOT NULL,
    action text NOT NULL,
    details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_trail_case ON audit_trail (case_id, id);
