-- ADR 0011: DNV's postponed decision, not the assessor's advice, starts the supplement's 3 months. An advice
-- no longer carries a due date (older postponed advices keep theirs); the decision does.
DO $$
DECLARE
    found text;
BEGIN
    FOR found IN
        SELECT conname FROM pg_constraint
         WHERE conrelid = 'advices'::regclass AND contype = 'c'
           AND pg_get_constraintdef(oid) LIKE '%supplement_due_on%'
    LOOP
        EXECUTE format('ALTER TABLE advices DROP CONSTRAINT %I', found);
    END LOOP;
END $$;

COMMENT ON COLUMN advices.supplement_due_on IS
    'Only on advices given before ADR 0011; the due date is the postponed decision''s supplement_due_on.';
COMMENT ON COLUMN decisions.round IS
    '0: the decision on part B after a failed PE check; 1: after the assessment; 2: after the reassessment.';

-- The failed PE check's own decision path (states.py).
ALTER TABLE cases DROP CONSTRAINT cases_state_check;
ALTER TABLE cases ADD CONSTRAINT cases_state_check CHECK (state IN ('opened', 'pe_check_failed',
    'pe_supplement_due', 'pe_supplement_received', 'awaiting_payment', 'ready_for_assignment', 'assigned',
    'advised', 'supplement_due', 'supplement_received', 'reassessing', 'reassessed', 'objection_upheld',
    'decided', 'withdrawn'));
