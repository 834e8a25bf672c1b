-- A hold (ADR 0044): portfolio asks pe-registry to lock a submission's activities before it seals the
-- snapshot, so nothing can change between the two. A hold is a submission lock with ``held_until`` set; it
-- counts as a lock until then, and portfolio.submitted makes it a lock for good (``held_until`` NULL). A
-- hold whose submission never committed (portfolio failed after asking) lapses at ``held_until``.
ALTER TABLE submission_locks ADD COLUMN held_until timestamptz;
CREATE INDEX submission_locks_held ON submission_locks (account_id) WHERE held_until IS NOT NULL;
