"""One OpenAPI document for the whole API, merged from the services' own.

Each service's ``/v1/openapi.json`` is fetched (concurrently, with a short timeout, the result cached for a
few seconds). Of each document only the paths that the route table sends to that service are kept, moved
from ``/v1/x`` to ``/api/v1/x``. Components are merged by name: the same name with the same content is kept
once; a clash is renamed ``<Name>_<service>`` in the later service's document, with its ``$ref``s (and, for
security schemes, its security requirements) rewritten to match. Services that did not answer are listed in
``x-unavailable-services``, so that a reader knows the document is partial.
"""
from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from recert_common.errors import (
    GENERIC_TYPES,
    PROBLEM_JSON,
    PROBLEM_TYPE_BASE,
    problem_answer,
    problem_schema,
)
from recert_gateway.compose import Call, Composer
from recert_gateway.routes import InvalidPath, RouteTable, split_path

OPENAPI_VERSION = "3.0.3"
SERVICE_PREFIX = "/v1/"
GATEWAY_PREFIX = "/api/v1/"
UNAVAILABLE = "x-unavailable-services"
_REF_PREFIX = "#/components/"

Renames = dict[tuple[str, str], str]


def _rewrite(node: Any, renames: Renames) -> Any:
    """A copy of ``node`` with component references and security requirements renamed."""
    if isinstance(node, Mapping):
        result = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_REF_PREFIX):
                section, _, name = value[len(_REF_PREFIX):].partition("/")
                renamed = renames.get((section, name))
                result[key] = f"{_REF_PREFIX}{section}/{renamed}" if renamed else value
            elif key == "security" and isinstance(value, list):
                result[key] = [_renamed_requirement(req, renames) for req in value]
            else:
                result[key] = _rewrite(value, renames)
        return result
    if isinstance(node, list):
        return [_rewrite(item, renames) for item in node]
    return node


def _renamed_requirement(requirement: Any, renames: Renames) -> Any:
    if not isinstance(requirement, Mapping):
        return requirement
    return {renames.get(("securitySchemes", scheme), scheme): scopes
            for scheme, scopes in requirement.items()}


def _component_renames(service: str, components: Mapping[str, Any],
                       merged: Mapping[str, Mapping[str, Any]]) -> Renames:
    """Which of ``service``'s components must be renamed so as not to clash with those already merged.

    Repeated until nothing changes: renaming one schema changes the content of the schemas that refer to it,
    which may then clash in turn.
    """
    renames: Renames = {}
    taken = {(section, name) for section, items in merged.items() for name in items}
    taken |= {(section, name) for section, items in components.items() if isinstance(items, Mapping)
              for name in items}
    while True:
        rewritten = _rewrite(components, renames)
        added = False
        for section, items in rewritten.items():
            if not isinstance(items, Mapping):
                continue
            for name, value in items.items():
                existing = merged.get(section, {}).get(name)
                if (section, name) in renames or existing is None or existing == value:
                    continue
                new_name, number = f"{name}_{service.replace('-', '_')}", 2
                while (section, new_name) in taken:
                    new_name, number = f"{name}_{service.replace('-', '_')}{number}", number + 1
                taken.add((section, new_name))
                renames[(section, name)] = new_name
                added = True
        if not added:
            return renames


PROBLEM = "Problem"


def _union_problem(merged: Mapping[str, Any] | None, schema: Mapping[str, Any]) -> dict[str, Any]:
    if merged is None:
        return copy.deepcopy(dict(schema))
    properties = dict(merged.get("properties") or {})
    for name, value in (schema.get("properties") or {}).items():
        known = properties.get(name)
        if known is None:
            properties[name] = copy.deepcopy(value)
        elif known != value and "Given by: " in str(value.get("description", "")):
            # The same member given by more types: name them all.
            given = sorted(set(str(known.get("description", "")).partition("Given by: ")[2].split(", "))
                           | set(str(value["description"]).partition("Given by: ")[2].split(", ")))
            head = str(known.get("description", "")).partition("Given by: ")[0]
            properties[name] = {**known, "description": f"{head}Given by: {', '.join(g for g in given if g)}"}
    return {**merged, "properties": properties}


