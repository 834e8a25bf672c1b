"""The steps of a case besides the three paths: the PE check with rejected activities, payments in any order,
mentors (from portfolio's mentorships), withdrawal, objections, and a supplement that never comes."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from assessment_support import at, form
from races import waiting_for_row_locks

from service_harness import problem
from waiting import wait_for

EXPIRES = date(2027, 6, 30)


def test_the_pe_check_applies_the_rules_to_the_snapshot_and_rejections_count(assessment):
    assessment.clock.day = date(2027, 4, 1)
    coach = assessment.person()
    certificate = assessment.certificate(coach, EXPIRES)
    kept, doubtful = assessment.pe_activity(coach, "50"), assessment.pe_activity(coach, "25", evidence=False)
    outside = assessment.pe_activity(coach, "40")  # recorded, but not in the snapshot
    case = assessment.submit(coach, certificate, activities=[kept, doubtful, uuid.uuid4()])
    path = f"/v1/cases/{case['id']}/pe-check"
    officer = assessment.officer.token

    check = assessment.ok(assessment.get(path, officer))
    assert (check["rules_met"], check["counted_total"], len(check["unknown_activity_ids"])) == (True, "75", 1)
    assert [a["evidence"] == [] for a in check["activities"][:2]] == [False, True]
    assert str(outside) not in {a["activity_id"] for a in check["activities"]}

    body = problem(assessment.post(f"{path}/rejections", officer,
                                   json={"activity_id": str(outside), "reason": "Niet ingediend"}), 422)
    assert body["errors"] == {"activity_id": ["Deze activiteit hoort niet bij het ingediende portfolio."]}
    reject = {"activity_id": str(doubtful), "reason": "Geen bewijs."}
    rejected = assessment.ok(assessment.post(f"{path}/rejections", officer, json=reject), 201)
    assert (rejected["rules_met"], rejected["counted_total"]) == (False, "50")
    before = assessment.state()
    body = problem(assessment.complete_pe_check(case, passed=True), 409, "pe-rules-not-met")
    assert (body["points_counted"], body["points_required"]) == ("50", "75")
    assert assessment.state() == before

    undone = assessment.ok(assessment.delete(f"{path}/rejections/{doubtful}", officer))
    assert undone["rules_met"] is True
    assessment.ok(assessment.post(f"{path}/rejections", officer, json=reject), 201)
    done = assessment.pe_check(case, passed=False,
                               findings=[{"text": "Categorie 1 is te krap onderbouwd.", "category": "1"}])
    assert done["completed"]["findings"] == [
        {"text": "Geen bewijs.", "activity_id": str(doubtful), "category": "1"},
        {"text": "Categorie 1 is te krap onderbouwd.", "activity_id": None, "category": "1"}]
    [event] = assessment.outbox("assessment.pe_check.completed", subject=coach.account_id)
    assert (event["data"]["passed"], event["data"]["pe_points_counted"], len(event["data"]["findings"])) == (
        False, "50", 2)
    # A failed PE check stops the case for DNV's decision on part B, before payment and assessor (ADR 0011).
    assert assessment.case(case["id"])["state"] == "pe_check_failed"
    problem(assessment.post(f"{path}/rejections", officer,
                            json={"activity_id": str(kept), "reason": "Te laat"}), 409, "step-out-of-order")


def test_a_failed_check_needs_findings(assessment):
    assessment.clock.day = date(2027, 4, 1)
    coach = assessment.person()
    case = assessment.submit(coach, assessment.certificate(coach, EXPIRES))
    body = problem(assessment.complete_pe_check(case, passed=False), 422)
    assert body["errors"] == {"findings": ["Noem de bevindingen als de toets niet is behaald."]}


def test_a_payment_before_the_case_opens_is_kept_and_applied(assessment):
    assessment.clock.day = date(2027, 4, 1)
    coach = assessment.person()
    certificate = assessment.certificate(coach, EXPIRES)
    submission_id = uuid.uuid4()
    assessment.pay(coach, submission_id=submission_id)
    # Other kinds of invoices do not unblock anything.
    assessment.pay(coach, submission_id=uuid.uuid4(), kind="register_fee")
    assessment.publish("portfolio.submitted", {
        "portfolio_id": uuid.uuid4(), "cycle_id": uuid.uuid4(), "submission_id": submission_id,
        "account_id": coach.account_id, "certificate_id": certificate["id"],
        "certificate_expires_on": EXPIRES,
        "submitted_at": at(date(2027, 4, 1)), "snapshot_hash": "d" * 64,
        "pe_activity_ids": [assessment.pe_activity(coach, "75")], "pe_points_counted": Decimal(75),
        "reflection_meetings": 4, "is_new_portfolio_after_negative": False}, subject=coach.account_id)
    case = assessment.case_of_submission(submission_id)
    assert (case["state"], case["paid"]) == ("opened", True)
    assessment.pe_check(case)
    assert assessment.case(case["id"])["state"] == "ready_for_assignment"
    assert assessment.scalar("SELECT count(*) FROM paid_invoices WHERE account_id = %s",
                             coach.account_id) == 1


def test_a_mentor_from_portfolios_mentorships_is_never_the_assessor(assessment):
    """ADR 0028: portfolio's events, not a declaration on the case, say who mentors the jobcoach; a mentor
    whose access has ended stays excluded in that certificate period."""
    assessment.clock.day = date(2027, 4, 1)
    coach, mentor, other = assessment.person(), assessment.person("assessor"), assessment.person("assessor")
    case = assessment.ready_for_assessor(coach, assessment.certificate(coach, EXPIRES))
    mentorship = {"mentorship_id": str(uuid.uuid4()), "account_id": coach.account_id,
                  "mentor_id": mentor.account_id, "started_at": datetime(2027, 1, 10, 9, tzinfo=UTC)}
    assessment.publish("portfolio.mentorship.started", {**mentorship, "shared": ["drafts"]},
                       subject=coach.account_id)
    ended = datetime(2027, 3, 1, 9, tzinfo=UTC)
    assessment.publish("portfolio.mentorship.ended", {**mentorship, "ended_at": ended},
                       subject=coach.account_id)

    before = assessment.state()
    body = problem(assessment.assign(case, mentor), 409, "assessor-conflict")
    assert body["conflict"] == "mentor" and body["detail"] == "Mentor van deze jobcoach."
    body = problem(assessment.post(f"/v1/cases/{case['id']}/assessor", assessment.officer.token,
                                   json={"assessor_id": str(coach.account_id)}), 422)
    assert list(body["errors"]) == ["assessor_id"]  # the jobcoach is no assessor
    assert assessment.state() == before
    assessment.ok(assessment.assign(case, other))
    assert assessment.case(case["id"])["mentor_ids"] == [str(mentor.account_id)]


def _withdrawal_requested(case: dict, coach) -> dict:
    return {"portfolio_id": case["portfolio_id"], "cycle_id": case["cycle_id"],
            "submission_id": case["submission_id"], "account_id": coach.account_id,
            "requested_at": datetime.now(UTC), "reason": "Nog een bijeenkomst."}


def test_a_request_to_withdraw_closes_the_case_before_assignment_and_is_answered(assessment):
    assessment.clock.day = date(2027, 4, 1)
    coach = assessment.person()
    case = assessment.submit(coach, assessment.certificate(coach, EXPIRES))
    assessment.publish("portfolio.withdrawal.requested", _withdrawal_requested(case, coach),
                       subject=coach.account_id)
    case = assessment.case(case["id"])
    assert (case["state"], case["stage"]) == ("withdrawn", None)
    [granted] = assessment.outbox("assessment.case.withdrawn", subject=coach.account_id)
    assert granted["data"] == {"case_id": case["id"], "account_id": str(coach.account_id),
                               "submission_id": case["submission_id"], "reason": "Nog een bijeenkomst."}
    problem(assessment.complete_pe_check(case), 409, "step-out-of-order")


def test_a_request_to_withdraw_after_the_assignment_is_refused(assessment):
    assessment.clock.day = date(2027, 4, 1)
    coach, assessor = assessment.person(), assessment.person("assessor")
    case = assessment.ready_for_assessor(coach, assessment.certificate(coach, EXPIRES))
    assessment.ok(assessment.assign(case, assessor))
    assessment.publish("portfolio.withdrawal.requested", _withdrawal_requested(case, coach),
                       subject=coach.account_id)
    assert assessment.case(case["id"])["state"] == "assigned"
    [refused] = assessment.outbox("assessment.withdrawal.refused", subject=coach.account_id)
    assert (refused["data"]["case_id"], refused["data"]["stage"]) == (case["id"], "assigned")
    assert assessment.outbox("assessment.case.withdrawn", subject=coach.account_id) == []


def test_a_request_to_withdraw_waits_for_an_assignment_in_progress_and_is_refused(assessment):
    """The case's row lock orders the two: a request handled while the assignment's transaction is open
    sees the assessor once it commits. Reading the case without the lock, the handler withdrew an
    assigned case (the lost update of ADR 0041)."""
    assessment.clock.day = date(2027, 4, 1)
    coach, assessor = assessment.person(), assessment.person("assessor")
    case = assessment.ready_for_assessor(coach, assessment.certificate(coach, EXPIRES))
    with assessment.db.transaction() as conn:  # the assignment's write, held open
        conn.execute("UPDATE cases SET state = 'assigned', assessor_id = %s WHERE id = %s",
                     (assessor.account_id, case["id"]))
        event = assessment.publish("portfolio.withdrawal.requested", _withdrawal_requested(case, coach),
                                   subject=coach.account_id, wait=False)
        wait_for(lambda: waiting_for_row_locks(assessment.db) > 0, timeout=10,
                 message="the handler to wait for the case's row")
    assessment.wait_handled(event.id)
    assert assessment.case(case["id"])["state"] == "assigned"
    assert [e["data"]["stage"] for e in assessment.outbox("assessment.withdrawal.refused",
                                                          subject=coach.account_id)] == ["assigned"]


def test_an_objection_is_filed_within_the_term_and_an_upheld_one_reopens_the_decision(assessment):
    assessment.clock.day = date(2027, 4, 1)
    coach, assessor = assessment.person(), assessment.person("assessor")
    certificate = assessment.certificate(coach, EXPIRES)
    case = assessment.assessed(coach, certificate, assessor, form("negative", failing=("A1",)))
    path = f"/v1/cases/{case['id']}/objections"
    body = problem(assessment.post(path, coach.token, json={"reason": "Te vroeg"}), 409, "objection-refused")
    assert body["reason"] == "no_decision"

    assessment.clock.day = date(2027, 5, 1)
    decision = assessment.ok(assessment.decide(case, "negative"), 201)
    assert decision["objection_deadline"] == "2027-06-12"
    seen = assessment.case(case["id"], coach.token)
    assert [a["advice"] for a in seen["advices"]] == ["negative"]  # decided: the jobcoach reads the advice
    assessment.clock.day = date(2027, 6, 12)
    objection = assessment.ok(assessment.post(path, coach.token, json={"reason": "Mijn cv is wel compleet."}),
                              201)
    assert objection["decision_id"] == decision["id"] and objection["outcome"] is None
    problem(assessment.post(path, coach.token, json={"reason": "Nog eens"}), 409, "objection-refused")
    [filed] = assessment.outbox("assessment.objection.filed", subject=coach.account_id)
    assert filed["data"]["objection_id"] == objection["id"]

    outcome = f"{path}/{objection['id']}/outcome"
    problem(assessment.post(outcome, coach.token, json={"outcome": "upheld", "reason": "x"}), 403)
    decided = assessment.ok(assessment.post(outcome, assessment.officer.token,
                                            json={"outcome": "upheld", "reason": "Het cv is wel compleet."}))
    assert decided["outcome"] == "upheld"
    assert assessment.case(case["id"])["state"] == "objection_upheld"
    problem(assessment.post(outcome, assessment.officer.token, json={"outcome": "rejected", "reason": "x"}),
            409, "objection-refused")
    [event] = assessment.outbox("assessment.objection.decided", subject=coach.account_id)
    assert (event["data"]["outcome"], event["data"]["decision_id"]) == ("upheld", decision["id"])

    # The new decision departs from the (negative) advice, so it gives its reason; it renews.
    problem(assessment.decide(case, "positive"), 422)
    assessment.ok(assessment.decide(case, "positive", "Bezwaar gegrond verklaard."), 201)
    assert assessment.register_entry(certificate["number"])["valid_until"] == "2031-06-30"


def test_an_objection_against_a_postponed_decision_replaced_since_is_not_upheld(assessment):
    """The objection against the postponed decision is still open when the decision on the supplement
    (positive, the certificate renewed) replaces it: upholding it is refused (409) and changes nothing;
    rejecting it is the answer DNV still gives."""
    assessment.clock.day = date(2027, 4, 20)
    coach, assessor = assessment.person(), assessment.person("assessor")
    certificate = assessment.certificate(coach, EXPIRES)
    case = assessment.assessed(coach, certificate, assessor,
                               form("postponed", failing=("A3",), supplements=("A3",)))
    postponed = assessment.ok(assessment.decide(case, "postponed"), 201)
    path = f"/v1/cases/{case['id']}/objections"
    objection = assessment.ok(assessment.post(path, coach.token, json={"reason": "Uitstel is onterecht."}),
                              201)
    assert objection["decision_id"] == postponed["id"]
    assessment.supplement(coach, case, date(2027, 5, 10), ["A3"])
    assessment.pay(coach, submission_id=case["submission_id"], kind="reassessment", case_id=case["id"])
    assessment.ok(assessment.advise(case, assessor, form("positive")), 201)
    assessment.ok(assessment.decide(case, "positive"), 201)
    assert assessment.register_entry(certificate["number"])["valid_until"] == "2031-06-30"

    outcome = f"{path}/{objection['id']}/outcome"
    body = problem(assessment.post(outcome, assessment.officer.token,
                                   json={"outcome": "upheld", "reason": "Terecht."}),
                   409, "objection-refused")
    assert body["reason"] == "decision_replaced"
    assert body["detail"].startswith("Na het besluit waartegen dit bezwaar is gemaakt")
    assert assessment.case(case["id"])["state"] == "decided"
    assert assessment.outbox("assessment.objection.decided", subject=coach.account_id) == []
    answered = assessment.ok(assessment.post(outcome, assessment.officer.token, json={
        "outcome": "rejected", "reason": "Het uitstel is vervangen door een positief besluit."}))
    assert answered["outcome"] == "rejected" and assessment.case(case["id"])["state"] == "decided"
    assert assessment.register_entry(certificate["number"])["valid_until"] == "2031-06-30"


def test_an_objection_after_the_term_or_against_a_positive_decision_is_refused(assessment):
    assessment.clock.day = date(2027, 4, 1)
    coach, assessor = assessment.person(), assessment.person("assessor")
    negative = assessment.assessed(coach, assessment.certificate(coach, EXPIRES), assessor,
                                   form("negative", failing=("B",)))
    assessment.ok(assessment.decide(negative, "negative"), 201)
    assessment.clock.day = date(2027, 5, 14)  # 6 weeks and a day
    body = problem(assessment.post(f"/v1/cases/{negative['id']}/objections", coach.token,
                                   json={"reason": "Oneens"}), 409, "objection-refused")
    assert body["detail"] == "De bezwaartermijn is op 13 mei 2027 verlopen."

    lucky = assessment.person()
    positive = assessment.assessed(lucky, assessment.certificate(lucky, EXPIRES), assessor, form("positive"))
    assessment.ok(assessment.decide(positive, "positive"), 201)
    body = problem(assessment.post(f"/v1/cases/{positive['id']}/objections", lucky.token,
                                   json={"reason": "Oneens"}), 409)
    assert body["reason"] == "positive_decision"


def test_a_supplement_that_never_comes_ends_in_a_negative_decision_after_its_due_date(assessment):
    assessment.clock.day = date(2027, 4, 1)
    coach, assessor = assessment.person(), assessment.person("assessor")
    certificate = assessment.certificate(coach, EXPIRES)
    postponed = form("postponed", failing=("A1",), supplements=("A1",))
    case = assessment.assessed(coach, certificate, assessor, postponed)
    assessment.ok(assessment.decide(case, "postponed"), 201)
    assessment.clock.day = date(2027, 7, 1)
    body = problem(assessment.decide(case, "negative", "Geen aanvulling"), 422)
    assert list(body["errors"]) == ["decision"]  # still due until 2027-07-01
    assessment.run_schedule()
    assert assessment.register_entry(certificate["number"])["state"] == "active"  # the case still runs

    assessment.clock.day = date(2027, 7, 2)
    problem(assessment.decide(case, "positive", "Toch goed"), 422)
    assessment.supplement_missed(coach, assessment.case(case["id"]))
    assert assessment.case(case["id"])["supplement_missed_at"] is not None
    final = assessment.ok(assessment.decide(case, "negative", "De aanvulling is niet ingediend."), 201)
    assert (final["follows_advice"], final["new_portfolio_deadline"]) == (False, "2027-10-02")
    # Past the expiry date, the negative decision lets the certificate lapse at once.
    problem(assessment.get(f"/v1/register/{certificate['number']}"), 404)  # lapsed: left the register
    [lapsed] = assessment.outbox("certification.certificate.lapsed", subject=coach.account_id)
    assert (lapsed["data"]["reason"], lapsed["data"]["lapsed_on"]) == ("negative_decision", "2027-07-02")
