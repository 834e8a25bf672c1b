"""The cycle's state table, its dates, and what may be edited or submitted on which day."""
from __future__ import annotations

import dataclasses
import itertools
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from recert_common.states import TransitionNotAllowed
from recert_portfolio.domain import (
    CYCLE,
    TRANSITIONS,
    AnnulmentSkip,
    CycleAction,
    CycleKind,
    CycleState,
    DateRefusal,
    EditRefusal,
    StateRefusal,
    Supplement,
    SupplementAnnulled,
    SupplementState,
    WindowRefusal,
    WrongState,
    accepts_noloc_meeting,
    after_negative_cycle_dates,
    annul_for_upheld_objection,
    edit_refusal,
    editable_parts,
    meeting_date_refusal,
    negative_allows_new_portfolio,
    objection_annuls_supplement,
    pe_period,
    regular_cycle_dates,
    window_refusal,
)

S, A = CycleState, CycleAction

# Written out independently of domain.TRANSITIONS: the behaviour the issue asks for.
EXPECTED = {
    (S.OPEN, A.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, A.WITHDRAW): S.OPEN,
    (S.SUBMITTED, A.OPEN_SUPPLEMENT): S.SUPPLEMENT_OPEN,
    (S.SUPPLEMENT_OPEN, A.SUBMIT_SUPPLEMENT): S.SUPPLEMENT_SUBMITTED,
    # An upheld objection annuls the postponed decision with its supplement (ADR 0011, amended).
    (S.SUPPLEMENT_OPEN, A.ANNUL_SUPPLEMENT): S.SUBMITTED,
    # Also one handed in as the uphold crossed it: assessment ignores that hand-in.
    (S.SUPPLEMENT_SUBMITTED, A.ANNUL_SUPPLEMENT): S.SUBMITTED,
    (S.OPEN, A.CLOSE): S.CLOSED,
    (S.SUBMITTED, A.CLOSE): S.CLOSED,
    (S.SUPPLEMENT_OPEN, A.CLOSE): S.CLOSED,
    (S.SUPPLEMENT_SUBMITTED, A.CLOSE): S.CLOSED,
}


@pytest.mark.parametrize(("state", "action"), list(itertools.product(CycleState, CycleAction)))
def test_each_state_and_action_is_allowed_exactly_as_the_table_says(state, action):
    if (state, action) in EXPECTED:
        assert CYCLE.allows(state, action)
        assert CYCLE.transition(state, action) == EXPECTED[(state, action)]
    else:
        assert not CYCLE.allows(state, action)
        with pytest.raises(TransitionNotAllowed) as refused:
            CYCLE.transition(state, action)
        assert (refused.value.state, refused.value.action) == (state, action)


def test_the_table_has_no_transition_beyond_the_expected_ones():
    assert dict(TRANSITIONS) == EXPECTED


def test_closed_is_final_and_withdraw_reopens_for_a_second_submit():
    assert not any(CYCLE.allows(S.CLOSED, action) for action in CycleAction)
    state = CYCLE.transition(CYCLE.transition(S.OPEN, A.SUBMIT), A.WITHDRAW)
    assert state == S.OPEN and CYCLE.transition(state, A.SUBMIT) == S.SUBMITTED


def test_transition_accepts_the_stored_strings():
    assert CYCLE.transition("submitted", "open_supplement") == S.SUPPLEMENT_OPEN


# --- dates -----------------------------------------------------------------------------------------------


def test_a_cycle_starts_the_day_after_certification_and_the_window_is_three_months_before_expiry():
    dates = regular_cycle_dates(date(2028, 5, 31), valid_from=date(2024, 5, 31), decided_on=date(2024, 5, 31))
    assert dates.starts_on == date(2024, 6, 1)
    assert dates.window_opens_on == date(2028, 2, 29)  # clamped to the end of February in a leap year
    assert dates.submit_by == date(2028, 5, 31)
    assert dates.expires_on == date(2028, 5, 31)


