"""The personal wegwijzer (ADR 0026): from a jobcoach's current cycle, today, the PE summary, the reflection
meetings and the parts' state, the milestones towards recertification and the next best step. No Flask, no
SQL, no broker: the use case hands in what ``readiness.assess`` found.

Each milestone has a date, a state (``done``, ``on_track``, ``behind``) and, where there is work left, an
estimate of that work: hours of work and the calendar weeks it takes at an assumed pace. A milestone is
behind when its work is not done and today plus those weeks lies after its date: the jobcoach can no longer
make it at the assumed pace. The assumptions (the constants below) are documented in ADR 0026 and in the API
description of ``GET /v1/portfolio/wegwijzer``:

- PE: 1 point is 1 study-load hour; a sustainable pace is ``PE_POINTS_PER_MONTH`` (8) points a month.
- Reflection meetings: a group meets about every ``MEETING_INTERVAL_WEEKS`` (8) weeks; a meeting costs
  ``MEETING_HOURS`` (3) hours with preparation.
- The portfolio (A1-A4 with the reflection report): ``PORTFOLIO_WEEKS`` (13, three months) at half a day
  (``HOURS_PER_WEEK``, 4 hours) a week, a quarter of it per part; written once the PE points are in, so the
  submission deadline's estimate is the PE weeks plus the writing weeks (or the meetings, when longer).
- A supplementary assignment: ``SUPPLEMENT_PART_WEEKS`` (2) weeks at half a day a week per reopened part.

The three paths: a regular cycle (positive decision: the next cycle, planned from a year before its window
opens), a postponed decision (the supplement deadline, 3 months from the decision) and a negative decision
(a whole new portfolio by its deadline, 3 months from the decision).
"""
from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from recert_common.rules import PeSummary, add_months
from recert_portfolio.domain import A_PARTS, Cycle, CycleKind, CycleState, Part, Supplement

PE_POINTS_PER_MONTH = Decimal(8)
MEETING_INTERVAL_WEEKS = 8
MEETING_HOURS = 3
PORTFOLIO_WEEKS = 13
HOURS_PER_WEEK = 4
SUPPLEMENT_PART_WEEKS = 2
SUBMIT_HOURS = 1
#: The plan starts this many months before the submission window opens.
PLAN_MONTHS_AHEAD = 12
DAYS_PER_MONTH = Decimal("30.4375")  # 365.25 / 12
WEEKS_PER_MONTH = Decimal(52) / Decimal(12)
CATEGORY_1 = 1

#: A3's missing items that are about the meetings rather than the report (the meetings' own milestone).
_MEETING_CODES = frozenset({"a3_meetings_missing", "a3_proof_missing"})


class MilestoneState(enum.StrEnum):
    DONE = "done"
    ON_TRACK = "on_track"
    BEHIND = "behind"


class CaseState(enum.StrEnum):
    BUILDING = "building"  # a regular cycle: building the portfolio
    AWAITING_DECISION = "awaiting_decision"  # submitted (or the supplement submitted): DNV's turn
    POSTPONED = "postponed"  # the supplement is open until its deadline
    NEGATIVE = "negative"  # a whole new portfolio may be submitted until its deadline


class MilestoneKey(enum.StrEnum):
    PLAN_START = "plan_start"
    PE_POINTS = "pe_points"
    REFLECTION_MEETINGS = "reflection_meetings"
    PORTFOLIO_PARTS = "portfolio_parts"
    WINDOW_OPENS = "window_opens"
    EXPIRY = "expiry"  # submit by the expiry date
    SUPPLEMENT_PARTS = "supplement_parts"
    SUPPLEMENT_DEADLINE = "supplement_deadline"
    NEW_PORTFOLIO_DEADLINE = "new_portfolio_deadline"


class Action(enum.StrEnum):
    """What the next best step asks; the portal links each to the screen where it is done."""

    START = "start"
    RECORD_PE = "record_pe"
    ADD_MEETINGS = "add_meetings"
    WRITE_PARTS = "write_parts"
    SUBMIT = "submit"
    SUPPLEMENT = "supplement"
    WAIT = "wait"


