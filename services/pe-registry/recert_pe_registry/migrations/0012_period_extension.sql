-- certification.decision.made: a postponed decision's supplement deadline (or a negative decision's deadline
-- for a whole new portfolio) ends the PE period when it is later than the expiry date (ADR 0012).
ALTER TABLE certificate_periods ADD COLUMN extended_until date;
