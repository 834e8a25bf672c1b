"""The case's use cases. Each runs in one transaction that locks the case, checks who may act and whether the
state machine allows the step, writes the change, its audit-trail entry and its event together.

Who may see a case: DNV officers every case, an assessor the cases assigned to them now, a jobcoach their
own; anyone else gets 404 as if it did not exist. The functions at the end (``open_case``, ``apply_payment``,
``receive_supplement``, ``withdraw_case``) are used by the event handlers, inside the consumer's transaction.

"Today" (decision dates, deadlines) comes from an injectable function so tests can stand on any day.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import psycopg

from recert_assessment import certificates, store
from recert_assessment.certificates import CertificateService
from recert_assessment.domain import (
    AssessmentForm,
    AuditEntry,
    Case,
    Decision,
    Finding,
    GivenAdvice,
    Objection,
    PeCheck,
    PeCheckProposal,
    Rejection,
    Supplement,
    assessor_conflict,
    case_due_on,
    form_refusals,
    framework_for,
    objection_deadline,
    overdue_status,
    pe_check_proposal,
    pe_supplement_assignment,
)
from recert_assessment.form_pdf import FormHeader, render_form
from recert_assessment.problems import (
    AssessorNotAllowed,
    ObjectionRefused,
    PeRulesNotMet,
    StepOutOfOrder,
    invalid,
    not_found,
)
from recert_assessment.settings import AssessmentSettings
from recert_assessment.states import (
    SUPPLEMENT_STATES,
    CaseAction,
    CaseState,
    allows,
    is_open,
    stage,
    transition,
)
from recert_common import bus
from recert_common.auth import Principal, Role
from recert_common.clock import utcnow
from recert_common.db import Database
from recert_common.errors import ValidationProblem
from recert_common.rules import new_portfolio_deadline, supplement_deadline

PRODUCER = "assessment"
SYSTEM = "system"
_log = logging.getLogger(__name__)


def _plain(value: Any) -> Any:
    if isinstance(value, (UUID, date, datetime, Decimal)):
        return str(value) if not isinstance(value, (date, datetime)) else value.isoformat()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def audit(conn: psycopg.Connection, case_id: UUID, action: str, *, actor: Principal | None, role: str,
          at: datetime, **details: Any) -> None:
    store.add_audit(conn, AuditEntry(case_id=case_id, at=at, actor_id=actor.account_id if actor else None,
                                     role=role, action=action, details=_plain(details)))


def _move(conn: psycopg.Connection, case: Case, action: CaseAction, **changes: Any) -> CaseState:
    """The case's next state by the table (refused as out of order when the table has no such step)."""
    if not allows(case.state, action):
        raise StepOutOfOrder(action, case.state)
    state = transition(case.state, action)
    store.update_case(conn, case.id, state=state, **changes)
    return state


@dataclass(frozen=True)
class CaseView:
    """A case with everything the caller may see about it, read in one transaction."""

    case: Case
    pe_check: PeCheck | None
    advices: tuple[GivenAdvice, ...]
    decisions: tuple[Decision, ...]
    objections: tuple[Objection, ...]
    supplement: Supplement | None
    mentor_ids: tuple[UUID, ...]
    names: Mapping[UUID, str]
    today: date

    @property
    def stage(self) -> str | None:
        return stage(self.case.state) if is_open(self.case.state) else None


@dataclass(frozen=True)
class PeCheckView:
    case: Case
    proposal: PeCheckProposal
    check: PeCheck | None


@dataclass(frozen=True)
class OverdueItem:
    case: Case
    status: str  # overdue | due_soon
    stage: str
    days_overdue: int


