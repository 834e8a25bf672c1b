"""Every error a service answers is ``application/problem+json`` (RFC 9457).

Code raises a ``Problem`` (``raise NotFound(code="detail.case_not_found", params={"case_id": case_id})``);
``register_error_handlers(app)`` turns it, werkzeug's HTTP errors, flask-smorest/webargs validation errors and
unexpected exceptions into problem documents whose ``title`` (and ``detail`` when given as a code) follow the
request's ``Accept-Language``. Type URIs are ``https://recert.noloc.nl/problems/<slug>`` and never change
once published; see docs/adr/0004-errors-and-auth.md.

Every class with its own slug is registered (``PROBLEM_TYPES``: status, title, extra ``members``), so that
the OpenAPI documents name the types each answer can be (``problem_answer``, ``problem_schema``; ADR 0015).
A refused upload is one problem wherever it is refused (``upload_problem``).
"""
from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
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


def extension_members(**types: str | Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """``members`` of a problem class: each extra member's JSON schema, or just its JSON type
    (``extension_members(state="string", lines={"type": "array", ...})``)."""
    return {name: {"type": value} if isinstance(value, str) else dict(value) for name, value in types.items()}


@dataclass(frozen=True)
class ProblemType:
    """One problem type as the OpenAPI documents name it: its URI, status, title code and extra members."""

    slug: str
    status: int
    title_code: str
    members: Mapping[str, Mapping[str, Any]]

    @property
    def uri(self) -> str:
        return PROBLEM_TYPE_BASE + self.slug

    def describe(self) -> dict[str, Any]:
        return {"type": self.uri, "title": i18n.translate(self.title_code, "en"),
                "members": sorted(self.members)}


#: Every problem type by slug, filled as the classes are defined (``Problem.__init_subclass__``). One slug
#: is one refusal: two classes may share a slug only when they agree on status and title.
PROBLEM_TYPES: dict[str, ProblemType] = {}


def register_problem_type(cls: type[Problem]) -> ProblemType:
    found = ProblemType(cls.slug, cls.status, cls.title_code, dict(cls.members))
    known = PROBLEM_TYPES.get(cls.slug)
    if known is not None and (known.status, known.title_code) != (found.status, found.title_code):
        raise ValueError(f"problem type {cls.slug!r} is registered with status {known.status} and title "
                         f"{known.title_code!r} already; one type is one refusal")
    if known is not None:
        found = ProblemType(cls.slug, cls.status, cls.title_code, {**known.members, **found.members})
    PROBLEM_TYPES[cls.slug] = found
    return found


class Problem(Exception):
    """An error with an HTTP status, a stable type URI and a translatable title.

    ``detail`` is either literal text (``Conflict("...")``) or a message code with parameters
    (``Conflict(code="detail.x", params={...})``), which is translated when the response is made.
    ``extensions`` become extra members of the document (RFC 9457 section 3.2).
    """

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title_code: ClassVar[str] = "problem.internal_error"
    #: Extension members this type adds, by name, with their JSON schema: documented in OpenAPI.
    members: ClassVar[Mapping[str, Mapping[str, Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A class names a type when it sets its own slug (or adds members to its parent's type).
        if cls.slug and ("slug" in cls.__dict__ or "members" in cls.__dict__) and isinstance(cls.status, int):
            register_problem_type(cls)

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
    (``{"address.city": [...], "items.0.points": [...]}``). Messages (codes, marshmallow's sentences or
    ``i18n.Message`` values) are translated when rendered. With ``detail_from_errors`` and no detail of its
    own, the detail repeats every message, so a client showing only the detail still names the problem.
    """

    status, slug, title_code = 422, "validation-failed", "problem.validation_failed"

    def __init__(self, errors: Mapping[Any, Any], detail: str | None = None, *,
                 detail_from_errors: bool = False, **kwargs: Any):
        super().__init__(detail, **kwargs)
        self.errors: dict[str, list[str | i18n.Message]] = flatten_field_errors(errors)
        self.detail_from_errors = detail_from_errors

    def detail_text(self, language: str = i18n.DEFAULT_LANGUAGE) -> str | None:
        if self.detail_from_errors and self.detail is None and self.code is None:
            return " ".join(i18n.translate_field_message(message, language)
                            for messages in self.errors.values() for message in messages)
        return super().detail_text(language)

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
    members = {"max_bytes": {"type": "integer", "description": "The body limit, in bytes"}}


class UnsupportedMediaType(Problem):
    status, slug, title_code = 415, "unsupported-media-type", "problem.unsupported_media_type"


class UriTooLong(Problem):
    """414: a request line longer than the server reads (answered by ``web_worker``, before any route)."""

    status, slug, title_code = 414, "uri-too-long", "problem.uri_too_long"


class ExpectationFailed(Problem):
    """417: an ``Expect`` header other than ``100-continue`` (answered by ``web_worker``)."""

    status, slug, title_code = 417, "expectation-failed", "problem.expectation_failed"


class HeaderFieldsTooLarge(Problem):
    """431: more header fields, or a longer one, than the server reads (answered by ``web_worker``)."""

    status, slug, title_code = 431, "header-fields-too-large", "problem.header_fields_too_large"


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
                UriTooLong, UnsupportedMediaType, ExpectationFailed, ValidationProblem, TooManyRequests,
                HeaderFieldsTooLarge, InternalError, BadGateway, ServiceUnavailable, GatewayTimeout)
}


def problem_for_status(status: int, detail: str | None = None, **kwargs: Any) -> Problem:
    """The problem of our hierarchy for an HTTP status (``about:blank`` for statuses we do not name)."""
    cls = PROBLEMS_BY_STATUS.get(status)
    if cls is None:
        return HttpError(status, detail, **kwargs)
    if cls is ValidationProblem:
        return ValidationProblem({}, detail, **kwargs)
    return cls(detail, **kwargs)


i18n.register_messages({
    "problem.upload_refused": {"nl": "Het bestand is geweigerd", "en": "The file was refused"},
    "problem.upload_too_large": {"nl": "Het bestand is te groot", "en": "The file is too large"},
    "problem.upload_empty": {"nl": "Het bestand is leeg", "en": "The file is empty"},
    "problem.upload_type_refused": {"nl": "Dit soort bestand is niet toegestaan",
                                    "en": "This kind of file is not allowed"},
    "problem.upload_type_mismatch": {"nl": "Bestandsnaam en inhoud passen niet bij elkaar",
                                     "en": "Filename and content do not match"},
    "problem.filename_refused": {"nl": "Ongeldige bestandsnaam", "en": "Invalid filename"},
    "problem.filename_missing": {"nl": "Bestandsnaam ontbreekt", "en": "Filename missing"},
    "problem.multipart_refused": {"nl": "Stuur het bestand zelf, geen formulier",
                                  "en": "Send the file itself, not a form"},
    "detail.body_too_large": {"nl": "Het verzoek mag hoogstens {limit} groot zijn.",
                              "en": "The request may be at most {limit}."},
})


# --- uploads: one problem type for one refusal, whichever service refuses the file ----------------------

_UPLOAD_MEMBERS: Mapping[str, Mapping[str, Any]] = {
    "code": {"type": "string", "description": "The refusal's stable code (upload_too_large, upload_empty, "
                                              "upload_type_refused, upload_type_mismatch, filename_refused, "
                                              "...)"},
    "max_bytes": {"type": "integer", "description": "upload_too_large: the limit, in bytes"},
    "kind": {"type": "string",
             "description": "upload_type_refused/_mismatch: what the content was found to be"},
    "extension": {"type": "string", "description": "upload_type_mismatch: the filename's extension"},
    "reason": {"type": "string", "description": "filename_refused: what is wrong with the name"},
}


class UploadProblem(Problem):
    """A file we refuse to store, from any service (PE evidence, meeting proof, the gateway's limit).

    The type is the refusal's code (``upload_too_large`` -> ``.../problems/upload-too-large``), the detail is
    the refusal's own sentence, and the members are ``code`` plus the refusal's details (``max_bytes``,
    ``kind``, ``extension``, ``reason``). Use ``upload_problem(refusal)``.
    """

    status, slug, title_code = 400, "upload-refused", "problem.upload_refused"
    members = {"code": _UPLOAD_MEMBERS["code"]}

    def __init__(self, refusal: Any):
        super().__init__(extensions={"code": refusal.code, **refusal.details})
        self.refusal = refusal

    def detail_text(self, language: str = i18n.DEFAULT_LANGUAGE) -> str | None:
        return self.refusal.message(language)


_UPLOAD_DETAILS: Mapping[str, tuple[str, ...]] = {
    "upload_too_large": ("max_bytes",), "upload_type_refused": ("kind",),
    "upload_type_mismatch": ("kind", "extension"), "filename_refused": ("reason",),
}
_UPLOAD_CLASSES: dict[str, type[UploadProblem]] = {}
_UPLOAD_BASES: Mapping[int, type[Problem]] = {
    400: BadRequest, 413: PayloadTooLarge, 415: UnsupportedMediaType}


def upload_problem_class(code: str, status: int) -> type[UploadProblem]:
    """The problem class of the upload refusal ``code`` (made once, and registered as a problem type)."""
    known = _UPLOAD_CLASSES.get(code)
    if known is not None:
        return known
    title_code = f"problem.{code}" if i18n.is_known(f"problem.{code}") else "problem.upload_refused"
    members = {name: _UPLOAD_MEMBERS[name] for name in ("code", *_UPLOAD_DETAILS.get(code, ()))}
    cls = type(f"UploadProblem_{code}", (UploadProblem, _UPLOAD_BASES.get(status, BadRequest)),
               {"status": status, "slug": code.replace("_", "-"), "title_code": title_code,
                "members": members, "__module__": __name__})
    _UPLOAD_CLASSES[code] = cls
    return cls


def upload_problem(refusal: Any, status: int | None = None) -> UploadProblem:
    """The problem for an upload refusal (``recert_common.filetypes.UploadRefused`` and its kinds): the
    status of its code in ``UPLOAD_REFUSALS`` unless the caller's table gives another."""
    status = status or dict(UPLOAD_REFUSALS).get(refusal.code, 400)
    return upload_problem_class(refusal.code, status)(refusal)


#: The refusals every upload can meet (storage and filetypes): documented on every upload operation.
UPLOAD_REFUSALS: Sequence[tuple[str, int]] = (
    ("upload_too_large", 413), ("upload_empty", 400), ("upload_type_refused", 415),
    ("upload_type_mismatch", 415), ("filename_refused", 400),
)
UPLOAD_PROBLEMS: Sequence[type[UploadProblem]] = tuple(
    upload_problem_class(code, status) for code, status in UPLOAD_REFUSALS)


# --- the answers in the OpenAPI documents ---------------------------------------------------------------

#: The type every status has when nothing more specific is declared.
GENERIC_TYPES: Mapping[int, str] = {
    400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
    409: "conflict", 413: "payload-too-large", 414: "uri-too-long", 415: "unsupported-media-type",
    417: "expectation-failed", 422: "validation-failed", 429: "too-many-requests",
    431: "header-fields-too-large", 500: "internal-error", 502: "bad-gateway", 503: "service-unavailable",
    504: "gateway-timeout",
}
PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"
_BASE_PROPERTIES: Mapping[str, Mapping[str, Any]] = {
    "type": {"type": "string", "format": "uri", "description": "URI of the problem type"},
    "title": {"type": "string", "description": "Short summary in the language of Accept-Language"},
    "status": {"type": "integer", "description": "HTTP status code"},
    "detail": {"type": "string", "description": "Explanation of this occurrence"},
    "request_id": {"type": "string", "description": "X-Request-ID of the request, for support"},
    "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
               "description": "validation-failed: messages per field (dotted path for nested fields)"},
}


def problem_schema() -> dict[str, Any]:
    """The problem+json schema: the standard members, and every extension member a registered type adds
    (each optional, its description naming the types that carry it)."""
    properties: dict[str, Any] = {name: dict(value) for name, value in _BASE_PROPERTIES.items()}
    carriers: dict[str, list[str]] = {}
    for problem_type in sorted(PROBLEM_TYPES.values(), key=lambda t: t.slug):
        for name, schema in problem_type.members.items():
            if name not in _BASE_PROPERTIES:
                properties.setdefault(name, dict(schema))
                carriers.setdefault(name, []).append(problem_type.slug)
    for name, slugs in carriers.items():
        own = properties[name].get("description", "")
        properties[name]["description"] = f"{own}{'. ' if own else ''}Given by: {', '.join(slugs)}"
    return {"type": "object", "description": "RFC 9457 problem document",
            "required": ["type", "title", "status"], "properties": properties, "additionalProperties": True}


def problem_answer(status: int, slugs: Sequence[str] = (), description: str = "") -> dict[str, Any]:
    """The OpenAPI response object of an error answer: problem+json, the types it can be (``slugs``, else
    the status's generic type) in ``x-problem-types``, each with its title and extra members, and as the
    ``enum`` of its ``type`` member."""
    named = list(dict.fromkeys(slugs)) or [GENERIC_TYPES.get(status, "")]
    types = [PROBLEM_TYPES[slug].describe() if slug in PROBLEM_TYPES else
             {"type": PROBLEM_TYPE_BASE + slug if slug else "about:blank", "title": "", "members": []}
             for slug in named]
    lines = [f"`{t['type']}`" + (f" ({', '.join(t['members'])})" if t["members"] else "") for t in types]
    phrase = description or _status_phrase(status)
    return {"description": f"{phrase}. Problem types: {'; '.join(lines)}.",
            "x-problem-types": types,
            "content": {PROBLEM_JSON: {"schema": {"allOf": [
                {"$ref": PROBLEM_SCHEMA_REF},
                # The types named are the only ones this answer gives: a schema check finds any other.
                {"type": "object",
                 "properties": {"type": {"type": "string", "enum": [t["type"] for t in types]}}},
            ]}}}}


def _status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def flatten_field_errors(messages: Mapping[Any, Any]) -> dict[str, list[str | i18n.Message]]:
    """marshmallow's nested messages as ``{"dotted.path": ["message", ...]}``; an ``i18n.Message`` stays one
    (it is rendered in the reader's language with the answer).

    A schema-level message of a nested object belongs to the object's path; at the top it is ``_schema``.
    """
    flat: dict[str, list[str | i18n.Message]] = {}

    def kept(item: Any) -> str | i18n.Message:
        return item if isinstance(item, i18n.Message) else str(item)

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                walk(value, path if key == "_schema" else (*path, str(key)))
        elif isinstance(node, (list, tuple)) and any(isinstance(item, Mapping) for item in node):
            for item in node:
                walk(item, path)
        elif isinstance(node, (list, tuple)):
            flat.setdefault(".".join(path) or "_schema", []).extend(kept(item) for item in node)
        else:
            flat.setdefault(".".join(path) or "_schema", []).append(kept(node))

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
        return body_too_large(headers=headers)
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


UPLOAD_LIMIT_KEY = "recert.upload_limit"


def accept_upload(max_bytes: int) -> None:
    """Let the current request's body be a file of up to ``max_bytes``: a bigger one is refused with the
    same ``upload-too-large`` problem a service gives, stating the limit in the same unit."""
    request.max_content_length = max_bytes
    request.environ[UPLOAD_LIMIT_KEY] = max_bytes


def body_too_large(**kwargs: Any) -> Problem:
    """The 413 for a body over the request's limit: ``upload-too-large`` on an upload, else
    ``payload-too-large``; both state the limit in MB (``detail``) and in bytes (``max_bytes``)."""
    upload_limit = request.environ.get(UPLOAD_LIMIT_KEY) if has_request_context() else None
    if upload_limit is not None:
        from recert_common.storage import UploadTooLarge  # storage needs this module: imported here

        problem = upload_problem(UploadTooLarge(upload_limit))
        problem.headers.update(kwargs.get("headers") or {})
        return problem
    limit = _body_limit()
    return PayloadTooLarge(code="detail.body_too_large",
                           params={"limit": i18n.Size(limit) if isinstance(limit, int) else str(limit)},
                           extensions={"max_bytes": limit}, **kwargs)


def _handle_problem(problem: Problem) -> Response:
    if problem.status >= 500:
        _log.warning("problem answered", extra={"status": problem.status, "problem_type": problem.type})
    return problem_response(problem)


def _handle_http_exception(exc: wz.HTTPException) -> Response:
    # Flask answers routing redirects (RequestRedirect) itself before it looks for this handler.
    return _handle_problem(problem_from_http_exception(exc))


def handle_unexpected(exc: Exception) -> Response:
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
    app.register_error_handler(Exception, handle_unexpected)


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
    "PROBLEMS_BY_STATUS", "problem_for_status", "PROBLEM_TYPES", "ProblemType", "register_problem_type",
    "extension_members",
    "UploadProblem", "upload_problem", "upload_problem_class", "UPLOAD_PROBLEMS", "UPLOAD_REFUSALS",
    "accept_upload", "body_too_large", "GENERIC_TYPES", "problem_schema", "problem_answer",
    "flatten_field_errors", "request_language", "problem_response", "problem_from_http_exception",
    "register_error_handlers", "ProblemSchema",
)
