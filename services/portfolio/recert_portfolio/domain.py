"""A recertification cycle and its portfolio: states and their transitions (``CYCLE``), which dates a cycle
has, what may be edited or submitted when, and what the other services' decisions mean for a cycle (a
supplement, a whole new portfolio, a lapse). Rules return the outcome (the next ``Cycle``, a ``Supplement``,
a ``NegativeOutcome``) or raise a refusal (a ``DomainError``, answered at the edge by ``problems.PROBLEMS``).
No Flask, no SQL, no broker; numbers come from ``recert_common.rules``.

An upheld objection against DNV's postponed decision taken on the failed PE check alone annuls that
decision with the supplement it asked for (ADR 0011, amended): ``annul_for_upheld_objection`` puts the
cycle back to submitted, its submission waiting for DNV's PE check again.

A cycle is one certificate period. It opens when a certificate is registered, renewed or reactivated, or
(kind ``after_negative``) when a negative decision allows a whole new portfolio within 3 months. Its
portfolio is parts A1-A4 and the list of reflection meetings; part B (PE) lives in pe-registry and is read
here from events.
"""
from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from recert_common.clock import local_day
from recert_common.domain_errors import DomainError, NotFoundError
from recert_common.rules import (
    DateRange,
    Framework,
    load_framework,
    pe_period_first_day,
    pe_period_last_day,
    required_reflection_meetings,
    submission_window,
)
from recert_common.states import StateMachine

if TYPE_CHECKING:
    from recert_portfolio.readiness import Readiness

A_PARTS = ("A1", "A2", "A3", "A4")
ALL_PARTS = (*A_PARTS, "B")
MEETING_KINDS = ("intervision", "supervision", "coaching", "quality_circle")
SOURCE_UPLOAD = "upload"
SOURCE_NOLOC = "noloc"
#: pe-registry's source of an activity entered by hand; any other source (the Noloc Academie) is an import.
PE_SOURCE_MANUAL = "manual"
TEXT_MAX_LENGTH = 100_000
#: "Not given" (leave as it is), told apart from None (clear it).
UNCHANGED: Any = object()


