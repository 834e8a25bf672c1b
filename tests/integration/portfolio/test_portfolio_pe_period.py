"""Issue 10 in portfolio: only PE activities with proof count (readiness and snapshot alike), the PE period
starts where pe-registry's does (``recert_common.rules.pe_period_first_day``), and an open supplement's
deadline ends the period, so activities and meetings after the expiry date serve the supplement."""
from __future__ import annotations

import json
import uuid
from datetime import date

from recert_common.rules import add_years

from service_harness import problem

CURRENT = "/v1/portfolio/cycles/current"
EXPIRES = date(2027, 6, 30)
VALID_FROM = add_years(EXPIRES, -4)  # 2023-06-30: an imported certificate's first day
NOLOC_DAYS = [date(2025, 3, d) for d in (3, 10, 17, 24)]


def _snapshot(portfolio, coach, submission: dict) -> dict:
    body = portfolio.get(f"/v1/portfolio/submissions/{submission['id']}", coach.token).get_json()
    snapshot = body["snapshot"]
    return json.loads(snapshot) if isinstance(snapshot, str) else snapshot


def test_an_activity_without_evidence_counts_neither_in_readiness_nor_in_the_snapshot(portfolio):
    coach = portfolio.coach()
    portfolio.clock.day = date(2027, 5, 1)
    cycle = portfolio.certificate(coach, EXPIRES)
    portfolio.fill_portfolio(coach, cycle, meetings_on=NOLOC_DAYS, pe_on=date(2026, 2, 1))  # 75, with files
    bare = portfolio.pe_activity(coach, date(2026, 3, 1), "10", "1", evidence=False)
    from_noloc = portfolio.pe_activity(coach, date(2026, 3, 2), "2", "1", evidence=False,
                                       source="noloc_academy")

    readiness = portfolio.get(f"{CURRENT}/readiness", coach.token).get_json()
    assert readiness["pe"]["counted_total"] == "77"  # 75 with files + 2 from the Noloc Academie
    assert readiness["pe"]["without_evidence_activity_ids"] == [str(bare)]
    counted = readiness["pe"]["activity_ids"]
    assert str(bare) not in counted and str(from_noloc) in counted

    submission = portfolio.post(f"{CURRENT}/submit", coach.token).get_json()
    snapshot = _snapshot(portfolio, coach, submission)
    assert str(bare) not in snapshot["pe"]["activity_ids"] and snapshot["pe"]["points_counted"] == "77"
    [event] = portfolio.outbox("portfolio.submitted", subject=coach.account_id)
    assert str(bare) not in event["data"]["pe_activity_ids"]


def test_while_part_b_is_short_the_activities_without_evidence_are_named(portfolio):
    coach = portfolio.coach()
    portfolio.clock.day = date(2027, 5, 1)
    portfolio.certificate(coach, EXPIRES)
    portfolio.pe_activity(coach, date(2026, 3, 1), "40", "1")
    bare = portfolio.pe_activity(coach, date(2026, 3, 5), "35", "1", evidence=False)
    missing = portfolio.get(f"{CURRENT}/readiness", coach.token).get_json()["parts"]["B"]["missing"]
    assert [m["code"] for m in missing] == ["pe_total", "pe_evidence_missing"]
    assert missing[1]["params"]["activity_id"] == str(bare)
    assert missing[1]["message"].startswith("Bewijs ontbreekt bij 'Training motiverende gespreksvoering'")

    portfolio.pe_evidence(coach, bare, "f" * 64)
    assert portfolio.get(f"{CURRENT}/readiness", coach.token).get_json()["pe"]["met"] is True


def test_the_first_day_of_an_imported_certificate_counts_for_activities_and_meetings(portfolio):
    coach = portfolio.coach()
    portfolio.clock.day = date(2027, 5, 1)
    cycle = portfolio.certificate(coach, EXPIRES)
    assert cycle["starts_on"] == VALID_FROM.isoformat()
    portfolio.fill_portfolio(coach, cycle, meetings_on=NOLOC_DAYS[:3], pe_on=date(2026, 2, 1))
    first_day = portfolio.pe_activity(coach, VALID_FROM, "2", "1")
    portfolio.noloc_meeting(coach, VALID_FROM)
    entered = portfolio.post(f"{CURRENT}/meetings", coach.token,
                             json={"met_on": VALID_FROM.isoformat(), "kind": "supervision",
                                   "supervisor_name": "Supervisor"})
    assert entered.status_code == 201, entered.get_json()
    assert sum(1 for m in portfolio.current(coach)["meetings"] if m["met_on"] == VALID_FROM.isoformat()) == 2

    readiness = portfolio.get(f"{CURRENT}/readiness", coach.token).get_json()
    assert str(first_day) in readiness["pe"]["activity_ids"] and readiness["pe"]["counted_total"] == "77"
    assert readiness["pe"]["period_starts_on"] == VALID_FROM.isoformat()
    submission = portfolio.post(f"{CURRENT}/submit", coach.token)
    assert submission.status_code == 201, submission.get_json()
    snapshot = _snapshot(portfolio, coach, submission.get_json())
    assert str(first_day) in snapshot["pe"]["activity_ids"] and snapshot["pe"]["points_counted"] == "77"
    assert snapshot["period_starts_on"] == VALID_FROM.isoformat()