def test_a_new_portfolio_after_a_negative_decision_keeps_the_period_and_may_be_late(build):
    cycle = build.cycle(expires_on=date(2027, 6, 30))
    dates = after_negative_cycle_dates(cycle, date(2027, 8, 15), date(2027, 11, 15))
    assert (dates.starts_on, dates.expires_on) == (cycle.starts_on, cycle.expires_on)
    assert (dates.window_opens_on, dates.submit_by) == (date(2027, 8, 15), date(2027, 11, 15))
    later = dataclasses.replace(cycle, kind=CycleKind.AFTER_NEGATIVE, window_opens_on=dates.window_opens_on,
                                submit_by=dates.submit_by)
    assert window_refusal(later, date(2027, 11, 15)) is None  # after expiry, still inside its own window
    assert later.period.last == date(2027, 11, 15)


def test_only_a_regular_portfolio_earns_a_second_chance(build):
    assert negative_allows_new_portfolio(build.cycle())
    assert not negative_allows_new_portfolio(build.cycle(kind=CycleKind.AFTER_NEGATIVE))


@pytest.mark.parametrize(("day", "expected"), [
    (date(2027, 3, 29), WindowRefusal.NOT_YET_OPEN),
    (date(2027, 3, 30), None),
    (date(2027, 6, 30), None),
    (date(2027, 7, 1), WindowRefusal.CLOSED),
])
def test_the_window_edges_are_inclusive(build, day, expected):
    cycle = build.cycle(expires_on=date(2027, 6, 30))
    assert cycle.window_opens_on == date(2027, 3, 30)
    assert window_refusal(cycle, day) == expected


def test_required_meetings_follow_the_expiry_year(build):
    assert [build.cycle(certified_on=date(y - 4, 1, 1), expires_on=date(y, 1, 15)).required_meetings
            for y in (2024, 2025, 2026, 2027, 2030)] == [1, 2, 3, 4, 4]


# --- editing ---------------------------------------------------------------------------------------------


def _supplement(cycle, parts=("A2", "B"), due_on=date(2027, 9, 30)) -> Supplement:
    return Supplement(id=cycle.id, cycle_id=cycle.id, case_id=cycle.id, submission_id=cycle.id, parts=parts,
                      assignments=(), due_on=due_on, opened_at=cycle.opened_at)


def test_an_open_cycle_lets_every_part_be_edited(build):
    cycle = build.cycle()
    assert editable_parts(cycle, None, date(2027, 4, 1)) == ("A1", "A2", "A3", "A4")


@pytest.mark.parametrize("state", [S.SUBMITTED, S.SUPPLEMENT_SUBMITTED])
def test_after_submission_every_part_is_read_only(build, state):
    cycle = build.cycle(state=state)
    assert {edit_refusal(cycle, None, p, date(2027, 4, 1)) for p in ("A1", "A2", "A3", "A4")} \
        == {EditRefusal.SUBMITTED}


def test_a_closed_cycle_is_read_only(build):
    assert edit_refusal(build.cycle(state=S.CLOSED), None, "A1", date(2027, 4, 1)) == EditRefusal.CLOSED


def test_a_supplement_reopens_only_the_named_parts_until_its_due_date(build):
    cycle = build.cycle(state=S.SUPPLEMENT_OPEN)
    supplement = _supplement(cycle)
    assert supplement.reopened_parts == {"A2"}  # B is edited in pe-registry
    assert editable_parts(cycle, supplement, date(2027, 9, 30)) == ("A2",)
    assert edit_refusal(cycle, supplement, "A1", date(2027, 9, 1)) == EditRefusal.NOT_REOPENED
    assert edit_refusal(cycle, supplement, "A2", date(2027, 10, 1)) == EditRefusal.SUPPLEMENT_OVERDUE


def test_unrevised_parts_are_the_reopened_ones_not_yet_saved(build):
    supplement = dataclasses.replace(_supplement(build.cycle(), parts=("A3", "A1", "B")),
                                     revised_parts=("A3",))
    assert supplement.unrevised_parts == ("A1",)


@pytest.mark.parametrize(("delta_from_start", "today_delta", "expected"), [
    (-1, 0, DateRefusal.BEFORE_PERIOD),
    (0, 0, None),
    (10, 10, None),  # on today
    (11, 10, DateRefusal.IN_FUTURE),
])
def test_meeting_dates_must_lie_in_the_period_and_not_in_the_future(build, delta_from_start, today_delta,
                                                                     expected):
    cycle = build.cycle()
    met_on = cycle.starts_on + timedelta(days=delta_from_start)
    today = cycle.starts_on + timedelta(days=today_delta)
    assert meeting_date_refusal(cycle, met_on, today) == expected


