-- The submissions portfolio withdrew (portfolio.withdrawn). A withdrawn submission is final: portfolio never
-- uses its id again, so a portfolio.submitted (or portfolio.supplement.submitted) for it handled later (a
-- retried or replayed event) must lock nothing. Without this row such a late event made the activities
-- read-only for good, since no withdrawal would come again to release them.
CREATE TABLE withdrawn_submissions (
    submission_id uuid PRIMARY KEY,
    account_id    uuid NOT NULL,
    withdrawn_at  timestamptz NOT NULL
);
CREATE INDEX withdrawn_submissions_account ON withdrawn_submissions (account_id);
