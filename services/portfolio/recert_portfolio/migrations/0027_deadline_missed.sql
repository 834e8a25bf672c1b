-- When the deadline check announced that a cycle's last day to submit passed with nothing submitted
-- (portfolio.deadline.missed, ADR 0042): once per cycle, and final (no submission after it).
ALTER TABLE cycles ADD COLUMN deadline_missed_at timestamptz;

-- The deadline check reads the open cycles past their deadline that were not announced yet.
CREATE INDEX cycles_deadline_unannounced ON cycles (submit_by) WHERE state = 'open' AND deadline_missed_at IS NULL;
