"""The points summary: the category-1 minimum and each maximum applied, the counted total against 75, what
is missing in words, and the period it covers (the certificate read model fed by events)."""
from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from importlib import resources

import pytest
from pe_support import assert_problem, pdf_bytes, today

from recert_common.events import registry
from recert_common.rules import FRAMEWORK_DIR_ENV, clear_framework_cache


def _proven(pe, coach, **overrides) -> dict:
    """An activity with an evidence file: only such activities (and Noloc imports) count."""
    return pe.record(coach, evidence=True, **overrides)


def _categories(summary: dict) -> dict[int, tuple[str, str, str]]:
    return {c["number"]: (c["raw"], c["counted"], c["missing"]) for c in summary["categories"]}


def test_several_categories_with_the_minimum_and_maxima_applied(pe):
    period_start = today() - timedelta(days=300)
    valid_until = period_start + timedelta(days=4 * 365)
    coach = pe.jobcoach(period_start=period_start, valid_until=valid_until)
    _proven(pe, coach, category=1, amount="18", unit="sbu")
    _proven(pe, coach, category=2, amount="25", unit="points", title="Training gegeven")  # maximum 20
    _proven(pe, coach, category=3, amount="1", unit="ects", title="Cursus buiten het vakgebied")  # 28, max 20
    _proven(pe, coach, category=6, amount="12", unit="sbu", title="Vakliteratuur")  # maximum 10

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

    _proven(pe, coach, category=1, amount="0.5", unit="ects", title="Minor")  # 14 points: 32 in category 1
    done = pe.call("GET", "/v1/pe/summary", coach).get_json()
    assert (done["counted_total"], done["met"], done["missing"]) == ("82", True, [])


def test_a_total_short_beyond_the_minimum_is_said_in_one_sentence(pe):
    coach = pe.jobcoach()
    _proven(pe, coach, category=1, amount="10", unit="sbu")
    summary = pe.call("GET", "/v1/pe/summary", coach).get_json()
    assert [m["message"] for m in summary["missing"]] == [
        "Nog 20 punten in categorie 1 nodig.",
        "Nog 65 punten in totaal nodig, waarvan minstens 20 in categorie 1."]


def test_the_period_can_be_chosen_and_must_run_forward(pe):
    coach = pe.jobcoach()
    _proven(pe, coach, category=1, amount="5", completed_on=(today() - timedelta(days=100)).isoformat())
    _proven(pe, coach, category=1, amount="7", completed_on=(today() - timedelta(days=10)).isoformat())
    first = (today() - timedelta(days=50)).isoformat()
    summary = pe.call("GET", f"/v1/pe/summary?from={first}", coach).get_json()
    assert summary["period"]["source"] == "requested" and summary["period"]["from"] == first
    assert summary["raw_total"] == "7"

    problem = assert_problem(pe.call("GET", f"/v1/pe/summary?from={today().isoformat()}&to={first}", coach),
                             422, field="from", contains="ligt na de einddatum")
    assert problem["title"] == "De invoer is niet geldig"


def test_without_a_known_certificate_the_last_four_years_count(pe):
    coach = pe.person("jobcoach")
    _proven(pe, coach, completed_on=(today() - timedelta(days=3 * 365)).isoformat())
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
    _proven(pe, coach, category=1, amount="20", completed_on=(today() - timedelta(days=3)).isoformat())
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
                   422, contains="vóór het begin van je huidige periode")

    # A late event about the older certificate does not move the period back.
    pe.publish_and_wait("certification.certificate.registered", {
        "certificate_id": certificate_id, "certificate_number": "RJ-1", "account_id": coach.account_id,
        "valid_from": old_until - timedelta(days=4 * 365), "valid_until": old_until},
        subject=coach.account_id)
    assert pe.call("GET", "/v1/pe/summary", coach).get_json()["period"]["to"] == new_until.isoformat()


