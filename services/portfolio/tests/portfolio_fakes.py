"""Portfolio's unit of work in memory: the repositories of ``store.py`` over dictionaries, with the same
methods, uniqueness rules and orderings, so that the use cases and handlers run without a database. A
block that raises leaves the data as it was (as the transaction would roll back)."""
from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from recert_common.access_log import MemoryAccessLog, Read
from recert_common.http import ServiceUnreachable
from recert_common.storage import ObjectNotFound, StoredObject, UploadEmpty, UploadTooLarge
from recert_common.uow import FakeUnitOfWork
from recert_portfolio.domain import (
    CalendarFeed,
    Case,
    Cycle,
    CycleKind,
    CycleState,
    DueDecision,
    Meeting,
    NolocAttendance,
    Part,
    PeActivity,
    PeChangedWhileSubmitting,
    Proof,
    Submission,
    Supplement,
    WithdrawalRequest,
)
from recert_portfolio.mentors import MentorAccount, MentorComment, Mentorship
from recert_portfolio.store import SqlPortfolioUnitOfWork


@dataclass
class Data:
    """Every table of portfolio's database, as the fake keeps it."""

    accounts: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    attendance: dict[str, NolocAttendance] = field(default_factory=dict)
    pe_activities: dict[UUID, tuple[UUID, PeActivity]] = field(default_factory=dict)
    pe_evidence: dict[UUID, tuple[UUID, UUID, str]] = field(default_factory=dict)  # activity, account, sha
    pe_activity_as_of: dict[UUID, datetime | None] = field(default_factory=dict)  # occurred_at
    pe_removed_activities: dict[UUID, tuple[UUID, datetime]] = field(default_factory=dict)  # account, at
    pe_removed_evidence: dict[UUID, tuple[UUID, datetime]] = field(default_factory=dict)  # account, at
    cases: dict[UUID, Case] = field(default_factory=dict)
    decisions: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    case_access: dict[UUID, tuple[bool, datetime]] = field(default_factory=dict)  # open, changed_at
    case_assigned_at: dict[UUID, datetime | None] = field(default_factory=dict)  # the assignment's time
    cycles: dict[UUID, Cycle] = field(default_factory=dict)
    parts: dict[tuple[UUID, str], Part] = field(default_factory=dict)
    meetings: dict[UUID, tuple[Meeting, UUID | None]] = field(default_factory=dict)  # without proof, proof id
    proofs: dict[UUID, Proof] = field(default_factory=dict)
    submissions: dict[UUID, Submission] = field(default_factory=dict)
    withdrawals: dict[UUID, tuple[datetime, str | None]] = field(default_factory=dict)
    withdrawal_requests: dict[UUID, WithdrawalRequest] = field(default_factory=dict)
    supplements: dict[UUID, Supplement] = field(default_factory=dict)
    reads: list[tuple[UUID, Read]] = field(default_factory=list)  # MemoryAccessLog's
    calendar_feeds: dict[UUID, tuple[CalendarFeed, str]] = field(default_factory=dict)  # feed, token hash
    nudges: dict[tuple[UUID, str], UUID] = field(default_factory=dict)  # (cycle, milestone) -> account
    mentor_profiles: dict[UUID, tuple[str, str]] = field(default_factory=dict)  # region, about
    mentorships: dict[UUID, Mentorship] = field(default_factory=dict)
    mentor_comments: list[MentorComment] = field(default_factory=list)
    clock: itertools.count = field(default_factory=itertools.count)  # stands in for now() in updated_at


class _Repository:
    def __init__(self, uow: FakePortfolioUnitOfWork):
        self._uow = uow

    @property
    def data(self) -> Data:
        return self._uow.data


class FakeAccounts(_Repository):
    def upsert(self, account_id: UUID, membership_number: str | None, roles: Iterable[str],
               occurred_at: datetime, *, full_name: str | None = None,
               membership_kind: str | None = None) -> bool:
        stored = self.data.accounts.get(account_id)
        if stored is not None and stored["occurred_at"] > occurred_at:
            return False
        self.data.accounts[account_id] = {"membership_number": membership_number, "roles": list(roles),
                                          "full_name": full_name, "membership_kind": membership_kind,
                                          "occurred_at": occurred_at, "updated_at": next(self.data.clock)}
        return True

    def holder_of_number(self, membership_number: str) -> UUID | None:
        holders = [(row["updated_at"], account_id) for account_id, row in self.data.accounts.items()
                   if row["membership_number"] == membership_number
                   and any(c.account_id == account_id for c in self.data.cycles.values())]
        return max(holders)[1] if holders else None

    def membership_number_of(self, account_id: UUID) -> str | None:
        row = self.data.accounts.get(account_id)
        return row["membership_number"] if row else None


