"""An objection DNV upheld against its postponed decision taken on the failed PE check alone (ADR 0011,
amended), on real PostgreSQL through the real consumer: the supplement for part B is annulled, the
submission waits for DNV's PE check again, a hand-in of the supplement is refused (Dutch and English), and
the deadline check passes it by. The event handled again, or before the decision it is about, comes out the
same; a supplement handed in first stays; a later postponed decision on the case opens a supplement of its
own."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from service_harness import problem

CURRENT = "/v1/portfolio/cycles/current"
EXPIRES = date(2027, 6, 30)  # window 2027-03-30 .. 2027-06-30; 4 reflection meetings
NOLOC_DAYS = [date(2025, 3, d) for d in (3, 10, 17, 24)]
DUE_ON = date(2027, 8, 1)
PE_ASSIGNMENT = "Vul je permanente educatie aan. Wat de PE-toets mist: 5 punten in categorie 1."


def _submitted(portfolio):
    """A jobcoach whose complete portfolio was submitted and whose case is open: coach, cycle, case."""
    coach = portfolio.coach()
    portfolio.clock.day = date(2027, 5, 1)
    cycle = portfolio.certificate(coach, EXPIRES)
    portfolio.fill_portfolio(coach, cycle, meetings_on=NOLOC_DAYS, pe_on=date(2026, 2, 1))
    response = portfolio.post(f"{CURRENT}/submit", coach.token)
    assert response.status_code == 201, response.get_json()
    return coach, portfolio.current(coach), portfolio.case_opened(coach, response.get_json())


def _postponed_on_b(portfolio, coach, cycle, case_id, *, part="B", wait=True):
    """DNV's postponed decision: round 0 on part B after the failed PE check, unless ``part`` says other."""
    decision_id = uuid.uuid4()
    event = portfolio.publish("certification.decision.made", {
        "decision_id": decision_id, "case_id": case_id, "account_id": coach.account_id,
        "certificate_id": cycle["certificate_id"], "decision": "postponed", "follows_advice": True,
        "objection_deadline": portfolio.clock() + timedelta(weeks=6), "supplement_due_on": DUE_ON,
        "supplements": [{"part": part, "assignment": PE_ASSIGNMENT}]}, subject=coach.account_id, wait=wait)
    return decision_id, event


def _upheld(portfolio, coach, case_id, decision_id, *, wait=True):
    """assessment.objection.decided: upheld, back to DNV's PE check."""
    return portfolio.publish("assessment.objection.decided", {
        "objection_id": uuid.uuid4(), "case_id": case_id, "decision_id": decision_id,
        "account_id": coach.account_id, "outcome": "upheld", "next_step": "pe_check",
        "reason": "De PE-toets telde een erkende cursus niet mee."}, subject=coach.account_id, wait=wait)


def _supplements(portfolio, case_id):
    return portfolio.rows("SELECT id, annulled_at, submitted_at, missed_at FROM supplements "
                          "WHERE case_id = %s ORDER BY opened_at", case_id)


def test_an_upheld_objection_annuls_the_supplement_and_its_hand_in_is_refused(portfolio):
    coach, cycle, case_id = _submitted(portfolio)
    decision_id, _ = _postponed_on_b(portfolio, coach, cycle, case_id)
    assert portfolio.current(coach)["state"] == "supplement_open"
    assert portfolio.current(coach)["supplement"]["state"] == "open"

    _upheld(portfolio, coach, case_id, decision_id)
    current = portfolio.current(coach)
    assert (current["state"], current["submission_id"]) == ("submitted", cycle["submission_id"])
    assert current["editable_parts"] == []
    assert current["supplement"]["state"] == "annulled" and current["supplement"]["annulled_at"]
    [row] = _supplements(portfolio, case_id)
    assert row["annulled_at"] is not None and row["submitted_at"] is None
    problem(portfolio.get(f"{CURRENT}/supplement", coach.token), 404)  # nothing is asked of her
    wegwijzer = portfolio.get("/v1/portfolio/wegwijzer", coach.token).get_json()
    assert (wegwijzer["case_state"], wegwijzer["deadline"]) == ("awaiting_decision", EXPIRES.isoformat())

    # Her page still offers the hand-in: refused, saying why, in her language.
    before = portfolio.state()
    dutch = problem(portfolio.post(f"{CURRENT}/supplement/submit", coach.token), 409, "supplement-annulled")
    assert dutch["title"] == "Deze aanvulling is vervallen"
    assert dutch["detail"].startswith("Je hoeft deze aanvulling niet meer in te leveren: DNV heeft je "
                                      "bezwaar toegewezen")
    assert dutch["annulled_at"].endswith("Z")
    english = problem(portfolio.post(f"{CURRENT}/supplement/submit", coach.token,
                                     headers={"Accept-Language": "en"}), 409, "supplement-annulled")
    assert english["title"] == "This supplement has been annulled"
    assert english["detail"].startswith("You no longer need to hand in this supplement: DNV upheld")
    assert portfolio.state() == before

    # The due date passes: nothing is announced as missed.
    portfolio.clock.day = DUE_ON + timedelta(days=1)
    portfolio.service.announce_missed_deadlines()
    assert portfolio.outbox("portfolio.supplement.missed", subject=coach.account_id) == []


