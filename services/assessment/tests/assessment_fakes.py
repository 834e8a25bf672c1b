"""Assessment's unit of work in memory, for the fast tests: the same repositories and methods as ``store``,
on dictionaries. A block that raises leaves the repositories as they were (as the rolled-back transaction
would) and publishes nothing."""
from __future__ import annotations

import copy
import dataclasses
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from recert_assessment.credentials import Credential, IssuerKey
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
from recert_assessment.handlers import Handlers
from recert_assessment.schedule import Scheduler
from recert_assessment.service import AssessmentService
from recert_assessment.settings import AssessmentSettings
from recert_assessment.states import CLOSED_STATES
from recert_assessment.store import SqlAssessmentUnitOfWork
from recert_common.crypto import new_key
from recert_common.rules import add_months
from recert_common.uow import FakeUnitOfWork

_ACTIVITY_FIELDS = ("activity_id", "account_id", "category", "title", "completed_on", "unit", "amount",
                    "points", "source")


def _page(items: list, page: int, page_size: int) -> list:
    return items[(page - 1) * page_size:page * page_size]


class FakeAccounts:
    def __init__(self) -> None:
        self.rows: dict[UUID, Account] = {}
        self.as_of: dict[UUID, datetime] = {}
        self.order: dict[UUID, int] = {}

    def upsert(self, account_id: UUID, full_name: str, membership_number: str | None, roles: Iterable[str],
               email: str | None = None, *, occurred_at: datetime) -> bool:
        if account_id in self.as_of and self.as_of[account_id] > occurred_at:
            return False
        old = self.rows.get(account_id)
        self.rows[account_id] = Account(account_id, full_name, membership_number, tuple(roles),
                                        email if email is not None else (old.email if old else None))
        self.as_of[account_id] = occurred_at
        self.order[account_id] = len(self.order)
        return True

    def get(self, account_id: UUID) -> Account | None:
        return self.rows.get(account_id)

    def by_number(self, membership_number: str) -> list[Account]:
        found = [a for a in self.rows.values() if a.membership_number == membership_number]
        return sorted(found, key=lambda a: self.order[a.account_id])

    def with_role(self, role: str) -> list[Account]:
        return sorted((a for a in self.rows.values() if a.has_role(role)),
                      key=lambda a: (a.full_name, str(a.account_id)))

    def names(self, account_ids: Iterable[UUID | None]) -> dict[UUID, str]:
        return {i: self.rows[i].full_name for i in set(account_ids) if i is not None and i in self.rows}


class FakePeActivities:
    """As the SQL repository: newest event wins, removals are final (tombstones)."""

    def __init__(self) -> None:
        self.rows: dict[UUID, dict[str, Any]] = {}
        self.occurred: dict[UUID, datetime | None] = {}
        self.evidence: dict[UUID, dict[str, Any]] = {}
        self.removed_activities: dict[UUID, UUID] = {}
        self.removed_evidence: dict[UUID, UUID] = {}

    def upsert(self, data: Mapping[str, Any], occurred_at: datetime) -> bool:
        activity_id = data["activity_id"]
        if activity_id in self.removed_activities:
            return False
        stored = self.occurred.get(activity_id)
        if activity_id in self.rows and stored is not None and stored > occurred_at:
            return False
        self.rows[activity_id] = {name: data[name] for name in _ACTIVITY_FIELDS}
        self.occurred[activity_id] = occurred_at
        return True

    def delete(self, activity_id: UUID, account_id: UUID, removed_at: datetime) -> None:
        self.removed_activities.setdefault(activity_id, account_id)
        self.rows.pop(activity_id, None)
        self.occurred.pop(activity_id, None)
        self.evidence = {k: v for k, v in self.evidence.items() if v["activity_id"] != activity_id}

    def add_evidence(self, data: Mapping[str, Any]) -> bool:
        if data["evidence_id"] in self.removed_evidence or data["activity_id"] in self.removed_activities \
                or data["evidence_id"] in self.evidence:
            return False
        self.evidence[data["evidence_id"]] = dict(data)
        return True

    def delete_evidence(self, evidence_id: UUID, account_id: UUID, removed_at: datetime) -> None:
        self.removed_evidence.setdefault(evidence_id, account_id)
        self.evidence.pop(evidence_id, None)

    def get_many(self, activity_ids: Sequence[UUID]) -> dict[UUID, PeActivity]:
        found = {}
        for activity_id in activity_ids:
            row = self.rows.get(activity_id)
            if row is None:
                continue
            evidence = sorted((e for e in self.evidence.values() if e["activity_id"] == activity_id),
                              key=lambda e: (e["filename"], str(e["evidence_id"])))
            found[activity_id] = PeActivity(**row, evidence=tuple(
                Evidence(e["evidence_id"], e["sha256"], e["size"], e["content_type"], e["filename"])
                for e in evidence))
        return found


