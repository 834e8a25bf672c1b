-- Mentors (issue 14, ADR 0028). The account read model keeps the name and the kind of membership too: the
-- mentor list shows mentors by name and is for Noloc members only. Rows from before this migration have
-- neither until identity's next event about the account.
ALTER TABLE accounts ADD COLUMN full_name text;
ALTER TABLE accounts ADD COLUMN membership_kind text;

-- What a mentor (or a Noloc admin) says of the mentor in the list: the region and a short text.
CREATE TABLE mentor_profiles (
    account_id uuid PRIMARY KEY,
    region     text NOT NULL DEFAULT '',
    about      text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid
);

-- A jobcoach's invitation of a mentor, with the consent to what is shared (read-only), until it ends.
CREATE TABLE mentorships (
    id           uuid PRIMARY KEY,
    account_id   uuid NOT NULL,
    mentor_id    uuid NOT NULL,
    shared       text[] NOT NULL,
    consented_at timestamptz NOT NULL,
    started_at   timestamptz NOT NULL,
    ended_at     timestamptz,
    ended_by     uuid,
    CHECK (account_id <> mentor_id)
);
-- One running mentorship per jobcoach and mentor.
CREATE UNIQUE INDEX mentorships_running ON mentorships (account_id, mentor_id) WHERE ended_at IS NULL;
CREATE INDEX mentorships_mentor ON mentorships (mentor_id);

-- A mentor's comments, per part; the jobcoach keeps them after the mentorship ends.
CREATE TABLE mentor_comments (
    id            uuid PRIMARY KEY,
    mentorship_id uuid NOT NULL REFERENCES mentorships (id) ON DELETE CASCADE,
    part          text NOT NULL CHECK (part IN ('A1', 'A2', 'A3', 'A4')),
    text          text NOT NULL,
    created_at    timestamptz NOT NULL
);
CREATE INDEX mentor_comments_mentorship ON mentor_comments (mentorship_id, created_at);
