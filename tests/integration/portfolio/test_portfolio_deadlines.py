"""The announcement of a last day to submit that passed with nothing submitted (portfolio.deadline.missed,
ADR 0042), on real PostgreSQL: once per cycle, even with two checks at once; never for a cycle whose
submission committed while the check waited for its row; and final, so no submission follows it."""
from __future__ import annotations

import threading
from datetime import date, timedelta

from races import waiting_for_row_locks

from service_harness import problem
from waiting import wait_for

CURRENT = "/v1/portfolio/cycles/current"
EXPIRES = date(2027, 6, 30)  # window 2027-03-30 .. 2027-06-30; 4 reflection meetings
NOLOC_DAYS = [date(2025, 3, d) for d in (3, 10, 17, 24)]


def _checks_beside(portfolio, count: int) -> tuple[list[threading.Thread], list[int]]:
    """``count`` checks, each in a thread of its own, that run until they wait for a cycle row held open."""
    announced: list[int] = []
    check = portfolio.service.announce_missed_deadlines
    threads = [threading.Thread(target=lambda: announced.append(check())) for _ in range(count)]
    for thread in threads:
        thread.start()
    wait_for(lambda: waiting_for_row_locks(portfolio.db) >= count, timeout=10,
             message="the checks to wait for the cycle's row")
    return threads, announced


def _joined(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(timeout=10)
        assert not thread.is_alive()


def _two_checks_at_once(portfolio, cycle_id: str) -> list[int]:
    """What each of two checks announced, both having read the cycle as a candidate before either locked
    it: the cycle's row is held open until both wait for it."""
    with portfolio.db.transaction() as conn:
        conn.execute("SELECT id FROM cycles WHERE id = %s FOR UPDATE", (cycle_id,))
        threads, announced = _checks_beside(portfolio, 2)
    _joined(threads)
    return announced


def test_the_missed_last_day_is_announced_once_and_nothing_is_submitted_after_it(portfolio):
    coach, on_time = portfolio.coach(), portfolio.coach()
    portfolio.clock.day = date(2027, 5, 1)
    cycle = portfolio.certificate(coach, EXPIRES)
    portfolio.fill_portfolio(coach, cycle, meetings_on=NOLOC_DAYS, pe_on=date(2026, 2, 1))
    submitted_cycle = portfolio.certificate(on_time, EXPIRES)
    portfolio.fill_portfolio(on_time, submitted_cycle, meetings_on=NOLOC_DAYS, pe_on=date(2026, 2, 1))
    assert portfolio.post(f"{CURRENT}/submit", on_time.token).status_code == 201

    portfolio.clock.day = EXPIRES
    portfolio.service.announce_missed_deadlines()
    assert portfolio.outbox("portfolio.deadline.missed", subject=coach.account_id) == []
    portfolio.clock.day = EXPIRES + timedelta(days=1)
    portfolio.service.announce_missed_deadlines()
    portfolio.service.announce_missed_deadlines()
    [event] = portfolio.outbox("portfolio.deadline.missed", subject=coach.account_id)
    assert event["data"] == {"cycle_id": cycle["id"], "account_id": str(coach.account_id),
                             "certificate_id": cycle["certificate_id"], "kind": "regular",
                             "expires_on": "2027-06-30", "submit_by": "2027-06-30"}
    assert portfolio.outbox("portfolio.deadline.missed", subject=on_time.account_id) == []

    # A request that read "today" before midnight reaches the cycle after the check: refused, as closed.
    portfolio.clock.day = EXPIRES
    before = portfolio.state()
    body = problem(portfolio.post(f"{CURRENT}/submit", coach.token), 409, "submission-window-closed")
    assert body["reason"] == "closed"
    assert portfolio.state() == before
    readiness = portfolio.get(f"{CURRENT}/readiness", coach.token).get_json()
    assert (readiness["ready"], readiness["window"]["open_today"]) == (True, False)


def test_a_submission_that_commits_while_the_check_waits_for_its_row_is_not_announced(portfolio):
    coach = portfolio.coach()
    portfolio.clock.day = date(2027, 5, 1)
    cycle = portfolio.certificate(coach, EXPIRES)
    portfolio.clock.day = EXPIRES + timedelta(days=1)
    with portfolio.db.transaction() as conn:  # the submission's transaction, holding the cycle's row
        conn.execute("SELECT id FROM cycles WHERE id = %s FOR UPDATE", (cycle["id"],))
        threads, announced = _checks_beside(portfolio, 1)
        conn.execute("UPDATE cycles SET state = 'submitted' WHERE id = %s", (cycle["id"],))
    _joined(threads)
    assert announced == [0]
    assert portfolio.outbox("portfolio.deadline.missed", subject=coach.account_id) == []


def test_two_checks_at_once_announce_a_missed_last_day_once(portfolio):
    coach = portfolio.coach()
    portfolio.clock.day = date(2027, 5, 1)
    cycle = portfolio.certificate(coach, EXPIRES)
    portfolio.clock.day = EXPIRES + timedelta(days=1)
    assert sorted(_two_checks_at_once(portfolio, cycle["id"])) == [0, 1]
    assert len(portfolio.outbox("portfolio.deadline.missed", subject=coach.account_id)) == 1


def test_a_supplement_not_handed_in_is_announced_once_and_nothing_is_handed_in_after_it(portfolio):
    coach = portfolio.coach()
    portfolio.clock.day = date(2027, 5, 1)
    cycle = portfolio.certificate(coach, EXPIRES)
    portfolio.fill_portfolio(coach, cycle, meetings_on=NOLOC_DAYS, pe_on=date(2026, 2, 1))
    submission = portfolio.post(f"{CURRENT}/submit", coach.token).get_json()
    due_on = date(2027, 8, 1)
    supplement_id = portfolio.open_supplement(coach, parts=("A2",), due_on=due_on)
    assert portfolio.put(f"{CURRENT}/parts/A2", coach.token, json={"text": "Aangevuld."}).status_code == 200

    portfolio.clock.day = due_on + timedelta(days=1)
    assert sorted(_two_checks_at_once(portfolio, cycle["id"])) == [0, 1]
    [event] = portfolio.outbox("portfolio.supplement.missed", subject=coach.account_id)
    assert (event["data"]["supplement_id"], event["data"]["submission_id"], event["data"]["due_on"]) == (
        str(supplement_id), submission["id"], due_on.isoformat())

    portfolio.clock.day = due_on  # a hand-in that read the due date before midnight, after the check
    before = portfolio.state()
    body = problem(portfolio.post(f"{CURRENT}/supplement/submit", coach.token), 409,
                   "submission-window-closed")
    assert body["reason"] == "closed"
    assert portfolio.state() == before
