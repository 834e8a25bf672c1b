"""DESIGN.md §1: DNV checks the PE, then an assessor advises. An objection upheld against a decision taken on
the failed PE check alone (postponed on B) leaves a case without any advice: DNV may not decide positive there
(ADR 0011, amended 2026-12-07), on the real database and through the API, in Dutch and English."""
from __future__ import annotations

from datetime import date

from service_harness import problem

EXPIRES = date(2027, 6, 30)


def test_no_positive_decision_without_an_advice_after_an_upheld_objection(assessment):
    assessment.clock.day = date(2027, 4, 20)
    coach = assessment.person()
    certificate = assessment.certificate(coach, EXPIRES)
    case = assessment.submit(coach, certificate)
    assessment.pe_check(case, passed=False, findings=[{"text": "Bewijs van de cursus ontbreekt."}])
    assessment.ok(assessment.decide(case, "postponed"), 201)
    path = f"/v1/cases/{case['id']}/objections"
    objection = assessment.ok(assessment.post(path, coach.token, json={"reason": "PE compleet."}), 201)
    assessment.ok(assessment.post(f"{path}/{objection['id']}/outcome", assessment.officer.token,
                                  json={"outcome": "upheld", "reason": "Het bewijs was er wel."}))
    assert assessment.case(case["id"])["state"] == "objection_upheld"

    before = assessment.state()
    for language, text in (("nl", "Een positief besluit kan pas na het advies van een beoordelaar"),
                           ("en", "A positive decision needs an assessor's advice")):
        response = assessment.post(f"/v1/cases/{case['id']}/decision", assessment.officer.token,
                                   json={"decision": "positive", "reason": "Bezwaar gegrond."},
                                   headers={"Accept-Language": language})
        body = problem(response, 422, "validation-failed")
        assert list(body["errors"]) == ["decision"] and body["errors"]["decision"][0].startswith(text), body
    assert assessment.state() == before
    assert assessment.outbox("certification.certificate.renewed", subject=coach.account_id) == []
