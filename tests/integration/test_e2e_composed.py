"""The gateway's composed endpoints in front of all six services, run as real processes: each part matches
what the service itself answers, a certificate that does not exist yet is absent (not missing), the
assessor's work list and DNV's overview show a real case, and with billing's web process stopped the
dashboard still answers, naming the invoices as missing.
"""
from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
import requests

from e2e_fixtures import app_fixture, office_fixture, running_system
from frontend import Frontend, Person
from journeys import PDF, TODAY, WEBHOOK_SECRET, complete_portfolio, eventually, ok, record, upload
from ports import free_port
from processes import System

SERVICES = ["identity", "portfolio", "pe-registry", "assessment", "notifications", "billing"]
# Every state of assessment's states.py, written out: the overview must count each.
CASE_STATES = ("opened", "pe_check_failed", "pe_supplement_due", "pe_supplement_received", "awaiting_payment",
               "ready_for_assignment", "assigned", "advised", "supplement_due", "supplement_received",
               "reassessing", "reassessed", "objection_upheld", "decided", "withdrawn")
COMPOSE_TIMEOUT = 5.0  # generous: a loaded test machine must not turn a slow answer into a missing part


@pytest.fixture(scope="module")
def system(infra, tmp_path_factory):
    # The port is taken when the module starts (not when it is collected), so that nothing listens on it.
    with running_system(infra, tmp_path_factory, SERVICES, {
        "RECERT_GATEWAY_AUTH_RATE_LIMIT": "off",
        "RECERT_GATEWAY_COMPOSE_TIMEOUT": str(COMPOSE_TIMEOUT),
        "RECERT_BILLING_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "RECERT_SMTP_PORT": str(free_port()),  # nothing listens: e-mails wait for their retries
    }) as system:
        yield system


app = app_fixture()
office = office_fixture()


def own_answer(system: System, service: str, path: str, person: Person, **params) -> requests.Response:
    """The service's answer, asked directly rather than through the gateway."""
    return requests.get(f"{system.url(service)}{path}", params=params, timeout=10, headers={
        "Authorization": f"Bearer {person.access_token}", "Accept-Language": "nl"})


def dashboard_of_services(system: System, person: Person) -> dict:
    cycle = ok(own_answer(system, "portfolio", "/v1/portfolio/cycles/current", person))
    return {
        "certificate": ok(own_answer(system, "assessment", "/v1/certificates/mine", person)),
        "pe": ok(own_answer(system, "pe-registry", "/v1/pe/summary", person)),
        "portfolio": {key: value for key, value in cycle.items() if key not in ("parts", "meetings")},
        "readiness": ok(own_answer(system, "portfolio", "/v1/portfolio/cycles/current/readiness", person)),
        "invoices": ok(own_answer(system, "billing", "/v1/invoices", person, state="open", page_size=100)),
        "messages": ok(own_answer(system, "notifications", "/v1/messages/unread-count", person)),
    }


def affiliate(app: Frontend) -> Person:
    """An external affiliate: once certified, billing invoices the register fee (registering is free)."""
    return app.login(app.register(number=f"EXT-{uuid.uuid4().int % 900_000 + 100_000}"))


def test_a_jobcoach_without_a_certificate_sees_it_absent_not_missing(app, system):
    person = app.login(app.register())
    body = ok(app.get("dashboard", person))
    own = own_answer(system, "assessment", "/v1/certificates/mine", person)
    assert own.status_code == 404
    assert body["certificate"] is None and "certificate" not in body["missing"]
    assert body["absent"]["certificate"] == {key: own.json()[key] for key in ("status", "type", "title",
                                                                              "detail")}
    assert body["pe"] == ok(own_answer(system, "pe-registry", "/v1/pe/summary", person))


def test_worklist_and_overview_show_a_real_case_to_the_right_people_only(app, system, office):
    coach = app.login(app.register())
    office.certify(coach, TODAY + timedelta(days=60))  # inside the submission window
    complete_portfolio(app, coach)
    ok(app.post("portfolio/cycles/current/submit", coach), 201)
    case = office.case_of(coach)

    def overview_with_the_case():
        body = ok(app.get("overview", office.dnv))
        waiting = body["pe_checks_waiting"] or {"items": []}
        return body if any(item["id"] == case["id"] for item in waiting["items"]) else None

    overview = eventually(overview_with_the_case, what="the case waiting for the PE check")
    assert (overview["missing"], overview["partial"]) == ([], False)
    totals = {state: ok(own_answer(system, "assessment", "/v1/cases", office.dnv, state=state,
                                   page_size=1))["total"] for state in CASE_STATES}
    assert overview["cases_by_state"] == totals and totals["opened"] >= 1
    assert isinstance(overview["overdue"]["items"], list)

    office.ready_for_assessor(coach)
    assessor, other = office.assessors
    ok(office.assign(case, assessor))
    worklist = ok(app.get("worklist", assessor))
    assert (worklist["missing"], worklist["partial"]) == ([], False)
    [item] = [item for item in worklist["to_do"]["items"] if item["id"] == case["id"]]
    assert (item["action"], item["state"], item["due_on"]) == ("advise", "assigned", case["due_on"])
    assert isinstance(worklist["messages"]["unread"], int)
    assert not any(i["id"] == case["id"] for i in ok(app.get("worklist", other))["to_do"]["items"])

    for path, person in (("overview", coach), ("overview", assessor), ("worklist", office.dnv),
                         ("dashboard", assessor)):
        refused = app.get(path, person)
        assert refused.status_code == 403, (path, refused.text)
        assert refused.headers["Content-Type"].startswith("application/problem+json")


def test_dashboard_matches_the_services_and_survives_billing_going_down(app, system, office):
    # Last in this module: it stops billing's web process.
    person = affiliate(app)
    number = office.certify(person, TODAY + timedelta(days=400))
    activity = record(app, person, 1, 12)
    ok(upload(app, person, activity["id"], PDF), 201)  # only an activity with evidence counts
    eventually(lambda: ok(own_answer(system, "billing", "/v1/invoices", person, state="open"))["total"] >= 1,
               what="the affiliate's open invoices")

    def matching():
        body = ok(app.get("dashboard", person))
        parts = {key: body[key] for key in ("certificate", "pe", "portfolio", "readiness", "invoices",
                                            "messages")}
        return body if parts == dashboard_of_services(system, person) else None

    body = eventually(matching, what="a dashboard matching the services' own answers")
    assert (body["missing"], body["partial"], body["absent"]) == ([], False, {})
    assert body["certificate"]["certificate_number"] == number
    assert float(body["pe"]["counted_total"]) >= 12
    assert body["portfolio"]["state"] and "parts" not in body["portfolio"]
    assert {invoice["state"] for invoice in body["invoices"]["items"]} == {"open"}

    billing = next(process for process in system.processes if process.name == "billing-web")
    billing.stop()
    started = time.monotonic()
    response = app.get("dashboard", person)
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    down = response.json()
    assert (down["invoices"], down["missing"], down["partial"]) == (None, ["invoices"], True)
    assert down["certificate"] == body["certificate"] and down["pe"] == body["pe"]
    assert elapsed < COMPOSE_TIMEOUT  # a refused connection is known at once, not after the timeout