class FakePaidInvoices:
    def __init__(self) -> None:
        self.rows: dict[UUID, dict[str, Any]] = {}

    def add(self, data: Mapping[str, Any]) -> bool:
        if data["invoice_id"] in self.rows:
            return False
        self.rows[data["invoice_id"]] = {name: data.get(name) for name in (
            "invoice_id", "kind", "account_id", "submission_id", "case_id", "paid_on")}
        return True

    def recertification_paid(self, submission_id: UUID) -> bool:
        return any(r["kind"] == "recertification" and r["submission_id"] == submission_id
                   for r in self.rows.values())

    def reassessment_paid(self, case_id: UUID, submission_id: UUID) -> bool:
        return any(r["kind"] == "reassessment" and (r["case_id"] == case_id or (
            r["case_id"] is None and r["submission_id"] == submission_id)) for r in self.rows.values())


class FakeCertificates:
    def __init__(self, cases: FakeCases) -> None:
        self._cases = cases
        self.rows: dict[UUID, Certificate] = {}
        self.fee_paid_until: dict[UUID, date | None] = {}
        self.expiry_notices: set[tuple[UUID, int, date]] = set()

    def add(self, certificate: Certificate) -> bool:
        if any(c.id == certificate.id or c.number == certificate.number
               or c.membership_number == certificate.membership_number for c in self.rows.values()):
            return False
        self.rows[certificate.id] = certificate
        return True

    def get(self, certificate_id: UUID, *, for_update: bool = False) -> Certificate | None:
        return self.rows.get(certificate_id)

    def _one(self, **where: Any) -> Certificate | None:
        return next((c for c in self.rows.values()
                     if all(getattr(c, k) == v for k, v in where.items())), None)

    def by_number(self, number: str) -> Certificate | None:
        return self._one(number=number)

    def lock_holders(self) -> None:
        """Nothing to serialise: the fast tests run one unit of work at a time (the race it closes is
        tested against PostgreSQL, test_assessment_certificates.py)."""

    def by_member(self, membership_number: str, *, for_update: bool = False) -> Certificate | None:
        return self._one(membership_number=membership_number)

    def of_account(self, account_id: UUID) -> Certificate | None:
        return self._one(account_id=account_id)

    def _change(self, certificate_id: UUID, **changes: Any) -> None:
        self.rows[certificate_id] = dataclasses.replace(self.rows[certificate_id], **changes)

    def link(self, certificate_id: UUID, account_id: UUID, registered_at: datetime) -> None:
        self._change(certificate_id, account_id=account_id, registered_at=registered_at)

    def set_holder(self, certificate_id: UUID, email: str, name: str) -> None:
        self._change(certificate_id, holder_email=email, holder_name=name)

    def set_validity(self, certificate_id: UUID, valid_from: date, valid_until: date) -> None:
        self._change(certificate_id, valid_from=valid_from, valid_until=valid_until,
                     state=CertificateState.ACTIVE, lapsed_on=None, lapse_reason=None)

    def lapse(self, certificate_id: UUID, lapsed_on: date, reason: LapseReason) -> bool:
        if self.rows[certificate_id].state != CertificateState.ACTIVE:
            return False
        self._change(certificate_id, state=CertificateState.LAPSED, lapsed_on=lapsed_on, lapse_reason=reason)
        return True

    def list(self, *, number: str | None, account_id: UUID | None, state: str | None, page: int,
             page_size: int) -> tuple[list[Certificate], int]:
        found = sorted((c for c in self.rows.values()
                        if (number is None or c.number == number)
                        and (account_id is None or c.account_id == account_id)
                        and (state is None or c.state == state)), key=lambda c: c.number)
        return _page(found, page, page_size), len(found)

    def set_register_fee_paid_until(self, certificate_id: UUID, paid_until: date | None) -> None:
        self.fee_paid_until[certificate_id] = paid_until

    def register_fee_paid_until(self, certificate_id: UUID) -> date | None:
        return self.fee_paid_until.get(certificate_id)

    @staticmethod
    def _entry(c: Certificate) -> RegisterEntry:
        return RegisterEntry(c.holder_name, c.number, c.valid_until, str(c.state))

    def register_search(self, *, text: str, limit: int) -> list[RegisterEntry]:
        found = [c for c in self.rows.values() if c.state == CertificateState.ACTIVE and (
            c.number.upper() == text.upper() or text.lower() in (c.holder_name or "").lower())]
        found.sort(key=lambda c: (c.holder_name is None, c.holder_name or "", c.number))
        return [self._entry(c) for c in found[:limit]]

    def register_entry(self, number: str) -> RegisterEntry | None:
        found = next((c for c in self.rows.values()
                      if c.state == CertificateState.ACTIVE and c.number.upper() == number.upper()), None)
        return self._entry(found) if found else None

    def reminders_unsent(self, today: date, horizon: date, months: Sequence[int]
                         ) -> list[tuple[UUID, date, int]]:
        found = []
        for c in sorted(self.rows.values(), key=lambda c: (c.valid_until, str(c.id))):
            due = [m for m in months if add_months(c.valid_until, -m) <= today]
            if c.state != CertificateState.ACTIVE or c.account_id is None \
                    or not today <= c.valid_until <= horizon or not due \
                    or (c.id, min(due), c.valid_until) in self.expiry_notices \
                    or self._cases.open_for_period(c.id, c.valid_until):
                continue
            found.append((c.id, c.valid_until, min(due)))
        return found

    def add_expiry_notices(self, due: Sequence[ExpiryNotice]) -> list[tuple[ExpiryNotice, Certificate]]:
        recorded = []
        for notice in sorted(due):
            key = (notice.certificate_id, notice.months_before, notice.valid_until)
            c = self.rows.get(notice.certificate_id)
            if c is None or c.state != CertificateState.ACTIVE or c.account_id is None \
                    or c.valid_until != notice.valid_until or key in self.expiry_notices \
                    or self._cases.open_for_period(c.id, c.valid_until):
                continue
            self.expiry_notices.add(key)
            recorded.append((notice, c))
        return sorted(recorded, key=lambda pair: (pair[1].valid_until, pair[1].id))

    def lapse_candidates(self, today: date, silence_from: date) -> list[Certificate]:
        # Every expired certificate: more than the store's narrowing, which the domain's rule makes harmless.
        return sorted((c for c in self.rows.values()
                       if c.state == CertificateState.ACTIVE and c.valid_until < today),
                      key=lambda c: c.valid_until)

    def note_deadline_missed(self, certificate_id: UUID, valid_until: date) -> None:
        self._change(certificate_id, deadline_missed_for=valid_until)

    def lock_active(self, certificate_id: UUID) -> Certificate | None:
        found = self.rows.get(certificate_id)
        return found if found is not None and found.state == CertificateState.ACTIVE else None