class FakeAttendance(_Repository):
    def add(self, fact: NolocAttendance) -> bool:
        if fact.external_id in self.data.attendance:
            return False
        self.data.attendance[fact.external_id] = replace(fact, account_id=None, meeting_id=None)
        return True

    def claim(self, membership_number: str, account_id: UUID) -> int:
        claimed = [f for f in self.data.attendance.values()
                   if f.membership_number == membership_number and f.meeting_id is None]
        for fact in claimed:
            self.data.attendance[fact.external_id] = replace(fact, account_id=account_id)
        return len(claimed)

    def unapplied(self, account_id: UUID) -> list[NolocAttendance]:
        return sorted((f for f in self.data.attendance.values()
                       if f.account_id == account_id and f.meeting_id is None),
                      key=lambda f: (f.met_on, f.external_id))

    def mark_applied(self, external_id: str, meeting_id: UUID) -> None:
        fact = self.data.attendance[external_id]
        self.data.attendance[external_id] = replace(fact, meeting_id=meeting_id)


class FakePe(_Repository):
    def upsert_activity(self, account_id: UUID, activity: PeActivity, occurred_at: datetime) -> bool:
        if activity.activity_id in self.data.pe_removed_activities:
            return False
        stored = self.data.pe_activity_as_of.get(activity.activity_id)
        if activity.activity_id in self.data.pe_activities and stored is not None and stored > occurred_at:
            return False
        self.data.pe_activities[activity.activity_id] = (account_id, replace(activity, evidence_sha256s=()))
        self.data.pe_activity_as_of[activity.activity_id] = occurred_at
        return True

    def remove_activity(self, activity_id: UUID, account_id: UUID, removed_at: datetime) -> None:
        self.data.pe_removed_activities.setdefault(activity_id, (account_id, removed_at))
        self.data.pe_evidence = {k: v for k, v in self.data.pe_evidence.items() if v[0] != activity_id}
        self.data.pe_activities.pop(activity_id, None)
        self.data.pe_activity_as_of.pop(activity_id, None)

    def add_evidence(self, evidence_id: UUID, activity_id: UUID, account_id: UUID, sha256: str) -> bool:
        if evidence_id in self.data.pe_evidence or evidence_id in self.data.pe_removed_evidence \
                or activity_id in self.data.pe_removed_activities:
            return False
        self.data.pe_evidence[evidence_id] = (activity_id, account_id, sha256)
        return True

    def remove_evidence(self, evidence_id: UUID, account_id: UUID, removed_at: datetime) -> None:
        self.data.pe_removed_evidence.setdefault(evidence_id, (account_id, removed_at))
        self.data.pe_evidence.pop(evidence_id, None)

    def activities(self, account_id: UUID) -> tuple[PeActivity, ...]:
        found = []
        for owner, activity in self.data.pe_activities.values():
            if owner != account_id:
                continue
            shas = sorted(sha for act, _, sha in self.data.pe_evidence.values()
                          if act == activity.activity_id)
            found.append(replace(activity, evidence_sha256s=tuple(shas)))
        return tuple(sorted(found, key=lambda a: (a.completed_on, a.activity_id)))


