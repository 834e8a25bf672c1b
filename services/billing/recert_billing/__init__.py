"""The billing service: DNV's and Noloc's invoices for the fees of the assessment framework, numbered
without gaps per issuer and year, cancelled by credit notes, downloadable as PDF, and paid through the
payment provider's signed webhook."""
