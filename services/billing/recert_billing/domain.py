"""Billing's rules and entities: which fee an invoice charges, how it is numbered, what a credit note is and
what a payment notification does, who owes the register fee for which certificate years, who may read an
invoice, and the refusals (``DomainError``) the use cases raise. No Flask, no SQL, no broker.

Amounts come from the assessment framework (``recert_common.rules.fee_amount``): net, VAT half-up to cents,
gross. The figures of a DNV invoice are those of the year it is issued in, which is also the year of its
number (an invoice issued on 2 January 2027 for a portfolio submitted on 31 December 2026 is a 2027 invoice at
2027 prices: numbers and dates must run in the same order). The register fee is charged per certificate year
(see ``certificate_year``) at the figures of the calendar year that certificate year starts in; its number
is still of the year it is issued in (ADR 0013).

There is no affiliate-number fee: Noloc's secretariat issues affiliate numbers and charges for them; someone
who registers here has one already (ADR 0013). ``InvoiceKind.AFFILIATE_NUMBER`` remains only so that an
invoice issued before that decision can still be read.
"""
from __future__ import annotations

import enum
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from recert_common import i18n
from recert_common.domain_errors import NotFoundError
from recert_common.rules import (
    FEE_REASSESSMENT,
    FEE_RECERTIFICATION,
    FEE_REGISTER,
    ISSUER_DNV,
    ISSUER_NOLOC,
    KIND_AFFILIATE,
    FeeAmount,
    FrameworkNotFound,
    Localized,
    add_years,
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
    # Historic: issued before ADR 0013 and never again (``draft_invoice`` refuses it: no fee in the data).
    AFFILIATE_NUMBER = "affiliate_number"


class InvoiceState(enum.StrEnum):
    OPEN = "open"
    PAID = "paid"
    CANCELLED = "cancelled"


# --- refusals --------------------------------------------------------------------------------------------


class InvoiceNotFound(NotFoundError):
    """No such invoice, or one the reader may not see: the two look the same."""


class NoCreditNote(NotFoundError):
    """The invoice was not cancelled, so it has no credit note."""


# --- what billing keeps of other services' facts (read models) -------------------------------------------


@dataclass(frozen=True)
class Account:
    """An invoice recipient as identity last described it."""

    account_id: UUID
    full_name: str
    membership_kind: str | None  # "member", "affiliate", or None (staff)
    membership_number: str | None


@dataclass(frozen=True)
class Certificate:
    """A certificate as assessment last described it, with the register-fee years billing settled on."""

    certificate_id: UUID
    account_id: UUID
    certificate_number: str
    state: str  # "active" or "lapsed"
    valid_from: date | None
    valid_until: date | None
    register_fee_from: date | None = None  # the first day of the first certificate year billing invoices
    register_fee_paid_until: date | None = None  # as the import stated: paid to Noloc up to then


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
    period: CertificateYear | None = None  # the certificate year a register fee covers

    @property
    def period_year(self) -> int | None:
        """The calendar year the covered certificate year starts in (what events and e-mails name)."""
        return self.period.first.year if self.period else None

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


REGISTER_FEE_LINE = "billing.line.register_fee"
i18n.register_messages({
    REGISTER_FEE_LINE: {"nl": "{fee}, certificaatjaar {first} t/m {last}",
                        "en": "{fee}, certificate year {first} to {last}"},
})


def draft_invoice(kind: InvoiceKind | str, *, account_id: UUID, issued_on: date,
                  submission_id: UUID | None = None, case_id: UUID | None = None,
                  supplement_id: UUID | None = None, period: CertificateYear | None = None) -> Draft:
    """The invoice of fee ``kind`` issued on ``issued_on``: one line, due in 30 days. A register fee covers
    the certificate year ``period`` (required for it, refused for the others) at the figures of the year
    that certificate year starts in; the other fees at the figures of the year of issue."""
    kind = InvoiceKind(kind)
    if (kind == InvoiceKind.REGISTER_FEE) != (period is not None):
        raise ValueError("a register fee, and only a register fee, covers a certificate year")
    fee = fee_amount(kind.value, issued_on.year)
    description = fee.name
    if period is not None:
        fee = register_fee_amount(period, issued_on)
        # The line keeps its text in both languages as issued (stored with the invoice), written from the
        # catalogue.
        texts = {language: i18n.translate(REGISTER_FEE_LINE, language, fee=fee.name,
                                          first=i18n.Day(period.first), last=i18n.Day(period.last))
                 for language in ("nl", "en")}
        description = Localized(**texts)
    line = Line(description=description, vat_rate=fee.vat_rate, net=fee.net, vat=fee.vat, gross=fee.gross)
    return Draft(kind=kind, issuer=ISSUERS[fee.issuer], account_id=account_id, issued_on=issued_on,
                 due_on=issued_on + PAYMENT_TERM, lines=(line,), vat_rate=fee.vat_rate,
                 framework_version=fee.framework_version, currency=fee.currency, submission_id=submission_id,
                 case_id=case_id, supplement_id=supplement_id, period=period)


def register_fee_amount(period: CertificateYear, issued_on: date) -> FeeAmount:
    """The register fee of the certificate year ``period``: the figures of the year it starts in (2023:
    202.50, 2024: 212.50 net; a later year: the latest framework file's figures). A certificate year that
    starts before the earliest framework file is charged at the figures of the year of issue."""
    try:
        return fee_amount(FEE_REGISTER, period.first.year)
    except FrameworkNotFound:
        return fee_amount(FEE_REGISTER, issued_on.year)


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
    period_start: date | None
    period_end: date | None
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


def may_read(invoice: Invoice, reader_id: UUID | None, staff_issuers: Collection[str]) -> bool:
    """The recipient, and the staff of the invoice's issuer (``staff_issuers``: the issuers whose staff the
    reader is)."""
    return invoice.account_id == reader_id or invoice.issuer in staff_issuers


# The reasons a credit note gives, as message codes. Credit notes and their events carry the Dutch text,
# which the use case writes when it cancels: the texts are registered here, beside the rule that picks them.
# The events carry the reason as a code too (EVENT_REASON_CODES), which notifications words for its reader.
WITHDRAWN = "billing.credit_note.withdrawn"
WITHDRAWN_PAID = "billing.credit_note.withdrawn_paid"
i18n.register_messages({
    WITHDRAWN: {"nl": "Portfolio ingetrokken door de jobcoach", "en": "Portfolio withdrawn by the jobcoach"},
    WITHDRAWN_PAID: {"nl": "Portfolio ingetrokken door de jobcoach; het betaalde bedrag wordt terugbetaald",
                     "en": "Portfolio withdrawn by the jobcoach; the amount paid will be refunded"},
})


# The same reasons as the codes billing.invoice.cancelled carries (``reason_code``), for readers to word in
# their own language; whether a refund is due travels beside it (``refund_due``), not inside the reason.
EVENT_REASON_CODES = {WITHDRAWN: "portfolio_withdrawn", WITHDRAWN_PAID: "portfolio_withdrawn"}


def withdrawal_credit_reason(invoice: Invoice | None) -> str | None:
    """What a withdrawn portfolio does to its recertification invoice: the reason code of the credit note
    that cancels it (one saying a refund is due when it was paid), or None when there is nothing to cancel
    (not invoiced yet, or cancelled already: a redelivered withdrawal)."""
    if invoice is None or invoice.state == InvoiceState.CANCELLED:
        return None
    return WITHDRAWN_PAID if invoice.state == InvoiceState.PAID else WITHDRAWN


# --- dates in invoice lines -----------------------------------------------------------------------------

def dutch_date(day: date) -> str:
    """``date(2024, 9, 1)`` -> "1 september 2024": the platform's one date format."""
    return i18n.format_date(day, "nl")


def english_date(day: date) -> str:
    return i18n.format_date(day, "en")


# --- the register fee: who owes it, for which certificate years ------------------------------------------


def owes_register_fee(membership_kind: str | None, has_active_certificate: bool) -> bool:
    """External affiliates pay the register fee while a certificate of theirs is active; members are in the
    register for free, staff are not in it."""
    return membership_kind == KIND_AFFILIATE and has_active_certificate


def becomes_affiliate(before: Account | None, membership_kind: str | None) -> bool:
    """A known member (or staff account) that is an affiliate from now on: it owes the register fee from the
    certificate year running now, not for the years before. An account first seen as an affiliate is not
    "becoming" one: its certificates' fees were settled when they arrived."""
    return before is not None and before.membership_kind != KIND_AFFILIATE \
        and membership_kind == KIND_AFFILIATE


@dataclass(frozen=True)
class CertificateYear:
    """One year of a certificate, counted from its start date: ``first`` to ``last``, both included."""

    first: date
    last: date

    @property
    def next_first(self) -> date:
        return self.last + timedelta(days=1)


def certificate_year(valid_from: date, day: date) -> CertificateYear:
    """The certificate year that holds ``day``, counting whole years from ``valid_from`` (forwards or back:
    a renewed certificate runs from the old expiry date, so its years continue the old ones). 29 February
    counts on as 28 February in other years, always from ``valid_from`` itself."""
    n = day.year - valid_from.year
    if add_years(valid_from, n) > day:
        n -= 1
    return CertificateYear(add_years(valid_from, n), add_years(valid_from, n + 1) - timedelta(days=1))


def first_register_fee_year(valid_from: date, *, known_on: date, paid_until: date | None = None) -> date:
    """The first day of the first certificate year billing invoices, for a certificate billing learns of on
    ``known_on``: the certificate year running then (the certificate's first year when it has not started
    yet; earlier years are Noloc's business from before the platform), unless ``paid_until`` (the date up to
    which the holder paid Noloc's register fee already) reaches into it: then the first certificate year
    that starts after ``paid_until``. A year paid in part is not invoiced (there is no partial fee)."""
    first = certificate_year(valid_from, max(known_on, valid_from)).first
    if paid_until is not None:
        first = max(first, certificate_year(valid_from, paid_until).next_first)
    return first


def register_fee_years_due(valid_from: date, valid_until: date, *, fee_from: date, today: date
                           ) -> list[CertificateYear]:
    """The certificate years of a certificate valid from ``valid_from`` up to ``valid_until`` whose register
    fee is due by ``today``: each year that starts on or after ``fee_from``, on or before ``today`` and before
    the expiry date (the year after expiry belongs to the renewed certificate, invoiced once renewed)."""
    years = []
    year = certificate_year(valid_from, max(fee_from, valid_from))
    if year.first < fee_from:
        year = certificate_year(valid_from, year.next_first)
    while year.first <= today and year.first < valid_until:
        years.append(year)
        year = certificate_year(valid_from, year.next_first)
    return years


def register_fees_due(account: Account | None, certificates: Sequence[Certificate], *, today: date
                      ) -> list[Draft]:
    """The register-fee invoices ``account`` owes by ``today`` for its active ``certificates`` (those whose
    register-fee years are settled), one per certificate year that has started (``register_fee_years_due``),
    whether or not invoiced before: the caller issues each once. Nothing for members, staff or an account
    billing does not know yet (its own event brings it here again). No fee on registration: the platform
    does not issue affiliate numbers (ADR 0013)."""
    if account is None or not owes_register_fee(account.membership_kind, bool(certificates)):
        return []
    return [draft_invoice(InvoiceKind.REGISTER_FEE, account_id=account.account_id, issued_on=today,
                          period=year)
            for certificate in certificates
            for year in register_fee_years_due(certificate.valid_from, certificate.valid_until,
                                               fee_from=certificate.register_fee_from, today=today)]


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
    IMPLAUSIBLE_PAID_AT = "implausible_paid_at"  # paid before the invoice was issued, or in the future

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


def judge_payment(notification: PaymentNotification, invoice: Invoice | None, *,
                  now: datetime | None = None, skew: timedelta = timedelta(0)) -> PaymentOutcome:
    """What a notification received for the first time does to ``invoice`` (None: no such number).

    A ``paid_at`` before the invoice was issued, or after ``now``, is not believed (each give or take
    ``skew``: clocks differ, and providers round to the second): such a payment is kept for a person instead
    of paying the invoice."""
    if notification.type != PAYMENT_SUCCEEDED:
        return PaymentOutcome.IGNORED_TYPE
    if invoice is None:
        return PaymentOutcome.UNKNOWN_INVOICE
    if invoice.state == InvoiceState.PAID:
        return PaymentOutcome.ALREADY_PAID
    if invoice.state == InvoiceState.CANCELLED:
        return PaymentOutcome.INVOICE_CANCELLED
    paid_at = notification.paid_at
    if paid_at is not None and (paid_at < invoice.issued_at - skew
                                or (now is not None and paid_at > now + skew)):
        return PaymentOutcome.IMPLAUSIBLE_PAID_AT
    if notification.currency != invoice.currency or notification.amount != invoice.gross:
        return PaymentOutcome.AMOUNT_MISMATCH
    return PaymentOutcome.PAID


__all__ = [
    "CURRENCY", "EVENT_REASON_CODES", "ISSUERS", "PAYMENT_SUCCEEDED", "PAYMENT_TERM", "WITHDRAWN",
    "WITHDRAWN_PAID", "Account",
    "Certificate", "CertificateYear", "CreditNote", "Draft", "Invoice", "InvoiceKind", "InvoiceNotFound",
    "InvoiceState", "Line", "NoCreditNote", "PaymentNotification", "PaymentOutcome", "becomes_affiliate",
    "certificate_year", "credit_note_for", "credit_note_series", "draft_invoice", "dutch_date",
    "english_date", "first_register_fee_year", "format_number", "invoice_series", "judge_payment", "may_read",
    "owes_register_fee", "register_fee_amount", "register_fee_years_due",
    "register_fees_due", "vat_percent", "withdrawal_credit_reason",
]
