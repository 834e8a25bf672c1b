"""Billing's rules and entities: which fee an invoice charges, how it is numbered, what a credit note is and
what a payment notification does. No Flask, no SQL, no broker.

Amounts come from the assessment framework (``recert_common.rules.fee_amount``): net, VAT half-up to cents,
gross. The figures of an invoice are those of the year it is issued in, which is also the year of its number
(an invoice issued on 2 January 2027 for a portfolio submitted on 31 December 2026 is a 2027 invoice at 2027
prices: numbers and dates must run in the same order).
"""
from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from recert_common.rules import (
    FEE_AFFILIATE_NUMBER,
    FEE_REASSESSMENT,
    FEE_RECERTIFICATION,
    FEE_REGISTER,
    ISSUER_DNV,
    ISSUER_NOLOC,
    KIND_AFFILIATE,
    Localized,
    fee_amount,
)

PAYMENT_TERM = timedelta(days=30)
CURRENCY = "EUR"
# The framework names issuers in lower case; invoices, numbers and events use the catalogue's spelling.
ISSUERS = {ISSUER_DNV: "DNV", ISSUER_NOLOC: "Noloc"}
CREDIT_SERIES_SUFFIX = "-C"


class InvoiceKind(enum.StrEnum):
    RECERTIFICATION = FEE_RECERTIFICATION
    REASSESSMENT = FEE_REASSESSMENT
    REGISTER_FEE = FEE_REGISTER
    AFFILIATE_NUMBER = FEE_AFFILIATE_NUMBER


class InvoiceState(enum.StrEnum):
    OPEN = "open"
    PAID = "paid"
    CANCELLED = "cancelled"


# --- numbers ---------------------------------------------------------------------------------------------


def invoice_series(issuer: str) -> str:
    return issuer


def credit_note_series(issuer: str) -> str:
    """Credit notes have a gapless series of their own per issuer and year: ``DNV-C-2026-000001``."""
    return issuer + CREDIT_SERIES_SUFFIX


def format_number(series: str, year: int, seq: int) -> str:
    """``DNV-2026-000001``: series, year of issue, the sequence number within both."""
    if seq < 1:
        raise ValueError("sequence numbers start at 1")
    return f"{series}-{year}-{seq:06d}"


# --- invoices --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    description: Localized
    vat_rate: Decimal
    net: Decimal
    vat: Decimal
    gross: Decimal


@dataclass(frozen=True)
class Draft:
    """An invoice before its number: everything but what the number series gives it."""

    kind: InvoiceKind
    issuer: str
    account_id: UUID
    issued_on: date
    due_on: date
    lines: tuple[Line, ...]
    vat_rate: Decimal
    framework_version: str
    currency: str = CURRENCY
    submission_id: UUID | None = None
    case_id: UUID | None = None
    supplement_id: UUID | None = None
    period_year: int | None = None

    @property
    def year(self) -> int:
        return self.issued_on.year

    @property
    def net(self) -> Decimal:
        return sum((line.net for line in self.lines), Decimal("0.00"))

    @property
    def vat(self) -> Decimal:
        return sum((line.vat for line in self.lines), Decimal("0.00"))

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat


def draft_invoice(kind: InvoiceKind | str, *, account_id: UUID, issued_on: date,
                  submission_id: UUID | None = None, case_id: UUID | None = None,
                  supplement_id: UUID | None = None) -> Draft:
    """The invoice of fee ``kind`` issued on ``issued_on``: one line at that year's figures, due in 30 days.
    A register fee covers the year it is issued in."""
    kind = InvoiceKind(kind)
    fee = fee_amount(kind.value, issued_on.year)
    period_year = issued_on.year if kind == InvoiceKind.REGISTER_FEE else None
    description = fee.name
    if period_year is not None:
        description = Localized(nl=f"{fee.name.nl} {period_year}", en=f"{fee.name.en} {period_year}")
    line = Line(description=description, vat_rate=fee.vat_rate, net=fee.net, vat=fee.vat, gross=fee.gross)
    return Draft(kind=kind, issuer=ISSUERS[fee.issuer], account_id=account_id, issued_on=issued_on,
                 due_on=issued_on + PAYMENT_TERM, lines=(line,), vat_rate=fee.vat_rate,
                 framework_version=fee.framework_version, currency=fee.currency, submission_id=submission_id,
                 case_id=case_id, supplement_id=supplement_id, period_year=period_year)


@dataclass(frozen=True)
class CreditNote:
    id: UUID
    number: str
    invoice_id: UUID
    issuer: str
    year: int
    seq: int
    net: Decimal
    vat: Decimal
    gross: Decimal
    reason: str
    refund_due: bool
    issued_on: date
    issued_at: datetime


