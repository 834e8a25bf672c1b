"""An objection against DNV's decisions taken on the failed PE check alone (ADR 0011, amended 2026-12-07), on
the real database and through the API. Upheld against the round-0 postponed decision (on part B), that
decision is annulled with the supplement it asked for and the case goes back to DNV's PE check on the
submission's activities, then on as any case; the annulled decision does not count as the case's one
postponed decision, so a check that fails again is postponed on B as a first one. An objection against the
round-0 negative decision is still not upheld (Dutch and English), and rejecting stays possible."""
from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from assessment_support import at, form

from recert_assessment.store import CertificateRepository

from service_harness import problem

EXPIRES = date(2027, 6, 30)


def _postponed_on_the_pe_check(assessment, coach, certificate, **submit) -> tuple[dict, dict, uuid.UUID]:
    """Submitted, the PE check failed on an activity DNV rejected, DNV's postponed decision on B: the case,
    the decision and the rejected activity."""
    rejected = assessment.pe_activity(coach, "45")
    case = assessment.submit(coach, certificate, activities=[rejected, assessment.pe_activity(coach, "30")],
                             **submit)
    rejection = {"activity_id": str(rejected), "reason": "Het bewijs ontbreekt."}
    assessment.ok(assessment.post(f"/v1/cases/{case['id']}/pe-check/rejections", assessment.officer.token,
                                  json=rejection), 201)
    assessment.pe_check(case, passed=False)
    decision = assessment.ok(assessment.decide(case, "postponed"), 201)
    assert decision["round"] == 0
    return assessment.case(case["id"]), decision, rejected


def _objection(assessment, coach, case) -> str:
    """The jobcoach objects; the path DNV answers it on."""
    path = f"/v1/cases/{case['id']}/objections"
    objection = assessment.ok(assessment.post(path, coach.token, json={"reason": "PE is compleet."}), 201)
    return f"{path}/{objection['id']}/outcome"


def _uphold(assessment, outcome: str) -> dict:
    return assessment.ok(assessment.post(outcome, assessment.officer.token, json={
        "outcome": "upheld", "reason": "Het bewijs zat er wel bij."}))


def _supplement_for_b(assessment, coach, case: dict, submitted_on: date):
    return assessment.publish("portfolio.supplement.submitted", {
        "supplement_id": uuid.uuid4(), "case_id": case["id"], "portfolio_id": case["portfolio_id"],
        "submission_id": case["submission_id"], "account_id": coach.account_id, "parts": ["B"],
        "submitted_at": at(submitted_on), "snapshot_hash": uuid.uuid4().hex * 2,
        "pe_activity_ids": [assessment.pe_activity(coach, "80")], "pe_points_counted": Decimal(80)},
        subject=coach.account_id)


def _steps(case: dict) -> list[tuple[str, str]]:
    return [(s["step"], s["status"]) for s in case["progress"]]


