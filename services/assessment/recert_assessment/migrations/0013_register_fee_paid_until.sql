-- From the certificate CSV: the date up to which an external affiliate had paid Noloc's register fee when
-- the certificate was loaded. Carried in certification.certificate.registered (which may be recorded later,
-- when the account is created) so billing does not invoice that certificate year again (ADR 0013).
ALTER TABLE certificates ADD COLUMN register_fee_paid_until date;
