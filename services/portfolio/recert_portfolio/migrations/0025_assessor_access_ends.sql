-- An assessor reads a case's submitted snapshot and its proof files only while the case is assessed: from the
-- assignment to the decision, and again from the supplement's submission to the decision on it (issue 11
-- section 5, ADR 0017; pe-registry does the same for the snapshot's PE activities). Opened by
-- assessment.assessor.assigned and by the supplement's submission here, closed by certification.decision.made;
-- a late event older than the last change changes nothing. No row: closed.
CREATE TABLE case_access (
    case_id    uuid PRIMARY KEY,
    open       boolean NOT NULL,
    changed_at timestamptz NOT NULL
);

-- Cases assigned before this change: open while undecided, or after a postponed decision whose supplement
-- was submitted and not yet decided on.
INSERT INTO case_access (case_id, open, changed_at)
SELECT c.case_id,
       (SELECT count(*) FROM decisions d WHERE d.case_id = c.case_id) = 0
       OR ((SELECT count(*) FROM decisions d WHERE d.case_id = c.case_id) = 1
           AND EXISTS (SELECT 1 FROM supplements s WHERE s.case_id = c.case_id AND s.submitted_at IS NOT NULL)),
       now()
  FROM cases c
 WHERE c.assessor_id IS NOT NULL;