def test_upheld_against_the_postponement_on_the_pe_check_the_case_is_checked_again_and_goes_on(assessment):
    assessment.clock.day = date(2027, 4, 20)
    coach, assessor = assessment.person(), assessment.person("assessor")
    certificate = assessment.certificate(coach, EXPIRES)
    case, decision, rejected = _postponed_on_the_pe_check(assessment, coach, certificate)
    assert (case["state"], case["due_on"], decision["supplement_due_on"]) == (
        "pe_supplement_due", "2027-07-20", "2027-07-20")
    assessment.pay(coach, submission_id=case["submission_id"])  # paid while the supplement was due
    assessment.clock.day = date(2027, 5, 20)
    outcome = _objection(assessment, coach, case)

    assessment.clock.day = date(2027, 6, 20)  # after the first due date, 2027-06-15
    counts = assessment.ok(assessment.get("/v1/cases/counts", assessment.officer.token))
    upheld = _uphold(assessment, outcome)
    assert upheld["outcome"] == "upheld"

    resumed = assessment.case(case["id"])
    assert (resumed["state"], resumed["stage"], resumed["due_on"], resumed["supplement_due_on"]) == (
        "opened", "pe_check", "2027-08-15", None)
    assert resumed["pe_activity_ids"] == case["pe_activity_ids"] and resumed["paid"] is True
    [annulled] = resumed["decisions"]
    assert annulled["id"] == decision["id"] and annulled["annulled_at"] is not None
    assert annulled["annulled_by_objection_id"] == upheld["id"]
    [told] = assessment.outbox("assessment.objection.decided", subject=coach.account_id)
    assert (told["data"]["outcome"], told["data"]["next_step"]) == ("upheld", "pe_check")
    audit = assessment.ok(assessment.get(f"/v1/cases/{case['id']}/audit", assessment.officer.token))
    assert [e["action"] for e in audit[-2:]] == ["objection_decided", "case_resumed_at_pe_check"]
    assert audit[-1]["details"] == {"objection_id": upheld["id"], "annulled_decision_id": decision["id"],
                                    "annulled_supplement_due_on": "2027-07-20", "due_on": "2027-08-15"}
    assert audit[-2]["details"]["next_step"] == "pe_check"

    # DNV's overview: one more at the PE check, one fewer waiting for a supplement, not overdue.
    now = assessment.ok(assessment.get("/v1/cases/counts", assessment.officer.token))
    assert (now["by_state"]["opened"], now["by_state"]["pe_supplement_due"]) == (
        counts["by_state"]["opened"] + 1, counts["by_state"]["pe_supplement_due"] - 1)
    overdue = assessment.ok(assessment.get("/v1/cases/overdue", assessment.officer.token))
    assert case["id"] not in [item["case"]["id"] for item in overdue]

    # The jobcoach's steps: the annulled decision is none of them; the check again, then the rest.
    mine = assessment.case(case["id"], coach.token)
    assert _steps(mine) == [("submitted", "done"), ("pe_check", "current"), ("assessment", "upcoming"),
                            ("decision", "upcoming")]
    assert [s["expected_by"] for s in mine["progress"][1:]] == ["2027-08-15"] * 3
    assert mine["progress"][3]["expected_from"] is None
    # Nothing stands to object to.
    body = problem(assessment.post(f"/v1/cases/{case['id']}/objections", coach.token,
                                   json={"reason": "Nog eens."}), 409, "objection-refused")
    assert body["reason"] == "no_decision"

    # A supplement handed in before portfolio heard of the uphold changes nothing.
    _supplement_for_b(assessment, coach, case, date(2027, 6, 20))
    assert assessment.case(case["id"])["state"] == "opened"
    assert assessment.case(case["id"])["supplement"] is None

    # The certificate expires while the case runs again: it holds the jobcoach in the register.
    assessment.clock.day = date(2027, 7, 1)
    assessment.run_schedule()
    entry = assessment.register_entry(certificate["number"])
    assert (entry["state"], entry["valid_until"]) == ("active", "2027-06-30")

    # The check again, on the submission's activities, with the earlier rejection to withdraw.
    check = assessment.ok(assessment.get(f"/v1/cases/{case['id']}/pe-check", assessment.officer.token))
    assert [a["activity_id"] for a in check["activities"]] == case["pe_activity_ids"]
    assert check["completed"] is None and check["rules_met"] is False
    assessment.ok(assessment.delete(f"/v1/cases/{case['id']}/pe-check/rejections/{rejected}",
                                    assessment.officer.token))
    passed = assessment.pe_check(case)
    assert passed["completed"]["passed"] is True
    assert assessment.case(case["id"])["state"] == "ready_for_assignment"  # the fee paid earlier applies
    assert _steps(assessment.case(case["id"], coach.token))[:3] == [
        ("submitted", "done"), ("pe_check", "done"), ("assessment", "current")]

    # An assessor, as for any case.
    assessment.ok(assessment.assign(case, assessor))
    assessment.ok(assessment.advise(case, assessor, form("positive")), 201)
    final = assessment.ok(assessment.decide(case, "positive"), 201)
    assert (final["round"], final["follows_advice"]) == (1, True)
    entry = assessment.register_entry(certificate["number"])
    assert (entry["state"], entry["valid_until"]) == ("active", "2031-06-30")


