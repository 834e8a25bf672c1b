"""Billing's use cases. Each runs in one transaction that writes the state change and its events together.

Invoices are issued by the event handlers (inside the consumer's transaction) and by the worker's
register-fee schedule (each certificate year once, when it starts), through ``issue_invoice``; what people
do over HTTP is read invoices and download them. The payment provider's webhook marks invoices paid
(``BillingService.receive_payment``).

Gapless numbers: ``issue_invoice`` takes the next number of the issuer's series for the year from a counter
row that stays locked until the transaction ends, inside a savepoint together with the invoice row. Numbers
are handed out in commit order; a transaction that rolls back (or a savepoint that finds the invoice issued
by a concurrent redelivery) gives its number back.

"Today" (the issue date and so the year of number and fee) comes from an injectable function so tests can
stand in any year, and from the real calendar in the configured zone otherwise.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg

from recert_billing import pdf, store
from recert_billing.domain import (
    CreditNote,
    Draft,
    Invoice,
    InvoiceKind,
    PaymentNotification,
    PaymentOutcome,
    credit_note_for,
    credit_note_series,
    draft_invoice,
    first_register_fee_year,
    format_number,
    invoice_series,
    judge_payment,
    owes_register_fee,
    register_fee_years_due,
    vat_percent,
)
from recert_billing.settings import BillingSettings
from recert_common import bus
from recert_common.auth import Principal, Role
from recert_common.clock import utcnow
from recert_common.db import Database

PRODUCER = "billing"
# Which issuer's invoices each staff role sees (besides anyone's own).
STAFF_ISSUERS = {Role.DNV_OFFICER: "DNV", Role.NOLOC_ADMIN: "Noloc"}
_log = logging.getLogger(__name__)


def _money(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def _about(invoice: Invoice) -> dict[str, Any]:
    """The fields every billing.invoice.* event starts with."""
    return {"invoice_id": invoice.id, "number": invoice.number, "issuer": invoice.issuer,
            "account_id": invoice.account_id, "kind": str(invoice.kind),
            "submission_id": invoice.submission_id, "case_id": invoice.case_id}


# --- issuing and cancelling, inside the caller's transaction ---------------------------------------------


def issue_invoice(conn: psycopg.Connection, draft: Draft, *, now: datetime) -> Invoice | None:
    """Number and store ``draft`` with its ``billing.invoice.issued`` event. None, and no number used, when
    what it charges for has its invoice already (a redelivered event, a second worker's schedule)."""
    if store.invoice_exists_for(conn, draft):
        return None
    recipient = store.account(conn, draft.account_id)
    invoice_id = uuid.uuid4()
    issued = False
    # A savepoint (the caller's transaction is under way): losing a race on the trigger's unique index
    # rolls the counter back with it.
    with conn.transaction() as savepoint:
        seq = store.next_number(conn, invoice_series(draft.issuer), draft.year)
        number = format_number(invoice_series(draft.issuer), draft.year, seq)
        if not store.insert_invoice(conn, invoice_id=invoice_id, number=number, seq=seq, draft=draft,
                                    recipient=recipient, issued_at=now):
            raise psycopg.Rollback(savepoint)
        issued = True
    if not issued:
        return None
    invoice = store.invoice(conn, invoice_id)
    bus.record(conn, "billing.invoice.issued", {
        **_about(invoice),
        "net": _money(invoice.net, invoice.currency), "vat": _money(invoice.vat, invoice.currency),
        "gross": _money(invoice.gross, invoice.currency), "vat_rate": vat_percent(invoice.vat_rate),
        "issued_on": invoice.issued_on, "due_on": invoice.due_on, "period_year": invoice.period_year,
        "period_start": invoice.period_start, "period_end": invoice.period_end,
    }, producer=PRODUCER, subject=invoice.account_id)
    return invoice


def cancel_invoice(conn: psycopg.Connection, invoice: Invoice, *, reason: str, today: date,
                   now: datetime) -> CreditNote:
    """Cancel ``invoice`` (locked by the caller) with a credit note from the issuer's credit series, and
    publish ``billing.invoice.cancelled``. A paid invoice is cancelled too: its credit note says a refund
    is due."""
    series = credit_note_series(invoice.issuer)
    note = credit_note_for(invoice, seq=store.next_number(conn, series, today.year), issued_on=today,
                           issued_at=now, reason=reason)
    store.insert_credit_note(conn, note)
    store.mark_cancelled(conn, invoice.id, now)
    bus.record(conn, "billing.invoice.cancelled", {
        **_about(invoice), "credit_note_number": note.number, "reason": reason,
    }, producer=PRODUCER, subject=invoice.account_id)
    return note


def start_register_fee(conn: psycopg.Connection, certificate_id: UUID, *, today: date,
                       paid_until: date | None = None) -> None:
    """A certificate became active (registered, renewed, reactivated) or its holder an affiliate, as billing
    learns on ``today``: from which certificate year its register fee is invoiced
    (``domain.first_register_fee_year``; never moved back)."""
    row = store.certificate(conn, certificate_id, for_update=True)
    if row is None or row["valid_from"] is None:
        return
    first = first_register_fee_year(row["valid_from"], known_on=today, paid_until=paid_until)
    store.set_register_fee_from(conn, certificate_id, first, paid_until)


def issue_noloc_fees(conn: psycopg.Connection, account_id: UUID, *, today: date, now: datetime
                     ) -> list[Invoice]:
    """The register fees the account owes by ``today`` and has not been invoiced yet: one invoice per
    certificate year of an active certificate that has started (``domain.register_fee_years_due``).
    Nothing for members, staff or unknown accounts (an account's own event brings it here again once it
    arrives). No fee on registration: the platform does not issue affiliate numbers (ADR 0013)."""
    account = store.account(conn, account_id)
    if account is None or not owes_register_fee(account["membership_kind"],
                                                 store.has_active_certificate(conn, account_id)):
        return []
    issued = []
    for certificate in store.active_certificates(conn, account_id):
        for year in register_fee_years_due(certificate["valid_from"], certificate["valid_until"],
                                           fee_from=certificate["register_fee_from"], today=today):
            draft = draft_invoice(InvoiceKind.REGISTER_FEE, account_id=account_id, issued_on=today,
                                  period=year)
            if (invoice := issue_invoice(conn, draft, now=now)) is not None:
                issued.append(invoice)
    return issued


# --- the service -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentResult:
    outcome: PaymentOutcome
    invoice_number: str | None


class BillingService:
    def __init__(self, db: Database, settings: BillingSettings, *, today: Callable[[], date] | None = None,
                 now: Callable[[], datetime] = utcnow):
        self.db = db
        self.settings = settings
        self.today = today or settings.calendar_today()
        self.now = now

    # --- reading -----------------------------------------------------------------------------------------

    @staticmethod
    def staff_issuers(principal: Principal) -> tuple[str, ...]:
        return tuple(issuer for role, issuer in STAFF_ISSUERS.items() if principal.has_any_role(role))

    def may_read(self, principal: Principal, invoice: Invoice) -> bool:
        """The recipient, and the staff of the invoice's issuer."""
        return invoice.account_id == principal.account_id or invoice.issuer in self.staff_issuers(principal)

    def invoice(self, invoice_id: UUID) -> Invoice | None:
        """Any invoice by id; the caller checks who may see it."""
        with self.db.transaction() as conn:
            return store.invoice(conn, invoice_id)

    def list_invoices(self, principal: Principal, *, state: str | None = None, kind: str | None = None,
                      account_id: UUID | None = None, page: int = 1, page_size: int = 20
                      ) -> tuple[list[Invoice], int]:
        """A jobcoach's own invoices; DNV officers DNV's and Noloc admins Noloc's (optionally of one
        account). Newest first."""
        with self.db.transaction() as conn:
            return store.list_invoices(conn, owner_id=principal.account_id,
                                       issuers=self.staff_issuers(principal), account_id=account_id,
                                       state=state, kind=kind, page=page, page_size=page_size)

    def invoice_pdf(self, invoice: Invoice) -> bytes:
        return pdf.render_invoice(invoice, self.settings.issuer_details(invoice.issuer))

    def credit_note_pdf(self, invoice: Invoice) -> bytes:
        if invoice.credit_note is None:
            raise ValueError(f"invoice {invoice.number} has no credit note")
        details = self.settings.issuer_details(invoice.issuer)
        return pdf.render_credit_note(invoice, invoice.credit_note, details)

    # --- payments ----------------------------------------------------------------------------------------

    def receive_payment(self, notification: PaymentNotification, body: Mapping[str, Any]) -> PaymentResult:
        """Apply one signed notification of the payment provider, once per provider event id. A successful
        payment of an open invoice's exact total marks it paid and publishes ``billing.invoice.paid``, in one
        transaction; anything else is kept with its outcome and changes no invoice."""
        now = self.now()
        with self.db.transaction() as conn:
            if not store.insert_notification(conn, notification, body, now):
                return PaymentResult(PaymentOutcome.DUPLICATE, notification.invoice_number)
            invoice = None
            if notification.invoice_number:
                # Locked: two different notifications paying one invoice at once pay it once.
                invoice = store.invoice_by_number(conn, notification.invoice_number, for_update=True)
            outcome = judge_payment(notification, invoice, now=now,
                                    skew=timedelta(seconds=self.settings.paid_at_skew_seconds))
            store.set_notification_outcome(conn, notification.provider_event_id, outcome,
                                           invoice.id if invoice else None)
            if outcome == PaymentOutcome.PAID:
                paid_at = notification.paid_at or now
                store.mark_paid(conn, invoice.id, paid_at)
                bus.record(conn, "billing.invoice.paid", {
                    **_about(invoice), "amount": _money(invoice.gross, invoice.currency),
                    "paid_on": paid_at.astimezone(self.settings.zone).date(),
                }, producer=PRODUCER, subject=invoice.account_id)
        if not outcome.settles_invoice:
            _log.warning("payment notification not applied", extra={
                "provider_event_id": notification.provider_event_id, "outcome": str(outcome),
                "invoice_number": notification.invoice_number})
        return PaymentResult(outcome, notification.invoice_number)

    # --- the yearly register fee -------------------------------------------------------------------------

    def issue_register_fees(self, today: date | None = None) -> int:
        """Invoice each affiliate the register fee of every certificate year of an active certificate that
        has started by today and has no invoice yet (the worker's schedule; a new certificate year is
        invoiced on its first day, or at the first run after it). One transaction per account; safe in two
        workers at once (one invoice per account and certificate year). Returns how many were issued."""
        day = today or self.today()
        with self.db.transaction() as conn:
            candidates = store.affiliates_with_register_fee_due(conn, day)
        issued = 0
        for account_id in candidates:
            with self.db.transaction() as conn:
                issued += len(issue_noloc_fees(conn, account_id, today=day, now=self.now()))
        if issued:
            _log.info("register fees invoiced", extra={"day": day.isoformat(), "invoices": issued})
        return issued


def build_service(settings: BillingSettings, db: Database | None = None, *,
                  today: Callable[[], date] | None = None, now: Callable[[], datetime] = utcnow
                  ) -> BillingService:
    db = db or Database.from_settings(settings, "billing-web")
    return BillingService(db, settings, today=today, now=now)


__all__ = ["PRODUCER", "STAFF_ISSUERS", "BillingService", "PaymentResult", "build_service",
           "cancel_invoice", "issue_invoice", "issue_noloc_fees", "start_register_fee", "utcnow"]
