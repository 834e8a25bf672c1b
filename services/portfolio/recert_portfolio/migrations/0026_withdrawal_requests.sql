-- A jobcoach's request to withdraw a submission (ADR 0041). Portfolio asks, assessment decides: pending while
-- refused_at is null and the submission has no row in withdrawals; refused when assessment answered that the
-- case was past assignment (refused_stage, the case's state then). One row per submission: asking again after
-- a refusal replaces it.
CREATE TABLE withdrawal_requests (
    submission_id uuid PRIMARY KEY REFERENCES submissions (id),
    requested_at  timestamptz NOT NULL,
    reason        text,
    refused_at    timestamptz,
    refused_stage text
);
