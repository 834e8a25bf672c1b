"""Every error a service answers is ``application/problem+json`` (RFC 9457).

Code raises a ``Problem`` (``raise NotFound(code="detail.case_not_found", params={"case_id": case_id})``);
``register_error_handlers(app)`` turns it, werkzeug's HTTP errors, flask-smorest/webargs validation errors and
unexpected exceptions into problem documents whose ``title`` (and ``detail`` when given as a code) follow the
request's ``Accept-Language``. Type URIs are ``https://recert.noloc.nl/problems/<slug>`` and never change
once published; see docs/adr/0004-errors-and-auth.md.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from json import JSONDecodeError
from typing import Any, ClassVar

import marshmallow as ma
import psycopg
import psycopg_pool
from flask import Flask, Response, current_app, has_request_context, request
from werkzeug import exceptions as wz

from recert_common import i18n
from recert_common.context import get_correlation_id

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://recert.noloc.nl/problems/"

_log = logging.getLogger(__name__)

# Members of a problem document that extensions may not overwrite.
_STANDARD_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "errors", "request_id"})


class Problem(Exception):
    """An error with an HTTP status, a stable type URI and a translatable title.

    ``detail`` is either literal text (``Conflict("...")``) or a message code with parameters
    (``Conflict(code="detail.x", params={...})``), which is translated when the response is made.
    ``extensions`` become extra members of the document (RFC 9457 section 3.2).
    """

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title_code: ClassVar[str] = "problem.internal_error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
    ):
        if detail is not None and code is not None:
            raise ValueError("give either a literal detail or a message code, not both")
        clashing = _STANDARD_MEMBERS.intersection(extensions or {})
        if clashing:
            raise ValueError(f"extensions may not redefine {sorted(clashing)}")
        self.detail = detail
        self.code = code
        self.params = dict(params or {})
        self.headers: dict[str, str] = dict(headers or {})
        self.extensions: dict[str, Any] = dict(extensions or {})
        super().__init__(detail or code or self.slug)

    @property
    def type(self) -> str:
        return PROBLEM_TYPE_BASE + self.slug

    def title(self, language: str = i18n.DEFAULT_LANGUAGE) -> str:
        return i18n.translate(self.title_code, language)

    def detail_text(self, language: str = i18n.DEFAULT_LANGUAGE) -> str | None:
        if self.code is not None:
            return i18n.translate(self.code, language, **self.params)
        return self.detail

    def to_dict(
        self, language: str = i18n.DEFAULT_LANGUAGE, *, request_id: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title(language), "status": self.status}
        detail = self.detail_text(language)
        if detail:
            body["detail"] = detail
        if request_id:
            body["request_id"] = request_id
        body.update(self.extensions)
        return body


class BadRequest(Problem):
    status, slug, title_code = 400, "bad-request", "problem.bad_request"


class ValidationProblem(Problem):
    """Input that was understood but is not acceptable: 422 with ``errors`` per field.

    ``errors`` may be marshmallow's nested messages; they are flattened to dotted paths
    (``{"address.city": [...], "items.0.points": [...]}``). Messages are translated when rendered.
    """

    status, slug, title_code = 422, "validation-failed", "problem.validation_failed"

    def __init__(self, errors: Mapping[Any, Any], detail: str | None = None, **kwargs: Any):
        super().__init__(detail, **kwargs)
        self.errors: dict[str, list[str]] = flatten_field_errors(errors)

    @classmethod
    def from_marshmallow(cls, error: ma.ValidationError, **kwargs: Any) -> ValidationProblem:
        messages = error.messages if isinstance(error.messages, Mapping) else {"_schema": error.messages}
        return cls(messages, **kwargs)

    def to_dict(
        self, language: str = i18n.DEFAULT_LANGUAGE, *, request_id: str | None = None
    ) -> dict[str, Any]:
        body = super().to_dict(language, request_id=request_id)
        body["errors"] = {
            field: [i18n.translate_field_message(message, language) for message in messages]
            for field, messages in self.errors.items()
        }
        return body


class Unauthorized(Problem):
    """401. Always carries ``WWW-Authenticate`` (RFC 9110 section 15.5.2)."""

    status, slug, title_code = 401, "unauthorized", "problem.unauthorized"

    def __init__(
        self, detail: str | None = None, *, www_authenticate: str = 'Bearer realm="recert"', **kwargs: Any
    ):
        super().__init__(detail, **kwargs)
        self.headers.setdefault("WWW-Authenticate", www_authenticate)


class Forbidden(Problem):
    status, slug, title_code = 403, "forbidden", "problem.forbidden"


class NotFound(Problem):
    status, slug, title_code = 404, "not-found", "problem.not_found"


class MethodNotAllowed(Problem):
    status, slug, title_code = 405, "method-not-allowed", "problem.method_not_allowed"


class Conflict(Problem):
    status, slug, title_code = 409, "conflict", "problem.conflict"


class PayloadTooLarge(Problem):
    status, slug, title_code = 413, "payload-too-large", "problem.payload_too_large"


class UnsupportedMediaType(Problem):
    status, slug, title_code = 415, "unsupported-media-type", "problem.unsupported_media_type"


class _RetryAfter(Problem):
    def __init__(self, detail: str | None = None, *, retry_after: int | None = None, **kwargs: Any):
        super().__init__(detail, **kwargs)
        if retry_after is not None:
            self.headers.setdefault("Retry-After", str(int(retry_after)))


class TooManyRequests(_RetryAfter):
    status, slug, title_code = 429, "too-many-requests", "problem.too_many_requests"


class InternalError(Problem):
    status, slug, title_code = 500, "internal-error", "problem.internal_error"


class BadGateway(Problem):
    status, slug, title_code = 502, "bad-gateway", "problem.bad_gateway"


class ServiceUnavailable(_RetryAfter):
    status, slug, title_code = 503, "service-unavailable", "problem.service_unavailable"


class GatewayTimeout(Problem):
    status, slug, title_code = 504, "gateway-timeout", "problem.gateway_timeout"


class HttpError(Problem):
    """Any other status, for which RFC 9457 prescribes the type ``about:blank``."""

    slug, title_code = "", "problem.http_error"

    def __init__(self, status: int, detail: str | None = None, **kwargs: Any):
        super().__init__(detail, **kwargs)
        self.status = status  # type: ignore[misc]  # per instance on purpose: one class for all other codes

    @property
    def type(self) -> str:
        return "about:blank"


PROBLEMS_BY_STATUS: Mapping[int, type[Problem]] = {
    cls.status: cls
    for cls in (BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, Conflict, PayloadTooLarge,
                UnsupportedMediaType, ValidationProblem, TooManyRequests, InternalError, BadGateway,
                ServiceUnavailable, GatewayTimeout)
}


def problem_for_status(status: int, detail: str | None = None, **kwargs: Any) -> Problem:
    """The problem of our hierarchy for an HTTP status (``about:blank`` for statuses we do not name)."""
    cls = PROBLEMS_BY_STATUS.get(status)
    if cls is None:
        return HttpError(status, detail, **kwargs)
    if cls is ValidationProblem:
        return ValidationProblem({}, detail, **kwargs)
    return cls(detail, **kwargs)


def flatten_field_errors(messages: Mapping[Any, Any]) -> dict[str, list[str]]:
    """marshmallow's nested messages as ``{"dotted.path": ["message", ...]}``.

    A schema-level message of a nested object belongs to the object's path; at the top it is ``_schema``.
    """
    flat: dict[str, list[str]] = {}

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                walk(value, path if key == "_schema" else (*path, str(key)))
        elif isinstance(node, (list, tuple)) and any(isinstance(item, Mapping) for item in node):
            for item in node:
                walk(item, path)
        elif isinstance(node, (list, tuple)):
            flat.setdefault(".".join(path) or "_schema", []).extend(str(item) for item in node)
        else:
            flat.setdefault(".".join(path) or "_schema", []).append(str(node))

    walk(messages, ())
    return flat


def request_language() -> str:
    """The language of the current request's ``Accept-Language``; Dutch outside a request."""
    if not has_request_context():
        return i18n.DEFAULT_LANGUAGE
    return i18n.negotiate_language(request.headers.get("Accept-Language"))


