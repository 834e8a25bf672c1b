"""Readiness, submit, the frozen snapshot, withdraw, supplements and the new portfolio after a negative
decision, through the HTTP API with the events that drive them."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from portfolio_support import PDF

from recert_common.events import new_event

from service_harness import problem

CURRENT = "/v1/portfolio/cycles/current"
EXPIRES = date(2027, 6, 30)  # window 2027-03-30 .. 2027-06-30; 4 reflection meetings
NOLOC_DAYS = [date(2025, 3, d) for d in (3, 10, 17, 24)]


def _codes(readiness: dict) -> dict[str, list[str]]:
    return {part: [m["code"] for m in body["missing"]] for part, body in readiness["parts"].items()
            if body["missing"]}


def _ready_and_submitted(portfolio, coach, today=date(2027, 5, 1)) -> tuple[dict, dict]:
    portfolio.clock.day = today
    cycle = portfolio.certificate(coach, EXPIRES)
    portfolio.fill_portfolio(coach, cycle, meetings_on=NOLOC_DAYS, pe_on=date(2026, 2, 1))
    response = portfolio.post(f"{CURRENT}/submit", coach.token)
    assert response.status_code == 201, response.get_json()
    return cycle, response.get_json()


def test_readiness_names_what_is_missing_until_everything_is_there(portfolio):
    portfolio.clock.day = date(2027, 5, 1)
    coach = portfolio.coach()
    portfolio.certificate(coach, EXPIRES)

    def readiness(lang="nl"):
        response = portfolio.get(f"{CURRENT}/readiness", coach.token, headers={"Accept-Language": lang})
        assert response.status_code == 200
        return response.get_json()

    first = readiness()
    assert _codes(first) == {
        "A1": ["a1_text_missing", "a1_declaration_missing", "a1_current_declaration_missing"],
        "A2": ["a2_text_missing"],
        "A3": ["a3_report_missing", "a3_report_meeting_missing", "a3_meetings_missing"],
        "A4": ["a4_text_missing"], "B": ["pe_category_minimum", "pe_total"]}
    assert first["required_reflection_meetings"] == 4 and first["ready"] is False
    meetings_needed = first["parts"]["A3"]["missing"][2]
    assert meetings_needed["params"] == {"required": 4, "proven": 0, "short": 4, "expiry_year": 2027}
    assert "2027" in meetings_needed["message"] and meetings_needed["message"].startswith("Nog 4")
    assert readiness("en")["parts"]["A2"]["missing"][0]["message"] == \
        "The retrospective on the development plan (A2) is still empty."

    put = portfolio.put
    assert put(f"{CURRENT}/parts/A1", coach.token, json={"text": "Mijn loopbaan."}).status_code == 200
    assert _codes(readiness())["A1"] == ["a1_declaration_missing", "a1_current_declaration_missing"]
    ticked = put(f"{CURRENT}/parts/A1", coach.token, json={"text": "Mijn loopbaan.",
                                                          "executive_jobcoach_declared": True}).get_json()
    assert ticked["executive_jobcoach_declared"] is True and ticked["executive_jobcoach_declared_at"]
    assert ticked["currently_executive_jobcoach_declared"] is False
    # One declaration is not enough: the portal asks for both, so readiness does.
    only_one = readiness()
    assert _codes(only_one)["A1"] == ["a1_current_declaration_missing"]
    assert only_one["parts"]["A1"]["missing"][0]["message"] == \
        "Vink de verklaring aan dat je nu als uitvoerend jobcoach werkt."
    now = put(f"{CURRENT}/parts/A1", coach.token,
              json={"text": "Mijn loopbaan.", "currently_executive_jobcoach_declared": True}).get_json()
    assert now["currently_executive_jobcoach_declared"] is True
    assert now["currently_executive_jobcoach_declared_at"]
    again = put(f"{CURRENT}/parts/A1", coach.token, json={
        "text": "Mijn loopbaan, herzien.", "executive_jobcoach_declared": True,
        "currently_executive_jobcoach_declared": True}).get_json()
    # The first tick's moment stays, for each declaration.
    assert again["executive_jobcoach_declared_at"] == ticked["executive_jobcoach_declared_at"]
    assert again["currently_executive_jobcoach_declared_at"] == \
        now["currently_executive_jobcoach_declared_at"]
    assert "A1" not in _codes(readiness())
    put(f"{CURRENT}/parts/A2", coach.token, json={"text": "Terugblik."})
    put(f"{CURRENT}/parts/A4", coach.token, json={"text": "Ontwikkelplan."})
    assert set(_codes(readiness())) == {"A3", "B"}

    portfolio.noloc_meeting(coach, date(2025, 1, 10))
    portfolio.noloc_meeting(coach, date(2025, 2, 10))
    entered = portfolio.post(f"{CURRENT}/meetings", coach.token, json={
        "met_on": "2025-03-10", "kind": "supervision", "supervisor_name": "Dr. Jansen"})
    assert entered.status_code == 201
    meeting = entered.get_json()
    a3 = readiness()["parts"]["A3"]["missing"]
    assert [m["code"] for m in a3] == ["a3_report_missing", "a3_report_meeting_missing",
                                       "a3_meetings_missing", "a3_proof_missing"]
    assert a3[2]["params"]["proven"] == 2 and a3[3]["params"] == {"meeting_id": meeting["id"]}

    uploaded = portfolio.post(f"/v1/portfolio/meetings/{meeting['id']}/proof?filename=bewijs.pdf",
                              coach.token, data=PDF)
    assert uploaded.status_code == 201, uploaded.get_json()
    portfolio.noloc_meeting(coach, date(2025, 4, 10))
    assert _codes(readiness())["A3"] == ["a3_report_missing", "a3_report_meeting_missing"]
    put(f"{CURRENT}/parts/A3", coach.token, json={"text": "Reflectie.", "meeting_id": meeting["id"]})
    assert set(_codes(readiness())) == {"B"}

    portfolio.pe_activity(coach, date(2024, 5, 1), "45", "1")
    assert _codes(readiness())["B"] == ["pe_total"]
    portfolio.pe_activity(coach, date(2024, 6, 1), "30", "training_in_field")
    final = readiness()
    assert final["ready"] is True and final["can_submit_today"] is True and _codes(final) == {}
    assert final["proven_reflection_meetings"] == 4 and final["pe"]["counted_total"] == "75"


def test_submit_is_refused_before_the_window_and_accepted_inside_it(portfolio):
    coach = portfolio.coach()
    portfolio.clock.day = date(2027, 3, 29)  # the day before the window opens
    cycle = portfolio.certificate(coach, EXPIRES)
    portfolio.fill_portfolio(coach, cycle, meetings_on=NOLOC_DAYS, pe_on=date(2026, 2, 1))
    before = portfolio.state()

    refused = problem(portfolio.post(f"{CURRENT}/submit", coach.token), 409, "submission-window-closed")
    assert refused["detail"] == "Indienen kan vanaf 30 maart 2027 tot en met 30 juni 2027."
    assert (refused["reason"], refused["window_opens_on"], refused["submit_by"]) == (
        "not_yet_open", "2027-03-30", "2027-06-30")
    english = portfolio.post(f"{CURRENT}/submit", coach.token, headers={"Accept-Language": "en"}).get_json()
    assert english["title"] == "Submitting is not possible now"
    assert portfolio.state() == before

    portfolio.clock.day = date(2027, 3, 30)
    response = portfolio.post(f"{CURRENT}/submit", coach.token)
    assert response.status_code == 201, response.get_json()
    submission = response.get_json()
    assert response.headers["Location"].endswith(f"/v1/portfolio/submissions/{submission['id']}")
    assert portfolio.current(coach)["state"] == "submitted"

    [event] = portfolio.outbox("portfolio.submitted", subject=coach.account_id)
    data = event["data"]
    assert data["submission_id"] == submission["id"] and data["snapshot_hash"] == submission["snapshot_hash"]
    assert (data["certificate_expires_on"], data["pe_points_counted"], data["reflection_meetings"],
            data["is_new_portfolio_after_negative"]) == ("2027-06-30", "75", 4, False)
    assert len(data["pe_activity_ids"]) == 2


def test_submit_after_the_expiry_date_is_refused(portfolio):
    coach = portfolio.coach()
    portfolio.clock.day = date(2027, 5, 1)
    cycle = portfolio.certificate(coach, EXPIRES)
    portfolio.fill_portfolio(coach, cycle, meetings_on=NOLOC_DAYS, pe_on=date(2026, 2, 1))
    portfolio.clock.day = date(2027, 7, 1)
    body = problem(portfolio.post(f"{CURRENT}/submit", coach.token), 409, "submission-window-closed")
    assert body["reason"] == "closed" and "30 juni 2027" in body["detail"]


def test_submit_while_not_ready_lists_what_is_missing_and_changes_nothing(portfolio):
    coach = portfolio.coach()
    portfolio.clock.day = date(2027, 5, 1)
    portfolio.certificate(coach, EXPIRES)
    portfolio.put(f"{CURRENT}/parts/A2", coach.token, json={"text": "Terugblik."})
    before = portfolio.state()
    body = problem(portfolio.post(f"{CURRENT}/submit", coach.token), 409, "portfolio-not-ready")
    assert body["title"] == "Het portfolio is nog niet compleet"
    assert set(body["missing"]) == {"A1", "A3", "A4", "B"}
    assert body["missing"]["A4"] == [{"code": "a4_text_missing",
                                      "message": "Het ontwikkelplan (A4) is nog leeg."}]
    assert portfolio.state() == before


def test_the_snapshot_does_not_change_when_later_edits_are_attempted(portfolio):
    coach = portfolio.coach()
    cycle, submission = _ready_and_submitted(portfolio, coach)
    path = f"/v1/portfolio/submissions/{submission['id']}"
    frozen = portfolio.get(path, coach.token).get_json()
    assert frozen["hash_verified"] is True
    canonical = json.dumps(frozen["snapshot"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(canonical.encode()).hexdigest() == frozen["snapshot_hash"]
    assert frozen["snapshot_hash"] == submission["snapshot_hash"]
    snap = frozen["snapshot"]
    assert snap["parts"]["A2"]["text"] == "Terugblik op het ontwikkelplan."
    a1 = snap["parts"]["A1"]
    assert a1["executive_jobcoach_declared_at"] and a1["currently_executive_jobcoach_declared_at"]
    assert len(snap["reflection_meetings"]) == 4 and len(snap["pe"]["activity_ids"]) == 2

    meeting_id = portfolio.current(coach)["meetings"][0]["id"]
    before = portfolio.state()
    attempts = [
        portfolio.put(f"{CURRENT}/parts/A2", coach.token, json={"text": "Stiekem aangepast."}),
        portfolio.put(f"{CURRENT}/parts/A1", coach.token,
                      json={"text": "x", "executive_jobcoach_declared": False}),
        portfolio.post(f"{CURRENT}/meetings", coach.token, json={"met_on": "2026-01-01", "kind": "coaching",
                                                                 "supervisor_name": "C. Oach"}),
        portfolio.delete(f"/v1/portfolio/meetings/{meeting_id}", coach.token),
        portfolio.post(f"/v1/portfolio/meetings/{meeting_id}/proof?filename=x.pdf", coach.token, data=PDF),
    ]
    for response in attempts:
        body = problem(response, 409, "portfolio-locked")
        assert body["reason"] == "submitted"
    assert "ingediend" in problem(attempts[0], 409)["detail"]
    problem(portfolio.post(f"{CURRENT}/submit", coach.token), 409, "invalid-state")
    # PE changing in pe-registry afterwards does not reach the snapshot either.
    portfolio.pe_activity(coach, date(2026, 3, 1), "10", "1")
    after = portfolio.state()
    assert after == before
    assert portfolio.get(path, coach.token).get_json() == frozen

    with pytest.raises(psycopg.errors.RaiseException), portfolio.db.transaction() as conn:
        conn.execute("UPDATE submissions SET content = '{}' WHERE id = %s", (submission["id"],))
    with pytest.raises(psycopg.errors.RaiseException), portfolio.db.transaction() as conn:
        conn.execute("DELETE FROM submissions WHERE id = %s", (submission["id"],))
    assert portfolio.get(path, coach.token).get_json() == frozen


def test_withdraw_is_asked_and_takes_effect_when_assessment_grants_it(portfolio):
    coach = portfolio.coach()
    cycle, first = _ready_and_submitted(portfolio, coach)
    case_id = portfolio.case_opened(coach, first)  # a case without an assessor yet
    response = portfolio.post(f"{CURRENT}/withdraw", coach.token, json={"reason": "Nog een bijeenkomst."})
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert (body["state"], body["submission_id"]) == ("submitted", first["id"])
    assert body["withdrawal"]["state"] == "pending" and body["withdrawal"]["reason"] == "Nog een bijeenkomst."
    [asked] = portfolio.outbox("portfolio.withdrawal.requested", subject=coach.account_id)
    assert asked["data"] == {"portfolio_id": cycle["portfolio_id"], "cycle_id": cycle["id"],
                             "submission_id": first["id"], "account_id": str(coach.account_id),
                             "requested_at": asked["data"]["requested_at"], "reason": "Nog een bijeenkomst."}
    assert portfolio.outbox("portfolio.withdrawn", subject=coach.account_id) == []
    # Until assessment answers, the parts stay read-only and a second request is refused.
    problem(portfolio.put(f"{CURRENT}/parts/A2", coach.token, json={"text": "Beter."}), 409)
    body = problem(portfolio.post(f"{CURRENT}/withdraw", coach.token), 409, "invalid-state")
    assert "al gevraagd" in body["detail"]

    portfolio.withdrawal_answered(coach, case_id, first)
    current = portfolio.get(CURRENT, coach.token).get_json()
    assert (current["state"], current["submission_id"], current["withdrawal"]) == ("open", None, None)
    [event] = portfolio.outbox("portfolio.withdrawn", subject=coach.account_id)
    assert event["data"] == {"portfolio_id": cycle["portfolio_id"], "cycle_id": cycle["id"],
                             "submission_id": first["id"], "account_id": str(coach.account_id),
                             "reason": "Nog een bijeenkomst."}
    withdrawn = portfolio.get(f"/v1/portfolio/submissions/{first['id']}", coach.token).get_json()
    assert withdrawn["withdrawn_at"] and withdrawn["withdraw_reason"] == "Nog een bijeenkomst."
    # The parts are editable again.
    assert portfolio.put(f"{CURRENT}/parts/A2", coach.token, json={"text": "Beter."}).status_code == 200
    problem(portfolio.post(f"{CURRENT}/withdraw", coach.token), 409, "invalid-state")

    second = portfolio.post(f"{CURRENT}/submit", coach.token).get_json()
    assert second["id"] != first["id"] and second["snapshot_hash"] != first["snapshot_hash"]
    case_id = portfolio.case_opened(coach, second)
    portfolio.assign(coach, case_id, uuid.uuid4())
    before = portfolio.state()
    body = problem(portfolio.post(f"{CURRENT}/withdraw", coach.token), 409, "withdraw-not-allowed")
    assert "beoordelaar" in body["detail"]
    assert portfolio.state() == before


def test_a_withdrawal_refused_by_assessment_leaves_the_portfolio_submitted(portfolio):
    """The assessor was assigned in assessment while the request was on its way (ADR 0041)."""
    coach = portfolio.coach()
    _, submission = _ready_and_submitted(portfolio, coach)
    case_id = portfolio.case_opened(coach, submission)
    assert portfolio.post(f"{CURRENT}/withdraw", coach.token).status_code == 202
    portfolio.withdrawal_answered(coach, case_id, submission, refused_at_stage="assigned")
    current = portfolio.get(CURRENT, coach.token).get_json()
    assert (current["state"], current["submission_id"]) == ("submitted", submission["id"])
    assert (current["withdrawal"]["state"], current["withdrawal"]["refused_stage"]) == ("refused", "assigned")
    assert portfolio.outbox("portfolio.withdrawn", subject=coach.account_id) == []
    assert portfolio.get(f"/v1/portfolio/submissions/{submission['id']}",
                         coach.token).get_json()["withdrawn_at"] is None


def test_only_the_assigned_assessor_and_dnv_officers_read_a_snapshot(portfolio):
    coach = portfolio.coach()
    _, submission = _ready_and_submitted(portfolio, coach)
    path = f"/v1/portfolio/submissions/{submission['id']}"
    assessor, assessor_token = portfolio.staff("assessor")
    other_assessor, other_token = portfolio.staff("assessor")
    _, officer_token = portfolio.staff("dnv_officer")
    _, admin_token = portfolio.staff("noloc_admin")

    problem(portfolio.get(path, assessor_token), 404, "not-found")
    case_id = portfolio.case_opened(coach, submission)
    problem(portfolio.get(path, assessor_token), 404)  # a case, but nobody assigned yet
    portfolio.assign(coach, case_id, assessor)
    assert portfolio.get(path, assessor_token).status_code == 200
    problem(portfolio.get(path, other_token), 404)
    assert portfolio.get(path, officer_token).get_json()["snapshot_hash"] == submission["snapshot_hash"]
    problem(portfolio.get(path, admin_token), 403, "forbidden")

    meeting = portfolio.get(path, assessor_token).get_json()["snapshot"]["reflection_meetings"][0]
    assert meeting["proof"] is None  # Noloc meetings carry no file
    listed = portfolio.get("/v1/portfolio/submissions", assessor_token).get_json()
    assert [s["id"] for s in listed["items"]] == [submission["id"]]
    assert portfolio.get("/v1/portfolio/submissions", other_token).get_json()["total"] == 0

    portfolio.assign(coach, case_id, other_assessor, previous=assessor)
    problem(portfolio.get(path, assessor_token), 404)
    assert portfolio.get(path, other_token).status_code == 200


def test_a_postponed_decision_reopens_only_the_named_parts_until_the_deadline(portfolio):
    coach = portfolio.coach()
    cycle, submission = _ready_and_submitted(portfolio, coach)
    original = portfolio.get(f"/v1/portfolio/submissions/{submission['id']}", coach.token).get_json()
    case_id = portfolio.case_opened(coach, submission)
    assessor, _ = portfolio.staff("assessor")
    portfolio.assign(coach, case_id, assessor)
    portfolio.clock.day = date(2027, 6, 10)
    # DNV's postponed decision (not the assessor's advice) names the parts and the date (ADR 0011).
    portfolio.publish("certification.decision.made", {
        "decision_id": uuid.uuid4(), "case_id": case_id, "account_id": coach.account_id,
        "certificate_id": cycle["certificate_id"], "decision": "postponed", "follows_advice": True,
        "objection_deadline": date(2027, 7, 22), "supplement_due_on": date(2027, 9, 10), "supplements": [
            {"part": "A2", "assignment": "Werk de terugblik uit met voorbeelden."},
            {"part": "B", "assignment": "Lever bewijs van 10 extra punten."}]}, subject=coach.account_id)
    view = portfolio.current(coach)
    assert view["state"] == "supplement_open" and view["editable_parts"] == ["A2"]
    assert portfolio.get(f"{CURRENT}/supplement", coach.token).get_json()["parts"] == ["A2", "B"]

    locked = problem(portfolio.put(f"{CURRENT}/supplement/parts/A1", coach.token, json={"text": "x"}), 409,
                     "portfolio-locked")
    assert locked["reason"] == "not_reopened"
    problem(portfolio.put(f"{CURRENT}/parts/A4", coach.token, json={"text": "x"}), 409, "portfolio-locked")
    incomplete = problem(portfolio.post(f"{CURRENT}/supplement/submit", coach.token), 409,
                         "supplement-incomplete")
    assert incomplete["parts"] == ["A2"]

    revised = portfolio.put(f"{CURRENT}/supplement/parts/A2", coach.token,
                            json={"text": "Terugblik, uitgewerkt met voorbeelden."})
    assert revised.status_code == 200, revised.get_json()

    portfolio.clock.day = date(2027, 9, 11)  # past the due date
    overdue = problem(portfolio.put(f"{CURRENT}/supplement/parts/A2", coach.token, json={"text": "Te laat."}),
                      409, "portfolio-locked")
    assert overdue["reason"] == "supplement_overdue" and "10 september 2027" in overdue["detail"]
    problem(portfolio.post(f"{CURRENT}/supplement/submit", coach.token), 409, "submission-window-closed")

    portfolio.clock.day = date(2027, 9, 10)  # the last day
    response = portfolio.post(f"{CURRENT}/supplement/submit", coach.token)
    assert response.status_code == 201, response.get_json()
    supplement = response.get_json()
    assert supplement["kind"] == "supplement" and supplement["about_submission_id"] == submission["id"]
    [event] = portfolio.outbox("portfolio.supplement.submitted", subject=coach.account_id)
    assert (event["data"]["case_id"], event["data"]["submission_id"], event["data"]["parts"],
            event["data"]["snapshot_hash"]) == (str(case_id), submission["id"], ["A2", "B"],
                                                supplement["snapshot_hash"])
    # Part B was supplemented: the activities DNV's PE check is done again on come along.
    assert event["data"]["pe_activity_ids"] and event["data"]["pe_points_counted"]
    assert portfolio.current(coach)["state"] == "supplement_submitted"
    problem(portfolio.put(f"{CURRENT}/parts/A2", coach.token, json={"text": "x"}), 409, "portfolio-locked")

    frozen = portfolio.get(f"/v1/portfolio/submissions/{supplement['id']}", coach.token).get_json()
    assert frozen["snapshot"]["parts"]["A2"]["text"] == "Terugblik, uitgewerkt met voorbeelden."
    assert frozen["snapshot"]["supplement"]["parts"] == ["A2", "B"]
    # The assessor of the case reads the supplement too; the original is untouched.
    _, assessor_token = assessor, portfolio.token(assessor, "assessor")
    assert portfolio.get(f"/v1/portfolio/submissions/{supplement['id']}", assessor_token).status_code == 200
    assert portfolio.get(f"/v1/portfolio/submissions/{submission['id']}", coach.token).get_json() == original


def test_after_a_negative_decision_a_new_portfolio_may_be_submitted_until_the_deadline(portfolio):
    coach = portfolio.coach()
    cycle, submission = _ready_and_submitted(portfolio, coach)
    case_id = portfolio.case_opened(coach, submission)
    portfolio.publish("certification.decision.made", {
        "decision_id": uuid.uuid4(), "case_id": case_id, "account_id": coach.account_id,
        "certificate_id": cycle["certificate_id"], "decision": "negative", "follows_advice": True,
        "objection_deadline": date(2027, 8, 1), "new_portfolio_deadline": date(2027, 10, 20)},
        subject=coach.account_id)

    fresh = portfolio.current(coach)
    assert fresh["id"] != cycle["id"] and fresh["kind"] == "after_negative" and fresh["state"] == "open"
    assert fresh["is_new_portfolio_after_negative"] is True
    assert (fresh["expires_on"], fresh["submit_by"]) == ("2027-06-30", "2027-10-20")
    assert fresh["parts"]["A2"]["text"] == "Terugblik op het ontwikkelplan."  # a start from the old texts
    assert len(fresh["meetings"]) == 4
    assert fresh["parts"]["A3"]["meeting_id"] in {m["id"] for m in fresh["meetings"]}
    [opened] = [e for e in portfolio.outbox("portfolio.cycle.opened", subject=coach.account_id)
                if e["data"]["kind"] == "after_negative"]
    assert opened["data"]["submit_by"] == "2027-10-20"

    portfolio.clock.day = date(2027, 10, 1)  # after the expiry date, inside the new deadline
    portfolio.put(f"{CURRENT}/parts/A4", coach.token, json={"text": "Een nieuw ontwikkelplan."})
    response = portfolio.post(f"{CURRENT}/submit", coach.token)
    assert response.status_code == 201, response.get_json()
    [event] = [e for e in portfolio.outbox("portfolio.submitted", subject=coach.account_id)
               if e["data"]["cycle_id"] == fresh["id"]]
    assert event["data"]["is_new_portfolio_after_negative"] is True

    # A second negative decision ends it: no third portfolio.
    second_case = portfolio.case_opened(coach, response.get_json())
    portfolio.publish("certification.decision.made", {
        "decision_id": uuid.uuid4(), "case_id": second_case, "account_id": coach.account_id,
        "certificate_id": cycle["certificate_id"], "decision": "negative", "follows_advice": True,
        "objection_deadline": date(2027, 12, 1), "new_portfolio_deadline": date(2028, 1, 20)},
        subject=coach.account_id)
    problem(portfolio.get(CURRENT, coach.token), 404)
    assert portfolio.scalar("SELECT count(*) FROM cycles WHERE account_id = %s", coach.account_id) == 2


def test_the_assessor_reads_the_snapshot_and_its_proofs_only_while_the_case_is_assessed(portfolio):
    """Issue 11 section 5 (ADR 0017): from the assignment to the decision, again from the supplement's
    submission to the decision on it; the owner and DNV officers keep reading."""
    coach = portfolio.coach()
    portfolio.clock.day = date(2027, 5, 1)
    cycle = portfolio.certificate(coach, EXPIRES)
    portfolio.fill_portfolio(coach, cycle, meetings_on=NOLOC_DAYS, pe_on=date(2026, 2, 1))
    meeting = portfolio.post(f"{CURRENT}/meetings", coach.token, json={
        "met_on": "2026-11-12", "kind": "quality_circle", "group_name": "Kwaliteitskring Zuid"}).get_json()
    assert portfolio.post(f"/v1/portfolio/meetings/{meeting['id']}/proof?filename=kring.pdf", coach.token,
                          data=PDF).status_code == 201
    submission = portfolio.post(f"{CURRENT}/submit", coach.token).get_json()
    assessor, assessor_token = portfolio.staff("assessor")
    _, officer_token = portfolio.staff("dnv_officer")
    case_id = portfolio.case_opened(coach, submission)
    portfolio.assign(coach, case_id, assessor)
    snapshot = f"/v1/portfolio/submissions/{submission['id']}"
    proof = f"{snapshot}/meetings/{meeting['id']}/proof"

    def reads(token: str, *paths: str) -> list[int]:
        return [portfolio.get(path, token).status_code for path in (snapshot, proof, *paths)]

    assert reads(assessor_token) == [200, 200]
    assert portfolio.get(proof, assessor_token).data == PDF

    def decided(decision: str, **extra) -> None:
        portfolio.publish("certification.decision.made", {
            "decision_id": uuid.uuid4(), "case_id": case_id, "account_id": coach.account_id,
            "certificate_id": cycle["certificate_id"], "decision": decision, "follows_advice": True,
            "objection_deadline": date(2027, 7, 22), **extra}, subject=coach.account_id)

    portfolio.clock.day = date(2027, 6, 10)
    decided("postponed", supplement_due_on=date(2027, 9, 10), supplements=[
        {"part": "A2", "assignment": "Werk de terugblik uit met voorbeelden."}])
    assert reads(assessor_token) == [404, 404]
    assert reads(officer_token) == [200, 200] and reads(coach.token) == [200, 200]

    # The supplement is reassessed by the same assessor: the original and the supplement's snapshot.
    assert portfolio.put(f"{CURRENT}/supplement/parts/A2", coach.token,
                         json={"text": "Terugblik, uitgewerkt met voorbeelden."}).status_code == 200
    supplement = portfolio.post(f"{CURRENT}/supplement/submit", coach.token).get_json()
    supplemented = f"/v1/portfolio/submissions/{supplement['id']}"
    assert reads(assessor_token, supplemented) == [200, 200, 200]

    decided("positive")
    assert reads(assessor_token, supplemented) == [404, 404, 404]
    assert reads(officer_token, supplemented) == [200, 200, 200]
    # A late copy of the assignment, older than the decision, does not open it again.
    late = dataclasses.replace(new_event("assessment.assessor.assigned", {
        "case_id": case_id, "account_id": coach.account_id, "assessor_id": assessor,
        "previous_assessor_id": None, "due_on": date(2027, 8, 1)}, producer="assessment",
        subject=coach.account_id), occurred_at=datetime.now(UTC) - timedelta(days=1))
    portfolio.publish_raw(late.to_json(), late.type)
    portfolio.wait_handled(late.id)
    assert reads(assessor_token, supplemented) == [404, 404, 404]