def test_a_meeting_after_the_period_is_refused_even_when_today_is_later(build):
    cycle = build.cycle()
    assert meeting_date_refusal(cycle, cycle.expires_on + timedelta(days=1), cycle.expires_on +
                                timedelta(days=30)) == DateRefusal.AFTER_PERIOD


def test_noloc_meetings_fit_live_cycles_whose_period_holds_their_date(build):
    cycle = build.cycle()
    assert accepts_noloc_meeting(cycle, cycle.starts_on)
    assert not accepts_noloc_meeting(cycle, cycle.starts_on - timedelta(days=1))
    assert accepts_noloc_meeting(dataclasses.replace(cycle, state=S.SUBMITTED), cycle.expires_on)
    assert not accepts_noloc_meeting(dataclasses.replace(cycle, state=S.CLOSED), cycle.expires_on)


def test_a_noloc_meeting_is_proof_in_itself_an_entered_one_needs_a_file(build):
    cycle = build.cycle()
    assert build.meeting(cycle, cycle.starts_on, noloc=True).proven
    assert not build.meeting(cycle, cycle.starts_on).proven
    assert build.meeting(cycle, cycle.starts_on, proof=build.proof()).proven


def test_an_imported_certificate_counts_from_its_own_first_day():
    dates = regular_cycle_dates(date(2027, 3, 1), valid_from=date(2023, 3, 1), decided_on=None)
    assert dates.starts_on == date(2023, 3, 1)


def test_a_supplement_deadline_after_expiry_extends_the_period(build):
    cycle = build.cycle(expires_on=date(2027, 6, 30), state=CycleState.SUPPLEMENT_OPEN)
    supplement = Supplement(id=uuid.uuid4(), cycle_id=cycle.id, case_id=uuid.uuid4(),
                            submission_id=uuid.uuid4(), parts=("B", "A3"), assignments=(),
                            due_on=date(2027, 9, 30), opened_at=datetime(2027, 7, 1, tzinfo=UTC))
    assert pe_period(cycle).last == date(2027, 6, 30)
    assert pe_period(cycle, supplement).last == date(2027, 9, 30)
    assert meeting_date_refusal(cycle, date(2027, 8, 1), date(2027, 8, 2)) == DateRefusal.AFTER_PERIOD
    assert meeting_date_refusal(cycle, date(2027, 8, 1), date(2027, 8, 2), supplement) is None


# --- an upheld objection against the postponed decision on the failed PE check (ADR 0011, amended) -------

ZONE = UTC
ANNULLED_AT = datetime(2027, 8, 1, 12, 0, tzinfo=UTC)


def _pe_supplement(build, **changes):
    """A submitted cycle whose round-0 postponed decision (failed PE check) opened a supplement for B that
    runs past the expiry date; the cycle and the supplement."""
    submitted = dataclasses.replace(build.cycle(expires_on=date(2027, 6, 30), state=S.SUBMITTED),
                                    submission_id=uuid.uuid4())
    supplement = dataclasses.replace(_supplement(submitted, parts=("B",), due_on=date(2027, 9, 30)),
                                     submission_id=submitted.submission_id, **changes)
    return submitted.open_supplement(), supplement


@pytest.mark.parametrize(("outcome", "next_step", "annuls"), [
    ("upheld", "pe_check", True),
    ("upheld", "new_decision", False),
    ("upheld", None, False),  # published before next_step existed: a new decision follows
    ("rejected", None, False),
])
def test_only_an_objection_upheld_back_to_the_pe_check_annuls_a_supplement(outcome, next_step, annuls):
    assert objection_annuls_supplement(outcome, next_step) is annuls


def test_the_upheld_objection_annuls_the_open_supplement_and_the_submission_waits_again(build):
    cycle, supplement = _pe_supplement(build)
    annulment = annul_for_upheld_objection(cycle, supplement, objected_decision="postponed", now=ANNULLED_AT)
    assert annulment.skipped is None
    assert annulment.supplement == dataclasses.replace(supplement, annulled_at=ANNULLED_AT)
    assert annulment.supplement.state == SupplementState.ANNULLED
    # The state the cycle had before the supplement opened: submitted, the same submission.
    assert annulment.cycle == dataclasses.replace(cycle, state=S.SUBMITTED)
    assert annulment.cycle.submission_id == supplement.submission_id