def problem_response(problem: Problem, language: str | None = None) -> Response:
    """The problem+json response for ``problem``, in ``language`` or the request's language."""
    language = language or request_language()
    body = problem.to_dict(language, request_id=get_correlation_id())
    response = Response(json.dumps(body, ensure_ascii=False), status=problem.status, mimetype=PROBLEM_JSON)
    for name, value in problem.headers.items():
        response.headers[name] = value
    response.headers["Content-Language"] = language
    response.vary.add("Accept-Language")
    return response


def problem_from_http_exception(exc: wz.HTTPException) -> Problem:
    """Our problem for a werkzeug HTTPException, including webargs' validation aborts.

    werkzeug's descriptions are English sentences meant for developers, so they are never shown; the detail
    is one of our codes where we know the cause, or the ``message`` a view passed to flask-smorest's
    ``abort``.
    """
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    message = data.get("message") if isinstance(data.get("message"), str) else None
    headers = {name: value for name, value in exc.get_headers() if name.lower() != "content-type"}
    headers.update(data.get("headers") or {})

    if status == 422 and "messages" in data:
        return ValidationProblem(_merge_locations(data["messages"]), message, headers=headers)
    if status == 422 and "errors" in data:
        return ValidationProblem(data["errors"], message, headers=headers)
    if message is not None:
        return problem_for_status(status, message, headers=headers)
    if status == 400 and _is_malformed_json(exc):
        return BadRequest(code="detail.malformed_json", headers=headers)
    if status == 404 and has_request_context() and request.routing_exception is exc:
        return NotFound(code="detail.route_not_found", headers=headers)
    if status == 405 and has_request_context():
        return MethodNotAllowed(code="detail.method_not_allowed", params={"method": request.method},
                                headers=headers)
    if status == 413:
        return PayloadTooLarge(code="detail.payload_too_large", params={"limit": _body_limit()},
                               headers=headers)
    if status == 415:
        return UnsupportedMediaType(code="detail.unsupported_media_type", headers=headers)
    return problem_for_status(status, headers=headers)