class FakeClaimCodes:
    def __init__(self) -> None:
        self.codes: dict[bytes, dict[str, Any]] = {}
        self.failures: list[tuple[UUID, datetime]] = []  # a forgotten one is dated datetime.min
        self.locked: list[UUID] = []  # accounts whose attempts were serialised

    def add(self, *, code_hash: bytes, certificate_id: UUID, issued_by: UUID, created_at: datetime,
            expires_at: datetime) -> None:
        for code in self.codes.values():
            if code["certificate_id"] == certificate_id and code["used_at"] is None \
                    and code["expires_at"] > created_at:
                code["expires_at"] = created_at
        self.codes[code_hash] = {"certificate_id": certificate_id, "expires_at": expires_at, "used_at": None,
                                 "used_by": None}

    def take(self, code_hash: bytes, account_id: UUID, now: datetime) -> UUID | None:
        code = self.codes.get(code_hash)
        if code is None or code["used_at"] is not None or code["expires_at"] <= now:
            return None
        code.update(used_at=now, used_by=account_id)
        return code["certificate_id"]

    def lock_account(self, account_id: UUID) -> None:
        self.locked.append(account_id)

    def record_attempt(self, account_id: UUID, now: datetime) -> int:
        self.failures.append((account_id, now))
        return len(self.failures) - 1

    def forget_attempt(self, attempt_id: int) -> None:
        self.failures[attempt_id] = (self.failures[attempt_id][0], datetime.min.replace(tzinfo=UTC))

    def failures_since(self, account_id: UUID, since: datetime) -> int:
        return sum(1 for a, at in self.failures if a == account_id and at > since)