class FakeCases(_Repository):
    def upsert(self, case_id: UUID, account_id: UUID, *, submission_id: UUID | None = None,
               assessor_id: UUID | None = None, assigned_at: datetime | None = None) -> None:
        known = self.data.cases.get(case_id)
        stored_at = self.data.case_assigned_at.get(case_id)
        newer = assessor_id is not None and (known is None or known.assessor_id is None or stored_at is None
                                             or stored_at <= assigned_at)
        if newer:
            self.data.case_assigned_at[case_id] = assigned_at
        if known is None:
            self.data.cases[case_id] = Case(case_id, account_id, submission_id, assessor_id)
        else:
            self.data.cases[case_id] = replace(known, submission_id=submission_id or known.submission_id,
                                               assessor_id=assessor_id if newer else known.assessor_id)

    def get(self, case_id: UUID) -> Case | None:
        return self.data.cases.get(case_id)

    def assessor_assigned(self, submission_id: UUID | None) -> bool:
        return any(c.submission_id == submission_id and submission_id is not None and c.assessor_id
                   for c in self.data.cases.values())

    def assessor_may_read(self, about_submission_id: UUID, assessor_id: UUID) -> bool:
        return any(c.submission_id == about_submission_id and c.assessor_id == assessor_id
                   and self.data.case_access.get(c.case_id, (False,))[0]
                   for c in self.data.cases.values())

    def set_access(self, case_id: UUID, *, open_: bool, at: datetime) -> None:
        known = self.data.case_access.get(case_id)
        if known is None or known[1] <= at:
            self.data.case_access[case_id] = (open_, at)

    def add_decision(self, decision_id: UUID, case_id: UUID, decision: str, decided_on: date) -> None:
        self.data.decisions.setdefault(decision_id, {"case_id": case_id, "decision": decision,
                                                     "decided_on": decided_on, "purged_at": None})

    def decision_kind(self, decision_id: UUID) -> str | None:
        row = self.data.decisions.get(decision_id)
        return row["decision"] if row else None

    def decision_day(self, decision_id: UUID) -> date | None:
        row = self.data.decisions.get(decision_id)
        return row["decided_on"] if row else None

    def due_final_decisions(self, decided_on_or_before: date) -> list[DueDecision]:
        due = []
        for decision_id, row in sorted(self.data.decisions.items(), key=lambda item: item[1]["decided_on"]):
            case = self.data.cases.get(row["case_id"])
            submission = self.data.submissions.get(case.submission_id) if case else None
            if submission is not None and row["decision"] in ("positive", "negative") \
                    and row["decided_on"] <= decided_on_or_before and row["purged_at"] is None:
                due.append(DueDecision(decision_id, submission.cycle_id))
        return due

    def mark_purged(self, decision_id: UUID, at: datetime) -> None:
        self.data.decisions[decision_id]["purged_at"] = at


class FakeCycles(_Repository):
    def add(self, cycle: Cycle) -> bool:
        period = (cycle.certificate_id, cycle.expires_on, cycle.kind)
        if any((c.certificate_id, c.expires_on, c.kind) == period for c in self.data.cycles.values()):
            return False
        self.data.cycles[cycle.id] = cycle
        return True

    def for_period(self, certificate_id: UUID, expires_on: date, kind: CycleKind) -> Cycle | None:
        return next((c for c in self.data.cycles.values()
                     if (c.certificate_id, c.expires_on, c.kind) == (certificate_id, expires_on, kind)), None)

    def current(self, account_id: UUID, *, for_update: bool = False) -> Cycle | None:
        return next((c for c in self.data.cycles.values()
                     if c.account_id == account_id and c.state != CycleState.CLOSED), None)

    def get(self, cycle_id: UUID, *, for_update: bool = False) -> Cycle | None:
        return self.data.cycles.get(cycle_id)

    def of_submission(self, submission_id: UUID, *, for_update: bool = False) -> Cycle | None:
        submission = self.data.submissions.get(submission_id)
        return self.data.cycles.get(submission.cycle_id) if submission else None

    def save(self, cycle: Cycle) -> None:
        stored = self.data.cycles[cycle.id]
        self.data.cycles[cycle.id] = replace(stored, state=cycle.state, submission_id=cycle.submission_id,
                                             closed_at=cycle.closed_at,
                                             deadline_missed_at=cycle.deadline_missed_at)

    def past_deadline_ids(self, today: date) -> list[UUID]:
        found = [c for c in self.data.cycles.values()
                 if c.state == CycleState.OPEN and c.submit_by < today and c.deadline_missed_at is None]
        return [c.id for c in sorted(found, key=lambda c: (c.submit_by, c.id))]

    def page(self, *, account_id: UUID | None, page: int, page_size: int) -> tuple[list[Cycle], int]:
        found = [c for c in self.data.cycles.values() if account_id is None or c.account_id == account_id]
        found.sort(key=lambda c: c.id)
        found.sort(key=lambda c: c.opened_at, reverse=True)
        return found[(page - 1) * page_size:page * page_size], len(found)


class FakeParts(_Repository):
    def of_cycle(self, cycle_id: UUID) -> dict[str, Part]:
        return {name: part for (cycle, name), part in self.data.parts.items() if cycle == cycle_id}

    def save(self, cycle_id: UUID, part: Part) -> None:
        self.data.parts[(cycle_id, part.part)] = part

    def report_is_about(self, meeting_id: UUID) -> bool:
        return any(part.meeting_id == meeting_id for part in self.data.parts.values())