def test_staff_see_a_jobcoach_summary_only_when_entitled(pe):
    coach = pe.jobcoach()
    activity = _proven(pe, coach, category=1, amount="4")
    assigned, unassigned = pe.person("assessor"), pe.person("assessor")
    pe.submit_and_assign(coach, assigned, [activity["id"]])
    path = f"/v1/pe/accounts/{coach.account_id}/summary"
    for who in (pe.person("dnv_officer"), assigned, coach):
        response = pe.call("GET", path, who)
        assert response.status_code == 200 and response.get_json()["raw_total"] == "4"
    for who in (unassigned, pe.jobcoach(), pe.person("noloc_admin")):
        assert_problem(pe.call("GET", path, who), 404)


# --- issue 10: evidence is required, one PE period ---------------------------------------------------------


def test_an_activity_without_evidence_is_recorded_but_not_counted_until_evidence_is_added(pe):
    coach = pe.jobcoach()
    _proven(pe, coach, category=1, amount="20")
    bare = pe.record(coach, category=1, amount="6", title="Intervisie-training",
                     completed_on=(today() - timedelta(days=12)).isoformat())

    summary = pe.call("GET", "/v1/pe/summary", coach).get_json()
    assert (summary["recorded_total"], summary["without_evidence_total"]) == ("26", "6")
    assert (summary["raw_total"], summary["counted_total"]) == ("20", "20")
    assert (summary["categories"][0]["activities"], summary["categories"][0]["activities_without_evidence"],
            summary["categories"][0]["points_without_evidence"]) == (1, 1, "6")
    [lacking] = summary["activities_without_evidence"]
    assert (lacking["activity_id"], lacking["points"], lacking["category"]) == (bare["id"], "6", 1)
    assert lacking["message"].startswith("Bewijs ontbreekt bij 'Intervisie-training'")
    english = pe.call("GET", "/v1/pe/summary", coach, headers={"Accept-Language": "en"}).get_json()
    assert english["activities_without_evidence"][0]["message"].startswith(
        "Evidence missing for 'Intervisie-training'")

    assert pe.upload(coach, bare["id"], pdf_bytes("deelnamebewijs")).status_code == 201
    proven = pe.call("GET", "/v1/pe/summary", coach).get_json()
    assert (proven["counted_total"], proven["without_evidence_total"]) == ("26", "0")
    assert proven["activities_without_evidence"] == []


def test_an_imported_certificate_counts_from_its_first_day(pe):
    valid_from = today() - timedelta(days=200)
    coach = pe.jobcoach(period_start=valid_from)
    _proven(pe, coach, category=1, amount="2", completed_on=valid_from.isoformat())
    summary = pe.call("GET", "/v1/pe/summary", coach).get_json()
    assert summary["period"]["from"] == valid_from.isoformat() and summary["counted_total"] == "2"


def test_a_renewal_decided_after_the_expiry_counts_from_the_day_after_the_decision(pe):
    old_until = today() - timedelta(days=20)  # a supplement delayed the decision past the expiry date
    coach = pe.jobcoach(period_start=old_until - timedelta(days=4 * 365), valid_until=old_until)
    _proven(pe, coach, category=1, amount="4", completed_on=(today() - timedelta(days=5)).isoformat())
    pe.publish_and_wait("certification.certificate.renewed", {
        "certificate_id": uuid.uuid4(), "certificate_number": "RJ-2", "account_id": coach.account_id,
        "valid_from": old_until, "valid_until": old_until + timedelta(days=4 * 365),
        "decision_id": uuid.uuid4(), "previous_valid_until": old_until}, subject=coach.account_id)
    summary = pe.call("GET", "/v1/pe/summary", coach).get_json()
    # The activity after the expiry served the supplement; it does not count again in the new period.
    assert summary["period"]["from"] == (today() + timedelta(days=1)).isoformat()
    assert summary["recorded_total"] == "0"


