"""The PE registry's unit of work in memory, and an object store in memory, for the fast use-case and
handler tests. Each fake repository has the methods of its SQL twin in ``recert_pe_registry.store`` and
keeps the rules the SQL keeps (late events change nothing, one import per completion, locks by
submission)."""
from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from recert_common.access_log import MemoryAccessLog, Read
from recert_common.events import Event
from recert_common.filetypes import DEFAULT_ALLOWED, SNIFF_BYTES, check_upload, safe_filename
from recert_common.storage import ObjectNotFound, StoredObject, UploadEmpty, UploadTooLarge
from recert_common.uow import FakeUnitOfWork, fake_handled
from recert_pe_registry.domain import (
    Activity,
    ActivityDraft,
    ActivityFacts,
    CertificatePeriod,
    Evidence,
    Reading,
    SummaryItem,
    has_proof,
)
from recert_pe_registry.store import FinalDecision, ParkedCompletion, SqlPeRegistryUnitOfWork

#: The fast tests' clock: 22:30 UTC on 31 March 2026 is already 1 April in Amsterdam (CEST).
NOW = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)


def _now() -> datetime:
    return datetime.now(UTC)


class FakeActivities:
    def __init__(self, db: FakeDatabase):
        self.db = db

    def lock_account(self, account_id: UUID) -> None:
        self.db.account_locks.append(account_id)

    def add(self, draft: ActivityDraft) -> Activity:
        now = _now()
        self.db.activities[draft.id] = Activity(**dataclasses.asdict(draft), created_at=now, updated_at=now)
        return self.get(draft.id)

    def get(self, activity_id: UUID, *, for_update: bool = False, with_evidence: bool = False
            ) -> Activity | None:
        stored = self.db.activities.get(activity_id)
        if stored is None:
            return None
        return self._as_read(stored, with_evidence=with_evidence)

    def _as_read(self, stored: Activity, *, with_evidence: bool) -> Activity:
        locked = any(activity_id == stored.id and (held_until is None or held_until > _now())
                     for (activity_id, _), (_, _, held_until) in self.db.submission_locks.items())
        evidence = tuple(sorted((e for e in self.db.evidence.values() if e.activity_id == stored.id),
                                key=lambda e: (e.created_at, str(e.id)))) if with_evidence else ()
        return dataclasses.replace(stored, locked=locked, evidence=evidence)

    def page(self, account_id: UUID, *, first: date | None, last: date | None, category: int | None,
             limit: int, offset: int, assessor_id: UUID | None = None) -> tuple[list[Activity], int]:
        found = [a for a in self.db.activities.values() if a.account_id == account_id
                 and (first is None or a.completed_on >= first) and (last is None or a.completed_on <= last)
                 and (category is None or a.category == category)]
        if assessor_id is not None:
            found = [a for a in found if a.id in self.db.assessable(assessor_id, account_id)]
        found.sort(key=lambda a: str(a.id))
        found.sort(key=lambda a: (a.completed_on, a.created_at), reverse=True)
        return [self._as_read(a, with_evidence=True) for a in found[offset:offset + limit]], len(found)

    def update(self, activity_id: UUID, changes: Mapping[str, Any]) -> Activity:
        stored = self.db.activities[activity_id]
        self.db.activities[activity_id] = dataclasses.replace(stored, **changes, updated_at=_now())
        return self.get(activity_id, with_evidence=True)

    def delete(self, activity_id: UUID) -> None:
        del self.db.activities[activity_id]
        for evidence_id in [e.id for e in self.db.evidence.values() if e.activity_id == activity_id]:
            del self.db.evidence[evidence_id]  # ON DELETE CASCADE

    def summary_items(self, account_id: UUID, first: date, last: date) -> list[SummaryItem]:
        def files(activity: Activity) -> int:
            return sum(e.activity_id == activity.id for e in self.db.evidence.values())

        return [SummaryItem(a.id, a.title, a.completed_on, a.category, a.points,
                            has_proof(a.source, files(a)))
                for a in self.db.activities.values()
                if a.account_id == account_id and first <= a.completed_on <= last]

    def lock_for_submission(self, *, submission_id: UUID, account_id: UUID,
                            activity_ids: Iterable[UUID]) -> bool:
        if submission_id in self.db.withdrawn_submissions:
            return False
        for activity_id in set(activity_ids):
            known = self.db.submission_locks.get((activity_id, submission_id))
            self.db.submission_locks[(activity_id, submission_id)] = (
                account_id, known[1] if known else _now(), None)
        return True

    def facts_in_period(self, account_id: UUID, first: date, last: date) -> list[ActivityFacts]:
        return [ActivityFacts(id=a.id, category=a.category, title=a.title, completed_on=a.completed_on,
                              points=a.points, evidence_sha256s=frozenset(
                                  e.sha256 for e in self.db.evidence.values() if e.activity_id == a.id))
                for a in self.db.activities.values()
                if a.account_id == account_id and first <= a.completed_on <= last]

    def hold_for_submission(self, *, submission_id: UUID, account_id: UUID, activity_ids: Iterable[UUID],
                            seconds: float) -> datetime:
        until = _now() + timedelta(seconds=seconds)
        locks = self.db.submission_locks
        for key in [k for k, (account, _, held_until) in locks.items()
                    if account == account_id and held_until is not None and k[1] != submission_id]:
            del locks[key]
        for activity_id in set(activity_ids):
            known = locks.get((activity_id, submission_id))
            if known is None or known[2] is not None:
                locks[(activity_id, submission_id)] = (account_id, known[1] if known else _now(), until)
        return until

    def release_hold(self, *, submission_id: UUID, account_id: UUID) -> int:
        keys = [k for k, (account, _, held_until) in self.db.submission_locks.items()
                if k[1] == submission_id and account == account_id and held_until is not None]
        for key in keys:
            del self.db.submission_locks[key]
        return len(keys)

    def release_submission(self, submission_id: UUID, *, account_id: UUID, withdrawn_at: datetime) -> int:
        self.db.withdrawn_submissions.setdefault(submission_id, (account_id, withdrawn_at))
        keys = [key for key in self.db.submission_locks if key[1] == submission_id]
        for key in keys:
            del self.db.submission_locks[key]
        return len(keys)


