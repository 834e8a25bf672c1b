"""The composed endpoints against scripted services served for real: what arrives, what is missing, what is
absent, how long it takes, and who may ask."""
from __future__ import annotations

import contextlib
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
import requests
from gateway_fakes import Answer, ScriptedService, serve, unused_url

from recert_gateway.routes import ROUTES

SERVICES = ("assessment", "pe-registry", "portfolio", "billing", "notifications")
PROBLEM_404 = {"type": "https://recert.noloc.nl/problems/not-found", "title": "Niet gevonden", "status": 404}

TILE = {"certificate_id": str(uuid.uuid4()), "certificate_number": "RJ-0001", "valid_from": "2023-06-30",
        "valid_until": "2027-06-30", "state": "active", "days_left": 400, "window_open": False}
PE = {"counted_total": "38", "required_total": "75", "met": False,
      "categories": [{"number": 1, "counted": "38", "missing": "0"}, {"number": 2, "counted": "0"}]}
CYCLE = {"id": str(uuid.uuid4()), "state": "open", "expires_on": "2027-06-30", "window_open_today": False,
         "parts": {"A1": {"text": "Mijn loopbaan " * 200}}, "meetings": [{"id": str(uuid.uuid4())}],
         "supplement": None}
READINESS = {"cycle_id": CYCLE["id"], "ready": False, "parts": {"A1": {"complete": False, "missing": []}}}
INVOICES = {"items": [{"number": "NOLOC-2026-000001", "state": "open", "gross": {"amount": "121.00",
                                                                                 "currency": "EUR"}}],
            "page": 1, "page_size": 100, "total": 1}
UNREAD = {"unread": 3}


def dashboard_scripts() -> dict[str, dict]:
    return {
        "assessment": {"/v1/certificates/mine": Answer(TILE)},
        "pe-registry": {"/v1/pe/summary": Answer(PE)},
        "portfolio": {"/v1/portfolio/cycles/current": Answer(CYCLE),
                      "/v1/portfolio/cycles/current/readiness": Answer(READINESS)},
        "billing": {"/v1/invoices": Answer(INVOICES)},
        "notifications": {"/v1/messages/unread-count": Answer(UNREAD)},
    }


@pytest.fixture
def fleet():
    """The five services a composed endpoint asks, each scripted, served for real."""
    services = {name: ScriptedService(name, answers=dashboard_scripts()[name]) for name in SERVICES}
    with contextlib.ExitStack() as stack:
        urls = {name: stack.enter_context(serve(service)) for name, service in services.items()}
        try:
            yield services, urls
        finally:
            for service in services.values():
                service.release.set()  # frees requests still waiting in a slow answer


@pytest.fixture
def gateway_for(start_gateway, fleet):
    """Starts a gateway in front of the fleet; ``down`` names services to replace by a closed port."""
    _, urls = fleet

    # A generous compose timeout unless a test is about timing out: on a loaded machine (two test workers
    # starting systems) a fake service can take longer than half a second to answer.
    def start(*, down=(), timeout="5"):
        services = {**urls, **{name: unused_url() for name in down}}
        return start_gateway(routes=ROUTES, services=services, RECERT_GATEWAY_COMPOSE_TIMEOUT=timeout)

    return start


def get(gateway: str, path: str, token: str | None, **headers: str) -> requests.Response:
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.get(f"{gateway}/api/v1/{path}", headers=headers, timeout=10)


def timed_get(gateway: str, path: str, token: str) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = get(gateway, path, token)
    return response, time.monotonic() - started


# --- the dashboard ---------------------------------------------------------------------------------------


def test_dashboard_brings_every_part_with_the_callers_token_language_and_request_id(fleet, gateway_for,
                                                                                    maker):
    services, _ = fleet
    token = maker.token(roles=("jobcoach",))
    response = get(gateway_for(), "dashboard", token, **{"Accept-Language": "en", "X-Request-ID": "dash-1"})

    assert response.status_code == 200, response.text
    assert response.json() == {
        "certificate": TILE, "pe": PE, "readiness": READINESS, "invoices": INVOICES, "messages": UNREAD,
        "portfolio": {key: value for key, value in CYCLE.items() if key not in ("parts", "meetings")},
        "absent": {}, "missing": [], "partial": False}
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["Content-Language"] == "en"
    calls = [seen for service in services.values() for seen in service.seen]
    assert len(calls) == 6
    for seen in calls:
        assert seen.headers["Authorization"] == f"Bearer {token}"
        assert seen.headers["Accept-Language"] == "en"
        assert seen.headers["X-Request-Id"] == "dash-1"
    assert parse_qs(services["billing"].requests_to("/v1/invoices")[0].query)["state"] == ["open"]


