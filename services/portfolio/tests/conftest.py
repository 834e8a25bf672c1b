"""Builders of portfolio entities for the unit tests, and the ``world`` of the use-case and handler tests:
the service and the handlers on a fake unit of work (no database, broker or storage)."""
from __future__ import annotations

import dataclasses
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import portfolio_fakes as fakes
import pytest

from recert_common.events import load_event, new_event
from recert_common.events import registry as event_registry
from recert_common.rules import add_years
from recert_common.uow import fake_handled
from recert_portfolio.domain import (
    SOURCE_NOLOC,
    SOURCE_UPLOAD,
    Cycle,
    CycleKind,
    CycleState,
    Meeting,
    Part,
    PeActivity,
    Proof,
    regular_cycle_dates,
)
from recert_portfolio.handlers import Handlers
from recert_portfolio.service import PortfolioService
from recert_portfolio.settings import PortfolioSettings

FakePortfolioUnitOfWork, FakeProofStore = fakes.FakePortfolioUnitOfWork, fakes.FakeProofStore

T0 = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)


class Build:
    def cycle(self, *, certified_on=date(2023, 6, 30), expires_on=date(2027, 6, 30), state=CycleState.OPEN,
              kind=CycleKind.REGULAR) -> Cycle:
        dates = regular_cycle_dates(expires_on, valid_from=expires_on, decided_on=certified_on)
        return Cycle(id=uuid.uuid4(), portfolio_id=uuid.uuid4(), account_id=uuid.uuid4(),
                     certificate_id=uuid.uuid4(), kind=kind, state=state, starts_on=dates.starts_on,
                     expires_on=dates.expires_on, window_opens_on=dates.window_opens_on,
                     submit_by=dates.submit_by, submission_id=None, previous_cycle_id=None, opened_at=T0,
                     closed_at=None)

    def proof(self, sha256: str = "a" * 64) -> Proof:
        return Proof(id=uuid.uuid4(), account_id=uuid.uuid4(), object_key="k", sha256=sha256, size=10,
                     content_type="application/pdf", filename="proof.pdf", uploaded_at=T0)

    def meeting(self, cycle: Cycle, met_on: date, *, noloc: bool = False, proof: Proof | None = None,
                kind: str = "intervision") -> Meeting:
        return Meeting(id=uuid.uuid4(), cycle_id=cycle.id, account_id=cycle.account_id, met_on=met_on,
                       kind=kind, group_name="Groep Noord", supervisor_name=None, duration_minutes=120,
                       source=SOURCE_NOLOC if noloc else SOURCE_UPLOAD,
                       external_id=f"noloc-{uuid.uuid4()}" if noloc else None, proof=proof, created_at=T0)

    def activity(self, completed_on: date, points: str, category: str = "1",
                 evidence: tuple[str, ...] = ("e" * 64,), source: str = "manual") -> PeActivity:
        """An activity with one evidence file unless ``evidence=()`` (then it counts only from Noloc)."""
        return PeActivity(activity_id=uuid.uuid4(), category=category, title="Cursus",
                          completed_on=completed_on, points=Decimal(points), evidence_sha256s=evidence,
                          source=source)

    def complete_parts(self, report_meeting: Meeting) -> dict[str, Part]:
        return {
            "A1": Part("A1", "Loopbaan in vogelvlucht; de laatste vier jaar in detail.", declared_at=T0,
                       works_now_declared_at=T0),
            "A2": Part("A2", "Terugblik op het vorige ontwikkelplan."),
            "A3": Part("A3", "Reflectie op een intervisiebijeenkomst.", meeting_id=report_meeting.id),
            "A4": Part("A4", "Wat ik de komende jaren wil leren."),
        }


@pytest.fixture
def build() -> Build:
    return Build()


# --- the fake world of the use-case and handler tests ---------------------------------------------------

COACH_NUMBER = iter(range(10_000_001, 99_999_999))
EXPIRES = date(2027, 6, 30)  # a 2027 certificate: 4 reflection meetings; window from 2027-03-30


@dataclass
class Coach:
    account_id: uuid.UUID
    membership_number: str


TOKEN = fakes.TOKEN