class FakeCases:
    def __init__(self) -> None:
        self.rows: dict[UUID, Case] = {}
        self.overdue_notices: set[tuple[UUID, date]] = set()
        # mentorship_id -> [account_id, mentor_id, started_at, ended_at]
        self.mentorships: dict[UUID, list] = {}

    def add(self, case: Case) -> bool:
        if any(c.submission_id == case.submission_id for c in self.rows.values()):
            return False
        self.rows[case.id] = case
        return True

    def get(self, case_id: UUID, *, for_update: bool = False) -> Case | None:
        return self.rows.get(case_id)

    def by_submission(self, submission_id: UUID, *, for_update: bool = False) -> Case | None:
        return next((c for c in self.rows.values() if c.submission_id == submission_id), None)

    def update(self, case_id: UUID, **changes: Any) -> None:
        if "pe_activity_ids" in changes:
            changes["pe_activity_ids"] = tuple(changes["pe_activity_ids"])
        self.rows[case_id] = dataclasses.replace(self.rows[case_id], **changes)

    def list(self, *, account_id: UUID | None = None, assessor_id: UUID | None = None,
             state: str | None = None, open_only: bool = False, page: int = 1, page_size: int = 20
             ) -> tuple[list[Case], int]:
        found = [c for c in self.rows.values() if (account_id is None or c.account_id == account_id)
                 and (assessor_id is None or c.assessor_id == assessor_id)
                 and (state is None or c.state == state)
                 and not (open_only and c.state in CLOSED_STATES)]
        found.sort(key=lambda c: (-c.opened_at.timestamp(), str(c.id)))
        return _page(found, page, page_size), len(found)

    def counts(self, today: date, due_soon_by: date) -> CaseCounts:
        by_state: dict[str, int] = {}
        for c in self.rows.values():
            by_state[str(c.state)] = by_state.get(str(c.state), 0) + 1
        open_ = [c for c in self.rows.values() if c.state not in CLOSED_STATES]
        return CaseCounts(by_state, sum(1 for c in open_ if c.due_on < today),
                          sum(1 for c in open_ if today <= c.due_on <= due_soon_by))

    def previous_assessor(self, case: Case) -> UUID | None:
        earlier = [c for c in self.rows.values() if c.account_id == case.account_id and c.id != case.id
                   and c.opened_at <= case.opened_at and c.assessor_id is not None]
        return max(earlier, key=lambda c: c.opened_at).assessor_id if earlier else None

    def open_due_by(self, day: date, *, limit: int | None = None) -> list[Case]:
        return sorted((c for c in self.rows.values() if c.state not in CLOSED_STATES and c.due_on <= day),
                      key=lambda c: (c.due_on, str(c.id)))[:limit]

    def add_overdue_notice(self, case_id: UUID, due_on: date) -> bool:
        if (case_id, due_on) in self.overdue_notices:
            return False
        self.overdue_notices.add((case_id, due_on))
        return True

    def open_for_period(self, certificate_id: UUID, expires_on: date, *, regular_only: bool = False) -> bool:
        return any(c.certificate_id == certificate_id and c.certificate_expires_on == expires_on
                   and c.state not in CLOSED_STATES
                   and not (regular_only and c.is_new_portfolio_after_negative)
                   for c in self.rows.values())

    def mentorship_started(self, *, mentorship_id: UUID, account_id: UUID, mentor_id: UUID,
                           started_at: datetime) -> None:
        self.mentorships.setdefault(mentorship_id, [account_id, mentor_id, started_at, None])

    def mentorship_ended(self, *, mentorship_id: UUID, account_id: UUID, mentor_id: UUID,
                         started_at: datetime, ended_at: datetime) -> None:
        self.mentorships[mentorship_id] = [account_id, mentor_id, started_at, ended_at]

    def mentors(self, account_id: UUID, since: date) -> list[UUID]:
        rows = sorted((started, mentor) for a, mentor, started, ended in self.mentorships.values()
                      if a == account_id and (ended is None or ended.date() >= since))
        return list(dict.fromkeys(mentor for _, mentor in rows))


