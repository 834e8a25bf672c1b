-- The register fee is charged per certificate year (counted from the certificate's start date), not per
-- calendar year; no affiliate-number fee is charged any more (ADR 0013).

-- certification.certificate.*: the first day of the first certificate year billing invoices for this
-- certificate (the year running when billing learnt of it, or the first one after the date up to which the
-- holder had paid Noloc already). Null only until the certificate's period is known.
ALTER TABLE certificates ADD COLUMN register_fee_from date;
ALTER TABLE certificates ADD COLUMN register_fee_paid_until date;

-- Certificates known before this migration: from the certificate year running today, or the next one when
-- this calendar year's register fee was invoiced already under the old rule (no year is charged twice).
UPDATE certificates c SET register_fee_from = y.first + CASE WHEN EXISTS (
            SELECT 1 FROM invoices i WHERE i.account_id = c.account_id AND i.kind = 'register_fee'
              AND i.period_year = extract(year FROM current_date)::int)
        THEN interval '1 year' ELSE interval '0' END
    FROM (SELECT certificate_id,
                 (valid_from + make_interval(years => greatest(0,
                      extract(year FROM age(current_date, valid_from))::int)))::date AS first
          FROM certificates WHERE valid_from IS NOT NULL) y
    WHERE y.certificate_id = c.certificate_id;

-- What a register-fee invoice covers: one certificate year, first and last day included. period_year stays:
-- the calendar year the certificate year starts in (events and e-mails name it).
ALTER TABLE invoices ADD COLUMN period_start date;
ALTER TABLE invoices ADD COLUMN period_end date;
UPDATE invoices SET period_start = make_date(period_year, 1, 1), period_end = make_date(period_year, 12, 31)
    WHERE kind = 'register_fee';
ALTER TABLE invoices ADD CONSTRAINT invoices_register_fee_period CHECK (
    (kind = 'register_fee') = (period_start IS NOT NULL AND period_end IS NOT NULL)
    AND (period_start IS NULL OR (period_end > period_start AND period_year = extract(year FROM period_start))));

-- What makes a second worker or a redelivered event issue nothing new: one invoice per account and
-- certificate year.
DROP INDEX invoices_one_register_fee_a_year;
CREATE UNIQUE INDEX invoices_one_register_fee_per_certificate_year ON invoices (account_id, period_start)
    WHERE kind = 'register_fee';
