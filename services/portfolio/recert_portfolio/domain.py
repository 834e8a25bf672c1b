"""A recertification cycle and its portfolio: states and their transitions, which dates a cycle has, and
what may be edited when. No Flask, no SQL, no broker; numbers come from ``recert_common.rules``.

A cycle is one certificate period. It opens when a certificate is registered, renewed or reactivated, or
(kind ``after_negative``) when a negative decision allows a whole new portfolio within 3 months. Its
portfolio is parts A1-A4 and the list of reflection meetings; part B (PE) lives in pe-registry and is read
here from events.
"""
from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from recert_common.rules import (
    DateRange,
    Framework,
    load_framework,
    pe_period_first_day,
    pe_period_last_day,
    required_reflection_meetings,
    submission_window,
)

A_PARTS = ("A1", "A2", "A3", "A4")
ALL_PARTS = (*A_PARTS, "B")
MEETING_KINDS = ("intervision", "supervision", "coaching", "quality_circle")
SOURCE_UPLOAD = "upload"
SOURCE_NOLOC = "noloc"
#: pe-registry's source of an activity entered by hand; any other source (the Noloc Academie) is an import.
PE_SOURCE_MANUAL = "manual"
TEXT_MAX_LENGTH = 100_000


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
    # A new certificate period, a lapse or a negative decision ends a cycle in any live state.
    (S.OPEN, A.CLOSE): S.CLOSED,
    (S.SUBMITTED, A.CLOSE): S.CLOSED,
    (S.SUPPLEMENT_OPEN, A.CLOSE): S.CLOSED,
    (S.SUPPLEMENT_SUBMITTED, A.CLOSE): S.CLOSED,
}


class TransitionNotAllowed(Exception):
    def __init__(self, state: CycleState, action: CycleAction):
        super().__init__(f"{action} is not allowed in state {state}")
        self.state = state
        self.action = action


def transition(state: CycleState, action: CycleAction) -> CycleState:
    try:
        return TRANSITIONS[(CycleState(state), CycleAction(action))]
    except KeyError:
        raise TransitionNotAllowed(CycleState(state), CycleAction(action)) from None


def allows(state: CycleState, action: CycleAction) -> bool:
    return (CycleState(state), CycleAction(action)) in TRANSITIONS


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


def ticked(declared_at: datetime | None, tick: bool | None, now: datetime) -> datetime | None:
    """An A1 declaration after a save: ``tick`` True keeps the moment it was first ticked (or records now),
    False unticks it, None leaves it as it was."""
    if tick is None:
        return declared_at
    return (declared_at or now) if tick else None


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

    @property
    def reopened_parts(self) -> frozenset[str]:
        """The named parts a jobcoach edits here (B is edited in pe-registry)."""
        return frozenset(self.parts) & frozenset(A_PARTS)

    @property
    def unrevised_parts(self) -> tuple[str, ...]:
        return tuple(p for p in A_PARTS if p in self.reopened_parts and p not in self.revised_parts)


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
class Portfolio:
    """Everything of one cycle a jobcoach works on, as read in one transaction."""

    cycle: Cycle
    parts: Mapping[str, Part]
    meetings: tuple[Meeting, ...]
    supplement: Supplement | None = None
    pe_activities: tuple[PeActivity, ...] = field(default=())

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
    meetings dated after expiry, up to the supplement deadline (``rules.pe_period_last_day``)."""
    if supplement is None or supplement.cycle_id != cycle.id:
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


# --- what may be changed when ----------------------------------------------------------------------------


class EditRefusal(enum.StrEnum):
    SUBMITTED = "submitted"  # parts are read-only after submission
    CLOSED = "closed"
    NOT_REOPENED = "not_reopened"  # a supplement is open, but not for this part
    SUPPLEMENT_OVERDUE = "supplement_overdue"


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


class DateRefusal(enum.StrEnum):
    IN_FUTURE = "in_future"
    BEFORE_PERIOD = "before_period"
    AFTER_PERIOD = "after_period"


def meeting_date_refusal(cycle: Cycle, met_on: date, today: date,
                         supplement: Supplement | None = None) -> DateRefusal | None:
    if met_on > today:
        return DateRefusal.IN_FUTURE
    if met_on < cycle.starts_on:
        return DateRefusal.BEFORE_PERIOD
    if met_on not in pe_period(cycle, supplement):
        return DateRefusal.AFTER_PERIOD
    return None


def accepts_noloc_meeting(cycle: Cycle, met_on: date, supplement: Supplement | None = None) -> bool:
    """Whether a meeting Noloc reports belongs in this cycle (Noloc's date is taken as it comes)."""
    return cycle.state != CycleState.CLOSED and met_on in pe_period(cycle, supplement)


class WindowRefusal(enum.StrEnum):
    NOT_YET_OPEN = "not_yet_open"
    CLOSED = "closed"


def window_refusal(cycle: Cycle, today: date) -> WindowRefusal | None:
    if today < cycle.window_opens_on:
        return WindowRefusal.NOT_YET_OPEN
    if today > cycle.submit_by:
        return WindowRefusal.CLOSED
    return None
