"""Certificates: loading existing holders from CSV, linking them to accounts, renewal, reactivation and
lapse, the jobcoach's tile and the public register.

The functions at module level run inside a caller's transaction (a use case, an event handler, the
scheduler) and record their events there; ``CertificateService`` holds the use cases of the HTTP API.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

import psycopg

from recert_assessment import store
from recert_assessment.certificate_csv import CsvRow, LineError, MalformedCsv, parse_certificate_csv
from recert_assessment.domain import (
    Case,
    Certificate,
    CertificateState,
    Decision,
    LapseReason,
    Tile,
    imported_valid_from,
    renewal,
    tile,
)
from recert_assessment.problems import CertificateConflict, CsvRowsRejected, CsvUnreadable, no_certificate
from recert_common import bus
from recert_common.db import Database

PRODUCER = "assessment"
REGISTER_MIN_QUERY = 3
REGISTER_LIMIT = 50
_log = logging.getLogger(__name__)


# --- inside a caller's transaction -----------------------------------------------------------------------


def _period(certificate: Certificate) -> dict[str, Any]:
    return {"certificate_id": certificate.id, "certificate_number": certificate.number,
            "account_id": certificate.account_id, "valid_from": certificate.valid_from,
            "valid_until": certificate.valid_until}


def link_account(conn: psycopg.Connection, certificate: Certificate, account_id: UUID, now: datetime) -> bool:
    """Give the certificate its account and, while it is active, announce it as registered (with the date up
    to which the holder had paid Noloc's register fee, when the import stated it). False when the account
    holds another certificate already (one certificate per jobcoach)."""
    other = store.certificate_of_account(conn, account_id)
    if other is not None and other.id != certificate.id:
        _log.warning("account holds another certificate; not linked",
                     extra={"certificate": certificate.number, "other": other.number})
        return False
    store.link_certificate(conn, certificate.id, account_id, now)
    if certificate.state == CertificateState.ACTIVE:
        linked = replace(certificate, account_id=account_id)
        bus.record(conn, "certification.certificate.registered", {
            **_period(linked), "register_fee_paid_until": store.register_fee_paid_until(conn, certificate.id),
        }, producer=PRODUCER, subject=account_id)
    return True


def link_known_account(conn: psycopg.Connection, account_id: UUID, membership_number: str | None,
                       now: datetime) -> bool:
    """identity.account.*: an imported certificate waiting for this membership number gets its account."""
    if membership_number is None:
        return False
    certificate = store.certificate_by_member(conn, membership_number, for_update=True)
    if certificate is None or certificate.account_id is not None:
        return False
    return link_account(conn, certificate, account_id, now)


def renew_after_positive(conn: psycopg.Connection, case: Case, decision: Decision) -> Certificate:
    """A positive decision: the certificate runs from the old expiry date for 4 years. A lapsed certificate
    (a negative decision, then a positive one on the new portfolio) is reactivated."""
    certificate = store.certificate(conn, case.certificate_id, for_update=True)
    if certificate is None:
        raise CertificateConflict("missing")
    if certificate.valid_until != case.certificate_expires_on:
        raise CertificateConflict("period_mismatch", valid_until=certificate.valid_until.isoformat(),
                                  expires_on=case.certificate_expires_on.isoformat())
    valid_from, valid_until = renewal(certificate, case.certificate_expires_on)
    store.set_validity(conn, certificate.id, valid_from, valid_until)
    renewed = replace(certificate, valid_from=valid_from, valid_until=valid_until,
                      state=CertificateState.ACTIVE, lapsed_on=None, lapse_reason=None)
    account_id = certificate.account_id or case.account_id
    data = {**_period(renewed), "account_id": account_id, "decision_id": decision.id}
    if certificate.state == CertificateState.LAPSED:
        bus.record(conn, "certification.certificate.reactivated", data, producer=PRODUCER, subject=account_id)
    else:
        bus.record(conn, "certification.certificate.renewed",
                   {**data, "previous_valid_until": certificate.valid_until}, producer=PRODUCER,
                   subject=account_id)
    return renewed


def lapse_if_due(conn: psycopg.Connection, certificate: Certificate, today: date) -> bool:
    """Lapse an active certificate whose expiry date has passed without a positive decision.

    A regular case still running for the period holds it: a portfolio submitted in time is judged, and a
    positive decision renews from the old expiry date. A whole new portfolio after a negative decision does
    not hold it: the certificate lapses at expiry and a positive decision reactivates it.
    """
    if certificate.state != CertificateState.ACTIVE or today <= certificate.valid_until:
        return False
    if store.open_case_for_period(conn, certificate.id, certificate.valid_until, regular_only=True):
        return False
    negative = store.negative_decision_for_period(conn, certificate.id, certificate.valid_until)
    reason = LapseReason.NEGATIVE_DECISION if negative else LapseReason.NOT_RECERTIFIED
    if not store.lapse_certificate(conn, certificate.id, today, reason):
        return False
    if certificate.account_id is not None:
        bus.record(conn, "certification.certificate.lapsed", {
            "certificate_id": certificate.id, "certificate_number": certificate.number,
            "account_id": certificate.account_id, "lapsed_on": today, "reason": str(reason),
            "new_portfolio_deadline": negative.new_portfolio_deadline if negative else None,
        }, producer=PRODUCER, subject=certificate.account_id)
    return True


# --- use cases -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    rows: int
    created: int
    unchanged: int
    linked: int  # created and linked to a known account (certificate.registered recorded)

    @property
    def awaiting_account(self) -> int:
        return self.created - self.linked


@dataclass(frozen=True)
class CertificateView:
    certificate: Certificate
    name: str | None


class CertificateService:
    def __init__(self, db: Database, *, today: Callable[[], date], now: Callable[[], datetime]):
        self.db = db
        self.today = today
        self.now = now

    def import_csv(self, data: bytes) -> ImportResult:
        """Load existing holders; all or nothing: any wrong line refuses the file (each wrong line named).
        A row whose certificate is known with the same Noloc number is unchanged, so loading a file twice
        changes nothing."""
        try:
            parsed = parse_certificate_csv(data, today=self.today())
        except MalformedCsv as malformed:
            raise CsvUnreadable(malformed) from None
        errors = list(parsed.errors)
        created = unchanged = linked = 0
        now = self.now()
        with self.db.transaction() as conn:
            for row in parsed.rows:
                outcome = self._import_row(conn, row, now)
                if isinstance(outcome, LineError):
                    errors.append(outcome)
                elif outcome == "unchanged":
                    unchanged += 1
                else:
                    created += 1
                    linked += outcome == "linked"
            if errors:
                raise CsvRowsRejected(errors)  # inside the transaction: nothing stays
        _log.info("certificates imported",
                  extra={"certificates_created": created, "unchanged": unchanged, "linked": linked})
        return ImportResult(rows=len(parsed.rows), created=created, unchanged=unchanged, linked=linked)

    def _import_row(self, conn: psycopg.Connection, row: CsvRow, now: datetime) -> LineError | str:
        certificate = Certificate(
            id=uuid.uuid4(), number=row.certificate_number, membership_number=row.membership_number,
            account_id=None, valid_from=imported_valid_from(row.valid_until), valid_until=row.valid_until,
            state=CertificateState.ACTIVE)
        if not store.insert_certificate(conn, certificate):
            return self._known(conn, row)
        if row.register_fee_paid_until is not None:
            store.set_register_fee_paid_until(conn, certificate.id, row.register_fee_paid_until)
        account = store.account_by_number(conn, row.membership_number)
        if account is not None and link_account(conn, certificate, account["account_id"], now):
            return "linked"
        return "created"

    @staticmethod
    def _known(conn: psycopg.Connection, row: CsvRow) -> LineError | str:
        known = store.certificate_by_number(conn, row.certificate_number)
        if known is None:
            holder = store.certificate_by_member(conn, row.membership_number)
            return LineError(row.line, "noloc_number", "member_has_certificate",
                             {"value": holder.number if holder else "?"})
        # The same holder: unchanged, also after a renewal moved the expiry date on.
        if known.membership_number == row.membership_number and known.valid_until >= row.valid_until:
            return "unchanged"
        return LineError(row.line, "certificate_number", "number_taken", {"value": row.certificate_number})

    def tile(self, account_id: UUID) -> Tile:
        with self.db.transaction() as conn:
            certificate = store.certificate_of_account(conn, account_id)
            if certificate is None:
                raise no_certificate()
            negative = store.negative_decision_for_period(conn, certificate.id, certificate.valid_until)
        return tile(certificate, self.today(), negative)

    def get(self, certificate_id: UUID) -> CertificateView | None:
        with self.db.transaction() as conn:
            certificate = store.certificate(conn, certificate_id)
            if certificate is None:
                return None
            return CertificateView(certificate, store.names(conn, [certificate.account_id]).get(
                certificate.account_id))

    def list(self, *, number: str | None, account_id: UUID | None, state: str | None, page: int,
             page_size: int) -> tuple[list[CertificateView], int]:
        with self.db.transaction() as conn:
            items, total = store.list_certificates(conn, number=number, account_id=account_id, state=state,
                                                   page=page, page_size=page_size)
            names = store.names(conn, [c.account_id for c in items])
        return [CertificateView(c, names.get(c.account_id)) for c in items], total

    def search_register(self, text: str) -> list[dict[str, Any]]:
        """Active certificates only: a lapsed certificate has left the register."""
        with self.db.transaction() as conn:
            return store.register_search(conn, text=text.strip(), limit=REGISTER_LIMIT)

    def register_entry(self, number: str) -> dict[str, Any] | None:
        """The active certificate with ``number``; None for a lapsed one, as for an unknown one."""
        with self.db.transaction() as conn:
            return store.register_entry(conn, number.strip())
