"""The parts every service's Flask app is made of, assembled by ``create_base_app`` (and, for a service
with a database and the broker, by ``create_service_app``).

A service's ``app.py``::

    def create_app(settings=None, *, service=None, verifier=None):
        settings = settings or PortfolioSettings.from_env("portfolio")
        service = service or build_service(settings)
        return create_service_app(settings, service, title="Portfolio", extension="portfolio",
                                  blueprints=BLUEPRINTS, problems=PROBLEMS, verifier=verifier)

``PROBLEMS`` (the service's ``problems.py``) answers the refusals its domain raises; ``@answers(...)`` on a
view documents the answers it may give besides those its schemas and route imply.
"""
from __future__ import annotations

import http
import ipaddress
import logging
import re
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from apispec import BasePlugin
from flask import Flask, Response, current_app, g, request
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from marshmallow import fields as ma_fields

from recert_common.auth import BEARER_SCHEME, TOKEN_CACHE_SIZE, TokenVerifier, init_auth
from recert_common.config import LOOPBACK
from recert_common.context import new_correlation_id, reset_correlation_id, set_correlation_id
from recert_common.domain_errors import DomainError, ProblemMap
from recert_common.errors import (
    GENERIC_TYPES,
    PROBLEM_JSON,
    BadRequest,
    NotFound,
    Problem,
    ProblemSchema,
    ServiceUnavailable,
    ValidationProblem,
    handle_unexpected,
    problem_answer,
    problem_response,
    problem_schema,
    register_error_handlers,
)
from recert_common.logging import configure_logging
from recert_common.metrics import install_metrics
from recert_common.schemas import Computed

REQUEST_ID_HEADER = "X-Request-ID"
# What we accept from outside as a request id: UUIDs and the usual trace ids. Anything else (too long, or with
# characters that could forge log lines) is replaced by a new id.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
# Probes and scrapes arrive every few seconds; their access log lines are DEBUG so they do not drown the rest.
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

ReadinessCheck = Callable[[], object]

_access_log = logging.getLogger("recert.access")
_log = logging.getLogger(__name__)


ANSWERS_KEY = "x-answers"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def answers(*problems: type[Problem] | int) -> Callable[[Any], Any]:
    """Document the error answers of one operation that its shape does not imply.

    ``@answers(ActivityLocked, 404)`` below the route decorator: each problem class adds its type under its
    status, a bare status its generic type. What every operation of its shape can answer (401 and 403 with
    a token, 404 with a path id, 400/413/422 with a body, 422 with a query, 503) is documented without this
    (``ErrorAnswersPlugin``).
    """
    entries = []
    for problem in problems:
        if isinstance(problem, int):
            entries.append(str(problem))
        else:
            entries.append(f"{problem.status}:{problem.slug}")

    def decorator(view: Any) -> Any:
        apidoc = {**getattr(view, "_apidoc", {})}
        manual = {**apidoc.get("manual_doc", {})}
        manual[ANSWERS_KEY] = [*manual.get(ANSWERS_KEY, []), *entries]
        apidoc["manual_doc"] = manual
        view._apidoc = apidoc
        return view

    return decorator


def implied_answers(path: str, operation: Mapping[str, Any]) -> set[int]:
    """The error statuses an operation can answer by its shape, each with its generic problem type."""
    found = {503}
    if operation.get("security"):
        found |= {401, 403}
    if "{" in path:
        found.add(404)
    if any(isinstance(p, Mapping) and p.get("in") == "query" for p in operation.get("parameters", [])):
        found.add(422)
    body = operation.get("requestBody")
    if body:
        found.add(413)
        if "application/json" in (body.get("content") or {}):
            found |= {400, 422}
    return found


def document_error_answers(path: str, operation: dict[str, Any]) -> None:
    """Give ``operation`` every error answer it can give, each a problem+json with its types named: the
    generic type of each status its shape implies or a bare status declares, and each declared type."""
    generic = implied_answers(path, operation)
    declared: dict[int, list[str]] = {}
    for entry in operation.pop(ANSWERS_KEY, []):
        status, _, slug = str(entry).partition(":")
        if slug:
            declared.setdefault(int(status), []).append(slug)
        else:
            generic.add(int(status))
    responses = operation.setdefault("responses", {})
    responses.pop("default", None)
    # An error answer documented by other means (``alt_response``) is named as well.
    generic |= {int(status) for status in responses if str(status).isdigit() and int(status) >= 400}
    for status in sorted(generic | set(declared)):
        slugs = ([GENERIC_TYPES[status]] if status in generic and status in GENERIC_TYPES else [])
        slugs += declared.get(status, [])
        answer = problem_answer(status, slugs)
        existing = responses.get(str(status))
        if isinstance(existing, Mapping) and existing.get("description") \
                and "x-problem-types" not in existing:
            answer["description"] = f"{existing['description']} {answer['description']}"
        responses[str(status)] = answer


