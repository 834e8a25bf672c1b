"""Billing's use cases. Each runs in one unit of work: the state change and its events commit together.

Invoices are issued by the event handlers (in the unit of work that joins the consumer's transaction) and by
the worker's register-fee schedule (each certificate year once, when it starts), through ``issue_invoice``;
what people do over HTTP is read invoices and download them. The payment provider's webhook marks invoices
paid (``BillingService.receive_payment``).

``issue_invoice``, ``cancel_invoice``, ``start_register_fee`` and ``issue_noloc_fees`` work inside a unit of
work their caller opened, so a handler's effects and the inbox row commit as one. Gapless numbers are the
invoice repository's business (``InvoiceRepository.issue``): a number a rolled-back transaction took is given
back.

"Today" (the issue date and so the year of number and fee) comes from an injectable function so tests can
stand in any year, and from the real calendar in the configured zone (or its fixed day) otherwise.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

from recert_billing import pdf
from recert_billing.domain import (
    EVENT_REASON_CODES,
    CreditNote,
    Draft,
    Invoice,
    InvoiceNotFound,
    NoCreditNote,
    PaymentNotification,
    PaymentOutcome,
    credit_note_for,
    credit_note_series,
    first_register_fee_year,
    judge_payment,
    may_read,
    register_fees_due,
    vat_percent,
)
from recert_billing.settings import BillingSettings
from recert_billing.store import SqlBillingUnitOfWork
from recert_common import i18n
from recert_common.auth import Principal, Role
from recert_common.clock import local_day, utcnow
from recert_common.db import Database

# Which issuer's invoices each staff role sees (besides anyone's own).
STAFF_ISSUERS = {Role.DNV_OFFICER: "DNV", Role.NOLOC_ADMIN: "Noloc"}
_log = logging.getLogger(__name__)


class BillingUnitOfWork(Protocol):
    """What billing's use cases and handlers use: ``SqlBillingUnitOfWork`` and, in the fast tests,
    ``FakeBillingUnitOfWork``."""

    accounts: Any
    certificates: Any
    withdrawals: Any
    numbers: Any
    invoices: Any
    payments: Any

    def __enter__(self) -> BillingUnitOfWork: ...

    def __exit__(self, exc_type, exc, tb) -> None: ...

    def publish(self, event_type: str, data: Mapping[str, Any], *, subject: Any = None) -> None: ...


def _money(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def _about(invoice: Invoice) -> dict[str, Any]:
    """The fields every billing.invoice.* event starts with."""
    return {"invoice_id": invoice.id, "number": invoice.number, "issuer": invoice.issuer,
            "account_id": invoice.account_id, "kind": str(invoice.kind),
            "submission_id": invoice.submission_id, "case_id": invoice.case_id}


# --- issuing and cancelling, inside the caller's unit of work --------------------------------------------


def issue_invoice(uow: BillingUnitOfWork, draft: Draft, *, now: datetime) -> Invoice | None:
    """Number and store ``draft`` with its ``billing.invoice.issued`` event. None, and no number used, when
    what it charges for has its invoice already (a redelivered event, a second worker's schedule)."""
    if uow.invoices.exists_for(draft):
        return None
    invoice = uow.invoices.issue(draft, recipient=uow.accounts.get(draft.account_id), issued_at=now)
    if invoice is None:
        return None
    uow.publish("billing.invoice.issued", {
        **_about(invoice),
        "net": _money(invoice.net, invoice.currency), "vat": _money(invoice.vat, invoice.currency),
        "gross": _money(invoice.gross, invoice.currency), "vat_rate": vat_percent(invoice.vat_rate),
        "issued_on": invoice.issued_on, "due_on": invoice.due_on, "period_year": invoice.period_year,
        "period_start": invoice.period_start, "period_end": invoice.period_end,
    }, subject=invoice.account_id)
    return invoice


def cancel_invoice(uow: BillingUnitOfWork, invoice: Invoice, *, reason_code: str, today: date,
                   now: datetime) -> CreditNote:
    """Cancel ``invoice`` (locked by the caller) with a credit note from the issuer's credit series, giving
    the reason of ``reason_code`` in Dutch (the language of the credit note), and publish
    ``billing.invoice.cancelled``. A paid invoice is cancelled too: its credit note says a refund is due.

    The event carries the Dutch text in ``reason`` (as before, for DNV's and Noloc's systems) and, for
    readers in other languages, the reason as a code (``reason_code``) and whether a refund is due
    (``refund_due``): notifications words both in the jobcoach's language."""
    reason = i18n.translate(reason_code)
    note = credit_note_for(invoice, seq=uow.numbers.next(credit_note_series(invoice.issuer), today.year),
                           issued_on=today, issued_at=now, reason=reason)
    uow.invoices.add_credit_note(note)
    uow.invoices.mark_cancelled(invoice.id, now)
    uow.publish("billing.invoice.cancelled", {
        **_about(invoice), "credit_note_number": note.number, "reason": reason,
        "reason_code": EVENT_REASON_CODES[reason_code], "refund_due": note.refund_due,
    }, subject=invoice.account_id)
    return note


def start_register_fee(uow: BillingUnitOfWork, certificate_id: UUID, *, known_on: date,
                       paid_until: date | None = None) -> None:
    """A certificate became active (registered, renewed, reactivated) or its holder an affiliate on
    ``known_on`` (the day that happened, not the day billing handles it: ``event_day``): from which
    certificate year its register fee is invoiced (``domain.first_register_fee_year``; never moved back)."""
    certificate = uow.certificates.get(certificate_id, for_update=True)
    if certificate is None or certificate.valid_from is None:
        return
    first = first_register_fee_year(certificate.valid_from, known_on=known_on, paid_until=paid_until)
    uow.certificates.set_register_fee_from(certificate_id, first, paid_until)


def event_day(occurred_at: datetime, zone: tzinfo, today: date) -> date:
    """The calendar day in ``zone`` an event happened on, as far as billing's calendar goes: never after
    ``today``. A late event (retried, or a dead letter replayed days later) counts from the day it happened;
    a day fixed for a demonstration (``RECERT_BILLING_TODAY``) that lies before the real clock's stays
    today."""
    return min(local_day(occurred_at, zone), today)


def issue_noloc_fees(uow: BillingUnitOfWork, account_id: UUID, *, today: date, now: datetime
                     ) -> list[Invoice]:
    """The register fees the account owes by ``today`` (``domain.register_fees_due``) that have no invoice
    yet, each issued."""
    account = uow.accounts.get(account_id)
    certificates = uow.certificates.active(account_id) if account is not None else []
    issued = []
    for draft in register_fees_due(account, certificates, today=today):
        if (invoice := issue_invoice(uow, draft, now=now)) is not None:
            issued.append(invoice)
    return issued


# --- the service -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentResult:
    outcome: PaymentOutcome
    invoice_number: str | None


class BillingService:
    """``uow`` opens a fresh unit of work per use case; ``db`` is the database the app checks for readiness
    and revoked sessions (none in the fast tests)."""

    def __init__(self, uow: Callable[[], BillingUnitOfWork], settings: BillingSettings, *,
                 db: Database | None = None, today: Callable[[], date] | None = None,
                 now: Callable[[], datetime] = utcnow):
        self.uow = uow
        self.db = db
        self.settings = settings
        self.today = today or settings.calendar_today()
        self.now = now

    # --- reading -----------------------------------------------------------------------------------------

    @staticmethod
    def staff_issuers(principal: Principal) -> tuple[str, ...]:
        return tuple(issuer for role, issuer in STAFF_ISSUERS.items() if principal.has_any_role(role))

    def visible_invoice(self, principal: Principal, invoice_id: UUID) -> Invoice:
        """The invoice, to its recipient and the staff of its issuer; ``InvoiceNotFound`` for anyone else as
        for an invoice that does not exist."""
        with self.uow() as uow:
            invoice = uow.invoices.get(invoice_id)
        if invoice is None or not may_read(invoice, principal.account_id, self.staff_issuers(principal)):
            raise InvoiceNotFound(invoice_id=invoice_id)
        return invoice

    def list_invoices(self, principal: Principal, *, state: str | None = None, kind: str | None = None,
                      account_id: UUID | None = None, page: int = 1, page_size: int = 20
                      ) -> tuple[list[Invoice], int]:
        """A jobcoach's own invoices; DNV officers DNV's and Noloc admins Noloc's (optionally of one
        account). Newest first."""
        with self.uow() as uow:
            return uow.invoices.list(owner_id=principal.account_id, issuers=self.staff_issuers(principal),
                                     account_id=account_id, state=state, kind=kind, page=page,
                                     page_size=page_size)

    def invoice_pdf(self, invoice: Invoice) -> bytes:
        return pdf.render_invoice(invoice, self.settings.issuer_details(invoice.issuer),
                                  zone=self.settings.zone)

    def credit_note_pdf(self, invoice: Invoice) -> bytes:
        """``NoCreditNote`` when the invoice was not cancelled."""
        if invoice.credit_note is None:
            raise NoCreditNote(invoice_id=invoice.id)
        details = self.settings.issuer_details(invoice.issuer)
        return pdf.render_credit_note(invoice, invoice.credit_note, details)

    # --- payments ----------------------------------------------------------------------------------------

    def receive_payment(self, notification: PaymentNotification, body: Mapping[str, Any]) -> PaymentResult:
        """Apply one signed notification of the payment provider, once per provider event id. A successful
        payment of an open invoice's exact total marks it paid and publishes ``billing.invoice.paid``, in one
        transaction; anything else is kept with its outcome and changes no invoice."""
        now = self.now()
        with self.uow() as uow:
            if not uow.payments.add(notification, body, now):
                return PaymentResult(PaymentOutcome.DUPLICATE, notification.invoice_number)
            invoice = None
            if notification.invoice_number:
                # Locked: two different notifications paying one invoice at once pay it once.
                invoice = uow.invoices.by_number(notification.invoice_number, for_update=True)
            outcome = judge_payment(notification, invoice, now=now,
                                    skew=timedelta(seconds=self.settings.paid_at_skew_seconds))
            uow.payments.set_outcome(notification.provider_event_id, outcome, invoice.id if invoice else None)
            if outcome == PaymentOutcome.PAID:
                paid_at = notification.paid_at or now
                uow.invoices.mark_paid(invoice.id, paid_at)
                uow.publish("billing.invoice.paid", {
                    **_about(invoice), "amount": _money(invoice.gross, invoice.currency),
                    "paid_on": local_day(paid_at, self.settings.zone),
                }, subject=invoice.account_id)
        if not outcome.settles_invoice:
            _log.warning("payment notification not applied", extra={
                "provider_event_id": notification.provider_event_id, "outcome": str(outcome),
                "invoice_number": notification.invoice_number})
        return PaymentResult(outcome, notification.invoice_number)

    # --- the yearly register fee -------------------------------------------------------------------------

    def issue_register_fees(self, today: date | None = None) -> int:
        """Invoice each affiliate the register fee of every certificate year of an active certificate that
        has started by today and has no invoice yet (the worker's schedule; a new certificate year is
        invoiced on its first day, or at the first run after it). One unit of work per account; safe in two
        workers at once (one invoice per account and certificate year). Returns how many were issued."""
        day = today or self.today()
        with self.uow() as uow:
            candidates = uow.certificates.accounts_with_register_fee_due(day)
        issued = 0
        for account_id in candidates:
            with self.uow() as uow:
                issued += len(issue_noloc_fees(uow, account_id, today=day, now=self.now()))
        if issued:
            _log.info("register fees invoiced", extra={"day": day.isoformat(), "invoices": issued})
        return issued


def build_service(settings: BillingSettings, db: Database | None = None, *,
                  today: Callable[[], date] | None = None, now: Callable[[], datetime] = utcnow
                  ) -> BillingService:
    """The service on billing's database (``today``/``now``: the clocks the integration tests set)."""
    db = db or Database.from_settings(settings, "billing-web")
    return BillingService(lambda: SqlBillingUnitOfWork(db), settings, db=db, today=today, now=now)


__all__ = ["STAFF_ISSUERS", "BillingService", "BillingUnitOfWork", "PaymentResult", "build_service",
           "cancel_invoice", "event_day", "issue_invoice", "issue_noloc_fees",
           "start_register_fee"]
