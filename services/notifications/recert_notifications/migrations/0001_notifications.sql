-- The notifications database: the contact read model, what it keeps from other services' events to word and
-- time its messages, and the messages themselves with their delivery state.

-- --- read models ----------------------------------------------------------------------------------------

-- identity.account.*: whom to write to, in which language. profile_as_of is the instant of the event the
-- profile came from, so an older event handled late does not overwrite a newer profile.
CREATE TABLE contacts (
    account_id uuid PRIMARY KEY,
    full_name text NOT NULL,
    email text NOT NULL,
    language text NOT NULL CHECK (language IN ('nl', 'en')),
    roles text[] NOT NULL,
    disabled_at timestamptz,
    profile_as_of timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_roles ON contacts USING gin (roles);

-- portfolio.submitted / withdrawn: whether a certificate period has a portfolio in, so that a reminder of
-- the expiry date does not ask for what was done already.
CREATE TABLE submissions (
    submission_id uuid PRIMARY KEY,
    account_id uuid NOT NULL,
    certificate_id uuid NOT NULL,
    certificate_expires_on date NOT NULL,
    submitted_at timestamptz NOT NULL,
    withdrawn_at timestamptz
);
CREATE INDEX submissions_certificate ON submissions (certificate_id, certificate_expires_on);

-- assessment.advice.given / certification.decision.made (postponed): when a supplement is due, for the
-- reminder; closed when the supplement arrives or the case moves on. reminded_for is the due date the
-- reminder was made for (a new postponement with a new date is reminded of again).
CREATE TABLE supplement_deadlines (
    case_id uuid PRIMARY KEY,
    account_id uuid NOT NULL,
    due_on date NOT NULL,
    closed_at timestamptz,
    reminded_for date,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX supplement_deadlines_open ON supplement_deadlines (due_on) WHERE closed_at IS NULL;

-- --- what notifications owns ----------------------------------------------------------------------------

-- Notices about a person whose contact has not arrived yet (events come in any order): the event is kept
-- and rendered when identity's account event arrives.
CREATE TABLE parked_notices (
    fact_key text NOT NULL,
    recipient_id uuid NOT NULL,
    template text NOT NULL,
    event_id uuid NOT NULL,
    event jsonb NOT NULL,
    parked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (fact_key, recipient_id)
);
CREATE INDEX parked_notices_recipient ON parked_notices (recipient_id);

-- One row per message, recipient and channel. fact_key names what the message reports (template and the
-- fact's own ids), so the same fact never makes a second message, whichever envelope it came in.
-- E-mail: pending -> sent | (retried with back-off) -> failed. In-app: delivered when made, read_at once read.
CREATE TABLE messages (
    id uuid PRIMARY KEY,
    recipient_id uuid NOT NULL,
    channel text NOT NULL CHECK (channel IN ('email', 'in_app')),
    template text NOT NULL,
    fact_key text NOT NULL,
    trigger_event_id uuid,
    trigger_event_type text,
    language text NOT NULL CHECK (language IN ('nl', 'en')),
    subject text NOT NULL,
    body_text text NOT NULL,
    body_html text NOT NULL,
    email_address text,
    state text NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'delivered')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error text,
    next_attempt_at timestamptz,
    sent_at timestamptz,
    failed_at timestamptz,
    read_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (fact_key, recipient_id, channel),
    CHECK ((channel = 'email') = (email_address IS NOT NULL)),
    CHECK ((channel = 'email') = (state <> 'delivered')),
    CHECK (state <> 'pending' OR next_attempt_at IS NOT NULL),
    CHECK (channel = 'in_app' OR read_at IS NULL)
);
CREATE INDEX messages_due ON messages (next_attempt_at) WHERE state = 'pending';
CREATE INDEX messages_inbox ON messages (recipient_id, created_at DESC) WHERE channel = 'in_app';
CREATE INDEX messages_unread ON messages (recipient_id) WHERE channel = 'in_app' AND read_at IS NULL;
CREATE INDEX messages_failed ON messages (failed_at DESC) WHERE state = 'failed';
