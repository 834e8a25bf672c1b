"""Billing's unit of work in memory: the repositories of ``recert_billing.store`` with the same methods and
the same promises (guarded read-model upserts, one invoice per trigger, gapless numbers per series and
year), so that use cases and handlers are tested without a database."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4

from recert_billing.domain import (
    Account,
    Certificate,
    CreditNote,
    Draft,
    Invoice,
    InvoiceKind,
    InvoiceState,
    PaymentNotification,
    PaymentOutcome,
    format_number,
    invoice_series,
)
from recert_billing.store import SqlBillingUnitOfWork
from recert_common.events import Event, load_event, new_event
from recert_common.rules import KIND_AFFILIATE, add_years
from recert_common.uow import FakeUnitOfWork, fake_handled


def _greatest(*values):
    """PostgreSQL's ``greatest``: NULLs are ignored."""
    present = [value for value in values if value is not None]
    return max(present) if present else None


class FakeAccounts:
    def __init__(self) -> None:
        self.rows: dict[UUID, Account] = {}
        self.occurred_at: dict[UUID, datetime] = {}

    def upsert(self, data: Mapping[str, Any], occurred_at: datetime) -> bool:
        account_id = data["account_id"]
        known = self.occurred_at.get(account_id)
        if known is not None and known > occurred_at:
            return False
        self.rows[account_id] = Account(account_id=account_id, full_name=data.get("full_name"),
                                        membership_kind=data.get("membership_kind"),
                                        membership_number=data.get("membership_number"))
        self.occurred_at[account_id] = occurred_at
        return True

    def get(self, account_id: UUID) -> Account | None:
        return self.rows.get(account_id)


class FakeCertificates:
    def __init__(self, accounts: FakeAccounts, invoices: FakeInvoices) -> None:
        self.rows: dict[UUID, Certificate] = {}
        self.state_as_of: dict[UUID, datetime] = {}
        self._accounts = accounts
        self._invoices = invoices

    def upsert(self, *, certificate_id: UUID, account_id: UUID, certificate_number: str, state: str,
               as_of: datetime, valid_from: date | None = None, valid_until: date | None = None) -> None:
        known = self.rows.get(certificate_id)
        if known is None:
            self.rows[certificate_id] = Certificate(certificate_id, account_id, certificate_number, state,
                                                    valid_from, valid_until)
        elif self.state_as_of[certificate_id] <= as_of:
            self.rows[certificate_id] = dataclasses.replace(
                known, account_id=account_id, certificate_number=certificate_number, state=state,
                valid_from=valid_from if valid_from is not None else known.valid_from,
                valid_until=valid_until if valid_until is not None else known.valid_until)
        else:
            return
        self.state_as_of[certificate_id] = as_of

    def get(self, certificate_id: UUID, *, for_update: bool = False) -> Certificate | None:
        return self.rows.get(certificate_id)

    def set_register_fee_from(self, certificate_id: UUID, first: date, paid_until: date | None) -> None:
        known = self.rows.get(certificate_id)
        if known is not None:
            self.rows[certificate_id] = dataclasses.replace(
                known, register_fee_from=_greatest(known.register_fee_from, first),
                register_fee_paid_until=_greatest(known.register_fee_paid_until, paid_until))

    def active(self, account_id: UUID) -> list[Certificate]:
        return sorted((c for c in self.rows.values()
                       if c.account_id == account_id and c.state == "active" and c.valid_from is not None
                       and c.valid_until is not None and c.register_fee_from is not None),
                      key=lambda c: c.valid_from)

    def accounts_with_register_fee_due(self, today: date) -> list[UUID]:
        due = set()
        for c in self.rows.values():
            account = self._accounts.get(c.account_id)
            if account is None or account.membership_kind != KIND_AFFILIATE or c.state != "active" \
                    or c.register_fee_from is None or c.register_fee_from > today \
                    or c.valid_until is None or not c.valid_until > c.register_fee_from:
                continue
            if not any(i.account_id == c.account_id and i.kind == InvoiceKind.REGISTER_FEE
                       and i.period_start >= c.register_fee_from and i.period_end >= today
                       for i in self._invoices.rows.values()):
                due.add(c.account_id)
        return sorted(due)


