-- Portfolio's word that a certificate period's last day to submit passed with nothing submitted
-- (portfolio.deadline.missed, ADR 0042): the period's valid_until. A certificate with an account lapses on it
-- (or on a negative decision, or 7 days after expiry should portfolio stay silent).
ALTER TABLE certificates ADD COLUMN deadline_missed_for date;