def test_a_service_that_is_down_is_missing_and_the_rest_is_served(gateway_for, maker):
    response = get(gateway_for(down=("billing",)), "dashboard", maker.token())
    assert response.status_code == 200
    body = response.json()
    assert body["invoices"] is None
    assert (body["missing"], body["partial"]) == (["invoices"], True)
    assert (body["certificate"], body["pe"], body["messages"]) == (TILE, PE, UNREAD)


def test_a_slow_service_is_cut_off_at_the_per_call_timeout(fleet, gateway_for, maker):
    services, _ = fleet
    services["notifications"].answers["/v1/messages/unread-count"] = Answer(UNREAD, delay=5)
    response, elapsed = timed_get(gateway_for(timeout="0.5"), "dashboard", maker.token())
    assert response.status_code == 200
    assert elapsed < 1.5  # the slow service would take 5 s
    body = response.json()
    assert (body["messages"], body["missing"], body["partial"]) == (None, ["messages"], True)
    assert body["certificate"] == TILE


@pytest.mark.parametrize("status", [500, 503, 403, 400])
def test_a_failing_or_unexpected_answer_is_missing(fleet, gateway_for, maker, status):
    services, _ = fleet
    services["pe-registry"].answers["/v1/pe/summary"] = Answer({"status": status, "title": "x"}, status)
    body = get(gateway_for(), "dashboard", maker.token()).json()
    assert (body["pe"], body["missing"], body["partial"]) == (None, ["pe"], True)
    assert body["readiness"] == READINESS


def test_no_certificate_or_cycle_yet_is_absent_with_the_reason_and_not_missing(fleet, gateway_for, maker):
    services, _ = fleet
    no_certificate = {**PROBLEM_404, "detail": "U heeft nog geen certificaat."}
    no_cycle = {**PROBLEM_404, "detail": "Er is geen lopende cyclus."}
    services["assessment"].answers["/v1/certificates/mine"] = Answer(no_certificate, 404)
    services["portfolio"].answers = {"/v1/portfolio/cycles/current": Answer(no_cycle, 404),
                                     "/v1/portfolio/cycles/current/readiness": Answer(no_cycle, 404)}
    body = get(gateway_for(), "dashboard", maker.token()).json()
    assert (body["certificate"], body["portfolio"], body["readiness"]) == (None, None, None)
    assert body["absent"] == {"certificate": no_certificate, "portfolio": no_cycle, "readiness": no_cycle}
    assert (body["missing"], body["partial"]) == ([], False)
    assert body["pe"] == PE


def test_a_404_where_something_must_exist_is_missing_not_absent(fleet, gateway_for, maker):
    services, _ = fleet
    services["billing"].answers = {}  # /v1/invoices answers 404: a fault, not "no invoices"
    body = get(gateway_for(), "dashboard", maker.token()).json()
    assert (body["invoices"], body["missing"], body["absent"]) == (None, ["invoices"], {})


def test_a_token_a_service_refuses_makes_the_whole_answer_401(fleet, gateway_for, maker):
    services, _ = fleet
    services["notifications"].answers["/v1/messages/unread-count"] = Answer(
        {"type": "https://recert.noloc.nl/problems/unauthorized", "status": 401}, 401)
    response = get(gateway_for(), "dashboard", maker.token(), **{"Accept-Language": "en"})
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert response.json()["detail"] == "The access token is invalid."


def test_calls_run_concurrently(fleet, gateway_for, maker):
    services, _ = fleet
    services["assessment"].answers["/v1/certificates/mine"] = Answer(TILE, delay=1)
    services["billing"].answers["/v1/invoices"] = Answer(INVOICES, delay=1)
    response, elapsed = timed_get(gateway_for(timeout="3"), "dashboard", maker.token())
    body = response.json()
    assert (body["certificate"], body["invoices"], body["missing"]) == (TILE, INVOICES, [])
    assert 1.0 <= elapsed < 1.8  # one after the other: 2 s


# --- roles -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path, roles", [
    ("overview", ("jobcoach",)), ("overview", ("assessor",)), ("dashboard", ("assessor",)),
    ("dashboard", ("dnv_officer",)), ("worklist", ("jobcoach",)), ("worklist", ("noloc_admin",)),
])
def test_each_endpoint_is_for_its_role_only(fleet, gateway_for, maker, path, roles):
    services, _ = fleet
    response = get(gateway_for(), path, maker.token(roles=roles))
    assert response.status_code == 403
    assert response.headers["Content-Type"] == "application/problem+json"
    assert all(service.seen == [] for service in services.values())


