-- A case is about its submission and, once Part B is supplemented, about each supplement's submission too:
-- the supplement's activities are locked under the supplement's own submission id, and the assessor who
-- reassesses reads them through this table (ADR 0043). So a case may have several submissions.
ALTER TABLE case_submissions DROP CONSTRAINT case_submissions_pkey;
ALTER TABLE case_submissions ADD PRIMARY KEY (case_id, submission_id);