class ErrorAnswersPlugin(BasePlugin):
    """apispec plugin: every operation documents the error answers it can give (``document_error_answers``)
    and the ``Problem`` schema carries every registered type's extra members."""

    def init_spec(self, spec: Any) -> None:
        super().init_spec(spec)
        self.spec = spec

    def operation_helper(self, path: str | None = None, operations: dict | None = None,
                         **kwargs: Any) -> None:
        for method, operation in (operations or {}).items():
            if method in _METHODS and isinstance(operation, dict):
                document_error_answers(path or "", operation)
        # The types known so far (every service module defining problems is imported before its views are
        # documented); redone per path, so the last one has them all.
        self.spec.components.schemas["Problem"] = problem_schema()


class RecertApi(Api):
    """flask-smorest's Api with problem+json errors, in the handlers and in the OpenAPI document.

    No operation has a catch-all ``default`` answer: each lists the statuses it can give (``answers``)."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self) -> None:
        register_error_handlers(self._app)

    def _register_responses(self) -> None:
        # As flask-smorest 0.47 does it, but documented with our content type.
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not 100 <= status < 200 and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


class RecertFlask(Flask):
    """Flask, remembering which functions are plain (not coroutine) functions: Flask asks of every hook and
    view on every request (``ensure_sync``, where ``inspect`` walks the function each time), a dozen times a
    request in the gateway (ADR 0037). A weak set: a function made for one request (``after_this_request``)
    is not kept alive by it; coroutine functions are asked about each time, as before."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._plain: weakref.WeakSet[Callable] = weakref.WeakSet()

    def ensure_sync(self, func: Callable) -> Callable:
        try:
            if func in self._plain:
                return func
        except TypeError:  # not weakly referable (a builtin): asked each time
            return super().ensure_sync(func)
        synced = super().ensure_sync(func)
        if synced is func:
            self._plain.add(func)
        return synced