_ACTIONS: Mapping[MilestoneKey, Action] = {
    MilestoneKey.PLAN_START: Action.START,
    MilestoneKey.PE_POINTS: Action.RECORD_PE,
    MilestoneKey.REFLECTION_MEETINGS: Action.ADD_MEETINGS,
    MilestoneKey.PORTFOLIO_PARTS: Action.WRITE_PARTS,
    MilestoneKey.EXPIRY: Action.SUBMIT,
    MilestoneKey.NEW_PORTFOLIO_DEADLINE: Action.SUBMIT,
    MilestoneKey.SUPPLEMENT_PARTS: Action.SUPPLEMENT,
    MilestoneKey.SUPPLEMENT_DEADLINE: Action.SUPPLEMENT,
}


@dataclass(frozen=True)
class Estimate:
    """The work left: ``hours`` of work, taking ``weeks`` of calendar time at the assumed pace."""

    hours: int
    weeks: int

    @staticmethod
    def none() -> Estimate:
        return Estimate(0, 0)


@dataclass(frozen=True)
class Milestone:
    key: MilestoneKey
    date: date
    state: MilestoneState
    estimate: Estimate | None = None  # None: a date to know, not work to do

    @property
    def can_fall_behind(self) -> bool:
        return self.estimate is not None


@dataclass(frozen=True)
class PePace:
    """What it takes to complete part B by ``target``: the points still needed (after the category maxima,
    the category-1 minimum included) and per month from today."""

    target: date | None  # None: every date has passed
    points_needed: Decimal
    category_1_needed: Decimal
    months_left: Decimal  # from today to the target, one decimal
    points_per_month: Decimal  # whole points, rounded up; 0 when nothing is needed
    category_1_per_month: Decimal
    sustainable_per_month: Decimal = PE_POINTS_PER_MONTH


@dataclass(frozen=True)
class NextStep:
    action: Action
    milestone: MilestoneKey | None
    date: date | None


@dataclass(frozen=True)
class Situation:
    """What the wegwijzer is computed from (``situation`` builds it from a readiness check)."""

    cycle: Cycle
    today: date
    pe: PeSummary
    meetings_required: int
    meetings_proven: int
    parts_done: frozenset[str]  # of A1-A4: nothing missing (A3's meetings apart)
    started: bool  # any text written, PE point recorded or meeting proven
    supplement: Supplement | None = None


@dataclass(frozen=True)
class Wegwijzer:
    cycle: Cycle
    today: date
    case_state: CaseState
    milestones: tuple[Milestone, ...]
    next_step: NextStep
    pace: PePace
    meetings_required: int
    meetings_proven: int
    deadline: date  # the last day to submit: the expiry, the supplement or the new-portfolio deadline

    def milestone(self, key: MilestoneKey | str) -> Milestone | None:
        return next((m for m in self.milestones if m.key == key), None)

    @property
    def behind(self) -> tuple[Milestone, ...]:
        return tuple(m for m in self.milestones if m.state == MilestoneState.BEHIND)


# --- building the situation ------------------------------------------------------------------------------


def situation(cycle: Cycle, today: date, *, parts: Mapping[str, Part], missing: Mapping[str, Iterable[str]],
              pe: PeSummary, meetings_required: int, meetings_proven: int,
              supplement: Supplement | None = None) -> Situation:
    """``missing``: readiness's missing codes per part (``Readiness.missing_codes``)."""
    done = frozenset(p for p in A_PARTS
                     if not set(missing.get(p, ())) - (_MEETING_CODES if p == "A3" else set()))
    started = pe.raw_total > 0 or meetings_proven > 0 or any(part.has_text for part in parts.values())
    return Situation(cycle=cycle, today=today, pe=pe, meetings_required=meetings_required,
                     meetings_proven=meetings_proven, parts_done=done, started=started, supplement=supplement)


# --- estimates -------------------------------------------------------------------------------------------


