"""Billing's SQL (psycopg 3, dict rows): the unit of work and its repositories, each running in the unit of
work's transaction and returning domain types."""
from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from recert_billing.domain import (
    Account,
    Certificate,
    CreditNote,
    Draft,
    Invoice,
    InvoiceKind,
    InvoiceState,
    Line,
    PaymentNotification,
    PaymentOutcome,
    format_number,
    invoice_series,
)
from recert_common import accounts
from recert_common.rules import Localized
from recert_common.uow import SqlUnitOfWork

Conn = psycopg.Connection


def _lock(for_update: bool) -> str:
    return " FOR UPDATE" if for_update else ""


class SqlBillingUnitOfWork(SqlUnitOfWork):
    producer = "billing"

    def bind(self, conn: Conn) -> None:
        self.accounts = AccountRepository(conn)
        self.certificates = CertificateRepository(conn)
        self.withdrawals = WithdrawalRepository(conn)
        self.numbers = NumberSeries(conn)
        self.invoices = InvoiceRepository(conn, self.numbers)
        self.payments = PaymentNotificationRepository(conn)


# --- accounts (read model) -------------------------------------------------------------------------------


class AccountRepository:
    def __init__(self, conn: Conn):
        self.conn = conn

    def upsert(self, data: Mapping[str, Any], occurred_at: datetime) -> bool:
        """Keep the account as of ``occurred_at`` unless a newer state is stored (recert_common.accounts);
        returns whether it was written."""
        return accounts.upsert_account(
            self.conn, "accounts", data["account_id"], occurred_at,
            {key: data.get(key) for key in ("email", "full_name", "membership_kind", "membership_number",
                                             "preferred_language")},
            touch=("updated_at",))

    def get(self, account_id: UUID) -> Account | None:
        row = self.conn.execute("SELECT account_id, full_name, membership_kind, membership_number "
                                "FROM accounts WHERE account_id = %s", (account_id,)).fetchone()
        return Account(**row) if row else None


# --- certificates (read model) ---------------------------------------------------------------------------

_CERTIFICATE = ("SELECT certificate_id, account_id, certificate_number, state, valid_from, valid_until, "
                "register_fee_from, register_fee_paid_until FROM certificates")


class CertificateRepository:
    def __init__(self, conn: Conn):
        self.conn = conn

    def upsert(self, *, certificate_id: UUID, account_id: UUID, certificate_number: str, state: str,
               as_of: datetime, valid_from: date | None = None, valid_until: date | None = None) -> None:
        """Keep the certificate's state as of ``as_of`` (when its event happened), unless a later event set
        it."""
        self.conn.execute(
            """INSERT INTO certificates (certificate_id, account_id, certificate_number, state, valid_from,
                                         valid_until, state_as_of)
               VALUES (%s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (certificate_id) DO UPDATE
                   SET account_id = EXCLUDED.account_id, certificate_number = EXCLUDED.certificate_number,
                       state = EXCLUDED.state,
                       valid_from = coalesce(EXCLUDED.valid_from, certificates.valid_from),
                       valid_until = coalesce(EXCLUDED.valid_until, certificates.valid_until),
                       state_as_of = EXCLUDED.state_as_of, updated_at = now()
                   WHERE certificates.state_as_of <= EXCLUDED.state_as_of""",
            (certificate_id, account_id, certificate_number, state, valid_from, valid_until, as_of),
        )

    def get(self, certificate_id: UUID, *, for_update: bool = False) -> Certificate | None:
        row = self.conn.execute(_CERTIFICATE + " WHERE certificate_id = %s" + _lock(for_update),
                                (certificate_id,)).fetchone()
        return Certificate(**row) if row else None

    def set_register_fee_from(self, certificate_id: UUID, first: date, paid_until: date | None) -> None:
        """Move the first certificate year to invoice to ``first``, never back (a redelivered or older event
        cannot bring back a year that was settled); keep the latest paid-until date stated."""
        self.conn.execute(
            """UPDATE certificates SET register_fee_from = greatest(register_fee_from, %s),
                                       register_fee_paid_until = greatest(register_fee_paid_until, %s::date),
                                       updated_at = now()
               WHERE certificate_id = %s""", (first, paid_until, certificate_id))

    def active(self, account_id: UUID) -> list[Certificate]:
        """The account's active certificates whose register-fee years are known."""
        rows = self.conn.execute(
            _CERTIFICATE + " WHERE account_id = %s AND state = 'active' AND valid_from IS NOT NULL "
            "AND valid_until IS NOT NULL AND register_fee_from IS NOT NULL ORDER BY valid_from",
            (account_id,)).fetchall()
        return [Certificate(**row) for row in rows]

    def accounts_with_register_fee_due(self, today: date) -> list[UUID]:
        """Candidates for the schedule: affiliates with an active certificate whose register fee has begun
        by ``today`` and who have no register-fee invoice for the certificate year running today (one whose
        period reaches today). The schedule works out each one's due years (``domain.register_fees_due``).

        The running year is told by the invoice's own last day, not by "started less than a year ago":
        ``today - interval '1 year'`` is 2024-02-28 on 2025-02-28, so a year from 29 February 2024 looked
        running on the first day of the next one (28 February 2025, ADR 0013) and was invoiced a day late."""
        rows = self.conn.execute(
            """SELECT DISTINCT a.account_id FROM accounts a JOIN certificates c ON c.account_id = a.account_id
               WHERE a.membership_kind = 'affiliate' AND c.state = 'active'
                 AND c.register_fee_from <= %(today)s AND c.valid_until > c.register_fee_from
                 AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.account_id = a.account_id
                                 AND i.kind = 'register_fee' AND i.period_start >= c.register_fee_from
                                 AND i.period_end >= %(today)s)
               ORDER BY a.account_id""", {"today": today}).fetchall()
        return [row["account_id"] for row in rows]


