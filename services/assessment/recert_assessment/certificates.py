"""Certificates: loading existing holders from CSV, linking them to accounts, renewal, reactivation and
lapse, the jobcoach's tile and the public register.

The functions at module level work in a caller's unit of work (a use case, an event handler, the scheduler)
and publish their events there; ``CertificateService`` holds the use cases of the HTTP API.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from recert_assessment.certificate_csv import CsvRow, LineError, MalformedCsv, parse_certificate_csv
from recert_assessment.credentials import LAPSED, revoke_for_certificate
from recert_assessment.domain import (
    CLAIM_CODE_VALID,
    CLAIM_FAILURE_WINDOW,
    CLAIM_FAILURES_ALLOWED,
    Case,
    Certificate,
    CertificateConflict,
    CertificateState,
    ClaimCodeRejected,
    ClaimThrottled,
    CsvRowsRejected,
    CsvUnreadable,
    Decision,
    NoCertificate,
    RegisterEntry,
    Tile,
    claim_code_hash,
    imported_valid_from,
    lapse_reason,
    new_claim_code,
    renewed_certificate,
    tile,
)
from recert_common.clock import utcnow
from recert_common.domain_errors import NotFoundError
from recert_common.uow import UnitOfWork

REGISTER_MIN_QUERY = 3
REGISTER_LIMIT = 50
_log = logging.getLogger(__name__)


# --- inside a caller's transaction -----------------------------------------------------------------------


def _period(certificate: Certificate) -> dict[str, Any]:
    return {"certificate_id": certificate.id, "certificate_number": certificate.number,
            "account_id": certificate.account_id, "valid_from": certificate.valid_from,
            "valid_until": certificate.valid_until}


def link_account(uow: Any, certificate: Certificate, account_id: UUID, now: datetime) -> bool:
    """Give the certificate its account and, while it is active, announce it as registered (with the date up
    to which the holder had paid Noloc's register fee, when the import stated it). False when the account
    holds another certificate already (one certificate per jobcoach)."""
    other = uow.certificates.of_account(account_id)
    if other is not None and other.id != certificate.id:
        _log.warning("account holds another certificate; not linked",
                     extra={"certificate": certificate.number, "other": other.number})
        return False
    uow.certificates.link(certificate.id, account_id, now)
    if certificate.state == CertificateState.ACTIVE:
        linked = replace(certificate, account_id=account_id)
        uow.publish("certification.certificate.registered", {
            **_period(linked),
            "register_fee_paid_until": uow.certificates.register_fee_paid_until(certificate.id),
        }, subject=account_id)
    return True


def link_known_account(uow: Any, account_id: UUID, membership_number: str | None, email: str | None,
                       now: datetime) -> bool:
    """identity.account.* (identity announces verified accounts only): an imported certificate waiting for
    its holder gets this account when the import's Noloc number and e-mail address are the account's. A
    number alone links nothing: anyone can type someone else's (ADR 0018); the holder then claims it with a
    code from Noloc or DNV."""
    if membership_number is None:
        return False
    uow.certificates.lock_holders()  # a running import commits first, or waits
    certificate = uow.certificates.by_member(membership_number, for_update=True)
    if certificate is None or certificate.account_id is not None:
        return False
    if not certificate.belongs_to(email, membership_number):
        _log.info("certificate waits: the account's e-mail is not the holder's",
                  extra={"certificate": certificate.number})
        return False
    return link_account(uow, certificate, account_id, now)


def renew_after_positive(uow: Any, case: Case, decision: Decision) -> Certificate:
    """A positive decision: the certificate runs from the old expiry date for 4 years. A lapsed certificate
    (a negative decision, then a positive one on the new portfolio) is reactivated."""
    certificate = uow.certificates.get(case.certificate_id, for_update=True)
    renewed = renewed_certificate(certificate, case)
    uow.certificates.set_validity(certificate.id, renewed.valid_from, renewed.valid_until)
    account_id = certificate.account_id or case.account_id
    data = {**_period(renewed), "account_id": account_id, "decision_id": decision.id}
    if certificate.state == CertificateState.LAPSED:
        uow.publish("certification.certificate.reactivated", data, subject=account_id)
    else:
        uow.publish("certification.certificate.renewed",
                    {**data, "previous_valid_until": certificate.valid_until}, subject=account_id)
    return renewed


def lapse_if_due(uow: Any, certificate: Certificate, today: date, now: datetime | None = None) -> bool:
    """Lapse an active certificate whose expiry date has passed without a positive decision (the rule:
    ``domain.lapse_reason``); announced when the certificate has its account. Its credentials are revoked
    with it (their status bits set, ADR 0030)."""
    if certificate.state != CertificateState.ACTIVE or today <= certificate.valid_until:
        return False
    negative = None
    regular_case_open = uow.cases.open_for_period(certificate.id, certificate.valid_until, regular_only=True)
    if not regular_case_open:
        negative = uow.decisions.negative_for_period(certificate.id, certificate.valid_until)
    reason = lapse_reason(certificate, today, regular_case_open=regular_case_open, negative=negative)
    if reason is None or not uow.certificates.lapse(certificate.id, today, reason):
        return False
    if certificate.account_id is not None:
        uow.publish("certification.certificate.lapsed", {
            "certificate_id": certificate.id, "certificate_number": certificate.number,
            "account_id": certificate.account_id, "lapsed_on": today, "reason": str(reason),
            "new_portfolio_deadline": negative.new_portfolio_deadline if negative else None,
        }, subject=certificate.account_id)
    revoke_for_certificate(uow, certificate, LAPSED, now or utcnow())
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
    def __init__(self, uow: Callable[[], UnitOfWork], *, today: Callable[[], date],
                 now: Callable[[], datetime]):
        self.uow = uow
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
        with self.uow() as uow:
            # Before any row is read: an account change giving one of these numbers commits first, or waits
            # for this import.
            uow.certificates.lock_holders()
            for row in parsed.rows:
                outcome = self._import_row(uow, row, now)
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

    def _import_row(self, uow: Any, row: CsvRow, now: datetime) -> LineError | str:
        certificate = Certificate(
            id=uuid.uuid4(), number=row.certificate_number, membership_number=row.membership_number,
            account_id=None, valid_from=imported_valid_from(row.valid_until), valid_until=row.valid_until,
            state=CertificateState.ACTIVE, holder_email=row.email, holder_name=row.name)
        if not uow.certificates.add(certificate):
            return self._known(uow, row, now)
        if row.register_fee_paid_until is not None:
            uow.certificates.set_register_fee_paid_until(certificate.id, row.register_fee_paid_until)
        return "linked" if self._link_holder(uow, certificate, now) else "created"

    @staticmethod
    def _link_holder(uow: Any, certificate: Certificate, now: datetime) -> bool:
        """Link the verified account whose number and e-mail address are the import's, when there is one."""
        for account in uow.accounts.by_number(certificate.membership_number):
            if certificate.belongs_to(account.email, account.membership_number):
                return link_account(uow, certificate, account.account_id, now)
        return False

    def _known(self, uow: Any, row: CsvRow, now: datetime) -> LineError | str:
        known = uow.certificates.by_number(row.certificate_number)
        if known is None:
            holder = uow.certificates.by_member(row.membership_number)
            return LineError(row.line, "noloc_number", "member_has_certificate",
                             {"value": holder.number if holder else "?"})
        # The same holder: unchanged, also after a renewal moved the expiry date on. The holder's address
        # and name follow Noloc's latest file; a waiting certificate may find its account by them now.
        if known.membership_number == row.membership_number and known.valid_until >= row.valid_until:
            if (known.holder_email, known.holder_name) != (row.email, row.name):
                uow.certificates.set_holder(known.id, row.email, row.name)
                known = replace(known, holder_email=row.email, holder_name=row.name)
            if known.account_id is None:
                self._link_holder(uow, known, now)
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
        with self.uow() as uow:
            certificate = uow.certificates.get(certificate_id, for_update=True)
            if certificate is None:
                raise NotFoundError("certificate")
            if certificate.account_id is not None:
                raise CertificateConflict("already_linked")
            uow.claim_codes.add(code_hash=claim_code_hash(code), certificate_id=certificate.id,
                                    issued_by=issued_by, created_at=now, expires_at=expires_at)
        _log.info("claim code issued", extra={"certificate": certificate.number, "issued_by": str(issued_by)})
        return code, expires_at

    def redeem_claim_code(self, account_id: UUID, code: str) -> Certificate:
        """The jobcoach claims the certificate with the code Noloc or DNV gave them. Refused (and counted)
        when the code is wrong, used or expired; after ``CLAIM_FAILURES_ALLOWED`` failures in
        ``CLAIM_FAILURE_WINDOW`` every try is refused (throttled) until the window has passed.

        A try counts as failed from the start, under the account's lock, and is forgotten only when it
        succeeds or fails for a reason that is not the code's: tries sent at the same moment are counted one
        after the other, not each against the failures committed before any of them."""
        now = self.now()
        with self.uow() as uow:
            uow.claim_codes.lock_account(account_id)
            failures = uow.claim_codes.failures_since(account_id, now - CLAIM_FAILURE_WINDOW)
            if failures >= CLAIM_FAILURES_ALLOWED:
                raise ClaimThrottled(int(CLAIM_FAILURE_WINDOW.total_seconds()))
            attempt = uow.claim_codes.record_attempt(account_id, now)
        try:
            with self.uow() as uow:  # a refusal rolls back: the code stays usable for its holder
                account = uow.accounts.get(account_id)
                certificate_id = uow.claim_codes.take(claim_code_hash(code), account_id, now)
                certificate = (uow.certificates.get(certificate_id, for_update=True) if certificate_id
                               else None)
                if certificate is None or certificate.account_id is not None:
                    raise ClaimCodeRejected()
                if account is None or account.membership_number != certificate.membership_number:
                    raise CertificateConflict("claim_number_differs")
                if not link_account(uow, certificate, account_id, now):
                    raise CertificateConflict("account_has_certificate")
                uow.claim_codes.forget_attempt(attempt)
        except (ClaimCodeRejected, CertificateConflict):
            raise  # the attempt stays counted
        except Exception:
            with self.uow() as uow:  # the database or a bug, not the code: not held against the jobcoach
                uow.claim_codes.forget_attempt(attempt)
            raise
        return replace(certificate, account_id=account_id)

    def tile(self, account_id: UUID) -> Tile:
        with self.uow() as uow:
            certificate = uow.certificates.of_account(account_id)
            if certificate is None:
                raise NoCertificate("no certificate")
            negative = uow.decisions.negative_for_period(certificate.id, certificate.valid_until)
        return tile(certificate, self.today(), negative)

    def get(self, certificate_id: UUID) -> CertificateView | None:
        with self.uow() as uow:
            certificate = uow.certificates.get(certificate_id)
            if certificate is None:
                return None
            return CertificateView(certificate, uow.accounts.names([certificate.account_id]).get(
                certificate.account_id))

    def list(self, *, number: str | None, account_id: UUID | None, state: str | None, page: int,
             page_size: int) -> tuple[list[CertificateView], int]:
        with self.uow() as uow:
            items, total = uow.certificates.list(number=number, account_id=account_id, state=state, page=page,
                                                 page_size=page_size)
            names = uow.accounts.names([c.account_id for c in items])
        return [CertificateView(c, names.get(c.account_id)) for c in items], total

    def search_register(self, text: str) -> list[RegisterEntry]:
        """Active certificates only: a lapsed certificate has left the register."""
        with self.uow() as uow:
            return uow.certificates.register_search(text=text.strip(), limit=REGISTER_LIMIT)

    def register_entry(self, number: str) -> RegisterEntry | None:
        """The active certificate with ``number``; None for a lapsed one, as for an unknown one."""
        with self.uow() as uow:
            return uow.certificates.register_entry(number.strip())