def _ceil(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def pe_estimate(points_needed: Decimal) -> Estimate:
    if points_needed <= 0:
        return Estimate.none()
    return Estimate(hours=_ceil(points_needed),
                    weeks=_ceil(points_needed / PE_POINTS_PER_MONTH * WEEKS_PER_MONTH))


def meetings_estimate(short: int) -> Estimate:
    short = max(short, 0)
    return Estimate(hours=short * MEETING_HOURS, weeks=short * MEETING_INTERVAL_WEEKS)


def parts_estimate(missing_parts: int) -> Estimate:
    weeks = math.ceil(PORTFOLIO_WEEKS * missing_parts / len(A_PARTS))
    return Estimate(hours=weeks * HOURS_PER_WEEK, weeks=weeks)


def supplement_estimate(unrevised_parts: int) -> Estimate:
    weeks = unrevised_parts * SUPPLEMENT_PART_WEEKS
    return Estimate(hours=weeks * HOURS_PER_WEEK, weeks=weeks)


def _deadline_estimate(pe: Estimate, meetings: Estimate, writing: Estimate) -> Estimate:
    """Everything still to do before submitting: writing follows the PE points, meetings run alongside."""
    return Estimate(hours=pe.hours + meetings.hours + writing.hours + SUBMIT_HOURS,
                    weeks=max(pe.weeks + writing.weeks, meetings.weeks))


def _state(done: bool, estimate: Estimate, target: date, today: date) -> MilestoneState:
    if done:
        return MilestoneState.DONE
    late = today > target or today + timedelta(weeks=estimate.weeks) > target
    return MilestoneState.BEHIND if late else MilestoneState.ON_TRACK


def _work(key: MilestoneKey, done: bool, estimate: Estimate, target: date, today: date) -> Milestone:
    return Milestone(key, target, _state(done, estimate, target, today), estimate)


# --- the pace --------------------------------------------------------------------------------------------


def months_between(today: date, target: date) -> Decimal:
    """Months from ``today`` to ``target`` (average month length), never negative, one decimal."""
    days = max((target - today).days, 0)
    return (Decimal(days) / DAYS_PER_MONTH).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _per_month(points: Decimal, months: Decimal) -> Decimal:
    if points <= 0:
        return Decimal(0)
    return Decimal(_ceil(points / max(months, Decimal(1))))


def pe_pace(pe: PeSummary, today: date, milestone_date: date, deadline: date) -> PePace:
    """The pace to the PE milestone's date; once that has passed, to the deadline; after it, none."""
    target = milestone_date if today <= milestone_date else deadline if today <= deadline else None
    needed = pe.points_still_needed
    try:
        category_1 = pe.category(CATEGORY_1).missing
    except KeyError:  # a framework without a category 1 minimum
        category_1 = Decimal(0)
    months = months_between(today, target) if target is not None else Decimal(0)
    return PePace(target=target, points_needed=needed, category_1_needed=category_1, months_left=months,
                  points_per_month=_per_month(needed, months) if target else needed,
                  category_1_per_month=_per_month(category_1, months) if target else category_1)


# --- the milestones of each path -------------------------------------------------------------------------


def case_state(cycle: Cycle) -> CaseState:
    if cycle.state in (CycleState.SUBMITTED, CycleState.SUPPLEMENT_SUBMITTED, CycleState.CLOSED):
        return CaseState.AWAITING_DECISION
    if cycle.state == CycleState.SUPPLEMENT_OPEN:
        return CaseState.POSTPONED
    return CaseState.NEGATIVE if cycle.kind == CycleKind.AFTER_NEGATIVE else CaseState.BUILDING


def plan_start(window_opens_on: date) -> date:
    """The plan starts a year before the submission window opens (month ends clamp, ``add_months``)."""
    return add_months(window_opens_on, -PLAN_MONTHS_AHEAD)


def _portfolio_milestones(s: Situation, target: date, deadline_key: MilestoneKey, deadline: date,
                          submitted: bool) -> list[Milestone]:
    """PE, meetings and parts due by ``target``, then the deadline that judges them all together."""
    today = s.today
    pe = pe_estimate(s.pe.points_still_needed)
    meetings = meetings_estimate(s.meetings_required - s.meetings_proven)
    writing = parts_estimate(len(A_PARTS) - len(s.parts_done))
    pe_done = submitted or s.pe.met
    meetings_done = submitted or s.meetings_proven >= s.meetings_required
    parts_done = submitted or len(s.parts_done) == len(A_PARTS)
    left = _deadline_estimate(pe if not pe_done else Estimate.none(),
                              meetings if not meetings_done else Estimate.none(),
                              writing if not parts_done else Estimate.none())
    return [
        _work(MilestoneKey.PE_POINTS, pe_done, pe, target, today),
        _work(MilestoneKey.REFLECTION_MEETINGS, meetings_done, meetings, target, today),
        _work(MilestoneKey.PORTFOLIO_PARTS, parts_done, writing, target, today),
        _work(deadline_key, submitted, left, deadline, today),
    ]


def _regular(s: Situation) -> list[Milestone]:
    cycle, today = s.cycle, s.today
    opens = cycle.window_opens_on
    submitted = cycle.state != CycleState.OPEN
    start = plan_start(opens)
    started = submitted or s.started
    start_state = (MilestoneState.DONE if started else
                   MilestoneState.BEHIND if today > start else MilestoneState.ON_TRACK)
    work = _portfolio_milestones(s, opens, MilestoneKey.EXPIRY, cycle.submit_by, submitted)
    window = Milestone(MilestoneKey.WINDOW_OPENS, opens,
                       MilestoneState.DONE if today >= opens else MilestoneState.ON_TRACK)
    start_milestone = Milestone(MilestoneKey.PLAN_START, start, start_state, Estimate.none())
    return [start_milestone, *work[:3], window, work[3]]


def _negative(s: Situation) -> list[Milestone]:
    deadline = s.cycle.submit_by
    return _portfolio_milestones(s, deadline, MilestoneKey.NEW_PORTFOLIO_DEADLINE, deadline,
                                 s.cycle.state != CycleState.OPEN)


def _postponed(s: Situation) -> list[Milestone]:
    supplement, today = s.supplement, s.today
    assert supplement is not None
    due = supplement.due_on
    submitted = s.cycle.state != CycleState.SUPPLEMENT_OPEN or supplement.submitted_at is not None
    unrevised = len(supplement.unrevised_parts)
    rewriting = supplement_estimate(unrevised)
    milestones = [_work(MilestoneKey.SUPPLEMENT_PARTS, submitted or unrevised == 0, rewriting, due, today)]
    pe, meetings = Estimate.none(), Estimate.none()
    if "B" in supplement.parts:
        pe = pe_estimate(s.pe.points_still_needed)
        milestones.append(_work(MilestoneKey.PE_POINTS, submitted or s.pe.met, pe, due, today))
    if "A3" in supplement.parts and s.meetings_proven < s.meetings_required:
        meetings = meetings_estimate(s.meetings_required - s.meetings_proven)
        milestones.append(_work(MilestoneKey.REFLECTION_MEETINGS, submitted, meetings, due, today))
    left = _deadline_estimate(pe if not (submitted or s.pe.met) else Estimate.none(),
                              meetings if not submitted else Estimate.none(),
                              rewriting if not submitted else Estimate.none())
    milestones.append(_work(MilestoneKey.SUPPLEMENT_DEADLINE, submitted, left, due, today))
    return milestones


def _next_step(state: CaseState, milestones: Iterable[Milestone]) -> NextStep:
    """The open work that is behind first, then the earliest; the submission last; DNV's turn: wait."""
    if state == CaseState.AWAITING_DECISION:
        return NextStep(Action.WAIT, None, None)
    order = {key: index for index, key in enumerate(MilestoneKey)}
    open_work = [m for m in milestones if m.can_fall_behind and m.state != MilestoneState.DONE]
    if not open_work:
        return NextStep(Action.WAIT, None, None)
    if any(m.state == MilestoneState.BEHIND and m.key != MilestoneKey.PLAN_START for m in open_work):
        # Late already: the work itself, not "start", is the step.
        open_work = [m for m in open_work if m.key != MilestoneKey.PLAN_START]
    first = min(open_work, key=lambda m: (m.key in (MilestoneKey.EXPIRY, MilestoneKey.NEW_PORTFOLIO_DEADLINE,
                                                    MilestoneKey.SUPPLEMENT_DEADLINE),
                                          m.state != MilestoneState.BEHIND, m.date, order[m.key]))
    return NextStep(_ACTIONS[first.key], first.key, first.date)


def compute(s: Situation) -> Wegwijzer:
    """The wegwijzer of ``s``'s cycle today."""
    state = case_state(s.cycle)
    postponed = s.supplement is not None and s.cycle.state in (CycleState.SUPPLEMENT_OPEN,
                                                                CycleState.SUPPLEMENT_SUBMITTED)
    if postponed:
        milestones, deadline = _postponed(s), s.supplement.due_on  # type: ignore[union-attr]
    elif s.cycle.kind == CycleKind.AFTER_NEGATIVE:
        milestones, deadline = _negative(s), s.cycle.submit_by
    else:
        milestones, deadline = _regular(s), s.cycle.submit_by
    pe_milestone = next((m for m in milestones if m.key == MilestoneKey.PE_POINTS), None)
    pace = pe_pace(s.pe, s.today, pe_milestone.date if pe_milestone else deadline, deadline)
    return Wegwijzer(cycle=s.cycle, today=s.today, case_state=state, milestones=tuple(milestones),
                     next_step=_next_step(state, milestones), pace=pace,
                     meetings_required=s.meetings_required, meetings_proven=s.meetings_proven,
                     deadline=deadline)