# --- withdrawals (read model) ----------------------------------------------------------------------------


class WithdrawalRepository:
    def __init__(self, conn: Conn):
        self.conn = conn

    def record(self, submission_id: UUID, account_id: UUID, withdrawn_at: datetime,
               reason: str | None) -> None:
        self.conn.execute(
            "INSERT INTO withdrawn_submissions (submission_id, account_id, withdrawn_at, reason) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (submission_id) DO NOTHING",
            (submission_id, account_id, withdrawn_at, reason))

    def is_withdrawn(self, submission_id: UUID) -> bool:
        return self.conn.execute("SELECT 1 FROM withdrawn_submissions WHERE submission_id = %s",
                                 (submission_id,)).fetchone() is not None


# --- numbers ---------------------------------------------------------------------------------------------


class NumberSeries:
    def __init__(self, conn: Conn):
        self.conn = conn

    def next(self, series: str, year: int) -> int:
        """The next sequence number of ``series`` in ``year``. The counter row stays locked until the
        transaction ends, so concurrent issuers queue here, and a rollback returns the number."""
        row = self.conn.execute(
            """INSERT INTO number_series (series, year, last_number) VALUES (%s, %s, 1)
               ON CONFLICT (series, year) DO UPDATE SET last_number = number_series.last_number + 1
               RETURNING last_number""", (series, year)).fetchone()
        return row["last_number"]


# --- invoices --------------------------------------------------------------------------------------------

_TRIGGER = {
    InvoiceKind.RECERTIFICATION: ("submission_id = %(submission_id)s", ),
    InvoiceKind.REASSESSMENT: ("supplement_id = %(supplement_id)s", ),
    InvoiceKind.AFFILIATE_NUMBER: ("account_id = %(account_id)s", ),  # historic: never issued now
    InvoiceKind.REGISTER_FEE: ("account_id = %(account_id)s", "period_start = %(period_start)s"),
}