def gateway_path(path: str, service: str, routes: RouteTable) -> str | None:
    """``/v1/x`` as the gateway serves it (``/api/v1/x``), or ``None`` when the gateway does not send it to
    ``service``."""
    if not path.startswith(SERVICE_PREFIX):
        return None
    try:
        segments = split_path(path[len(SERVICE_PREFIX):])
    except InvalidPath:
        return None
    route = routes.match(segments)
    if route is None or route.service != service:
        return None
    return GATEWAY_PREFIX + path[len(SERVICE_PREFIX):]


def merge_documents(documents: Sequence[tuple[str, Mapping[str, Any]]], routes: RouteTable, *,
                    unavailable: Sequence[str] = (), title: str, version: str,
                    description: str = "") -> dict[str, Any]:
    """Merge ``(service, document)`` pairs, in order, into one document."""
    merged_paths: dict[str, Any] = {}
    merged_components: dict[str, dict[str, Any]] = {}
    tags: dict[str, Any] = {}
    problem: dict[str, Any] | None = None
    for service, document in documents:
        components = document.get("components") or {}
        # One problem+json schema for all: each service's names the members of its own types; their union
        # names every member (the rest of the schema is the same everywhere, from recert_common).
        schemas = components.get("schemas")
        if isinstance(schemas, Mapping) and isinstance(schemas.get(PROBLEM), Mapping):
            problem = _union_problem(problem, schemas[PROBLEM])
            components = {**components, "schemas": {k: v for k, v in schemas.items() if k != PROBLEM}}
        renames = _component_renames(service, components, merged_components)
        for section, items in _rewrite(components, renames).items():
            if not isinstance(items, Mapping):
                continue
            target = merged_components.setdefault(section, {})
            for name, value in items.items():
                target.setdefault(renames.get((section, name), name), value)
        for path, item in (document.get("paths") or {}).items():
            public = gateway_path(path, service, routes)
            if public is not None and public not in merged_paths:
                merged_paths[public] = _rewrite(item, renames)
        for tag in document.get("tags") or []:
            if isinstance(tag, Mapping) and tag.get("name"):
                tags.setdefault(tag["name"], copy.deepcopy(dict(tag)))
    if problem is not None:
        merged_components.setdefault("schemas", {})[PROBLEM] = problem
    merged: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {"title": title, "version": version, **({"description": description} if description else {})},
        "paths": dict(sorted(merged_paths.items())),
        "components": {section: dict(sorted(items.items())) for section, items in merged_components.items()},
        UNAVAILABLE: sorted(unavailable),
    }
    if tags:
        merged["tags"] = list(tags.values())
    return merged


_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# What the gateway itself answers for every request it forwards: the service did not answer (502), too late
# (504), or tokens cannot be checked (503).
_FORWARDING_ANSWERS = (502, 503, 504)
# What its server answers for every request it cannot read, before any route (``recert_common.web_worker``):
# a malformed request (400), a request line too long (414), an Expect it cannot meet (417), header fields
# too large (431).
_UNREADABLE_ANSWERS = (400, 414, 417, 431)


def document_gateway_answers(document: dict[str, Any], routes: RouteTable) -> None:
    """Add, in place, the error answers the gateway gives itself, each with its problem type: 401 on every
    operation that needs a token, 413 on every one with a body (``upload-too-large`` on uploads), 429 on
    rate-limited ones, 502/503/504 on every forwarded one, 400/414/417/431 on every one (its server
    refuses a request it cannot read before any route: ``recert_common.web_worker``); and name the problem
    types of any error answer that does not name them yet (so each lists its ``x-problem-types``)."""
    for path, item in (document.get("paths") or {}).items():
        if not path.startswith(GATEWAY_PREFIX) or not isinstance(item, dict):
            continue
        try:
            segments = split_path(path[len(GATEWAY_PREFIX):])
        except InvalidPath:
            continue
        route = routes.match(segments)
        for method, operation in item.items():
            if method not in _METHODS or not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            own: dict[int, str | None] = {int(s): None for s in responses
                                          if str(s).isdigit() and int(s) >= 400}
            own.update({status: GENERIC_TYPES[status] for status in _UNREADABLE_ANSWERS})
            if route is not None:
                own.update({status: GENERIC_TYPES[status] for status in _FORWARDING_ANSWERS})
                if route.rate_limit_rule(method.upper(), segments) is not None:
                    own[429] = GENERIC_TYPES[429]
                if not route.is_public(method.upper(), segments):
                    own[401] = GENERIC_TYPES[401]
                if operation.get("requestBody"):
                    own[413] = "upload-too-large" if route.is_upload(method.upper(), segments) \
                        else GENERIC_TYPES[413]
            for status, slug in sorted(own.items()):
                responses[str(status)] = _with_type(responses.get(str(status)), status, slug)
            operation["responses"] = dict(sorted(responses.items()))
    # The types the gateway's own answers add (429, 502, 504) are in the gateway's registry too.
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas[PROBLEM] = _union_problem(schemas.get(PROBLEM), problem_schema())


