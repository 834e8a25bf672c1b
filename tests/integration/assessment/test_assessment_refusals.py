"""Bad input: an assessor on a case that is not theirs, a jobcoach on staff endpoints, steps out of order, a
malformed form or decision. Each answers a clear 4xx problem+json and changes nothing."""
from __future__ import annotations

import uuid
from datetime import date

import pytest
from assessment_support import POSITIVE_FORM, form

from service_harness import problem

EXPIRES = date(2027, 6, 30)


@pytest.fixture
def assigned(assessment):
    """A case assigned to an assessor, with a second assessor who has nothing to do with it."""
    assessment.clock.day = date(2027, 4, 1)
    coach, assessor, stranger = (assessment.person(), assessment.person("assessor"),
                                 assessment.person("assessor"))
    certificate = assessment.certificate(coach, EXPIRES)
    case = assessment.ready_for_assessor(coach, certificate)
    assessment.ok(assessment.assign(case, assessor))
    return coach, assessor, stranger, assessment.case(case["id"])


def test_an_assessor_is_denied_a_case_that_is_not_theirs(assessment, assigned):
    coach, assessor, stranger, case = assigned
    path = f"/v1/cases/{case['id']}"
    before = assessment.state()
    for response in (assessment.get(path, stranger.token), assessment.get(f"{path}/pe-check", stranger.token),
                     assessment.advise(case, stranger, form("positive")),
                     assessment.get(f"{path}/form", stranger.token),
                     assessment.get(f"{path}/form.pdf", stranger.token)):
        body = problem(response, 404, "not-found")
        assert body["detail"] == "Dit is niet gevonden."
    assert assessment.ok(assessment.get("/v1/cases", stranger.token))["items"] == []
    assert assessment.state() == before

    # Their own assessor sees it, and only their cases are listed.
    assert assessment.case(case["id"], assessor.token)["id"] == case["id"]
    mine = assessment.ok(assessment.get("/v1/cases", assessor.token))["items"]
    assert [c["id"] for c in mine] == [case["id"]]
    check = assessment.ok(assessment.get(f"{path}/pe-check", assessor.token))
    assert check["activities"][0]["evidence"][0]["filename"] == "certificaat.pdf"

    # Reassigned: the first assessor loses the case, the new one gets it.
    assessment.ok(assessment.assign(case, stranger))
    problem(assessment.get(path, assessor.token), 404)
    problem(assessment.advise(case, assessor, form("positive")), 404)
    assert assessment.case(case["id"], stranger.token)["assessor_id"] == str(stranger.account_id)
    [first, again] = assessment.outbox("assessment.assessor.assigned", subject=coach.account_id)
    assert again["data"]["previous_assessor_id"] == str(assessor.account_id)


def test_a_jobcoach_calling_staff_endpoints_is_refused(assessment, assigned):
    coach, assessor, _, case = assigned
    other = assessment.person()
    path = f"/v1/cases/{case['id']}"
    before = assessment.state()
    staff_calls = [
        assessment.post(f"{path}/pe-check", coach.token, json={"passed": True, "findings": []}),
        assessment.post(f"{path}/pe-check/rejections", coach.token,
                        json={"activity_id": case["pe_activity_ids"][0], "reason": "nee"}),
        assessment.post(f"{path}/assessor", coach.token, json={"assessor_id": str(coach.account_id)}),
        assessment.post(f"{path}/advice", coach.token, json=POSITIVE_FORM),
        assessment.post(f"{path}/decision", coach.token, json={"decision": "positive"}),
        assessment.get(f"{path}/audit", coach.token),
        assessment.get(f"{path}/pe-check", coach.token),
        assessment.get("/v1/cases/overdue", coach.token),
        assessment.get("/v1/certificates", coach.token),
        assessment.import_csv("noloc_number,certificate_number,valid_until\n", coach.token),
    ]
    for response in staff_calls:
        body = problem(response, 403, "forbidden")
        assert body["title"] == "Geen toegang"
    assert problem(staff_calls[4], 403)["detail"].endswith("DNV-medewerker.")
    # Another jobcoach does not even learn that the case exists.
    problem(assessment.get(path, other.token), 404)
    problem(assessment.post(f"{path}/objections", other.token, json={"reason": "oneens"}), 404)
    assert assessment.ok(assessment.get("/v1/cases", other.token))["items"] == []
    # Without a token at all: 401.
    problem(assessment.get(path), 401, "unauthorized")
    assert assessment.state() == before
    assert assessment.case(case["id"], coach.token)["id"] == case["id"]


