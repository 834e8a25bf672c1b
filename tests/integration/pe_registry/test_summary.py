"""The points summary: the category-1 minimum and each maximum applied, the counted total against 75, what
is missing in words, and the period it covers (the certificate read model fed by events)."""
from __future__ import annotations

import uuid
from datetime import timedelta

from pe_support import assert_problem, today


def _categories(summary: dict) -> dict[int, tuple[str, str, str]]:
    return {c["number"]: (c["raw"], c["counted"], c["missing"]) for c in summary["categories"]}


def test_several_categories_with_the_minimum_and_maxima_applied(pe):
    period_start = today() - timedelta(days=300)
    valid_until = period_start + timedelta(days=4 * 365)
    coach = pe.jobcoach(period_start=period_start, valid_until=valid_until)
    pe.record(coach, category=1, amount="18", unit="sbu")
    pe.record(coach, category=2, amount="25", unit="points", title="Training gegeven")  # maximum 20
    pe.record(coach, category=3, amount="1", unit="ects", title="Cursus buiten het vakgebied")  # 28, max 20
    pe.record(coach, category=6, amount="12", unit="sbu", title="Vakliteratuur")  # maximum 10

    summary = pe.call("GET", "/v1/pe/summary", coach).get_json()

    assert summary["period"] == {"from": period_start.isoformat(), "to": valid_until.isoformat(),
                                 "source": "certificate"}
    assert _categories(summary) == {1: ("18", "18", "12"), 2: ("25", "20", "0"), 3: ("28", "20", "0"),
                                    4: ("0", "0", "0"), 5: ("0", "0", "0"), 6: ("12", "10", "0")}
    assert (summary["raw_total"], summary["counted_total"], summary["required_total"]) == ("83", "68", "75")
    assert (summary["missing_total"], summary["points_still_needed"]) == ("7", "12")
    assert (summary["met"], summary["minimum_met"], summary["total_met"]) == (False, False, False)
    assert summary["missing"] == [{"code": "category_minimum", "category": 1, "points": "12",
                                   "message": "Nog 12 punten in categorie 1 nodig."}]
    assert summary["categories"][0]["name"] == "Bij- en nascholing in het vakgebied"
    assert summary["categories"][1]["activities"] == 1 and summary["categories"][1]["uncounted"] == "5"

    english = pe.call("GET", "/v1/pe/summary", coach, headers={"Accept-Language": "en"}).get_json()
    assert [m["message"] for m in english["missing"]] == ["12 more points needed in category 1."]
    assert english["categories"][0]["name"] == "Training in the field"

    pe.record(coach, category=1, amount="0.5", unit="ects", title="Minor")  # 14 points: 32 in category 1
    done = pe.call("GET", "/v1/pe/summary", coach).get_json()
    assert (done["counted_total"], done["met"], done["missing"]) == ("82", True, [])


def test_a_total_short_beyond_the_minimum_is_said_in_one_sentence(pe):
    coach = pe.jobcoach()
    pe.record(coach, category=1, amount="10", unit="sbu")
    summary = pe.call("GET", "/v1/pe/summary", coach).get_json()
    assert [m["message"] for m in summary["missing"]] == [
        "Nog 20 punten in categorie 1 nodig.",
        "Nog 65 punten in totaal nodig, waarvan minstens 20 in categorie 1."]


def test_the_period_can_be_chosen_and_must_run_forward(pe):
    coach = pe.jobcoach()
    pe.record(coach, category=1, amount="5", completed_on=(today() - timedelta(days=100)).isoformat())
    pe.record(coach, category=1, amount="7", completed_on=(today() - timedelta(days=10)).isoformat())
    first = (today() - timedelta(days=50)).isoformat()
    summary = pe.call("GET", f"/v1/pe/summary?from={first}", coach).get_json()
    assert summary["period"]["source"] == "requested" and summary["period"]["from"] == first
    assert summary["raw_total"] == "7"

    problem = assert_problem(pe.call("GET", f"/v1/pe/summary?from={today().isoformat()}&to={first}", coach),
                             422, field="from", contains="ligt na de einddatum")
    assert problem["title"] == "De invoer is niet geldig"


def test_without_a_known_certificate_the_last_four_years_count(pe):
    coach = pe.person("jobcoach")
    pe.record(coach, completed_on=(today() - timedelta(days=3 * 365)).isoformat())
    summary = pe.call("GET", "/v1/pe/summary", coach).get_json()
    assert summary["period"]["source"] == "fallback" and summary["period"]["to"] == today().isoformat()
    assert summary["raw_total"] == "3"
    refused = pe.call("POST", "/v1/pe/activities", coach,
                      json={"title": "Oud", "provider": "X", "category": 1, "amount": "3", "unit": "sbu",
                            "completed_on": (today() - timedelta(days=5 * 365)).isoformat()})
    assert_problem(refused, 422, field="completed_on")


def test_a_renewal_starts_the_next_period_the_day_after_the_decision(pe):
    old_until = today() + timedelta(days=40)
    coach = pe.jobcoach(period_start=old_until - timedelta(days=4 * 365), valid_until=old_until)
    pe.record(coach, category=1, amount="20", completed_on=(today() - timedelta(days=3)).isoformat())
    certificate_id = uuid.uuid4()
    new_until = old_until + timedelta(days=4 * 365)
    pe.publish_and_wait("certification.certificate.renewed", {
        "certificate_id": certificate_id, "certificate_number": "RJ-1", "account_id": coach.account_id,
        "valid_from": old_until, "valid_until": new_until, "decision_id": uuid.uuid4(),
        "previous_valid_until": old_until}, subject=coach.account_id)

    summary = pe.call("GET", "/v1/pe/summary", coach).get_json()
    assert summary["period"] == {"from": (today() + timedelta(days=1)).isoformat(),
                                 "to": new_until.isoformat(), "source": "certificate"}
    assert summary["raw_total"] == "0"  # what counted for the renewal does not count again
    assert_problem(pe.call("POST", "/v1/pe/activities", coach,
                           json={"title": "Gisteren", "provider": "X", "category": 1, "amount": "3",
                                 "unit": "sbu", "completed_on": (today() - timedelta(days=1)).isoformat()}),
                   422, contains="vóór het begin van uw huidige periode")

    # A late event about the older certificate does not move the period back.
    pe.publish_and_wait("certification.certificate.registered", {
        "certificate_id": certificate_id, "certificate_number": "RJ-1", "account_id": coach.account_id,
        "valid_from": old_until - timedelta(days=4 * 365), "valid_until": old_until},
        subject=coach.account_id)
    assert pe.call("GET", "/v1/pe/summary", coach).get_json()["period"]["to"] == new_until.isoformat()


def test_staff_see_a_jobcoach_summary_only_when_entitled(pe):
    coach = pe.jobcoach()
    activity = pe.record(coach, category=1, amount="4")
    assigned, unassigned = pe.person("assessor"), pe.person("assessor")
    pe.submit_and_assign(coach, assigned, [activity["id"]])
    path = f"/v1/pe/accounts/{coach.account_id}/summary"
    for who in (pe.person("dnv_officer"), assigned, coach):
        response = pe.call("GET", path, who)
        assert response.status_code == 200 and response.get_json()["raw_total"] == "4"
    for who in (unassigned, pe.jobcoach(), pe.person("noloc_admin")):
        assert_problem(pe.call("GET", path, who), 404)
