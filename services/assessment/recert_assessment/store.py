"""The assessment database (psycopg 3, dict rows): one repository per aggregate or concern, each built on the
connection of a transaction, and ``SqlAssessmentUnitOfWork``, which builds them. Repositories return domain
types; every method runs in the unit of work's transaction."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from recert_assessment.credentials import Credential
from recert_assessment.domain import (
    Account,
    AssessmentForm,
    AuditEntry,
    Case,
    CaseCounts,
    Certificate,
    CertificateState,
    Decision,
    Evidence,
    ExpiryNotice,
    Finding,
    GivenAdvice,
    LapseReason,
    Objection,
    PartVerdict,
    PeActivity,
    PeCheck,
    RegisterEntry,
    Rejection,
    Supplement,
    SupplementAssignment,
)
from recert_assessment.states import CLOSED_STATES, SUPPLEMENT_STATES, CaseState
from recert_common import accounts, pe_copy
from recert_common.db import transaction_lock
from recert_common.keys import SqlKeyTable
from recert_common.uow import SqlUnitOfWork

Conn = psycopg.Connection
PRODUCER = "assessment"
_OPEN_STATES_SQL = f"state NOT IN ({', '.join(repr(str(s)) for s in sorted(CLOSED_STATES))})"


def _lock(for_update: bool) -> str:
    return " FOR UPDATE" if for_update else ""


def _page(page: int, page_size: int) -> tuple[int, int]:
    return page_size, (page - 1) * page_size


class _Repository:
    def __init__(self, conn: Conn):
        self.conn = conn


# --- accounts (read model) -------------------------------------------------------------------------------


def _account(row: Mapping[str, Any] | None) -> Account | None:
    if row is None:
        return None
    return Account(account_id=row["account_id"], full_name=row["full_name"],
                   membership_number=row["membership_number"], roles=tuple(row["roles"]), email=row["email"])


class AccountRepository(_Repository):
    """The accounts identity announced."""

    def upsert(self, account_id: UUID, full_name: str, membership_number: str | None,
               roles: Iterable[str], email: str | None = None, *, occurred_at: datetime) -> bool:
        """Keep the account as of ``occurred_at`` unless a newer state is stored (recert_common.accounts);
        returns whether it was written."""
        # Several accounts may give one number (ADR 0018): the import's e-mail address tells its holder.
        return accounts.upsert_account(
            self.conn, "accounts", account_id, occurred_at,
            {"full_name": full_name, "membership_number": membership_number, "roles": list(roles),
             "email": email},
            keep_if_null=("email",), touch=("updated_at",))

    def get(self, account_id: UUID) -> Account | None:
        return _account(self.conn.execute("SELECT * FROM accounts WHERE account_id = %s",
                                          (account_id,)).fetchone())

    def by_number(self, membership_number: str) -> list[Account]:
        return [_account(r) for r in self.conn.execute(
            "SELECT * FROM accounts WHERE membership_number = %s ORDER BY updated_at",
            (membership_number,)).fetchall()]

    def with_role(self, role: str) -> list[Account]:
        """The accounts holding ``role``, by name."""
        rows = self.conn.execute(
            "SELECT * FROM accounts WHERE %s = ANY(roles) ORDER BY full_name, account_id", (role,)).fetchall()
        return [_account(r) for r in rows]

    def names(self, account_ids: Iterable[UUID | None]) -> dict[UUID, str]:
        wanted = [i for i in set(account_ids) if i is not None]
        if not wanted:
            return {}
        rows = self.conn.execute("SELECT account_id, full_name FROM accounts WHERE account_id = ANY(%s)",
                            (wanted,)).fetchall()
        return {r["account_id"]: r["full_name"] for r in rows}


# --- PE (read model) ---

_ACTIVITY_FIELDS = ("activity_id", "account_id", "category", "title", "completed_on", "unit", "amount",
                    "points", "source")


class PeActivityRepository(_Repository):
    """The PE activities and their evidence as pe-registry announced them, in pe-registry's order whatever
    order the events arrive in (``recert_common.pe_copy``)."""

    def upsert(self, data: Mapping[str, Any], occurred_at: datetime) -> bool:
        """Keep the activity as of ``occurred_at`` (``pe_copy.upsert_activity``); whether it was written."""
        values = {name: data[name] for name in _ACTIVITY_FIELDS}
        return pe_copy.upsert_activity(self.conn, values, occurred_at)

    def delete(self, activity_id: UUID, account_id: UUID, removed_at: datetime) -> None:
        pe_copy.remove_activity(self.conn, activity_id, account_id, removed_at)

    def add_evidence(self, data: Mapping[str, Any]) -> bool:
        return pe_copy.add_evidence(self.conn, {name: data[name] for name in (
            "evidence_id", "activity_id", "account_id", "sha256", "size", "content_type", "filename")})

    def delete_evidence(self, evidence_id: UUID, account_id: UUID, removed_at: datetime) -> None:
        pe_copy.remove_evidence(self.conn, evidence_id, account_id, removed_at)

    def get_many(self, activity_ids: Sequence[UUID]) -> dict[UUID, PeActivity]:
        if not activity_ids:
            return {}
        rows = self.conn.execute("SELECT * FROM pe_activities WHERE activity_id = ANY(%s)",
                            (list(activity_ids),)).fetchall()
        evidence: dict[UUID, list[Evidence]] = {}
        for e in self.conn.execute("SELECT * FROM pe_evidence WHERE activity_id = ANY(%s) ORDER BY filename, "
                              "evidence_id", (list(activity_ids),)).fetchall():
            evidence.setdefault(e["activity_id"], []).append(Evidence(
                evidence_id=e["evidence_id"], sha256=e["sha256"], size=e["size"],
                content_type=e["content_type"],
                filename=e["filename"]))
        return {r["activity_id"]: PeActivity(**{n: r[n] for n in _ACTIVITY_FIELDS},
                                             evidence=tuple(evidence.get(r["activity_id"], ())))
                for r in rows}


class PaidInvoiceRepository(_Repository):
    """DNV's invoices billing announced as paid."""

    def add(self, data: Mapping[str, Any]) -> bool:
        row = self.conn.execute(
            """INSERT INTO paid_invoices (invoice_id, kind, account_id, submission_id, case_id, paid_on)
               VALUES (%(invoice_id)s, %(kind)s, %(account_id)s, %(submission_id)s, %(case_id)s, %(paid_on)s)
               ON CONFLICT (invoice_id) DO NOTHING RETURNING invoice_id""",
            {name: data.get(name) for name in ("invoice_id", "kind", "account_id", "submission_id", "case_id",
            "paid_on")}).fetchone()
        return row is not None

    def recertification_paid(self, submission_id: UUID) -> bool:
        row = self.conn.execute("SELECT EXISTS (SELECT 1 FROM paid_invoices WHERE kind = 'recertification' "
                           "AND submission_id = %s) AS paid", (submission_id,)).fetchone()
        return row["paid"]

    def reassessment_paid(self, case_id: UUID, submission_id: UUID) -> bool:
        """billing names the case of a reassessment fee, or at least the submission it is about."""
        row = self.conn.execute("SELECT EXISTS (SELECT 1 FROM paid_invoices WHERE kind = 'reassessment' "
                           "AND (case_id = %s OR (case_id IS NULL AND submission_id = %s))) AS paid",
                           (case_id, submission_id)).fetchone()
        return row["paid"]