class FakeWithdrawals:
    def __init__(self) -> None:
        self.rows: dict[UUID, dict[str, Any]] = {}

    def record(self, submission_id: UUID, account_id: UUID, withdrawn_at: datetime,
               reason: str | None) -> None:
        self.rows.setdefault(submission_id, {"account_id": account_id, "withdrawn_at": withdrawn_at,
                                             "reason": reason})

    def is_withdrawn(self, submission_id: UUID) -> bool:
        return submission_id in self.rows


class FakeNumbers:
    def __init__(self) -> None:
        self.last: dict[tuple[str, int], int] = {}

    def next(self, series: str, year: int) -> int:
        self.last[series, year] = self.last.get((series, year), 0) + 1
        return self.last[series, year]


def _trigger(kind: InvoiceKind, *, submission_id, supplement_id, account_id, period_start) -> tuple:
    """What one invoice of ``kind`` is unique by (the migration's partial unique indexes)."""
    return {
        InvoiceKind.RECERTIFICATION: (kind, submission_id),
        InvoiceKind.REASSESSMENT: (kind, supplement_id),
        InvoiceKind.AFFILIATE_NUMBER: (kind, account_id),
        InvoiceKind.REGISTER_FEE: (kind, account_id, period_start),
    }[kind]


class FakeInvoices:
    def __init__(self, numbers: FakeNumbers) -> None:
        self.rows: dict[UUID, Invoice] = {}
        self.numbers = numbers

    def _triggers(self) -> set[tuple]:
        return {_trigger(i.kind, submission_id=i.submission_id, supplement_id=i.supplement_id,
                         account_id=i.account_id, period_start=i.period_start) for i in self.rows.values()}

    def exists_for(self, draft: Draft) -> bool:
        return _trigger(draft.kind, submission_id=draft.submission_id, supplement_id=draft.supplement_id,
                        account_id=draft.account_id,
                        period_start=draft.period.first if draft.period else None) in self._triggers()

    def issue(self, draft: Draft, *, recipient: Account | None, issued_at: datetime) -> Invoice | None:
        if self.exists_for(draft):
            return None
        seq = self.numbers.next(invoice_series(draft.issuer), draft.year)
        invoice = Invoice(
            id=uuid4(), number=format_number(invoice_series(draft.issuer), draft.year, seq),
            issuer=draft.issuer, year=draft.year, seq=seq, account_id=draft.account_id, kind=draft.kind,
            submission_id=draft.submission_id, case_id=draft.case_id, supplement_id=draft.supplement_id,
            period_year=draft.period_year, period_start=draft.period.first if draft.period else None,
            period_end=draft.period.last if draft.period else None,
            recipient_name=recipient.full_name if recipient else None,
            recipient_number=recipient.membership_number if recipient else None, currency=draft.currency,
            vat_rate=draft.vat_rate, net=draft.net, vat=draft.vat, gross=draft.gross,
            framework_version=draft.framework_version, issued_on=draft.issued_on, due_on=draft.due_on,
            issued_at=issued_at, state=InvoiceState.OPEN, paid_at=None, cancelled_at=None, lines=draft.lines)
        self.rows[invoice.id] = invoice
        return invoice

    def fill_in_recipient(self, account_id: UUID, name: str, number: str | None) -> int:
        filled = [i for i in self.rows.values() if i.account_id == account_id and i.recipient_name is None]
        for invoice in filled:
            self.rows[invoice.id] = dataclasses.replace(invoice, recipient_name=name, recipient_number=number)
        return len(filled)

    def get(self, invoice_id: UUID, *, for_update: bool = False) -> Invoice | None:
        return self.rows.get(invoice_id)

    def by_number(self, number: str, *, for_update: bool = False) -> Invoice | None:
        return next((i for i in self.rows.values() if i.number == number), None)

    def recertification_for(self, submission_id: UUID, *, for_update: bool = False) -> Invoice | None:
        return next((i for i in self.rows.values()
                     if i.kind == InvoiceKind.RECERTIFICATION and i.submission_id == submission_id), None)

    def list(self, *, owner_id: UUID | None, issuers: Iterable[str], account_id: UUID | None,
             state: str | None, kind: str | None, page: int, page_size: int) -> tuple[list[Invoice], int]:
        issuers = list(issuers)
        if owner_id is None and not issuers:
            return [], 0
        found = [i for i in self.rows.values()
                 if ((owner_id is not None and i.account_id == owner_id) or i.issuer in issuers)
                 and (account_id is None or i.account_id == account_id)
                 and (state is None or str(i.state) == state) and (kind is None or str(i.kind) == kind)]
        found.sort(key=lambda i: (i.issued_at, i.number), reverse=True)
        start = (page - 1) * page_size
        return found[start:start + page_size], len(found)

    def mark_paid(self, invoice_id: UUID, paid_at: datetime) -> None:
        invoice = self.rows[invoice_id]
        if invoice.state == InvoiceState.OPEN:
            self.rows[invoice_id] = dataclasses.replace(invoice, state=InvoiceState.PAID, paid_at=paid_at)

    def mark_cancelled(self, invoice_id: UUID, cancelled_at: datetime) -> None:
        invoice = self.rows[invoice_id]
        if invoice.state != InvoiceState.CANCELLED:
            self.rows[invoice_id] = dataclasses.replace(invoice, state=InvoiceState.CANCELLED,
                                                        cancelled_at=cancelled_at)

    def add_credit_note(self, note: CreditNote) -> None:
        invoice = self.rows[note.invoice_id]
        if invoice.credit_note is not None:
            raise AssertionError(f"invoice {invoice.number} has a credit note already (a unique key)")
        self.rows[note.invoice_id] = dataclasses.replace(invoice, credit_note=note)


