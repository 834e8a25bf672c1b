-- A withdrawal is final, whatever order the events come in (ADR 0010, amended 2026-12-07): portfolio.submitted
-- that failed and was replayed from the dead letters after portfolio.withdrawn found no withdrawal, since that
-- was an UPDATE of a row not there yet, and the period counted as having a portfolio in. The withdrawal now
-- keeps a row of its own when the submission is not known yet (a tombstone: the submission, the account and
-- when), which the late submission fills in and leaves withdrawn.
ALTER TABLE submissions ALTER COLUMN certificate_id DROP NOT NULL,
                        ALTER COLUMN certificate_expires_on DROP NOT NULL,
                        ALTER COLUMN submitted_at DROP NOT NULL;
