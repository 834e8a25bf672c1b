-- A jobcoach's mentors come from portfolio's mentorships (issue 14, ADR 0028) instead of a declaration on a
-- case: every mentor whose mentorship ran in the certificate period is excluded as the jobcoach's assessor.
-- The declarations made so far stay exclusions: each becomes a mentorship that has not ended.
CREATE TABLE mentorships (
    mentorship_id uuid PRIMARY KEY,
    account_id    uuid NOT NULL,
    mentor_id     uuid NOT NULL,
    started_at    timestamptz NOT NULL,
    ended_at      timestamptz
);
CREATE INDEX mentorships_account ON mentorships (account_id);

INSERT INTO mentorships (mentorship_id, account_id, mentor_id, started_at)
SELECT gen_random_uuid(), account_id, mentor_id, declared_at FROM mentors;

DROP TABLE mentors;