def _merge_locations(messages: Any) -> Any:
    # webargs keys its messages by location ({"json": {...}, "query": {...}}); clients know their fields, not
    # webargs' locations, so the fields of all locations are merged.
    if not isinstance(messages, Mapping) or not all(isinstance(v, Mapping) for v in messages.values()):
        return messages
    merged: dict[str, list[str]] = {}
    for location_messages in messages.values():
        for field, field_messages in flatten_field_errors(location_messages).items():
            merged.setdefault(field, []).extend(field_messages)
    return merged


def _is_malformed_json(exc: wz.HTTPException) -> bool:
    # webargs attaches the decoding error as ``exc.exc``; Flask's get_json raises a bare BadRequest whose
    # cause is werkzeug's BadRequest, whose context is the decoding error. Follow the chain a few links.
    link: BaseException | None = getattr(exc, "exc", None) or exc
    for _ in range(4):
        if link is None:
            return False
        if isinstance(link, (JSONDecodeError, UnicodeDecodeError)):
            return True
        link = link.__cause__ or link.__context__
    return False


def _body_limit() -> Any:
    limit = request.max_content_length if has_request_context() else None
    return limit if limit is not None else current_app.config.get("MAX_CONTENT_LENGTH")


def _handle_problem(problem: Problem) -> Response:
    if problem.status >= 500:
        _log.warning("problem answered", extra={"status": problem.status, "problem_type": problem.type})
    return problem_response(problem)


def _handle_http_exception(exc: wz.HTTPException) -> Response:
    # Flask answers routing redirects (RequestRedirect) itself before it looks for this handler.
    return _handle_problem(problem_from_http_exception(exc))


def _handle_unexpected(exc: Exception) -> Response:
    # The exception's text may hold SQL, paths or personal data: it goes to the log, never to the client.
    _log.error("unhandled exception", exc_info=exc)
    return problem_response(InternalError(code="detail.internal_error",
                                          params={"request_id": get_correlation_id() or "-"}))


def _handle_database_unavailable(exc: Exception) -> Response:
    # A lost or refused database connection is an outage, not a bug: 503 tells clients to come back, and
    # the pool replaces broken connections on its own once the server answers again.
    _log.warning("database unavailable", extra={"error": f"{type(exc).__name__}: {exc}"[:300]})
    return _handle_problem(ServiceUnavailable(code="detail.database_unavailable", retry_after=5))


def register_error_handlers(app: Flask) -> None:
    """Make every error of ``app`` a problem+json response. Call after ``flask_smorest.Api(app)``."""
    # Imported here: http.py needs this module to build its problems.
    from recert_common.http import ServiceCallError

    app.register_error_handler(Problem, _handle_problem)
    app.register_error_handler(wz.HTTPException, _handle_http_exception)
    app.register_error_handler(ServiceCallError, lambda exc: _handle_problem(exc.to_problem()))
    app.register_error_handler(psycopg.OperationalError, _handle_database_unavailable)
    app.register_error_handler(psycopg_pool.PoolTimeout, _handle_database_unavailable)
    app.register_error_handler(Exception, _handle_unexpected)


class ProblemSchema(ma.Schema):
    """The problem document, for the OpenAPI description (responses are built by ``Problem.to_dict``)."""

    class Meta:
        unknown = ma.INCLUDE  # documents "additionalProperties": problem types may add extension members

    type = ma.fields.String(metadata={"description": "URI of the problem type", "format": "uri"})
    title = ma.fields.String(metadata={"description": "Short summary in the language of Accept-Language"})
    status = ma.fields.Integer(metadata={"description": "HTTP status code"})
    detail = ma.fields.String(metadata={"description": "Explanation of this occurrence"})
    request_id = ma.fields.String(metadata={"description": "X-Request-ID of the request, for support"})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Validation messages per field (dotted path for nested fields)"},
    )


__all__: Sequence[str] = (
    "PROBLEM_JSON", "PROBLEM_TYPE_BASE", "Problem", "BadRequest", "ValidationProblem", "Unauthorized",
    "Forbidden", "NotFound", "MethodNotAllowed", "Conflict", "PayloadTooLarge", "UnsupportedMediaType",
    "TooManyRequests", "InternalError", "BadGateway", "ServiceUnavailable", "GatewayTimeout", "HttpError",
    "PROBLEMS_BY_STATUS", "problem_for_status", "flatten_field_errors", "request_language",
    "problem_response", "problem_from_http_exception", "register_error_handlers", "ProblemSchema",
)
