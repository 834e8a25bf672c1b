"""Certificates, cases and what is judged in them: entities and the rules that need no database. Numbers come
from ``recert_common.rules`` (the assessment framework); the case's state machine is in ``states``.
"""
from __future__ import annotations

import enum
import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from recert_assessment.states import CaseState
from recert_common.rules import (
    DateRange,
    Framework,
    PeSummary,
    add_months,
    add_years,
    load_framework,
    pe_summary,
    renewed_validity,
    result_due_on,
    submission_window,
)

ASSESSED_PARTS = ("A1", "A3", "B")  # judged: meets / does not meet
FEEDBACK_PARTS = ("A2", "A4")  # never part of the verdict: the assessor may give feedback
VERDICTS = ("meets", "does_not_meet")
ADVICES = ("positive", "postponed", "negative")
OBJECTION_OUTCOMES = ("upheld", "rejected")
EXPIRY_NOTICE_MONTHS = (12, 6, 3, 1)
TEXT_MAX_LENGTH = 20_000


class CertificateState(enum.StrEnum):
    ACTIVE = "active"
    LAPSED = "lapsed"


class LapseReason(enum.StrEnum):
    NEGATIVE_DECISION = "negative_decision"
    NOT_RECERTIFIED = "not_recertified"


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
    submission_id: UUID
    parts: tuple[str, ...]
    submitted_at: datetime
    snapshot_hash: str


@dataclass(frozen=True)
class AuditEntry:
    case_id: UUID
    at: datetime
    actor_id: UUID | None  # None: the system (an event or the scheduler)
    role: str
    action: str
    details: Mapping[str, object] = field(default_factory=dict)


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
    from the decision up to its new-portfolio deadline. Otherwise the 3 months before expiry, while the
    certificate is active."""
    if negative is not None and negative.new_portfolio_deadline is not None:
        window: DateRange | None = DateRange(negative.decided_on, negative.new_portfolio_deadline)
    elif certificate.state == CertificateState.LAPSED:
        window = None
    else:
        window = submission_window(certificate.valid_until)
    return Tile(certificate, today, window)


# --- PE check --------------------------------------------------------------------------------------------


def category_number(category: str, framework: Framework) -> int | None:
    """pe-registry names a category by its number ("1") or its key ("training_in_field")."""
    for known in framework.pe.categories:
        if category.strip() in (str(known.number), known.key):
            return known.number
    return None


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
        number = category_number(activity.category, framework) if activity else None
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
    return SupplementAssignment("B", "Vul je permanente educatie aan. Wat de PE-toets mist: "
                                + "; ".join(texts))


# --- conflicts of interest -------------------------------------------------------------------------------


class AssessorConflict(enum.StrEnum):
    IS_JOBCOACH = "is_jobcoach"
    MENTOR = "mentor"
    PREVIOUS_ASSESSOR = "previous_assessor"


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


def overdue_status(due_on: date, today: date) -> str:
    return "overdue" if today > due_on else "due_soon"


# --- claim codes (ADR 0018) ------------------------------------------------------------------------------

CLAIM_CODE_VALID = timedelta(days=30)
CLAIM_FAILURES_ALLOWED = 5  # failed redemptions per account ...
CLAIM_FAILURE_WINDOW = timedelta(minutes=15)  # ... within this window; then 429 until the oldest ages out
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