def test_a_missed_supplement_is_annulled_too(build):
    """The objection may be decided after the due date passed: the supplement is not due either way."""
    cycle, supplement = _pe_supplement(build, missed_at=ANNULLED_AT - timedelta(days=1))
    annulment = annul_for_upheld_objection(cycle, supplement, objected_decision="postponed", now=ANNULLED_AT)
    assert annulment.supplement.state == SupplementState.ANNULLED and annulment.cycle.state == S.SUBMITTED


def test_a_supplement_annulled_in_a_cycle_closed_meanwhile_leaves_the_cycle_closed(build):
    cycle, supplement = _pe_supplement(build)
    closed = cycle.close(ANNULLED_AT)
    annulment = annul_for_upheld_objection(closed, supplement, objected_decision="postponed", now=ANNULLED_AT)
    assert annulment.supplement.annulled_at == ANNULLED_AT and annulment.cycle is None


def test_a_supplement_handed_in_as_the_uphold_crossed_it_is_annulled_too(build):
    """Assessment ignores a hand-in that crossed the uphold: the supplement is annulled all the same and the
    cycle waits for assessment again, where a later postponed decision finds it."""
    cycle, supplement = _pe_supplement(build)
    handed_in = dataclasses.replace(supplement, submitted_at=ANNULLED_AT - timedelta(hours=1))
    submitted = cycle._after(CycleAction.SUBMIT_SUPPLEMENT)
    annulment = annul_for_upheld_objection(submitted, handed_in, objected_decision="postponed",
                                           now=ANNULLED_AT)
    assert annulment.skipped is None and annulment.supplement.state == SupplementState.ANNULLED
    assert annulment.supplement.submitted_at == handed_in.submitted_at
    assert annulment.cycle.state == S.SUBMITTED


@pytest.mark.parametrize(("changes", "objected", "skipped"), [
    ({"annulled_at": ANNULLED_AT - timedelta(hours=1)}, "postponed", AnnulmentSkip.ALREADY_ANNULLED),
    (None, "postponed", AnnulmentSkip.NO_SUPPLEMENT),
    ({}, "negative", AnnulmentSkip.NOT_POSTPONED),
])
def test_an_upheld_objection_leaves_what_it_cannot_annul(build, changes, objected, skipped):
    cycle, supplement = _pe_supplement(build, **(changes or {}))
    annulment = annul_for_upheld_objection(cycle, None if changes is None else supplement,
                                           objected_decision=objected, now=ANNULLED_AT)
    assert (annulment.skipped, annulment.supplement, annulment.cycle) == (skipped, None, None)


def test_an_annulled_supplement_is_not_due_and_extends_the_period_no_further(build):
    cycle, supplement = _pe_supplement(build)
    annulled = dataclasses.replace(supplement, annulled_at=ANNULLED_AT)
    assert pe_period(cycle, supplement).last == date(2027, 9, 30)
    assert pe_period(cycle, annulled).last == date(2027, 6, 30)
    assert annulled.miss(today=date(2027, 10, 1), now=ANNULLED_AT) is None
    assert supplement.miss(today=date(2027, 10, 1), now=ANNULLED_AT) is not None
    with pytest.raises(SupplementAnnulled) as refused:
        cycle.submit_supplement(annulled, today=date(2027, 8, 2), zone=ZONE)
    assert refused.value.annulled_at == ANNULLED_AT
    # The cycle put back to submitted refuses it the same way, not as "no supplement".
    with pytest.raises(SupplementAnnulled):
        cycle.annul_supplement(supplement).check_supplement_open(annulled)
    with pytest.raises(WrongState) as refused:
        cycle.annul_supplement(supplement).check_supplement_open(None)
    assert refused.value.reason == StateRefusal.NO_SUPPLEMENT


def test_a_supplement_tells_its_state(build):
    _, supplement = _pe_supplement(build)
    assert supplement.state == SupplementState.OPEN
    assert dataclasses.replace(supplement, missed_at=ANNULLED_AT).state == SupplementState.MISSED
    assert dataclasses.replace(supplement, submitted_at=ANNULLED_AT).state == SupplementState.SUBMITTED
    assert dataclasses.replace(supplement, missed_at=ANNULLED_AT, annulled_at=ANNULLED_AT).state \
        == SupplementState.ANNULLED