@pytest.mark.parametrize("path", ["dashboard", "worklist", "overview"])
def test_without_a_valid_token_nothing_is_asked(fleet, gateway_for, maker, path):
    services, _ = fleet
    gateway = gateway_for()
    assert get(gateway, path, None).status_code == 401
    expired = maker.token(issued=datetime.now(UTC) - timedelta(hours=1), ttl=timedelta(minutes=5))
    assert get(gateway, path, expired).status_code == 401
    assert all(service.seen == [] for service in services.values())


# --- the assessor's work list ----------------------------------------------------------------------------


def case(state: str, due_on: str) -> dict:
    return {"id": str(uuid.uuid4()), "state": state, "due_on": due_on, "submitted_at": "2026-01-05T10:00:00Z"}


def cases_by_state(pages: dict[str, dict]):
    def answer(request) -> Answer:
        page = pages.get(request.args["state"], {"items": [], "total": 0})
        return Answer({**page, "page": 1, "page_size": int(request.args["page_size"])})

    return answer


def test_worklist_splits_what_the_assessor_must_do_from_what_waits_for_others(fleet, gateway_for, maker):
    services, _ = fleet
    late, early, reassess = case("assigned", "2026-03-01"), case("assigned", "2026-02-01"), \
        case("reassessing", "2026-02-15")
    advised, supplement = case("advised", "2026-02-20"), case("supplement_due", "2026-01-20")
    services["assessment"].answers = {"/v1/cases": cases_by_state({
        "assigned": {"items": [late, early], "total": 102},  # more than one page: total says so
        "reassessing": {"items": [reassess], "total": 1},
        "advised": {"items": [advised], "total": 1},
        "supplement_due": {"items": [supplement], "total": 1},
    })}
    token = maker.token(roles=("assessor",))
    response = get(gateway_for(), "worklist", token)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["to_do"] == {"total": 103, "items": [{**early, "action": "advise"},
                                                     {**reassess, "action": "reassess"},
                                                     {**late, "action": "advise"}]}
    assert body["waiting"] == {"total": 2, "items": [{**supplement, "waiting_for": "jobcoach_supplement"},
                                                     {**advised, "waiting_for": "dnv_decision"}]}
    assert body["messages"] == UNREAD
    assert (body["missing"], body["partial"]) == ([], False)
    asked = {parse_qs(seen.query)["state"][0]: parse_qs(seen.query)["page_size"][0]
             for seen in services["assessment"].requests_to("/v1/cases")}
    assert asked == {state: "100" for state in ("assigned", "reassessing", "advised", "supplement_due",
                                                "supplement_received", "reassessed", "objection_upheld")}
    assert all(seen.headers["Authorization"] == f"Bearer {token}" for seen in services["assessment"].seen)


# --- DNV's overview --------------------------------------------------------------------------------------

STATES = ("opened", "pe_check_failed", "pe_supplement_due", "pe_supplement_received", "awaiting_payment",
          "ready_for_assignment", "assigned", "advised", "supplement_due", "supplement_received",
          "reassessing", "reassessed", "objection_upheld", "decided", "withdrawn")


def overview_scripts(services, *, counts_fail: bool = False):
    waiting = [case("opened", "2026-04-01"), case("opened", "2026-03-01")]
    overdue = [{"case": case("assigned", "2026-01-01"), "status": "overdue", "stage": "assessment",
                "days_overdue": 12},
               {"case": case("opened", "2026-03-01"), "status": "due_soon", "stage": "pe_check",
                "days_overdue": 0}]

    def cases(request) -> Answer:
        assert request.args["state"] == "opened"
        return Answer({"items": waiting, "total": 1, "page": 1, "page_size": int(request.args["page_size"])})

    def overdue_page(request) -> Answer:
        assert request.args["limit"] == "100"
        return Answer(overdue)

    # The counts say 7 and 250: more than the first page of the list shows.
    counts = {"by_state": {state: n + 1 for n, state in enumerate(STATES)}, "overdue": 7, "due_soon": 250}
    services["assessment"].answers = {"/v1/cases": cases, "/v1/cases/overdue": overdue_page,
                                      "/v1/cases/counts": Answer({"status": 503}, 503) if counts_fail
                                      else Answer(counts)}
    return waiting, overdue