class FakePeChecks:
    def __init__(self) -> None:
        self.rejection_rows: dict[tuple[UUID, UUID], Rejection] = {}
        self.checks: dict[UUID, PeCheck] = {}
        self.framework_versions: dict[UUID, str] = {}

    def add_rejection(self, case_id: UUID, rejection: Rejection) -> None:
        self.rejection_rows[(case_id, rejection.activity_id)] = rejection

    def delete_rejection(self, case_id: UUID, activity_id: UUID) -> bool:
        return self.rejection_rows.pop((case_id, activity_id), None) is not None

    def rejections(self, case_id: UUID) -> dict[UUID, Rejection]:
        found = sorted((r for (c, _), r in self.rejection_rows.items() if c == case_id),
                       key=lambda r: r.rejected_at)
        return {r.activity_id: r for r in found}

    def save(self, check: PeCheck, framework_version: str) -> None:
        self.checks[check.case_id] = check
        self.framework_versions[check.case_id] = framework_version

    def get(self, case_id: UUID) -> PeCheck | None:
        return self.checks.get(case_id)


class FakeAdvices:
    def __init__(self) -> None:
        self.rows: list[GivenAdvice] = []

    def add(self, advice: GivenAdvice) -> None:
        self.rows.append(advice)

    def of_case(self, case_id: UUID) -> list[GivenAdvice]:
        return sorted((a for a in self.rows if a.case_id == case_id), key=lambda a: a.round)


class FakeDecisions:
    def __init__(self, cases: FakeCases) -> None:
        self.rows: list[Decision] = []
        self._cases = cases

    def add(self, decision: Decision) -> None:
        self.rows.append(decision)

    def of_case(self, case_id: UUID) -> list[Decision]:
        return sorted((d for d in self.rows if d.case_id == case_id),
                      key=lambda d: (d.decided_at, str(d.id)))

    def annul(self, decision_id: UUID, *, objection_id: UUID, at: datetime) -> None:
        self.rows = [dataclasses.replace(d, annulled_at=at, annulled_by_objection_id=objection_id)
                     if d.id == decision_id and d.annulled_at is None else d for d in self.rows]

    def negative_for_period(self, certificate_id: UUID, expires_on: date) -> Decision | None:
        about = [d for d in self.rows if (case := self._cases.rows.get(d.case_id)) is not None
                 and d.annulled_at is None
                 and case.certificate_id == certificate_id and case.certificate_expires_on == expires_on]
        if not about:
            return None
        latest = max(about, key=lambda d: (d.decided_at, str(d.id)))
        return latest if latest.decision == "negative" else None


class FakeObjections:
    def __init__(self) -> None:
        self.rows: dict[UUID, Objection] = {}

    def add(self, objection: Objection) -> bool:
        if any(o.decision_id == objection.decision_id for o in self.rows.values()):
            return False
        self.rows[objection.id] = objection
        return True

    def of_case(self, case_id: UUID) -> list[Objection]:
        return sorted((o for o in self.rows.values() if o.case_id == case_id), key=lambda o: o.filed_at)

    def get(self, objection_id: UUID, *, for_update: bool = False) -> Objection | None:
        return self.rows.get(objection_id)

    def decide(self, objection_id: UUID, outcome: str, reason: str, decided_by: UUID,
               decided_at: datetime) -> None:
        self.rows[objection_id] = dataclasses.replace(self.rows[objection_id], outcome=outcome,
                                                      outcome_reason=reason, decided_by=decided_by,
                                                      decided_at=decided_at)