def test_steps_out_of_order_are_refused_and_change_nothing(assessment):
    assessment.clock.day = date(2027, 4, 1)
    coach, assessor = assessment.person(), assessment.person("assessor")
    certificate = assessment.certificate(coach, EXPIRES)
    case = assessment.submit(coach, certificate)
    before = assessment.state()

    # Assignment before the PE check, a decision before any advice.
    body = problem(assessment.assign(case, assessor), 409, "step-out-of-order")
    assert (body["state"], body["action"]) == ("opened", "assign")
    assert "na de PE-toets en de betaling" in body["detail"]
    problem(assessment.decide(case, "positive"), 409, "step-out-of-order")
    english = assessment.post(f"/v1/cases/{case['id']}/decision", assessment.officer.token,
                              json={"decision": "positive"}, headers={"Accept-Language": "en"}).get_json()
    assert english["title"] == "This step is not possible now"
    assert english["detail"] == ("A decision can be taken only after the advice or a failed PE check, "
                                 "and once (stage: awaiting the PE check).")
    assert assessment.state() == before

    assessment.pe_check(case)
    problem(assessment.complete_pe_check(case), 409, "step-out-of-order")  # a second PE check
    problem(assessment.assign(case, assessor), 409, "step-out-of-order")  # not paid yet
    assessment.pay(coach, submission_id=case["submission_id"])
    # Advice before assignment: the assessor has no such case.
    problem(assessment.advise(case, assessor, form("positive")), 404)

    assessment.ok(assessment.assign(case, assessor))
    problem(assessment.decide(case, "negative"), 409, "step-out-of-order")  # decision before advice
    assessment.ok(assessment.advise(case, assessor, form("positive")), 201)
    problem(assessment.advise(case, assessor, form("positive")), 409, "step-out-of-order")  # second advice
    problem(assessment.assign(case, assessment.person("assessor")), 409, "step-out-of-order")
    assessment.ok(assessment.decide(case, "positive"), 201)
    before = assessment.state()
    body = problem(assessment.decide(case, "positive"), 409, "step-out-of-order")  # a second decision
    assert body["state"] == "decided"
    problem(assessment.decide(case, "negative", "toch niet"), 409, "step-out-of-order")
    assert assessment.state() == before


def test_a_malformed_or_inconsistent_form_is_refused(assessment, assigned):
    _, assessor, _, case = assigned
    before = assessment.state()
    without_b = {**POSITIVE_FORM, "parts": {k: v for k, v in POSITIVE_FORM["parts"].items() if k != "B"}}
    body = problem(assessment.advise(case, assessor, without_b), 422, "validation-failed")
    assert body["errors"] == {"parts.B": ["Dit veld is verplicht."]}
    bad_verdict = {**POSITIVE_FORM,
                   "parts": {**POSITIVE_FORM["parts"], "A1": {"verdict": "ok", "findings": "x"}}}
    assert "parts.A1.verdict" in problem(assessment.advise(case, assessor, bad_verdict), 422)["errors"]
    blank = {**POSITIVE_FORM, "development_advice": "   "}
    assert problem(assessment.advise(case, assessor, blank), 422)["errors"] == {
        "development_advice": ["Mag niet leeg zijn."]}
    verdict_on_a2 = {**POSITIVE_FORM, "parts": {**POSITIVE_FORM["parts"], "A2": {"verdict": "meets",
                                                                                 "findings": "x"}}}
    assert problem(assessment.advise(case, assessor, verdict_on_a2), 422)["errors"] == {
        "parts.A2": ["Onbekend veld."]}
    body = problem(assessment.advise(case, assessor, form("positive", failing=("A3",))), 422)
    assert body["errors"] == {"advice": ["Een positief advies kan niet als een onderdeel niet voldoet."]}
    short = form("postponed", failing=("A3", "B"), supplements=("A3",))
    body = problem(assessment.advise(case, assessor, short), 422)
    assert body["errors"] == {
        "supplements": ["Geef een aanvullende opdracht voor elk onderdeel dat niet voldoet."]}
    problem(assessment.post(f"/v1/cases/{case['id']}/advice", assessor.token, data=b"{not json",
                            headers={"Content-Type": "application/json"}), 400, "bad-request")
    assert assessment.state() == before


def test_a_decision_must_fit_the_advice(assessment, assigned):
    coach, assessor, _, case = assigned
    assessment.ok(assessment.advise(case, assessor, form("positive")), 201)
    before = assessment.state()
    body = problem(assessment.decide(case, "negative"), 422, "validation-failed")
    assert body["errors"] == {"reason": ["Geef een reden als het besluit afwijkt van het advies."]}
    body = problem(assessment.decide(case, "postponed", "meer nodig"), 422)
    assert list(body["errors"]) == ["decision"]
    problem(assessment.decide(case, "maybe"), 422)
    assert assessment.state() == before

    departing = assessment.ok(assessment.decide(case, "negative", "Het cv is niet echt."), 201)
    assert (departing["follows_advice"], departing["reason"]) == (False, "Het cv is niet echt.")
    [event] = assessment.outbox("certification.decision.made", subject=coach.account_id)
    assert (event["data"]["follows_advice"], event["data"]["reason"], event["data"]["decision"]) == (
        False, "Het cv is niet echt.", "negative")


def test_unknown_cases_and_ids_answer_404(assessment):
    problem(assessment.get(f"/v1/cases/{uuid.uuid4()}", assessment.officer.token), 404, "not-found")
    problem(assessment.decide({"id": uuid.uuid4()}, "positive"), 404)
    problem(assessment.get("/v1/cases/not-a-uuid", assessment.officer.token), 404)