class FakeEvidence:
    def __init__(self, db: FakeDatabase):
        self.db = db

    def get(self, evidence_id: UUID) -> Evidence | None:
        return self.db.evidence.get(evidence_id)

    def with_sha256(self, account_id: UUID, sha256: str) -> list[Evidence]:
        same = [e for e in self.db.evidence.values() if e.account_id == account_id and e.sha256 == sha256]
        return sorted(same, key=lambda e: (e.created_at, str(e.id)))

    def add(self, *, id: UUID, activity_id: UUID, account_id: UUID, object_key: str, sha256: str,  # noqa: A002
            size: int, content_type: str, filename: str, kind: str) -> Evidence:
        if any(e.activity_id == activity_id and e.sha256 == sha256 for e in self.db.evidence.values()):
            raise AssertionError("UNIQUE (activity_id, sha256) violated")
        evidence = Evidence(id, activity_id, account_id, object_key, sha256, size, content_type, filename,
                            kind, _now())
        self.db.evidence[id] = evidence
        return evidence

    def delete(self, evidence_id: UUID) -> None:
        self.db.evidence.pop(evidence_id, None)

    def object_keys_of_activity(self, activity_id: UUID) -> list[str]:
        return sorted({e.object_key for e in self.db.evidence.values() if e.activity_id == activity_id})

    def unreferenced(self, object_keys: Iterable[str]) -> list[str]:
        used = {e.object_key for e in self.db.evidence.values()}
        return [key for key in sorted(set(object_keys)) if key not in used]


class FakeNoloc:
    def __init__(self, db: FakeDatabase):
        self.db = db

    def claim_import(self, account_id: UUID, external_id: str, activity_id: UUID, event_id: UUID) -> bool:
        if (account_id, external_id) in self.db.noloc_imports:
            return False
        self.db.noloc_imports[(account_id, external_id)] = activity_id
        return True

    def lock_membership_number(self, membership_number: str) -> None:
        self.db.number_locks.append(membership_number)

    def park(self, membership_number: str, external_id: str, event_id: UUID, data: Mapping[str, Any]) -> None:
        self.db.parked.setdefault((membership_number, external_id),
                                  ParkedCompletion(external_id, event_id, dict(data), _now()))

    def take_parked(self, membership_number: str) -> list[ParkedCompletion]:
        keys = [key for key in self.db.parked if key[0] == membership_number]
        return [self.db.parked.pop(key) for key in keys]