class FakeSupplements:
    def __init__(self) -> None:
        self.rows: dict[UUID, Supplement] = {}

    def add(self, supplement: Supplement) -> bool:
        if supplement.supplement_id in self.rows or any(
                s.case_id == supplement.case_id for s in self.rows.values()):
            return False
        self.rows[supplement.supplement_id] = supplement
        return True

    def of_case(self, case_id: UUID) -> Supplement | None:
        return next((s for s in self.rows.values() if s.case_id == case_id), None)


class FakeAudit:
    def __init__(self) -> None:
        self.rows: list[AuditEntry] = []

    def add(self, entry: AuditEntry) -> None:
        self.rows.append(entry)

    def of_case(self, case_id: UUID) -> list[AuditEntry]:
        return [e for e in self.rows if e.case_id == case_id]

    def actions(self, case_id: UUID) -> list[str]:
        return [e.action for e in self.of_case(case_id)]


class FakeIssuerKeys:
    def __init__(self) -> None:
        self.keys: list[IssuerKey] = []
        self.locks = 0

    def lock(self) -> None:
        self.locks += 1

    def all(self) -> list[IssuerKey]:
        return sorted(self.keys, key=lambda k: (k.activates_at, k.created_at))

    def add(self, key: IssuerKey) -> None:
        self.keys.append(key)

    def drop_private_halves(self, kids: Sequence[str]) -> None:
        self.keys = [dataclasses.replace(k, private_jwk_encrypted=None) if k.kid in kids else k
                     for k in self.keys]


class FakeCredentials:
    def __init__(self) -> None:
        self.rows: dict[UUID, Credential] = {}

    def add(self, credential: Credential) -> bool:
        if any((c.status_list, c.status_index) == (credential.status_list, credential.status_index)
               for c in self.rows.values()):
            return False
        self.rows[credential.id] = credential
        return True

    def get(self, credential_id: UUID) -> Credential | None:
        return self.rows.get(credential_id)

    def live(self, certificate_id: UUID, valid_until: date) -> Credential | None:
        return next((c for c in self.rows.values() if c.certificate_id == certificate_id
                     and c.valid_until == valid_until and c.revoked_at is None), None)

    def revoke_all(self, certificate_id: UUID, reason: str, now: datetime) -> list[Credential]:
        revoked = []
        for c in list(self.rows.values()):
            if c.certificate_id == certificate_id and c.revoked_at is None:
                self.rows[c.id] = dataclasses.replace(c, revoked_at=now, revocation_reason=reason)
                revoked.append(self.rows[c.id])
        return revoked

    def revoked_indexes(self, status_list: int) -> list[int]:
        return [c.status_index for c in self.rows.values()
                if c.status_list == status_list and c.revoked_at is not None]


_REPOSITORIES = ("accounts", "pe_activities", "paid_invoices", "certificates", "claim_codes", "cases",
                 "pe_checks", "advices", "decisions", "objections", "supplements", "audit", "issuer_keys",
                 "credentials")


