"""Certificates, cases and what is judged in them: entities, the rules that need no database, and the
refusals those rules raise. Numbers come from ``recert_common.rules`` (the assessment framework); the case's
state table is in ``states``. A rule returns what follows from it (a new state, a decision, a check); the use
cases in ``service`` persist and announce it.
"""
from __future__ import annotations

import dataclasses
import enum
import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from recert_assessment.certificate_csv import LineError, MalformedCsv
from recert_assessment.states import CASE_MACHINE, SUPPLEMENT_STATES, CaseAction, CaseState, is_open
from recert_common.clock import local_day
from recert_common.domain_errors import DomainError, NotFoundError
from recert_common.rules import (
    DateRange,
    Framework,
    PeSummary,
    add_months,
    add_years,
    load_framework,
    new_portfolio_deadline,
    pe_summary,
    renewed_validity,
    result_due_on,
    result_expected_window,
    submission_window,
    supplement_deadline,
)

ASSESSED_PARTS = ("A1", "A3", "B")  # judged: meets / does not meet
FEEDBACK_PARTS = ("A2", "A4")  # never part of the verdict: the assessor may give feedback
VERDICTS = ("meets", "does_not_meet")
ADVICES = ("positive", "postponed", "negative")
OBJECTION_OUTCOMES = ("upheld", "rejected")
EXPIRY_NOTICE_MONTHS = (12, 6, 3, 1)
TEXT_MAX_LENGTH = 20_000
# How long after a deadline (the expiry date, a supplement's due date) assessment waits for portfolio's word
# that nothing was handed in before it acts on its own knowledge (ADR 0042). Portfolio looks every few
# minutes, so only an outage of portfolio's worker or relay this long gets there.
PORTFOLIO_SILENCE_DAYS = 7


class CertificateState(enum.StrEnum):
    ACTIVE = "active"
    LAPSED = "lapsed"


class LapseReason(enum.StrEnum):
    NEGATIVE_DECISION = "negative_decision"
    NOT_RECERTIFIED = "not_recertified"


SYSTEM = "system"  # the audit trail's role for what an event or the scheduler did


# --- refusals --------------------------------------------------------------------------------------------


class StepOutOfOrder(DomainError):
    """A step the case's state does not allow that is no action of the state table (rejecting an activity
    outside the PE check); a table step raises recert_common's ``TransitionNotAllowed``."""

    def __init__(self, action: str, state: CaseState | str):
        super().__init__(f"{action} is not allowed in state {state}", action=str(action), state=state)


class InvalidInput(DomainError):
    """What was asked is well-formed but one field of it breaks a rule: ``code`` says which."""

    def __init__(self, field_name: str, code: str, **params: Any):
        super().__init__(code, field_name=field_name, code=code, params=params)


class FormRefused(DomainError):
    """The assessment form does not fit its rules: per field, the message codes (``form_refusals``)."""

    def __init__(self, errors: Mapping[str, Sequence[str]]):
        super().__init__("form refused", errors=dict(errors))


class NoCertificate(NotFoundError):
    """No certificate is registered for the account (yet)."""


class AssessorNotAllowed(DomainError):
    def __init__(self, conflict: AssessorConflict):
        super().__init__(str(conflict), conflict=conflict)


class PeRulesNotMet(DomainError):
    def __init__(self, counted: Decimal, required: Decimal):
        super().__init__("PE rules not met", counted=counted, required=required)


class ObjectionRefused(DomainError):
    def __init__(self, reason: str, *, deadline: date | None = None):
        super().__init__(reason, reason=reason, deadline=deadline)


class CertificateConflict(DomainError):
    """The certificate does not fit what is asked; ``params`` fill the reason's message."""

    def __init__(self, reason: str, **params: Any):
        super().__init__(reason, reason=reason, params=params)


class ClaimCodeRejected(DomainError):
    """Wrong, used, expired, or for a certificate linked meanwhile: which is not said."""


class ClaimThrottled(DomainError):
    def __init__(self, retry_after: int):
        super().__init__("claim throttled", retry_after=retry_after)


class CsvUnreadable(DomainError):
    """The file is not the certificate CSV at all; ``malformed`` says why."""

    def __init__(self, malformed: MalformedCsv):
        super().__init__(malformed.code, malformed=malformed)


class CsvRowsRejected(DomainError):
    """Lines of the file are wrong (``errors``: each wrong line); nothing is imported."""

    def __init__(self, errors: Iterable[LineError]):
        super().__init__("csv rows rejected", errors=list(errors))


# --- entities --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificate:
    id: UUID
    number: str
    membership_number: str  # Noloc membership or affiliate number, normalised
    account_id: UUID | None  # None until an account with membership_number is known
    valid_from: date
    valid_until: date  # the last valid day
    state: CertificateState
    lapsed_on: date | None = None
    lapse_reason: LapseReason | None = None
    registered_at: datetime | None = None  # when certification.certificate.registered was recorded
    created_at: datetime | None = None
    holder_email: str | None = None  # the address Noloc holds for the holder (the import's), ADR 0018
    holder_name: str | None = None  # the name the public register shows (the import's)
    # The period (its valid_until) whose last day to submit portfolio announced as passed with nothing
    # submitted (portfolio.deadline.missed, ADR 0042); kept, so that a clock a little behind portfolio's
    # still lapses the certificate on the timer's next pass.
    deadline_missed_for: date | None = None

    def belongs_to(self, email: str | None, membership_number: str | None) -> bool:
        """Whether a verified account with ``email`` and ``membership_number`` is this certificate's holder:
        both must be what the import says (the address compared without regard to case)."""
        return (email is not None and self.holder_email is not None
                and membership_number == self.membership_number
                and email.strip().lower() == self.holder_email.strip().lower())

    @property
    def lapses_on(self) -> date:
        return self.valid_until + timedelta(days=1)


