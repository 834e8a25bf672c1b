"""The register fee per certificate year (ADR 0013): which year a day falls in, from which year billing
invoices a certificate it learns of, which years are due, and what each costs."""
from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from recert_billing.domain import (
    Account,
    Certificate,
    CertificateYear,
    becomes_affiliate,
    certificate_year,
    draft_invoice,
    first_register_fee_year,
    register_fee_years_due,
    register_fees_due,
)

START = date(2024, 9, 1)  # the certificate's start date
UNTIL = date(2028, 9, 1)


def year(first: date, last: date) -> CertificateYear:
    return CertificateYear(first, last)


@pytest.mark.parametrize("day, first, last", [
    (date(2024, 9, 1), date(2024, 9, 1), date(2025, 8, 31)),
    (date(2025, 1, 10), date(2024, 9, 1), date(2025, 8, 31)),  # not the calendar year of the day
    (date(2025, 8, 31), date(2024, 9, 1), date(2025, 8, 31)),
    (date(2025, 9, 1), date(2025, 9, 1), date(2026, 8, 31)),
    (date(2024, 8, 31), date(2023, 9, 1), date(2024, 8, 31)),  # before the start: counted backwards
])
def test_a_certificate_year_runs_from_the_start_date(day, first, last):
    assert certificate_year(START, day) == year(first, last)


def test_a_start_on_29_february_counts_from_that_day_every_year():
    leap = date(2024, 2, 29)
    assert certificate_year(leap, date(2025, 3, 1)) == year(date(2025, 2, 28), date(2026, 2, 27))
    assert certificate_year(leap, date(2028, 2, 29)) == year(date(2028, 2, 29), date(2029, 2, 27))
    assert certificate_year(leap, date(2028, 2, 28)) == year(date(2027, 2, 28), date(2028, 2, 28))


def test_the_first_year_invoiced_is_the_one_running_when_billing_learns_of_the_certificate():
    assert first_register_fee_year(START, known_on=date(2025, 1, 10)) == date(2024, 9, 1)
    # Years before the platform knew the certificate were Noloc's business.
    assert first_register_fee_year(date(2022, 9, 1), known_on=date(2025, 1, 10)) == date(2024, 9, 1)
    # A certificate that has not started yet (a renewal decided early): its first year.
    assert first_register_fee_year(START, known_on=date(2024, 7, 1)) == START


@pytest.mark.parametrize("paid_until, first", [
    (None, date(2024, 9, 1)),
    (date(2024, 8, 31), date(2024, 9, 1)),  # paid up to the year before: this one is owed
    (date(2025, 8, 31), date(2025, 9, 1)),  # paid for this certificate year
    (date(2024, 12, 31), date(2025, 9, 1)),  # paid Noloc's calendar year 2024: this year not charged again
    (date(2025, 12, 31), date(2026, 9, 1)),  # reaches into the next certificate year: not charged either
    (date(2023, 6, 30), date(2024, 9, 1)),  # long ago: the running year
])
def test_a_paid_until_date_skips_every_certificate_year_it_reaches_into(paid_until, first):
    assert first_register_fee_year(START, known_on=date(2025, 1, 10), paid_until=paid_until) == first


def test_the_years_due_are_those_started_by_today_from_the_first_year_on_and_before_expiry():
    due = register_fee_years_due(START, UNTIL, fee_from=date(2024, 9, 1), today=date(2025, 1, 10))
    assert due == [year(date(2024, 9, 1), date(2025, 8, 31))]
    assert register_fee_years_due(START, UNTIL, fee_from=date(2024, 9, 1), today=date(2025, 8, 31)) == due
    # The next certificate year is due on its first day.
    later = register_fee_years_due(START, UNTIL, fee_from=date(2024, 9, 1), today=date(2025, 9, 1))
    assert later == [*due, year(date(2025, 9, 1), date(2026, 8, 31))]
    # Paid up to 31 August 2025: nothing until 1 September 2025.
    assert register_fee_years_due(START, UNTIL, fee_from=date(2025, 9, 1), today=date(2025, 8, 31)) == []
    # A year starting on (or after) the expiry date belongs to the renewed certificate.
    last = register_fee_years_due(START, UNTIL, fee_from=date(2027, 9, 1), today=date(2029, 1, 1))
    assert last == [year(date(2027, 9, 1), date(2028, 8, 31))]


def test_a_register_fee_invoice_is_charged_at_the_figures_of_the_year_its_certificate_year_starts_in():
    account = uuid.uuid4()
    y2023 = year(date(2023, 9, 1), date(2024, 8, 31))
    draft = draft_invoice("register_fee", account_id=account, issued_on=date(2024, 1, 10), period=y2023)
    assert (draft.net, draft.year, draft.period_year) == (Decimal("202.50"), 2024, 2023)
    y2024 = year(date(2024, 9, 1), date(2025, 8, 31))
    draft = draft_invoice("register_fee", account_id=account, issued_on=date(2025, 1, 10), period=y2024)
    assert (draft.net, draft.year, draft.period_year) == (Decimal("212.50"), 2025, 2024)
    assert draft.lines[0].description.nl.endswith("certificaatjaar 1 september 2024 t/m 31 augustus 2025")
    assert draft.lines[0].description.en.endswith("certificate year 1 September 2024 to 31 August 2025")


def test_a_register_fee_needs_its_certificate_year_and_no_other_fee_has_one():
    with pytest.raises(ValueError):
        draft_invoice("register_fee", account_id=uuid.uuid4(), issued_on=date(2025, 1, 10))
    with pytest.raises(ValueError):
        draft_invoice("recertification", account_id=uuid.uuid4(), issued_on=date(2025, 1, 10),
                      submission_id=uuid.uuid4(), period=year(START, date(2025, 8, 31)))


def _account(kind):
    return Account(uuid.uuid4(), "Jet", kind, None)


def test_the_fees_due_are_an_affiliates_started_certificate_years_of_each_active_certificate():
    affiliate = _account("affiliate")
    certificate = Certificate(uuid.uuid4(), affiliate.account_id, "RJ-1", "active", START, UNTIL,
                              register_fee_from=date(2025, 9, 1))
    drafts = register_fees_due(affiliate, [certificate], today=date(2026, 9, 1))
    assert [(d.period.first, d.account_id, d.issuer) for d in drafts] == [
        (date(2025, 9, 1), affiliate.account_id, "Noloc"), (date(2026, 9, 1), affiliate.account_id, "Noloc")]
    for nobody in (None, _account("member"), _account(None)):
        assert register_fees_due(nobody, [certificate], today=date(2026, 9, 1)) == []
    assert register_fees_due(affiliate, [], today=date(2026, 9, 1)) == []


@pytest.mark.parametrize("before, now, becomes", [
    ("member", "affiliate", True), (None, "affiliate", True), ("affiliate", "affiliate", False),
    ("affiliate", "member", False), ("member", "member", False),
])
def test_a_known_account_becomes_an_affiliate(before, now, becomes):
    assert becomes_affiliate(_account(before), now) is becomes


def test_an_account_first_seen_as_an_affiliate_does_not_become_one():
    assert becomes_affiliate(None, "affiliate") is False