class FakePayments:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    def add(self, notification: PaymentNotification, body: Mapping[str, Any], received_at: datetime) -> bool:
        if notification.provider_event_id in self.rows:
            return False
        self.rows[notification.provider_event_id] = {"notification": notification, "body": dict(body),
                                                     "received_at": received_at, "outcome": "received",
                                                     "invoice_id": None}
        return True

    def set_outcome(self, provider_event_id: str, outcome: PaymentOutcome, invoice_id: UUID | None) -> None:
        self.rows[provider_event_id].update(outcome=str(outcome), invoice_id=invoice_id)


class FakeBillingUnitOfWork(FakeUnitOfWork):
    producer = SqlBillingUnitOfWork.producer

    def __init__(self) -> None:
        super().__init__()
        self.accounts = FakeAccounts()
        self.withdrawals = FakeWithdrawals()
        self.numbers = FakeNumbers()
        self.invoices = FakeInvoices(self.numbers)
        self.certificates = FakeCertificates(self.accounts, self.invoices)
        self.payments = FakePayments()


# --- the other services' events, delivered to billing's handlers ----------------------------------------


class Clock:
    """Billing's "today"; tests move it."""

    def __init__(self, day: date) -> None:
        self.day = day

    def __call__(self) -> date:
        return self.day


@dataclass
class Coach:
    account_id: UUID
    kind: str | None  # "member", "affiliate", or None (staff)
    number: str | None
    name: str