def test_a_check_failing_again_after_the_objection_is_postponed_on_b_as_a_first_one(assessment):
    """The annulled decision does not use up the case's one postponed decision: a check failing again is
    postponed on B (negative and positive refused, Dutch and English), with a new supplement term; after
    that supplement fails the check too, only negative."""
    assessment.clock.day = date(2027, 4, 20)
    coach = assessment.person()
    case, first, _ = _postponed_on_the_pe_check(assessment, coach, assessment.certificate(coach, EXPIRES))
    assessment.clock.day = date(2027, 5, 1)
    _uphold(assessment, _objection(assessment, coach, case))
    assessment.clock.day = date(2027, 5, 3)
    assessment.pe_check(case, passed=False, findings=[{"text": "Het bewijs ontbreekt nog steeds."}])
    assert assessment.case(case["id"])["state"] == "pe_check_failed"
    assert _steps(assessment.case(case["id"], coach.token)) == [
        ("submitted", "done"), ("pe_check", "done"), ("decision", "current")]

    def refused(decisions: tuple[str, ...], nl: str, en: str) -> None:
        before = assessment.state()
        for decision in decisions:
            for language, text in (("nl", nl), ("en", en)):
                response = assessment.post(f"/v1/cases/{case['id']}/decision", assessment.officer.token,
                                           json={"decision": decision, "reason": "x"},
                                           headers={"Accept-Language": language})
                [said] = problem(response, 422, "validation-failed")["errors"]["decision"]
                assert said.startswith(text), said
        assert assessment.state() == before

    refused(("negative", "positive"), "Na een niet behaalde PE-toets krijgt de jobcoach eerst",
            "After a failed PE check the jobcoach first gets")
    again = assessment.ok(assessment.decide(case, "postponed"), 201)
    assert (again["round"], again["supplement_due_on"]) == (0, "2027-08-03")
    assert first["supplement_due_on"] != again["supplement_due_on"]
    view = assessment.case(case["id"])
    assert (view["state"], view["supplement_due_on"]) == ("pe_supplement_due", "2027-08-03")
    [made] = [m for m in assessment.outbox("certification.decision.made", subject=coach.account_id)
              if m["data"]["decision_id"] == again["id"]]
    assert [s["part"] for s in made["data"]["supplements"]] == ["B"]
    assert "Het bewijs ontbreekt nog steeds." in made["data"]["supplements"][0]["assignment"]

    # That postponement is the case's one: its supplement failing the check too ends in negative only.
    assessment.clock.day = date(2027, 6, 1)
    _supplement_for_b(assessment, coach, case, date(2027, 6, 1))
    assert assessment.case(case["id"])["state"] == "pe_supplement_received"
    assessment.pay(coach, submission_id=case["submission_id"], kind="reassessment", case_id=case["id"])
    assert assessment.case(case["id"])["state"] == "opened"
    assessment.pe_check(case, passed=False, findings=[{"text": "Nog altijd te weinig punten."}])
    refused(("postponed", "positive"), "De PE-toets is opnieuw niet behaald",
            "The PE check failed again")
    negative = assessment.ok(assessment.decide(case, "negative"), 201)
    assert (negative["round"], negative["new_portfolio_deadline"]) == (0, "2027-09-01")
    assert assessment.case(case["id"])["state"] == "decided"

    # The round-0 negative decision: an objection against it is still not upheld here.
    outcome = _objection(assessment, coach, case)
    before = assessment.state()
    for language, text in (
            ("nl", "Dit bezwaar gaat over een negatief besluit dat alleen op de PE-toets rust"),
            ("en", "This objection is against a negative decision taken on the PE check alone")):
        response = assessment.post(outcome, assessment.officer.token,
                                   json={"outcome": "upheld", "reason": "Het bewijs was er wel."},
                                   headers={"Accept-Language": language})
        body = problem(response, 409, "objection-refused")
        assert body["reason"] == "decided_on_pe_check" and body["detail"].startswith(text), body
    assert assessment.state() == before
    assessment.ok(assessment.post(outcome, assessment.officer.token, json={
        "outcome": "rejected", "reason": "De PE-toets is twee keer niet behaald."}))
    assert assessment.case(case["id"])["state"] == "decided"
    told = assessment.outbox("assessment.objection.decided", subject=coach.account_id)
    assert [(m["data"]["outcome"], m["data"]["next_step"]) for m in told] == [
        ("upheld", "pe_check"), ("rejected", None)]


