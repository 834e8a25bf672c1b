"""Every event billing consumes, handled against the in-memory unit of work: which invoices and credit notes
come of it, which events billing publishes, and that a redelivery or a late, older event changes nothing."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from recert_billing.domain import InvoiceKind, InvoiceState
from recert_billing.handlers import subscriptions
from recert_billing.service import event_day
from recert_billing.settings import BillingSettings

# --- identity --------------------------------------------------------------------------------------------


def test_registering_charges_nothing_neither_to_an_affiliate_nor_to_a_member(story):
    affiliate, member = story.coach("affiliate"), story.coach("member")
    story.account_event(affiliate, "identity.account.updated", changed=["full_name"])
    assert story.invoices(affiliate.account_id) == [] and story.invoices(member.account_id) == []
    assert story.uow.published == []


def test_an_older_account_update_arriving_after_a_newer_one_changes_nothing(story):
    coach = story.coach(register=False)
    t0 = story._tick + timedelta(hours=1)
    story.account_event(coach, at=t0)
    story.account_event(coach, "identity.account.updated", at=t0 + timedelta(minutes=20),
                        full_name="Jet Laatst", changed=["full_name"])
    story.account_event(coach, "identity.account.updated", at=t0 + timedelta(minutes=10),
                        full_name="Jet Tussendoor", changed=["full_name"])
    assert story.uow.accounts.get(coach.account_id).full_name == "Jet Laatst"
    story.account_event(coach, at=t0)  # the registration, redelivered even later
    assert story.uow.accounts.get(coach.account_id).full_name == "Jet Laatst"


def test_a_certificate_of_an_account_not_known_yet_is_invoiced_when_the_account_arrives(story, clock):
    coach = story.coach("affiliate", register=False)
    story.certificate(coach)
    assert story.invoices(coach.account_id) == []
    story.account_event(coach)
    assert story.kinds(coach.account_id) == [("register_fee", clock.day.year)]
    assert {i.recipient_name for i in story.invoices(coach.account_id)} == {coach.name}
    [issued] = story.published("billing.invoice.issued", coach.account_id)
    assert issued.data["period_start"] == clock.day.isoformat()


def test_an_invoice_issued_before_the_account_was_known_gets_its_recipient_later(story):
    coach = story.coach("member", register=False)
    story.submitted(coach)
    assert [i.recipient_name for i in story.invoices(coach.account_id)] == [None]
    story.account_event(coach)
    [invoice] = story.invoices(coach.account_id)
    assert (invoice.recipient_name, invoice.recipient_number) == (coach.name, coach.number)


def test_a_member_who_becomes_an_affiliate_pays_from_then_on(story, service, clock):
    clock.day = date(2025, 1, 10)
    coach = story.coach("member")
    story.certificate(coach, valid_from=date(2024, 9, 1))
    clock.day = date(2026, 10, 1)
    assert service.issue_register_fees() == 0
    coach.kind, coach.number = "affiliate", "EXT-000042"
    story.account_event(coach, "identity.account.updated")
    assert story.periods(coach.account_id) == [(date(2026, 9, 1), date(2027, 8, 31))]


def _amsterdam(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), ZoneInfo("Europe/Amsterdam"))


def test_a_certificate_event_handled_after_the_next_year_started_invoices_the_year_running_then(story, clock):
    """certification.certificate.registered happened on 20 August 2025, in the certificate year from
    1 September 2024; billing handles it (a retry, a replayed dead letter) on 3 September 2025. The year
    running at registration is owed, and the one that started since too."""
    coach = story.coach("affiliate")
    clock.day = date(2025, 9, 3)
    story.certificate(coach, valid_from=date(2024, 9, 1), at=_amsterdam(date(2025, 8, 20), 14))
    assert story.periods(coach.account_id) == [(date(2024, 9, 1), date(2025, 8, 31)),
                                               (date(2025, 9, 1), date(2026, 8, 31))]
    assert {i.issued_on for i in story.invoices(coach.account_id)} == {clock.day}


def test_the_day_an_event_happened_is_amsterdams(story, clock):
    """22:30 UTC on 31 August is 1 September in Amsterdam: the certificate year from 1 September."""
    late, early = story.coach("affiliate"), story.coach("affiliate")
    clock.day = date(2025, 9, 3)
    story.certificate(late, valid_from=date(2024, 9, 1), at=datetime(2025, 8, 31, 22, 30, tzinfo=UTC))
    story.certificate(early, valid_from=date(2024, 9, 1), at=_amsterdam(date(2025, 8, 31), 23, 59))
    assert story.periods(late.account_id) == [(date(2025, 9, 1), date(2026, 8, 31))]
    assert story.periods(early.account_id) == [(date(2024, 9, 1), date(2025, 8, 31)),
                                               (date(2025, 9, 1), date(2026, 8, 31))]


def test_a_member_whose_change_to_affiliate_is_handled_late_pays_from_the_year_running_at_the_change(
        story, clock):
    clock.day = date(2025, 1, 10)
    coach = story.coach("member")
    story.certificate(coach, valid_from=date(2024, 9, 1))
    coach.kind, coach.number = "affiliate", "EXT-000043"
    clock.day = date(2026, 9, 2)
    story.account_event(coach, "identity.account.updated", at=_amsterdam(date(2026, 8, 25), 9))
    assert story.periods(coach.account_id) == [(date(2025, 9, 1), date(2026, 8, 31)),
                                               (date(2026, 9, 1), date(2027, 8, 31))]


def test_an_event_day_is_never_after_billings_today():
    """A day fixed for a demonstration (RECERT_BILLING_TODAY) before the real clock stays today."""
    zone = ZoneInfo("Europe/Amsterdam")
    assert event_day(datetime(2026, 12, 7, 12, tzinfo=UTC), zone, date(2025, 1, 10)) == date(2025, 1, 10)
    assert event_day(datetime(2025, 8, 31, 22, 30, tzinfo=UTC), zone, date(2025, 9, 3)) == date(2025, 9, 1)


def test_a_staff_account_is_never_invoiced_noloc_fees(story):
    coach = story.coach(None)
    story.account_event(coach, roles=["dnv_officer"])
    assert story.invoices(coach.account_id) == []


# --- portfolio -------------------------------------------------------------------------------------------


def test_a_submission_is_invoiced_once_and_a_supplement_once_more(story, clock):
    coach = story.coach()
    event = story.submitted_event(coach)
    story.deliver(event)
    story.deliver(event)  # the very same envelope again
    story.submitted(coach, submission_id=event.data["submission_id"])  # the same submission, a new envelope
    supplement_id, case_id = story.supplement(coach, event.data["submission_id"])
    story.supplement(coach, event.data["submission_id"], supplement_id=supplement_id)
    assert story.kinds(coach.account_id) == [("recertification", None), ("reassessment", None)]
    recertification, reassessment = story.invoices(coach.account_id)
    assert recertification.number == f"DNV-{clock.day.year}-000001"
    assert reassessment.number == f"DNV-{clock.day.year}-000002" and reassessment.case_id == case_id
    assert (recertification.net, recertification.vat, recertification.gross) == \
        (Decimal("200.00"), Decimal("42.00"), Decimal("242.00"))
    assert len(story.published("billing.invoice.issued", coach.account_id)) == 2


def test_a_withdrawn_portfolio_cancels_its_open_invoice_with_a_credit_note(story, clock):
    coach = story.coach()
    submission_id = story.submitted(coach)
    [invoice] = story.invoices(coach.account_id)
    story.withdrawn(coach, submission_id)

    [cancelled] = story.invoices(coach.account_id)
    assert cancelled.state == InvoiceState.CANCELLED and cancelled.cancelled_at is not None
    note = cancelled.credit_note
    assert note.number == f"DNV-C-{clock.day.year}-000001" and note.refund_due is False
    assert (note.net, note.vat, note.gross) == (Decimal("-200.00"), Decimal("-42.00"), Decimal("-242.00"))
    assert note.reason == "Portfolio ingetrokken door de jobcoach"
    [event] = story.published("billing.invoice.cancelled", coach.account_id)
    assert event.data == {"invoice_id": str(invoice.id), "number": invoice.number, "issuer": "DNV",
                          "account_id": str(coach.account_id), "kind": "recertification",
                          "submission_id": str(submission_id), "case_id": None,
                          "credit_note_number": note.number, "reason": note.reason,
                          "reason_code": "portfolio_withdrawn", "refund_due": False}

    story.withdrawn(coach, submission_id)  # a redelivery: still one credit note, nothing published
    assert len(story.published("billing.invoice.cancelled")) == 1
    story.submitted(coach)  # resubmitted: a new invoice
    assert [i.state for i in story.invoices(coach.account_id)] == [InvoiceState.CANCELLED, InvoiceState.OPEN]


def test_a_withdrawn_paid_invoice_is_credited_with_a_refund_due(story, uow):
    coach = story.coach()
    submission_id = story.submitted(coach)
    [invoice] = story.invoices(coach.account_id)
    uow.invoices.mark_paid(invoice.id, invoice.issued_at)
    story.withdrawn(coach, submission_id)
    [cancelled] = story.invoices(coach.account_id)
    assert cancelled.state == InvoiceState.CANCELLED and cancelled.paid_at is not None
    assert cancelled.credit_note.refund_due is True
    assert cancelled.credit_note.reason == \
        "Portfolio ingetrokken door de jobcoach; het betaalde bedrag wordt terugbetaald"
    [event] = story.published("billing.invoice.cancelled", coach.account_id)
    assert event.data["reason"] == cancelled.credit_note.reason
    # The reason as a code and the refund beside it, for a reader in another language (notifications).
    assert (event.data["reason_code"], event.data["refund_due"]) == ("portfolio_withdrawn", True)


def test_a_withdrawal_handled_before_its_submission_leaves_it_uninvoiced(story):
    coach = story.coach()
    submission_id = uuid.uuid4()
    story.withdrawn(coach, submission_id)
    story.submitted(coach, submission_id=submission_id)
    assert story.invoices(coach.account_id) == [] and story.uow.published == []


# --- certificates ----------------------------------------------------------------------------------------


def test_a_member_pays_dnv_but_never_noloc_fees(story, service, clock):
    coach = story.coach("member")
    story.certificate(coach)
    story.submitted(coach)
    service.issue_register_fees()
    clock.day = date(clock.day.year + 1, 1, 2)
    service.issue_register_fees()
    assert story.kinds(coach.account_id) == [("recertification", None)]
    [invoice] = story.invoices(coach.account_id)
    assert invoice.issuer == "DNV" and invoice.recipient_number == coach.number


def test_an_affiliates_certificate_is_invoiced_the_certificate_year_running_on_arrival(story, clock):
    clock.day = date(2025, 1, 10)
    coach = story.coach("affiliate")
    certificate_id = story.certificate(coach, valid_from=date(2024, 9, 1))
    [invoice] = story.invoices(coach.account_id)
    assert (invoice.period_start, invoice.period_end) == (date(2024, 9, 1), date(2025, 8, 31))
    assert (invoice.net, invoice.period_year, invoice.issued_on) == (Decimal("212.50"), 2024, clock.day)
    assert invoice.number == "Noloc-2025-000001" and invoice.issuer == "Noloc"
    [issued] = story.published("billing.invoice.issued", coach.account_id)
    assert (issued.data["period_start"], issued.data["period_end"]) == ("2024-09-01", "2025-08-31")
    assert issued.data["gross"] == {"amount": "257.13", "currency": "EUR"} and issued.data["vat_rate"] == "21"
    # The same certificate again and an account update: nothing new.
    story.certificate(coach, certificate_id=certificate_id, valid_from=date(2024, 9, 1))
    story.account_event(coach, "identity.account.updated", changed=["full_name"])
    assert len(story.invoices(coach.account_id)) == 1


def test_a_certificate_year_paid_to_noloc_before_the_import_is_not_invoiced_again(story, clock):
    clock.day = date(2025, 1, 10)
    paid, paid_before = story.coach("affiliate"), story.coach("affiliate")
    story.certificate(paid, valid_from=date(2024, 9, 1), register_fee_paid_until=date(2024, 12, 31))
    story.certificate(paid_before, valid_from=date(2024, 9, 1), register_fee_paid_until=date(2024, 8, 31))
    assert story.periods(paid.account_id) == []
    assert story.periods(paid_before.account_id) == [(date(2024, 9, 1), date(2025, 8, 31))]
    certificate = story.uow.certificates.active(paid.account_id)[0]
    assert (certificate.register_fee_from, certificate.register_fee_paid_until) == \
        (date(2025, 9, 1), date(2024, 12, 31))


def test_a_renewed_certificate_continues_its_certificate_years(story, service, clock):
    clock.day = date(2028, 7, 1)
    coach = story.coach("affiliate")
    certificate_id = story.certificate(coach, valid_from=date(2024, 9, 1))
    assert story.periods(coach.account_id) == [(date(2027, 9, 1), date(2028, 8, 31))]
    story.certificate(coach, "renewed", certificate_id=certificate_id, valid_from=date(2028, 9, 1))
    service.issue_register_fees()
    assert len(story.periods(coach.account_id)) == 1
    clock.day = date(2028, 9, 1)
    service.issue_register_fees()
    assert story.periods(coach.account_id) == [(date(2027, 9, 1), date(2028, 8, 31)),
                                               (date(2028, 9, 1), date(2029, 8, 31))]


def test_a_reactivated_certificate_is_invoiced_from_the_certificate_year_running_then(story, clock):
    clock.day = date(2025, 1, 10)
    coach = story.coach("affiliate")
    certificate_id = story.certificate(coach, valid_from=date(2021, 3, 1), valid_until=date(2025, 3, 1))
    story.certificate(coach, "lapsed", certificate_id=certificate_id)
    clock.day = date(2025, 5, 1)
    story.certificate(coach, "reactivated", certificate_id=certificate_id, valid_from=date(2025, 3, 1))
    assert story.periods(coach.account_id) == [(date(2024, 3, 1), date(2025, 2, 28)),
                                               (date(2025, 3, 1), date(2026, 2, 28))]


def test_a_lapse_older_than_the_certificates_activation_changes_nothing(story):
    coach = story.coach("affiliate")
    at = story._tick + timedelta(hours=1)
    certificate_id = story.certificate(coach, at=at)
    story.certificate(coach, "lapsed", certificate_id=certificate_id, at=at - timedelta(minutes=5))
    assert story.uow.certificates.get(certificate_id).state == "active"
    story.certificate(coach, "lapsed", certificate_id=certificate_id, at=at + timedelta(minutes=5))
    assert story.uow.certificates.get(certificate_id).state == "lapsed"
    assert [i.kind for i in story.invoices(coach.account_id)] == [InvoiceKind.REGISTER_FEE]


# --- wiring ----------------------------------------------------------------------------------------------


def test_one_queue_takes_every_event_billing_consumes():
    [subscription] = subscriptions(BillingSettings.from_env("billing", env={}), db=None)
    assert subscription.purpose == "events"
    assert set(subscription.handlers) == {
        "identity.account.registered", "identity.account.updated", "portfolio.submitted",
        "portfolio.supplement.submitted", "portfolio.withdrawn", "certification.certificate.registered",
        "certification.certificate.renewed", "certification.certificate.reactivated",
        "certification.certificate.lapsed"}
