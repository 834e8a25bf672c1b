"""The composed endpoints (``composed.py``) in the merged OpenAPI document.

A part passed on as a service sent it is described by that service's own response schema, taken from the
merged document (so it follows the service's renames, and never drifts from what the service answers);
when that service's document did not arrive, the part is described as a plain object.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from recert_common.auth import BEARER_SCHEME
from recert_common.errors import PROBLEM_JSON
from recert_gateway.composed import ASSESSOR_ACTIONS, CASE_STATES, WAITING_FOR, Endpoint

TAG = "Composed"
_SCHEMAS = "#/components/schemas/"
ABSENCE = "ComposedAbsence"
PROBLEM = "ComposedProblem"

SchemaOf = Callable[[Mapping[str, Any]], dict[str, Any]]


def _response_schema(document: Mapping[str, Any], path: str) -> Any:
    """The JSON schema of ``GET path``'s 200 answer in ``document``, or ``None``."""
    try:
        return document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    except (KeyError, TypeError):
        return None


def _resolved(document: Mapping[str, Any], schema: Any) -> Any:
    if isinstance(schema, Mapping) and str(schema.get("$ref", "")).startswith(_SCHEMAS):
        return (document.get("components") or {}).get("schemas", {}).get(schema["$ref"][len(_SCHEMAS):])
    return schema


def _item_schema(document: Mapping[str, Any], path: str) -> Any:
    """The schema of one item of ``GET path``'s answer: a list, or a page with ``items``."""
    schema = _resolved(document, _response_schema(document, path))
    if not isinstance(schema, Mapping):
        return None
    if schema.get("type") == "array":
        return schema.get("items")
    items = (schema.get("properties") or {}).get("items")
    return items.get("items") if isinstance(items, Mapping) else None


def _nullable(schema: Any, description: str) -> dict[str, Any]:
    if schema is None:
        return {"type": "object", "nullable": True, "description": description}
    return {"allOf": [schema], "nullable": True, "description": description}


def as_answered(path: str, note: str = "") -> SchemaOf:
    """A part that is the service's answer to ``GET path`` (an ``/api/v1/...`` path)."""
    return lambda document: _nullable(_response_schema(document, path),
                                      f"What `GET {path}` answers{note}.")


def _case(document: Mapping[str, Any], key: str, values: Sequence[str], description: str) -> dict[str, Any]:
    mark = {key: {"type": "string", "enum": sorted(set(values)), "description": description}}
    summary = _resolved(document, _item_schema(document, "/api/v1/cases"))
    if not isinstance(summary, Mapping):
        return {"type": "object", "properties": mark}
    # The case summary plus one property. Not allOf: the summary forbids additional properties, so no
    # item could match both (found by the fuzzer).
    return {**summary, "properties": {**summary.get("properties", {}), **mark}}


def case_list(key: str, values: Sequence[str], description: str, what: str) -> SchemaOf:
    return lambda document: {
        "type": "object", "nullable": True, "description": what,
        "properties": {"total": {"type": "integer"},
                       "items": {"type": "array", "items": _case(document, key, values, description)}}}


def _cases_by_state(document: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "object", "nullable": True,
            "description": "How many cases are in each state (`GET /api/v1/cases/counts`).",
            "properties": {state: {"type": "integer"} for state in CASE_STATES}}


def _overdue(document: Mapping[str, Any]) -> dict[str, Any]:
    item = _item_schema(document, "/api/v1/cases/overdue") or {"type": "object"}
    return {"type": "object", "nullable": True,
            "description": "The open cases past their due date (`overdue`) or due soon (`due_soon`), counted "
                           "by `GET /api/v1/cases/counts`; `items`: the first 100 that `GET "
                           "/api/v1/cases/overdue` lists (most urgent first).",
            "properties": {"overdue": {"type": "integer"}, "due_soon": {"type": "integer"},
                           "items": {"type": "array", "items": item}}}


def _pe_checks(document: Mapping[str, Any]) -> dict[str, Any]:
    summary = _item_schema(document, "/api/v1/cases") or {"type": "object"}
    return {"type": "object", "nullable": True,
            "description": "The cases waiting for DNV's PE check (state opened), soonest due first.",
            "properties": {"total": {"type": "integer"}, "items": {"type": "array", "items": summary}}}