class Story:
    """Events in as the consumer hands them over (loaded through their schemas, one unit of work each), and
    what billing then holds."""

    def __init__(self, uow: FakeBillingUnitOfWork, handlers: Any, clock: Clock) -> None:
        self.uow = uow
        self.handlers = handlers
        self.clock = clock
        self._tick = datetime(2020, 1, 1, tzinfo=UTC)

    def event(self, type_: str, data: dict[str, Any], *, producer: str, at: datetime | None = None) -> Event:
        # Each event happens on the clock's day (late morning in Amsterdam), after the one before, unless a
        # test says when.
        self._tick = max(self._tick + timedelta(seconds=1), datetime.combine(self.clock(), time(10), UTC))
        made = new_event(type_, data, producer=producer, subject=data["account_id"])
        return dataclasses.replace(load_event(made.to_message()), occurred_at=at or self._tick)

    def deliver(self, event: Event) -> Event:
        fake_handled(self.uow, self.handlers.table()[event.type], event)
        return event

    # --- identity ----------------------------------------------------------------------------------------

    def coach(self, kind: str | None = "member", *, register: bool = True) -> Coach:
        account_id = uuid4()
        number = {"affiliate": f"EXT-{account_id.int % 1_000_000:06d}", "member": "12345678"}.get(kind)
        coach = Coach(account_id, kind, number, f"Jet {str(account_id)[:4]}")
        if register:
            self.account_event(coach)
        return coach

    def account_event(self, coach: Coach, type_: str = "identity.account.registered", *,
                      at: datetime | None = None, **changes: Any) -> Event:
        data = {"account_id": coach.account_id, "email": f"{coach.account_id.hex[:10]}@example.org",
                "full_name": coach.name, "roles": ["jobcoach"], "membership_kind": coach.kind,
                "membership_number": coach.number, "preferred_language": "nl", **changes}
        if type_ == "identity.account.updated":
            data.setdefault("changed", ["membership_kind", "membership_number"])
        return self.deliver(self.event(type_, data, producer="identity", at=at))

    # --- certificates ------------------------------------------------------------------------------------

    def certificate(self, coach: Coach, type_: str = "registered", *, certificate_id: UUID | None = None,
                    at: datetime | None = None, **extra: Any) -> UUID:
        certificate_id = certificate_id or uuid4()
        valid_from = extra.pop("valid_from", self.clock())
        data = {"certificate_id": certificate_id, "certificate_number": f"RJ-{str(certificate_id)[:8]}",
                "account_id": coach.account_id}
        if type_ == "lapsed":
            data.update({"lapsed_on": self.clock(), "reason": "not_recertified",
                         "new_portfolio_deadline": None})
        else:
            data.update({"valid_from": valid_from,
                         "valid_until": extra.pop("valid_until", add_years(valid_from, 4))})
        if type_ in ("renewed", "reactivated"):
            data["decision_id"] = uuid4()
        if type_ == "renewed":
            data["previous_valid_until"] = valid_from
        data.update(extra)
        self.deliver(self.event(f"certification.certificate.{type_}", data, producer="assessment", at=at))
        return certificate_id

    # --- portfolio ---------------------------------------------------------------------------------------

    def submitted_event(self, coach: Coach, submission_id: UUID | None = None) -> Event:
        return self.event("portfolio.submitted", {
            "portfolio_id": uuid4(), "cycle_id": uuid4(), "submission_id": submission_id or uuid4(),
            "account_id": coach.account_id, "certificate_id": uuid4(),
            "certificate_expires_on": add_years(self.clock(), 1), "submitted_at": datetime.now(UTC),
            "snapshot_hash": "a" * 64, "pe_activity_ids": [], "pe_points_counted": "75",
            "reflection_meetings": 4, "is_new_portfolio_after_negative": False}, producer="portfolio")

    def submitted(self, coach: Coach, *, submission_id: UUID | None = None) -> UUID:
        return self.deliver(self.submitted_event(coach, submission_id)).data["submission_id"]

    def supplement(self, coach: Coach, submission_id: UUID, *, supplement_id: UUID | None = None
                   ) -> tuple[UUID, UUID]:
        data = {"supplement_id": supplement_id or uuid4(), "case_id": uuid4(), "portfolio_id": uuid4(),
                "submission_id": submission_id, "account_id": coach.account_id, "parts": ["A3"],
                "submitted_at": datetime.now(UTC), "snapshot_hash": "b" * 64}
        self.deliver(self.event("portfolio.supplement.submitted", data, producer="portfolio"))
        return data["supplement_id"], data["case_id"]

    def withdrawn(self, coach: Coach, submission_id: UUID) -> Event:
        return self.deliver(self.event("portfolio.withdrawn", {
            "portfolio_id": uuid4(), "cycle_id": uuid4(), "submission_id": submission_id,
            "account_id": coach.account_id, "reason": "Toch nog niet klaar"}, producer="portfolio"))

    # --- looking inside ----------------------------------------------------------------------------------

    def invoices(self, account_id: UUID) -> list[Invoice]:
        """The account's invoices in the order they were issued."""
        return [i for i in self.uow.invoices.rows.values() if i.account_id == account_id]

    def kinds(self, account_id: UUID) -> list[tuple[str, int | None]]:
        return [(str(i.kind), i.period_year) for i in self.invoices(account_id)]

    def periods(self, account_id: UUID) -> list[tuple[date, date]]:
        return [(i.period_start, i.period_end) for i in self.invoices(account_id)
                if i.kind == InvoiceKind.REGISTER_FEE]

    def published(self, type_: str, subject: UUID | None = None) -> list[Event]:
        return [e for e in self.uow.published
                if e.type == type_ and (subject is None or e.subject == subject)]