class FakeMeetings(_Repository):
    def _with_proof(self, meeting: Meeting, proof_id: UUID | None) -> Meeting:
        return replace(meeting, proof=self.data.proofs.get(proof_id) if proof_id else None)

    def of_cycle(self, cycle_id: UUID) -> tuple[Meeting, ...]:
        found = [self._with_proof(m, p) for m, p in self.data.meetings.values() if m.cycle_id == cycle_id]
        return tuple(sorted(found, key=lambda m: (m.met_on, m.created_at, m.id)))

    def get(self, meeting_id: UUID) -> Meeting | None:
        row = self.data.meetings.get(meeting_id)
        return self._with_proof(*row) if row else None

    def add(self, meeting: Meeting) -> bool:
        if meeting.external_id is not None and any(
                (m.cycle_id, m.external_id) == (meeting.cycle_id, meeting.external_id)
                for m, _ in self.data.meetings.values()):
            return False
        proof_id = meeting.proof.id if meeting.proof else None
        self.data.meetings[meeting.id] = (replace(meeting, proof=None), proof_id)
        return True

    def delete(self, meeting_id: UUID) -> None:
        self.data.meetings.pop(meeting_id, None)

    def set_proof(self, meeting_id: UUID, proof_id: UUID) -> None:
        meeting, _ = self.data.meetings[meeting_id]
        self.data.meetings[meeting_id] = (meeting, proof_id)


class FakeProofRows(_Repository):
    def add(self, proof: Proof) -> None:
        self.data.proofs[proof.id] = proof

    def get(self, proof_id: UUID) -> Proof | None:
        return self.data.proofs.get(proof_id)


class FakeSubmissions(_Repository):
    def add(self, submission: Submission) -> None:
        self.data.submissions[submission.id] = submission

    def _withdrawn(self, submission: Submission) -> Submission:
        withdrawn = self.data.withdrawals.get(submission.id)
        if withdrawn is None:
            return submission
        return replace(submission, withdrawn_at=withdrawn[0], withdraw_reason=withdrawn[1])

    def get(self, submission_id: UUID) -> Submission | None:
        found = self.data.submissions.get(submission_id)
        return self._withdrawn(found) if found else None

    def withdraw(self, submission_id: UUID, withdrawn_at: datetime, reason: str | None) -> None:
        assert submission_id not in self.data.withdrawals, "withdrawals has one row per submission"
        self.data.withdrawals[submission_id] = (withdrawn_at, reason)

    def request_withdrawal(self, request: WithdrawalRequest) -> None:
        self.data.withdrawal_requests[request.submission_id] = request

    def withdrawal_request(self, submission_id: UUID | None) -> WithdrawalRequest | None:
        return self.data.withdrawal_requests.get(submission_id)

    def refuse_withdrawal(self, submission_id: UUID, refused_at: datetime, stage: str) -> bool:
        request = self.data.withdrawal_requests.get(submission_id)
        if request is None or not request.pending:
            return False
        self.data.withdrawal_requests[submission_id] = replace(request, refused_at=refused_at,
                                                               refused_stage=stage)
        return True

    def page(self, *, account_id: UUID | None = None, assessor_id: UUID | None = None,
             cycle_id: UUID | None = None, page: int, page_size: int) -> tuple[list[Submission], int]:
        found = [self._withdrawn(s) for s in self.data.submissions.values()
                 if (account_id is None or s.account_id == account_id)
                 and (cycle_id is None or s.cycle_id == cycle_id)
                 and (assessor_id is None or any(c.submission_id == s.about_submission_id
                                                 and c.assessor_id == assessor_id
                                                 for c in self.data.cases.values()))]
        found.sort(key=lambda s: s.id)
        found.sort(key=lambda s: s.submitted_at, reverse=True)
        return found[(page - 1) * page_size:page * page_size], len(found)


