-- When portfolio said the case's supplement was not handed in by its due date (portfolio.supplement.missed,
-- ADR 0042): DNV may decide without the supplement from then on (or 7 days after the due date should
-- portfolio stay silent).
ALTER TABLE cases ADD COLUMN supplement_missed_at timestamptz;
