"""Hostile input against the running system: schemathesis (pinned 4.32.5) generates requests for every
operation of the gateway's merged OpenAPI document and sends them with the access token of each kind of
person. Every answer is checked: no server error (5xx), a documented status and content type, documented
headers, and a body that matches its schema. A documented status is one the operation lists: the document
has no catch-all ``default`` answer (ADR 0015), and the fuzzer would not count one; an error answer's schema
limits its ``type`` to the problem types the operation names. A static test checks,
without sending anything, that each operation lists the error answers its token, body, query and path id
imply, each naming its problem types; and a refused evidence file and a refused meeting proof answer the
same problem.

Per person and operation, in a fixed order and derandomized (the same requests on every run, until the
document or the tools change): ``REAL`` well-formed requests whose path names a resource that exists and
that person may well see (so the body and query are what varies), ``GENERATED`` with generated path
values as well, and ``NEGATIVE`` malformed ones (wrong types, missing fields, bad paths). The persons are
the jobcoach whose case is under assessment, a jobcoach with a portfolio in progress (whose resources may
still change), and, in test_fuzz_staff.py against a system of its own (so the two modules run side by side),
the assigned assessor, a DNV officer and a Noloc admin. The payment webhook is fuzzed twice:
unsigned with everyone's requests (always 401), and signed as the provider signs, to reach past the check.

Before the fuzzing, each operation is also asked once well (``system_actors.OPERATIONS``), so that the
answers the fuzzer rarely reaches (a created resource, a file) are checked against the document too.

``FINDINGS`` lists what the fuzzer found in its first runs (each fixed since) and ``PROBES`` repeat each one
with its exact request, so a finding that comes back fails by name. Any failure of a fuzzed operation
fails the test.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from schemathesis import GenerationMode
from schemathesis.core import NOT_SET
from schemathesis.core.failures import FailureGroup

from recert_billing import signature

from fuzzing import (
    CHECKS,
    FUZZING,
    METHODS,
    PREFIX,
    REAL,
    assert_still_well,
    check,
    fuzz_persona,
    fuzzing_schema,
    merged_document,
    operations,
)
from system_actors import OPERATIONS, world_fixture

SERVER_ERROR, UNDOCUMENTED_CONTENT_TYPE, SCHEMA_VIOLATION = "ST101", "ST105", "ST108"
NUL = "a\x00b"


@dataclass(frozen=True)
class Finding:
    summary: str
    codes: frozenset[str]
    operations: frozenset[str]


LISTS = ("GET /messages", "GET /messages/failed", "GET /admin/accounts", "GET /cases", "GET /invoices",
         "GET /pe/activities", "GET /pe/accounts/{account_id}/activities", "GET /portfolio/cycles",
         "GET /portfolio/submissions", "GET /certificates")
TEXT_INPUTS = ("GET /register", "GET /register/{certificate_number}", "PATCH /accounts/me", "POST /accounts",
               "POST /admin/accounts", "POST /pe/activities", "PATCH /pe/activities/{activity_id}",
               "PUT /portfolio/cycles/current/parts/{part}", "POST /portfolio/cycles/current/meetings",
               "PUT /portfolio/cycles/current/supplement/parts/{part}", "POST /cases/{case_id}/objections",
               "POST /cases/{case_id}/objections/{objection_id}/outcome", "GET /certificates",
               "POST /admin/accounts/{account_id}/disable", "POST /admin/accounts/{account_id}/totp-reset")
# What the fuzzer found in its first runs, each fixed since; the probes below keep them fixed.
FINDINGS: dict[str, Finding] = {
    "F1": Finding(
        "portfolio: GET /portfolio/cycles/current/meetings answers 500 for a jobcoach with meetings: "
        "list_meetings returns the service's tuple, which flask-smorest unpacks as (body, status, headers); "
        "return a list", frozenset({SERVER_ERROR}), frozenset({"GET /portfolio/cycles/current/meetings"})),
    "F2": Finding(
        "portfolio, assessment (and so the gateway's dashboard): fields.Decimal(as_string=True) is served "
        "as a string (\"75\") but documented as type number; document such fields as type string (a shared "
        "apispec attribute function, or metadata type string)", frozenset({SCHEMA_VIOLATION}),
        frozenset({"GET /portfolio/cycles/current/readiness", "GET /cases/{case_id}",
                   "GET /cases/{case_id}/pe-check", "GET /dashboard", "POST /cases/{case_id}/pe-check",
                   "POST /cases/{case_id}/pe-check/rejections",
                   "DELETE /cases/{case_id}/pe-check/rejections/{activity_id}",
                   "POST /cases/{case_id}/assessor"})),
    "F3": Finding(
        "pe-registry, portfolio: file downloads are served with the file's own type (application/pdf, "
        "image/png, ...) but documented as application/octet-stream only; document each allowed type "
        "(or */*)", frozenset({UNDOCUMENTED_CONTENT_TYPE}),
        frozenset({"GET /pe/evidence/{evidence_id}/content", "GET /portfolio/meetings/{meeting_id}/proof",
                   "GET /portfolio/submissions/{submission_id}/meetings/{meeting_id}/proof"})),
    "F4": Finding(
        "every paged list: a page number whose offset passes PostgreSQL's bigint (page=2**62) answers 500 "
        "(NumericValueOutOfRange); bound page in each PageQuerySchema (e.g. validate.Range(1, 1_000_000))",
        frozenset({SERVER_ERROR}), frozenset(LISTS)),
    "F5": Finding(
        "every service: a NUL character in a text input (query, path or JSON string) reaches PostgreSQL, "
        "which refuses it (DataError), and the answer is 500; refuse NUL at the boundary with a 400/422 "
        "problem (one check in recert_common for query, path and JSON strings)",
        frozenset({SERVER_ERROR}), frozenset(TEXT_INPUTS)),
    "F6": Finding(
        "gateway: GET /worklist documents each case as allOf [CaseSummary, {waiting_for | action}], but "
        "CaseSummary has additionalProperties: false, so no case with its added member can match; give the "
        "composed item its own schema (CaseSummary's properties plus the member)",
        frozenset({SCHEMA_VIOLATION}), frozenset({"GET /worklist"})),
    "F7": Finding(
        "billing: a signed payment notification whose amount does not fit numeric(12,2) (amount 1e10 or "
        "more) answers 500 (NumericValueOutOfRange on storing it); bound amount in PaymentNotificationSchema "
        "(and keep such a notification for a person to look at, or refuse it with 422)",
        frozenset({SERVER_ERROR}), frozenset({"POST /payments/webhook"})),
}


@dataclass(frozen=True)
class Probe:
    """One exact request that shows a finding: the operation asked well by ``persona``, with ``json`` or
    ``params`` replaced when given."""

    finding: str
    operation: str
    persona: str | None
    json: Any = None
    params: dict[str, Any] | None = None


HUGE_PAGE = {"page": 2**62, "page_size": 100}
PROBES = (
    Probe("F1", "GET /portfolio/cycles/current/meetings", "draft_jobcoach"),
    Probe("F2", "GET /portfolio/cycles/current/readiness", "jobcoach"),
    Probe("F2", "GET /cases/{case_id}", "dnv_officer"),
    Probe("F2", "GET /cases/{case_id}/pe-check", "assessor"),
    Probe("F3", "GET /pe/evidence/{evidence_id}/content", "jobcoach"),
    Probe("F3", "GET /portfolio/meetings/{meeting_id}/proof", "dnv_officer"),
    Probe("F3", "GET /portfolio/submissions/{submission_id}/meetings/{meeting_id}/proof", "assessor"),
    Probe("F4", "GET /messages", "jobcoach", params=HUGE_PAGE),
    Probe("F4", "GET /messages/failed", "noloc_admin", params=HUGE_PAGE),
    Probe("F4", "GET /admin/accounts", "noloc_admin", params=HUGE_PAGE),
    Probe("F4", "GET /cases", "dnv_officer", params=HUGE_PAGE),
    Probe("F4", "GET /certificates", "dnv_officer", params=HUGE_PAGE),
    Probe("F4", "GET /invoices", "jobcoach", params=HUGE_PAGE),
    Probe("F4", "GET /pe/activities", "jobcoach", params=HUGE_PAGE),
    Probe("F4", "GET /portfolio/submissions", "assessor", params=HUGE_PAGE),
    Probe("F5", "GET /register", None, params={"q": NUL}),
    Probe("F5", "PATCH /accounts/me", "jobcoach", json={"full_name": NUL}),
    Probe("F5", "POST /pe/activities", "draft_jobcoach", json={
        "title": NUL, "provider": "Opleider", "category": 1, "completed_on": "2026-01-01", "amount": "1",
        "unit": "sbu"}),
    Probe("F5", "PUT /portfolio/cycles/current/parts/{part}", "draft_jobcoach", json={"text": NUL}),
    Probe("F5", "POST /cases/{case_id}/objections", "jobcoach", json={"reason": NUL}),
    Probe("F5", "GET /certificates", "dnv_officer", params={"number": NUL}),
    Probe("F5", "POST /admin/accounts/{account_id}/totp-reset", "noloc_admin", json={"reason": NUL}),
    Probe("F6", "GET /worklist", "assessor"),
    Probe("F7", "POST /payments/webhook", None, json={
        "id": "evt_probe_f7", "type": "payment.succeeded", "invoice_number": "DNV-1999-999999",
        "amount": "12345678901234", "currency": "EUR", "paid_at": "2026-01-01T10:00:00Z"}),
)


# --- the system and its document -------------------------------------------------------------------------


world = world_fixture("fuzz-logs")


@pytest.fixture(scope="module")
def document(world) -> dict[str, Any]:
    return merged_document(world)


@pytest.fixture(scope="module")
def schema(document):
    return fuzzing_schema(document)


# --- what the document promises, read without sending anything -----------------------------------------


def _implied_statuses(document: dict[str, Any], path: str, operation: dict[str, Any]) -> set[str]:
    """The error answers an operation can give by what it takes: a token (401, 403), a body (400, 413,
    422), a query (422), a path id (404), and, for everything the gateway forwards, 503."""
    implied = {"503"}
    security = operation.get("security", document.get("security"))
    if security and any(requirement for requirement in security):
        implied |= {"401", "403"}
    parameters = [*document["paths"][path].get("parameters", []), *operation.get("parameters", [])]
    if any(p.get("in") == "path" for p in parameters):
        implied.add("404")
    if any(p.get("in") == "query" for p in parameters):
        implied.add("422")
    body = operation.get("requestBody")
    if body:
        implied.add("413")
        if "application/json" in body.get("content", {}):
            implied |= {"400", "422"}
    return implied


def test_every_operation_lists_the_error_answers_its_parameters_imply(document):
    """Static: no catch-all ``default``, and every status a token, body, query or path id implies is
    listed, each as a problem document whose types are named."""
    missing = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation.get("responses", {})
            lacking = sorted(_implied_statuses(document, path, operation) - set(responses))
            if "default" in responses:
                lacking.append("default (a catch-all answer)")
            unnamed = [status for status, answer in responses.items() if status[0] in "45" and not (
                answer.get("x-problem-types")
                and "application/problem+json" in answer.get("content", {}))]
            if lacking or unnamed:
                missing[f"{method.upper()} {path.removeprefix(PREFIX)}"] = (lacking, unnamed)
    assert missing == {}, f"{len(missing)} operations do not list their error answers: " + json.dumps(
        missing, indent=1)


def test_rate_limited_operations_document_429(document):
    for label in ("POST /auth/login", "POST /auth/login/verify", "POST /accounts"):
        method, path = label.split(" ")
        assert "429" in document["paths"][PREFIX + path][method.lower()]["responses"], label


# --- one problem type for one refusal ----------------------------------------------------------------------

# what: (the request's path, the operation's path in the document)
UPLOADS = {
    "evidence": ("pe/activities/{draft_activity_id}/evidence", "/pe/activities/{activity_id}/evidence"),
    "meeting proof": ("portfolio/meetings/{draft_meeting_id}/proof",
                      "/portfolio/meetings/{meeting_id}/proof"),
}
TWENTY_MB = 20 * 1024 * 1024  # both services' default limit (RECERT_PE_REGISTRY_MAX_EVIDENCE_BYTES and
#                               RECERT_PORTFOLIO_PROOF_MAX_BYTES); the gateway lets 25 MB through


@pytest.mark.parametrize(("refusal", "data", "filename", "status", "members"), [
    ("upload-too-large", b"%PDF-1.7\n" + bytes(TWENTY_MB), "groot.pdf", 413, {"code", "max_bytes"}),
    ("upload-type-refused", b"\x7fELF\x02\x01\x01" + bytes(64), "bewijs.pdf", 415, {"code", "kind"}),
    ("upload-type-mismatch", b"%PDF-1.7\n%%EOF\n", "bewijs.exe", 415, {"code", "kind", "extension"}),
    ("upload-empty", b"", "leeg.pdf", 400, {"code"}),
], ids=lambda value: value if isinstance(value, str) and value.startswith("upload") else "")
def test_evidence_and_meeting_proof_refused_alike_answer_the_same_problem(world, document, refusal, data,
                                                                            filename, status, members):
    """The same refusal of a PE evidence file and of a reflection meeting's proof is one problem: the
    same type, title, detail (the limit in MB and in bytes) and members, both documented."""
    answers = {}
    for what, (path, _) in UPLOADS.items():
        response = requests.post(
            f"{world.system.gateway}{PREFIX}/{path.format(**world.resources)}", data=data, timeout=60,
            headers={"Authorization": f"Bearer {world.token('draft_jobcoach')}",
                     "Content-Type": "application/octet-stream",
                     "Content-Disposition": f'attachment; filename="{filename}"'})
        assert response.status_code == status, (what, response.status_code, response.text[:300])
        assert response.headers["Content-Type"] == "application/problem+json"
        body = response.json()
        body.pop("request_id")
        answers[what] = body
    assert answers["evidence"] == answers["meeting proof"]
    for what, (_, operation) in UPLOADS.items():
        answer = document["paths"][PREFIX + operation]["post"]["responses"].get(str(status), {})
        types = [t["type"] for t in answer.get("x-problem-types", [])]
        assert f"https://recert.noloc.nl/problems/{refusal}" in types, (what, answer)
    assert answers["evidence"]["type"] == f"https://recert.noloc.nl/problems/{refusal}"
    assert set(answers["evidence"]) - {"type", "title", "status", "detail"} == members
    if refusal == "upload-too-large":
        assert answers["evidence"]["max_bytes"] == TWENTY_MB
        assert "20 MB (20971520 bytes)" in answers["evidence"]["detail"]


def test_the_password_rules_are_in_the_document(document):
    """At least 12 characters, stated by the schema of every body that sets a password."""
    schemas = document["components"]["schemas"]
    for path, field in (("/accounts", "password"), ("/admin/accounts", "password"),
                        ("/accounts/me/password", "new_password")):
        body = document["paths"][PREFIX + path]["post"]["requestBody"]["content"]["application/json"]
        schema = schemas[body["schema"]["$ref"].rsplit("/", 1)[1]]["properties"][field]
        assert schema["minLength"] == 12 and "12" in schema["description"], (path, schema)


# --- well-formed requests, and the findings' probes ------------------------------------------------------


def _validate(operation, response) -> BaseException | None:
    try:
        # Only the answer is checked: the case needs its path's names, not their values.
        case = operation.Case(path_parameters={p.name: "-" for p in operation.path_parameters})
        case.validate_response(response, checks=CHECKS)
    except (FailureGroup, AssertionError) as error:
        return error
    return None


@pytest.mark.parametrize("probe", PROBES, ids=lambda p: f"{p.finding}-{p.operation}")
def test_a_fixed_finding_stays_fixed(world, schema, probe):
    """Runs first, while the world is as ``populate`` left it."""
    operation = operations(schema)[probe.operation]
    call = OPERATIONS[probe.operation].call(world, probe.operation, probe.persona)
    call.params = probe.params if probe.params is not None else call.params
    if probe.json is not None and call.data is not None:  # the webhook: signed as the provider signs
        call.data = json.dumps(probe.json).encode()
        call.headers[signature.HEADER] = signature.sign(world.webhook_secret, call.data)
    elif probe.json is not None:
        call.json = probe.json
    response = call.send(world, world.token(probe.persona) if probe.persona else None)
    assert response.status_code < 500, f"{probe.finding} is back: {FINDINGS[probe.finding].summary}"
    error = _validate(operation, response)
    assert error is None, f"{probe.finding} is back ({FINDINGS[probe.finding].summary}): {error}"


def test_every_operation_asked_well_answers_as_documented(world, schema, subtests):
    for label, operation in operations(schema).items():
        with subtests.test(msg=label):
            assert label in OPERATIONS, f"{label} has no well-formed request in system_actors.OPERATIONS"
            spec = OPERATIONS[label]
            response = spec.call(world, label, spec.persona).send(
                world, world.token(spec.persona) if spec.persona else None)
            check(label, _validate(operation, response))


# --- fuzzing ---------------------------------------------------------------------------------------------


JOBCOACHES = ("jobcoach", "draft_jobcoach")  # the staff: test_fuzz_staff.py


@pytest.mark.timeout(240)  # a persona takes about 35 s alone; the guard leaves room for a loaded machine
@pytest.mark.parametrize("persona", JOBCOACHES)
def test_fuzzed_requests_get_no_server_error_and_documented_answers(world, schema, persona, subtests):
    fuzz_persona(world, schema, persona, subtests)


WEBHOOK = "POST /payments/webhook"


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_fuzzed_payment_notifications_signed_by_the_provider_get_documented_answers(world, schema, mode):
    """Past the signature check: what the webhook does with any body the provider might sign."""
    operation = operations(schema)[WEBHOOK]
    session = requests.Session()
    session.trust_env = False

    @settings(FUZZING, max_examples=3 * REAL)
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        # A malformed body may come as raw bytes rather than as JSON.
        body = case.body if isinstance(case.body, bytes) else \
            b"" if case.body is NOT_SET else json.dumps(case.body).encode()
        response = session.post(f"{world.system.gateway}{operation.path}", data=body, timeout=30, headers={
            "Content-Type": "application/json", signature.HEADER: signature.sign(world.webhook_secret, body)})
        case.validate_response(response, checks=CHECKS)

    try:
        run()
    except (FailureGroup, AssertionError) as error:
        check(WEBHOOK, error)


def test_the_system_is_still_well_after_the_fuzzing(world):
    assert_still_well(world, JOBCOACHES)