class FakeAssessmentUnitOfWork(FakeUnitOfWork):
    producer = SqlAssessmentUnitOfWork.producer

    def __init__(self) -> None:
        super().__init__()
        self.accounts = FakeAccounts()
        self.pe_activities = FakePeActivities()
        self.paid_invoices = FakePaidInvoices()
        self.cases = FakeCases()
        self.certificates = FakeCertificates(self.cases)
        self.claim_codes = FakeClaimCodes()
        self.pe_checks = FakePeChecks()
        self.advices = FakeAdvices()
        self.decisions = FakeDecisions(self.cases)
        self.objections = FakeObjections()
        self.supplements = FakeSupplements()
        self.audit = FakeAudit()
        self.issuer_keys = FakeIssuerKeys()
        self.credentials = FakeCredentials()
        self._saved: dict[str, dict[str, Any]] | None = None

    def __enter__(self):
        self._saved = {name: copy.deepcopy({k: v for k, v in vars(getattr(self, name)).items()
                                            if not k.startswith("_")}) for name in _REPOSITORIES}
        return super().__enter__()

    def rollback(self) -> None:
        super().rollback()
        for name, state in (self._saved or {}).items():
            vars(getattr(self, name)).update(state)

    def events(self, event_type: str) -> list[Any]:
        return [e for e in self.published if e.type == event_type]


# --- what the fast tests are made of ---------------------------------------------------------------------


def principal(role: str, account_id: UUID | None = None) -> Any:
    from uuid import uuid4

    from recert_common.auth import Principal
    return Principal(account_id=account_id or uuid4(), roles=frozenset({role}), amr=frozenset({"pwd", "otp"}),
                     token="", claims={})


def received(event_type: str, data: dict[str, Any], *, producer: str, subject: Any = None,
             occurred_at: datetime | None = None) -> Any:
    """An event as a consumer receives it: dumped by its producer, loaded through its schema."""
    from recert_common.events import load_event, new_event
    message = new_event(event_type, data, producer=producer, subject=subject).to_message()
    if occurred_at is not None:
        message["occurred_at"] = occurred_at.isoformat()
    return load_event(message)


HEADER = "noloc_number,certificate_number,valid_until,email,name\n"
EXPIRES = date(2027, 6, 30)


def positive_form() -> AssessmentForm:
    return AssessmentForm(verdicts=tuple(PartVerdict(p, "meets", "Goed.") for p in ("A1", "A3", "B")),
                          feedback={"A2": "Goede terugblik."}, development_advice="Verdiep je.",
                          advice="positive")


def postponed_form() -> AssessmentForm:
    return AssessmentForm(verdicts=(PartVerdict("A1", "does_not_meet", "Te summier."),
                                    PartVerdict("A3", "meets", "Goed."), PartVerdict("B", "meets", "Goed.")),
                          feedback={}, development_advice="Verdiep je.", advice="postponed",
                          supplements=(SupplementAssignment("A1", "Werk A1 opnieuw uit."),))