def test_once_the_pe_supplement_is_in_the_objection_is_not_upheld(assessment):
    assessment.clock.day = date(2027, 4, 20)
    coach = assessment.person()
    case, _, _ = _postponed_on_the_pe_check(assessment, coach, assessment.certificate(coach, EXPIRES))
    outcome = _objection(assessment, coach, case)
    _supplement_for_b(assessment, coach, case, date(2027, 4, 25))
    assert assessment.case(case["id"])["state"] == "pe_supplement_received"
    before = assessment.state()
    body = problem(assessment.post(outcome, assessment.officer.token, json={
        "outcome": "upheld", "reason": "Terecht."}), 409, "step-out-of-order")
    assert body["state"] == "pe_supplement_received"
    assert assessment.state() == before


def test_after_the_uphold_in_a_new_portfolio_the_tile_shows_the_window_the_negative_decision_opened(
        assessment):
    """The annulled decision is not the period's latest decision (the store's query): the tile is as before
    any decision on the new portfolio."""
    assessment.clock.day = date(2027, 4, 20)
    coach, assessor = assessment.person(), assessment.person("assessor")
    certificate = assessment.certificate(coach, EXPIRES)
    regular = assessment.assessed(coach, certificate, assessor, form("negative", failing=("A1",)))
    assessment.clock.day = date(2027, 4, 25)
    negative = assessment.ok(assessment.decide(regular, "negative"), 201)
    assessment.clock.day = date(2027, 5, 1)
    case, _, _ = _postponed_on_the_pe_check(assessment, coach, certificate, after_negative=True)
    assessment.clock.day = date(2027, 5, 5)
    _uphold(assessment, _objection(assessment, coach, case))
    tile = assessment.ok(assessment.get("/v1/certificates/mine", coach.token))
    assert tile["submission_window"] == {"opens_on": "2027-04-25",
                                         "closes_on": negative["new_portfolio_deadline"]}


def test_a_resumed_case_withdrawn_leaves_no_decision_that_explains_the_expired_certificate(assessment):
    """The operators' metric of certificates waiting for portfolio's word (ADR 0042): an annulled decision
    explains nothing, as with any case withdrawn before a decision."""
    expires = date(2032, 1, 31)  # a period no other test of the module reaches
    assessment.clock.day = date(2031, 11, 15)
    coach = assessment.person()
    case, _, _ = _postponed_on_the_pe_check(assessment, coach, assessment.certificate(coach, expires))
    assessment.clock.day = date(2031, 11, 20)
    _uphold(assessment, _objection(assessment, coach, case))
    assessment.publish("portfolio.withdrawal.requested", {
        "portfolio_id": case["portfolio_id"], "cycle_id": case["cycle_id"],
        "submission_id": case["submission_id"], "account_id": coach.account_id,
        "requested_at": at(date(2031, 11, 21)), "reason": "Ik stop als jobcoach."}, subject=coach.account_id)
    assert assessment.case(case["id"])["state"] == "withdrawn"

    def waiting(day: date) -> int:
        with assessment.db.transaction() as conn:
            return CertificateRepository(conn).count_waiting_for_portfolio(day)

    assert waiting(expires + timedelta(days=2)) == waiting(expires + timedelta(days=1)) + 1