# --- certificates ---

_CERTIFICATE_COLUMNS = ("id", "number", "membership_number", "account_id", "valid_from", "valid_until",
                        "state", "lapsed_on", "lapse_reason", "registered_at", "created_at", "holder_email",
                        "holder_name", "deadline_missed_for")


def _certificate(row: Mapping[str, Any] | None) -> Certificate | None:
    if row is None:
        return None
    values = {name: row[name] for name in _CERTIFICATE_COLUMNS}
    values["state"] = CertificateState(row["state"])
    values["lapse_reason"] = LapseReason(row["lapse_reason"]) if row["lapse_reason"] else None
    return Certificate(**values)


class CertificateRepository(_Repository):
    """Certificates, their expiry reminders and the public register."""

    def add(self, certificate: Certificate) -> bool:
        """False when the number or the Noloc number is taken (by this very row, imported before, or
        another)."""
        values = {name: getattr(certificate, name) for name in _CERTIFICATE_COLUMNS if name != "created_at"}
        values["state"] = str(certificate.state)
        values["lapse_reason"] = str(certificate.lapse_reason) if certificate.lapse_reason else None
        row = self.conn.execute(
            f"INSERT INTO certificates ({', '.join(values)}) "
            f"VALUES ({', '.join(f'%({n})s' for n in values)}) "
            "ON CONFLICT DO NOTHING RETURNING id", values).fetchone()
        return row is not None

    def get(self, certificate_id: UUID, *, for_update: bool = False) -> Certificate | None:
        return _certificate(self.conn.execute("SELECT * FROM certificates WHERE id = %s" + _lock(for_update),
                                         (certificate_id,)).fetchone())

    def by_number(self, number: str) -> Certificate | None:
        return _certificate(self.conn.execute("SELECT * FROM certificates WHERE number = %s", (number,
                                                                                               )).fetchone())

    def lock_holders(self) -> None:
        """Serialise imports and the account changes that link certificates, until the commit. Each side
        writes its row, then looks for the other's; without the lock both could look before the other
        committed, and the certificate would wait for its account for good. One lock for every Noloc number:
        an import of the whole register holds one lock, not one per holder (PostgreSQL's lock table has room
        for a few thousand in all), and it lasts seconds, during which account changes wait."""
        transaction_lock(self.conn, "assessment-holders")

    def by_member(self, membership_number: str, *, for_update: bool = False
                  ) -> Certificate | None:
        return _certificate(self.conn.execute("SELECT * FROM certificates WHERE membership_number = %s"
                                         + _lock(for_update), (membership_number,)).fetchone())

    def of_account(self, account_id: UUID) -> Certificate | None:
        return _certificate(self.conn.execute("SELECT * FROM certificates WHERE account_id = %s",
                                         (account_id,)).fetchone())

    def link(self, certificate_id: UUID, account_id: UUID, registered_at: datetime) -> None:
        self.conn.execute("UPDATE certificates SET account_id = %s, registered_at = %s, updated_at = now() "
                     "WHERE id = %s", (account_id, registered_at, certificate_id))

    def set_holder(self, certificate_id: UUID, email: str, name: str) -> None:
        """The holder data of a later import (a changed address or name at Noloc)."""
        self.conn.execute("UPDATE certificates SET holder_email = %s, holder_name = %s, updated_at = now() "
                     "WHERE id = %s", (email, name, certificate_id))

    def set_validity(self, certificate_id: UUID, valid_from: date, valid_until: date) -> None:
        """Renewed or reactivated: active again with the new period."""
        self.conn.execute("UPDATE certificates SET valid_from = %s, valid_until = %s, state = 'active', "
                     "lapsed_on = NULL, lapse_reason = NULL, updated_at = now() WHERE id = %s",
                     (valid_from, valid_until, certificate_id))

    def lapse(self, certificate_id: UUID, lapsed_on: date, reason: LapseReason) -> bool:
        """False when it was not active (lapsed meanwhile by another worker)."""
        row = self.conn.execute(
            "UPDATE certificates SET state = 'lapsed', lapsed_on = %s, lapse_reason = %s, "
            "updated_at = now() WHERE id = %s AND state = 'active' RETURNING id",
            (lapsed_on, str(reason), certificate_id)).fetchone()
        return row is not None

    def list(self, *, number: str | None, account_id: UUID | None, state: str | None,
             page: int, page_size: int) -> tuple[list[Certificate], int]:
        where, params = ["TRUE"], []
        for column, value in (("number", number), ("account_id", account_id), ("state", state)):
            if value is not None:
                where.append(f"{column} = %s")
                params.append(value)
        clause = " AND ".join(where)
        total = self.conn.execute(f"SELECT count(*) AS n FROM certificates WHERE {clause}",
                                  params).fetchone()["n"]
        rows = self.conn.execute(
            f"SELECT * FROM certificates WHERE {clause} ORDER BY number LIMIT %s OFFSET %s",
            [*params, *_page(page, page_size)]).fetchall()
        return [_certificate(r) for r in rows], total

    def set_register_fee_paid_until(self, certificate_id: UUID, paid_until: date | None) -> None:
        self.conn.execute("UPDATE certificates SET register_fee_paid_until = %s WHERE id = %s",
                     (paid_until, certificate_id))

    def register_fee_paid_until(self, certificate_id: UUID) -> date | None:
        row = self.conn.execute("SELECT register_fee_paid_until FROM certificates WHERE id = %s",
                           (certificate_id,)).fetchone()
        return row["register_fee_paid_until"] if row else None


    # The public register lists who is in it: active certificates only. A lapsed certificate is not in the
    # register, so its number answers as an unknown one would.

    def register_search(self, *, text: str, limit: int) -> list[RegisterEntry]:
        """Active certificates whose number is ``text`` or whose holder's name contains it
        (case-insensitive)."""
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self.conn.execute(
            """SELECT c.holder_name AS name, c.number AS certificate_number, c.valid_until, c.state
               FROM certificates c
               WHERE c.state = 'active' AND (upper(c.number) = upper(%s) OR c.holder_name ILIKE %s)
               ORDER BY c.holder_name NULLS LAST, c.number LIMIT %s""", (text, pattern, limit)).fetchall()
        return [RegisterEntry(**r) for r in rows]

    def register_entry(self, number: str) -> RegisterEntry | None:
        """The active certificate with this number; None for a lapsed one as for an unknown one. The name is
        the holder's as Noloc's import gave it, never one an account chose (ADR 0018)."""
        row = self.conn.execute(
            """SELECT c.holder_name AS name, c.number AS certificate_number, c.valid_until, c.state
               FROM certificates c
               WHERE c.state = 'active' AND upper(c.number) = upper(%s)""", (number,)).fetchone()
        return RegisterEntry(**row) if row else None

    def reminders_unsent(self, today: date, horizon: date, months: Sequence[int]
                         ) -> list[tuple[UUID, date, int]]:
        """(certificate, expiry, months before) of the active, linked certificates expiring from ``today`` to
        ``horizon`` whose latest reminder due today (the least of ``months`` whose moment, that many months
        before expiry, has come) is not recorded yet, and about whose period no case is open.

        The same rule as ``domain.expiry_notice_due`` (PostgreSQL's month arithmetic clamps to the month's
        end as ``rules.add_months`` does), so that a pass with nothing to send reads no row;
        tests/integration/assessment/test_assessment_schedule.py holds the two together day by day."""
        rows = self.conn.execute(
            f"""SELECT c.id, c.valid_until, due.months_before
                FROM certificates c
                CROSS JOIN LATERAL (
                    SELECT min(m) AS months_before FROM unnest(%(months)s::integer[]) AS m
                    WHERE (c.valid_until - make_interval(months => m))::date <= %(today)s) due
                WHERE c.state = 'active' AND c.account_id IS NOT NULL
                  AND c.valid_until BETWEEN %(today)s AND %(horizon)s AND due.months_before IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM expiry_notices n WHERE n.certificate_id = c.id
                                  AND n.valid_until = c.valid_until AND n.months_before = due.months_before)
                  AND NOT EXISTS (SELECT 1 FROM cases WHERE cases.certificate_id = c.id
                                  AND cases.certificate_expires_on = c.valid_until AND {_OPEN_STATES_SQL})
                ORDER BY c.valid_until, c.id""",
            {"today": today, "horizon": horizon, "months": list(months)}).fetchall()
        return [(row["id"], row["valid_until"], row["months_before"]) for row in rows]

    def add_expiry_notices(self, due: Sequence[ExpiryNotice]) -> list[tuple[ExpiryNotice, Certificate]]:
        """Record the reminders ``due`` in one statement. A reminder is recorded only while its certificate
        is active, has its account and that expiry date, and no case about that period is open; and only once
        (the primary key: one recorded before, by this or another worker, is skipped). Returns those this
        call recorded, each with its certificate, in expiry order.

        Rows go in in certificate order, so two workers recording overlapping batches at once wait for each
        other's commit (then skip what it recorded) instead of deadlocking."""
        if not due:
            return []
        columns = list(zip(*((n.certificate_id, n.months_before, n.valid_until, n.window_opens_on,
                              n.window_open) for n in due), strict=True))
        rows = self.conn.execute(
            f"""WITH due AS (
                    SELECT * FROM unnest(%(ids)s::uuid[], %(months)s::integer[], %(expiries)s::date[],
                                         %(opens)s::date[], %(open)s::boolean[])
                           AS d (certificate_id, months_before, valid_until, window_opens_on, window_open)),
                recorded AS (
                    INSERT INTO expiry_notices (certificate_id, months_before, valid_until)
                    SELECT d.certificate_id, d.months_before, d.valid_until
                    FROM due d JOIN certificates c ON c.id = d.certificate_id
                    WHERE c.state = 'active' AND c.account_id IS NOT NULL AND c.valid_until = d.valid_until
                      AND NOT EXISTS (SELECT 1 FROM cases WHERE cases.certificate_id = c.id
                                      AND cases.certificate_expires_on = c.valid_until AND {_OPEN_STATES_SQL})
                    ORDER BY d.certificate_id
                    ON CONFLICT DO NOTHING
                    RETURNING certificate_id)
                SELECT c.*, d.months_before AS notice_months_before,
                       d.window_opens_on AS notice_window_opens_on, d.window_open AS notice_window_open
                FROM recorded r JOIN due d USING (certificate_id)
                JOIN certificates c ON c.id = r.certificate_id
                ORDER BY c.valid_until, c.id""",
            {"ids": list(columns[0]), "months": list(columns[1]), "expiries": list(columns[2]),
             "opens": list(columns[3]), "open": list(columns[4])}).fetchall()
        recorded = []
        for row in rows:
            row = dict(row)
            notice = ExpiryNotice(certificate_id=row["id"], months_before=row.pop("notice_months_before"),
                                  valid_until=row["valid_until"],
                                  window_opens_on=row.pop("notice_window_opens_on"),
                                  window_open=row.pop("notice_window_open"))
            recorded.append((notice, _certificate(row)))
        return recorded

    def lapse_candidates(self, today: date, silence_from: date) -> list[Certificate]:
        """Active certificates past their expiry date that the timer may lapse without portfolio's word (ADR
        0042): without an account, expired before ``silence_from``, with portfolio's word that the period's
        last day passed with nothing submitted, or with a decision about the period. The
        domain decides on the locked row (``domain.lapse_reason``); the rest wait for
        portfolio.deadline.missed."""
        rows = self.conn.execute(
            """SELECT * FROM certificates ce WHERE ce.state = 'active' AND ce.valid_until < %(today)s
                 AND (ce.account_id IS NULL OR ce.valid_until < %(silence_from)s
                      OR ce.deadline_missed_for = ce.valid_until
                      OR EXISTS (SELECT 1 FROM cases c JOIN decisions d ON d.case_id = c.id
                                 WHERE c.certificate_id = ce.id AND d.annulled_at IS NULL
                                   AND c.certificate_expires_on = ce.valid_until))
               ORDER BY ce.valid_until""", {"today": today, "silence_from": silence_from}).fetchall()
        return [_certificate(r) for r in rows]

    def count_waiting_for_portfolio(self, today: date) -> int:
        """Active certificates with an account, more than a day past their expiry date, that neither
        portfolio's word (ADR 0042) nor a regular case or a decision about the period explains: the
        operators' metric of a portfolio that does not speak. The timer lapses them 7 days after expiry."""
        return self.conn.execute(
            f"""SELECT count(*) AS n FROM certificates ce
                WHERE ce.state = 'active' AND ce.account_id IS NOT NULL AND ce.valid_until < %(since)s
                  AND ce.deadline_missed_for IS DISTINCT FROM ce.valid_until
                  AND NOT EXISTS (
                      SELECT 1 FROM cases c WHERE c.certificate_id = ce.id
                         AND c.certificate_expires_on = ce.valid_until
                         AND ((c.{_OPEN_STATES_SQL} AND NOT c.is_new_portfolio_after_negative)
                              OR EXISTS (SELECT 1 FROM decisions d WHERE d.case_id = c.id
                                         AND d.annulled_at IS NULL)))""",
            {"since": today - timedelta(days=1)}).fetchone()["n"]

    def note_deadline_missed(self, certificate_id: UUID, valid_until: date) -> None:
        """Portfolio's word that the period ending ``valid_until`` passed with nothing submitted (ADR
        0042)."""
        self.conn.execute("UPDATE certificates SET deadline_missed_for = %s, updated_at = now() "
                          "WHERE id = %s", (valid_until, certificate_id))

    def lock_active(self, certificate_id: UUID) -> Certificate | None:
        """The active certificate, locked; None when it is not active or another worker holds it."""
        return _certificate(self.conn.execute(
            "SELECT * FROM certificates WHERE id = %s AND state = 'active' FOR UPDATE SKIP LOCKED",
            (certificate_id,)).fetchone())