@dataclass(frozen=True)
class Case:
    id: UUID
    account_id: UUID
    certificate_id: UUID
    portfolio_id: UUID
    cycle_id: UUID
    submission_id: UUID
    submitted_at: datetime
    certificate_expires_on: date
    is_new_portfolio_after_negative: bool
    pe_activity_ids: tuple[UUID, ...]
    pe_points_claimed: Decimal
    reflection_meetings: int
    snapshot_hash: str
    state: CaseState
    due_on: date
    opened_at: datetime
    paid_at: datetime | None = None
    reassessment_paid_at: datetime | None = None
    assessor_id: UUID | None = None
    supplement_due_on: date | None = None
    updated_at: datetime | None = None
    # When portfolio said the supplement was not handed in by its due date (portfolio.supplement.missed,
    # ADR 0042): from then on DNV may decide without it.
    supplement_missed_at: datetime | None = None

    @property
    def round(self) -> int:
        """1 for the assessment of the portfolio, 2 for the reassessment of the supplement."""
        return 2 if self.state in (CaseState.SUPPLEMENT_RECEIVED, CaseState.REASSESSING,
                                   CaseState.REASSESSED) else 1


@dataclass(frozen=True)
class Evidence:
    evidence_id: UUID
    sha256: str
    size: int
    content_type: str
    filename: str


@dataclass(frozen=True)
class PeActivity:
    activity_id: UUID
    account_id: UUID
    category: str
    title: str
    completed_on: date
    unit: str
    amount: Decimal
    points: Decimal
    source: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Rejection:
    activity_id: UUID
    reason: str
    rejected_by: UUID
    rejected_at: datetime


@dataclass(frozen=True)
class Finding:
    text: str
    activity_id: UUID | None = None
    category: str | None = None


@dataclass(frozen=True)
class PeCheck:
    case_id: UUID
    passed: bool
    points_counted: Decimal
    points_required: Decimal
    findings: tuple[Finding, ...]
    completed_by: UUID
    completed_at: datetime


@dataclass(frozen=True)
class PartVerdict:
    part: str
    verdict: str
    findings: str


@dataclass(frozen=True)
class SupplementAssignment:
    part: str
    assignment: str


@dataclass(frozen=True)
class AssessmentForm:
    """What the assessor fills in: a verdict per assessed part, feedback, development advice, the advice."""

    verdicts: tuple[PartVerdict, ...]
    feedback: Mapping[str, str]  # A2 / A4, optional
    development_advice: str
    advice: str
    supplements: tuple[SupplementAssignment, ...] = ()

    def verdict(self, part: str) -> PartVerdict | None:
        return next((v for v in self.verdicts if v.part == part), None)


@dataclass(frozen=True)
class GivenAdvice:
    case_id: UUID
    round: int
    assessor_id: UUID
    form: AssessmentForm
    supplement_due_on: date | None
    given_at: datetime

    @property
    def advice(self) -> str:
        return self.form.advice


@dataclass(frozen=True)
class Decision:
    id: UUID
    case_id: UUID
    round: int
    decision: str
    follows_advice: bool
    reason: str | None
    decided_on: date
    objection_deadline: date
    new_portfolio_deadline: date | None
    supplement_due_on: date | None
    decided_by: UUID
    decided_at: datetime
    # Set when an objection upheld against it annulled it (only DNV's round-0 postponed decision, ADR 0011
    # amended): it stands no more, opens no supplement and no objection, and it does not use up the case's
    # one postponed decision (``had_supplement`` reads the standing decisions only).
    annulled_at: datetime | None = None
    annulled_by_objection_id: UUID | None = None


def live_decisions(decisions: Iterable[Decision]) -> list[Decision]:
    """The decisions that stand, in their order: those no upheld objection annulled."""
    return [d for d in decisions if d.annulled_at is None]


@dataclass(frozen=True)
class Objection:
    id: UUID
    case_id: UUID
    decision_id: UUID
    account_id: UUID
    reason: str
    filed_at: datetime
    outcome: str | None = None
    outcome_reason: str | None = None
    decided_by: UUID | None = None
    decided_at: datetime | None = None


@dataclass(frozen=True)
class Supplement:
    supplement_id: UUID
    case_id: UUID
    submission_id: UUID  # the original submission the case is about
    parts: tuple[str, ...]
    submitted_at: datetime
    snapshot_hash: str
    # The supplement's own snapshot; None for one received before portfolio's event carried it.
    supplement_submission_id: UUID | None = None