def test_the_objection_handled_before_its_decision_or_twice_comes_out_the_same(portfolio):
    coach, cycle, case_id = _submitted(portfolio)
    decision_id = uuid.uuid4()
    # The decision's event is being retried when the objection's arrives: the objection waits for it.
    objection = portfolio.publish("assessment.objection.decided", {
        "objection_id": uuid.uuid4(), "case_id": case_id, "decision_id": decision_id,
        "account_id": coach.account_id, "outcome": "upheld", "next_step": "pe_check",
        "reason": "De PE-toets telde een erkende cursus niet mee."}, subject=coach.account_id, wait=False)
    decision = portfolio.publish("certification.decision.made", {
        "decision_id": decision_id, "case_id": case_id, "account_id": coach.account_id,
        "certificate_id": cycle["certificate_id"], "decision": "postponed", "follows_advice": True,
        "objection_deadline": portfolio.clock() + timedelta(weeks=6), "supplement_due_on": DUE_ON,
        "supplements": [{"part": "B", "assignment": PE_ASSIGNMENT}]}, subject=coach.account_id, wait=False)
    portfolio.wait_handled(decision.id, objection.id)
    assert portfolio.current(coach)["state"] == "submitted"
    [annulled] = _supplements(portfolio, case_id)
    assert annulled["annulled_at"] is not None

    # The same fact again (replayed from the dead letters under another id): nothing changes.
    before = portfolio.state()
    _upheld(portfolio, coach, case_id, decision_id)
    assert portfolio.state() == before and _supplements(portfolio, case_id) == [annulled]


def test_a_supplement_handed_in_as_the_uphold_crossed_it_is_annulled_and_the_next_postponement_opens_one(
        portfolio):
    coach, cycle, case_id = _submitted(portfolio)
    decision_id, _ = _postponed_on_b(portfolio, coach, cycle, case_id)
    handed_in = portfolio.post(f"{CURRENT}/supplement/submit", coach.token)
    assert handed_in.status_code == 201, handed_in.get_json()

    _upheld(portfolio, coach, case_id, decision_id)
    current = portfolio.current(coach)
    assert current["state"] == "submitted" and current["supplement"]["state"] == "annulled"
    [row] = _supplements(portfolio, case_id)
    assert row["annulled_at"] is not None and row["submitted_at"] is not None

    _postponed_on_b(portfolio, coach, cycle, case_id)
    current = portfolio.current(coach)
    assert current["state"] == "supplement_open" and current["supplement"]["state"] == "open"


def test_a_later_postponed_decision_on_the_case_opens_a_supplement_of_its_own(portfolio):
    """Back at the PE check the case goes on as any case: should DNV postpone it again, the annulled
    supplement does not hold the new one back (one supplement in force per case)."""
    coach, cycle, case_id = _submitted(portfolio)
    decision_id, _ = _postponed_on_b(portfolio, coach, cycle, case_id)
    _upheld(portfolio, coach, case_id, decision_id)

    _postponed_on_b(portfolio, coach, cycle, case_id, part="A2")
    current = portfolio.current(coach)
    assert current["state"] == "supplement_open"
    assert (current["supplement"]["state"], current["supplement"]["parts"]) == ("open", ["A2"])
    supplement = portfolio.get(f"{CURRENT}/supplement", coach.token).get_json()
    assert supplement["id"] == current["supplement"]["id"]
    assert [row["annulled_at"] is not None for row in _supplements(portfolio, case_id)] == [True, False]

    # The objection's event once more (replayed by hand under another id): the supplement in force is the
    # later decision's, which it leaves alone.
    before = portfolio.state()
    _upheld(portfolio, coach, case_id, decision_id)
    assert portfolio.state() == before
    assert portfolio.current(coach)["supplement"]["state"] == "open"


def test_a_later_postponed_decision_heard_before_the_objection_waits_for_it(portfolio):
    """The second postponed decision reaches portfolio while the objection's event, which annulled the first
    one's supplement, is being retried: the decision waits for it, then opens its own supplement."""
    coach, cycle, case_id = _submitted(portfolio)
    first, _ = _postponed_on_b(portfolio, coach, cycle, case_id)
    _, second = _postponed_on_b(portfolio, coach, cycle, case_id, part="A2", wait=False)
    objection = _upheld(portfolio, coach, case_id, first, wait=False)
    portfolio.wait_handled(second.id, objection.id)
    current = portfolio.current(coach)
    assert (current["state"], current["supplement"]["parts"]) == ("supplement_open", ["A2"])
    assert [row["annulled_at"] is not None for row in _supplements(portfolio, case_id)] == [True, False]