class ClaimCodeRepository(_Repository):
    """Claim codes (ADR 0018) and failed redemptions."""

    def add(self, *, code_hash: bytes, certificate_id: UUID, issued_by: UUID,
            created_at: datetime, expires_at: datetime) -> None:
        self.conn.execute(
            "UPDATE claim_codes SET expires_at = %s WHERE certificate_id = %s AND used_at IS NULL "
            "AND expires_at > %s", (created_at, certificate_id, created_at))  # one live code at a time
        self.conn.execute(
            "INSERT INTO claim_codes (code_hash, certificate_id, issued_by, created_at, expires_at) "
            "VALUES (%s, %s, %s, %s, %s)",
            (code_hash, certificate_id, issued_by, created_at, expires_at))

    def take(self, code_hash: bytes, account_id: UUID, now: datetime) -> UUID | None:
        """Spend a live code; the certificate it is for, or None."""
        row = self.conn.execute(
            """UPDATE claim_codes SET used_at = %(now)s, used_by = %(account)s
               WHERE code_hash = %(hash)s AND used_at IS NULL AND expires_at > %(now)s
               RETURNING certificate_id""", {"now": now, "account": account_id, "hash": code_hash}).fetchone()
        return row["certificate_id"] if row else None

    def lock_account(self, account_id: UUID) -> None:
        """Serialise the account's claim attempts until this transaction ends."""
        transaction_lock(self.conn, f"claim-attempts:{account_id}")

    def record_attempt(self, account_id: UUID, now: datetime) -> int:
        """Count an attempt as failed (until ``forget_attempt``); its id."""
        return self.conn.execute("INSERT INTO claim_attempts (account_id, attempted_at) VALUES (%s, %s) "
                                 "RETURNING id", (account_id, now)).fetchone()["id"]

    def forget_attempt(self, attempt_id: int) -> None:
        self.conn.execute("DELETE FROM claim_attempts WHERE id = %s", (attempt_id,))

    def failures_since(self, account_id: UUID, since: datetime) -> int:
        return self.conn.execute("SELECT count(*) AS n FROM claim_attempts WHERE account_id = %s "
                            "AND attempted_at > %s", (account_id, since)).fetchone()["n"]