class CycleState(enum.StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"
    SUPPLEMENT_OPEN = "supplement_open"
    SUPPLEMENT_SUBMITTED = "supplement_submitted"
    CLOSED = "closed"


class CycleAction(enum.StrEnum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    OPEN_SUPPLEMENT = "open_supplement"
    SUBMIT_SUPPLEMENT = "submit_supplement"
    ANNUL_SUPPLEMENT = "annul_supplement"
    CLOSE = "close"


class CycleKind(enum.StrEnum):
    REGULAR = "regular"
    AFTER_NEGATIVE = "after_negative"


S, A = CycleState, CycleAction

# Every allowed transition; anything not listed is refused.
TRANSITIONS: Mapping[tuple[CycleState, CycleAction], CycleState] = {
    (S.OPEN, A.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, A.WITHDRAW): S.OPEN,
    (S.SUBMITTED, A.OPEN_SUPPLEMENT): S.SUPPLEMENT_OPEN,
    (S.SUPPLEMENT_OPEN, A.SUBMIT_SUPPLEMENT): S.SUPPLEMENT_SUBMITTED,
    # The postponed decision annulled with its supplement: the submission waits for assessment again. Also
    # when the jobcoach handed the supplement in while DNV upheld the objection: assessment ignores that
    # hand-in, and a later postponed decision must find the cycle waiting for it.
    (S.SUPPLEMENT_OPEN, A.ANNUL_SUPPLEMENT): S.SUBMITTED,
    (S.SUPPLEMENT_SUBMITTED, A.ANNUL_SUPPLEMENT): S.SUBMITTED,
    # A new certificate period, a lapse or a negative decision ends a cycle in any live state.
    (S.OPEN, A.CLOSE): S.CLOSED,
    (S.SUBMITTED, A.CLOSE): S.CLOSED,
    (S.SUPPLEMENT_OPEN, A.CLOSE): S.CLOSED,
    (S.SUPPLEMENT_SUBMITTED, A.CLOSE): S.CLOSED,
}


CYCLE = StateMachine(CycleState, CycleAction, TRANSITIONS)


# --- refusals (answered at the edge by problems.PROBLEMS) ------------------------------------------------


class NoCurrentCycle(NotFoundError):
    """The jobcoach has no cycle in progress (no certificate registered yet, or it lapsed)."""


class UnknownPart(NotFoundError):
    def __init__(self, part: str):
        super().__init__(part=part)


class FieldRefusal(enum.StrEnum):
    ONLY_FOR_A1 = "only_for_a1"
    ONLY_FOR_A3 = "only_for_a3"
    UNKNOWN_MEETING = "unknown_meeting"


class FieldRefused(DomainError):
    """One field of the input does not fit the part it is saved with."""

    def __init__(self, field: str, reason: FieldRefusal):
        super().__init__(field=field, reason=reason)


class EditRefusal(enum.StrEnum):
    SUBMITTED = "submitted"  # parts are read-only after submission
    CLOSED = "closed"
    NOT_REOPENED = "not_reopened"  # a supplement is open, but not for this part
    SUPPLEMENT_OVERDUE = "supplement_overdue"


class EditRefused(DomainError):
    def __init__(self, reason: EditRefusal, *, part: str, due_on: date | None = None):
        super().__init__(reason=reason, part=part, due_on=due_on)


class DateRefusal(enum.StrEnum):
    IN_FUTURE = "in_future"
    BEFORE_PERIOD = "before_period"
    AFTER_PERIOD = "after_period"


class MeetingDateRefused(DomainError):
    def __init__(self, reason: DateRefusal, *, starts_on: date, today: date, ends_on: date):
        super().__init__(reason=reason, starts_on=starts_on, today=today, ends_on=ends_on)


class MeetingRefusal(enum.StrEnum):
    FROM_NOLOC = "from_noloc"  # Noloc's planning tool is the proof; it is not changed here
    IN_USE = "in_use"  # the A3 report is about it


class MeetingNotChangeable(DomainError):
    def __init__(self, reason: MeetingRefusal):
        super().__init__(reason=reason)


class WindowRefusal(enum.StrEnum):
    NOT_YET_OPEN = "not_yet_open"
    CLOSED = "closed"


class OutsideWindow(DomainError):
    """Submitting (a portfolio or a supplement) is not possible today."""

    def __init__(self, reason: WindowRefusal, *, opens_on: date, closes_on: date):
        super().__init__(reason=reason, opens_on=opens_on, closes_on=closes_on)


class StateRefusal(enum.StrEnum):
    ALREADY_SUBMITTED = "already_submitted"
    NOT_SUBMITTED = "not_submitted"
    WITHDRAWAL_PENDING = "withdrawal_pending"  # asked already; assessment has not answered yet
    NO_SUPPLEMENT = "no_supplement"


class WrongState(DomainError):
    """The cycle's state does not allow what was asked (submit twice, withdraw what is not submitted)."""

    def __init__(self, reason: StateRefusal, state: CycleState):
        super().__init__(reason=reason, state=CycleState(state))


class NotReady(DomainError):
    """Something is still missing; ``readiness`` says what, per part."""

    def __init__(self, readiness: Readiness):
        super().__init__(readiness=readiness)


class PeChangedWhileSubmitting(DomainError):
    """pe-registry holds other PE activities than portfolio's copy shows (ADR 0044): one changed a moment
    ago, or its event is still on its way. ``activity_ids`` names them; nothing was submitted."""

    activity_ids: list[UUID]


class AssessorAssigned(DomainError):
    """A submission may be withdrawn only until an assessor is assigned to its case."""


class SupplementAnnulled(DomainError):
    """The supplement is no longer due: DNV upheld the objection against the postponed decision that asked
    for it, and checks the PE of the original submission again (ADR 0011, amended)."""

    def __init__(self, annulled_at: datetime):
        super().__init__(annulled_at=annulled_at)


class SupplementUnrevised(DomainError):
    def __init__(self, parts: tuple[str, ...]):
        super().__init__(parts=parts)


class ProofRefused(DomainError):
    """The proof file was refused while it streamed in (too large, empty, a type we do not take);
    ``refusal`` is storage's ``UploadRefused``."""

    def __init__(self, refusal: Exception):
        super().__init__(refusal=refusal)


# --- entities --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CycleDates:
    starts_on: date  # PE activities and meetings count from here
    expires_on: date  # the certificate's valid_until
    window_opens_on: date  # first day a portfolio may be submitted
    submit_by: date  # last day a portfolio may be submitted


@dataclass(frozen=True)
class Cycle:
    id: UUID
    portfolio_id: UUID
    account_id: UUID
    certificate_id: UUID
    kind: CycleKind
    state: CycleState
    starts_on: date
    expires_on: date
    window_opens_on: date
    submit_by: date
    submission_id: UUID | None
    previous_cycle_id: UUID | None
    opened_at: datetime
    closed_at: datetime | None
    # When the deadline check announced that the last day to submit passed with nothing submitted
    # (portfolio.deadline.missed, ADR 0042). Final: assessment lapses the certificate on it, so nothing may be
    # submitted after it, even by a request that read "today" before midnight.
    deadline_missed_at: datetime | None = None

    @property
    def window(self) -> DateRange:
        return DateRange(self.window_opens_on, self.submit_by)

    @property
    def period(self) -> DateRange:
        """Days a meeting or PE activity may fall on, without a supplement (see ``pe_period``): a portfolio
        after a negative decision may be completed after the expiry date, up to its deadline."""
        return DateRange(self.starts_on, pe_period_last_day(self.expires_on, extended_until=self.submit_by))

    @property
    def is_after_negative(self) -> bool:
        return self.kind == CycleKind.AFTER_NEGATIVE

    def framework(self) -> Framework:
        """The rules of the cohort: the framework of the expiry year."""
        return load_framework(self.expires_on.year)

    @property
    def required_meetings(self) -> int:
        return required_reflection_meetings(self.expires_on.year)

    @classmethod
    def opened(cls, *, account_id: UUID, certificate_id: UUID, kind: CycleKind, dates: CycleDates,
               now: datetime, previous: Cycle | None = None) -> Cycle:
        return cls(id=uuid.uuid4(), portfolio_id=uuid.uuid4(), account_id=account_id,
                   certificate_id=certificate_id, kind=kind, state=CycleState.OPEN, starts_on=dates.starts_on,
                   expires_on=dates.expires_on, window_opens_on=dates.window_opens_on,
                   submit_by=dates.submit_by, submission_id=None,
                   previous_cycle_id=previous.id if previous else None, opened_at=now, closed_at=None)

    def _after(self, action: CycleAction, **changes: Any) -> Cycle:
        return replace(self, state=CYCLE.transition(self.state, action), **changes)

    def submit(self, submission_id: UUID, *, today: date, readiness: Readiness) -> Cycle:
        """The cycle submitted as ``submission_id``: only from an open cycle, inside its window, with nothing
        missing."""
        if not CYCLE.allows(self.state, CycleAction.SUBMIT):
            raise WrongState(StateRefusal.ALREADY_SUBMITTED, self.state)
        refusal = window_refusal(self, today)
        if refusal is not None:
            raise OutsideWindow(refusal, opens_on=self.window_opens_on, closes_on=self.submit_by)
        if not readiness.ready:
            raise NotReady(readiness)
        return self._after(CycleAction.SUBMIT, submission_id=submission_id)

    def miss_deadline(self, *, today: date, now: datetime) -> Cycle | None:
        """The cycle with its missed deadline recorded: it is open (nothing submitted, or a submission was
        withdrawn) and its last day to submit has passed. None when it is not, or was announced already."""
        if self.state != CycleState.OPEN or today <= self.submit_by or self.deadline_missed_at is not None:
            return None
        return replace(self, deadline_missed_at=now)

    def request_withdrawal(self, reason: str | None, *, now: datetime, assessor_assigned: bool,
                           earlier: WithdrawalRequest | None) -> WithdrawalRequest:
        """The jobcoach's request to withdraw the submission (ADR 0041): only a submitted cycle, not twice at
        once, and not when the read model already knows of an assessor. Assessment decides in the end."""
        if not CYCLE.allows(self.state, CycleAction.WITHDRAW):
            raise WrongState(StateRefusal.NOT_SUBMITTED, self.state)
        if assessor_assigned:
            raise AssessorAssigned()
        if earlier is not None and earlier.pending:
            raise WrongState(StateRefusal.WITHDRAWAL_PENDING, self.state)
        return WithdrawalRequest(submission_id=self.submission_id, requested_at=now, reason=reason)

    def withdraw(self, submission_id: UUID) -> Cycle | None:
        """Back to open once assessment closed the case of ``submission_id``; None when this cycle no longer
        waits on that submission (it was closed meanwhile by a lapse or a new certificate period)."""
        if self.submission_id != submission_id or not CYCLE.allows(self.state, CycleAction.WITHDRAW):
            return None
        return self._after(CycleAction.WITHDRAW, submission_id=None)

    def check_supplement_open(self, supplement: Supplement | None) -> None:
        """Refuse work on a supplement unless ``supplement`` (the cycle's latest) is open: one annulled by an
        upheld objection is told as such, anything else as no supplement open."""
        if supplement is not None and supplement.annulled_at is not None:
            raise SupplementAnnulled(supplement.annulled_at)
        if supplement is None or not CYCLE.allows(self.state, CycleAction.SUBMIT_SUPPLEMENT):
            raise WrongState(StateRefusal.NO_SUPPLEMENT, self.state)

    def submit_supplement(self, supplement: Supplement | None, *, today: date, zone: tzinfo) -> Cycle:
        """The supplement submitted: one is open (not annulled), its due date has not passed, and every part
        it reopened was revised. ``zone`` is the service's calendar, in which the refusal names the day it
        opened."""
        self.check_supplement_open(supplement)
        if today > supplement.due_on or supplement.missed_at is not None:
            raise OutsideWindow(WindowRefusal.CLOSED, opens_on=local_day(supplement.opened_at, zone),
                                closes_on=supplement.due_on)
        if supplement.unrevised_parts:
            raise SupplementUnrevised(supplement.unrevised_parts)
        return self._after(CycleAction.SUBMIT_SUPPLEMENT)

    def open_supplement(self) -> Cycle:
        return self._after(CycleAction.OPEN_SUPPLEMENT)

    def annul_supplement(self, supplement: Supplement) -> Cycle | None:
        """Back to submitted, as before ``supplement`` opened: its submission waits for assessment again.
        None when the cycle no longer has that supplement open (it was closed meanwhile)."""
        if supplement.submission_id != self.submission_id \
                or not CYCLE.allows(self.state, CycleAction.ANNUL_SUPPLEMENT):
            return None
        return self._after(CycleAction.ANNUL_SUPPLEMENT)

    def close(self, now: datetime) -> Cycle:
        return self._after(CycleAction.CLOSE, closed_at=now)


@dataclass(frozen=True)
class Part:
    part: str
    text: str = ""
    declared_at: datetime | None = None  # A1: when "worked as executive jobcoach (past 4 years)" was ticked
    works_now_declared_at: datetime | None = None  # A1: when "works as executive jobcoach now" was ticked
    meeting_id: UUID | None = None  # A3: the meeting the reflection report is about
    updated_at: datetime | None = None

    @property
    def has_text(self) -> bool:
        return bool(self.text.strip())

    def saved(self, *, text: str, declared: bool | None = None, declared_now: bool | None = None,
              meeting_id: UUID | None = UNCHANGED, now: datetime) -> Part:
        """This part after a save of its draft. ``declared`` and ``declared_now`` tick (True) or untick
        (False) A1's two declarations, None leaves them; ticking again keeps the moment of the first tick.
        ``meeting_id`` (A3) chooses the meeting of the report, UNCHANGED leaves it."""
        return Part(self.part, text=text, declared_at=_ticked(self.declared_at, declared, now),
                    works_now_declared_at=_ticked(self.works_now_declared_at, declared_now, now),
                    meeting_id=self.meeting_id if meeting_id is UNCHANGED else meeting_id, updated_at=now)


def _ticked(declared_at: datetime | None, tick: bool | None, now: datetime) -> datetime | None:
    """The first tick's moment wins; an untick forgets it."""
    if tick is None:
        return declared_at
    return (declared_at or now) if tick else None


def check_part_input(part: str, *, declared: bool | None, declared_now: bool | None,
                     meeting_id: UUID | None = UNCHANGED) -> None:
    """Refuse a part that does not exist and declarations or a meeting given with a part that has none."""
    if part not in A_PARTS:
        raise UnknownPart(part)
    if declared is not None and part != "A1":
        raise FieldRefused("executive_jobcoach_declared", FieldRefusal.ONLY_FOR_A1)
    if declared_now is not None and part != "A1":
        raise FieldRefused("currently_executive_jobcoach_declared", FieldRefusal.ONLY_FOR_A1)
    if meeting_id is not UNCHANGED and part != "A3":
        raise FieldRefused("meeting_id", FieldRefusal.ONLY_FOR_A3)


@dataclass(frozen=True)
class Proof:
    id: UUID
    account_id: UUID
    object_key: str
    sha256: str
    size: int
    content_type: str
    filename: str | None
    uploaded_at: datetime


@dataclass(frozen=True)
class Meeting:
    id: UUID
    cycle_id: UUID
    account_id: UUID
    met_on: date
    kind: str
    group_name: str | None
    supervisor_name: str | None
    duration_minutes: int | None
    source: str
    external_id: str | None
    proof: Proof | None
    created_at: datetime

    @property
    def proven(self) -> bool:
        """Noloc's planning tool is proof in itself; an entered meeting needs an uploaded file."""
        return self.source == SOURCE_NOLOC or self.proof is not None


@dataclass(frozen=True)
class NolocAttendance:
    """A meeting Noloc's planning tool reports, kept until it becomes a meeting of its holder's cycle."""

    external_id: str
    membership_number: str
    met_on: date
    kind: str
    group_name: str | None = None
    supervisor_name: str | None = None
    duration_minutes: int | None = None
    account_id: UUID | None = None  # its holder, once known
    meeting_id: UUID | None = None  # the meeting it became

    def meeting_in(self, cycle: Cycle, supplement: Supplement | None, now: datetime) -> Meeting | None:
        """The meeting it is in ``cycle``, or None when its date does not fit the cycle (yet)."""
        if not accepts_noloc_meeting(cycle, self.met_on, supplement):
            return None
        return Meeting(id=uuid.uuid4(), cycle_id=cycle.id, account_id=cycle.account_id, met_on=self.met_on,
                       kind=self.kind, group_name=self.group_name, supervisor_name=self.supervisor_name,
                       duration_minutes=self.duration_minutes, source=SOURCE_NOLOC,
                       external_id=self.external_id, proof=None, created_at=now)


@dataclass(frozen=True)
class PeActivity:
    activity_id: UUID
    category: str
    title: str
    completed_on: date
    points: Decimal
    evidence_sha256s: tuple[str, ...] = ()
    source: str = PE_SOURCE_MANUAL

    @property
    def proven(self) -> bool:
        """It counts only with proof: an evidence file, or the Noloc Academie's own record (an import)."""
        return self.source != PE_SOURCE_MANUAL or bool(self.evidence_sha256s)


class SupplementState(enum.StrEnum):
    OPEN = "open"  # due, or past its due date but not yet announced as missed
    SUBMITTED = "submitted"
    MISSED = "missed"  # announced as not handed in by its due date
    ANNULLED = "annulled"  # no longer due: an upheld objection annulled the decision that asked for it


@dataclass(frozen=True)
class SupplementAssignment:
    part: str
    assignment: str


@dataclass(frozen=True)
class Supplement:
    id: UUID
    cycle_id: UUID
    case_id: UUID
    submission_id: UUID
    parts: tuple[str, ...]
    assignments: tuple[SupplementAssignment, ...]
    due_on: date
    opened_at: datetime
    revised_parts: tuple[str, ...] = ()
    submitted_at: datetime | None = None
    supplement_submission_id: UUID | None = None
    # When the deadline check announced that the due date passed with nothing handed in
    # (portfolio.supplement.missed, ADR 0042). Final: DNV may decide on it, so nothing is handed in after it.
    missed_at: datetime | None = None
    # When an upheld objection annulled the postponed decision that asked for it (ADR 0011, amended): no
    # longer due, never handed in or announced as missed, and no longer extending the PE period.
    annulled_at: datetime | None = None
    # The postponed decision that asked for it (None on supplements opened before portfolio kept it).
    decision_id: UUID | None = None

    @property
    def state(self) -> SupplementState:
        if self.annulled_at is not None:
            return SupplementState.ANNULLED
        if self.submitted_at is not None:
            return SupplementState.SUBMITTED
        return SupplementState.MISSED if self.missed_at is not None else SupplementState.OPEN

    def miss(self, *, today: date, now: datetime) -> Supplement | None:
        """The supplement with its missed due date recorded: not handed in, and the due date has passed.
        None when it was handed in or annulled, is still due, or was announced already."""
        if self.submitted_at is not None or self.annulled_at is not None or today <= self.due_on \
                or self.missed_at is not None:
            return None
        return replace(self, missed_at=now)

    @property
    def reopened_parts(self) -> frozenset[str]:
        """The named parts a jobcoach edits here (B is edited in pe-registry)."""
        return frozenset(self.parts) & frozenset(A_PARTS)

    @property
    def unrevised_parts(self) -> tuple[str, ...]:
        return tuple(p for p in A_PARTS if p in self.reopened_parts and p not in self.revised_parts)

    def submitted(self, submission_id: UUID, now: datetime) -> Supplement:
        return replace(self, submitted_at=now, supplement_submission_id=submission_id)


def supplement_for_decision(cycle: Cycle, *, case_id: UUID, case_submission_id: UUID,
                            assignments: Sequence[SupplementAssignment], due_on: date, now: datetime,
                            decision_id: UUID | None = None) -> Supplement | None:
    """DNV's postponed decision (never the assessor's advice, ADR 0011) reopens the parts it names until
    ``due_on`` (3 months from the decision date), which also extends the PE period to that date. None when
    the cycle is not waiting for a decision on this submission."""
    if cycle.state != CycleState.SUBMITTED or cycle.submission_id != case_submission_id:
        return None
    return Supplement(id=uuid.uuid4(), cycle_id=cycle.id, case_id=case_id, submission_id=case_submission_id,
                      parts=tuple(dict.fromkeys(a.part for a in assignments)), assignments=tuple(assignments),
                      due_on=due_on, opened_at=now, decision_id=decision_id)


def awaits_annulment(cycle: Cycle, in_force: Supplement | None, *, decision_id: UUID) -> bool:
    """Whether a postponed decision that opened no supplement (``supplement_for_decision`` gave None) must
    wait: the case's supplement in force was asked for by another postponed decision. A second one on a case
    comes only after an upheld objection annulled the first (ADR 0011), so that objection's event is late
    (being retried) and annuls the supplement in force; then this decision opens its own."""
    return (cycle.state == CycleState.SUPPLEMENT_OPEN and in_force is not None
            and in_force.annulled_at is None and in_force.decision_id not in (None, decision_id))


def objection_annuls_supplement(outcome: str, next_step: str | None) -> bool:
    """Whether assessment.objection.decided concerns portfolio: only an objection upheld against a decision
    taken on the failed PE check alone sends the case back to DNV's PE check (``next_step`` pe_check, ADR
    0011 amended). A rejected one, or one upheld for a new decision (``new_decision``, or none on older
    events), leaves everything here as it is: the new decision tells what follows."""
    return outcome == "upheld" and next_step == "pe_check"


class AnnulmentSkip(enum.StrEnum):
    """Why an upheld objection that sends the case back to the PE check annuls nothing here."""

    NOT_POSTPONED = "not_postponed"  # the objected decision was not a postponed one: it asked for nothing
    NO_SUPPLEMENT = "no_supplement"  # the postponed decision opened none (the cycle was not waiting for it)
    ALREADY_ANNULLED = "already_annulled"  # the event came again
    # The case's latest supplement was asked for by a later postponed decision: the objected decision's own
    # was annulled already, and this event came late (retried, or replayed from the dead letters).
    LATER_DECISION = "later_decision"


@dataclass(frozen=True)
class SupplementAnnulment:
    """The outcome of ``annul_for_upheld_objection``: the supplement annulled and the cycle put back, or
    why nothing changes (``skipped``)."""

    supplement: Supplement | None = None
    cycle: Cycle | None = None  # the cycle back to submitted; None when it does not change
    skipped: AnnulmentSkip | None = None


def annul_for_upheld_objection(cycle: Cycle, supplement: Supplement | None, *, objected_decision: str,
                               now: datetime, objected_decision_id: UUID | None = None
                               ) -> SupplementAnnulment:
    """DNV upheld the objection against its postponed decision taken on the failed PE check alone: that
    decision is annulled with ``supplement``, the one it asked for (no longer due, not to be handed in, never
    announced as missed), and the cycle goes back to submitted, its submission waiting for DNV's PE check
    again. ``objected_decision`` is the kind of decision objected to, as portfolio recorded it, and
    ``supplement`` the case's latest: annulled only when ``objected_decision_id`` asked for it (or it predates
    the link), never one a later postponed decision asked for.

    A supplement handed in already is annulled too: it crossed DNV's uphold (handed in just before
    assessment heard of it, or after, before portfolio heard of the objection), and assessment, whose case
    left the supplement's term at the uphold, does not take it; a supplement that assessment took would
    have made the uphold out of order. One annulled already stays as it is. The Noloc meetings that joined
    the cycle while the supplement extended its period stay in it (they are real meetings); the annulled
    supplement extends the period no further (``pe_period``)."""
    if objected_decision != "postponed":
        return SupplementAnnulment(skipped=AnnulmentSkip.NOT_POSTPONED)
    if supplement is None:
        return SupplementAnnulment(skipped=AnnulmentSkip.NO_SUPPLEMENT)
    if supplement.decision_id is not None and supplement.decision_id != objected_decision_id:
        return SupplementAnnulment(skipped=AnnulmentSkip.LATER_DECISION)
    if supplement.annulled_at is not None:
        return SupplementAnnulment(skipped=AnnulmentSkip.ALREADY_ANNULLED)
    return SupplementAnnulment(supplement=replace(supplement, annulled_at=now),
                               cycle=cycle.annul_supplement(supplement))


@dataclass(frozen=True)
class Submission:
    id: UUID
    kind: str  # "submission" or "supplement"
    cycle_id: UUID
    portfolio_id: UUID
    account_id: UUID
    about_submission_id: UUID
    supplement_id: UUID | None
    submitted_at: datetime
    content: str
    snapshot_hash: str
    withdrawn_at: datetime | None = None
    withdraw_reason: str | None = None


@dataclass(frozen=True)
class WithdrawalRequest:
    """A jobcoach's request to withdraw a submission. Pending until assessment answers; refused when the
    case was past assignment by then (``refused_stage``, the case's state). An accepted request leaves
    the submission withdrawn (``Submission.withdrawn_at``)."""

    submission_id: UUID
    requested_at: datetime
    reason: str | None
    refused_at: datetime | None = None
    refused_stage: str | None = None

    @property
    def pending(self) -> bool:
        return self.refused_at is None

    @property
    def state(self) -> str:
        return "pending" if self.pending else "refused"


@dataclass(frozen=True)
class Case:
    """Assessment's case about a submission, as far as its events have told (read model)."""

    case_id: UUID
    account_id: UUID
    submission_id: UUID | None = None
    assessor_id: UUID | None = None


@dataclass(frozen=True)
class CalendarFeed:
    """A jobcoach's secret calendar feed (ADR 0026): its token is made from ``nonce`` under the platform's
    calendar key, never stored; a new nonce ends the old address."""

    account_id: UUID
    nonce: str
    created_at: datetime


class CalendarUnavailable(DomainError):
    """The platform has no calendar key (RECERT_PORTFOLIO_CALENDAR_SECRET): no feed can be made or read."""


@dataclass(frozen=True)
class DueDecision:
    """A final decision whose cycle's snapshots and proofs are past their retention."""

    decision_id: UUID
    cycle_id: UUID


@dataclass(frozen=True)
class Portfolio:
    """Everything of one cycle a jobcoach works on, as read in one transaction."""

    cycle: Cycle
    parts: Mapping[str, Part]
    meetings: tuple[Meeting, ...]
    supplement: Supplement | None = None
    pe_activities: tuple[PeActivity, ...] = field(default=())
    withdrawal: WithdrawalRequest | None = None  # the latest request about the submission in progress

    def part(self, name: str) -> Part:
        return self.parts.get(name) or Part(name)


# --- dates of a cycle ------------------------------------------------------------------------------------


def regular_cycle_dates(valid_until: date, *, valid_from: date, decided_on: date | None) -> CycleDates:
    """A cycle for a certificate running ``valid_from`` to ``valid_until``: PE activities and meetings count
    from ``recert_common.rules.pe_period_first_day`` (the day after the decision taken on ``decided_on``,
    or ``valid_from`` for a certificate taken over without a decision here: ``decided_on`` None), and a
    portfolio may be submitted from 3 months before expiry up to the expiry date."""
    window = submission_window(valid_until)
    starts_on = min(pe_period_first_day(valid_from=valid_from, decided_on=decided_on), valid_until)
    return CycleDates(starts_on=starts_on, expires_on=valid_until, window_opens_on=window.first,
                      submit_by=window.last)


def pe_period(cycle: Cycle, supplement: Supplement | None = None) -> DateRange:
    """Days the cycle's PE activities and meetings may fall on. Once a supplement is granted, its deadline
    ends the period when it is later than the expiry date: a supplement for B or A3 may use activities and
    meetings dated after expiry, up to the supplement deadline (``rules.pe_period_last_day``). An annulled
    supplement extends nothing: the submission is judged on its own period again (the meetings that joined
    the cycle meanwhile stay, see ``annul_for_upheld_objection``)."""
    if supplement is None or supplement.cycle_id != cycle.id or supplement.annulled_at is not None:
        return cycle.period
    return DateRange(cycle.starts_on, pe_period_last_day(cycle.period.last, extended_until=supplement.due_on))


def after_negative_cycle_dates(previous: Cycle, decided_on: date, deadline: date) -> CycleDates:
    """A whole new portfolio after a negative decision: same period, submittable from the decision up to
    the new-portfolio deadline (which may lie after the expiry date)."""
    return CycleDates(starts_on=previous.starts_on, expires_on=previous.expires_on,
                      window_opens_on=min(decided_on, deadline), submit_by=deadline)


def negative_allows_new_portfolio(cycle: Cycle) -> bool:
    """One second chance: a negative decision on a new portfolio after a negative decision ends it."""
    return cycle.kind == CycleKind.REGULAR


@dataclass(frozen=True)
class NegativeOutcome:
    closed: Cycle
    new_cycle_dates: CycleDates | None  # the whole new portfolio's, when one is allowed


def after_negative_decision(cycle: Cycle, *, decided_on: date, new_portfolio_deadline: date, now: datetime
                            ) -> NegativeOutcome | None:
    """A negative decision closes the cycle and, the first time, opens a whole new portfolio until the
    deadline; None when the cycle was closed already (the event came again)."""
    if cycle.state == CycleState.CLOSED:
        return None
    dates = (after_negative_cycle_dates(cycle, decided_on, new_portfolio_deadline)
             if negative_allows_new_portfolio(cycle) else None)
    return NegativeOutcome(cycle.close(now), dates)


def lapse_closes(cycle: Cycle | None, *, certificate_id: UUID, reason: str) -> bool:
    """A certificate lapsed without recertification ends its cycle still being built. After a negative
    decision the cycle was closed already, and the new portfolio's cycle stays open."""
    return reason == "not_recertified" and cycle is not None and cycle.certificate_id == certificate_id \
        and cycle.state == CycleState.OPEN


def carried_over(parts: Iterable[Part], meetings: Iterable[Meeting], cycle: Cycle, now: datetime
                 ) -> tuple[tuple[Meeting, ...], tuple[Part, ...]]:
    """A whole new portfolio after a negative decision starts from the old one's texts and meetings: copies
    in ``cycle``, the A3 report pointing at the copy of its meeting."""
    new_ids: dict[UUID, UUID] = {}
    copied_meetings = []
    for meeting in meetings:
        new_ids[meeting.id] = uuid.uuid4()
        copied_meetings.append(replace(meeting, id=new_ids[meeting.id], cycle_id=cycle.id, created_at=now))
    copied_parts = tuple(replace(part, meeting_id=new_ids.get(part.meeting_id), updated_at=now)
                         for part in parts)
    return tuple(copied_meetings), copied_parts


# --- what may be changed when ----------------------------------------------------------------------------


def edit_refusal(cycle: Cycle, supplement: Supplement | None, part: str, today: date) -> EditRefusal | None:
    """Why ``part`` cannot be edited today, or None when it can."""
    if cycle.state == CycleState.OPEN:
        return None
    if cycle.state == CycleState.CLOSED:
        return EditRefusal.CLOSED
    if cycle.state == CycleState.SUPPLEMENT_OPEN and supplement is not None:
        if part not in supplement.reopened_parts:
            return EditRefusal.NOT_REOPENED
        if today > supplement.due_on:
            return EditRefusal.SUPPLEMENT_OVERDUE
        return None
    return EditRefusal.SUBMITTED


def editable_parts(cycle: Cycle, supplement: Supplement | None, today: date) -> tuple[str, ...]:
    return tuple(p for p in A_PARTS if edit_refusal(cycle, supplement, p, today) is None)


def check_editable(cycle: Cycle, supplement: Supplement | None, part: str, today: date) -> None:
    refusal = edit_refusal(cycle, supplement, part, today)
    if refusal is not None:
        raise EditRefused(refusal, part=part, due_on=supplement.due_on if supplement else None)


def meeting_date_refusal(cycle: Cycle, met_on: date, today: date,
                         supplement: Supplement | None = None) -> DateRefusal | None:
    if met_on > today:
        return DateRefusal.IN_FUTURE
    if met_on < cycle.starts_on:
        return DateRefusal.BEFORE_PERIOD
    if met_on not in pe_period(cycle, supplement):
        return DateRefusal.AFTER_PERIOD
    return None


def check_meeting_date(cycle: Cycle, met_on: date, today: date, supplement: Supplement | None = None) -> None:
    refusal = meeting_date_refusal(cycle, met_on, today, supplement)
    if refusal is not None:
        raise MeetingDateRefused(refusal, starts_on=cycle.starts_on, today=today,
                                 ends_on=pe_period(cycle, supplement).last)


def check_meeting_changeable(meeting: Meeting) -> None:
    if meeting.source == SOURCE_NOLOC:
        raise MeetingNotChangeable(MeetingRefusal.FROM_NOLOC)


def accepts_noloc_meeting(cycle: Cycle, met_on: date, supplement: Supplement | None = None) -> bool:
    """Whether a meeting Noloc reports belongs in this cycle (Noloc's date is taken as it comes)."""
    return cycle.state != CycleState.CLOSED and met_on in pe_period(cycle, supplement)


def window_refusal(cycle: Cycle, today: date) -> WindowRefusal | None:
    if today < cycle.window_opens_on:
        return WindowRefusal.NOT_YET_OPEN
    if today > cycle.submit_by or cycle.deadline_missed_at is not None:
        return WindowRefusal.CLOSED
    return None


@dataclass(frozen=True)
class CycleView:
    """A cycle with its portfolio as the jobcoach sees it today."""

    portfolio: Portfolio
    today: date

    @property
    def cycle(self) -> Cycle:
        return self.portfolio.cycle

    @property
    def window_open_today(self) -> bool:
        return self.cycle.state == CycleState.OPEN and window_refusal(self.cycle, self.today) is None

    @property
    def editable_parts(self) -> tuple[str, ...]:
        return editable_parts(self.cycle, self.portfolio.supplement, self.today)
