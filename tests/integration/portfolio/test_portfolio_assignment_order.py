"""assessment.assessor.assigned in any order: the case's assessor in portfolio's read model, which decides who
reads a submitted snapshot (ADR 0017), is the one of the newest assignment, not of the last event handled (a
retried or replayed assignment may come after a reassignment), on the real database through the real
consumer."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta

from test_portfolio_submission import _ready_and_submitted

from recert_common.events import new_event


def _assigned(portfolio, coach, case_id, assessor_id, at: datetime):
    event = dataclasses.replace(new_event("assessment.assessor.assigned", {
        "case_id": case_id, "account_id": coach.account_id, "assessor_id": assessor_id,
        "previous_assessor_id": None, "due_on": date(2027, 8, 1)}, producer="assessment",
        subject=coach.account_id), occurred_at=at)
    portfolio.publish_raw(event.to_json(), event.type)
    portfolio.wait_handled(event.id)


def _assessor_of(portfolio, case_id):
    return portfolio.scalar("SELECT assessor_id FROM cases WHERE case_id = %s", case_id)


def test_an_assignment_handled_after_the_reassignment_gives_the_case_no_old_assessor(portfolio):
    coach = portfolio.coach()
    _, submission = _ready_and_submitted(portfolio, coach)
    case_id = portfolio.case_opened(coach, submission)
    (first, first_token), (second, second_token) = portfolio.staff("assessor"), portfolio.staff("assessor")
    snapshot = f"/v1/portfolio/submissions/{submission['id']}"
    t0 = datetime.now(UTC) - timedelta(hours=1)

    # Assessment assigned the first assessor, then reassigned the case to the second (a conflict of
    # interest); the first assignment's event failed here and came back after the reassignment's.
    _assigned(portfolio, coach, case_id, second, t0 + timedelta(minutes=5))
    _assigned(portfolio, coach, case_id, first, t0)
    assert _assessor_of(portfolio, case_id) == second
    assert portfolio.get(snapshot, second_token).status_code == 200
    assert portfolio.get(snapshot, first_token).status_code == 404

    # A newer reassignment applies; so does one of the same time (the later arrival wins).
    _assigned(portfolio, coach, case_id, first, t0 + timedelta(minutes=10))
    assert _assessor_of(portfolio, case_id) == first
    _assigned(portfolio, coach, case_id, second, t0 + timedelta(minutes=10))
    assert _assessor_of(portfolio, case_id) == second


def test_a_case_from_before_the_assignment_time_takes_the_next_assignment(portfolio):
    coach = portfolio.coach()
    _, submission = _ready_and_submitted(portfolio, coach)
    case_id = portfolio.case_opened(coach, submission)
    first, second = uuid.uuid4(), uuid.uuid4()
    _assigned(portfolio, coach, case_id, first, datetime.now(UTC))
    with portfolio.db.transaction() as conn:  # as migration 0030 found it
        conn.execute("UPDATE cases SET assigned_at = NULL WHERE case_id = %s", (case_id,))
    _assigned(portfolio, coach, case_id, second, datetime.now(UTC) - timedelta(days=1))
    assert _assessor_of(portfolio, case_id) == second
    # The case opened after its assignment keeps the assessor.
    again = portfolio.case_opened(coach, submission)
    _assigned(portfolio, coach, again, first, datetime.now(UTC))
    portfolio.publish("assessment.case.opened", {
        "case_id": again, "account_id": coach.account_id, "portfolio_id": submission["portfolio_id"],
        "submission_id": submission["id"], "due_on": date(2027, 8, 1)}, subject=coach.account_id)
    assert _assessor_of(portfolio, again) == first
