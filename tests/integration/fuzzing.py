"""What the two fuzzing modules share (test_fuzz_openapi.py: the document, the findings and the jobcoaches;
test_fuzz_staff.py: the staff). Each module fuzzes its own running system, so that the two run side by side
on the suite's two workers; test_fuzz_openapi.py's docstring says what is sent and checked."""
from __future__ import annotations

import json
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from system_actors import World
from test_authz_matrix import CALLERS, MATRIX

PREFIX = "/api/v1"
REAL, GENERATED, NEGATIVE = 15, 4, 8
# A persona the matrix refuses by role (403) gets the same answer whatever it sends: a few well-formed
# requests show that answer is documented; the malformed ones all run, as validation may come first.
REFUSED_REAL = 2
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
# Derandomized: hypothesis seeds itself from the test function, so every run sends the same requests.
# No shrinking: the first failing request is reported as sent, which keeps the run within its time.
FUZZING = settings(derandomize=True, database=None, deadline=None, phases=[Phase.explicit, Phase.generate],
                   suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def merged_document(world: World) -> dict[str, Any]:
    response = requests.get(f"{world.system.gateway}{PREFIX}/openapi.json", timeout=30)
    response.raise_for_status()
    return response.json()


def fuzzing_schema(document: dict[str, Any]):
    """The merged document as the fuzzer reads it. A catch-all ``default`` answer would document every
    status at once, so it is left out here: only the statuses an operation lists count as documented."""
    assert document["x-unavailable-services"] == []
    return schemathesis.openapi.from_dict(_without_catch_all(document))


def _without_catch_all(document: dict[str, Any]) -> dict[str, Any]:
    copy = json.loads(json.dumps(document))
    for item in copy["paths"].values():
        for method, operation in item.items():
            if method in METHODS:
                operation.get("responses", {}).pop("default", None)
    return copy


def operations(schema) -> dict[str, Any]:
    """The document's operations by ``METHOD /path`` without the prefix, in a fixed order."""
    found = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        found[f"{operation.method.upper()} {operation.path.removeprefix(PREFIX)}"] = operation
    return dict(sorted(found.items()))


def path_values(world: World, persona: str, label: str) -> dict[str, str]:
    """For each path parameter, a resource that exists and that ``persona`` may well be allowed to see."""
    res, people = world.resources, world.people
    values = {name: res[name] for name in ("case_id", "objection_id", "activity_id", "evidence_id",
                                            "meeting_id", "submission_id", "cycle_id", "certificate_id",
                                            "invoice_id", "message_id", "certificate_number")}
    values.update(account_id=people["jobcoach"].id, part="A1")
    values.update(reading_id=res["reading_id"])  # the draft jobcoach's (issue 14): others get 404
    # mentors (ADR 0028): the jobcoach's mentor and their mentorship
    values.update(mentor_id=people["mentor"].id, mentorship_id=res["mentorship_id"])
    if persona == "draft_jobcoach":
        values.update(activity_id=res["draft_activity_id"], evidence_id=res["spare_evidence_id"],
                      meeting_id=res["draft_meeting_id"], part="A2", account_id=people[persona].id)
    if label.startswith(("GET /admin/", "POST /admin/")):
        values["account_id"] = res["spare_account_id"]
    if label.endswith("/retry"):
        values["message_id"] = res["failed_email_id"]
    if "credit-note" in label:
        values["invoice_id"] = res["cancelled_invoice_id"]
    return values


def check(label: str, error: BaseException | None) -> None:
    """Pass, or fail with what was found (every finding so far has been fixed: none is tolerated)."""
    if error is not None:
        raise error


def fuzz(world: World, operation, token: str, *, mode: GenerationMode, examples: int,
          path_parameters: dict[str, str] | None) -> BaseException | None:
    session = requests.Session()
    session.trust_env = False
    headers = {"Authorization": f"Bearer {token}"}

    @settings(FUZZING, max_examples=examples)
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    def run(case):
        response = case.call(base_url=world.system.gateway, session=session, headers=headers, timeout=30)
        case.validate_response(response, checks=CHECKS)

    try:
        run()
    except Unsatisfiable:
        # Nothing of the operation can be malformed (no parameters, or any string is a valid path value).
        assert mode is GenerationMode.NEGATIVE, f"{operation.label}: no well-formed request can be made"
    except (FailureGroup, AssertionError) as error:
        return error
    return None


def refused_by_role(label: str, persona: str) -> bool:
    """Whether the authorization matrix answers the persona 403 for the operation (a jobcoach persona reads
    the owner's column: a role refusal does not depend on whose resource it is)."""
    row = MATRIX.get(label)
    column = {"jobcoach": "owner", "draft_jobcoach": "owner"}.get(persona, persona)
    return row is not None and dict(zip(CALLERS, row, strict=True))[column] == 403


def fuzz_persona(world: World, schema, persona: str, subtests) -> None:
    """Every operation fuzzed with ``persona``'s token: well-formed requests on resources that exist, then
    with generated path values, then malformed ones; any failure fails the subtest of its operation."""
    token = world.token(persona)
    for label, operation in operations(schema).items():
        with subtests.test(msg=label):
            names = [parameter.name for parameter in operation.path_parameters]
            values = path_values(world, persona, label)
            real = {name: values[name] for name in names if name in values}
            refused = refused_by_role(label, persona)
            error = fuzz(world, operation, token, mode=GenerationMode.POSITIVE,
                          examples=REFUSED_REAL if refused else REAL, path_parameters=real or None)
            if error is None and names and not refused:
                error = fuzz(world, operation, token, mode=GenerationMode.POSITIVE, examples=GENERATED,
                              path_parameters=None)
            if error is None:
                error = fuzz(world, operation, token, mode=GenerationMode.NEGATIVE, examples=NEGATIVE,
                              path_parameters=None)
            check(label, error)


def assert_still_well(world: World, personas) -> None:
    """Hostile input must not break anything for later callers: every process still runs, every service
    is ready and every person's token still works."""
    stopped = [process.name for process in world.system.processes if process.popen.poll() is not None]
    assert stopped == [], world.system.logs()
    ready = requests.get(f"{world.system.gateway}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    for persona in personas:
        response = world.app.get("accounts/me", token=world.token(persona))
        assert response.status_code == 200, (persona, response.status_code, response.text[:200])
