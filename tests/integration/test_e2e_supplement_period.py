"""A supplement uses PE activities and reflection meetings dated after the expiry date, up to the supplement
deadline (issue 10, ADR 0012), through the gateway: identity, pe-registry, portfolio and the gateway as real
processes; what assessment would send (the case, the postponed advice and decision) is published as raw
events.

The portfolio was submitted before the expiry date: portfolio first runs with ``RECERT_PORTFOLIO_TODAY``
fixed inside the submission window, then is restarted on the real date, after the expiry date, as an
operator's clock would move on.
"""
from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from recert_common.events import registry

from e2e_fixtures import app_fixture, system_fixture
from journeys import PDF, TODAY, certified_coach, complete_portfolio, eventually, ok, record, upload

VALID_UNTIL = TODAY - timedelta(days=10)  # expired ten days ago
SUBMITTED_ON = VALID_UNTIL - timedelta(days=5)  # inside the submission window
DUE_ON = TODAY + timedelta(days=80)  # the supplement deadline, 3 months after DNV's decision

system = system_fixture(["identity", "pe-registry", "portfolio"],
                        extra_env={"RECERT_GATEWAY_AUTH_RATE_LIMIT": "off",
                                   "RECERT_PORTFOLIO_TODAY": SUBMITTED_ON.isoformat()})
app = app_fixture()


def _restart_portfolio_on_the_real_date(system) -> None:
    for process in [p for p in system.processes if p.name.startswith("portfolio-")]:
        process.stop()
    system.env.pop("RECERT_PORTFOLIO_TODAY", None)
    web = system.start_web("portfolio")
    system.wait_healthy("portfolio", web)
    system.wait_for_line(system.start_worker("portfolio"), '"worker started"')


def _postponed(app, system, person, submission: dict) -> None:
    """What assessment publishes on the postponed path: the case, the advice, DNV's decision. Both the
    advice and the decision are sent, so the test holds whichever of them opens the supplement."""
    case_id = uuid.uuid4()
    cycle = ok(app.get("portfolio/cycles/current", person))
    system.publish("assessment.case.opened", {
        "case_id": case_id, "account_id": person.id, "portfolio_id": submission["portfolio_id"],
        "submission_id": submission["id"], "due_on": TODAY + timedelta(weeks=4)},
        subject=person.id, producer="assessment")
    assignments = [{"part": "A3", "assignment": "Reflecteer op een nieuwe intervisie."},
                   {"part": "B", "assignment": "Vul de PE-punten aan met bewijs."}]
    advice = {"case_id": case_id, "account_id": person.id, "assessor_id": uuid.uuid4(), "advice": "postponed",
              "is_reassessment": False, "supplements": assignments, "supplement_due_on": DUE_ON}
    system.publish("assessment.advice.given", advice, subject=person.id, producer="assessment")
    decision = {"decision_id": uuid.uuid4(), "case_id": case_id, "account_id": person.id,
                "certificate_id": cycle["certificate_id"], "decision": "postponed", "follows_advice": True,
                "objection_deadline": TODAY + timedelta(weeks=6), "supplement_due_on": DUE_ON}
    if "supplements" in registry.get("certification.decision.made").schema().fields:
        decision["supplements"] = assignments
    system.publish("certification.decision.made", decision, subject=person.id, producer="assessment")


def test_a_supplement_counts_an_activity_and_a_meeting_dated_after_the_expiry_date(app, system):
    person = certified_coach(app, system, VALID_UNTIL)
    complete_portfolio(app, person)
    submitted = app.post("portfolio/cycles/current/submit", person)
    assert submitted.status_code == 201, submitted.text

    _restart_portfolio_on_the_real_date(system)
    _postponed(app, system, person, submitted.json())
    eventually(lambda: app.get("portfolio/cycles/current", person).json()["state"] == "supplement_open",
               what="the supplement open")
    eventually(lambda: app.get("pe/summary", person).json()["period"]["to"] == str(DUE_ON),
               what="pe-registry's period running to the supplement deadline")

    late = record(app, person, 1, 6, days_ago=3)  # after the expiry date
    assert upload(app, person, late["id"], PDF + b"late").status_code == 201
    meeting = ok(app.post("portfolio/cycles/current/meetings", person, json={
        "met_on": str(TODAY - timedelta(days=2)), "kind": "intervision", "group_name": "Zuid"}), 201)
    ok(app.post(f"portfolio/meetings/{meeting['id']}/proof", person, data=PDF + b"meeting",
                headers={"Content-Type": "application/pdf",
                         "Content-Disposition": 'attachment; filename="aanwezigheid.pdf"'}), 201)
    ok(app.put("portfolio/cycles/current/supplement/parts/A3", person,
               json={"text": "Reflectie op de intervisie na de verloopdatum.", "meeting_id": meeting["id"]}))

    summary = app.get("pe/summary", person).json()
    assert Decimal(summary["counted_total"]) == 81 and summary["activities_without_evidence"] == []

    def counted():
        pe = app.get("portfolio/cycles/current/readiness", person).json()["pe"]
        return pe if late["id"] in pe["activity_ids"] else None
    readiness = eventually(counted, what="the late activity counted in readiness")
    assert readiness["period_ends_on"] == str(DUE_ON) and Decimal(readiness["counted_total"]) == 81

    supplement = app.post("portfolio/cycles/current/supplement/submit", person)
    assert supplement.status_code == 201, supplement.text
    snapshot = app.get(f"portfolio/submissions/{supplement.json()['id']}", person).json()["snapshot"]
    assert late["id"] in snapshot["pe"]["activity_ids"] and Decimal(snapshot["pe"]["points_counted"]) == 81
    assert str(TODAY - timedelta(days=2)) in [m["met_on"] for m in snapshot["reflection_meetings"]]
    assert snapshot["period_ends_on"] == str(DUE_ON)

    # pe-registry hears of the hand-in: the activity added for Part B is read-only from now on, as the
    # submitted ones are, and part of the case the assessor reassesses (ADR 0043).
    eventually(lambda: app.get(f"pe/activities/{late['id']}", person).json()["locked"],
               what="the supplement's activity locked")
    refused = app.patch(f"pe/activities/{late['id']}", person, json={"title": "Na de aanvulling gewijzigd"})
    assert refused.status_code == 409 and refused.json()["type"].endswith("/pe-activity-locked")