class FakeAccounts:
    def __init__(self, db: FakeDatabase):
        self.db = db

    def upsert(self, account_id: UUID, membership_number: str | None, changed_at: datetime) -> bool:
        known = self.db.accounts.get(account_id)
        if known is not None and known[1] > changed_at:
            return False
        self.db.accounts[account_id] = (membership_number, changed_at)
        return True

    def holder_of(self, membership_number: str) -> UUID | None:
        holders = [(self.db.periods[account_id].occurred_at, account_id)
                   for account_id, (number, _) in self.db.accounts.items()
                   if number == membership_number and account_id in self.db.periods]
        return max(holders)[1] if holders else None

    def membership_number_of(self, account_id: UUID) -> str | None:
        known = self.db.accounts.get(account_id)
        return known[0] if known else None


class FakePeriods:
    def __init__(self, db: FakeDatabase):
        self.db = db

    def get(self, account_id: UUID) -> CertificatePeriod | None:
        return self.db.periods.get(account_id)

    def upsert(self, period: CertificatePeriod) -> bool:
        known = self.db.periods.get(period.account_id)
        if known is not None and ((known.valid_until, known.occurred_at)
                                  > (period.valid_until, period.occurred_at)):
            return False
        same = (known is not None and known.certificate_id == period.certificate_id
                and known.valid_until == period.valid_until)
        self.db.periods[period.account_id] = dataclasses.replace(
            period, extended_until=known.extended_until if same else None)
        return True

    def extend(self, *, account_id: UUID, certificate_id: UUID, until: date) -> bool:
        known = self.db.periods.get(account_id)
        if known is None or known.certificate_id != certificate_id:
            return False
        longest = max(known.extended_until, until) if known.extended_until else until
        self.db.periods[account_id] = dataclasses.replace(known, extended_until=longest)
        return True


class FakeCases:
    def __init__(self, db: FakeDatabase):
        self.db = db

    def upsert_assignment(self, *, case_id: UUID, account_id: UUID, assessor_id: UUID,
                          assigned_at: datetime) -> None:
        known = self.db.assignments.get(case_id)
        if known is None or known[2] <= assigned_at:
            self.db.assignments[case_id] = (account_id, assessor_id, assigned_at)

    def record_case(self, *, case_id: UUID, submission_id: UUID, account_id: UUID) -> None:
        self.db.case_submissions.add((case_id, submission_id))

    def set_access(self, case_id: UUID, *, open_: bool, at: datetime) -> None:
        known = self.db.case_access.get(case_id)
        if known is None or known[1] <= at:
            self.db.case_access[case_id] = (open_, at)

    def is_assessing(self, assessor_id: UUID, account_id: UUID, activity_id: UUID | None = None) -> bool:
        if activity_id is None:
            return any(self.db.case_access.get(case_id, (False,))[0]
                       for case_id, (account, assessor, _) in self.db.assignments.items()
                       if assessor == assessor_id and account == account_id)
        return activity_id in self.db.assessable(assessor_id, account_id)