# --- cases ---

_CASE_COLUMNS = tuple(f.name for f in dataclasses.fields(Case))


def _case(row: Mapping[str, Any] | None) -> Case | None:
    if row is None:
        return None
    values = {name: row[name] for name in _CASE_COLUMNS}
    values["state"] = CaseState(row["state"])
    values["pe_activity_ids"] = tuple(row["pe_activity_ids"])
    return Case(**values)


_UPDATABLE = frozenset({"state", "due_on", "paid_at", "reassessment_paid_at", "assessor_id",
                        "supplement_due_on", "pe_activity_ids", "pe_points_claimed", "supplement_missed_at"})


class CaseRepository(_Repository):
    """Cases, the reports of overdue ones, and the mentors of their jobcoaches."""

    def add(self, case: Case) -> bool:
        """False when a case about this submission exists already."""
        values = {name: getattr(case, name) for name in _CASE_COLUMNS if name != "updated_at"}
        values["state"] = str(case.state)
        values["pe_activity_ids"] = list(case.pe_activity_ids)
        row = self.conn.execute(
            f"INSERT INTO cases ({', '.join(values)}) VALUES ({', '.join(f'%({n})s' for n in values)}) "
            "ON CONFLICT (submission_id) DO NOTHING RETURNING id", values).fetchone()
        return row is not None

    def get(self, case_id: UUID, *, for_update: bool = False) -> Case | None:
        return _case(self.conn.execute(
            "SELECT * FROM cases WHERE id = %s" + _lock(for_update), (case_id,)).fetchone())

    def by_submission(self, submission_id: UUID, *, for_update: bool = False) -> Case | None:
        return _case(self.conn.execute("SELECT * FROM cases WHERE submission_id = %s" + _lock(for_update),
                                  (submission_id,)).fetchone())

    def update(self, case_id: UUID, **changes: Any) -> None:
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        values = {k: str(v) if isinstance(v, CaseState) else v for k, v in changes.items()}
        assignments = ", ".join(f"{name} = %({name})s" for name in values)
        self.conn.execute(f"UPDATE cases SET {assignments}, updated_at = now() WHERE id = %(case_id)s",
                     {**values, "case_id": case_id})

    def list(self, *, account_id: UUID | None = None, assessor_id: UUID | None = None,
             state: str | None = None, open_only: bool = False, page: int = 1, page_size: int = 20
             ) -> tuple[list[Case], int]:
        """``open_only``: only cases that still run (not decided or withdrawn)."""
        where, params = [_OPEN_STATES_SQL if open_only else "TRUE"], []
        for column, value in (("account_id", account_id), ("assessor_id", assessor_id), ("state", state)):
            if value is not None:
                where.append(f"{column} = %s")
                params.append(value)
        clause = " AND ".join(where)
        total = self.conn.execute(f"SELECT count(*) AS n FROM cases WHERE {clause}", params).fetchone()["n"]
        rows = self.conn.execute(
            f"SELECT * FROM cases WHERE {clause} ORDER BY opened_at DESC, id LIMIT %s OFFSET %s",
            [*params, *_page(page, page_size)]).fetchall()
        return [_case(r) for r in rows], total

    def previous_assessor(self, case: Case) -> UUID | None:
        """Who assessed the jobcoach's previous portfolio: the assessor of their latest earlier case."""
        row = self.conn.execute(
            "SELECT assessor_id FROM cases WHERE account_id = %s AND id <> %s AND opened_at <= %s "
            "AND assessor_id IS NOT NULL ORDER BY opened_at DESC LIMIT 1",
            (case.account_id, case.id, case.opened_at)).fetchone()
        return row["assessor_id"] if row else None

    def open_due_by(self, day: date, *, limit: int | None = None) -> list[Case]:
        """Open cases due on or before ``day``, soonest first; the first ``limit`` when given."""
        rows = self.conn.execute(
            f"SELECT * FROM cases WHERE {_OPEN_STATES_SQL} AND due_on <= %s ORDER BY due_on, id LIMIT %s",
            (day, limit)).fetchall()
        return [_case(r) for r in rows]

    def counts(self, today: date, due_soon_by: date) -> CaseCounts:
        """The number of cases in each state that has any, and of the open ones due before ``today``
        (overdue, as ``domain.overdue_status`` says) and from ``today`` to ``due_soon_by`` (due soon): one
        query."""
        rows = self.conn.execute(
            f"""SELECT state, count(*) AS n,
                       count(*) FILTER (WHERE {_OPEN_STATES_SQL} AND due_on < %(today)s) AS overdue,
                       count(*) FILTER (WHERE {_OPEN_STATES_SQL} AND due_on BETWEEN %(today)s AND %(soon)s)
                           AS due_soon
                FROM cases GROUP BY state""", {"today": today, "soon": due_soon_by}).fetchall()
        return CaseCounts({row["state"]: row["n"] for row in rows}, sum(row["overdue"] for row in rows),
                          sum(row["due_soon"] for row in rows))

    def count_overdue(self, today: date) -> int:
        """Open cases whose result was due before ``today`` (the operators' metric of late cases)."""
        return self.conn.execute(
            f"SELECT count(*) AS n FROM cases WHERE {_OPEN_STATES_SQL} AND due_on < %s", (today,)
        ).fetchone()["n"]

    def count_waiting_for_portfolio(self, today: date) -> int:
        """Cases whose supplement is more than a day past its due date without portfolio's word that none
        was handed in (ADR 0042): DNV cannot decide them until it comes, or 7 days after the due date. The
        operators' metric of a portfolio that does not speak, beside the certificates'."""
        return self.conn.execute(
            "SELECT count(*) AS n FROM cases WHERE state = ANY(%s) AND supplement_due_on < %s "
            "AND supplement_missed_at IS NULL",
            ([str(s) for s in sorted(SUPPLEMENT_STATES)], today - timedelta(days=1))).fetchone()["n"]

    def add_overdue_notice(self, case_id: UUID, due_on: date) -> bool:
        row = self.conn.execute(
            "INSERT INTO overdue_notices (case_id, due_on) VALUES (%s, %s) ON CONFLICT DO NOTHING "
            "RETURNING case_id", (case_id, due_on)).fetchone()
        return row is not None

    def open_for_period(self, certificate_id: UUID, expires_on: date, *,
                        regular_only: bool = False) -> bool:
        clause = " AND NOT is_new_portfolio_after_negative" if regular_only else ""
        row = self.conn.execute(f"SELECT EXISTS (SELECT 1 FROM cases WHERE certificate_id = %s AND "
                           f"certificate_expires_on = %s AND {_OPEN_STATES_SQL}{clause}) AS found",
                           (certificate_id, expires_on)).fetchone()
        return row["found"]

    def mentorship_started(self, *, mentorship_id: UUID, account_id: UUID, mentor_id: UUID,
                           started_at: datetime) -> None:
        """portfolio.mentorship.started (ADR 0028); an end that came first is kept."""
        self.conn.execute(
            "INSERT INTO mentorships (mentorship_id, account_id, mentor_id, started_at) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (mentorship_id) DO NOTHING",
            (mentorship_id, account_id, mentor_id, started_at))

    def mentorship_ended(self, *, mentorship_id: UUID, account_id: UUID, mentor_id: UUID,
                         started_at: datetime, ended_at: datetime) -> None:
        self.conn.execute(
            """INSERT INTO mentorships (mentorship_id, account_id, mentor_id, started_at, ended_at)
               VALUES (%s, %s, %s, %s, %s)
               ON CONFLICT (mentorship_id) DO UPDATE SET ended_at = EXCLUDED.ended_at""",
            (mentorship_id, account_id, mentor_id, started_at, ended_at))

    def mentors(self, account_id: UUID, since: date) -> list[UUID]:
        """The jobcoach's mentors whose mentorship runs, or ended on or after ``since`` (the start of the
        certificate period): current and past mentors of the period, first started first."""
        return [r["mentor_id"] for r in self.conn.execute(
            """SELECT mentor_id, min(started_at) AS first FROM mentorships
               WHERE account_id = %s AND (ended_at IS NULL OR ended_at >= %s)
               GROUP BY mentor_id ORDER BY first, mentor_id""", (account_id, since)).fetchall()]