class AssessmentService:
    def __init__(self, db: Database, settings: AssessmentSettings, *, today: Callable[[], date] | None = None,
                 now: Callable[[], datetime] = utcnow):
        self.db = db
        self.settings = settings
        self.today = today or settings.calendar_today()
        self.now = now
        self.certificates = CertificateService(db, today=self.today, now=now)

    # --- access --------------------------------------------------------------------------------------

    @staticmethod
    def may_see(principal: Principal, case: Case) -> bool:
        if principal.has_any_role(Role.DNV_OFFICER):
            return True
        if principal.has_any_role(Role.ASSESSOR) and case.assessor_id == principal.account_id:
            return True
        return principal.account_id == case.account_id

    def _case(self, conn: psycopg.Connection, principal: Principal, case_id: UUID, *,
              for_update: bool = True) -> Case:
        case = store.case(conn, case_id, for_update=for_update)
        if case is None or not self.may_see(principal, case):
            raise not_found()
        return case

    def _assigned_case(self, conn: psycopg.Connection, assessor: Principal, case_id: UUID) -> Case:
        """The case, when it is assigned to this assessor now; 404 for any other."""
        case = store.case(conn, case_id, for_update=True)
        if case is None or case.assessor_id != assessor.account_id:
            raise not_found()
        return case

    # --- reading -------------------------------------------------------------------------------------

    def view(self, principal: Principal, case_id: UUID) -> CaseView:
        with self.db.transaction() as conn:
            return self._view(conn, self._case(conn, principal, case_id, for_update=False), principal)

    def _view(self, conn: psycopg.Connection, case: Case, principal: Principal) -> CaseView:
        decisions = tuple(store.decisions(conn, case.id))
        advices = tuple(store.advices(conn, case.id))
        if not principal.has_any_role(Role.DNV_OFFICER, Role.ASSESSOR):
            # The jobcoach reads an advice with the decision on it, not before.
            decided = {d.round for d in decisions}
            advices = tuple(a for a in advices if a.round in decided)
        names = store.names(conn, [case.account_id, case.assessor_id])
        return CaseView(case=case, pe_check=store.pe_check(conn, case.id), advices=advices,
                        decisions=decisions, objections=tuple(store.objections(conn, case.id)),
                        supplement=store.supplement(conn, case.id),
                        mentor_ids=tuple(store.mentors(conn, case.account_id)), names=names,
                        today=self.today())

    def list_cases(self, principal: Principal, *, account_id: UUID | None, assessor_id: UUID | None,
                   state: str | None, page: int, page_size: int) -> tuple[list[Case], int]:
        """DNV officers: every case (filtered as asked); assessors: the cases assigned to them; a jobcoach:
        their own."""
        if not principal.has_any_role(Role.DNV_OFFICER):
            if principal.has_any_role(Role.ASSESSOR):
                assessor_id, account_id = principal.account_id, None
            else:
                account_id, assessor_id = principal.account_id, None
        with self.db.transaction() as conn:
            return store.list_cases(conn, account_id=account_id, assessor_id=assessor_id, state=state,
                                    page=page, page_size=page_size)

    def audit_trail(self, principal: Principal, case_id: UUID) -> list[AuditEntry]:
        with self.db.transaction() as conn:
            self._case(conn, principal, case_id, for_update=False)
            return store.audit(conn, case_id)

    def overdue(self) -> list[OverdueItem]:
        """Open cases past their due date or due within the configured number of days, soonest first."""
        today = self.today()
        with self.db.transaction() as conn:
            cases = store.open_cases_due_by(conn, today + timedelta(days=self.settings.due_soon_days))
        return [OverdueItem(case, overdue_status(case.due_on, today), stage(case.state),
                            max((today - case.due_on).days, 0)) for case in cases]

    # --- PE check ------------------------------------------------------------------------------------

    def _proposal(self, conn: psycopg.Connection, case: Case) -> PeCheckProposal:
        known = store.pe_activities(conn, case.pe_activity_ids)
        return pe_check_proposal(case.pe_activity_ids, known, store.rejections(conn, case.id),
                                 framework_for(case))

    def pe_check(self, principal: Principal, case_id: UUID) -> PeCheckView:
        with self.db.transaction() as conn:
            case = self._case(conn, principal, case_id, for_update=False)
            if not principal.has_any_role(Role.DNV_OFFICER, Role.ASSESSOR):
                raise not_found()
            return PeCheckView(case, self._proposal(conn, case), store.pe_check(conn, case.id))

    def reject_activity(self, officer: Principal, case_id: UUID, activity_id: UUID, reason: str
                        ) -> PeCheckView:
        now = self.now()
        with self.db.transaction() as conn:
            case = self._case(conn, officer, case_id)
            if case.state != CaseState.OPENED:
                raise StepOutOfOrder("reject_activity", case.state)
            if activity_id not in case.pe_activity_ids:
                raise invalid("activity_id", "assessment.field.not_in_snapshot")
            store.insert_rejection(conn, case.id, Rejection(activity_id, reason, officer.account_id, now))
            audit(conn, case.id, "pe_activity_rejected", actor=officer, role=Role.DNV_OFFICER, at=now,
                  activity_id=activity_id, reason=reason)
            return PeCheckView(case, self._proposal(conn, case), None)

    def withdraw_rejection(self, officer: Principal, case_id: UUID, activity_id: UUID) -> PeCheckView:
        now = self.now()
        with self.db.transaction() as conn:
            case = self._case(conn, officer, case_id)
            if case.state != CaseState.OPENED:
                raise StepOutOfOrder("reject_activity", case.state)
            if not store.delete_rejection(conn, case.id, activity_id):
                raise not_found()
            audit(conn, case.id, "pe_activity_rejection_withdrawn", actor=officer, role=Role.DNV_OFFICER,
                  at=now, activity_id=activity_id)
            return PeCheckView(case, self._proposal(conn, case), None)

    def complete_pe_check(self, officer: Principal, case_id: UUID, *, passed: bool,
                          findings: Sequence[Finding]) -> PeCheckView:
        """Passed only when the rules are met after the rejections; failed names its findings. Every
        rejected activity is a finding of its own.

        Passed: the case waits for the recertification fee, then goes to an assessor. Failed: the case stops
        for DNV's decision on part B (ADR 0011), never to payment or an assessor. After a supplement for B
        the check is done again and replaces the earlier one."""
        now = self.now()
        action = CaseAction.COMPLETE_PE_CHECK if passed else CaseAction.FAIL_PE_CHECK
        with self.db.transaction() as conn:
            case = self._case(conn, officer, case_id)
            if not allows(case.state, action):
                raise StepOutOfOrder(action, case.state)
            proposal = self._proposal(conn, case)
            summary = proposal.summary
            if passed and not summary.met:
                raise PeRulesNotMet(str(summary.counted_total), str(summary.required_total))
            rejected = tuple(
                Finding(a.rejection.reason, a.activity_id, a.activity.category if a.activity else None)
                for a in proposal.activities if a.rejection is not None)
            if not passed and not (findings or rejected):
                raise invalid("findings", "assessment.field.findings_required")
            check = PeCheck(case_id=case.id, passed=passed, points_counted=summary.counted_total,
                            points_required=summary.required_total, findings=rejected + tuple(findings),
                            completed_by=officer.account_id, completed_at=now)
            store.insert_pe_check(conn, check, summary.framework_version)
            _move(conn, case, action)
            audit(conn, case.id, "pe_check_completed", actor=officer, role=Role.DNV_OFFICER, at=now,
                  passed=passed, points_counted=summary.counted_total, findings=len(check.findings))
            bus.record(conn, "assessment.pe_check.completed", {
                "case_id": case.id, "account_id": case.account_id, "passed": passed,
                "pe_points_counted": summary.counted_total, "pe_points_required": summary.required_total,
                "findings": [{"text": f.text, "activity_id": f.activity_id, "category": f.category}
                             for f in check.findings],
            }, producer=PRODUCER, subject=case.account_id)
            if passed and (case.paid_at is not None or store.recertification_paid(conn, case.submission_id)):
                _payment_received(conn, store.case(conn, case.id), now)
            return PeCheckView(store.case(conn, case.id), proposal, check)

    # --- assessor ------------------------------------------------------------------------------------

    def declare_mentor(self, principal: Principal, case_id: UUID, mentor_id: UUID) -> tuple[UUID, ...]:
        """The jobcoach (or a DNV officer) names a mentor, who will never be the jobcoach's assessor."""
        now = self.now()
        with self.db.transaction() as conn:
            case = self._case(conn, principal, case_id)
            if principal.account_id != case.account_id and not principal.has_any_role(Role.DNV_OFFICER):
                raise not_found()
            mentor = store.account(conn, mentor_id)
            if mentor is None or Role.ASSESSOR not in mentor["roles"]:
                raise invalid("mentor_id", "assessment.field.not_an_assessor")
            if store.insert_mentor(conn, case.account_id, mentor_id, principal.account_id):
                role = Role.JOBCOACH if principal.account_id == case.account_id else Role.DNV_OFFICER
                audit(conn, case.id, "mentor_declared", actor=principal, role=role, at=now,
                      mentor_id=mentor_id)
            return tuple(store.mentors(conn, case.account_id))

    def assign(self, officer: Principal, case_id: UUID, assessor_id: UUID) -> CaseView:
        now = self.now()
        with self.db.transaction() as conn:
            case = self._case(conn, officer, case_id)
            if not allows(case.state, CaseAction.ASSIGN):
                raise StepOutOfOrder(CaseAction.ASSIGN, case.state)
            assessor = store.account(conn, assessor_id)
            if assessor is None or Role.ASSESSOR not in assessor["roles"]:
                raise invalid("assessor_id", "assessment.field.not_an_assessor")
            if assessor_id != case.assessor_id:
                conflict = assessor_conflict(assessor_id, case, store.mentors(conn, case.account_id),
                                             store.previous_assessor(conn, case))
                if conflict is not None:
                    raise AssessorNotAllowed(conflict)
                _move(conn, case, CaseAction.ASSIGN, assessor_id=assessor_id)
                audit(conn, case.id, "assessor_assigned", actor=officer, role=Role.DNV_OFFICER, at=now,
                      assessor_id=assessor_id, previous_assessor_id=case.assessor_id)
                bus.record(conn, "assessment.assessor.assigned", {
                    "case_id": case.id, "account_id": case.account_id, "assessor_id": assessor_id,
                    "previous_assessor_id": case.assessor_id, "due_on": case.due_on,
                }, producer=PRODUCER, subject=case.account_id)
            return self._view(conn, store.case(conn, case.id), officer)

    # --- advice --------------------------------------------------------------------------------------

    def give_advice(self, assessor: Principal, case_id: UUID, form: AssessmentForm) -> GivenAdvice:
        now = self.now()
        with self.db.transaction() as conn:
            case = self._assigned_case(conn, assessor, case_id)
            if not allows(case.state, CaseAction.ADVISE):
                raise StepOutOfOrder(CaseAction.ADVISE, case.state)
            reassessment = case.state == CaseState.REASSESSING
            check = store.pe_check(conn, case.id)
            # One supplement per case (ADR 0011): after a supplement for B the advice is final too.
            had_supplement = any(d.decision == "postponed" for d in store.decisions(conn, case.id))
            refusals = form_refusals(form, reassessment=reassessment or had_supplement,
                                     pe_check_failed=check is not None and not check.passed)
            if refusals:
                raise ValidationProblem(refusals, code="assessment.detail.invalid_input")
            # The advice is internal to DNV: it opens nothing and starts no term; DNV's decision does.
            given = GivenAdvice(case_id=case.id, round=2 if reassessment else 1,
                                assessor_id=assessor.account_id, form=form, supplement_due_on=None,
                                given_at=now)
            store.insert_advice(conn, given)
            _move(conn, case, CaseAction.ADVISE)
            audit(conn, case.id, "advice_given", actor=assessor, role=Role.ASSESSOR, at=now,
                  advice=form.advice, round=given.round,
                  verdicts={v.part: v.verdict for v in form.verdicts})
            bus.record(conn, "assessment.advice.given", {
                "case_id": case.id, "account_id": case.account_id, "assessor_id": assessor.account_id,
                "advice": form.advice, "is_reassessment": reassessment,
                "supplements": [{"part": s.part, "assignment": s.assignment} for s in form.supplements],
            }, producer=PRODUCER, subject=case.account_id)
            return given

    def form(self, principal: Principal, case_id: UUID, round_: int | None = None
             ) -> tuple[FormHeader, GivenAdvice]:
        """The assessment form of a round (default: the latest): the assigned assessor and DNV officers;
        the jobcoach once DNV decided on it."""
        with self.db.transaction() as conn:
            case = self._case(conn, principal, case_id, for_update=False)
            view = self._view(conn, case, principal)
            if not view.advices:
                raise not_found()
            advice = view.advices[-1] if round_ is None else next(
                (a for a in view.advices if a.round == round_), None)
            if advice is None:
                raise not_found()
            certificate = store.certificate(conn, case.certificate_id)
            names = store.names(conn, [case.account_id, advice.assessor_id])
        header = FormHeader(case_id=str(case.id), jobcoach_name=names.get(case.account_id),
                            certificate_number=certificate.number if certificate else None,
                            certificate_expires_on=case.certificate_expires_on,
                            assessor_name=names.get(advice.assessor_id),
                            submitted_on=case.submitted_at.astimezone(self.settings.zone).date())
        return header, advice

    def form_pdf(self, principal: Principal, case_id: UUID, round_: int | None = None) -> tuple[bytes, int]:
        header, advice = self.form(principal, case_id, round_)
        return render_form(header, advice, self.settings.zone), advice.round

    # --- decision ------------------------------------------------------------------------------------

    def decide(self, officer: Principal, case_id: UUID, *, decision: str, reason: str | None) -> Decision:
        """DNV's decision (ADR 0011). After the advice: positive, negative, or postponed on a postponed
        advice, with the advice's assignments. After a failed PE check: postponed on part B, with the check's
        findings as the assignment; negative once the check of the supplement failed too. A postponed
        decision starts the supplement's 3 months from today, the decision date; it is possible once per
        case. While a supplement is due, only a negative decision, and only after its due date."""
        today, now = self.today(), self.now()
        with self.db.transaction() as conn:
            case = self._case(conn, officer, case_id)
            action = CaseAction.POSTPONE if decision == "postponed" else CaseAction.DECIDE
            if not allows(case.state, action):
                raise StepOutOfOrder(action, case.state)
            advices = store.advices(conn, case.id)
            had_supplement = any(d.decision == "postponed" for d in store.decisions(conn, case.id))
            if case.state in SUPPLEMENT_STATES:
                # Only when the supplement never came: the term must be over, and the end is negative.
                if today <= case.supplement_due_on:
                    raise invalid("decision", "assessment.field.supplement_still_due",
                                  due_on=case.supplement_due_on.isoformat())
                if decision != "negative":
                    raise invalid("decision", "assessment.field.negative_only_without_supplement")
            if decision == "postponed" and had_supplement:
                raise invalid("decision", "assessment.field.one_supplement_per_case")
            supplements: tuple = ()
            if case.state == CaseState.PE_CHECK_FAILED:
                wanted = "negative" if had_supplement else "postponed"
                if decision != wanted:
                    raise invalid("decision", "assessment.field.final_decision_only" if had_supplement
                                  else "assessment.field.failed_pe_check_postponed_first")
            if not advices:  # the failed PE check's own path: there is no advice to follow or depart from
                round_, follows = 0, True
                if decision == "postponed":
                    supplements = (pe_supplement_assignment(store.pe_check(conn, case.id).findings),)
            else:
                latest = advices[-1]
                if decision == "postponed":
                    if latest.advice != "postponed":
                        raise invalid("decision", "assessment.field.postponed_needs_postponed_advice")
                    supplements = latest.form.supplements
                round_, follows = latest.round, decision == latest.advice
            if not follows and not reason:
                raise invalid("reason", "assessment.field.reason_required")
            due = supplement_deadline(today) if decision == "postponed" else None
            record = Decision(
                id=uuid.uuid4(), case_id=case.id, round=round_, decision=decision,
                follows_advice=follows, reason=reason, decided_on=today,
                objection_deadline=objection_deadline(today, self.settings.objection_weeks),
                new_portfolio_deadline=new_portfolio_deadline(today) if decision == "negative" else None,
                supplement_due_on=due, decided_by=officer.account_id, decided_at=now)
            store.insert_decision(conn, record)
            _move(conn, case, action, **({"due_on": due, "supplement_due_on": due} if due else {}))
            audit(conn, case.id, "decision_made", actor=officer, role=Role.DNV_OFFICER, at=now,
                  decision=decision, follows_advice=follows, reason=reason, decision_id=record.id,
                  supplement_due_on=due)
            bus.record(conn, "certification.decision.made", {
                "decision_id": record.id, "case_id": case.id, "account_id": case.account_id,
                "certificate_id": case.certificate_id, "decision": decision, "follows_advice": follows,
                "reason": reason, "objection_deadline": record.objection_deadline,
                "new_portfolio_deadline": record.new_portfolio_deadline,
                "supplement_due_on": record.supplement_due_on,
                "supplements": [{"part": s.part, "assignment": s.assignment} for s in supplements],
            }, producer=PRODUCER, subject=case.account_id)
            if decision == "positive":
                renewed = certificates.renew_after_positive(conn, case, record)
                audit(conn, case.id, "certificate_renewed", actor=None, role=SYSTEM, at=now,
                      certificate_id=renewed.id, valid_from=renewed.valid_from,
                      valid_until=renewed.valid_until)
            elif decision == "negative":
                certificate = store.certificate(conn, case.certificate_id, for_update=True)
                if certificate is not None and certificate.valid_until == case.certificate_expires_on \
                        and certificates.lapse_if_due(conn, certificate, today):
                    audit(conn, case.id, "certificate_lapsed", actor=None, role=SYSTEM, at=now,
                          certificate_id=certificate.id)
            return record

    # --- objection -----------------------------------------------------------------------------------

    def file_objection(self, jobcoach: Principal, case_id: UUID, reason: str) -> Objection:
        today, now = self.today(), self.now()
        with self.db.transaction() as conn:
            case = self._case(conn, jobcoach, case_id)
            if case.account_id != jobcoach.account_id:
                raise not_found()
            decisions = store.decisions(conn, case.id)
            if not decisions:
                raise ObjectionRefused("no_decision")
            decision = decisions[-1]
            if decision.decision == "positive":
                raise ObjectionRefused("positive_decision")
            if today > decision.objection_deadline:
                raise ObjectionRefused("term_passed", deadline=decision.objection_deadline.isoformat())
            objection = Objection(id=uuid.uuid4(), case_id=case.id, decision_id=decision.id,
                                  account_id=case.account_id, reason=reason, filed_at=now)
            if not store.insert_objection(conn, objection):
                raise ObjectionRefused("already_filed")
            audit(conn, case.id, "objection_filed", actor=jobcoach, role=Role.JOBCOACH, at=now,
                  objection_id=objection.id, decision_id=decision.id)
            bus.record(conn, "assessment.objection.filed", {
                "objection_id": objection.id, "case_id": case.id, "decision_id": decision.id,
                "account_id": case.account_id, "filed_at": now,
            }, producer=PRODUCER, subject=case.account_id)
            return objection

    def decide_objection(self, officer: Principal, case_id: UUID, objection_id: UUID, *, outcome: str,
                         reason: str) -> Objection:
        """Rejected: the decision stands. Upheld: the case reopens for a new decision."""
        now = self.now()
        with self.db.transaction() as conn:
            case = self._case(conn, officer, case_id)
            objection = store.objection(conn, objection_id, for_update=True)
            if objection is None or objection.case_id != case.id:
                raise not_found()
            if objection.outcome is not None:
                raise ObjectionRefused("already_decided")
            if outcome == "upheld":
                _move(conn, case, CaseAction.UPHOLD_OBJECTION)
            store.decide_objection(conn, objection.id, outcome, reason, officer.account_id, now)
            audit(conn, case.id, "objection_decided", actor=officer, role=Role.DNV_OFFICER, at=now,
                  objection_id=objection.id, outcome=outcome, reason=reason)
            bus.record(conn, "assessment.objection.decided", {
                "objection_id": objection.id, "case_id": case.id, "decision_id": objection.decision_id,
                "account_id": case.account_id, "outcome": outcome, "reason": reason,
            }, producer=PRODUCER, subject=case.account_id)
            return store.objection(conn, objection.id)