class FakeRetention:
    def __init__(self, db: FakeDatabase):
        self.db = db

    def note_final_decision(self, decision_id: UUID, account_id: UUID, decided_at: datetime) -> None:
        self.db.final_decisions.setdefault(decision_id, [account_id, decided_at, None])

    def due_final_decisions(self, decided_before: datetime, *, limit: int) -> list[FinalDecision]:
        return [FinalDecision(decision_id, account_id, decided_at)
                for decision_id, (account_id, decided_at, purged_at) in sorted(
                    self.db.final_decisions.items(), key=lambda item: item[1][1])
                if purged_at is None and decided_at <= decided_before][:limit]

    def delete_decided_evidence(self, account_id: UUID, decided_at: datetime) -> list[Evidence]:
        locks = self.db.submission_locks.items()
        locked = {activity_id for (activity_id, _), (_, locked_at, held_until) in locks
                  if held_until is None and locked_at <= decided_at}
        gone = [e for e in self.db.evidence.values()
                if e.account_id == account_id and e.activity_id in locked]
        for evidence in gone:
            del self.db.evidence[evidence.id]
        return gone

    def mark_purged(self, decision_id: UUID, at: datetime) -> None:
        self.db.final_decisions[decision_id][2] = at

    def forget_account(self, account_id: UUID) -> list[str]:
        db = self.db
        keys = sorted({e.object_key for e in db.evidence.values() if e.account_id == account_id}
                      | {r.object_key for r in db.readings.values() if r.account_id == account_id})
        db.readings = {k: r for k, r in db.readings.items() if r.account_id != account_id}
        number = db.accounts.get(account_id, (None,))[0]
        db.evidence = {k: e for k, e in db.evidence.items() if e.account_id != account_id}
        db.activities = {k: a for k, a in db.activities.items() if a.account_id != account_id}
        db.submission_locks = {k: v for k, v in db.submission_locks.items() if v[0] != account_id}
        db.withdrawn_submissions = {k: v for k, v in db.withdrawn_submissions.items() if v[0] != account_id}
        db.noloc_imports = {k: v for k, v in db.noloc_imports.items() if k[0] != account_id}
        db.periods.pop(account_id, None)
        db.assignments = {k: v for k, v in db.assignments.items() if v[0] != account_id}
        db.final_decisions = {k: v for k, v in db.final_decisions.items() if v[0] != account_id}
        db.accounts.pop(account_id, None)
        if number:
            db.parked = {k: v for k, v in db.parked.items() if k[0] != number}
        MemoryAccessLog(db.reads).forget(account_id)
        return keys


class FakeReadings:
    """Documents to be read (ADR 0027); ``not_before`` kept beside each reading as the SQL keeps it."""

    def __init__(self, db: FakeDatabase):
        self.db = db

    def add(self, *, id: UUID, account_id: UUID, object_key: str, sha256: str, size: int,  # noqa: A002
            content_type: str, filename: str) -> Reading:
        reading = Reading(id, account_id, object_key, sha256, size, content_type, filename, "pending", 0,
                          None, None, None, _now(), None)
        self.db.readings[id] = reading
        self.db.not_before[id] = _now()
        self.db.notified += 1
        return reading

    def get(self, reading_id: UUID, *, for_update: bool = False) -> Reading | None:
        return self.db.readings.get(reading_id)

    def page(self, account_id: UUID, *, limit: int, offset: int) -> tuple[list[Reading], int]:
        found = sorted((r for r in self.db.readings.values() if r.account_id == account_id),
                       key=lambda r: r.created_at, reverse=True)
        return found[offset:offset + limit], len(found)

    def claim(self, lease_seconds: float) -> Reading | None:
        now = _now()
        due = sorted((r for r in self.db.readings.values()
                      if r.state == "pending" and self.db.not_before[r.id] <= now),
                     key=lambda r: (self.db.not_before[r.id], r.created_at))
        if not due:
            return None
        claimed = dataclasses.replace(due[0], attempts=due[0].attempts + 1)
        self.db.readings[claimed.id] = claimed
        self.db.not_before[claimed.id] = now + timedelta(seconds=lease_seconds)
        return claimed

    def retry_later(self, reading_id: UUID, delay_seconds: float) -> None:
        self.db.not_before[reading_id] = _now() + timedelta(seconds=delay_seconds)

    def propose(self, reading_id: UUID, *, method: str, proposal: Mapping[str, Any]) -> Reading:
        done = dataclasses.replace(self.db.readings[reading_id], state="proposed", method=method,
                                   proposal=dict(proposal), read_at=_now())
        self.db.readings[reading_id] = done
        return done

    def fail(self, reading_id: UUID, *, reason: str, method: str | None) -> Reading:
        done = dataclasses.replace(self.db.readings[reading_id], state="failed", failure=reason,
                                   method=method, read_at=_now())
        self.db.readings[reading_id] = done
        return done

    def delete(self, reading_id: UUID) -> None:
        self.db.readings.pop(reading_id, None)


