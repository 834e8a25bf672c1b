"""The case's use cases. Each opens one unit of work: it loads the case (locked), lets the domain decide
whether and how the step is taken, and writes the change, its audit-trail entry and its event together.

Who may see a case: DNV officers every case, an assessor the cases assigned to them now and only while they
run, a jobcoach their own; anyone else is refused as if it did not exist. "Today" (decision dates, deadlines)
comes from an injectable clock so tests can stand on any day. The event handlers are in ``handlers``, the
certificate use cases in ``certificates``.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from recert_assessment import certificates
from recert_assessment.certificates import CertificateService
from recert_assessment.credentials import SECRETS_LABEL, CredentialService
from recert_assessment.domain import (
    SYSTEM,
    Account,
    AssessmentForm,
    AssessorConflict,
    AuditEntry,
    Case,
    Decision,
    Finding,
    GivenAdvice,
    Objection,
    ObjectionRefused,
    PeCheck,
    PeCheckProposal,
    ProgressStep,
    Rejection,
    Supplement,
    assessor_conflict,
    assessor_reads,
    assignment,
    audit_entry,
    case_progress,
    check_rejectable,
    check_rejection_withdrawable,
    completed_pe_check,
    decision_on,
    framework_for,
    given_advice,
    live_decisions,
    mentor_period_start,
    objected_decision,
    objection_outcome,
    overdue_status,
    pe_check_proposal,
)
from recert_assessment.form_pdf import FormHeader, render_form
from recert_assessment.settings import AssessmentSettings
from recert_assessment.states import CASE_MACHINE, CaseAction, CaseState, is_open, stage
from recert_assessment.store import SqlAssessmentUnitOfWork
from recert_common.auth import Principal, Role
from recert_common.clock import local_day, utcnow
from recert_common.crypto import SecretBox
from recert_common.db import Database
from recert_common.domain_errors import NotFoundError
from recert_common.uow import UnitOfWork


def record_audit(uow: Any, case_id: UUID, action: str, *, actor: Principal | None, role: str, at: datetime,
                 **details: Any) -> None:
    uow.audit.add(audit_entry(case_id, action, actor_id=actor.account_id if actor else None, role=role,
                              at=at, **details))


def move(uow: Any, case: Case, action: CaseAction, **changes: Any) -> CaseState:
    """The case's next state by the table, written with ``changes``."""
    state = CASE_MACHINE.transition(case.state, action)
    uow.cases.update(case.id, state=state, **changes)
    return state


def payment_received(uow: Any, case: Case, now: datetime) -> None:
    """The recertification fee is paid: on to an assessor, when the PE check let the case through."""
    if CASE_MACHINE.allows(case.state, CaseAction.PAYMENT_RECEIVED):
        move(uow, case, CaseAction.PAYMENT_RECEIVED)
        record_audit(uow, case.id, "ready_for_assignment", actor=None, role=SYSTEM, at=now)


def _supplements(items: Sequence[Any]) -> list[dict[str, str]]:
    return [{"part": s.part, "assignment": s.assignment} for s in items]


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
    zone: Any = None  # the service's calendar, for the progress's days

    @property
    def stage(self) -> str | None:
        return stage(self.case.state) if is_open(self.case.state) else None

    @property
    def progress(self) -> tuple[ProgressStep, ...]:
        return case_progress(self.case, pe_check=self.pe_check, advices=self.advices,
                             decisions=self.decisions, supplement=self.supplement, zone=self.zone)


@dataclass(frozen=True)
class PeCheckView:
    case: Case
    proposal: PeCheckProposal
    check: PeCheck | None


@dataclass(frozen=True)
class CaseListItem:
    """A case in a list, with the jobcoach's name: a work list need not open every case to name it."""

    case: Case
    jobcoach_name: str | None