@dataclass(frozen=True)
class Invoice:
    id: UUID
    number: str
    issuer: str
    year: int
    seq: int
    account_id: UUID
    kind: InvoiceKind
    submission_id: UUID | None
    case_id: UUID | None
    supplement_id: UUID | None
    period_year: int | None
    recipient_name: str | None
    recipient_number: str | None
    currency: str
    vat_rate: Decimal
    net: Decimal
    vat: Decimal
    gross: Decimal
    framework_version: str
    issued_on: date
    due_on: date
    issued_at: datetime
    state: InvoiceState
    paid_at: datetime | None
    cancelled_at: datetime | None
    lines: tuple[Line, ...] = ()
    credit_note: CreditNote | None = None


def vat_percent(rate: Decimal) -> Decimal:
    """0.21 -> 21 (the events and the PDF speak of percent)."""
    percent = (rate * 100).normalize()
    return percent.quantize(Decimal(1)) if percent == percent.to_integral_value() else percent


def credit_note_for(invoice: Invoice, *, seq: int, issued_on: date, issued_at: datetime,
                    reason: str) -> CreditNote:
    """The credit note that cancels ``invoice``: its amounts negated; a refund is due when it was paid."""
    if invoice.state == InvoiceState.CANCELLED:
        raise ValueError(f"invoice {invoice.number} is cancelled already")
    series = credit_note_series(invoice.issuer)
    return CreditNote(id=uuid.uuid4(), number=format_number(series, issued_on.year, seq),
                      invoice_id=invoice.id, issuer=invoice.issuer, year=issued_on.year, seq=seq,
                      net=-invoice.net, vat=-invoice.vat, gross=-invoice.gross, reason=reason,
                      refund_due=invoice.state == InvoiceState.PAID, issued_on=issued_on, issued_at=issued_at)


# --- who owes which Noloc fee ----------------------------------------------------------------------------


def owes_affiliate_number_fee(membership_kind: str | None) -> bool:
    """External affiliates pay once for their affiliate number; Noloc members and staff never."""
    return membership_kind == KIND_AFFILIATE


def owes_register_fee(membership_kind: str | None, has_active_certificate: bool) -> bool:
    """External affiliates pay the yearly register fee while a certificate of theirs is active; members are
    in the register for free."""
    return membership_kind == KIND_AFFILIATE and has_active_certificate


# --- payments --------------------------------------------------------------------------------------------

PAYMENT_SUCCEEDED = "payment.succeeded"


class PaymentOutcome(enum.StrEnum):
    """What one provider notification did. Only PAID changes an invoice."""

    PAID = "paid"
    DUPLICATE = "duplicate"  # this provider event id was received before
    ALREADY_PAID = "already_paid"  # another notification paid the invoice before
    UNKNOWN_INVOICE = "unknown_invoice"
    AMOUNT_MISMATCH = "amount_mismatch"  # not the invoice's total (or not in euro): for a person to sort out
    INVOICE_CANCELLED = "invoice_cancelled"  # paid after a credit note: to be refunded by hand
    IGNORED_TYPE = "ignored_type"  # not a successful payment (failed, pending, ...)

    @property
    def settles_invoice(self) -> bool:
        """The invoice is paid by this notification or was before: nothing is left for a person to do."""
        return self in (PaymentOutcome.PAID, PaymentOutcome.DUPLICATE, PaymentOutcome.ALREADY_PAID)


@dataclass(frozen=True)
class PaymentNotification:
    provider_event_id: str
    type: str
    invoice_number: str | None
    amount: Decimal | None
    currency: str | None
    paid_at: datetime | None


def judge_payment(notification: PaymentNotification, invoice: Invoice | None) -> PaymentOutcome:
    """What a notification received for the first time does to ``invoice`` (None: no such number)."""
    if notification.type != PAYMENT_SUCCEEDED:
        return PaymentOutcome.IGNORED_TYPE
    if invoice is None:
        return PaymentOutcome.UNKNOWN_INVOICE
    if invoice.state == InvoiceState.PAID:
        return PaymentOutcome.ALREADY_PAID
    if invoice.state == InvoiceState.CANCELLED:
        return PaymentOutcome.INVOICE_CANCELLED
    if notification.currency != invoice.currency or notification.amount != invoice.gross:
        return PaymentOutcome.AMOUNT_MISMATCH
    return PaymentOutcome.PAID


__all__ = [
    "CURRENCY", "ISSUERS", "PAYMENT_SUCCEEDED", "PAYMENT_TERM", "CreditNote", "Draft", "Invoice",
    "InvoiceKind", "InvoiceState", "Line", "PaymentNotification", "PaymentOutcome", "credit_note_for",
    "credit_note_series", "draft_invoice", "format_number", "invoice_series", "judge_payment",
    "owes_affiliate_number_fee", "owes_register_fee", "vat_percent",
]