@dataclasses.dataclass
class FakeDatabase:
    """The PE registry's tables, shared by every unit of work of one test."""

    activities: dict[UUID, Activity] = dataclasses.field(default_factory=dict)
    evidence: dict[UUID, Evidence] = dataclasses.field(default_factory=dict)
    # (activity_id, submission_id) -> (account_id, locked_at, held_until: None for a submission's lock)
    submission_locks: dict[tuple[UUID, UUID], tuple[UUID, datetime, datetime | None]] = dataclasses.field(
        default_factory=dict)
    # submission_id -> (account_id, withdrawn_at): withdrawn submissions, which lock nothing any more
    withdrawn_submissions: dict[UUID, tuple[UUID, datetime]] = dataclasses.field(default_factory=dict)
    noloc_imports: dict[tuple[UUID, str], UUID] = dataclasses.field(default_factory=dict)
    parked: dict[tuple[str, str], ParkedCompletion] = dataclasses.field(default_factory=dict)
    accounts: dict[UUID, tuple[str | None, datetime]] = dataclasses.field(default_factory=dict)
    periods: dict[UUID, CertificatePeriod] = dataclasses.field(default_factory=dict)
    # case_id -> (account_id, assessor_id, assigned_at)
    assignments: dict[UUID, tuple[UUID, UUID, datetime]] = dataclasses.field(default_factory=dict)
    case_submissions: set[tuple[UUID, UUID]] = dataclasses.field(default_factory=set)  # (case, submission)
    case_access: dict[UUID, tuple[bool, datetime]] = dataclasses.field(default_factory=dict)
    # decision_id -> [account_id, decided_at, purged_at]
    final_decisions: dict[UUID, list] = dataclasses.field(default_factory=dict)
    reads: list[tuple[UUID, Read]] = dataclasses.field(default_factory=list)  # MemoryAccessLog's
    account_locks: list[UUID] = dataclasses.field(default_factory=list)
    # mentorship_id -> [account_id, mentor_id, ended_at]
    mentorships: dict[UUID, list] = dataclasses.field(default_factory=dict)
    number_locks: list[str] = dataclasses.field(default_factory=list)
    readings: dict[UUID, Reading] = dataclasses.field(default_factory=dict)
    not_before: dict[UUID, datetime] = dataclasses.field(default_factory=dict)
    notified: int = 0  # NOTIFYs sent to the reading worker

    def assessable(self, assessor_id: UUID, account_id: UUID) -> set[UUID]:
        """The activities of the running cases of ``account_id`` assigned to ``assessor_id``."""
        cases = {case_id for case_id, (account, assessor, _) in self.assignments.items()
                 if assessor == assessor_id and account == account_id
                 and self.case_access.get(case_id, (False,))[0]}
        submissions = {submission_id for case_id, submission_id in self.case_submissions if case_id in cases}
        return {activity_id for activity_id, submission_id in self.submission_locks
                if submission_id in submissions}


class FakeMentorships:
    def __init__(self, db: FakeDatabase):
        self.db = db

    def started(self, *, mentorship_id: UUID, account_id: UUID, mentor_id: UUID,
                started_at: datetime) -> None:
        self.db.mentorships.setdefault(mentorship_id, [account_id, mentor_id, None])

    def ended(self, *, mentorship_id: UUID, account_id: UUID, mentor_id: UUID, started_at: datetime,
              ended_at: datetime) -> None:
        self.db.mentorships[mentorship_id] = [account_id, mentor_id, ended_at]

    def is_mentoring(self, mentor_id: UUID, account_id: UUID) -> bool:
        return [account_id, mentor_id, None] in self.db.mentorships.values()


class FakePeRegistryUnitOfWork(FakeUnitOfWork):
    """A unit of work on ``FakeDatabase``, rolled back as the real one is when a block raises."""

    producer = SqlPeRegistryUnitOfWork.producer

    def __init__(self, db: FakeDatabase | None = None):
        super().__init__()
        self.db = self.data = db or FakeDatabase()
        self.activities = FakeActivities(self.db)
        self.evidence = FakeEvidence(self.db)
        self.noloc = FakeNoloc(self.db)
        self.accounts = FakeAccounts(self.db)
        self.periods = FakePeriods(self.db)
        self.cases = FakeCases(self.db)
        self.retention = FakeRetention(self.db)
        self.mentorships = FakeMentorships(self.db)
        self.access_log = MemoryAccessLog(self.db.reads)
        self.readings = FakeReadings(self.db)


