-- An objection upheld against the postponed decision DNV took on the failed PE check alone annuls that
-- decision together with the PE supplement it asked for, and the case goes back to the PE check (ADR 0011,
-- amended; assessment.objection.decided with next_step "pe_check"). The term ends as by a close (closed_at,
-- the upheld objection's event time), and annulled_at keeps that time too: a postponed decision of that time
-- or before, handled late (retried at the back of the queue, replayed from the dead letters), neither opens
-- the term again nor tells the jobcoach of a supplement she was told she need not deliver. A newer
-- postponement opens a term as before. Rows from before have none: nothing was annulled.
ALTER TABLE supplement_deadlines ADD COLUMN annulled_at timestamptz;