class InvoiceRepository:
    def __init__(self, conn: Conn, numbers: NumberSeries):
        self.conn = conn
        self.numbers = numbers

    def exists_for(self, draft: Draft) -> bool:
        """Whether what ``draft`` charges for (the submission, supplement, account, account and certificate
        year) has its invoice already."""
        where = " AND ".join(("kind = %(kind)s", *_TRIGGER[draft.kind]))
        params = {"kind": str(draft.kind), "submission_id": draft.submission_id,
                  "supplement_id": draft.supplement_id, "account_id": draft.account_id,
                  "period_start": draft.period.first if draft.period else None}
        return self.conn.execute(f"SELECT 1 FROM invoices WHERE {where}", params).fetchone() is not None

    def issue(self, draft: Draft, *, recipient: Account | None, issued_at: datetime) -> Invoice | None:
        """Number and store ``draft``: the next number of the issuer's series for the year of issue, from a
        counter row that stays locked until the transaction ends, so numbers are handed out in commit order
        and a rollback gives its number back. None, and no number used, when the invoice's trigger has its
        invoice already (a concurrent redelivery won the race on the trigger's unique index)."""
        invoice_id = uuid.uuid4()
        issued = False
        # A savepoint (the unit of work's transaction is under way): losing the race rolls the counter back
        # with it.
        with self.conn.transaction() as savepoint:
            seq = self.numbers.next(invoice_series(draft.issuer), draft.year)
            number = format_number(invoice_series(draft.issuer), draft.year, seq)
            if not self._insert(invoice_id=invoice_id, number=number, seq=seq, draft=draft,
                                recipient=recipient, issued_at=issued_at):
                raise psycopg.Rollback(savepoint)
            issued = True
        return self.get(invoice_id) if issued else None

    def _insert(self, *, invoice_id: UUID, number: str, seq: int, draft: Draft, recipient: Account | None,
                issued_at: datetime) -> bool:
        """Insert the invoice with its lines; False (nothing written) when its trigger has an invoice
        already."""
        row = self.conn.execute(
            """INSERT INTO invoices (id, number, issuer, year, seq, account_id, kind, submission_id, case_id,
                                     supplement_id, period_year, period_start, period_end, recipient_name,
                                     recipient_number, currency, vat_rate, net, vat, gross, framework_version,
                                     issued_on, due_on, issued_at, state)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                       %s, %s, 'open')
               ON CONFLICT DO NOTHING RETURNING id""",
            (invoice_id, number, draft.issuer, draft.year, seq, draft.account_id, str(draft.kind),
             draft.submission_id, draft.case_id, draft.supplement_id, draft.period_year,
             draft.period.first if draft.period else None, draft.period.last if draft.period else None,
             recipient.full_name if recipient else None, recipient.membership_number if recipient else None,
             draft.currency, draft.vat_rate, draft.net, draft.vat, draft.gross, draft.framework_version,
             draft.issued_on, draft.due_on, issued_at),
        ).fetchone()
        if row is None:
            return False
        with self.conn.cursor() as cursor:
            cursor.executemany(
                """INSERT INTO invoice_lines (invoice_id, position, description_nl, description_en, vat_rate,
                                              net, vat, gross) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
                [(invoice_id, position, line.description.nl, line.description.en, line.vat_rate, line.net,
                  line.vat, line.gross) for position, line in enumerate(draft.lines, start=1)])
        return True

    def fill_in_recipient(self, account_id: UUID, name: str, number: str | None) -> int:
        """Give the invoices issued before the account was known its name and number. Returns how many."""
        return self.conn.execute(
            "UPDATE invoices SET recipient_name = %s, recipient_number = %s "
            "WHERE account_id = %s AND recipient_name IS NULL", (name, number, account_id)).rowcount

    def _lines(self, invoice_ids: Iterable[UUID]) -> dict[UUID, tuple[Line, ...]]:
        rows = self.conn.execute("SELECT * FROM invoice_lines WHERE invoice_id = ANY(%s) "
                                 "ORDER BY invoice_id, position", (list(invoice_ids),)).fetchall()
        lines: dict[UUID, list[Line]] = {}
        for r in rows:
            lines.setdefault(r["invoice_id"], []).append(Line(
                description=Localized(nl=r["description_nl"], en=r["description_en"]), vat_rate=r["vat_rate"],
                net=r["net"], vat=r["vat"], gross=r["gross"]))
        return {key: tuple(value) for key, value in lines.items()}

    def _credit_notes(self, invoice_ids: Iterable[UUID]) -> dict[UUID, CreditNote]:
        rows = self.conn.execute("SELECT * FROM credit_notes WHERE invoice_id = ANY(%s)",
                                 (list(invoice_ids),)).fetchall()
        return {r["invoice_id"]: _credit_note(r) for r in rows}

    def _invoices(self, rows: list[dict[str, Any]]) -> list[Invoice]:
        ids = [r["id"] for r in rows]
        lines, credits = self._lines(ids), self._credit_notes(ids)
        return [Invoice(
            id=r["id"], number=r["number"], issuer=r["issuer"], year=r["year"], seq=r["seq"],
            account_id=r["account_id"], kind=InvoiceKind(r["kind"]), submission_id=r["submission_id"],
            case_id=r["case_id"], supplement_id=r["supplement_id"], period_year=r["period_year"],
            period_start=r["period_start"], period_end=r["period_end"],
            recipient_name=r["recipient_name"], recipient_number=r["recipient_number"],
            currency=r["currency"],
            vat_rate=r["vat_rate"], net=r["net"], vat=r["vat"], gross=r["gross"],
            framework_version=r["framework_version"], issued_on=r["issued_on"], due_on=r["due_on"],
            issued_at=r["issued_at"], state=InvoiceState(r["state"]), paid_at=r["paid_at"],
            cancelled_at=r["cancelled_at"], lines=lines.get(r["id"], ()), credit_note=credits.get(r["id"]),
        ) for r in rows]

    def _one(self, where: str, params: tuple[Any, ...], for_update: bool) -> Invoice | None:
        rows = self.conn.execute(f"SELECT * FROM invoices WHERE {where}" + _lock(for_update),
                                 params).fetchall()
        return next(iter(self._invoices(rows)), None)

    def get(self, invoice_id: UUID, *, for_update: bool = False) -> Invoice | None:
        return self._one("id = %s", (invoice_id,), for_update)

    def by_number(self, number: str, *, for_update: bool = False) -> Invoice | None:
        return self._one("number = %s", (number,), for_update)

    def recertification_for(self, submission_id: UUID, *, for_update: bool = False) -> Invoice | None:
        return self._one("kind = 'recertification' AND submission_id = %s", (submission_id,), for_update)

    def list(self, *, owner_id: UUID | None, issuers: Iterable[str], account_id: UUID | None,
             state: str | None, kind: str | None, page: int, page_size: int) -> tuple[list[Invoice], int]:
        """Invoices of ``owner_id`` or of one of ``issuers`` (what the caller may see), narrowed by the
        filters; newest first."""
        visible = ["account_id = %(owner_id)s"] if owner_id is not None else []
        issuers = list(issuers)
        if issuers:
            visible.append("issuer = ANY(%(issuers)s)")
        if not visible:
            return [], 0
        where = [f"({' OR '.join(visible)})"]
        for name, value in (("account_id", account_id), ("state", state), ("kind", kind)):
            if value is not None:
                where.append(f"{name} = %({name})s")
        params = {"owner_id": owner_id, "issuers": issuers, "account_id": account_id, "state": state,
                  "kind": kind, "limit": page_size, "offset": (page - 1) * page_size}
        condition = " AND ".join(where)
        total = self.conn.execute(f"SELECT count(*) AS n FROM invoices WHERE {condition}",
                                  params).fetchone()["n"]
        rows = self.conn.execute(f"SELECT * FROM invoices WHERE {condition} ORDER BY issued_at DESC, "
                                 "number DESC LIMIT %(limit)s OFFSET %(offset)s", params).fetchall()
        return self._invoices(rows), total

    def mark_paid(self, invoice_id: UUID, paid_at: datetime) -> None:
        self.conn.execute("UPDATE invoices SET state = 'paid', paid_at = %s WHERE id = %s AND state = 'open'",
                          (paid_at, invoice_id))

    def mark_cancelled(self, invoice_id: UUID, cancelled_at: datetime) -> None:
        self.conn.execute("UPDATE invoices SET state = 'cancelled', cancelled_at = %s WHERE id = %s "
                          "AND state <> 'cancelled'", (cancelled_at, invoice_id))

    def add_credit_note(self, note: CreditNote) -> None:
        self.conn.execute(
            """INSERT INTO credit_notes (id, number, issuer, year, seq, invoice_id, net, vat, gross, reason,
                                         refund_due, issued_on, issued_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (note.id, note.number, note.issuer, note.year, note.seq, note.invoice_id, note.net, note.vat,
             note.gross, note.reason, note.refund_due, note.issued_on, note.issued_at))


def _credit_note(r: Mapping[str, Any]) -> CreditNote:
    return CreditNote(id=r["id"], number=r["number"], invoice_id=r["invoice_id"], issuer=r["issuer"],
                      year=r["year"], seq=r["seq"], net=r["net"], vat=r["vat"], gross=r["gross"],
                      reason=r["reason"], refund_due=r["refund_due"], issued_on=r["issued_on"],
                      issued_at=r["issued_at"])


# --- payment notifications -------------------------------------------------------------------------------


class PaymentNotificationRepository:
    def __init__(self, conn: Conn):
        self.conn = conn

    def add(self, notification: PaymentNotification, body: Mapping[str, Any], received_at: datetime) -> bool:
        """Keep a notification; False when its provider event id was received before. A concurrent insert
        of the same id waits here for the other transaction, so a replay racing the original also finds
        it."""
        row = self.conn.execute(
            """INSERT INTO payment_notifications (provider_event_id, type, invoice_number, amount, currency,
                                                  paid_at, received_at, outcome, body)
               VALUES (%s, %s, %s, %s, %s, %s, %s, 'received', %s)
               ON CONFLICT (provider_event_id) DO NOTHING RETURNING provider_event_id""",
            (notification.provider_event_id, notification.type, notification.invoice_number,
             notification.amount, notification.currency, notification.paid_at, received_at,
             Jsonb(dict(body))),
        ).fetchone()
        return row is not None

    def set_outcome(self, provider_event_id: str, outcome: PaymentOutcome, invoice_id: UUID | None) -> None:
        self.conn.execute("UPDATE payment_notifications SET outcome = %s, invoice_id = %s "
                          "WHERE provider_event_id = %s", (str(outcome), invoice_id, provider_event_id))


__all__ = ["AccountRepository", "CertificateRepository", "InvoiceRepository", "NumberSeries",
           "PaymentNotificationRepository", "SqlBillingUnitOfWork", "WithdrawalRepository"]