def create_base_app(
    settings: Any,
    *,
    title: str,
    version: str = "1.0.0",
    readiness: Mapping[str, ReadinessCheck] | None = None,
    verifier: TokenVerifier | None = None,
    readiness_timeout: float = 2.0,
    import_name: str | None = None,
) -> tuple[Flask, RecertApi]:
    """A Flask app and its flask-smorest Api with everything services share.

    JSON logs; ``X-Request-ID``; access log; security headers; problem+json errors; ``MAX_CONTENT_LENGTH``
    from ``settings.max_body_bytes``; OpenAPI 3.0.3 at ``/v1/openapi.json`` with the bearer scheme;
    ``/healthz``, ``/readyz`` (running ``readiness``) and ``/metrics``; token verification when ``verifier``
    is given.
    """
    configure_logging(settings.service, settings.log_level)
    app = RecertFlask(import_name or "recert_" + settings.service.replace("-", "_"), static_folder=None)
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        API_TITLE=title,
        API_VERSION=version,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/v1",
        OPENAPI_JSON_PATH="openapi.json",
    )
    app.extensions["recert_settings"] = settings
    app.json = SafeJSONProvider(app)
    install_metrics(app)  # first, so that its timer covers the other hooks
    install_security_headers(app)
    install_request_id(app)
    install_access_log(app)
    api = RecertApi(app, spec_kwargs={"extra_plugins": [ErrorAnswersPlugin()]})
    # flask-smorest registered ProblemSchema as "Problem"; the document's version names every member.
    api.spec.components.schemas["Problem"] = problem_schema()
    api.ma_plugin.converter.add_attribute_function(_decimal_as_string)
    api.ma_plugin.converter.add_attribute_function(_computed_as_shown)
    api.ma_plugin.converter.add_attribute_function(_nullable_reference)
    api.spec.components.security_scheme(
        BEARER_SCHEME, {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    install_probes(app, readiness or {}, timeout=readiness_timeout)
    install_internal_only(app, INTERNAL_PATHS, getattr(settings, "internal_networks", LOOPBACK))
    if verifier is not None:
        init_auth(app, verifier)
    return app, api


def create_service_app(
    settings: Any,
    service: Any,
    *,
    title: str,
    extension: str,
    blueprints: Sequence[Any],
    verifier: TokenVerifier | None = None,
    storage: ReadinessCheck | None = None,
    problems: ProblemMap | None = None,
) -> Flask:
    """The app of a service that owns a database (``service.db``) and talks to the broker.

    ``problems`` answers the refusals the service's domain and use cases raise (``DomainError``); one it
    does not name is a 500.

    Ready when the database and the broker answer, and ``storage`` too when the service keeps files. The
    service object is kept in ``app.extensions[extension]`` for the views; tokens are checked by
    ``verifier``, by default against the JWKS in ``settings``, and then against the revocation read model
    in ``service.db`` (``recert_common.revocation``) unless the verifier brings a revocation check of its own.
    """
    from recert_common import readiness
    from recert_common.revocation import DatabaseRevocations

    checks: dict[str, ReadinessCheck] = {"database": service.db.ping,
                                         "broker": readiness.broker(settings.amqp_url)}
    if storage is not None:
        checks["storage"] = storage
    # The signature and claims are checked once per token; the revocation on every request (ADR 0037).
    verifier = verifier or TokenVerifier.from_settings(settings, cache_size=TOKEN_CACHE_SIZE)
    if verifier.revocations is None:
        verifier = verifier.with_revocations(DatabaseRevocations(service.db))
    app, api = create_base_app(settings, title=title, version="1.0.0", readiness=checks, verifier=verifier)
    app.extensions[extension] = service
    install_problem_map(app, problems or ProblemMap({}))
    # Services read their JSON bodies; the gateway streams them through and must not, so it is here.
    app.before_request(check_request_input)
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    return app


def install_problem_map(app: Flask, problems: ProblemMap) -> None:
    """Answer a ``DomainError`` raised below a view with the problem ``problems`` gives for it."""

    def answer(error: DomainError) -> Response:
        problem = problems.problem_for(error)
        if problem is None:
            return handle_unexpected(error)  # a refusal without an answer is a programming error
        return problem_response(problem)

    app.register_error_handler(DomainError, answer)


def _decimal_as_string(self, field, **kwargs) -> dict:
    """apispec attribute function: a Decimal sent as a string is documented as one (apispec says number),
    so clients and the fuzzer read the answers the way they are written."""
    if isinstance(field, ma_fields.Decimal) and field.as_string:
        return {"type": "string", "format": "decimal"}
    return {}


def _computed_as_shown(self, field, ret, **kwargs) -> dict:
    """apispec attribute function: a ``schemas.Computed`` value is documented as the typed field it names
    (its own description, nullability and required flag kept)."""
    if isinstance(field, Computed):
        shown = self.field2property(field.shown_as)
        return {key: value for key, value in shown.items() if key not in ret or key in ("type", "items")}
    return {}


def _nullable_reference(self, field, ret, **kwargs) -> dict:
    """apispec attribute function: a nested schema that may be null is documented as that schema or null
    (``allOf: [$ref], nullable: true``), not as apispec's ``anyOf`` of it and an object without members,
    which a client's generated types read as ``{} | null | Schema`` and must test member by member."""
    any_of = ret.get("anyOf")
    empty = {"type": "object", "nullable": True}
    if field.allow_none and isinstance(any_of, list) and len(any_of) == 2 and empty in any_of:
        del ret["anyOf"]
        return {"allOf": [next(item for item in any_of if item != empty)], "nullable": True}
    return {}


# Every JSON body a service reads is loaded once, here, before any view or schema sees it
# (``check_request_input`` and Flask's ``request.get_json`` both end in ``load_json``):
# - nesting deeper than MAX_JSON_DEPTH answers 400 (Python's parser would raise RecursionError, a 500, at
#   about a thousand levels; no document of ours is deeper than a handful);
# - a NUL character cannot be stored in PostgreSQL text and means nothing in our input (found by the fuzzer);
# - a lone UTF-16 surrogate (``"a\ud800b"``, valid JSON escape, not a character) cannot be encoded as UTF-8,
#   so it would fail in the database or in a PDF: both answer 422 with the fields that hold them.
MAX_JSON_DEPTH = 64
_NUL = "\x00"


def load_json(data: bytes | str) -> Any:
    """The JSON document in ``data``, refused as a problem when it is too deep or holds characters we cannot
    keep. Raises ``ValueError`` (as ``json.loads`` does) when it is not JSON at all."""
    import json

    try:
        document = json.loads(data)
    except RecursionError:
        raise BadRequest(code="detail.json_too_deep", params={"max_depth": MAX_JSON_DEPTH}) from None
    bad = invalid_text_paths(document)
    if bad:
        raise ValidationProblem(bad)
    return document


def invalid_text_paths(document: Any) -> dict[str, list[str]]:
    """Per dotted path, what is wrong with the texts (keys included) of ``document``: NUL characters and
    lone surrogates. Raises the 400 problem when the document is nested deeper than ``MAX_JSON_DEPTH``.
    Walks without recursion, so a deep document cannot exhaust the stack here either."""
    found: dict[str, list[str]] = {}
    stack: list[tuple[Any, str, int]] = [(document, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            _judge_text(value, path or "body", found)
            continue
        if not isinstance(value, dict | list):
            continue
        if depth >= MAX_JSON_DEPTH:
            raise BadRequest(code="detail.json_too_deep", params={"max_depth": MAX_JSON_DEPTH})
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            child = f"{path}.{key}" if path else str(key)
            if isinstance(key, str):
                _judge_text(key, child, found)
            stack.append((item, child, depth + 1))
    return found


def _judge_text(text: str, path: str, found: dict[str, list[str]]) -> None:
    # The path names the field in the answer, so it must be writable itself (a key may hold the surrogate).
    path = path.encode("utf-8", "backslashreplace").decode("utf-8")
    if _NUL in text:
        found.setdefault(path, []).append("field.nul_character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        found.setdefault(path, []).append("field.lone_surrogate")


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, loading through ``load_json`` (so ``request.get_json`` refuses what we cannot keep)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return load_json(s)


_RAW_BODY = "_recert_reads_raw_body"


def reads_raw_body(view: Callable) -> Callable:
    """Marks a view that reads its body itself (a signed webhook, which checks the signature over the raw
    bytes before parsing anything): ``check_request_input`` leaves its body alone; it loads it with
    ``load_json``. Put it right under the route decorator's stack (wrappers copy the mark)."""
    setattr(view, _RAW_BODY, True)
    return view


def check_request_input() -> None:
    """Before every view of a service: NUL characters in the query or path, and the JSON body as
    ``load_json`` judges it (malformed JSON is left to the view's schema, which answers 400)."""
    fields_with_nul = [name for name, value in request.args.items(multi=True) if _NUL in name + value]
    if _NUL in request.path:
        fields_with_nul.append("path")
    if fields_with_nul:
        raise ValidationProblem({name: ["field.nul_character"] for name in fields_with_nul})
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and getattr(view, _RAW_BODY, False):
        return
    if request.is_json and (request.content_length or 0) <= (request.max_content_length or 0):
        request.get_json(silent=True)  # caches the document; raises the problem for a deep or bad one


# Every answer is an API answer (JSON, problem+json, a file): nothing in it is to be run, framed or sniffed.
# A view that serves something a browser shows (the gateway's API reference page, a file download) sets its
# own Content-Security-Policy, which is kept.
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000"
CLIENT_SCHEME = "recert_client_scheme"  # in ``g``: the scheme the client used, when a trusted proxy said so
_SECURITY_HEADERS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                     ("Content-Security-Policy", API_CONTENT_SECURITY_POLICY),
                     ("Referrer-Policy", "no-referrer"))


def install_security_headers(app: Flask) -> None:
    """``X-Content-Type-Options: nosniff``, frame denial (``X-Frame-Options: DENY`` and the CSP's
    ``frame-ancestors 'none'``), a CSP for API answers, ``Referrer-Policy: no-referrer``, and
    Strict-Transport-Security when the client came over TLS: the request itself is secure, or a proxy we
    trust said so (the gateway puts the scheme it believes in ``g.recert_client_scheme``)."""

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        # Each added unless the response has it already (as ``setdefault`` would, with one look at the
        # headers instead of two per name).
        present = {name.lower() for name, _ in headers.items()}
        for name, value in _SECURITY_HEADERS:
            if name.lower() not in present:
                headers.add(name, value)
        if (request.is_secure or g.get(CLIENT_SCHEME) == "https") \
                and "strict-transport-security" not in present:
            headers.add("Strict-Transport-Security", HSTS)
        return response


# Served only to callers inside (health checks, the metrics scraper), never on the public side: readiness
# tells which dependency is down, metrics tell paths and volumes. /healthz stays open (it says only "alive").
INTERNAL_PATHS = frozenset({"/metrics", "/readyz"})
_PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def install_internal_only(app: Flask, paths: frozenset[str], networks: Sequence[Any]) -> None:
    """``paths`` answer only a direct caller from ``networks`` (``RECERT_INTERNAL_NETWORKS``, loopback by
    default); a request that came through a proxy (it carries a forwarding header) or from elsewhere gets 404,
    as if nothing were there."""

    @app.before_request
    def _internal_only() -> None:
        if request.path not in paths:
            return
        if any(name in request.headers for name in _PROXY_HEADERS) or not _within(request.remote_addr,
                                                                                    networks):
            raise NotFound(code="detail.route_not_found")


def _within(address: str | None, networks: Sequence[Any]) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in networks)


def install_request_id(app: Flask) -> None:
    """Take ``X-Request-ID`` from the request (or make one), bind it as correlation id, echo it back."""

    @app.before_request
    def _bind_request_id() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else new_correlation_id()
        bound = g._get_current_object()  # type: ignore[attr-defined]  # one lookup, not one per use
        bound.request_id = request_id
        bound._recert_correlation_token = set_correlation_id(request_id)

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id is not None:
            response.headers[REQUEST_ID_HEADER] = request_id
        return response

    @app.teardown_request
    def _unbind_request_id(_exc: BaseException | None) -> None:
        token = g.pop("_recert_correlation_token", None)
        if token is not None:
            try:
                reset_correlation_id(token)
            except ValueError:  # set in another context (a copied request context): nothing of ours to undo
                pass


def install_access_log(app: Flask) -> None:
    """One JSON line per request: method, path, status, duration (no query string: may hold personal data)."""

    @app.before_request
    def _start_clock() -> None:
        g._recert_access_started = time.perf_counter()

    @app.after_request
    def _log_request(response: Response) -> Response:
        started = g.pop("_recert_access_started", None)
        duration_ms = round((time.perf_counter() - started) * 1000, 3) if started is not None else None
        current = request._get_current_object()  # type: ignore[attr-defined]  # one lookup, not five
        method, path, status = current.method, current.path, response.status_code
        level = logging.DEBUG if path in _QUIET_PATHS else logging.INFO
        if _access_log.isEnabledFor(level):
            _access_log.log(level, "%s %s %s", method, path, status,
                            extra={"method": method, "path": path, "status": status,
                                   "duration_ms": duration_ms})
        return response


class Readiness:
    """Runs named checks concurrently, each within ``timeout`` seconds.

    A check passes by returning anything but ``False``; it fails by raising or returning ``False``. Checks run
    on daemon threads, and a check still hanging from an earlier probe is not started again but reported as
    ``timeout``: a dependency that hangs costs one thread, not one per probe.
    """

    def __init__(self, checks: Mapping[str, ReadinessCheck], timeout: float):
        self.checks = dict(checks)
        self.timeout = timeout
        self._lock = threading.Lock()
        self._running: dict[str, threading.Thread] = {}

    def run(self) -> dict[str, str]:
        results: dict[str, str] = {}
        started: dict[str, tuple[threading.Thread, dict[str, str]]] = {}
        with self._lock:
            for name, check in self.checks.items():
                previous = self._running.get(name)
                if previous is not None and previous.is_alive():
                    results[name] = "timeout"
                    continue
                outcome: dict[str, str] = {}
                thread = threading.Thread(target=_run_check, args=(name, check, outcome), daemon=True,
                                          name=f"readyz-{name}")
                self._running[name] = thread
                started[name] = (thread, outcome)
                thread.start()
        deadline = time.monotonic() + self.timeout
        for name, (thread, outcome) in started.items():
            thread.join(max(0.0, deadline - time.monotonic()))
            results[name] = "timeout" if thread.is_alive() else outcome.get("result", "failed")
        return {name: results[name] for name in self.checks}


def _run_check(name: str, check: ReadinessCheck, outcome: dict[str, str]) -> None:
    try:
        passed = check() is not False
    except Exception as exc:  # noqa: BLE001 - any failure of a dependency means "not ready"
        _log.warning("readiness check failed", extra={"check": name, "error": f"{type(exc).__name__}: {exc}"})
        outcome["result"] = f"failed: {type(exc).__name__}"
        return
    outcome["result"] = "ok" if passed else "failed"


def install_probes(app: Flask, readiness: Mapping[str, ReadinessCheck], *, timeout: float = 2.0) -> Readiness:
    """``GET /healthz``: the process answers. ``GET /readyz``: every readiness check passes, else 503."""
    checks = Readiness(readiness, timeout)

    def healthz() -> Any:
        return {"status": "ok"}

    def readyz() -> Any:
        results = checks.run()
        failing = [name for name, result in results.items() if result != "ok"]
        if failing:
            problem = ServiceUnavailable(code="detail.not_ready", params={"checks": ", ".join(failing)},
                                         extensions={"checks": results})
            return problem_response(problem)
        return {"status": "ready", "checks": results}

    app.add_url_rule("/healthz", endpoint="recert_healthz", view_func=healthz, methods=["GET"])
    app.add_url_rule("/readyz", endpoint="recert_readyz", view_func=readyz, methods=["GET"])
    return checks
