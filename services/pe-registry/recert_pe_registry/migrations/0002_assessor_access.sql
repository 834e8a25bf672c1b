-- An assessor reads a jobcoach's PE only for a case assigned to them, only the activities of that case's
-- submitted snapshot (submission_locks), and only while the case runs: from the assignment to the decision,
-- and again from a supplement's submission to the decision on it (ADR 0017).

-- Which submission each case is about (assessment.case.opened).
CREATE TABLE case_submissions (
    case_id       uuid PRIMARY KEY,
    submission_id uuid NOT NULL,
    account_id    uuid NOT NULL
);

-- Whether the case is being assessed now. Opened by assessment.assessor.assigned and
-- portfolio.supplement.submitted, closed by certification.decision.made; a late event older than the last
-- change changes nothing.
CREATE TABLE case_access (
    case_id    uuid PRIMARY KEY,
    open       boolean NOT NULL,
    changed_at timestamptz NOT NULL
);