# --- PE check ---

def _finding_json(finding: Finding) -> dict[str, Any]:
    return {"text": finding.text, "activity_id": str(finding.activity_id) if finding.activity_id else None,
            "category": finding.category}


class PeCheckRepository(_Repository):
    """DNV's PE checks and the activities rejected in them."""

    def add_rejection(self, case_id: UUID, rejection: Rejection) -> None:
        self.conn.execute(
            """INSERT INTO pe_check_rejections (case_id, activity_id, reason, rejected_by, rejected_at)
               VALUES (%s, %s, %s, %s, %s)
               ON CONFLICT (case_id, activity_id) DO UPDATE
               SET reason = EXCLUDED.reason, rejected_by = EXCLUDED.rejected_by,
               rejected_at = EXCLUDED.rejected_at""",
            (case_id, rejection.activity_id, rejection.reason, rejection.rejected_by,
            rejection.rejected_at))

    def delete_rejection(self, case_id: UUID, activity_id: UUID) -> bool:
        return self.conn.execute("DELETE FROM pe_check_rejections WHERE case_id = %s AND activity_id = %s",
                            (case_id, activity_id)).rowcount > 0

    def rejections(self, case_id: UUID) -> dict[UUID, Rejection]:
        rows = self.conn.execute("SELECT * FROM pe_check_rejections WHERE case_id = %s ORDER BY rejected_at",
                            (case_id,)).fetchall()
        return {r["activity_id"]: Rejection(r["activity_id"], r["reason"], r["rejected_by"], r["rejected_at"])
                for r in rows}

    def save(self, check: PeCheck, framework_version: str) -> None:
        """The check of a case; the check of a supplement for B replaces the failed one (the audit trail keeps
        both)."""
        self.conn.execute(
            """INSERT INTO pe_checks (case_id, passed, points_counted, points_required, framework_version,
               findings, completed_by, completed_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (case_id) DO UPDATE
               SET passed = EXCLUDED.passed, points_counted = EXCLUDED.points_counted,
               points_required = EXCLUDED.points_required,
               framework_version = EXCLUDED.framework_version, findings = EXCLUDED.findings,
               completed_by = EXCLUDED.completed_by, completed_at = EXCLUDED.completed_at""",
            (check.case_id, check.passed, check.points_counted, check.points_required, framework_version,
            Jsonb([_finding_json(f) for f in check.findings]), check.completed_by, check.completed_at))

    def get(self, case_id: UUID) -> PeCheck | None:
        row = self.conn.execute("SELECT * FROM pe_checks WHERE case_id = %s", (case_id,)).fetchone()
        if row is None:
            return None
        findings = tuple(Finding(f["text"], UUID(f["activity_id"]) if f["activity_id"] else None,
                                 f["category"])
                         for f in row["findings"])
        return PeCheck(case_id=case_id, passed=row["passed"], points_counted=row["points_counted"],
                       points_required=row["points_required"], findings=findings,
                       completed_by=row["completed_by"], completed_at=row["completed_at"])


