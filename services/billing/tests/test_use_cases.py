"""Billing's use cases against the in-memory unit of work: issuing and cancelling, the register fee, who
reads which invoice, the documents, payments and the yearly schedule; the events each publishes, and none
when it refuses or changes nothing."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from recert_billing.domain import (
    WITHDRAWN,
    CertificateYear,
    InvoiceKind,
    InvoiceNotFound,
    InvoiceState,
    NoCreditNote,
    PaymentNotification,
    PaymentOutcome,
    draft_invoice,
)
from recert_billing.service import cancel_invoice, issue_invoice, issue_noloc_fees, start_register_fee
from recert_billing.settings import BillingSettings
from recert_billing.worker import schedules
from recert_common.auth import Principal

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def principal(account_id=None, *roles: str) -> Principal:
    return Principal(account_id=account_id or uuid.uuid4(), roles=frozenset(roles or ("jobcoach",)),
                     amr=frozenset({"pwd", "otp"}), token="", claims={})


def recertification(account_id=None, day=date(2026, 3, 10)):
    return draft_invoice(InvoiceKind.RECERTIFICATION, account_id=account_id or uuid.uuid4(), issued_on=day,
                         submission_id=uuid.uuid4())


# --- issuing and cancelling ------------------------------------------------------------------------------


def test_an_invoice_is_numbered_in_its_issuers_series_and_announced(uow):
    draft = recertification()
    with uow:
        invoice = issue_invoice(uow, draft, now=NOW)
    assert (invoice.number, invoice.seq, invoice.state) == ("DNV-2026-000001", 1, InvoiceState.OPEN)
    [event] = uow.published
    assert event.type == "billing.invoice.issued" and event.producer == "billing"
    assert event.subject == draft.account_id
    assert event.data["number"] == "DNV-2026-000001" and event.data["issued_on"] == "2026-03-10"
    assert event.data["gross"] == {"amount": "242.00", "currency": "EUR"}
    assert event.data["due_on"] == "2026-04-09" and event.data["period_year"] is None


def test_a_second_invoice_for_the_same_trigger_is_none_and_uses_no_number(uow):
    draft = recertification()
    with uow:
        issue_invoice(uow, draft, now=NOW)
    with uow:
        assert issue_invoice(uow, draft, now=NOW) is None
        other = issue_invoice(uow, recertification(), now=NOW)
    assert other.number == "DNV-2026-000002"
    assert uow.published_types() == ["billing.invoice.issued"] * 2


def test_register_fees_and_dnv_fees_have_series_of_their_own(uow):
    account_id = uuid.uuid4()
    fee = draft_invoice(InvoiceKind.REGISTER_FEE, account_id=account_id, issued_on=date(2026, 3, 10),
                        period=CertificateYear(date(2026, 3, 1), date(2027, 2, 28)))
    with uow:
        assert issue_invoice(uow, fee, now=NOW).number == "Noloc-2026-000001"
        assert issue_invoice(uow, recertification(account_id), now=NOW).number == "DNV-2026-000001"


def test_cancelling_gives_a_credit_note_from_the_credit_series(uow):
    with uow:
        invoice = issue_invoice(uow, recertification(), now=NOW)
    with uow:
        note = cancel_invoice(uow, invoice, reason_code=WITHDRAWN, today=date(2027, 1, 5), now=NOW)
    assert note.number == "DNV-C-2027-000001" and note.reason == "Portfolio ingetrokken door de jobcoach"
    assert uow.invoices.get(invoice.id).state == InvoiceState.CANCELLED
    assert uow.invoices.get(invoice.id).credit_note == note
    assert uow.published_types() == ["billing.invoice.issued", "billing.invoice.cancelled"]


def test_a_cancelled_invoice_is_not_cancelled_twice(uow):
    with uow:
        invoice = issue_invoice(uow, recertification(), now=NOW)
        cancel_invoice(uow, invoice, reason_code=WITHDRAWN, today=date(2026, 3, 11), now=NOW)
    with pytest.raises(ValueError), uow:
        cancel_invoice(uow, uow.invoices.get(invoice.id), reason_code=WITHDRAWN, today=date(2026, 3, 12),
                       now=NOW)
    assert uow.published_types() == ["billing.invoice.issued", "billing.invoice.cancelled"]


# --- the register fee ------------------------------------------------------------------------------------


def _certificate(uow, account_id, valid_from, state="active", valid_until=None):
    certificate_id = uuid.uuid4()
    uow.certificates.upsert(certificate_id=certificate_id, account_id=account_id, certificate_number="RJ-1",
                            state=state, as_of=NOW, valid_from=valid_from,
                            valid_until=valid_until or date(valid_from.year + 4, valid_from.month,
                                                            valid_from.day))
    return certificate_id


def _account(uow, kind):
    account_id = uuid.uuid4()
    uow.accounts.upsert({"account_id": account_id, "full_name": "Jet", "membership_kind": kind,
                         "membership_number": "EXT-000001"}, NOW)
    return account_id


def test_the_first_register_fee_year_is_never_moved_back(uow):
    account_id = _account(uow, "affiliate")
    certificate_id = _certificate(uow, account_id, date(2024, 9, 1))
    with uow:
        start_register_fee(uow, certificate_id, known_on=date(2026, 1, 10))
        assert uow.certificates.get(certificate_id).register_fee_from == date(2025, 9, 1)
        start_register_fee(uow, certificate_id, known_on=date(2025, 1, 10))  # an older event, late
        assert uow.certificates.get(certificate_id).register_fee_from == date(2025, 9, 1)
        start_register_fee(uow, uuid.uuid4(), known_on=date(2025, 1, 10))  # unknown: nothing to do
    assert uow.published == []


def test_noloc_fees_go_to_affiliates_only_once_per_certificate_year(uow):
    affiliate, member = _account(uow, "affiliate"), _account(uow, "member")
    for account_id in (affiliate, member):
        start = _certificate(uow, account_id, date(2024, 9, 1))
        start_register_fee(uow, start, known_on=date(2024, 9, 1))
    with uow:
        issued = issue_noloc_fees(uow, affiliate, today=date(2025, 9, 1), now=NOW)
        assert [i.period_start for i in issued] == [date(2024, 9, 1), date(2025, 9, 1)]
        assert issue_noloc_fees(uow, affiliate, today=date(2025, 9, 1), now=NOW) == []
        assert issue_noloc_fees(uow, member, today=date(2025, 9, 1), now=NOW) == []
        assert issue_noloc_fees(uow, uuid.uuid4(), today=date(2025, 9, 1), now=NOW) == []
    assert uow.published_types() == ["billing.invoice.issued"] * 2


def test_the_schedule_invoices_each_new_certificate_year_once_and_none_after_a_lapse(story, service, clock):
    clock.day = date(2025, 1, 10)
    coach = story.coach("affiliate")
    certificate_id = story.certificate(coach, valid_from=date(2024, 9, 1))
    clock.day = date(2025, 8, 31)
    assert service.issue_register_fees() == 0
    clock.day = date(2025, 9, 1)
    assert service.issue_register_fees() == 1
    assert service.issue_register_fees() == 0
    assert story.periods(coach.account_id) == [(date(2024, 9, 1), date(2025, 8, 31)),
                                               (date(2025, 9, 1), date(2026, 8, 31))]
    story.certificate(coach, "lapsed", certificate_id=certificate_id)
    clock.day = date(2026, 9, 1)
    assert service.issue_register_fees() == 0
    assert len(story.published("billing.invoice.issued", coach.account_id)) == 2


def test_the_schedule_catches_up_on_every_certificate_year_it_missed(story, service, clock):
    clock.day = date(2025, 1, 10)
    coaches = [story.coach("affiliate") for _ in range(3)]
    for coach in coaches:
        story.certificate(coach, valid_from=date(2024, 9, 1))
    assert service.issue_register_fees(date(2026, 9, 2)) == 6
    for coach in coaches:
        assert [p[0] for p in story.periods(coach.account_id)] == \
            [date(2024, 9, 1), date(2025, 9, 1), date(2026, 9, 1)]


def test_the_worker_runs_the_register_fees_on_the_settings_day():
    [schedule] = schedules(BillingSettings.from_env("billing", env={}), db=None)
    assert schedule.name == "billing.register-fees" and schedule.every_seconds == 3600


# --- reading ---------------------------------------------------------------------------------------------


def test_the_recipient_and_the_issuers_staff_read_an_invoice_and_nobody_else(story, service):
    coach = story.coach()
    story.submitted(coach)
    [invoice] = story.invoices(coach.account_id)
    assert service.visible_invoice(principal(coach.account_id), invoice.id) == invoice
    assert service.visible_invoice(principal(None, "dnv_officer"), invoice.id) == invoice
    for stranger in (principal(), principal(None, "noloc_admin")):
        with pytest.raises(InvoiceNotFound):
            service.visible_invoice(stranger, invoice.id)
    with pytest.raises(InvoiceNotFound):
        service.visible_invoice(principal(coach.account_id), uuid.uuid4())


def test_lists_show_what_the_reader_may_see_newest_first_in_pages(story, service, uow):
    coach, other = story.coach("affiliate"), story.coach()
    story.certificate(coach)
    for _ in range(3):
        story.submitted(coach)
    story.submitted(other)
    mine, total = service.list_invoices(principal(coach.account_id))
    assert total == 4 and {i.account_id for i in mine} == {coach.account_id}
    assert service.list_invoices(principal(coach.account_id), account_id=other.account_id) == ([], 0)
    first, _ = service.list_invoices(principal(coach.account_id), page=1, page_size=3)
    second, _ = service.list_invoices(principal(coach.account_id), page=2, page_size=3)
    numbers = [i.number for i in first + second]
    assert len(numbers) == 4 and [n for n in numbers if n.startswith("DNV")] == \
        sorted((n for n in numbers if n.startswith("DNV")), reverse=True)
    officer = principal(None, "dnv_officer")
    assert {i.issuer for i in service.list_invoices(officer)[0]} == {"DNV"}
    assert service.list_invoices(officer, account_id=coach.account_id)[1] == 3
    [fee], _ = service.list_invoices(principal(None, "noloc_admin"), kind="register_fee")
    assert fee.kind == InvoiceKind.REGISTER_FEE
    uow.invoices.mark_paid(fee.id, NOW)
    assert service.list_invoices(principal(coach.account_id), state="paid")[0] == [uow.invoices.get(fee.id)]
    assert service.list_invoices(principal(None, "assessor")) == ([], 0)


def test_the_documents_and_the_missing_credit_note(story, service):
    coach = story.coach()
    submission_id = story.submitted(coach)
    [invoice] = story.invoices(coach.account_id)
    assert service.invoice_pdf(invoice).startswith(b"%PDF-")
    with pytest.raises(NoCreditNote):
        service.credit_note_pdf(invoice)
    story.withdrawn(coach, submission_id)
    [cancelled] = story.invoices(coach.account_id)
    assert service.credit_note_pdf(cancelled).startswith(b"%PDF-")


# --- payments --------------------------------------------------------------------------------------------


def _open_invoice(story):
    coach = story.coach()
    story.submitted(coach)
    return coach, story.invoices(coach.account_id)[0]


def _payment(invoice, *, event_id=None, amount=None, currency="EUR", type_="payment.succeeded",
             paid_at=None, number=None):
    return PaymentNotification(provider_event_id=event_id or f"evt_{uuid.uuid4().hex}", type=type_,
                               invoice_number=number or invoice.number,
                               amount=invoice.gross if amount is None else amount, currency=currency,
                               paid_at=paid_at or invoice.issued_at + timedelta(seconds=5))


def test_a_payment_of_the_exact_total_pays_the_invoice_once(story, service, uow):
    coach, invoice = _open_invoice(story)
    # 23:30 UTC is the next day in Amsterdam: the day paid is Amsterdam's.
    paid_at = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
    invoice = dataclasses.replace(invoice, issued_at=paid_at - timedelta(hours=1))
    uow.invoices.rows[invoice.id] = invoice
    notification = _payment(invoice, paid_at=paid_at)
    service.now = lambda: paid_at + timedelta(minutes=1)
    result = service.receive_payment(notification, {"id": notification.provider_event_id})
    assert (result.outcome, result.invoice_number) == (PaymentOutcome.PAID, invoice.number)
    assert uow.invoices.get(invoice.id).state == InvoiceState.PAID
    assert uow.invoices.get(invoice.id).paid_at == paid_at
    [paid] = story.published("billing.invoice.paid", coach.account_id)
    assert paid.data["amount"] == {"amount": "242.00", "currency": "EUR"}
    assert paid.data["paid_on"] == "2026-03-11"
    assert paid.data["number"] == invoice.number and paid.data["invoice_id"] == str(invoice.id)

    again = service.receive_payment(notification, {})
    assert again.outcome == PaymentOutcome.DUPLICATE
    second = service.receive_payment(_payment(invoice, paid_at=paid_at), {})
    assert second.outcome == PaymentOutcome.ALREADY_PAID and second.outcome.settles_invoice
    assert len(story.published("billing.invoice.paid")) == 1
    assert uow.invoices.get(invoice.id).paid_at == paid_at


@pytest.mark.parametrize("change, outcome", [
    ({"amount": "241.99"}, PaymentOutcome.AMOUNT_MISMATCH),
    ({"currency": "USD"}, PaymentOutcome.AMOUNT_MISMATCH),
    ({"number": "DNV-1999-000001"}, PaymentOutcome.UNKNOWN_INVOICE),
    ({"type_": "payment.failed"}, PaymentOutcome.IGNORED_TYPE),
    ({"paid_at": "before"}, PaymentOutcome.IMPLAUSIBLE_PAID_AT),
    ({"paid_at": "future"}, PaymentOutcome.IMPLAUSIBLE_PAID_AT),
])
def test_notifications_that_pay_nothing_are_kept_with_their_outcome(story, service, uow, change, outcome):
    _, invoice = _open_invoice(story)
    published = len(uow.published)
    change = dict(change)
    if "amount" in change:
        change["amount"] = Decimal(change["amount"])
    if change.get("paid_at") == "before":
        change["paid_at"] = invoice.issued_at - timedelta(minutes=6)
    elif change.get("paid_at") == "future":
        change["paid_at"] = datetime.now(UTC) + timedelta(minutes=6)
    notification = _payment(invoice, **change)
    result = service.receive_payment(notification, {"id": notification.provider_event_id})
    assert result.outcome == outcome and not outcome.settles_invoice
    assert uow.payments.rows[notification.provider_event_id]["outcome"] == str(outcome)
    assert uow.invoices.get(invoice.id).state == InvoiceState.OPEN
    assert len(uow.published) == published


def test_a_payment_of_a_cancelled_invoice_is_kept_for_a_refund(story, service, uow):
    coach = story.coach()
    submission_id = story.submitted(coach)
    story.withdrawn(coach, submission_id)
    [invoice] = story.invoices(coach.account_id)
    result = service.receive_payment(_payment(invoice), {})
    assert result.outcome == PaymentOutcome.INVOICE_CANCELLED
    assert uow.invoices.get(invoice.id).state == InvoiceState.CANCELLED
    assert story.published("billing.invoice.paid") == []