class FakeSupplements(_Repository):
    def add(self, supplement: Supplement) -> bool:
        if any(s.case_id == supplement.case_id and s.annulled_at is None
               for s in self.data.supplements.values()):
            return False
        self.data.supplements[supplement.id] = supplement
        return True

    def _latest(self, **where: UUID) -> Supplement | None:
        found = sorted((s for s in self.data.supplements.values()
                        if all(getattr(s, name) == value for name, value in where.items())),
                       key=lambda s: s.id)
        found.sort(key=lambda s: s.opened_at, reverse=True)
        return found[0] if found else None

    def latest(self, cycle_id: UUID) -> Supplement | None:
        return self._latest(cycle_id=cycle_id)

    def of_case(self, case_id: UUID) -> Supplement | None:
        return self._latest(case_id=case_id)

    def mark_revised(self, supplement_id: UUID, part: str) -> None:
        supplement = self.data.supplements[supplement_id]
        if part not in supplement.revised_parts:
            self.data.supplements[supplement_id] = replace(supplement,
                                                           revised_parts=(*supplement.revised_parts, part))

    def save_submitted(self, supplement: Supplement) -> None:
        stored = self.data.supplements[supplement.id]
        self.data.supplements[supplement.id] = replace(
            stored, submitted_at=supplement.submitted_at,
            supplement_submission_id=supplement.supplement_submission_id)

    def save_missed(self, supplement: Supplement) -> None:
        self.data.supplements[supplement.id] = replace(self.data.supplements[supplement.id],
                                                       missed_at=supplement.missed_at)

    def save_annulled(self, supplement: Supplement) -> None:
        stored = self.data.supplements[supplement.id]
        self.data.supplements[supplement.id] = replace(stored, annulled_at=supplement.annulled_at)

    def past_due_cycle_ids(self, today: date) -> list[UUID]:
        cycles = self.data.cycles
        found = [s for s in self.data.supplements.values()
                 if cycles[s.cycle_id].state == CycleState.SUPPLEMENT_OPEN and s.submitted_at is None
                 and s.missed_at is None and s.annulled_at is None and s.due_on < today]
        return [s.cycle_id for s in sorted(found, key=lambda s: (s.due_on, s.cycle_id))]


class FakeRetention(_Repository):
    def purge_cycle_snapshots(self, cycle_id: UUID) -> tuple[int, list[str]]:
        data = self.data
        gone = [s for s in data.submissions.values() if s.cycle_id == cycle_id]
        proof_ids = {p for m, p in data.meetings.values() if m.cycle_id == cycle_id and p}
        for submission in gone:
            for listed in json.loads(submission.content)["reflection_meetings"]:
                if listed["proof"]:
                    proof_ids.add(UUID(listed["proof"]["id"]))
        for meeting_id, (meeting, _) in list(data.meetings.items()):
            if meeting.cycle_id == cycle_id:
                data.meetings[meeting_id] = (meeting, None)
        for submission in gone:
            data.withdrawals.pop(submission.id, None)
            data.withdrawal_requests.pop(submission.id, None)
            del data.submissions[submission.id]
        data.supplements = {k: s for k, s in data.supplements.items() if s.cycle_id != cycle_id}
        in_use = {p for _, p in data.meetings.values() if p}
        keys = [data.proofs.pop(p).object_key for p in sorted(proof_ids)
                if p in data.proofs and p not in in_use]
        return len(gone), keys

    def forget_account(self, account_id: UUID) -> list[str]:
        data = self.data
        cycles = {c.id for c in data.cycles.values() if c.account_id == account_id}
        submissions = {s.id for s in data.submissions.values() if s.account_id == account_id}
        number = data.accounts.get(account_id, {}).get("membership_number")
        data.withdrawals = {k: v for k, v in data.withdrawals.items() if k not in submissions}
        data.withdrawal_requests = {k: v for k, v in data.withdrawal_requests.items() if k not in submissions}
        data.supplements = {k: s for k, s in data.supplements.items() if s.cycle_id not in cycles}
        data.submissions = {k: s for k, s in data.submissions.items() if k not in submissions}
        data.parts = {k: p for k, p in data.parts.items() if k[0] not in cycles}
        data.meetings = {k: m for k, m in data.meetings.items() if m[0].account_id != account_id}
        data.cycles = {k: c for k, c in data.cycles.items() if k not in cycles}
        cases = {k for k, c in data.cases.items() if c.account_id == account_id}
        data.decisions = {k: d for k, d in data.decisions.items() if d["case_id"] not in cases}
        data.case_access = {k: a for k, a in data.case_access.items() if k not in cases}
        data.case_assigned_at = {k: t for k, t in data.case_assigned_at.items() if k not in cases}
        data.cases = {k: c for k, c in data.cases.items() if k not in cases}
        data.pe_evidence = {k: e for k, e in data.pe_evidence.items() if e[1] != account_id}
        data.pe_activity_as_of = {k: t for k, t in data.pe_activity_as_of.items()
                                  if data.pe_activities.get(k, (None,))[0] != account_id}
        data.pe_activities = {k: a for k, a in data.pe_activities.items() if a[0] != account_id}
        data.pe_removed_activities = {k: r for k, r in data.pe_removed_activities.items()
                                      if r[0] != account_id}
        data.pe_removed_evidence = {k: r for k, r in data.pe_removed_evidence.items() if r[0] != account_id}
        data.attendance = {k: f for k, f in data.attendance.items()
                           if f.account_id != account_id and not (number and f.membership_number == number)}
        data.accounts.pop(account_id, None)
        data.calendar_feeds.pop(account_id, None)
        data.nudges = {k: a for k, a in data.nudges.items() if a != account_id}
        MemoryAccessLog(data.reads).forget(account_id)
        keys = [p.object_key for p in data.proofs.values() if p.account_id == account_id]
        data.proofs = {k: p for k, p in data.proofs.items() if p.account_id != account_id}
        return keys


