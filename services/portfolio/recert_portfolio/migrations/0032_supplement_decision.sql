-- Which postponed decision asked for the supplement. An upheld objection annuls the supplement of the
-- decision it was against, never a later one: after the case went back to the PE check, a new postponed
-- decision asks for a supplement of its own, and an objection event handled late (retried, dead-lettered
-- and replayed) must leave that one alone; and a second postponed decision waits for the annulment of the
-- first one's supplement.
ALTER TABLE supplements ADD COLUMN decision_id uuid;

-- Until now a case had at most one postponed decision, so a supplement's is its case's one. A supplement
-- whose decision portfolio did not record keeps none: an upheld objection annuls the case's latest.
UPDATE supplements s SET decision_id = d.decision_id
  FROM decisions d
 WHERE d.case_id = s.case_id AND d.decision = 'postponed' AND s.decision_id IS NULL
   AND (SELECT count(*) FROM decisions o WHERE o.case_id = s.case_id AND o.decision = 'postponed') = 1;