def build_service(settings: AssessmentSettings, db: Database | None = None, *,
                  today: Callable[[], date] | None = None, now: Callable[[], datetime] = utcnow
                  ) -> AssessmentService:
    db = db or Database.from_settings(settings, "assessment-web")
    return AssessmentService(db, settings, today=today, now=now)


# --- used by the event handlers, inside the consumer's transaction --------------------------------------


class NotYetKnown(Exception):
    """The event refers to something whose own event has not been handled yet: retry later."""


def open_case(conn: psycopg.Connection, data: Mapping[str, Any], *, zone: ZoneInfo, now: datetime
              ) -> Case | None:
    """portfolio.submitted: a case with a due date 8 weeks after submission. None when it exists."""
    if store.case_by_submission(conn, data["submission_id"]) is not None:
        return None
    submitted_on = data["submitted_at"].astimezone(zone).date()
    case = Case(
        id=uuid.uuid4(), account_id=data["account_id"], certificate_id=data["certificate_id"],
        portfolio_id=data["portfolio_id"], cycle_id=data["cycle_id"], submission_id=data["submission_id"],
        submitted_at=data["submitted_at"], certificate_expires_on=data["certificate_expires_on"],
        is_new_portfolio_after_negative=data["is_new_portfolio_after_negative"],
        pe_activity_ids=tuple(data["pe_activity_ids"]), pe_points_claimed=data["pe_points_counted"],
        reflection_meetings=data["reflection_meetings"], snapshot_hash=data["snapshot_hash"],
        state=CaseState.OPENED, due_on=case_due_on(submitted_on), opened_at=now)
    if not store.insert_case(conn, case):
        return None
    audit(conn, case.id, "case_opened", actor=None, role=SYSTEM, at=now, submission_id=case.submission_id,
          due_on=case.due_on, is_new_portfolio_after_negative=case.is_new_portfolio_after_negative)
    bus.record(conn, "assessment.case.opened", {
        "case_id": case.id, "account_id": case.account_id, "portfolio_id": case.portfolio_id,
        "submission_id": case.submission_id, "due_on": case.due_on,
    }, producer=PRODUCER, subject=case.account_id)
    if store.recertification_paid(conn, case.submission_id):
        store.update_case(conn, case.id, paid_at=now)
        audit(conn, case.id, "invoice_paid", actor=None, role=SYSTEM, at=now, kind="recertification")
    return case


