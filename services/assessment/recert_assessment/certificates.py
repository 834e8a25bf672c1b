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
    CLAIM_CODE_VALID,
    CLAIM_FAILURE_WINDOW,
    CLAIM_FAILURES_ALLOWED,
    Case,
    Certificate,
    CertificateState,
    Decision,
    LapseReason,
    Tile,
    claim_code_hash,
    imported_valid_from,
    new_claim_code,
    renewal,
    tile,
)
from recert_assessment.problems import (
    CertificateConflict,
    ClaimCodeRejected,
    ClaimThrottled,
    CsvRowsRejected,
    CsvUnreadable,
    no_certificate,
    no_certificate_found,
)
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
                       email: str | None, now: datetime) -> bool:
    """identity.account.* (identity announces verified accounts only): an imported certificate waiting for
    its holder gets this account when the import's Noloc number and e-mail address are the account's. A
    number alone links nothing: anyone can type someone else's (ADR 0018); the holder then claims it with a
    code from Noloc or DNV."""
    if membership_number is None:
        return False
    certificate = store.certificate_by_member(conn, membership_number, for_update=True)
    if certificate is None or certificate.account_id is not None:
        return False
    if not certificate.belongs_to(email, membership_number):
        _log.info("certificate waits: the account's e-mail is not the holder's",
                  extra={"certificate": certificate.number})
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
            state=CertificateState.ACTIVE, holder_email=row.email, holder_name=row.name)
        if not store.insert_certificate(conn, certificate):
            return self._known(conn, row, now)
        if row.register_fee_paid_until is not None:
            store.set_register_fee_paid_until(conn, certificate.id, row.register_fee_paid_until)
        return "linked" if self._link_holder(conn, certificate, now) else "created"

    @staticmethod
    def _link_holder(conn: psycopg.Connection, certificate: Certificate, now: datetime) -> bool:
        """Link the verified account whose number and e-mail address are the import's, when there is one."""
        for account in store.accounts_by_number(conn, certificate.membership_number):
            if certificate.belongs_to(account["email"], account["membership_number"]):
                return link_account(conn, certificate, account["account_id"], now)
        return False

    def _known(self, conn: psycopg.Connection, row: CsvRow, now: datetime) -> LineError | str:
        known = store.certificate_by_number(conn, row.certificate_number)
        if known is None:
            holder = store.certificate_by_member(conn, row.membership_number)
            return LineError(row.line, "noloc_number", "member_has_certificate",
                             {"value": holder.number if holder else "?"})
        # The same holder: unchanged, also after a renewal moved the expiry date on. The holder's address
        # and name follow Noloc's latest file; a waiting certificate may find its account by them now.
        if known.membership_number == row.membership_number and known.valid_until >= row.valid_until:
            if (known.holder_email, known.holder_name) != (row.email, row.name):
                store.set_holder(conn, known.id, row.email, row.name)
                known = replace(known, holder_email=row.email, holder_name=row.name)
            if known.account_id is None:
                self._link_holder(conn, known, now)
            return "unchanged"
        return LineError(row.line, "certificate_number", "number_taken", {"value": row.certificate_number})

    # --- claim codes (ADR 0018) --------------------------------------------------------------------------

    def issue_claim_code(self, certificate_id: UUID, *, issued_by: UUID) -> tuple[str, datetime]:
        """A single-use code for the holder of a certificate that waits for its account (the e-mail address
        Noloc holds was not the one the holder verified). Shown once; only its hash is kept; an earlier
        live code of the certificate stops working."""
        now = self.now()
        code = new_claim_code()
        expires_at = now + CLAIM_CODE_VALID
        with self.db.transaction() as conn:
            certificate = store.certificate(conn, certificate_id, for_update=True)
            if certificate is None:
                raise no_certificate_found()
            if certificate.account_id is not None:
                raise CertificateConflict("already_linked")
            store.insert_claim_code(conn, code_hash=claim_code_hash(code), certificate_id=certificate.id,
                                    issued_by=issued_by, created_at=now, expires_at=expires_at)
        _log.info("claim code issued", extra={"certificate": certificate.number, "issued_by": str(issued_by)})
        return code, expires_at

    def redeem_claim_code(self, account_id: UUID, code: str) -> Certificate:
        """The jobcoach claims the certificate with the code Noloc or DNV gave them. Refused (and counted)
        when the code is wrong, used or expired; after ``CLAIM_FAILURES_ALLOWED`` failures in
        ``CLAIM_FAILURE_WINDOW`` every try is refused with 429 until the window has passed."""
        now = self.now()
        with self.db.transaction() as conn:
            failures = store.claim_failures_since(conn, account_id, now - CLAIM_FAILURE_WINDOW)
        if failures >= CLAIM_FAILURES_ALLOWED:
            raise ClaimThrottled(int(CLAIM_FAILURE_WINDOW.total_seconds()))
        try:
            with self.db.transaction() as conn:  # a refusal rolls back: the code stays usable for its holder
                account = store.account(conn, account_id)
                certificate_id = store.take_claim_code(conn, claim_code_hash(code), account_id, now)
                certificate = (store.certificate(conn, certificate_id, for_update=True) if certificate_id
                               else None)
                if certificate is None or certificate.account_id is not None:
                    raise ClaimCodeRejected()
                if account is None or account["membership_number"] != certificate.membership_number:
                    raise CertificateConflict("claim_number_differs")
                if not link_account(conn, certificate, account_id, now):
                    raise CertificateConflict("account_has_certificate")
        except (ClaimCodeRejected, CertificateConflict):
            with self.db.transaction() as conn:
                store.record_claim_failure(conn, account_id, now)
            raise
        return replace(certificate, account_id=account_id)

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