PART_SCHEMAS: Mapping[tuple[str, str], SchemaOf] = {
    ("dashboard", "certificate"): as_answered("/api/v1/certificates/mine"),
    ("dashboard", "pe"): as_answered("/api/v1/pe/summary"),
    ("dashboard", "portfolio"): as_answered("/api/v1/portfolio/cycles/current",
                                            ", without `parts` and `meetings`"),
    ("dashboard", "readiness"): as_answered("/api/v1/portfolio/cycles/current/readiness"),
    ("dashboard", "invoices"): as_answered("/api/v1/invoices", " with `state=open`"),
    ("dashboard", "messages"): as_answered("/api/v1/messages/unread-count"),
    ("worklist", "to_do"): case_list("action", list(ASSESSOR_ACTIONS.values()),
                                     "What the assessor is to do: advise, or reassess after a supplement.",
                                     "Cases waiting for the assessor, soonest due first."),
    ("worklist", "waiting"): case_list("waiting_for", list(WAITING_FOR.values()), "Whom the case waits for.",
                                       "Open cases of the assessor waiting for someone else."),
    ("worklist", "messages"): as_answered("/api/v1/messages/unread-count"),
    ("overview", "cases_by_state"): _cases_by_state,
    ("overview", "overdue"): _overdue,
    ("overview", "pe_checks_waiting"): _pe_checks,
}

_ABSENCE_SCHEMA = {
    "type": "object",
    "description": "Why a part is absent: the service's 404 problem (there is none yet).",
    "properties": {"status": {"type": "integer"}, "type": {"type": "string", "format": "uri"},
                   "title": {"type": "string"}, "detail": {"type": "string"}},
}
_PROBLEM_SCHEMA = {
    "type": "object",
    "additionalProperties": True,
    "properties": {"type": {"type": "string", "format": "uri"}, "title": {"type": "string"},
                   "status": {"type": "integer"}, "detail": {"type": "string"},
                   "request_id": {"type": "string"}},
}


def _answer_schema(document: Mapping[str, Any], endpoint: Endpoint) -> dict[str, Any]:
    names = [part.name for part in endpoint.parts]
    return {
        "type": "object",
        "required": [*names, "absent", "missing", "partial"],
        "properties": {
            **{part.name: PART_SCHEMAS[(endpoint.path, part.name)](document) for part in endpoint.parts},
            "absent": {"type": "object", "additionalProperties": {"$ref": _SCHEMAS + ABSENCE},
                       "description": "Parts that do not exist (yet), by name: not missing, just none."},
            "missing": {"type": "array", "items": {"type": "string", "enum": names},
                        "description": "Parts that did not arrive (service down, too slow, or failing)."},
            "partial": {"type": "boolean", "description": "true exactly when `missing` is not empty."},
        },
    }


def _problem(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {PROBLEM_JSON: {"schema": {"$ref": _SCHEMAS + PROBLEM}}}}


def _operation(endpoint: Endpoint, schema_name: str) -> dict[str, Any]:
    return {
        "tags": [TAG],
        "summary": endpoint.summary,
        "description": endpoint.description + f" Role: {endpoint.role}.",
        "operationId": f"composed_{endpoint.path}",
        "security": [{BEARER_SCHEME: []}],
        "responses": {
            "200": {"description": "The parts that arrived; see `missing` and `absent`.",
                    "content": {"application/json": {"schema": {"$ref": _SCHEMAS + schema_name}}}},
            "401": _problem("No valid access token (also when a service refused it)."),
            "403": _problem(f"Only for the role {endpoint.role}."),
            "503": _problem("Tokens cannot be checked right now (identity's keys are unavailable)."),
        },
    }


def document_composed(document: dict[str, Any], endpoints: Sequence[Endpoint]) -> None:
    """Add ``endpoints`` to the merged ``document``, in place."""
    if not endpoints:
        return
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas[ABSENCE] = _ABSENCE_SCHEMA
    schemas[PROBLEM] = _PROBLEM_SCHEMA
    components.setdefault("securitySchemes", {}).setdefault(
        BEARER_SCHEME, {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    paths = document.setdefault("paths", {})
    for endpoint in endpoints:
        name = "Composed" + endpoint.path.capitalize()
        schemas[name] = _answer_schema(document, endpoint)
        paths[f"/api/v1/{endpoint.path}"] = {"get": _operation(endpoint, name)}
    document["paths"] = dict(sorted(paths.items()))
    components["schemas"] = dict(sorted(schemas.items()))
    tags = document.setdefault("tags", [])
    if not any(isinstance(tag, Mapping) and tag.get("name") == TAG for tag in tags):
        tags.append({"name": TAG, "description": "Several services' answers in one round trip, for "
                                                 "frontends' start pages."})