def _payment_received(conn: psycopg.Connection, case: Case, now: datetime) -> None:
    if allows(case.state, CaseAction.PAYMENT_RECEIVED):
        _move(conn, case, CaseAction.PAYMENT_RECEIVED)
        audit(conn, case.id, "ready_for_assignment", actor=None, role=SYSTEM, at=now)


def _reassessment_paid(conn: psycopg.Connection, case: Case, now: datetime) -> None:
    """The supplement goes back to the same assessor, or (a supplement for B after a failed PE check) to
    DNV's PE check again."""
    if allows(case.state, CaseAction.REASSESSMENT_PAID):
        state = _move(conn, case, CaseAction.REASSESSMENT_PAID)
        if state == CaseState.OPENED:
            audit(conn, case.id, "supplement_to_pe_check", actor=None, role=SYSTEM, at=now)
        else:
            audit(conn, case.id, "supplement_to_assessor", actor=None, role=SYSTEM, at=now,
                  assessor_id=case.assessor_id)


def apply_payment(conn: psycopg.Connection, data: Mapping[str, Any], now: datetime) -> None:
    """billing.invoice.paid: DNV's recertification fee lets the case go to an assessor, the reassessment
    fee lets the supplement go back to the assessor. Kept when the case is not there yet."""
    if data["issuer"] != "DNV" or data["kind"] not in ("recertification", "reassessment"):
        return
    if not store.insert_paid_invoice(conn, data):
        return
    if data["kind"] == "recertification":
        case = store.case_by_submission(conn, data["submission_id"], for_update=True) \
            if data.get("submission_id") else None
        if case is None or case.paid_at is not None:
            return
        store.update_case(conn, case.id, paid_at=now)
        audit(conn, case.id, "invoice_paid", actor=None, role=SYSTEM, at=now, kind="recertification",
              invoice_id=data["invoice_id"])
        _payment_received(conn, case, now)
        return
    case = store.case(conn, data["case_id"], for_update=True) if data.get("case_id") else None
    if case is None and data.get("submission_id"):
        case = store.case_by_submission(conn, data["submission_id"], for_update=True)
    if case is None or case.reassessment_paid_at is not None:
        return
    store.update_case(conn, case.id, reassessment_paid_at=now)
    audit(conn, case.id, "invoice_paid", actor=None, role=SYSTEM, at=now, kind="reassessment",
          invoice_id=data["invoice_id"])
    _reassessment_paid(conn, case, now)