class FakeCalendarFeeds(_Repository):
    def get(self, account_id: UUID) -> CalendarFeed | None:
        found = self.data.calendar_feeds.get(account_id)
        return found[0] if found else None

    def add(self, feed: CalendarFeed, token_sha256: str) -> CalendarFeed:
        self.data.calendar_feeds.setdefault(feed.account_id, (feed, token_sha256))
        return self.data.calendar_feeds[feed.account_id][0]

    def replace(self, feed: CalendarFeed, token_sha256: str) -> None:
        self.data.calendar_feeds[feed.account_id] = (feed, token_sha256)

    def owner_of(self, token_sha256: str) -> UUID | None:
        return next((account for account, (_, hashed) in self.data.calendar_feeds.items()
                     if hashed == token_sha256), None)


class FakeNudges(_Repository):
    def add(self, cycle_id: UUID, milestone: str, account_id: UUID, at: datetime) -> bool:
        if (cycle_id, milestone) in self.data.nudges:
            return False
        self.data.nudges[(cycle_id, milestone)] = account_id
        return True

    def open_cycle_ids(self) -> list[UUID]:
        return sorted(c.id for c in self.data.cycles.values()
                      if c.state in (CycleState.OPEN, CycleState.SUPPLEMENT_OPEN))
class FakeMentors(_Repository):
    def _name(self, account_id: UUID) -> str | None:
        return (self.data.accounts.get(account_id) or {}).get("full_name")

    def membership_kind_of(self, account_id: UUID) -> str | None:
        return (self.data.accounts.get(account_id) or {}).get("membership_kind")

    def _mentor(self, account_id: UUID) -> MentorAccount:
        row = self.data.accounts[account_id]
        region, about = self.data.mentor_profiles.get(account_id, ("", ""))
        return MentorAccount(account_id, row["full_name"] or "", region, about, "mentor" in row["roles"])

    def directory(self) -> list[MentorAccount]:
        found = [self._mentor(a) for a, row in self.data.accounts.items() if "mentor" in row["roles"]]
        return sorted(found, key=lambda m: (m.full_name, str(m.account_id)))

    def mentor(self, account_id: UUID) -> MentorAccount | None:
        return self._mentor(account_id) if account_id in self.data.accounts else None

    def save_profile(self, account_id: UUID, *, region: str, about: str, by: UUID) -> None:
        self.data.mentor_profiles[account_id] = (region, about)

    def _named(self, m: Mentorship) -> Mentorship:
        return replace(m, jobcoach_name=self._name(m.account_id), mentor_name=self._name(m.mentor_id))

    def add(self, mentorship: Mentorship) -> bool:
        if any(m.account_id == mentorship.account_id and m.mentor_id == mentorship.mentor_id and m.active
               for m in self.data.mentorships.values()):
            return False
        self.data.mentorships[mentorship.id] = mentorship
        return True

    def get(self, mentorship_id: UUID, *, for_update: bool = False) -> Mentorship | None:
        found = self.data.mentorships.get(mentorship_id)
        return self._named(found) if found else None

    def save_end(self, mentorship: Mentorship) -> None:
        self.data.mentorships[mentorship.id] = replace(mentorship, jobcoach_name=None, mentor_name=None)

    def of_jobcoach(self, account_id: UUID) -> list[Mentorship]:
        found = [self._named(m) for m in self.data.mentorships.values() if m.account_id == account_id]
        return sorted(found, key=lambda m: (not m.active, -m.started_at.timestamp()))

    def of_mentor(self, mentor_id: UUID) -> list[Mentorship]:
        found = [self._named(m) for m in self.data.mentorships.values()
                 if m.mentor_id == mentor_id and m.active]
        return sorted(found, key=lambda m: -m.started_at.timestamp())

    def add_comment(self, comment: MentorComment) -> None:
        self.data.mentor_comments.append(replace(comment, mentor_name=None))

    def comments(self, *, mentorship_id: UUID | None = None, account_id: UUID | None = None
                 ) -> list[MentorComment]:
        return [replace(c, mentor_name=self._name(c.mentor_id)) for c in self.data.mentor_comments
                if (c.mentorship_id == mentorship_id if mentorship_id else c.account_id == account_id)]