def _postponed(pe, coach, certificate_id, due_on) -> None:
    """A postponed decision on part B with its supplement due on ``due_on``, as assessment announces it."""
    decision = {
        "decision_id": uuid.uuid4(), "case_id": uuid.uuid4(), "account_id": coach.account_id,
        "certificate_id": certificate_id, "decision": "postponed", "follows_advice": True,
        "objection_deadline": today() + timedelta(weeks=6), "supplement_due_on": due_on}
    if "supplements" in registry.get("certification.decision.made").schema().fields:
        # The postponed decision names its assignments once the decision (not the advice) opens the
        # supplement (issue 10, another branch); pe-registry reads only the deadline.
        decision["supplements"] = [{"part": "B", "assignment": "Vul de PE-punten aan."}]
    pe.publish_and_wait("certification.decision.made", decision, subject=coach.account_id)


def test_a_postponed_decision_lets_the_period_run_to_the_supplement_deadline(pe):
    old_until = today() - timedelta(days=20)
    coach = pe.jobcoach(period_start=old_until - timedelta(days=4 * 365), valid_until=old_until)
    with pe.service.db.transaction() as conn:  # the certificate's id, as the decision names it
        certificate_id = conn.execute("SELECT certificate_id FROM certificate_periods WHERE account_id = %s",
                                      (coach.account_id,)).fetchone()["certificate_id"]
    after_expiry = _proven(pe, coach, category=1, amount="6",
                           completed_on=(today() - timedelta(days=5)).isoformat())
    assert pe.call("GET", "/v1/pe/summary", coach).get_json()["recorded_total"] == "0"

    due_on = today() + timedelta(days=70)
    _postponed(pe, coach, certificate_id, due_on)
    summary = pe.call("GET", "/v1/pe/summary", coach).get_json()
    assert summary["period"]["to"] == due_on.isoformat() and summary["counted_total"] == "6"
    listed = pe.call("GET", "/v1/pe/activities", coach).get_json()["items"]
    assert [a["id"] for a in listed] == [after_expiry["id"]]


@pytest.fixture
def framework_dir(tmp_path, monkeypatch):
    """Framework files written by the test (``write(year, category_2_maximum)``), overlaying the packaged
    ones for the service running in this process."""
    packaged = json.loads(resources.files("recert_common.rules").joinpath("frameworks/2024.json")
                          .read_text("utf-8"))

    def write(year: int, category_2_maximum: str) -> None:
        raw = {**packaged, "year": year}
        raw["pe"] = json.loads(json.dumps(packaged["pe"]))
        raw["pe"]["categories"]["items"][1]["maximum"] = category_2_maximum
        (tmp_path / f"{year}.json").write_text(json.dumps(raw), encoding="utf-8")

    monkeypatch.setenv(FRAMEWORK_DIR_ENV, str(tmp_path))
    clear_framework_cache()
    yield write
    clear_framework_cache()


def test_a_period_extended_into_the_next_year_is_weighed_with_the_expiry_years_framework(pe, framework_dir):
    """Portfolio weighs a cycle with the framework of the certificate's expiry year (``Cycle.framework``),
    also while a supplement runs into the next year; the summary must agree, or the jobcoach's summary, the
    readiness and the snapshot count differently (ADR 0012, amended)."""
    old_until = today() - timedelta(days=20)
    due_on = date(old_until.year + 1, 3, 1)
    framework_dir(old_until.year, "20")
    framework_dir(due_on.year, "5")
    coach = pe.jobcoach(period_start=old_until - timedelta(days=4 * 365), valid_until=old_until)
    with pe.service.db.transaction() as conn:
        certificate_id = conn.execute("SELECT certificate_id FROM certificate_periods WHERE account_id = %s",
                                      (coach.account_id,)).fetchone()["certificate_id"]
    _proven(pe, coach, category=2, amount="15", unit="points", title="Training gegeven",
            completed_on=(old_until - timedelta(days=30)).isoformat())
    _postponed(pe, coach, certificate_id, due_on)

    summary = pe.call("GET", "/v1/pe/summary", coach).get_json()
    assert summary["period"]["to"] == due_on.isoformat()
    assert summary["framework_version"] == f"{old_until.year}.1"
    assert _categories(summary)[2] == ("15", "15", "0")