def _supplement_received(conn: psycopg.Connection, case: Case, supplement: Supplement, zone: ZoneInfo,
                         now: datetime) -> None:
    """A supplement after DNV's postponed decision: a new due date, and on once the reassessment is paid."""
    if not allows(case.state, CaseAction.RECEIVE_SUPPLEMENT):
        return
    _move(conn, case, CaseAction.RECEIVE_SUPPLEMENT,
          due_on=case_due_on(supplement.submitted_at.astimezone(zone).date()))
    case = store.case(conn, case.id)
    if case.reassessment_paid_at is None and store.reassessment_paid(conn, case.id, case.submission_id):
        store.update_case(conn, case.id, reassessment_paid_at=now)
        case = store.case(conn, case.id)
    if case.reassessment_paid_at is not None:
        _reassessment_paid(conn, case, now)


def receive_supplement(conn: psycopg.Connection, data: Mapping[str, Any], *, zone: ZoneInfo,
                       now: datetime) -> None:
    """portfolio.supplement.submitted. Portfolio opens the supplement only on DNV's postponed decision, so
    the case waits for it. A supplement for B after a failed PE check brings the activities the check is
    done again on."""
    case = store.case(conn, data["case_id"], for_update=True)
    if case is None:
        raise NotYetKnown(f"case {data['case_id']}")
    if case.state not in SUPPLEMENT_STATES:
        _log.warning("supplement for a case that does not wait for one",
                     extra={"case_id": str(case.id), "state": str(case.state)})
        return
    supplement = Supplement(supplement_id=data["supplement_id"], case_id=case.id,
                            submission_id=data["submission_id"], parts=tuple(data["parts"]),
                            submitted_at=data["submitted_at"], snapshot_hash=data["snapshot_hash"])
    if not store.insert_supplement(conn, supplement):
        return
    audit(conn, case.id, "supplement_submitted", actor=None, role=SYSTEM, at=now,
          supplement_id=supplement.supplement_id, parts=list(supplement.parts))
    if case.state == CaseState.PE_SUPPLEMENT_DUE and data.get("pe_activity_ids") is not None:
        store.update_case(conn, case.id, pe_activity_ids=list(data["pe_activity_ids"]),
                          pe_points_claimed=data["pe_points_counted"])
        case = store.case(conn, case.id, for_update=True)
    _supplement_received(conn, case, supplement, zone, now)


def withdraw_case(conn: psycopg.Connection, data: Mapping[str, Any], now: datetime) -> None:
    """portfolio.withdrawn: possible until an assessor is assigned (portfolio checks the same)."""
    case = store.case_by_submission(conn, data["submission_id"], for_update=True)
    if case is None:
        return
    if not allows(case.state, CaseAction.WITHDRAW):
        _log.warning("withdrawal of a case that can no longer be withdrawn",
                     extra={"case_id": str(case.id), "state": str(case.state)})
        return
    _move(conn, case, CaseAction.WITHDRAW)
    audit(conn, case.id, "case_withdrawn", actor=None, role=SYSTEM, at=now, reason=data.get("reason"))


__all__ = ["PRODUCER", "AssessmentService", "CaseView", "NotYetKnown", "OverdueItem", "PeCheckView",
           "apply_payment", "build_service", "open_case", "receive_supplement",
           "withdraw_case"]
