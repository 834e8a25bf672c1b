-- ADR 0011 (amended 2026-12-07, built): an objection upheld against DNV's round-0 postponed decision (on part B,
-- after a failed PE check) annuls that decision together with the supplement it asked for, and the case goes
-- back to DNV's PE check. The decision stays (the objection is against it, the audit trail names it), marked
-- with when and by which objection it was annulled: it stands no more (no supplement term, no step in the
-- case's progress, not the latest decision for a new objection or a lapse, not the case's one postponed
-- decision). Only that decision is annulled today; the round-0 negative one is not (yet).
ALTER TABLE decisions
    ADD COLUMN annulled_at timestamptz,
    ADD COLUMN annulled_by_objection_id uuid REFERENCES objections (id),
    ADD CONSTRAINT decisions_annulled_by_an_objection
        CHECK ((annulled_at IS NULL) = (annulled_by_objection_id IS NULL)),
    ADD CONSTRAINT decisions_annulled_round_0_postponed_only
        CHECK (annulled_at IS NULL OR (decision = 'postponed' AND round = 0));

COMMENT ON COLUMN decisions.annulled_at IS
    'When an upheld objection (annulled_by_objection_id) annulled the decision: it no longer stands.';