@dataclass(frozen=True)
class AssessorOption:
    """An assessor as a candidate for one case: excluded (``conflict``) or not, and whether assigned now."""

    account: Account
    conflict: AssessorConflict | None
    assigned: bool

    @property
    def eligible(self) -> bool:
        return self.conflict is None


@dataclass(frozen=True)
class OverdueItem:
    case: CaseListItem
    status: str  # overdue | due_soon
    stage: str
    days_overdue: int


class AssessmentService:
    def __init__(self, uow: Callable[[], UnitOfWork], settings: AssessmentSettings, *,
                 today: Callable[[], date] | None = None, now: Callable[[], datetime] = utcnow,
                 db: Database | None = None):
        self.uow = uow
        self.settings = settings
        self.today = today or settings.calendar_today()
        self.now = now
        self.db = db  # for the app's readiness check and token revocations only
        self.certificates = CertificateService(uow, today=self.today, now=now)
        self.credentials = CredentialService(
            uow, box=SecretBox.from_setting(settings.secrets_key, label=SECRETS_LABEL),
            public_url=settings.public_url, issuer_name=settings.credential_issuer_name, now=now)

    # --- access --------------------------------------------------------------------------------------

    @staticmethod
    def may_see(principal: Principal, case: Case) -> bool:
        if principal.has_any_role(Role.DNV_OFFICER):
            return True
        if principal.has_any_role(Role.ASSESSOR) and assessor_reads(case, principal.account_id):
            return True
        return principal.account_id == case.account_id

    def _case(self, uow: Any, principal: Principal, case_id: UUID, *, for_update: bool = True) -> Case:
        case = uow.cases.get(case_id, for_update=for_update)
        if case is None or not self.may_see(principal, case):
            raise NotFoundError("case")
        return case

    @staticmethod
    def _assigned_case(uow: Any, assessor: Principal, case_id: UUID) -> Case:
        """The case, when it is assigned to this assessor now; not found for any other."""
        case = uow.cases.get(case_id, for_update=True)
        if case is None or case.assessor_id != assessor.account_id:
            raise NotFoundError("case")
        return case

    # --- reading -------------------------------------------------------------------------------------

    def view(self, principal: Principal, case_id: UUID) -> CaseView:
        with self.uow() as uow:
            return self._view(uow, self._case(uow, principal, case_id, for_update=False), principal)

    def _view(self, uow: Any, case: Case, principal: Principal) -> CaseView:
        decisions = tuple(uow.decisions.of_case(case.id))
        advices = tuple(uow.advices.of_case(case.id))
        if not principal.has_any_role(Role.DNV_OFFICER, Role.ASSESSOR):
            # The jobcoach reads an advice with the decision on it, not before.
            decided = {d.round for d in live_decisions(decisions)}
            advices = tuple(a for a in advices if a.round in decided)
        return CaseView(case=case, pe_check=uow.pe_checks.get(case.id), advices=advices, decisions=decisions,
                        objections=tuple(uow.objections.of_case(case.id)),
                        supplement=uow.supplements.of_case(case.id),
                        mentor_ids=tuple(uow.cases.mentors(case.account_id, mentor_period_start(case))),
                        names=uow.accounts.names([case.account_id, case.assessor_id]), today=self.today(),
                        zone=self.settings.zone)

    def list_cases(self, principal: Principal, *, account_id: UUID | None, assessor_id: UUID | None,
                   state: str | None, page: int, page_size: int) -> tuple[list[CaseListItem], int]:
        """DNV officers: every case (filtered as asked); assessors: the cases assigned to them that still run
        (``domain.assessor_reads``); a jobcoach: their own. Each with the jobcoach's name."""
        open_only = False
        if not principal.has_any_role(Role.DNV_OFFICER):
            if principal.has_any_role(Role.ASSESSOR):
                assessor_id, account_id, open_only = principal.account_id, None, True
            else:
                account_id, assessor_id = principal.account_id, None
        with self.uow() as uow:
            cases, total = uow.cases.list(account_id=account_id, assessor_id=assessor_id, state=state,
                                          open_only=open_only, page=page, page_size=page_size)
            names = uow.accounts.names(case.account_id for case in cases)
        return [CaseListItem(case, names.get(case.account_id)) for case in cases], total

    def audit_trail(self, principal: Principal, case_id: UUID) -> list[AuditEntry]:
        with self.uow() as uow:
            self._case(uow, principal, case_id, for_update=False)
            return uow.audit.of_case(case_id)

    def case_counts(self) -> dict[str, Any]:
        """How many cases are in each state (every state listed, 0 included), and how many open cases
        ``overdue`` lists as overdue and as due soon."""
        today = self.today()
        with self.uow() as uow:
            counts = uow.cases.counts(today, today + timedelta(days=self.settings.due_soon_days))
        return {"by_state": {str(state): counts.by_state.get(str(state), 0) for state in CaseState},
                "overdue": counts.overdue, "due_soon": counts.due_soon}

    def overdue(self, *, limit: int | None = None) -> list[OverdueItem]:
        """Open cases past their due date or due within the configured number of days, soonest first (the
        first ``limit`` of them when given); each with the jobcoach's name."""
        today = self.today()
        with self.uow() as uow:
            cases = uow.cases.open_due_by(today + timedelta(days=self.settings.due_soon_days), limit=limit)
            names = uow.accounts.names(case.account_id for case in cases)
        return [OverdueItem(CaseListItem(case, names.get(case.account_id)),
                            overdue_status(case.due_on, today), stage(case.state),
                            max((today - case.due_on).days, 0)) for case in cases]

    # --- PE check ------------------------------------------------------------------------------------

    @staticmethod
    def _proposal(uow: Any, case: Case) -> PeCheckProposal:
        return pe_check_proposal(case.pe_activity_ids, uow.pe_activities.get_many(case.pe_activity_ids),
                                 uow.pe_checks.rejections(case.id), framework_for(case))

    def pe_check(self, principal: Principal, case_id: UUID) -> PeCheckView:
        """The rules applied to the case's activities, and the completed check; none while the check is open
        (``opened``), also when it is done again (after a PE supplement, or after an objection upheld
        against the decision on the failed check): the earlier one stays in the case and the audit trail."""
        with self.uow() as uow:
            case = self._case(uow, principal, case_id, for_update=False)
            if not principal.has_any_role(Role.DNV_OFFICER, Role.ASSESSOR):
                raise NotFoundError("case")
            check = None if case.state == CaseState.OPENED else uow.pe_checks.get(case.id)
            return PeCheckView(case, self._proposal(uow, case), check)

    def reject_activity(self, officer: Principal, case_id: UUID, activity_id: UUID, reason: str
                        ) -> PeCheckView:
        now = self.now()
        with self.uow() as uow:
            case = self._case(uow, officer, case_id)
            check_rejectable(case, activity_id)
            uow.pe_checks.add_rejection(case.id, Rejection(activity_id, reason, officer.account_id, now))
            record_audit(uow, case.id, "pe_activity_rejected", actor=officer, role=Role.DNV_OFFICER, at=now,
                         activity_id=activity_id, reason=reason)
            return PeCheckView(case, self._proposal(uow, case), None)

    def withdraw_rejection(self, officer: Principal, case_id: UUID, activity_id: UUID) -> PeCheckView:
        now = self.now()
        with self.uow() as uow:
            case = self._case(uow, officer, case_id)
            check_rejection_withdrawable(case)
            if not uow.pe_checks.delete_rejection(case.id, activity_id):
                raise NotFoundError("rejection")
            record_audit(uow, case.id, "pe_activity_rejection_withdrawn", actor=officer,
                         role=Role.DNV_OFFICER, at=now, activity_id=activity_id)
            return PeCheckView(case, self._proposal(uow, case), None)

    def complete_pe_check(self, officer: Principal, case_id: UUID, *, passed: bool,
                          findings: Sequence[Finding]) -> PeCheckView:
        """Passed: the case waits for the recertification fee, then goes to an assessor. Failed: the case
        stops for DNV's decision on part B (ADR 0011), never to payment or an assessor. After a supplement
        for B the check is done again and replaces the earlier one."""
        now = self.now()
        with self.uow() as uow:
            case = self._case(uow, officer, case_id)
            proposal = self._proposal(uow, case)
            outcome = completed_pe_check(case, proposal, passed=passed, findings=findings,
                                         completed_by=officer.account_id, completed_at=now)
            check, summary = outcome.check, proposal.summary
            uow.pe_checks.save(check, summary.framework_version)
            uow.cases.update(case.id, state=outcome.state)
            record_audit(uow, case.id, "pe_check_completed", actor=officer, role=Role.DNV_OFFICER, at=now,
                         passed=passed, points_counted=summary.counted_total, findings=len(check.findings))
            uow.publish("assessment.pe_check.completed", {
                "case_id": case.id, "account_id": case.account_id, "passed": passed,
                "pe_points_counted": summary.counted_total, "pe_points_required": summary.required_total,
                "findings": [{"text": f.text, "activity_id": f.activity_id, "category": f.category}
                             for f in check.findings],
            }, subject=case.account_id)
            if passed and (case.paid_at is not None
                           or uow.paid_invoices.recertification_paid(case.submission_id)):
                payment_received(uow, uow.cases.get(case.id), now)
            return PeCheckView(uow.cases.get(case.id), proposal, check)

    # --- assessor ------------------------------------------------------------------------------------

    def assessors_for(self, officer: Principal, case_id: UUID) -> list[AssessorOption]:
        """Every assessor, each with the conflict of interest that excludes them from this case (the rules
        ``assign`` applies), by name."""
        with self.uow() as uow:
            case = self._case(uow, officer, case_id, for_update=False)
            mentors = uow.cases.mentors(case.account_id, mentor_period_start(case))
            previous = uow.cases.previous_assessor(case)
            return [AssessorOption(account, assessor_conflict(account.account_id, case, mentors, previous),
                                   account.account_id == case.assessor_id)
                    for account in uow.accounts.with_role(Role.ASSESSOR)]

    def assign(self, officer: Principal, case_id: UUID, assessor_id: UUID) -> CaseView:
        now = self.now()
        with self.uow() as uow:
            case = self._case(uow, officer, case_id)
            state = assignment(case, uow.accounts.get(assessor_id),
                               uow.cases.mentors(case.account_id, mentor_period_start(case)),
                               uow.cases.previous_assessor(case))
            if state is not None:
                uow.cases.update(case.id, state=state, assessor_id=assessor_id)
                record_audit(uow, case.id, "assessor_assigned", actor=officer, role=Role.DNV_OFFICER, at=now,
                             assessor_id=assessor_id, previous_assessor_id=case.assessor_id)
                uow.publish("assessment.assessor.assigned", {
                    "case_id": case.id, "account_id": case.account_id, "assessor_id": assessor_id,
                    "previous_assessor_id": case.assessor_id, "due_on": case.due_on,
                }, subject=case.account_id)
            return self._view(uow, uow.cases.get(case.id), officer)

    # --- advice --------------------------------------------------------------------------------------

    def give_advice(self, assessor: Principal, case_id: UUID, form: AssessmentForm) -> GivenAdvice:
        now = self.now()
        with self.uow() as uow:
            case = self._assigned_case(uow, assessor, case_id)
            outcome = given_advice(case, form, assessor_id=assessor.account_id,
                                   pe_check=uow.pe_checks.get(case.id),
                                   decisions=uow.decisions.of_case(case.id), given_at=now)
            given = outcome.advice
            uow.advices.add(given)
            uow.cases.update(case.id, state=outcome.state)
            record_audit(uow, case.id, "advice_given", actor=assessor, role=Role.ASSESSOR, at=now,
                         advice=form.advice, round=given.round,
                         verdicts={v.part: v.verdict for v in form.verdicts})
            uow.publish("assessment.advice.given", {
                "case_id": case.id, "account_id": case.account_id, "assessor_id": assessor.account_id,
                "advice": form.advice, "is_reassessment": outcome.is_reassessment,
                "supplements": _supplements(form.supplements),
            }, subject=case.account_id)
            return given

    def form(self, principal: Principal, case_id: UUID, round_: int | None = None
             ) -> tuple[FormHeader, GivenAdvice]:
        """The assessment form of a round (default: the latest): the assigned assessor and DNV officers;
        the jobcoach once DNV decided on it."""
        with self.uow() as uow:
            case = self._case(uow, principal, case_id, for_update=False)
            view = self._view(uow, case, principal)
            if not view.advices:
                raise NotFoundError("form")
            advice = view.advices[-1] if round_ is None else next(
                (a for a in view.advices if a.round == round_), None)
            if advice is None:
                raise NotFoundError("form")
            certificate = uow.certificates.get(case.certificate_id)
            names = uow.accounts.names([case.account_id, advice.assessor_id])
        header = FormHeader(case_id=str(case.id), jobcoach_name=names.get(case.account_id),
                            certificate_number=certificate.number if certificate else None,
                            certificate_expires_on=case.certificate_expires_on,
                            assessor_name=names.get(advice.assessor_id),
                            submitted_on=local_day(case.submitted_at, self.settings.zone))
        return header, advice

    def form_pdf(self, principal: Principal, case_id: UUID, round_: int | None = None) -> tuple[bytes, int]:
        header, advice = self.form(principal, case_id, round_)
        return render_form(header, advice, self.settings.zone), advice.round

    # --- decision ------------------------------------------------------------------------------------

    def decide(self, officer: Principal, case_id: UUID, *, decision: str, reason: str | None) -> Decision:
        """DNV's decision (the rules: ``domain.decision_on``), announced as certification.decision.made.
        Positive renews (or reactivates) the certificate; negative lapses it when its expiry date has
        passed."""
        today, now = self.today(), self.now()
        with self.uow() as uow:
            case = self._case(uow, officer, case_id)
            outcome = decision_on(
                case, decision=decision, reason=reason, advices=uow.advices.of_case(case.id),
                decisions=uow.decisions.of_case(case.id), pe_check=uow.pe_checks.get(case.id), today=today,
                objection_weeks=self.settings.objection_weeks, decision_id=uuid.uuid4(),
                decided_by=officer.account_id, decided_at=now)
            record = outcome.decision
            uow.decisions.add(record)
            uow.cases.update(case.id, state=outcome.state, **outcome.case_changes)
            record_audit(uow, case.id, "decision_made", actor=officer, role=Role.DNV_OFFICER, at=now,
                         decision=decision, follows_advice=record.follows_advice, reason=reason,
                         decision_id=record.id, supplement_due_on=record.supplement_due_on)
            uow.publish("certification.decision.made", {
                "decision_id": record.id, "case_id": case.id, "account_id": case.account_id,
                "certificate_id": case.certificate_id, "decision": decision,
                "follows_advice": record.follows_advice, "reason": reason,
                "objection_deadline": record.objection_deadline,
                "new_portfolio_deadline": record.new_portfolio_deadline,
                "supplement_due_on": record.supplement_due_on,
                "supplements": _supplements(outcome.supplements),
            }, subject=case.account_id)
            if outcome.renews_certificate:
                renewed = certificates.renew_after_positive(uow, case, record)
                record_audit(uow, case.id, "certificate_renewed", actor=None, role=SYSTEM, at=now,
                             certificate_id=renewed.id, valid_from=renewed.valid_from,
                             valid_until=renewed.valid_until)
            elif outcome.may_lapse_certificate:
                certificate = uow.certificates.get(case.certificate_id, for_update=True)
                if certificate is not None and certificate.valid_until == case.certificate_expires_on \
                        and certificates.lapse_if_due(uow, certificate, today, now):
                    record_audit(uow, case.id, "certificate_lapsed", actor=None, role=SYSTEM, at=now,
                                 certificate_id=certificate.id)
            return record

    # --- objection -----------------------------------------------------------------------------------

    def file_objection(self, jobcoach: Principal, case_id: UUID, reason: str) -> Objection:
        today, now = self.today(), self.now()
        with self.uow() as uow:
            case = self._case(uow, jobcoach, case_id)
            if case.account_id != jobcoach.account_id:
                raise NotFoundError("case")
            decision = objected_decision(uow.decisions.of_case(case.id), today)
            objection = Objection(id=uuid.uuid4(), case_id=case.id, decision_id=decision.id,
                                  account_id=case.account_id, reason=reason, filed_at=now)
            if not uow.objections.add(objection):
                raise ObjectionRefused("already_filed")
            record_audit(uow, case.id, "objection_filed", actor=jobcoach, role=Role.JOBCOACH, at=now,
                         objection_id=objection.id, decision_id=decision.id)
            uow.publish("assessment.objection.filed", {
                "objection_id": objection.id, "case_id": case.id, "decision_id": decision.id,
                "account_id": case.account_id, "filed_at": now,
            }, subject=case.account_id)
            return objection

    def decide_objection(self, officer: Principal, case_id: UUID, objection_id: UUID, *, outcome: str,
                         reason: str) -> Objection:
        """Rejected: the decision stands. Upheld: the case reopens for a new decision, only while the objected
        decision is still the case's latest; upheld against the round-0 postponed decision, that decision is
        annulled with its supplement and the case goes back to DNV's PE check (``domain.objection_outcome``).
        ``assessment.objection.decided`` says which (``next_step``), so that portfolio closes the supplement
        and notifications ends its term."""
        today, now = self.today(), self.now()
        with self.uow() as uow:
            case = self._case(uow, officer, case_id)
            objection = uow.objections.get(objection_id, for_update=True)
            if objection is None or objection.case_id != case.id:
                raise NotFoundError("objection")
            result = objection_outcome(case, objection, outcome, uow.decisions.of_case(case.id), today=today)
            if result.state is not None:
                uow.cases.update(case.id, state=result.state, **result.case_changes)
            uow.objections.decide(objection.id, outcome, reason, officer.account_id, now)
            record_audit(uow, case.id, "objection_decided", actor=officer, role=Role.DNV_OFFICER, at=now,
                         objection_id=objection.id, outcome=outcome, reason=reason,
                         next_step=result.next_step)
            if result.annuls is not None:
                annulled = result.annuls
                uow.decisions.annul(annulled.id, objection_id=objection.id, at=now)
                record_audit(uow, case.id, "case_resumed_at_pe_check", actor=officer, role=Role.DNV_OFFICER,
                             at=now, objection_id=objection.id, annulled_decision_id=annulled.id,
                             annulled_supplement_due_on=annulled.supplement_due_on,
                             due_on=result.case_changes["due_on"])
            uow.publish("assessment.objection.decided", {
                "objection_id": objection.id, "case_id": case.id, "decision_id": objection.decision_id,
                "account_id": case.account_id, "outcome": outcome, "reason": reason,
                "next_step": result.next_step,
            }, subject=case.account_id)
            return uow.objections.get(objection.id)


def build_service(settings: AssessmentSettings, db: Database | None = None, *,
                  today: Callable[[], date] | None = None, now: Callable[[], datetime] = utcnow
                  ) -> AssessmentService:
    db = db or Database.from_settings(settings, "assessment-web")
    return AssessmentService(lambda: SqlAssessmentUnitOfWork(db), settings, today=today, now=now, db=db)


__all__ = ["AssessmentService", "CaseView", "OverdueItem", "PeCheckView", "build_service", "move",
           "payment_received", "record_audit"]