def test_overview_counts_cases_by_state_and_lists_overdue_cases_and_waiting_pe_checks(fleet, gateway_for,
                                                                                     maker):
    services, _ = fleet
    waiting, overdue = overview_scripts(services)
    response = get(gateway_for(), "overview", maker.token(roles=("dnv_officer",)))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["cases_by_state"] == {state: n + 1 for n, state in enumerate(STATES)}
    assert body["overdue"] == {"overdue": 7, "due_soon": 250, "items": overdue}
    assert body["pe_checks_waiting"] == {"total": 1, "items": [waiting[1], waiting[0]]}
    assert (body["missing"], body["partial"], body["absent"]) == ([], False, {})
    assert len(services["assessment"].requests_to("/v1/cases/overdue")) == 1
    # The counts came from /v1/cases/counts (the one listing asked for, of the PE checks, has total 1).
    [listing] = services["assessment"].requests_to("/v1/cases")
    assert parse_qs(listing.query) == {"state": ["opened"], "page_size": ["100"]}
    assert not any(service.seen for name, service in services.items() if name != "assessment")


def test_overview_without_the_counts_leaves_out_the_counted_parts(fleet, gateway_for, maker):
    services, _ = fleet
    overview_scripts(services, counts_fail=True)
    body = get(gateway_for(), "overview", maker.token(roles=("dnv_officer",))).json()
    assert (body["cases_by_state"], body["overdue"]) == (None, None)
    assert (body["missing"], body["partial"]) == (["cases_by_state", "overdue"], True)
    assert body["pe_checks_waiting"]["total"] == 1


# --- the OpenAPI document --------------------------------------------------------------------------------


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def ok_get(schema: dict) -> dict:
    return {"get": {"responses": {"200": {"description": "OK",
                                          "content": {"application/json": {"schema": schema}}}}}}


ASSESSMENT_DOC = {
    "openapi": "3.0.3", "info": {"title": "Assessment", "version": "1"},
    "paths": {"/v1/certificates/mine": ok_get(ref("Tile")), "/v1/cases": ok_get(ref("CasePage")),
              "/v1/cases/overdue": ok_get({"type": "array", "items": ref("OverdueItem")})},
    "components": {"schemas": {
        "Tile": {"type": "object", "properties": {"days_left": {"type": "integer"}}},
        "CaseSummary": {"type": "object", "properties": {"state": {"type": "string"}}},
        "CasePage": {"type": "object", "properties": {"items": {"type": "array", "items": ref("CaseSummary")},
                                                      "total": {"type": "integer"}}},
        "OverdueItem": {"type": "object", "properties": {"case": ref("CaseSummary")}}}},
}


def test_the_composed_endpoints_are_documented_with_the_services_schemas(fleet, gateway_for):
    services, _ = fleet
    services["assessment"].answers["/v1/openapi.json"] = Answer(ASSESSMENT_DOC)
    document = requests.get(gateway_for() + "/api/v1/openapi.json", timeout=10).json()

    schemas = document["components"]["schemas"]
    for path, name in (("dashboard", "ComposedDashboard"), ("worklist", "ComposedWorklist"),
                       ("overview", "ComposedOverview")):
        operation = document["paths"][f"/api/v1/{path}"]["get"]
        assert operation["responses"]["200"]["content"]["application/json"]["schema"] == ref(name)
        assert operation["responses"]["403"]["content"]["application/problem+json"]["schema"] \
            == ref("ComposedProblem")
        assert operation["security"] == [{"bearerAuth": []}]
        assert {"absent", "missing", "partial"} <= set(schemas[name]["required"])
    dashboard = schemas["ComposedDashboard"]["properties"]
    assert dashboard["certificate"]["allOf"] == [ref("Tile")] and dashboard["certificate"]["nullable"]
    # pe-registry's document did not arrive (the script has none): the part is still there, untyped.
    assert dashboard["pe"] == {"type": "object", "nullable": True,
                               "description": "What `GET /api/v1/pe/summary` answers."}
    assert dashboard["missing"]["items"]["enum"] == ["certificate", "pe", "portfolio", "readiness",
                                                     "invoices", "messages"]
    to_do = schemas["ComposedWorklist"]["properties"]["to_do"]["properties"]["items"]["items"]
    # The case summary's own properties plus the action, in one schema (an allOf with a summary that
    # forbids additional properties would match no item).
    case_summary = schemas["CaseSummary"]
    assert to_do["properties"] == {**case_summary["properties"], "action": to_do["properties"]["action"]}
    assert to_do["properties"]["action"]["enum"] == ["advise", "reassess"]
    overview = schemas["ComposedOverview"]["properties"]
    assert overview["overdue"]["properties"]["items"]["items"] == ref("OverdueItem")
    assert set(overview["cases_by_state"]["properties"]) == set(STATES)


def test_a_gateway_without_the_services_has_no_composed_endpoints(start_gateway, maker):
    gateway = start_gateway()  # identity only
    assert get(gateway, "dashboard", maker.token()).status_code == 404
    document = requests.get(gateway + "/api/v1/openapi.json", timeout=10).json()
    assert "/api/v1/dashboard" not in document["paths"]