class World:
    """Assessment's use cases, handlers and scheduler on one fake unit of work, on a settable day."""

    def __init__(self) -> None:
        self.uow = FakeAssessmentUnitOfWork()
        self.day = date(2027, 4, 15)
        self.instant = datetime(2027, 4, 15, 9, tzinfo=UTC)
        self.settings = AssessmentSettings.from_env("assessment", env={}, secrets_key=new_key(),
                                                    public_url="https://register.test")
        self.service = AssessmentService(lambda: self.uow, self.settings, today=lambda: self.day,
                                         now=lambda: self.instant)
        self.handlers = Handlers(self.settings.zone, now=lambda: self.instant, today=lambda: self.day)
        self.scheduler = Scheduler(lambda: self.day, lambda: self.instant)
        self.officer = principal("dnv_officer")
        self.admin = principal("noloc_admin")

    def handle(self, handler, event) -> None:
        with self.uow:
            handler(self.uow, event)

    def account(self, role: str = "jobcoach", *, number: str | None = None, email: str | None = None,
                occurred_at: datetime | None = None, roles: tuple[str, ...] | None = None):
        person = principal(role)
        self.handle(self.handlers.on_account, received("identity.account.registered", {
            "account_id": person.account_id, "email": email or f"{person.account_id}@example.org",
            "full_name": f"{role} {str(person.account_id)[:4]}", "roles": list(roles or (role,)),
            "membership_kind": "member" if number else None, "membership_number": number,
            "preferred_language": "nl"}, producer="identity", subject=person.account_id,
            occurred_at=occurred_at))
        return person

    def coach_with_certificate(self, valid_until: date = EXPIRES):
        number = str(uuid.uuid4().int % 90_000_000 + 10_000_000)
        coach = self.account(number=number)
        certificate_number = f"RJ-{uuid.uuid4().hex[:8].upper()}"
        result = self.service.certificates.import_csv(
            f"{HEADER}{number},{certificate_number},{valid_until},{coach.account_id}@example.org,Jet\n"
            .encode())
        assert result.linked == 1
        return coach, self.uow.certificates.of_account(coach.account_id)

    def activity(self, coach, points: str, category: str = "1") -> uuid.UUID:
        activity_id = uuid.uuid4()
        self.handle(self.handlers.on_pe_activity, received("pe.activity.recorded", {
            "activity_id": activity_id, "account_id": coach.account_id, "category": category,
            "title": "Training", "completed_on": date(2025, 3, 1), "unit": "sbu", "amount": Decimal(points),
            "points": Decimal(points), "source": "manual"}, producer="pe-registry", subject=coach.account_id))
        return activity_id

    def submit(self, coach, certificate, *, activities=None, after_negative: bool = False):
        if activities is None:
            activities = [self.activity(coach, "45"), self.activity(coach, "30")]
        submission_id = uuid.uuid4()
        self.handle(self.handlers.on_submitted, received("portfolio.submitted", {
            "portfolio_id": uuid.uuid4(), "cycle_id": uuid.uuid4(), "submission_id": submission_id,
            "account_id": coach.account_id, "certificate_id": certificate.id,
            "certificate_expires_on": certificate.valid_until, "submitted_at": self.instant,
            "snapshot_hash": "ab" * 32, "pe_activity_ids": activities, "pe_points_counted": Decimal(75),
            "reflection_meetings": 4, "is_new_portfolio_after_negative": after_negative},
            producer="portfolio", subject=coach.account_id))
        return self.uow.cases.by_submission(submission_id)

    def deadline_missed(self, coach, certificate, *, expires_on: date | None = None):
        """Portfolio's announcement that the certificate's last day to submit passed with nothing submitted
        (ADR 0042)."""
        expires_on = expires_on or certificate.valid_until
        self.handle(self.handlers.on_deadline_missed, received("portfolio.deadline.missed", {
            "cycle_id": uuid.uuid4(), "account_id": coach.account_id, "certificate_id": certificate.id,
            "kind": "regular", "expires_on": expires_on, "submit_by": expires_on},
            producer="portfolio", subject=coach.account_id))

    def supplement_missed(self, coach, case, *, due_on: date | None = None):
        """Portfolio's announcement that the case's supplement was not handed in by its due date (ADR
        0042)."""
        self.handle(self.handlers.on_supplement_missed, received("portfolio.supplement.missed", {
            "supplement_id": uuid.uuid4(), "case_id": case.id, "cycle_id": case.cycle_id,
            "submission_id": case.submission_id, "account_id": coach.account_id,
            "due_on": due_on or case.supplement_due_on}, producer="portfolio", subject=coach.account_id))

    def pay(self, coach, case, kind: str = "recertification"):
        self.handle(self.handlers.on_invoice_paid, received("billing.invoice.paid", {
            "invoice_id": uuid.uuid4(), "number": "DNV-2027-0001", "issuer": "DNV",
            "account_id": coach.account_id, "kind": kind, "submission_id": case.submission_id,
            "case_id": case.id if kind == "reassessment" else None,
            "amount": {"amount": Decimal("242.00"), "currency": "EUR"}, "paid_on": self.day},
            producer="billing", subject=coach.account_id))

    def ready(self):
        coach, certificate = self.coach_with_certificate()
        case = self.submit(coach, certificate)
        self.service.complete_pe_check(self.officer, case.id, passed=True, findings=[])
        self.pay(coach, case)
        return coach, certificate, self.uow.cases.get(case.id)

    def advised(self, form: AssessmentForm | None = None):
        coach, certificate, case = self.ready()
        assessor = self.account("assessor")
        self.service.assign(self.officer, case.id, assessor.account_id)
        self.service.give_advice(assessor, case.id, form or positive_form())
        return coach, certificate, assessor, self.uow.cases.get(case.id)

    def case(self, case_id):
        return self.uow.cases.get(case_id)
