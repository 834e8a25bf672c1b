-- The case's assessor follows assessment's order of assignments, not the order their events arrive in: a
-- retried or replayed assessment.assessor.assigned may come after a later reassignment, and must not give
-- the case back to the earlier assessor. assigned_at: the time of the assignment event the row holds; an
-- older assignment handled later leaves the assessor alone. Rows from before this column have none and take
-- the next assignment, as pe-registry's case_assignments does by its assigned_at.
ALTER TABLE cases ADD COLUMN assigned_at timestamptz;
