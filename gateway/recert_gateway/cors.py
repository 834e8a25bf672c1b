"""CORS for the web frontends: origins on an allow-list, bearer tokens rather than cookies.

The gateway answers preflights itself, before any token check or routing, and marks the responses to
allowed origins. Tokens travel in ``Authorization``, so no credentials mode is needed and
``Access-Control-Allow-Credentials`` is never sent; the allow-list holds exact origins, never ``*``.
"""
from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, Response, request
from werkzeug.datastructures import Headers

from recert_common.errors import Forbidden, problem_response

ALLOWED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
ALLOWED_HEADERS = ("Authorization", "Content-Type", "X-Request-ID", "Accept", "Accept-Language",
                   "Idempotency-Key", "If-Match", "If-None-Match")
# Headers a script may read besides the CORS-safelisted ones.
EXPOSED_HEADERS = ("X-Request-ID", "Retry-After", "Location", "ETag", "WWW-Authenticate",
                   "Content-Disposition", "Content-Language")
PREFLIGHT_MAX_AGE = 600


def install_cors(app: Flask, origins: Iterable[str]) -> None:
    allowed = frozenset(origin.lower() for origin in origins)
    allowed_headers = frozenset(header.lower() for header in ALLOWED_HEADERS)

    @app.before_request
    def _answer_preflight() -> Response | None:
        if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
            return None
        origin = request.headers.get("Origin", "")
        wanted_method = request.headers["Access-Control-Request-Method"].strip().upper()
        wanted_headers = {h.strip().lower() for h in
                          request.headers.get("Access-Control-Request-Headers", "").split(",") if h.strip()}
        if origin.lower() not in allowed or wanted_method not in ALLOWED_METHODS \
                or not wanted_headers <= allowed_headers:
            response = problem_response(Forbidden(code="detail.cors_refused"))
            response.vary.add("Origin")
            return response
        response = Response(status=204)
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = ", ".join(ALLOWED_METHODS)
        response.headers["Access-Control-Allow-Headers"] = ", ".join(ALLOWED_HEADERS)
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
        response.vary.add("Origin")
        return response

    @app.after_request
    def _mark_allowed_origin(response: Response) -> Response:
        current = request._get_current_object()  # type: ignore[attr-defined]  # one lookup, not three
        if current.method == "OPTIONS" and "Access-Control-Request-Method" in current.headers:
            return response
        headers = response.headers
        # One look at the headers: the CORS ones to drop, and the first Vary.
        theirs: set[str] = set()
        vary = None
        for name, value in headers.items():
            lowered = name.lower()
            if lowered[:15] == "access-control-":
                theirs.add(name)
            elif vary is None and lowered == "vary":
                vary = value
        # Upstream services know nothing of CORS; whatever they said about it is not ours to pass on.
        for name in theirs:
            del headers[name]
        origin = current.headers.get("Origin")
        if origin is not None and origin.lower() in allowed:
            headers.add("Access-Control-Allow-Origin", origin)  # none left: adding is setting
            headers.add("Access-Control-Expose-Headers", _EXPOSED)
        _vary_on_origin(headers, vary)
        return response


_EXPOSED = ", ".join(EXPOSED_HEADERS)


def _vary_on_origin(headers: Headers, vary: str | None) -> None:
    """``Vary`` names ``Origin``, whatever else it names (``response.vary.add`` without parsing and rewriting
    the header on every response); ``vary`` is its first value, ``None`` when there is none."""
    if vary is None:
        headers.add("Vary", "Origin")  # none yet: adding is setting
    elif not vary:
        headers["Vary"] = "Origin"
    elif "origin" not in {item.strip().lower() for item in vary.split(",")}:
        headers["Vary"] = f"{vary}, Origin"