@dataclass(frozen=True)
class Account:
    """An account as identity announced it (the read model): names for assignments, roles, holder data."""

    account_id: UUID
    full_name: str
    membership_number: str | None
    roles: tuple[str, ...]
    email: str | None = None

    def has_role(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class RegisterEntry:
    """What the public register shows of an active certificate."""

    name: str | None
    certificate_number: str
    valid_until: date
    state: str


@dataclass(frozen=True)
class AuditEntry:
    case_id: UUID
    at: datetime
    actor_id: UUID | None  # None: the system (an event or the scheduler)
    role: str
    action: str
    details: Mapping[str, object] = field(default_factory=dict)


def _plain(value: Any) -> Any:
    """A detail as the audit trail's JSON keeps it."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def audit_entry(case_id: UUID, action: str, *, actor_id: UUID | None, role: str, at: datetime,
                **details: Any) -> AuditEntry:
    """One line of the case's audit trail; ``actor_id`` None (role ``SYSTEM``) for an event or the
    scheduler."""
    return AuditEntry(case_id=case_id, at=at, actor_id=actor_id, role=role, action=action,
                      details=_plain(details))


# --- who reads a case ------------------------------------------------------------------------------------


def assessor_reads(case: Case, assessor_id: UUID) -> bool:
    """Whether an assessor may read the case (its details, PE check, form): only when it is assigned to them
    and only while it runs (DESIGN.md section 4; ADR 0017 for pe-registry's and portfolio's copies). A case
    waiting for a supplement, or reopened by an upheld objection, still runs; a decided or withdrawn one
    does not."""
    return case.assessor_id == assessor_id and is_open(case.state)


# --- dates -----------------------------------------------------------------------------------------------


def case_due_on(submitted_on: date) -> date:
    """The result is due 8 weeks after submission (of the portfolio, and again of a supplement)."""
    return result_due_on(submitted_on)


def objection_deadline(decided_on: date, weeks: int) -> date:
    return decided_on + timedelta(weeks=weeks)


def imported_valid_from(valid_until: date) -> date:
    """An imported certificate's start: its validity (4 years) back from its expiry date."""
    return add_years(valid_until, -load_framework(valid_until.year).periods.validity_years)


def expiry_notice_due(valid_until: date, today: date) -> int | None:
    """Which reminder (months before expiry) is due today, or None.

    Only the latest reminder whose moment has come is due: a certificate loaded two months before expiry
    gets the 3-month reminder, never the 12- and 6-month ones, which would arrive late and out of order.
    No reminder after the expiry date.
    """
    if today > valid_until:
        return None
    due = [months for months in EXPIRY_NOTICE_MONTHS if add_months(valid_until, -months) <= today]
    return min(due) if due else None


@dataclass(frozen=True, order=True)
class ExpiryNotice:
    """The reminder due today about a certificate: ``months_before`` its expiry on ``valid_until``, and
    whether a portfolio can be submitted today (the submission window opens on ``window_opens_on``)."""

    certificate_id: UUID
    months_before: int
    valid_until: date
    window_opens_on: date
    window_open: bool


def expiry_notice(certificate_id: UUID, valid_until: date, today: date) -> ExpiryNotice | None:
    """The reminder due today about the certificate expiring on ``valid_until`` (``expiry_notice_due``), or
    None."""
    months = expiry_notice_due(valid_until, today)
    if months is None:
        return None
    window = submission_window(valid_until)
    return ExpiryNotice(certificate_id, months, valid_until, window.first, today in window)


def renewal(certificate: Certificate, expires_on: date) -> tuple[date, date]:
    """valid_from and valid_until after a positive decision about the period ending ``expires_on``: from the
    old expiry date for 4 years, however early or late the decision came."""
    period = renewed_validity(expires_on)
    return period.valid_from, period.expires_on


# --- the jobcoach's tile ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tile:
    certificate: Certificate
    today: date
    window: DateRange | None  # when a portfolio may be submitted; None: not at all

    @property
    def days_left(self) -> int:
        """Days until the expiry date; 0 on and after it."""
        return max((self.certificate.valid_until - self.today).days, 0)

    @property
    def window_open(self) -> bool:
        return self.window is not None and self.today in self.window


def tile(certificate: Certificate, today: date, negative: Decision | None) -> Tile:
    """After a negative decision about the current period the window is the one for a whole new portfolio:
    from the decision up to its new-portfolio deadline; none when that decision was on the new portfolio
    itself (it has no deadline: one second chance only). Otherwise the 3 months before expiry, while the
    certificate is active."""
    window: DateRange | None
    if negative is not None:
        window = (DateRange(negative.decided_on, negative.new_portfolio_deadline)
                  if negative.new_portfolio_deadline is not None else None)
    elif certificate.state == CertificateState.LAPSED:
        window = None
    else:
        window = submission_window(certificate.valid_until)
    return Tile(certificate, today, window)


# --- PE check --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedActivity:
    activity_id: UUID
    activity: PeActivity | None  # None: the snapshot names it but its event has not arrived
    rejection: Rejection | None
    category_number: int | None

    @property
    def counted(self) -> bool:
        return self.activity is not None and self.rejection is None and self.category_number is not None


@dataclass(frozen=True)
class PeCheckProposal:
    """The rules applied to the snapshot's activities, minus those the officer rejected."""

    summary: PeSummary
    activities: tuple[CheckedActivity, ...]

    @property
    def unknown_activity_ids(self) -> tuple[UUID, ...]:
        return tuple(a.activity_id for a in self.activities if a.activity is None)


def pe_check_proposal(activity_ids: Sequence[UUID], known: Mapping[UUID, PeActivity],
                      rejections: Mapping[UUID, Rejection], framework: Framework) -> PeCheckProposal:
    checked, counted = [], []
    for activity_id in activity_ids:
        activity = known.get(activity_id)
        number = framework.pe.category_number(activity.category) if activity else None
        item = CheckedActivity(activity_id, activity, rejections.get(activity_id), number)
        checked.append(item)
        if item.counted:
            counted.append((number, activity.points))
    return PeCheckProposal(pe_summary(counted, framework=framework), tuple(checked))


def framework_for(case: Case) -> Framework:
    """The rules of the cohort: the framework of the certificate's expiry year."""
    return load_framework(case.certificate_expires_on.year)


# --- the assessment form ---------------------------------------------------------------------------------


def form_refusals(form: AssessmentForm, *, reassessment: bool, pe_check_failed: bool = False
                  ) -> dict[str, list[str]]:
    """Why the form cannot be accepted, per field (message codes); empty when it can.

    The advice must fit the verdicts: positive only when every assessed part meets; postponed or negative
    only when at least one does not; a postponed advice gives an assignment for every part that does not
    meet, and only for those; a reassessment (and any advice after the case had its one supplement) ends
    in positive or negative. Part B never meets against a failed PE check of DNV.
    """
    errors: dict[str, list[str]] = {}
    b = form.verdict("B")
    if pe_check_failed and b is not None and b.verdict == "meets":
        errors.setdefault("parts.B", []).append("assessment.field.meets_against_failed_pe_check")
    parts = [v.part for v in form.verdicts]
    for part in ASSESSED_PARTS:
        if part not in parts:
            errors.setdefault(f"parts.{part}", []).append("assessment.field.verdict_missing")
    failing = {v.part for v in form.verdicts if v.verdict == "does_not_meet"}
    if form.advice == "positive" and failing:
        errors.setdefault("advice", []).append("assessment.field.positive_with_unmet_part")
    if form.advice in ("postponed", "negative") and not failing and len(parts) == len(ASSESSED_PARTS):
        errors.setdefault("advice", []).append("assessment.field.not_positive_without_unmet_part")
    if form.advice == "postponed":
        if reassessment:
            errors.setdefault("advice", []).append("assessment.field.reassessment_not_postponed")
        named = {s.part for s in form.supplements}
        if named - failing:
            errors.setdefault("supplements", []).append("assessment.field.supplement_for_met_part")
        if failing - named:
            errors.setdefault("supplements", []).append("assessment.field.supplement_missing")
    elif form.supplements:
        errors.setdefault("supplements", []).append("assessment.field.supplements_only_when_postponed")
    return errors


def pe_supplement_assignment(findings: Iterable[Finding]) -> SupplementAssignment:
    """After a failed PE check DNV's postponed decision is about part B; the assignment is what the check
    found missing, so the jobcoach reads it in the decision."""
    texts = [f.text.strip() for f in findings if f.text.strip()]
    if not texts:
        return SupplementAssignment("B", "Vul je permanente educatie aan.")
    # Each finding is one of DNV's sentences: joined as sentences, never as "… .; …".
    sentences = [text if text[-1] in ".!?" else f"{text}." for text in texts]
    return SupplementAssignment("B", "Vul je permanente educatie aan. Wat de PE-toets mist: "
                                + " ".join(sentences))


# --- conflicts of interest -------------------------------------------------------------------------------


class AssessorConflict(enum.StrEnum):
    IS_JOBCOACH = "is_jobcoach"
    MENTOR = "mentor"
    PREVIOUS_ASSESSOR = "previous_assessor"


def mentor_period_start(case: Case) -> date:
    """A mentor is excluded as the jobcoach's assessor when the mentorship runs or ran in the certificate
    period the case is about: the 4 years up to the certificate's expiry (ADR 0028)."""
    return imported_valid_from(case.certificate_expires_on)


def assessor_conflict(assessor_id: UUID, case: Case, mentors: Iterable[UUID],
                      previous_assessor: UUID | None) -> AssessorConflict | None:
    if assessor_id == case.account_id:
        return AssessorConflict.IS_JOBCOACH
    if assessor_id in set(mentors):
        return AssessorConflict.MENTOR
    if previous_assessor is not None and assessor_id == previous_assessor:
        return AssessorConflict.PREVIOUS_ASSESSOR
    return None


# --- overdue ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseCounts:
    """Cases by state (only the states that have any), and the open cases overdue and due soon."""

    by_state: Mapping[str, int]
    overdue: int
    due_soon: int


def overdue_status(due_on: date, today: date) -> str:
    return "overdue" if today > due_on else "due_soon"


# --- claim codes (ADR 0018) ------------------------------------------------------------------------------

CLAIM_CODE_VALID = timedelta(days=30)
CLAIM_FAILURES_ALLOWED = 5  # failed redemptions per account ...
CLAIM_FAILURE_WINDOW = timedelta(minutes=15)  # ... within this window; then refused until the oldest ages out
# Crockford's base32 (no I, L, O, U): read aloud or typed from a letter without mistakes.
_CLAIM_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CLAIM_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_CLAIM_LENGTH = 12  # 60 bits: with 5 tries per 15 minutes, guessing one is out of reach


def new_claim_code() -> str:
    """A code as given to the holder: ``7KQ2-M9XA-4FBR``."""
    raw = "".join(secrets.choice(_CLAIM_ALPHABET) for _ in range(_CLAIM_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, _CLAIM_LENGTH, 4))


def claim_code_hash(code: str) -> bytes:
    """SHA-256 of the normalised code (case, spaces and dashes do not matter)."""
    normalised = re.sub(r"[\s-]", "", code).upper().translate(_CLAIM_ALIASES)
    return hashlib.sha256(normalised.encode()).digest()


# --- the case's steps: each rule checks, then returns what follows -------------------------------------


def opened_case(*, case_id: UUID, account_id: UUID, certificate_id: UUID, portfolio_id: UUID, cycle_id: UUID,
                submission_id: UUID, submitted_at: datetime, submitted_on: date, certificate_expires_on: date,
                is_new_portfolio_after_negative: bool, pe_activity_ids: Iterable[UUID],
                pe_points_claimed: Decimal, reflection_meetings: int, snapshot_hash: str,
                opened_at: datetime) -> Case:
    """A submitted portfolio's case: waiting for DNV's PE check, the result due 8 weeks after
    ``submitted_on`` (the submission's calendar day)."""
    return Case(id=case_id, account_id=account_id, certificate_id=certificate_id, portfolio_id=portfolio_id,
                cycle_id=cycle_id, submission_id=submission_id, submitted_at=submitted_at,
                certificate_expires_on=certificate_expires_on,
                is_new_portfolio_after_negative=is_new_portfolio_after_negative,
                pe_activity_ids=tuple(pe_activity_ids), pe_points_claimed=pe_points_claimed,
                reflection_meetings=reflection_meetings, snapshot_hash=snapshot_hash, state=CaseState.OPENED,
                due_on=case_due_on(submitted_on), opened_at=opened_at)


def check_rejectable(case: Case, activity_id: UUID) -> None:
    """An activity can be rejected (or its rejection withdrawn) only during the PE check, and only one the
    snapshot names."""
    if case.state != CaseState.OPENED:
        raise StepOutOfOrder("reject_activity", case.state)
    if activity_id not in case.pe_activity_ids:
        raise InvalidInput("activity_id", "assessment.field.not_in_snapshot")


def check_rejection_withdrawable(case: Case) -> None:
    if case.state != CaseState.OPENED:
        raise StepOutOfOrder("reject_activity", case.state)


@dataclass(frozen=True)
class PeCheckOutcome:
    check: PeCheck
    state: CaseState


def completed_pe_check(case: Case, proposal: PeCheckProposal, *, passed: bool, findings: Sequence[Finding],
                       completed_by: UUID, completed_at: datetime) -> PeCheckOutcome:
    """Passed only when the rules are met after the rejections; failed names its findings, every rejected
    activity a finding of its own. Passed: the case waits for the recertification fee; failed: for DNV's
    decision on part B (ADR 0011)."""
    state = CASE_MACHINE.transition(case.state,
                                    CaseAction.COMPLETE_PE_CHECK if passed else CaseAction.FAIL_PE_CHECK)
    summary = proposal.summary
    if passed and not summary.met:
        raise PeRulesNotMet(summary.counted_total, summary.required_total)
    rejected = tuple(Finding(a.rejection.reason, a.activity_id, a.activity.category if a.activity else None)
                     for a in proposal.activities if a.rejection is not None)
    if not passed and not (findings or rejected):
        raise InvalidInput("findings", "assessment.field.findings_required")
    check = PeCheck(case_id=case.id, passed=passed, points_counted=summary.counted_total,
                    points_required=summary.required_total, findings=rejected + tuple(findings),
                    completed_by=completed_by, completed_at=completed_at)
    return PeCheckOutcome(check, state)


def assignment(case: Case, assessor: Account | None, mentors: Iterable[UUID],
               previous_assessor: UUID | None) -> CaseState | None:
    """The case's state once ``assessor`` is assigned, or None when they are assigned already (nothing
    changes). Refused for an account that is no assessor and for a conflict of interest."""
    state = CASE_MACHINE.transition(case.state, CaseAction.ASSIGN)
    if assessor is None or not assessor.has_role("assessor"):
        raise InvalidInput("assessor_id", "assessment.field.not_an_assessor")
    if assessor.account_id == case.assessor_id:
        return None
    conflict = assessor_conflict(assessor.account_id, case, mentors, previous_assessor)
    if conflict is not None:
        raise AssessorNotAllowed(conflict)
    return state


def had_supplement(decisions: Iterable[Decision]) -> bool:
    """One supplement per case (ADR 0011): a postponed decision that stands was taken already. One annulled
    by an upheld objection does not count (ADR 0011, amended): an annulled decision has no effect, so the
    jobcoach whose objection succeeded is never worse off than had the mistake not been made. A PE check
    that fails again after the objection gets its postponed decision on B (with the findings of the check
    done again), and the assessor may advise postponed on A1 or A3, as in any case."""
    return any(d.decision == "postponed" for d in live_decisions(decisions))


@dataclass(frozen=True)
class AdviceOutcome:
    advice: GivenAdvice
    state: CaseState
    is_reassessment: bool


def given_advice(case: Case, form: AssessmentForm, *, assessor_id: UUID, pe_check: PeCheck | None,
                 decisions: Sequence[Decision], given_at: datetime) -> AdviceOutcome:
    """The assessor's form, when it fits its rules. The advice is internal to DNV: it opens nothing and
    starts no term; DNV's decision does."""
    state = CASE_MACHINE.transition(case.state, CaseAction.ADVISE)
    reassessment = case.state == CaseState.REASSESSING
    refusals = form_refusals(form, reassessment=reassessment or had_supplement(decisions),
                             pe_check_failed=pe_check is not None and not pe_check.passed)
    if refusals:
        raise FormRefused(refusals)
    advice = GivenAdvice(case_id=case.id, round=2 if reassessment else 1, assessor_id=assessor_id, form=form,
                         supplement_due_on=None, given_at=given_at)
    return AdviceOutcome(advice, state, reassessment)


@dataclass(frozen=True)
class DecisionOutcome:
    """DNV's decision and what follows from it for the case; the certificate's part (renewal after a
    positive decision, a lapse that may be due after a negative one) the service applies."""

    decision: Decision
    state: CaseState
    supplements: tuple[SupplementAssignment, ...]

    @property
    def case_changes(self) -> dict[str, date]:
        due = self.decision.supplement_due_on
        return {"due_on": due, "supplement_due_on": due} if due else {}

    @property
    def renews_certificate(self) -> bool:
        return self.decision.decision == "positive"

    @property
    def may_lapse_certificate(self) -> bool:
        return self.decision.decision == "negative"


def negative_opens_new_portfolio(case: Case, decision: str) -> bool:
    """A negative decision opens a whole new portfolio, with its deadline, once: not when the case is itself
    that new portfolio (ADR 0009: one second chance only)."""
    return decision == "negative" and not case.is_new_portfolio_after_negative


def decision_on(case: Case, *, decision: str, reason: str | None, advices: Sequence[GivenAdvice],
                decisions: Sequence[Decision], pe_check: PeCheck | None, today: date, objection_weeks: int,
                decision_id: UUID, decided_by: UUID, decided_at: datetime) -> DecisionOutcome:
    """DNV's decision (ADR 0011). After the advice: positive, negative, or postponed on a postponed advice,
    with the advice's assignments. After a failed PE check: postponed on part B, with the check's findings
    as the assignment; negative once the case had its postponed decision (the check of the supplement
    failed too). A postponed decision starts the supplement's 3 months from ``today``, the decision date;
    it is possible once per case, where one annulled by an upheld objection does not count (ADR 0011,
    amended: a check that fails again after that objection is postponed on B as a first one). While a
    supplement is due, only a negative decision, and only after its due date once portfolio said nothing
    was handed in (a supplement handed in on the last day may still be on its way; ADR 0042), or
    ``PORTFOLIO_SILENCE_DAYS`` after it should portfolio stay silent. Departing from the advice needs a
    reason."""
    state = CASE_MACHINE.transition(
        case.state, CaseAction.POSTPONE if decision == "postponed" else CaseAction.DECIDE)
    supplemented = had_supplement(decisions)
    if case.state in SUPPLEMENT_STATES:
        # Only when the supplement never came: the term must be over, and the end is negative.
        if today <= case.supplement_due_on:
            raise InvalidInput("decision", "assessment.field.supplement_still_due",
                               due_on=case.supplement_due_on)
        if decision != "negative":
            raise InvalidInput("decision", "assessment.field.negative_only_without_supplement")
        if case.supplement_missed_at is None \
                and (today - case.supplement_due_on).days <= PORTFOLIO_SILENCE_DAYS:
            raise InvalidInput("decision", "assessment.field.supplement_not_reported_missing",
                               due_on=case.supplement_due_on)
    if case.state == CaseState.PE_CHECK_FAILED:
        # Negative once the case had its postponed decision, so that a check failing again never waits for a
        # second supplement term that cannot come.
        wanted = "negative" if supplemented else "postponed"
        if decision != wanted:
            raise InvalidInput("decision", "assessment.field.failed_pe_check_negative_only" if supplemented
                               else "assessment.field.failed_pe_check_postponed_first")
    if decision == "postponed" and supplemented:
        raise InvalidInput("decision", "assessment.field.one_supplement_per_case")
    supplements: tuple[SupplementAssignment, ...] = ()
    if not advices:  # the failed PE check's own path: there is no advice to follow or depart from
        if decision == "positive":
            # Nobody assessed A1 and A3, and the recertification fee was never required (DESIGN.md §1: DNV
            # checks the PE, then an assessor advises). Reached after an upheld objection against a decision
            # taken on the PE check alone (ADR 0011, amended).
            raise InvalidInput("decision", "assessment.field.positive_needs_advice")
        round_, follows = 0, True
        if decision == "postponed":
            supplements = (pe_supplement_assignment(pe_check.findings if pe_check else ()),)
    else:
        latest = advices[-1]
        if decision == "postponed":
            if latest.advice != "postponed":
                raise InvalidInput("decision", "assessment.field.postponed_needs_postponed_advice")
            supplements = latest.form.supplements
        round_, follows = latest.round, decision == latest.advice
    if not follows and not reason:
        raise InvalidInput("reason", "assessment.field.reason_required")
    record = Decision(
        id=decision_id, case_id=case.id, round=round_, decision=decision, follows_advice=follows,
        reason=reason, decided_on=today, objection_deadline=objection_deadline(today, objection_weeks),
        new_portfolio_deadline=new_portfolio_deadline(today) if negative_opens_new_portfolio(case, decision)
        else None,
        supplement_due_on=supplement_deadline(today) if decision == "postponed" else None,
        decided_by=decided_by, decided_at=decided_at)
    return DecisionOutcome(record, state, supplements)


@dataclass(frozen=True)
class ProgressStep:
    """One step of the case as the jobcoach follows it: done (on its day), the current one, or still to
    come; an open step carries the day it is expected by (and the decision the day its normal window
    opens), taken from the rules' terms."""

    step: str  # submitted | pe_check | assessment | decision | supplement | reassessment
    round: int  # 1: the portfolio; 2: the supplement after a postponed decision
    status: str  # done | current | upcoming
    done_on: date | None = None
    expected_from: date | None = None
    expected_by: date | None = None


def case_progress(case: Case, *, pe_check: PeCheck | None, advices: Sequence[GivenAdvice],
                  decisions: Sequence[Decision], supplement: Supplement | None,
                  zone: Any) -> tuple[ProgressStep, ...]:
    """The case's steps for the jobcoach's portal: submitted, PE check, assessment, decision; after a
    postponed decision also the supplement, its reassessment and the decision on it. ``advices`` as the
    caller may see them (the jobcoach: only those DNV decided on). Dates in ``zone``, the service's
    calendar. Open steps are expected by the case's due date (8 weeks after the submission, or after the
    supplement), the supplement by its deadline; the decision normally comes from week 6 on.

    A decision annulled by an upheld objection is not a step (the case view lists it, annulled): the case
    resumed at the PE check (ADR 0011, amended), so its steps are those of a case that had no decision yet,
    the PE check done only once it was done again, and every open step expected by the case's due date (8
    weeks from the resumption; the decision without the window of a submission, as after a supplement). A
    failed PE check is decided by DNV before any assessor, so no assessment step shows while the case waits
    for that decision."""
    def day(at: datetime | None) -> date | None:
        return local_day(at, zone) if at is not None else None

    resumed_at = max((d.annulled_at for d in decisions if d.annulled_at is not None), default=None)
    decisions = live_decisions(decisions)
    submitted_on = day(case.submitted_at) or case.due_on
    window = result_expected_window(submitted_on)
    # After a resumption, by the case's due date: the window of a submission does not apply.
    decision_from, decision_by = (window.first, window.last) if resumed_at is None else (None, case.due_on)
    first = next((d for d in decisions if d.round in (0, 1)), None)
    postponed = first if first is not None and first.decision == "postponed" else None
    checked = pe_check is not None and (resumed_at is None or pe_check.completed_at >= resumed_at)
    rows: list[tuple[str, int, date | None, bool, date | None, date | None]] = [
        ("submitted", 1, submitted_on, True, None, None),
        ("pe_check", 1, day(pe_check.completed_at) if checked else None, checked,
         None, case.due_on if first is None else None),
    ]
    advice1 = next((a for a in advices if a.round == 1), None)
    assessed = advice1 is not None or (first is not None and first.round == 1) or case.state in (
        CaseState.ADVISED, CaseState.OBJECTION_UPHELD)
    # A failed PE check is decided before any assessor.
    if not (first is not None and first.round == 0) and case.state != CaseState.PE_CHECK_FAILED:
        rows.append(("assessment", 1, day(advice1.given_at) if advice1 else None, assessed, None,
                     case.due_on if first is None else None))
    rows.append(("decision", 1, first.decided_on if first else None, first is not None,
                 decision_from if first is None else None, decision_by if first is None else None))
    if postponed is not None:
        received = supplement is not None
        second = next((d for d in decisions if d.round == 2 or (d is not first and d.round == 0)), None)
        open_due = case.due_on if received and second is None else None
        advice2 = next((a for a in advices if a.round == 2), None)
        rows += [
            ("supplement", 2, day(supplement.submitted_at) if supplement else None, received, None,
             postponed.supplement_due_on if not received else None),
            ("reassessment", 2, day(advice2.given_at) if advice2 else None,
             advice2 is not None or second is not None or case.state == CaseState.REASSESSED, None, open_due),
            ("decision", 2, second.decided_on if second else None, second is not None, None, open_due),
        ]
    if case.state == CaseState.OBJECTION_UPHELD:  # the objection reopened the case for a new decision
        rows.append(("decision", rows[-1][1], None, False, None, case.due_on))
    steps, current_found = [], case.state in (CaseState.DECIDED, CaseState.WITHDRAWN)
    for name, round_, on, done, expected_from, expected_by in rows:
        status = "done" if done else "upcoming" if current_found else "current"
        current_found = current_found or status == "current"
        steps.append(ProgressStep(name, round_, status, on if done else None,
                                  None if done else expected_from, None if done else expected_by))
    return tuple(steps)


def objected_decision(decisions: Sequence[Decision], today: date) -> Decision:
    """The decision an objection filed today is against: the latest that stands (an annulled one is no
    decision to object to), not a positive one, within its term."""
    decisions = live_decisions(decisions)
    if not decisions:
        raise ObjectionRefused("no_decision")
    decision = decisions[-1]
    if decision.decision == "positive":
        raise ObjectionRefused("positive_decision")
    if today > decision.objection_deadline:
        raise ObjectionRefused("term_passed", deadline=decision.objection_deadline)
    return decision


NEXT_NEW_DECISION = "new_decision"  # an upheld objection: DNV decides again
NEXT_PE_CHECK = "pe_check"  # upheld against the round-0 postponed decision: DNV checks the PE again


@dataclass(frozen=True)
class ObjectionOutcome:
    """What DNV's outcome on an objection does to the case. Rejected: nothing (``state`` None, the decision
    stands). Upheld: the case's next state and ``next_step`` (as ``assessment.objection.decided`` carries
    it); against the round-0 postponed decision also the decision it annuls (``annuls``) and the case's new
    dates (``case_changes``)."""

    state: CaseState | None = None
    next_step: str | None = None
    annuls: Decision | None = None
    case_changes: Mapping[str, Any] = field(default_factory=dict)


def objection_outcome(case: Case, objection: Objection, outcome: str, decisions: Sequence[Decision], *,
                      today: date) -> ObjectionOutcome:
    """What DNV's outcome on the objection does (``decisions`` in the order they were taken). Rejected: the
    decision stands. Upheld against a decision after the assessment: the case reopens for a new decision
    (``objection_upheld``).

    Upheld against DNV's round-0 postponed decision (on part B, after a failed PE check; the case waits for
    the PE supplement): the PE verdict was wrong, so the decision is annulled together with the supplement
    it asked for, and the case goes back to DNV's PE check on the submission's activities (``opened``), due
    8 weeks from ``today`` as after a submission; then on to payment and an assessor as any case, or, should
    the check fail again, a postponed decision on B as after any failed check (the annulled decision does
    not count as the case's one postponed decision; ADR 0011, amended).

    Upheld only while the objected decision is still the case's latest standing one: an objection against a
    postponed decision may still be open when the decision on the supplement replaced it, and upholding it
    then would reopen a case decided since (a certificate renewed) into a state it cannot leave cleanly. Not
    upheld either against the round-0 negative decision (the PE check of the supplement failed too): by
    then a whole new portfolio may be under way and the certificate may have lapsed, which the platform
    cannot undo yet. Rejected stays possible: the objection still gets its answer."""
    if objection.outcome is not None:
        raise ObjectionRefused("already_decided")
    if outcome != "upheld":
        return ObjectionOutcome()
    standing = live_decisions(decisions)
    if not standing or standing[-1].id != objection.decision_id:
        raise ObjectionRefused("decision_replaced")
    objected = standing[-1]
    if objected.round == 0 and objected.decision != "postponed":
        raise ObjectionRefused("decided_on_pe_check")
    state = CASE_MACHINE.transition(case.state, CaseAction.UPHOLD_OBJECTION)
    if objected.round != 0:
        return ObjectionOutcome(state, NEXT_NEW_DECISION)
    return ObjectionOutcome(state, NEXT_PE_CHECK, annuls=objected, case_changes={
        "due_on": case_due_on(today), "supplement_due_on": None, "supplement_missed_at": None})


# --- the certificate's part ------------------------------------------------------------------------------


def renewed_certificate(certificate: Certificate | None, case: Case) -> Certificate:
    """After a positive decision on ``case``: active from the old expiry date for 4 years (a lapsed
    certificate reactivated). Refused when the case is not about the certificate's current period."""
    if certificate is None:
        raise CertificateConflict("missing")
    if certificate.valid_until != case.certificate_expires_on:
        raise CertificateConflict("period_mismatch", valid_until=certificate.valid_until,
                                  expires_on=case.certificate_expires_on)
    valid_from, valid_until = renewal(certificate, case.certificate_expires_on)
    return dataclasses.replace(certificate, valid_from=valid_from, valid_until=valid_until,
                               state=CertificateState.ACTIVE, lapsed_on=None, lapse_reason=None)


def lapse_reason(certificate: Certificate, today: date, *, regular_case_open: bool,
                 negative: Decision | None) -> LapseReason | None:
    """Why an active certificate lapses today, or None while it does not: its expiry date has not passed,
    or a regular case for the period still runs (a portfolio submitted in time is judged, and a positive
    decision renews from the old expiry date). A whole new portfolio after a negative decision does not hold
    it: the certificate lapses at expiry and a positive decision reactivates it.

    Nor does it lapse while a portfolio submitted on the last day may still be on its way to assessment: a
    certificate with an account lapses without a negative decision once portfolio announced that the
    period's last day passed with nothing submitted (``deadline_missed_for``), or, should portfolio stay
    silent, when the expiry is more than ``PORTFOLIO_SILENCE_DAYS`` days past (ADR 0042)."""
    if certificate.state != CertificateState.ACTIVE or today <= certificate.valid_until or regular_case_open:
        return None
    if negative:
        return LapseReason.NEGATIVE_DECISION
    portfolio_may_speak = (certificate.account_id is not None
                           and certificate.deadline_missed_for != certificate.valid_until
                           and (today - certificate.valid_until).days <= PORTFOLIO_SILENCE_DAYS)
    return None if portfolio_may_speak else LapseReason.NOT_RECERTIFIED