# --- advice, decisions, objections, supplements ---

def _form_json(form: AssessmentForm) -> dict[str, Any]:
    return {"verdicts": [{"part": v.part, "verdict": v.verdict, "findings": v.findings}
                         for v in form.verdicts],
            "feedback": dict(form.feedback), "development_advice": form.development_advice,
            "advice": form.advice,
            "supplements": [{"part": s.part, "assignment": s.assignment} for s in form.supplements]}


def _form(data: Mapping[str, Any]) -> AssessmentForm:
    return AssessmentForm(
        verdicts=tuple(PartVerdict(v["part"], v["verdict"], v["findings"]) for v in data["verdicts"]),
        feedback=dict(data["feedback"]), development_advice=data["development_advice"], advice=data["advice"],
        supplements=tuple(SupplementAssignment(s["part"], s["assignment"]) for s in data["supplements"]))


class AdviceRepository(_Repository):
    """The assessors' forms."""

    def add(self, advice: GivenAdvice) -> None:
        self.conn.execute(
            "INSERT INTO advices (case_id, round, assessor_id, advice, form, supplement_due_on, "
            "given_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (advice.case_id, advice.round, advice.assessor_id, advice.advice,
            Jsonb(_form_json(advice.form)), advice.supplement_due_on, advice.given_at))

    def of_case(self, case_id: UUID) -> list[GivenAdvice]:
        rows = self.conn.execute("SELECT * FROM advices WHERE case_id = %s ORDER BY round", (case_id,
                                                                                             )).fetchall()
        return [GivenAdvice(case_id=r["case_id"], round=r["round"], assessor_id=r["assessor_id"],
                            form=_form(r["form"]), supplement_due_on=r["supplement_due_on"],
                            given_at=r["given_at"]) for r in rows]


