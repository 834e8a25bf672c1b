-- The service desk (issue 14, ADR 0029): requests to DNV's support, their threads, attachments and the secret
-- links by which a person who cannot log in follows a request.

-- The address identity announced for the account (identity.account.registered / updated: verified
-- addresses only, ADR 0018). A request from a logged-out person is matched to an account by this address,
-- never by one a verification was only asked for.
ALTER TABLE contacts ADD COLUMN confirmed_email text;
UPDATE contacts SET confirmed_email = email;
CREATE INDEX contacts_confirmed_email ON contacts (lower(confirmed_email)) WHERE disabled_at IS NULL;

-- unconfirmed (a logged-out person's, until the link in the e-mail is followed; only then support sees it)
-- -> open -> answered -> closed, set by support; a reply of the requester opens it again.
CREATE TABLE service_requests (
    id uuid PRIMARY KEY,
    requester_account_id uuid,
    requester_email text NOT NULL,
    requester_name text NOT NULL,
    language text NOT NULL CHECK (language IN ('nl', 'en')),
    subject text NOT NULL,
    state text NOT NULL CHECK (state IN ('unconfirmed', 'open', 'answered', 'closed')),
    matched_account_id uuid,
    confirm_token_sha256 text UNIQUE,
    confirm_expires_at timestamptz,
    confirmed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK ((state = 'unconfirmed') = (confirmed_at IS NULL))
);
CREATE INDEX service_requests_queue ON service_requests (state, updated_at DESC) WHERE state <> 'unconfirmed';
CREATE INDEX service_requests_requester ON service_requests (requester_account_id, created_at DESC);
CREATE INDEX service_requests_address ON service_requests (lower(requester_email), created_at DESC);

-- The thread: the question, the requester's replies, support's answers and notes (a 2FA reset).
CREATE TABLE service_request_posts (
    id uuid PRIMARY KEY,
    request_id uuid NOT NULL REFERENCES service_requests (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('question', 'reply', 'answer', 'note')),
    author_account_id uuid,
    author_name text NOT NULL,
    text text NOT NULL,
    -- The event a note was made from (identity.totp.reset): one note per event.
    source_event_id uuid UNIQUE,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX service_request_posts_thread ON service_request_posts (request_id, created_at);

-- Files a logged-in requester added, in the desk's bucket.
CREATE TABLE service_request_attachments (
    id uuid PRIMARY KEY,
    request_id uuid NOT NULL REFERENCES service_requests (id) ON DELETE CASCADE,
    object_key text NOT NULL,
    filename text NOT NULL,
    content_type text NOT NULL,
    size bigint NOT NULL CHECK (size > 0),
    sha256 text NOT NULL,
    uploaded_by uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX service_request_attachments_request ON service_request_attachments (request_id, created_at);

-- The secret links to a thread in the e-mails to a logged-out requester: only their SHA-256 is kept.
CREATE TABLE service_request_links (
    token_sha256 text PRIMARY KEY,
    request_id uuid NOT NULL REFERENCES service_requests (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX service_request_links_request ON service_request_links (request_id);

-- E-mail to an address that is no account (DNV's support desk, a logged-out requester): no recipient, e-mail
-- only, once per fact and address.
ALTER TABLE messages ALTER COLUMN recipient_id DROP NOT NULL;
ALTER TABLE messages ADD CHECK (recipient_id IS NOT NULL OR channel = 'email');
CREATE UNIQUE INDEX messages_fact_address ON messages (fact_key, email_address) WHERE recipient_id IS NULL;
