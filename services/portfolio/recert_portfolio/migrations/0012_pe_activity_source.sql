-- pe.activity.*: where an activity comes from. An activity imported from the Noloc Academie is proven by
-- the import itself; one entered by hand counts only with an evidence file (ADR 0012). Rows from before
-- this column are taken as entered by hand until pe-registry's next event about them says otherwise.
ALTER TABLE pe_activities ADD COLUMN source text NOT NULL DEFAULT 'manual';