def test_a_supplement_uses_activities_and_meetings_dated_after_the_expiry_date(portfolio):
    coach = portfolio.coach()
    portfolio.clock.day = date(2027, 5, 1)
    cycle = portfolio.certificate(coach, EXPIRES)
    portfolio.fill_portfolio(coach, cycle, meetings_on=NOLOC_DAYS, pe_on=date(2026, 2, 1))
    assert portfolio.post(f"{CURRENT}/submit", coach.token).status_code == 201

    portfolio.clock.day = date(2027, 7, 20)  # after the expiry date, before the supplement deadline
    after_expiry = date(2027, 7, 15)
    late_activity = portfolio.pe_activity(coach, after_expiry, "6", "1")
    # Submitted and no supplement yet: nothing may be added.
    before = problem(portfolio.post(f"{CURRENT}/meetings", coach.token,
                                    json={"met_on": after_expiry.isoformat(), "kind": "intervision",
                                          "group_name": "Groep"}), 409)
    assert before["status"] == 409  # submitted: nothing may be added at all yet

    portfolio.open_supplement(coach, parts=("A3", "B"), due_on=date(2027, 10, 20))
    meeting = portfolio.post(f"{CURRENT}/meetings", coach.token,
                             json={"met_on": after_expiry.isoformat(), "kind": "intervision",
                                   "group_name": "Intervisie na de verloopdatum"})
    assert meeting.status_code == 201, meeting.get_json()
    portfolio.noloc_meeting(coach, date(2027, 7, 16))
    too_late = problem(portfolio.post(f"{CURRENT}/meetings", coach.token,
                                      json={"met_on": "2027-07-21", "kind": "intervision",
                                            "group_name": "Groep"}), 422)
    assert "toekomst" in too_late["detail"]

    readiness = portfolio.get(f"{CURRENT}/readiness", coach.token).get_json()
    assert readiness["pe"]["period_ends_on"] == "2027-10-20"
    assert str(late_activity) in readiness["pe"]["activity_ids"]
    revised = portfolio.put(f"{CURRENT}/supplement/parts/A3", coach.token,
                            json={"text": "Reflectie op de intervisie van juli.",
                                  "meeting_id": meeting.get_json()["id"]})
    assert revised.status_code == 200, revised.get_json()
    response = portfolio.post(f"{CURRENT}/supplement/submit", coach.token)
    assert response.status_code == 201, response.get_json()

    snapshot = _snapshot(portfolio, coach, response.get_json())
    assert str(late_activity) in snapshot["pe"]["activity_ids"] and snapshot["pe"]["points_counted"] == "81"
    met_on = [m["met_on"] for m in snapshot["reflection_meetings"]]
    assert "2027-07-15" in met_on and "2027-07-16" in met_on
    assert (snapshot["period_ends_on"], snapshot["supplement"]["due_on"]) == ("2027-10-20", "2027-10-20")


def test_a_noloc_meeting_after_the_expiry_date_reported_before_the_postponed_decision_joins_the_supplement(
        portfolio):
    """Noloc may report a meeting dated after expiry while the case still waits for DNV: it waits too, and
    DNV's postponed decision (which extends the period to the supplement's deadline) takes it in."""
    coach = portfolio.coach()
    portfolio.clock.day = date(2027, 5, 1)
    cycle = portfolio.certificate(coach, EXPIRES)
    portfolio.fill_portfolio(coach, cycle, meetings_on=NOLOC_DAYS, pe_on=date(2026, 2, 1))
    submission = portfolio.post(f"{CURRENT}/submit", coach.token).get_json()
    case_id = portfolio.case_opened(coach, submission)

    portfolio.clock.day = date(2027, 7, 20)
    portfolio.noloc_meeting(coach, date(2027, 7, 16))
    meetings = portfolio.get(f"{CURRENT}/meetings", coach.token).get_json()
    assert "2027-07-16" not in [m["met_on"] for m in meetings]  # no supplement yet: it waits

    portfolio.publish("certification.decision.made", {
        "decision_id": uuid.uuid4(), "case_id": case_id, "account_id": coach.account_id,
        "certificate_id": cycle["certificate_id"], "decision": "postponed", "follows_advice": True,
        "objection_deadline": date(2027, 8, 31), "supplement_due_on": date(2027, 10, 20), "supplements": [
            {"part": "A3", "assignment": "Laat nog een intervisie zien."}]}, subject=coach.account_id)
    meetings = portfolio.get(f"{CURRENT}/meetings", coach.token).get_json()
    assert [m["source"] for m in meetings if m["met_on"] == "2027-07-16"] == ["noloc"]