class FakeObjectStore:
    """The evidence bucket in memory: the same refusals as ``recert_common.storage.ObjectStore.put_stream``
    (type by content, empty, too large), the SHA-256 computed on the way."""

    def __init__(self):
        self.objects: dict[str, tuple[bytes, StoredObject]] = {}
        self.bucket_ensured = False
        self.deleted: list[str] = []

    def ensure_bucket(self) -> None:
        self.bucket_ensured = True

    def ping(self) -> bool:
        return self.bucket_ensured

    def put_stream(self, key: str, stream, *, max_bytes: int, filename: str | None = None,
                   allowed_types=DEFAULT_ALLOWED) -> StoredObject:
        display = safe_filename(filename) if filename is not None else None
        body = stream.read(max_bytes + 1)
        if not body:
            raise UploadEmpty()
        if len(body) > max_bytes:
            raise UploadTooLarge(max_bytes)
        accepted = check_upload(body[:SNIFF_BYTES], complete=len(body) <= SNIFF_BYTES, filename=display,
                                allowed=allowed_types)
        sha256 = hashlib.sha256(body).hexdigest()
        stored = StoredObject(key, len(body), sha256, accepted.content_type, display)
        self.objects[key] = (body, stored)
        return stored

    def stream(self, key: str):
        if key not in self.objects:
            raise ObjectNotFound(key)
        return _Chunks([self.objects[key][0]])

    def delete(self, key: str) -> None:
        self.deleted.append(key)
        self.objects.pop(key, None)


class _Chunks(list):
    """A download as ``ObjectChunks`` is: iterable, closable, a context manager."""

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        pass


# --- events as the consumer hands them to a handler (data loaded: UUIDs, dates, decimals) -----------------


def event(type_: str, data: dict, *, at: datetime = NOW) -> Event:
    return Event(type=type_, data=data, producer="test", occurred_at=at, subject=data.get("account_id"))


def handle(uow, handler, received: Event) -> None:
    fake_handled(uow, handler, received)


def registered(account_id, number, *, at=NOW, type_="identity.account.registered") -> Event:
    return event(type_, {"account_id": account_id, "membership_number": number}, at=at)


def completion(number, *, external_id="academy-1", **overrides) -> Event:
    data = {"external_id": external_id, "membership_number": number, "title": "Webinar poortwachter",
            "provider": "Noloc Academie", "completed_on": date(2026, 3, 20), "amount": Decimal("1.5"),
            "unit": "sbu", "points": None}
    data.update(overrides)
    return event("noloc.academy.activity.completed", data)


def certificate(account_id, *, type_="certification.certificate.registered", valid_from=date(2024, 1, 1),
                valid_until=date(2028, 1, 1), certificate_id=None, at=NOW) -> Event:
    return event(type_, {"account_id": account_id, "certificate_id": certificate_id or uuid.uuid4(),
                         "valid_from": valid_from, "valid_until": valid_until}, at=at)


def submitted(account_id, submission_id, activity_ids) -> Event:
    return event("portfolio.submitted", {"account_id": account_id, "submission_id": submission_id,
                                         "pe_activity_ids": list(activity_ids)})


def case_opened(account_id, case_id, submission_id) -> Event:
    return event("assessment.case.opened", {"account_id": account_id, "case_id": case_id,
                                            "submission_id": submission_id})


def assessor_assigned(account_id, case_id, assessor_id, *, at=NOW) -> Event:
    return event("assessment.assessor.assigned", {"account_id": account_id, "case_id": case_id,
                                                  "assessor_id": assessor_id}, at=at)


def decided(account_id, case_id, decision, *, certificate_id=None, at=NOW + timedelta(hours=1), **extra):
    return event("certification.decision.made", {
        "decision_id": uuid.uuid4(), "case_id": case_id, "account_id": account_id,
        "certificate_id": certificate_id or uuid.uuid4(), "decision": decision, **extra}, at=at)