_DECISION_COLUMNS = tuple(f.name for f in dataclasses.fields(Decision))


class DecisionRepository(_Repository):
    """DNV's decisions, annulled ones included (``domain.live_decisions`` tells those that stand)."""

    def add(self, decision: Decision) -> None:
        values = {name: getattr(decision, name) for name in _DECISION_COLUMNS}
        self.conn.execute(f"INSERT INTO decisions ({', '.join(values)}) "
                     f"VALUES ({', '.join(f'%({n})s' for n in values)})", values)

    def of_case(self, case_id: UUID) -> list[Decision]:
        rows = self.conn.execute("SELECT * FROM decisions WHERE case_id = %s ORDER BY decided_at, id",
                            (case_id,)).fetchall()
        return [Decision(**{n: r[n] for n in _DECISION_COLUMNS}) for r in rows]

    def annul(self, decision_id: UUID, *, objection_id: UUID, at: datetime) -> None:
        """An objection upheld against the decision annulled it (ADR 0011, amended)."""
        self.conn.execute("UPDATE decisions SET annulled_at = %s, annulled_by_objection_id = %s "
                          "WHERE id = %s AND annulled_at IS NULL", (at, objection_id, decision_id))

    def negative_for_period(self, certificate_id: UUID, expires_on: date) -> Decision | None:
        """The latest standing decision about this certificate period, when it is negative and final."""
        row = self.conn.execute(
            """SELECT d.* FROM decisions d JOIN cases c ON c.id = d.case_id
               WHERE c.certificate_id = %s AND c.certificate_expires_on = %s AND d.annulled_at IS NULL
               ORDER BY d.decided_at DESC, d.id DESC LIMIT 1""", (certificate_id, expires_on)).fetchone()
        if row is None or row["decision"] != "negative":
            return None
        return Decision(**{n: row[n] for n in _DECISION_COLUMNS})


_OBJECTION_COLUMNS = tuple(f.name for f in dataclasses.fields(Objection))


class ObjectionRepository(_Repository):
    """Objections and their outcomes."""

    def add(self, objection: Objection) -> bool:
        values = {name: getattr(objection, name) for name in _OBJECTION_COLUMNS}
        row = self.conn.execute(
            f"INSERT INTO objections ({', '.join(values)}) VALUES ({', '.join(f'%({n})s' for n in values)}) "
            "ON CONFLICT (decision_id) DO NOTHING RETURNING id", values).fetchone()
        return row is not None

    def of_case(self, case_id: UUID) -> list[Objection]:
        rows = self.conn.execute("SELECT * FROM objections WHERE case_id = %s ORDER BY filed_at",
                            (case_id,)).fetchall()
        return [Objection(**{n: r[n] for n in _OBJECTION_COLUMNS}) for r in rows]

    def get(self, objection_id: UUID, *, for_update: bool = False) -> Objection | None:
        row = self.conn.execute("SELECT * FROM objections WHERE id = %s" + _lock(for_update),
                           (objection_id,)).fetchone()
        return Objection(**{n: row[n] for n in _OBJECTION_COLUMNS}) if row else None

    def decide(self, objection_id: UUID, outcome: str, reason: str, decided_by: UUID,
               decided_at: datetime) -> None:
        self.conn.execute(
            "UPDATE objections SET outcome = %s, outcome_reason = %s, decided_by = %s, decided_at = %s "
            "WHERE id = %s", (outcome, reason, decided_by, decided_at, objection_id))


