"""Recording, listing, changing and removing PE activities over HTTP, and every refusal leaving nothing
changed."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from pe_support import activity_body, assert_problem, pdf_bytes, today


def test_activities_in_hours_ects_and_points_get_their_points_and_an_event(pe):
    coach = pe.jobcoach()
    hours = pe.record(coach, category=1, amount="2.5", unit="sbu")
    ects = pe.record(coach, category=3, amount="0.5", unit="ects", title="Module arbeidsrecht")
    points = pe.record(coach, category=2, amount=4, unit="points", title="Training gegeven",
                       description="Twee dagdelen voor collega's")

    assert (hours["points"], ects["points"], points["points"]) == ("2.5", "14", "4")
    assert (hours["unit"], ects["amount"]) == ("sbu", "0.5")
    assert points["description"] == "Twee dagdelen voor collega's"
    assert hours["source"] == "manual" and hours["external_id"] is None and hours["locked"] is False

    recorded = pe.outbox(coach.account_id, "pe.activity.recorded")
    assert [event["data"]["activity_id"] for event in recorded] == [hours["id"], ects["id"], points["id"]]
    assert recorded[1]["data"] | {"activity_id": None} == {
        "activity_id": None, "account_id": str(coach.account_id), "category": "3",
        "title": "Module arbeidsrecht", "completed_on": ects["completed_on"], "unit": "ects", "amount": "0.5",
        "points": "14", "source": "manual", "external_id": None}

    response = pe.call("GET", f"/v1/pe/activities/{ects['id']}", coach)
    assert response.status_code == 200 and response.get_json() == ects


def test_list_is_paginated_and_filtered_by_period_and_category(pe):
    coach = pe.jobcoach()
    days = [5, 10, 20, 40, 60]
    made = [pe.record(coach, completed_on=(today() - timedelta(days=d)).isoformat(),
                      category=1 if d < 30 else 2, title=f"Activiteit {d}") for d in days]

    first = pe.call("GET", "/v1/pe/activities?page=1&page_size=2", coach).get_json()
    second = pe.call("GET", "/v1/pe/activities?page=2&page_size=2", coach).get_json()
    third = pe.call("GET", "/v1/pe/activities?page=3&page_size=2", coach).get_json()
    assert first["total"] == second["total"] == 5
    # Latest completion first, across pages, each activity once.
    assert [a["id"] for a in first["items"] + second["items"] + third["items"]] == [a["id"] for a in made]

    category_2 = pe.call("GET", "/v1/pe/activities?category=2", coach).get_json()
    assert [a["title"] for a in category_2["items"]] == ["Activiteit 40", "Activiteit 60"]

    window = (f"from={(today() - timedelta(days=20)).isoformat()}"
              f"&to={(today() - timedelta(days=10)).isoformat()}")
    in_window = pe.call("GET", f"/v1/pe/activities?{window}", coach).get_json()
    assert [a["title"] for a in in_window["items"]] == ["Activiteit 10", "Activiteit 20"]

    other = pe.jobcoach()
    assert pe.call("GET", "/v1/pe/activities", other).get_json()["total"] == 0


def test_change_recomputes_points_and_publishes_the_whole_activity(pe):
    coach = pe.jobcoach()
    activity = pe.record(coach, amount="3", unit="sbu")
    response = pe.call("PATCH", f"/v1/pe/activities/{activity['id']}", coach,
                       json={"amount": "1", "unit": "ects", "title": "Minor loopbaanbegeleiding"})
    assert response.status_code == 200, response.get_json()
    changed = response.get_json()
    assert (changed["points"], changed["title"], changed["provider"]) == ("28", "Minor loopbaanbegeleiding",
                                                                         activity["provider"])
    [event] = pe.outbox(coach.account_id, "pe.activity.updated")
    assert (event["data"]["points"], event["data"]["unit"], event["data"]["title"]) == (
        "28", "ects", "Minor loopbaanbegeleiding")


def test_remove_deletes_the_activity_its_evidence_and_the_file(pe):
    coach = pe.jobcoach()
    activity = pe.record(coach, category=4, amount="6")
    before = pe.counts()
    assert pe.upload(coach, activity["id"], pdf_bytes("verwijder mij")).status_code == 201
    assert pe.counts()["objects"] == before["objects"] + 1

    assert pe.call("DELETE", f"/v1/pe/activities/{activity['id']}", coach).status_code == 204
    assert pe.call("GET", f"/v1/pe/activities/{activity['id']}", coach).status_code == 404
    after = pe.counts()
    assert (after["activities"], after["evidence"], after["objects"]) == (
        before["activities"] - 1, before["evidence"], before["objects"])
    [removed] = pe.outbox(coach.account_id, "pe.activity.removed")
    assert removed["data"] == {"activity_id": activity["id"], "account_id": str(coach.account_id),
                               "category": "4", "points": "6"}


def _future():
    return (today() + timedelta(days=1)).isoformat()


BAD_INPUT = [
    pytest.param({"category": 9}, "category", "Categorie 9 bestaat niet", "Category 9 does not exist",
                 id="unknown-category"),
    pytest.param({"amount": "-3"}, "amount", "niet negatief", "may not be negative", id="negative"),
    pytest.param({"amount": "0"}, "amount", "groter dan nul", "greater than zero", id="zero"),
    pytest.param({"amount": 10000}, "amount", "Meer dan 500 studiebelastingsuren (sbu) voor één activiteit",
                 "More than 500 study-load hours", id="absurd-hours"),
    pytest.param({"amount": "25", "unit": "ects"}, "amount", "Meer dan 20 ECTS-studiepunten",
                 "More than 20 ECTS credits", id="absurd-ects"),
    pytest.param({"amount": "1.255"}, "amount", "hoogstens twee decimalen", "at most two decimals",
                 id="three-decimals"),
    pytest.param({"amount": "veel"}, "amount", "Geen geldig getal", "Not a valid number", id="not-a-number"),
    pytest.param({"unit": "uren"}, "unit", "Moet een van deze zijn", "Must be one of", id="unknown-unit"),
    pytest.param({"completed_on": "future"}, "completed_on", "ligt in de toekomst", "is in the future",
                 id="future-date"),
    pytest.param({"completed_on": "before-period"}, "completed_on", "vóór het begin van je huidige periode",
                 "before the start of your current period", id="before-period"),
    pytest.param({"title": "   "}, "title", "Mag niet leeg zijn", "May not be blank", id="blank-title"),
    pytest.param({"title": None}, "title", "Dit veld is verplicht", "Missing data for required field",
                 id="missing-title"),
    pytest.param({"points": "75"}, "points", "Onbekend veld", "Unknown field", id="unknown-field"),
]


@pytest.mark.parametrize(("change", "field", "dutch", "english"), BAD_INPUT)
def test_bad_input_is_422_naming_the_problem_in_dutch_or_english_and_changes_nothing(pe, change, field, dutch,
                                                                                     english):
    period_start = today() - timedelta(days=100)
    coach = pe.jobcoach(period_start=period_start)
    if change.get("completed_on") == "future":
        change = {"completed_on": _future()}
    elif change.get("completed_on") == "before-period":
        change = {"completed_on": (period_start - timedelta(days=1)).isoformat()}
    body = activity_body(**change)
    before = pe.counts()

    dutch_answer = pe.call("POST", "/v1/pe/activities", coach, json=body)
    english_answer = pe.call("POST", "/v1/pe/activities", coach, json=body, headers={"Accept-Language": "en"})

    dutch_problem = assert_problem(dutch_answer, 422, field=field, contains=dutch)
    english_problem = assert_problem(english_answer, 422, field=field, contains=english)
    assert (dutch_problem["title"], english_problem["title"]) == ("De invoer is niet geldig",
                                                                  "The input is not valid")
    assert pe.counts() == before


def test_every_broken_rule_is_named_at_once(pe):
    coach = pe.jobcoach()
    body = activity_body(category=0, amount="-1", completed_on=_future())
    problem = assert_problem(pe.call("POST", "/v1/pe/activities", coach, json=body), 422)
    assert set(problem["errors"]) == {"category", "amount", "completed_on"}
    assert "Categorie 0 bestaat niet" in problem["detail"] and "toekomst" in problem["detail"]


def test_a_bad_change_is_refused_and_the_activity_stays_as_it_was(pe):
    coach = pe.jobcoach()
    activity = pe.record(coach)
    before = pe.counts()
    for change in ({"amount": "10000"}, {"category": 12}, {"completed_on": _future()}, {},
                   {"account_id": str(uuid.uuid4())}):
        response = pe.call("PATCH", f"/v1/pe/activities/{activity['id']}", coach, json=change)
        assert_problem(response, 422)
    assert pe.call("GET", f"/v1/pe/activities/{activity['id']}", coach).get_json() == activity
    assert pe.counts() == before


def test_malformed_json_is_400_and_staff_cannot_record_activities(pe):
    coach = pe.jobcoach()
    response = pe.call("POST", "/v1/pe/activities", coach, data="{not json",
                       headers={"Content-Type": "application/json"})
    assert_problem(response, 400, contains="geen geldige JSON")
    officer = pe.person("dnv_officer")
    assert_problem(pe.call("POST", "/v1/pe/activities", officer, json=activity_body()), 403)
    assert_problem(pe.call("GET", "/v1/pe/activities", None), 401)


def test_another_jobcoach_gets_404_on_every_resource_and_changes_nothing(pe):
    owner, stranger = pe.jobcoach(), pe.jobcoach()
    activity = pe.record(owner)
    evidence = pe.upload(owner, activity["id"], pdf_bytes("van de eigenaar")).get_json()
    before = pe.counts()

    attempts = [
        ("GET", f"/v1/pe/activities/{activity['id']}", {}),
        ("PATCH", f"/v1/pe/activities/{activity['id']}", {"json": {"title": "Overgenomen"}}),
        ("DELETE", f"/v1/pe/activities/{activity['id']}", {}),
        ("GET", f"/v1/pe/evidence/{evidence['id']}", {}),
        ("GET", f"/v1/pe/evidence/{evidence['id']}/content", {}),
        ("DELETE", f"/v1/pe/evidence/{evidence['id']}", {}),
        ("GET", f"/v1/pe/accounts/{owner.account_id}/activities", {}),
        ("GET", f"/v1/pe/accounts/{owner.account_id}/summary", {}),
    ]
    for method, path, kwargs in attempts:
        assert_problem(pe.call(method, path, stranger, **kwargs), 404)
    assert_problem(pe.upload(stranger, activity["id"], pdf_bytes("van een ander")), 404)

    assert pe.counts() == before
    unchanged = pe.call("GET", f"/v1/pe/activities/{activity['id']}", owner).get_json()
    assert unchanged | {"evidence": []} == activity
    assert [e["id"] for e in unchanged["evidence"]] == [evidence["id"]]


def test_a_submitted_activity_is_read_only_until_the_portfolio_is_withdrawn(pe):
    coach = pe.jobcoach()
    submitted, free = pe.record(coach, title="Ingediend"), pe.record(coach, title="Niet ingediend")
    evidence = pe.upload(coach, submitted["id"], pdf_bytes("ingediend bewijs")).get_json()
    submission_id = pe.submitted(coach, [submitted["id"]])
    before = pe.counts()

    assert pe.call("GET", f"/v1/pe/activities/{submitted['id']}", coach).get_json()["locked"] is True
    problem = assert_problem(pe.call("PATCH", f"/v1/pe/activities/{submitted['id']}", coach,
                                     json={"title": "Later gewijzigd"}), 409, contains="ingediend portfolio")
    assert problem["type"].endswith("/pe-activity-locked")
    english = pe.call("DELETE", f"/v1/pe/activities/{submitted['id']}", coach,
                      headers={"Accept-Language": "en"})
    assert_problem(english, 409, contains="submitted portfolio")
    assert_problem(pe.upload(coach, submitted["id"], pdf_bytes("na indienen")), 409)
    assert_problem(pe.call("DELETE", f"/v1/pe/evidence/{evidence['id']}", coach), 409)
    assert pe.counts() == before
    # The other activity was not submitted and stays changeable.
    response = pe.call("PATCH", f"/v1/pe/activities/{free['id']}", coach, json={"title": "Vrij"})
    assert response.status_code == 200

    pe.publish_and_wait("portfolio.withdrawn", {
        "portfolio_id": uuid.uuid4(), "cycle_id": uuid.uuid4(), "submission_id": submission_id,
        "account_id": coach.account_id, "reason": None}, subject=coach.account_id)
    response = pe.call("PATCH", f"/v1/pe/activities/{submitted['id']}", coach, json={"title": "Na intrekken"})
    assert response.status_code == 200 and response.get_json()["locked"] is False


def test_staff_read_a_jobcoach_activities_only_when_entitled(pe):
    coach = pe.jobcoach()
    activity = pe.record(coach)
    officer, assessor, other_assessor, admin = (pe.person("dnv_officer"), pe.person("assessor"),
                                                pe.person("assessor"), pe.person("noloc_admin"))
    pe.submit_and_assign(coach, assessor, [activity["id"]])

    path = f"/v1/pe/accounts/{coach.account_id}/activities"
    for who in (officer, assessor, coach):
        response = pe.call("GET", path, who)
        assert response.status_code == 200
        assert [a["id"] for a in response.get_json()["items"]] == [activity["id"]]
        assert pe.call("GET", f"/v1/pe/activities/{activity['id']}", who).status_code == 200
    for who in (other_assessor, admin):
        assert_problem(pe.call("GET", path, who), 404)
        assert_problem(pe.call("GET", f"/v1/pe/activities/{activity['id']}", who), 404)
    # Reading is not changing: even a DNV officer cannot change a jobcoach's activity.
    assert_problem(pe.call("PATCH", f"/v1/pe/activities/{activity['id']}", officer, json={"title": "x"}), 403)


def test_categories_come_from_the_framework(pe):
    coach = pe.jobcoach()
    body = pe.call("GET", "/v1/pe/categories", coach, headers={"Accept-Language": "en"}).get_json()
    assert body["required_total"] == "75" and body["official"] is False
    assert body["categories"][0] == {"number": 1, "key": "training_in_field", "name": "Training in the field",
                                     "minimum": "30", "maximum": None}
    assert {unit["unit"]: unit["points_per_unit"] for unit in body["units"]} == {
        "sbu": "1", "ects": "28", "points": "1"}
