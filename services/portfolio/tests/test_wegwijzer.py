"""The wegwijzer's dates, states, estimates and pace (recert_portfolio.wegwijzer, ADR 0026)."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from recert_common.rules import load_framework, pe_summary
from recert_portfolio.domain import CycleKind, CycleState, Part, Supplement, SupplementAssignment
from recert_portfolio.wegwijzer import (
    Action,
    CaseState,
    MilestoneKey,
    MilestoneState,
    Situation,
    compute,
    months_between,
    pe_estimate,
    plan_start,
    situation,
)

K, S = MilestoneKey, MilestoneState
ALL_MISSING = {"A1": ["a1_text_missing"], "A2": ["a2_text_missing"],
               "A3": ["a3_report_missing", "a3_meetings_missing"], "A4": ["a4_text_missing"]}


def _pe(cat1: int = 0, other: int = 0):
    return pe_summary([(1, cat1), (6, other)], framework=load_framework(2027))


def _situation(cycle, today, *, pe=None, proven=0, missing=None, parts=None, supplement=None) -> Situation:
    return situation(cycle, today, parts=parts or {}, missing=ALL_MISSING if missing is None else missing,
                     pe=pe or _pe(), meetings_required=cycle.required_meetings, meetings_proven=proven,
                     supplement=supplement)


def _dates(result) -> dict[str, tuple[date, str]]:
    return {str(m.key): (m.date, str(m.state)) for m in result.milestones}


def test_a_regular_cycle_plans_from_a_year_before_the_window_to_the_expiry(build):
    cycle = build.cycle(expires_on=date(2027, 6, 30))  # window opens 2027-03-30
    result = compute(_situation(cycle, date(2025, 1, 10)))
    assert result.case_state == CaseState.BUILDING and result.deadline == date(2027, 6, 30)
    assert [m.key for m in result.milestones] == [K.PLAN_START, K.PE_POINTS, K.REFLECTION_MEETINGS,
                                                  K.PORTFOLIO_PARTS, K.WINDOW_OPENS, K.EXPIRY]
    assert _dates(result) == {
        "plan_start": (date(2026, 3, 30), "on_track"),
        "pe_points": (date(2027, 3, 30), "on_track"),
        "reflection_meetings": (date(2027, 3, 30), "on_track"),
        "portfolio_parts": (date(2027, 3, 30), "on_track"),
        "window_opens": (date(2027, 3, 30), "on_track"),
        "expiry": (date(2027, 6, 30), "on_track"),
    }
    assert result.meetings_required == 4
    # 75 points = 75 hours; at 8 a month: 40.6 weeks. Four meetings every eight weeks. The parts: 13 weeks.
    assert result.milestone(K.PE_POINTS).estimate.hours == 75
    assert result.milestone(K.PE_POINTS).estimate.weeks == 41
    assert result.milestone(K.REFLECTION_MEETINGS).estimate.weeks == 32
    assert result.milestone(K.PORTFOLIO_PARTS).estimate.weeks == 13
    assert result.milestone(K.PORTFOLIO_PARTS).estimate.hours == 52  # half a day a week
    assert result.milestone(K.EXPIRY).estimate.weeks == 41 + 13
    assert result.next_step.action == Action.START and result.next_step.date == date(2026, 3, 30)


def test_month_ends_clamp_the_window_and_the_plan_start(build):
    # 31 May - 3 months = 28 Feb (2027 no leap year); a year before that: 28 Feb 2026.
    cycle = build.cycle(expires_on=date(2027, 5, 31))
    assert cycle.window_opens_on == date(2027, 2, 28)
    assert plan_start(cycle.window_opens_on) == date(2026, 2, 28)
    # In a leap year the window opens on 29 Feb, and the plan starts on 28 Feb of the year before.
    leap = build.cycle(certified_on=date(2024, 5, 31), expires_on=date(2028, 5, 31))
    assert leap.window_opens_on == date(2028, 2, 29)
    result = compute(_situation(leap, date(2026, 1, 1)))
    assert _dates(result)["plan_start"] == (date(2027, 2, 28), "on_track")
    assert _dates(result)["window_opens"] == (date(2028, 2, 29), "on_track")


def test_pe_falls_behind_when_the_points_no_longer_fit_at_eight_a_month(build):
    cycle = build.cycle(expires_on=date(2027, 6, 30))  # PE due by 2027-03-30
    assert compute(_situation(cycle, date(2026, 6, 10))).milestone(K.PE_POINTS).state == S.ON_TRACK
    late = compute(_situation(cycle, date(2026, 7, 1)))  # 38.7 weeks left, 41 needed
    assert late.milestone(K.PE_POINTS).state == S.BEHIND
    assert late.pace.target == date(2027, 3, 30)
    assert late.pace.months_left == Decimal("8.9")
    assert late.pace.points_per_month == 9 and late.pace.category_1_per_month == 4
    assert late.next_step.action == Action.RECORD_PE and late.next_step.milestone == K.PE_POINTS
    # With 40 points counted (30 in category 1, 10 of category 6) the 35 left fit.
    on_track = compute(_situation(cycle, date(2026, 7, 1), pe=_pe(cat1=30, other=30)))
    assert on_track.milestone(K.PE_POINTS).state == S.ON_TRACK
    assert on_track.pace.points_per_month == 4 and on_track.pace.category_1_per_month == 0


def test_the_category_1_minimum_counts_even_when_the_total_is_reached(build):
    cycle = build.cycle(expires_on=date(2027, 6, 30))
    result = compute(_situation(cycle, date(2027, 3, 1), pe=_pe(cat1=10, other=20)))  # category 6: 10 count
    assert result.pace.points_needed == 55 and result.pace.category_1_needed == 20
    done = compute(_situation(cycle, date(2027, 3, 1), pe=_pe(cat1=75)))
    assert done.milestone(K.PE_POINTS).state == S.DONE and done.pace.points_per_month == 0


def test_meetings_close_to_the_window_are_behind(build):
    cycle = build.cycle(expires_on=date(2027, 6, 30))  # 4 meetings due 2027-03-30
    today = date(2026, 10, 1)  # 26 weeks before the window
    two_short = compute(_situation(cycle, today, proven=2, pe=_pe(cat1=75)))
    assert two_short.milestone(K.REFLECTION_MEETINGS).state == S.ON_TRACK  # 16 weeks of meetings
    none = compute(_situation(cycle, today, pe=_pe(cat1=75)))
    assert none.milestone(K.REFLECTION_MEETINGS).state == S.BEHIND  # 32 weeks of meetings
    assert none.next_step.action == Action.ADD_MEETINGS
    done = compute(_situation(cycle, today, proven=4, pe=_pe(cat1=75)))
    assert done.milestone(K.REFLECTION_MEETINGS).state == S.DONE


def test_the_plan_start_is_done_once_anything_is_started_and_behind_when_nothing_is(build):
    cycle = build.cycle(expires_on=date(2027, 6, 30))
    assert compute(_situation(cycle, date(2026, 4, 1))).milestone(K.PLAN_START).state == S.BEHIND
    text = {"A2": Part("A2", "Een begin.")}
    assert compute(_situation(cycle, date(2026, 4, 1), parts=text)).milestone(K.PLAN_START).state == S.DONE


def test_a_parts_written_portfolio_is_done_even_when_a3_still_misses_its_meetings(build):
    cycle = build.cycle(expires_on=date(2027, 6, 30))
    missing = {"A3": ["a3_meetings_missing", "a3_proof_missing"]}
    result = compute(_situation(cycle, date(2027, 1, 1), missing=missing, pe=_pe(cat1=75)))
    assert result.milestone(K.PORTFOLIO_PARTS).state == S.DONE
    assert result.milestone(K.REFLECTION_MEETINGS).state == S.BEHIND


def test_an_expired_certificate_is_behind_on_everything_left_and_has_no_pace(build):
    cycle = build.cycle(expires_on=date(2026, 3, 31))
    result = compute(_situation(cycle, date(2026, 4, 2), pe=_pe(cat1=40)))
    assert {str(m.key): str(m.state) for m in result.milestones} == {
        "plan_start": "done", "pe_points": "behind", "reflection_meetings": "behind",
        "portfolio_parts": "behind", "window_opens": "done", "expiry": "behind"}
    assert result.pace.target is None and result.pace.months_left == 0
    assert result.pace.points_per_month == 35  # everything now


def test_after_the_window_opens_the_pace_runs_to_the_expiry(build):
    cycle = build.cycle(expires_on=date(2027, 6, 30))
    result = compute(_situation(cycle, date(2027, 4, 30), pe=_pe(cat1=60)))
    assert result.pace.target == date(2027, 6, 30) and result.pace.months_left == Decimal("2.0")
    assert result.pace.points_per_month == 8


def test_a_submitted_portfolio_is_done_and_waits(build):
    cycle = build.cycle(expires_on=date(2027, 6, 30), state=CycleState.SUBMITTED)
    result = compute(_situation(cycle, date(2027, 4, 1)))
    assert result.case_state == CaseState.AWAITING_DECISION
    assert all(m.state == S.DONE for m in result.milestones)
    assert result.next_step.action == Action.WAIT and result.behind == ()


def _supplement(cycle, due_on, parts=("A2", "B"), revised=()):
    return Supplement(id=uuid.uuid4(), cycle_id=cycle.id, case_id=uuid.uuid4(), submission_id=uuid.uuid4(),
                      parts=tuple(parts),
                      assignments=tuple(SupplementAssignment(p, "Vul aan.") for p in parts),
                      due_on=due_on, opened_at=datetime(2027, 7, 1, tzinfo=UTC), revised_parts=tuple(revised))


def test_a_postponed_decision_leads_to_the_supplement_deadline(build):
    cycle = build.cycle(expires_on=date(2027, 6, 30), state=CycleState.SUPPLEMENT_OPEN)
    supplement = _supplement(cycle, date(2027, 10, 1))  # 3 months from a decision on 1 July
    result = compute(_situation(cycle, date(2027, 7, 2), pe=_pe(cat1=60), supplement=supplement))
    assert result.case_state == CaseState.POSTPONED and result.deadline == date(2027, 10, 1)
    assert _dates(result) == {"supplement_parts": (date(2027, 10, 1), "on_track"),
                              "pe_points": (date(2027, 10, 1), "on_track"),
                              "supplement_deadline": (date(2027, 10, 1), "on_track")}
    assert result.milestone(K.SUPPLEMENT_PARTS).estimate.weeks == 2
    assert result.pace.target == date(2027, 10, 1) and result.pace.points_per_month == 5
    assert result.next_step.action == Action.RECORD_PE
    late = compute(_situation(cycle, date(2027, 9, 25), pe=_pe(cat1=60), supplement=supplement))
    assert late.milestone(K.SUPPLEMENT_DEADLINE).state == S.BEHIND
    revised = dataclasses.replace(supplement, revised_parts=("A2",))
    done = compute(_situation(cycle, date(2027, 9, 25), pe=_pe(cat1=75), supplement=revised))
    assert done.milestone(K.SUPPLEMENT_PARTS).state == S.DONE
    assert done.milestone(K.SUPPLEMENT_DEADLINE).state == S.ON_TRACK
    assert done.next_step.action == Action.SUPPLEMENT and done.next_step.milestone == K.SUPPLEMENT_DEADLINE


def test_a_negative_decision_leads_to_the_new_portfolio_deadline(build):
    regular = build.cycle(expires_on=date(2027, 6, 30))
    cycle = dataclasses.replace(regular, kind=CycleKind.AFTER_NEGATIVE, window_opens_on=date(2027, 6, 15),
                                submit_by=date(2027, 9, 15))
    result = compute(_situation(cycle, date(2027, 6, 16), pe=_pe(cat1=75), proven=4,
                                missing={"A2": ["a2_text_missing"]}))
    assert result.case_state == CaseState.NEGATIVE and result.deadline == date(2027, 9, 15)
    assert _dates(result) == {"pe_points": (date(2027, 9, 15), "done"),
                              "reflection_meetings": (date(2027, 9, 15), "done"),
                              "portfolio_parts": (date(2027, 9, 15), "on_track"),
                              "new_portfolio_deadline": (date(2027, 9, 15), "on_track")}
    assert result.next_step.action == Action.WRITE_PARTS


def test_estimates_and_months():
    assert pe_estimate(Decimal(0)).weeks == 0
    assert pe_estimate(Decimal(8)).weeks == 5  # one month of 4.33 weeks, rounded up
    assert months_between(date(2027, 1, 31), date(2027, 2, 28)) == Decimal("0.9")
    assert months_between(date(2027, 3, 1), date(2027, 2, 1)) == 0
    start = plan_start(date(2025, 2, 28))
    assert start == date(2024, 2, 28) and start + timedelta(days=1) == date(2024, 2, 29)
