-- A supplement term follows the order of the events that open and close it, not the order they are handled in
-- (ADR 0010, amended 2026-12-07): a postponed certification.decision.made replayed from the dead letters after
-- portfolio.supplement.submitted or the final decision found the close an UPDATE of a row not there yet, then
-- opened the term, and the schedule reminded the jobcoach of a supplement she had handed in or a case that was
-- decided. A close handled first now keeps a closed row (a tombstone: no due date yet); opened_as_of is the
-- time of the postponed decision the row's due date comes from. A postponement leaves a term closed after it
-- closed, and an older one changes nothing; rows from before have none and take the next postponement.
ALTER TABLE supplement_deadlines ALTER COLUMN due_on DROP NOT NULL,
                                 ADD COLUMN opened_as_of timestamptz;
