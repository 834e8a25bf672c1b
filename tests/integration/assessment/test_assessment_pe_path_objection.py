"""DESIGN.md §1: DNV checks the PE, then an assessor advises. An objection against a decision taken on the
failed PE check alone (postponed on B) cannot be upheld: the case would reopen without any advice (ADR 0011,
amended 2026-12-07). On the real database and through the API, in Dutch and English; nothing changes, and
rejecting it stays possible."""
from __future__ import annotations

from datetime import date

from service_harness import problem

EXPIRES = date(2027, 6, 30)


def test_an_objection_against_a_decision_on_the_pe_check_alone_is_not_upheld(assessment):
    assessment.clock.day = date(2027, 4, 20)
    coach = assessment.person()
    certificate = assessment.certificate(coach, EXPIRES)
    case = assessment.submit(coach, certificate)
    assessment.pe_check(case, passed=False, findings=[{"text": "Bewijs van de cursus ontbreekt."}])
    assessment.ok(assessment.decide(case, "postponed"), 201)
    path = f"/v1/cases/{case['id']}/objections"
    objection = assessment.ok(assessment.post(path, coach.token, json={"reason": "PE compleet."}), 201)
    outcome = f"{path}/{objection['id']}/outcome"

    before = assessment.state()
    for language, text in (("nl", "Dit bezwaar gaat over een besluit dat alleen op de PE-toets rust"),
                           ("en", "This objection is against a decision taken on the PE check alone")):
        response = assessment.post(outcome, assessment.officer.token,
                                   json={"outcome": "upheld", "reason": "Het bewijs was er wel."},
                                   headers={"Accept-Language": language})
        body = problem(response, 409, "objection-refused")
        assert body["reason"] == "decided_on_pe_check" and body["detail"].startswith(text), body
    assert assessment.state() == before
    assert assessment.case(case["id"])["state"] == "pe_supplement_due"
    assert assessment.outbox("assessment.objection.decided", subject=coach.account_id) == []

    assessment.ok(assessment.post(outcome, assessment.officer.token, json={
        "outcome": "rejected", "reason": "Lever het bewijs aan als aanvulling."}))
    assert assessment.case(case["id"])["state"] == "pe_supplement_due"