class World:
    """Portfolio's service and handlers on one fake unit of work, standing on a settable day."""

    def __init__(self) -> None:
        self.uow = FakePortfolioUnitOfWork()
        self.objects = FakeProofStore()
        self.today = date(2027, 4, 15)
        self.now = datetime(2027, 4, 15, 10, 0, tzinfo=UTC)
        self.settings = PortfolioSettings.from_env("portfolio", env={}, proof_max_bytes=1024)
        self.service = PortfolioService(lambda: self.uow, self.settings, self.objects,
                                        today=lambda: self.today, now=lambda: self.now)
        self.pe_holds = fakes.FakePeHolds()
        self.service.pe_holds = lambda: self.pe_holds
        self.handlers = Handlers(ZoneInfo("Europe/Amsterdam"), self.objects, now=lambda: self.now)
        self.routes = self.handlers.table()

    @property
    def data(self):
        return self.uow.data

    # --- events in and out -------------------------------------------------------------------------------

    def event(self, type_: str, data: dict, *, occurred_at: datetime | None = None):
        made = new_event(type_, data, producer=event_registry.get(type_).producer,
                         subject=data.get("account_id"))
        event = dataclasses.replace(load_event(made.to_message()), occurred_at=occurred_at or self.now)
        fake_handled(self.uow, self.routes[type_], event)
        return event

    def published(self, type_: str | None = None) -> list:
        return [e for e in self.uow.published if type_ is None or e.type == type_]

    # --- other services' facts ---------------------------------------------------------------------------

    def coach(self, *, register: bool = True) -> Coach:
        coach = Coach(uuid.uuid4(), str(next(COACH_NUMBER)))
        if register:
            self.account(coach)
        return coach

    def account(self, coach: Coach, *, number: str | None = None, occurred_at: datetime | None = None,
                updated: bool = False) -> None:
        """identity.account.registered, or with ``updated`` identity.account.updated (a new number)."""
        data = {"account_id": coach.account_id, "email": f"{coach.membership_number}@example.org",
                "full_name": "Jet Coach", "roles": ["jobcoach"], "membership_kind": "member",
                "membership_number": number or coach.membership_number, "preferred_language": "nl"}
        if updated:
            data["changed"] = ["membership_number"]
        self.event("identity.account.updated" if updated else "identity.account.registered", data,
                   occurred_at=occurred_at)

    def certificate(self, coach: Coach, valid_until: date = EXPIRES, *, certificate_id=None) -> uuid.UUID:
        certificate_id = certificate_id or uuid.uuid4()
        self.event("certification.certificate.registered", {
            "certificate_id": certificate_id, "certificate_number": "RJ-1", "account_id": coach.account_id,
            "valid_from": add_years(valid_until, -4), "valid_until": valid_until})
        return certificate_id

    def noloc_meeting(self, coach: Coach, met_on: date, *, external_id: str | None = None) -> str:
        external_id = external_id or f"noloc-{uuid.uuid4()}"
        self.event("noloc.meeting.attended", {
            "external_id": external_id, "membership_number": coach.membership_number, "met_on": met_on,
            "kind": "intervision", "group_name": "Intervisiegroep Utrecht", "duration_minutes": 120})
        return external_id

    def pe_activity(self, coach: Coach, completed_on: date, points: str, *, evidence: bool = True
                    ) -> uuid.UUID:
        activity_id = uuid.uuid4()
        self.event("pe.activity.recorded", {
            "activity_id": activity_id, "account_id": coach.account_id, "category": "1",
            "title": "Training", "completed_on": completed_on, "unit": "sbu", "amount": Decimal(points),
            "points": Decimal(points), "source": "manual", "external_id": None})
        if evidence:
            self.evidence(coach, activity_id)
        return activity_id

    def evidence(self, coach: Coach, activity_id: uuid.UUID) -> uuid.UUID:
        evidence_id = uuid.uuid4()
        self.event("pe.evidence.attached", {
            "evidence_id": evidence_id, "activity_id": activity_id, "account_id": coach.account_id,
            "sha256": hashlib.sha256(evidence_id.bytes).hexdigest(), "size": 10,
            "content_type": "application/pdf", "filename": "bewijs.pdf"})
        return evidence_id

    def case(self, coach: Coach, submission_id: uuid.UUID, *, assessor_id=None) -> uuid.UUID:
        case_id = uuid.uuid4()
        cycle = self.service.current(coach.account_id).cycle
        self.event("assessment.case.opened", {
            "case_id": case_id, "account_id": coach.account_id, "portfolio_id": cycle.portfolio_id,
            "submission_id": submission_id, "due_on": self.today + timedelta(weeks=8)})
        if assessor_id is not None:
            self.assign(coach, case_id, assessor_id)
        return case_id

    def assign(self, coach: Coach, case_id: uuid.UUID, assessor_id: uuid.UUID) -> None:
        self.event("assessment.assessor.assigned", {
            "case_id": case_id, "account_id": coach.account_id, "assessor_id": assessor_id,
            "previous_assessor_id": None, "due_on": self.today + timedelta(weeks=8)})

    def withdrawal_answered(self, coach: Coach, case_id: uuid.UUID, submission_id: uuid.UUID, *,
                            refused_at_stage: str | None = None) -> None:
        """Assessment's answer to the request to withdraw: granted, or refused at the case's stage."""
        facts = {"case_id": case_id, "account_id": coach.account_id, "submission_id": submission_id}
        if refused_at_stage is None:
            self.event("assessment.case.withdrawn", facts)
        else:
            self.event("assessment.withdrawal.refused", {**facts, "stage": refused_at_stage})

    def withdrawn(self, coach: Coach, case_id: uuid.UUID, submission_id: uuid.UUID, reason=None) -> None:
        """The jobcoach asks to withdraw and assessment grants it."""
        self.service.withdraw(coach.account_id, reason)
        self.withdrawal_answered(coach, case_id, submission_id)

    def decide(self, coach: Coach, case_id: uuid.UUID, decision: str, *, parts=("A2",),
               certificate_id=None, decision_id: uuid.UUID | None = None) -> uuid.UUID:
        decision_id = decision_id or uuid.uuid4()
        data = {"decision_id": decision_id, "case_id": case_id, "account_id": coach.account_id,
                "certificate_id": certificate_id or uuid.uuid4(), "decision": decision,
                "follows_advice": True, "objection_deadline": self.today + timedelta(days=42)}
        if decision == "negative":
            data["new_portfolio_deadline"] = self.today + timedelta(days=90)
        if decision == "postponed":
            data["supplement_due_on"] = self.today + timedelta(days=90)
            data["supplements"] = [{"part": p, "assignment": f"Vul {p} aan."} for p in parts]
        self.event("certification.decision.made", data)
        return decision_id

    def objection_decided(self, coach: Coach, case_id: uuid.UUID, decision_id: uuid.UUID, *,
                          outcome: str = "upheld", next_step: str | None = "pe_check",
                          objection_id: uuid.UUID | None = None):
        """assessment.objection.decided about ``decision_id``; by default upheld against the postponed
        decision on the failed PE check alone, so the case goes back to DNV's PE check (ADR 0011)."""
        data = {"objection_id": objection_id or uuid.uuid4(), "case_id": case_id, "decision_id": decision_id,
                "account_id": coach.account_id, "outcome": outcome, "reason": "De PE-toets telde verkeerd."}
        if next_step is not None:
            data["next_step"] = next_step
        return self.event("assessment.objection.decided", data)

    def pe_postponed(self) -> tuple[Coach, uuid.UUID, uuid.UUID, uuid.UUID]:
        """A submitted portfolio whose PE check failed: DNV's round-0 postponed decision on part B opened a
        supplement for B. Returns the jobcoach, the submission, the case and the decision."""
        coach, submission_id = self.submitted()
        case_id = self.case(coach, submission_id)
        decision_id = self.decide(coach, case_id, "postponed", parts=("B",))
        return coach, submission_id, case_id, decision_id

    # --- the jobcoach ------------------------------------------------------------------------------------

    def complete(self, coach: Coach) -> None:
        """Everything a complete portfolio holds: texts, declarations, 4 Noloc meetings, A3, 75 PE points."""
        for part in ("A1", "A2", "A4"):
            declarations = {"declared": True, "declared_now": True} if part == "A1" else {}
            self.service.save_part(coach.account_id, part, text=f"Tekst van {part}.", **declarations)
        for day in (date(2025, 1, 10), date(2025, 5, 10), date(2026, 1, 10), date(2026, 5, 10)):
            self.noloc_meeting(coach, day)
        meeting = self.service.meetings(coach.account_id)[0]
        self.service.save_part(coach.account_id, "A3", text="Reflectie.", meeting_id=meeting.id)
        self.pe_activity(coach, date(2025, 3, 1), "75")

    def submitted(self, coach: Coach | None = None) -> tuple[Coach, uuid.UUID]:
        coach = coach or self.coach()
        if self.uow.cycles.current(coach.account_id) is None:
            self.certificate(coach)
        self.complete(coach)
        return coach, self.service.submit(coach.account_id, token=TOKEN).id

    def supplement_revised(self) -> tuple[Coach, uuid.UUID, uuid.UUID]:
        """A submitted portfolio whose case DNV postponed for A2, with A2 revised: ready to hand in. Returns
        the jobcoach, the submission and the case."""
        coach, submission_id = self.submitted()
        case_id = self.case(coach, submission_id)
        self.decide(coach, case_id, "postponed", parts=("A2",))
        self.service.save_part(coach.account_id, "A2", text="aangevuld")
        return coach, submission_id, case_id


@pytest.fixture
def world() -> World:
    return World()
