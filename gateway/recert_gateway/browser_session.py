"""Where a browser keeps its session: the refresh token in an HttpOnly cookie, the access token in memory.

A browser's script is the part an attacker gets to run after an injection; what it can read, the attacker
can read. So for a request that says it comes from the portal (``X-Recert-Client: web``) on the three
endpoints that hand out or spend a refresh token, the gateway keeps the refresh token out of the script's
reach (ADR 0022):

- ``POST /api/v1/auth/login/verify`` and ``POST /api/v1/auth/refresh``: the refresh token of the answer goes
  into the ``recert_refresh`` cookie (HttpOnly, Secure, SameSite=Strict, Path=/api/v1/auth, no expiry: it
  ends with the browser, and identity ends it after its own lifetime) and leaves the JSON body.
- ``POST /api/v1/auth/refresh`` and ``POST /api/v1/auth/logout`` take the refresh token from that cookie when
  the body names none; without either the answer is 401.
- ``POST /api/v1/auth/logout`` clears the cookie, whatever identity answers.

Other clients (a mobile app keeping its token in the platform's secure storage) send no such header and get
the token in the body as before. The header also guards against cross-site requests: a form on another site
cannot set it, and SameSite=Strict keeps the cookie off cross-site requests anyway.
"""
from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from flask import Request, Response

from recert_common.errors import PROBLEM_JSON, Unauthorized, problem_answer

CLIENT_HEADER = "X-Recert-Client"
WEB_CLIENT = "web"
COOKIE = "recert_refresh"
COOKIE_PATH = "/api/v1/auth"
ISSUES_TOKENS = (("auth", "login", "verify"), ("auth", "refresh"))
SPENDS_TOKENS = (("auth", "refresh"), ("auth", "logout"))
_BODY_MAX = 16 * 1024


def applies(request: Request, segments: tuple[str, ...]) -> bool:
    return (request.method == "POST" and request.headers.get(CLIENT_HEADER, "").strip().lower() == WEB_CLIENT
            and tuple(segments) in ISSUES_TOKENS + SPENDS_TOKENS)


def forward(request: Request, segments: tuple[str, ...], send: Callable[[bytes], Response]) -> Response:
    """Send the request on with ``send(body)`` and shape the answer for the browser, as described above."""
    segments = tuple(segments)
    body = request.get_data(cache=True)[:_BODY_MAX + 1]
    if segments in SPENDS_TOKENS:
        body = _with_cookie_token(body, request.cookies.get(COOKIE))
    response = send(body)
    if segments == ("auth", "logout"):
        _clear_cookie(response)
        return response
    if segments in ISSUES_TOKENS and response.status_code == 200:
        return _token_to_cookie(response)
    if segments == ("auth", "refresh") and response.status_code in (400, 401, 422):
        _clear_cookie(response)  # the cookie's token no longer works: do not send it again
    return response


def _with_cookie_token(body: bytes, cookie: str | None) -> bytes:
    try:
        document = json.loads(body) if body.strip() else {}
    except (ValueError, RecursionError):
        return body  # not JSON: identity answers it as it answers any malformed body
    if not isinstance(document, dict) or document.get("refresh_token"):
        return body
    if not cookie:
        raise Unauthorized(code="detail.no_browser_session")
    return json.dumps({**document, "refresh_token": cookie}).encode()


def _token_to_cookie(response: Response) -> Response:
    document = json.loads(b"".join(response.response))
    token = document.pop("refresh_token", None)
    shaped = Response(json.dumps(document), status=response.status_code, mimetype="application/json")
    for name, value in response.headers.items():
        if name.lower() not in ("content-length", "content-type", "transfer-encoding"):
            shaped.headers.add(name, value)
    if token:
        shaped.set_cookie(COOKIE, token, path=COOKIE_PATH, secure=True, httponly=True, samesite="Strict")
    response.close()
    return shaped


def document(openapi: dict[str, Any]) -> None:
    """Say in the merged OpenAPI document how the three operations behave for the portal, in place."""
    header = {"name": CLIENT_HEADER, "in": "header", "required": False,
              "schema": {"type": "string", "enum": [WEB_CLIENT]},
              "description": "`web` from the portal: the refresh token travels in the HttpOnly cookie "
                             f"`{COOKIE}` instead of the JSON body (ADR 0022)."}
    notes = {
        "issues": f" With `{CLIENT_HEADER}: web` the refresh token is set as the cookie `{COOKIE}` "
                  "(HttpOnly, Secure, SameSite=Strict) and left out of the body.",
        "spends": f" With `{CLIENT_HEADER}: web` and no `refresh_token` in the body, the cookie's is used; "
                  "401 when there is none.",
    }
    for segments in dict.fromkeys(ISSUES_TOKENS + SPENDS_TOKENS):
        operation = openapi.get("paths", {}).get("/api/v1/" + "/".join(segments), {}).get("post")
        if operation is None:
            continue
        operation.setdefault("parameters", []).append(header)
        text = operation.get("description", "")
        if segments in ISSUES_TOKENS:
            text += notes["issues"]
        if segments in SPENDS_TOKENS:
            text += notes["spends"]
            _add_unauthorized(operation.setdefault("responses", {}))
            _token_optional(openapi, operation)
        operation["description"] = text.strip()


def _token_optional(openapi: dict[str, Any], operation: dict[str, Any]) -> None:
    """The body's ``refresh_token`` is optional for the portal (the cookie brings it): the operation gets its
    own copy of the body schema without it among the required fields."""
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    ref = body.get("schema", {}).get("$ref", "")
    component = openapi.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[-1])
    if component is None:
        return
    schema = copy.deepcopy(component)
    schema["required"] = [name for name in schema.get("required", []) if name != "refresh_token"]
    if not schema["required"]:
        del schema["required"]
    schema["description"] = (f"`refresh_token` is required unless the request has `{CLIENT_HEADER}: web` "
                             f"and the cookie `{COOKIE}`.")
    body["schema"] = schema


def _add_unauthorized(responses: dict[str, Any]) -> None:
    """Add the gateway's own 401 (no refresh token at all) to an operation's 401 answer, keeping the types
    the service documented: its ``x-problem-types`` and the ``enum`` of the ``type`` member."""
    ours = problem_answer(401, ["unauthorized"], "No valid refresh token, or none at all")
    existing = responses.get("401")
    if existing is None:
        responses["401"] = ours
        return
    types = [*existing.get("x-problem-types", []), *ours["x-problem-types"]]
    responses["401"] = problem_answer(401, (), "No valid refresh token, or none at all")
    merged = responses["401"]
    merged["x-problem-types"] = types
    merged["description"] = "No valid refresh token, or none at all. Problem types: " + "; ".join(
        f"`{t['type']}`" for t in types) + "."
    merged["content"][PROBLEM_JSON]["schema"]["allOf"][1]["properties"]["type"]["enum"] = [
        t["type"] for t in types]


def _clear_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path=COOKIE_PATH, secure=True, httponly=True, samesite="Strict")
