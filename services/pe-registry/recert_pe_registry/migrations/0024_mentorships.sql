-- A mentor reads a jobcoach's PE summary (and nothing else of pe-registry) while the jobcoach's mentorship
-- runs: from portfolio.mentorship.started to portfolio.mentorship.ended (ADR 0028). An end that arrives
-- before its start is kept: the start then changes nothing.
CREATE TABLE mentorships (
    mentorship_id uuid PRIMARY KEY,
    account_id    uuid NOT NULL,
    mentor_id     uuid NOT NULL,
    started_at    timestamptz NOT NULL,
    ended_at      timestamptz
);
CREATE INDEX mentorships_mentor ON mentorships (mentor_id, account_id);
