-- The billing database: read models fed by other services' events, and what billing owns.

-- --- read models ----------------------------------------------------------------------------------------

-- identity.account.*: who an invoice goes to, and whether they are a Noloc member or an external affiliate
-- (only affiliates pay the affiliate-number and register fees). membership_kind is null for staff.
CREATE TABLE accounts (
    account_id uuid PRIMARY KEY,
    email text NOT NULL,
    full_name text NOT NULL,
    membership_kind text CHECK (membership_kind IN ('member', 'affiliate')),
    membership_number text,
    preferred_language text NOT NULL DEFAULT 'nl',
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- certification.certificate.*: which certificates are active (an affiliate pays the register fee while one
-- is). A certificate of an account not known yet waits here until the account's event arrives.
CREATE TABLE certificates (
    certificate_id uuid PRIMARY KEY,
    account_id uuid NOT NULL,
    certificate_number text NOT NULL,
    state text NOT NULL CHECK (state IN ('active', 'lapsed')),
    valid_from date,
    valid_until date,
    -- When the event that set the state happened: an older event handled late (after a retry) does not
    -- undo a newer one.
    state_as_of timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX certificates_account ON certificates (account_id) WHERE state = 'active';

-- portfolio.withdrawn: kept so that a submission whose withdrawal is handled before its submission (after a
-- retry) is never invoiced.
CREATE TABLE withdrawn_submissions (
    submission_id uuid PRIMARY KEY,
    account_id uuid NOT NULL,
    withdrawn_at timestamptz NOT NULL,
    reason text
);

-- --- owned ----------------------------------------------------------------------------------------------

-- One counter per number series and year: 'DNV' and 'Noloc' for invoices, 'DNV-C' and 'Noloc-C' for credit
-- notes. The row is locked by the transaction that issues a number and released when it ends: a rolled-back
-- transaction gives its number back, so the numbers stay gapless.
CREATE TABLE number_series (
    series text NOT NULL CHECK (series IN ('DNV', 'Noloc', 'DNV-C', 'Noloc-C')),
    year integer NOT NULL CHECK (year BETWEEN 2000 AND 9999),
    last_number integer NOT NULL CHECK (last_number > 0),
    PRIMARY KEY (series, year)
);

CREATE TABLE invoices (
    id uuid PRIMARY KEY,
    number text NOT NULL UNIQUE,
    issuer text NOT NULL CHECK (issuer IN ('DNV', 'Noloc')),
    year integer NOT NULL,
    seq integer NOT NULL CHECK (seq > 0),
    account_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('recertification', 'reassessment', 'register_fee', 'affiliate_number')),
    -- What the fee is for; which of these are set depends on the kind (checked below).
    submission_id uuid,
    case_id uuid,
    supplement_id uuid,
    period_year integer,
    -- The recipient as known when issued (filled in later when the account's event came after).
    recipient_name text,
    recipient_number text,
    currency text NOT NULL CHECK (currency = 'EUR'),
    vat_rate numeric(6, 4) NOT NULL CHECK (vat_rate >= 0),
    net numeric(12, 2) NOT NULL CHECK (net >= 0),
    vat numeric(12, 2) NOT NULL CHECK (vat >= 0),
    gross numeric(12, 2) NOT NULL,
    framework_version text NOT NULL,
    issued_on date NOT NULL,
    due_on date NOT NULL,
    issued_at timestamptz NOT NULL,
    state text NOT NULL CHECK (state IN ('open', 'paid', 'cancelled')),
    paid_at timestamptz,
    cancelled_at timestamptz,
    UNIQUE (issuer, year, seq),
    CHECK (gross = net + vat),
    CHECK (due_on >= issued_on),
    CHECK (state <> 'paid' OR paid_at IS NOT NULL),
    CHECK ((state = 'cancelled') = (cancelled_at IS NOT NULL)),
    CHECK (kind <> 'recertification' OR submission_id IS NOT NULL),
    CHECK (kind <> 'reassessment' OR (supplement_id IS NOT NULL AND case_id IS NOT NULL)),
    CHECK ((kind = 'register_fee') = (period_year IS NOT NULL))
);
-- What makes a redelivered event issue nothing new: one invoice per trigger.
CREATE UNIQUE INDEX invoices_one_per_submission ON invoices (submission_id) WHERE kind = 'recertification';
CREATE UNIQUE INDEX invoices_one_per_supplement ON invoices (supplement_id) WHERE kind = 'reassessment';
CREATE UNIQUE INDEX invoices_one_affiliate_number ON invoices (account_id) WHERE kind = 'affiliate_number';
CREATE UNIQUE INDEX invoices_one_register_fee_a_year ON invoices (account_id, period_year)
    WHERE kind = 'register_fee';
CREATE INDEX invoices_account ON invoices (account_id, issued_at);
CREATE INDEX invoices_issuer ON invoices (issuer, issued_at);

CREATE TABLE invoice_lines (
    invoice_id uuid NOT NULL REFERENCES invoices (id),
    position integer NOT NULL CHECK (position > 0),
    description_nl text NOT NULL,
    description_en text NOT NULL,
    vat_rate numeric(6, 4) NOT NULL,
    net numeric(12, 2) NOT NULL,
    vat numeric(12, 2) NOT NULL,
    gross numeric(12, 2) NOT NULL,
    PRIMARY KEY (invoice_id, position),
    CHECK (gross = net + vat)
);

-- A credit note cancels one invoice; its amounts are the invoice's, negated. refund_due: the invoice had
-- been paid, so the issuer owes the money back.
CREATE TABLE credit_notes (
    id uuid PRIMARY KEY,
    number text NOT NULL UNIQUE,
    issuer text NOT NULL CHECK (issuer IN ('DNV', 'Noloc')),
    year integer NOT NULL,
    seq integer NOT NULL CHECK (seq > 0),
    invoice_id uuid NOT NULL UNIQUE REFERENCES invoices (id),
    net numeric(12, 2) NOT NULL CHECK (net <= 0),
    vat numeric(12, 2) NOT NULL CHECK (vat <= 0),
    gross numeric(12, 2) NOT NULL,
    reason text NOT NULL,
    refund_due boolean NOT NULL,
    issued_on date NOT NULL,
    issued_at timestamptz NOT NULL,
    UNIQUE (issuer, year, seq),
    CHECK (gross = net + vat)
);

-- Every signed notification of the payment provider, once per provider event id, with what it did.
CREATE TABLE payment_notifications (
    provider_event_id text PRIMARY KEY,
    type text NOT NULL,
    invoice_number text,
    amount numeric(12, 2),
    currency text,
    paid_at timestamptz,
    received_at timestamptz NOT NULL,
    outcome text NOT NULL,
    invoice_id uuid REFERENCES invoices (id),
    body jsonb NOT NULL
);
CREATE INDEX payment_notifications_invoice ON payment_notifications (invoice_id);