def _with_type(existing: Any, status: int, slug: str | None) -> dict[str, Any]:
    """``existing`` (a response object, or nothing) naming the problem type ``slug`` too (``None``: the
    status's generic type, only when it names none yet)."""
    if not isinstance(existing, dict) or "x-problem-types" not in existing:
        answer = problem_answer(status, [slug] if slug else [])
        if isinstance(existing, dict) and existing.get("description"):
            answer["description"] = f"{existing['description']} {answer['description']}"
        if isinstance(existing, dict) and PROBLEM_JSON in (existing.get("content") or {}):
            answer["content"] = existing["content"]  # its own problem schema stays
        return answer
    uri = PROBLEM_TYPE_BASE + slug if slug else None
    if uri is None or any(t.get("type") == uri for t in existing["x-problem-types"]):
        return existing
    added = problem_answer(status, [slug])["x-problem-types"][0]
    answer = copy.deepcopy(existing)
    answer["x-problem-types"].append(added)
    answer["description"] = f"{answer.get('description', '').rstrip('.')}; `{uri}`" + (
        f" ({', '.join(added['members'])})." if added["members"] else ".")
    for part in (answer.get("content") or {}).get(PROBLEM_JSON, {}).get("schema", {}).get("allOf", []):
        enum = ((part.get("properties") or {}).get("type") or {}).get("enum")
        if isinstance(enum, list):
            enum.append(uri)
    return answer


def _usable(document: Any) -> bool:
    return isinstance(document, Mapping) and isinstance(document.get("paths", {}), Mapping) \
        and isinstance(document.get("components", {}), Mapping)


class MergedOpenAPI:
    """The merged document, rebuilt at most every ``cache_seconds``; one build at a time."""

    def __init__(self, routes: RouteTable, composer: Composer, *, timeout: float, cache_seconds: float,
                 title: str = "Register Jobcoach recertificatie API", version: str = "1",
                 description: str = "", clock: Callable[[], float] = time.monotonic,
                 extend: Callable[[dict[str, Any]], None] | None = None):
        self.routes = routes
        self.composer = composer
        self.timeout = timeout
        self.cache_seconds = cache_seconds
        self.title = title
        self.version = version
        self.description = description
        self._clock = clock
        self._extend = extend  # adds the gateway's own paths (composed endpoints) to each merged document
        self._lock = threading.Lock()
        self._document: dict[str, Any] | None = None
        self._built_at = 0.0

    def document(self) -> dict[str, Any]:
        with self._lock:
            if self._document is None or self._clock() - self._built_at >= self.cache_seconds:
                self._document = self._build()
                self._built_at = self._clock()
            return self._document

    def _build(self) -> dict[str, Any]:
        services = self.routes.services()
        fetched = self.composer.fetch({service: Call(service, "/v1/openapi.json") for service in services},
                                      timeout=self.timeout)
        documents = [(service, fetched.documents[service]) for service in services
                     if _usable(fetched.documents.get(service))]
        answered = {service for service, _ in documents}
        merged = merge_documents(documents, self.routes,
                                 unavailable=[s for s in services if s not in answered],
                                 title=self.title, version=self.version, description=self.description)
        if self._extend is not None:
            self._extend(merged)
        document_gateway_answers(merged, self.routes)
        return merged