class FakePortfolioUnitOfWork(FakeUnitOfWork):
    """One fake for a whole test: every use case and handler opens it again (``lambda: uow``)."""

    producer = SqlPortfolioUnitOfWork.producer

    def __init__(self) -> None:
        super().__init__()
        self.data = Data()
        self.accounts = FakeAccounts(self)
        self.attendance = FakeAttendance(self)
        self.pe = FakePe(self)
        self.cases = FakeCases(self)
        self.cycles = FakeCycles(self)
        self.parts = FakeParts(self)
        self.meetings = FakeMeetings(self)
        self.proofs = FakeProofRows(self)
        self.submissions = FakeSubmissions(self)
        self.supplements = FakeSupplements(self)
        self.access_log = MemoryAccessLog(self.data.reads)
        self.retention = FakeRetention(self)
        self.calendar_feeds = FakeCalendarFeeds(self)
        self.nudges = FakeNudges(self)
        self.mentors = FakeMentors(self)



class FakeProofStore:
    """The proof bucket in memory, as much of ``ObjectStore`` as portfolio uses."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.deleted: list[str] = []

    def ping(self) -> bool:
        return True

    def ensure_bucket(self) -> None:
        pass

    def put_stream(self, key: str, stream: Any, *, max_bytes: int, filename: str | None = None
                   ) -> StoredObject:
        content = stream.read(max_bytes + 1)
        if len(content) > max_bytes:
            raise UploadTooLarge(max_bytes)
        if not content:
            raise UploadEmpty()
        self.objects[key] = content
        content_type = "application/pdf" if content.startswith(b"%PDF") else "text/plain"
        return StoredObject(key=key, size=len(content), sha256=hashlib.sha256(content).hexdigest(),
                            content_type=content_type, filename=filename)

    def delete(self, key: str) -> None:
        self.deleted.append(key)
        self.objects.pop(key, None)

    def stream(self, key: str) -> bytes:
        if key not in self.objects:
            raise ObjectNotFound(key)
        return self.objects[key]


#: The jobcoach's access token, as the API hands it to the use cases that ask pe-registry (ADR 0044).
TOKEN = "the jobcoach's access token"


@dataclass
class Hold:
    submission_id: UUID
    period: Any
    seen: tuple[UUID, ...]
    activity_ids: tuple[UUID, ...]
    token: str


class FakePeHolds:
    """pe-registry's holds as portfolio sees them (ADR 0044): agreed to unless told to refuse (``changed``:
    the activities pe-registry reports as changed) or to be away (``away``)."""

    def __init__(self) -> None:
        self.held: list[Hold] = []
        self.released: list[UUID] = []
        self.changed: list[UUID] | None = None
        self.away = False

    def hold(self, submission_id: UUID, period: Any, activities: Iterable[Any], activity_ids: Iterable[UUID],
             *, token: str) -> None:
        if self.away:
            raise ServiceUnreachable("pe-registry: cannot connect", service="pe-registry", method="POST",
                                     url="http://pe-registry/v1/internal/submission-holds")
        if self.changed is not None:
            raise PeChangedWhileSubmitting(activity_ids=list(self.changed))
        self.held.append(Hold(submission_id, period, tuple(a.activity_id for a in activities),
                              tuple(activity_ids), token))

    def release(self, submission_id: UUID, *, token: str) -> None:
        self.released.append(submission_id)
