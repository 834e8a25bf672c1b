-- A1's second declaration (the portal asks for both): "I work as executive jobcoach now", next to "I worked as
-- executive jobcoach in the past four years" (declared_at). Like that one, the moment it was first ticked.
-- Numbered 0014 (the ADR number of the change) so that it cannot share a number with another branch's 0002.
ALTER TABLE parts ADD COLUMN works_now_declared_at timestamptz
    CHECK (works_now_declared_at IS NULL OR part = 'A1');