class SupplementRepository(_Repository):
    """Supplements after a postponed decision."""

    def add(self, supplement: Supplement) -> bool:
        row = self.conn.execute(
            """INSERT INTO supplements (supplement_id, case_id, submission_id, parts, submitted_at,
                                    snapshot_hash, supplement_submission_id)
               VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING supplement_id""",
            (supplement.supplement_id, supplement.case_id, supplement.submission_id, list(supplement.parts),
            supplement.submitted_at, supplement.snapshot_hash, supplement.supplement_submission_id),
        ).fetchone()
        return row is not None

    def of_case(self, case_id: UUID) -> Supplement | None:
        row = self.conn.execute("SELECT * FROM supplements WHERE case_id = %s", (case_id,)).fetchone()
        if row is None:
            return None
        return Supplement(row["supplement_id"], row["case_id"], row["submission_id"], tuple(row["parts"]),
                          row["submitted_at"], row["snapshot_hash"], row["supplement_submission_id"])


class AuditRepository(_Repository):
    """The cases' audit trail."""

    def add(self, entry: AuditEntry) -> None:
        self.conn.execute("INSERT INTO audit_trail (case_id, at, actor_id, role, action, details) "
                     "VALUES (%s, %s, %s, %s, %s, %s)",
                     (entry.case_id, entry.at, entry.actor_id, entry.role, entry.action,
                      Jsonb(dict(entry.details))))

    def of_case(self, case_id: UUID) -> list[AuditEntry]:
        rows = self.conn.execute("SELECT * FROM audit_trail WHERE case_id = %s ORDER BY id", (case_id,
                                                                                              )).fetchall()
        return [AuditEntry(r["case_id"], r["at"], r["actor_id"], r["role"], r["action"], r["details"])
                for r in rows]


class SqlAssessmentUnitOfWork(SqlUnitOfWork):
    producer = PRODUCER

    def bind(self, conn: Conn) -> None:
        self.accounts = AccountRepository(conn)
        self.pe_activities = PeActivityRepository(conn)
        self.paid_invoices = PaidInvoiceRepository(conn)
        self.certificates = CertificateRepository(conn)
        self.claim_codes = ClaimCodeRepository(conn)
        self.cases = CaseRepository(conn)
        self.pe_checks = PeCheckRepository(conn)
        self.advices = AdviceRepository(conn)
        self.decisions = DecisionRepository(conn)
        self.objections = ObjectionRepository(conn)
        self.supplements = SupplementRepository(conn)
        self.audit = AuditRepository(conn)
        self.issuer_keys = IssuerKeyRepository(conn)
        self.credentials = CredentialRepository(conn)


# --- verifiable credentials (ADR 0030) --------------------------------------------------------------------


class IssuerKeyRepository(SqlKeyTable):
    """The Ed25519 keys that sign credentials (private halves encrypted)."""

    def __init__(self, conn: Conn):
        super().__init__(conn, "issuer_keys", lock_name="recert_assessment.issuer_keys")


_CREDENTIAL_COLUMNS = ("id, certificate_id, status_list, status_index, valid_from, valid_until, kid, token, "
                       "issued_at, revoked_at, revocation_reason")


class CredentialRepository(_Repository):
    """The credentials issued, with their place in the status list."""

    def add(self, credential: Credential) -> bool:
        """False when the status index is taken (nothing written)."""
        c = credential
        row = self.conn.execute(
            f"INSERT INTO credentials ({_CREDENTIAL_COLUMNS}) VALUES ({', '.join(['%s'] * 11)}) "
            "ON CONFLICT (status_list, status_index) DO NOTHING RETURNING id",
            (c.id, c.certificate_id, c.status_list, c.status_index, c.valid_from, c.valid_until, c.kid,
             c.token, c.issued_at, c.revoked_at, c.revocation_reason)).fetchone()
        return row is not None

    def get(self, credential_id: UUID) -> Credential | None:
        row = self.conn.execute(f"SELECT {_CREDENTIAL_COLUMNS} FROM credentials WHERE id = %s",
                                (credential_id,)).fetchone()
        return Credential(**row) if row else None

    def live(self, certificate_id: UUID, valid_until: date) -> Credential | None:
        """The certificate's unrevoked credential for the period that ends on ``valid_until``."""
        row = self.conn.execute(
            f"SELECT {_CREDENTIAL_COLUMNS} FROM credentials WHERE certificate_id = %s AND valid_until = %s "
            "AND revoked_at IS NULL", (certificate_id, valid_until)).fetchone()
        return Credential(**row) if row else None

    def revoke_all(self, certificate_id: UUID, reason: str, now: datetime) -> list[Credential]:
        rows = self.conn.execute(
            f"UPDATE credentials SET revoked_at = %s, revocation_reason = %s "
            f"WHERE certificate_id = %s AND revoked_at IS NULL RETURNING {_CREDENTIAL_COLUMNS}",
            (now, reason, certificate_id)).fetchall()
        return [Credential(**row) for row in rows]

    def revoked_indexes(self, status_list: int) -> list[int]:
        rows = self.conn.execute("SELECT status_index FROM credentials WHERE status_list = %s "
                                 "AND revoked_at IS NOT NULL", (status_list,)).fetchall()
        return [row["status_index"] for row in rows]
