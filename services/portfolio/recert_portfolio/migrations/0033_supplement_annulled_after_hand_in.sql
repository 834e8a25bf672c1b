-- A supplement handed in as DNV upheld the objection against the decision that asked for it is annulled
-- too (ADR 0011, amended): assessment, whose case left the supplement's term at the uphold, ignores the
-- hand-in, and the cycle goes back to waiting for assessment, so that a later postponed decision opens a
-- supplement of its own. An annulled supplement may therefore have been handed in.
ALTER TABLE supplements DROP CONSTRAINT supplements_annulled_not_submitted;
