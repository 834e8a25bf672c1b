"""The gateway's HTTP endpoints: ``/api/v1/openapi.json``, ``/api/v1/asyncapi.json`` (the events) and
everything else under ``/api/v1/``, forwarded.

For a forwarded request, in this order: the path must be clean and routed (400, 404); a rate-limited request
must be within its client address's limit and, for a login, within its account's (429; 503 when the shared
store of the limits does not answer); a request that is not public must carry a valid access token (401,
or 503 when identity's keys cannot be had); then its body limit is set (an upload's is higher) and it goes to
its service.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, request

from recert_common.auth import current_principal
from recert_common.context import get_correlation_id
from recert_common.errors import (
    BadRequest,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    accept_upload,
    body_too_large,
)
from recert_common.events.asyncapi import asyncapi_document
from recert_gateway import browser_session
from recert_gateway.compose import Composer
from recert_gateway.openapi import MergedOpenAPI
from recert_gateway.peers import request_peer
from recert_gateway.proxy import Forwarder
from recert_gateway.ratelimit import RateLimitStoreUnavailable, SharedLimiter
from recert_gateway.routes import METHODS, InvalidPath, RouteTable, split_path
from recert_gateway.settings import GatewaySettings

API_PREFIX = "/api/v1"
LOGIN = ("auth", "login")
_LOGIN_BODY_MAX = 16 * 1024
# Characters left as they are when the decoded path is quoted again for the service (RFC 3986 pchar and "/").
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


@dataclass
class Gateway:
    settings: GatewaySettings
    routes: RouteTable
    forwarder: Forwarder
    openapi: MergedOpenAPI
    limiter: SharedLimiter | None
    composer: Composer  # for composed endpoints (a dashboard): concurrent calls to several services


def gateway_blueprint(gateway: Gateway) -> Blueprint:
    blueprint = Blueprint("gateway", __name__, url_prefix=API_PREFIX)

    @blueprint.get("/openapi.json")
    def openapi_document() -> Response:
        response = jsonify(gateway.openapi.document())
        response.cache_control.max_age = int(gateway.openapi.cache_seconds)
        return response

    @blueprint.get("/asyncapi.json")
    def asyncapi() -> Response:
        """The catalogue of events on the exchange, for DNV's and Noloc's systems that subscribe to them."""
        response = jsonify(asyncapi_document())
        response.cache_control.max_age = int(gateway.openapi.cache_seconds)
        return response

    # provide_automatic_options=False: an OPTIONS request that is not a CORS preflight is the service's.
    @blueprint.route("/<path:path>", methods=sorted(METHODS), provide_automatic_options=False)
    def forward(path: str) -> Response:
        return _forward(gateway, path)

    return blueprint


def _forward(gateway: Gateway, path: str) -> Response:
    try:
        segments = split_path(path)
    except InvalidPath:
        raise BadRequest(code="detail.invalid_path") from None
    route = gateway.routes.match(segments)
    if route is None:
        raise NotFound(code="detail.route_not_found")
    settings = gateway.settings
    # The request itself rather than Flask's proxy of it: the forwarding reads it some twenty times.
    current = request._get_current_object()  # type: ignore[attr-defined]
    method = current.method
    peer = request_peer(current, settings.trusted_proxies)

    limit_rule = route.rate_limit_rule(method, segments)
    body = None
    if limit_rule is not None and gateway.limiter is not None and settings.auth_rate_limit is not None:
        checks = [(settings.auth_rate_limit, ("source", str(limit_rule), peer.client))]
        if settings.login_account_rate_limit is not None and (method, segments) == ("POST", LOGIN):
            body = _small_body()
            account = _login_account(body)
            if account is not None:
                checks.append((settings.login_account_rate_limit, ("login-account", account)))
        _enforce(gateway.limiter, checks)

    if not route.is_public(method, segments):
        current_principal()  # the 401 problem when the token is missing or not valid

    if route.is_upload(method, segments):
        accept_upload(settings.max_upload_bytes)  # over it: the same upload-too-large problem as a service

    def send(body: bytes | None) -> Response:
        return gateway.forwarder.forward(
            current, service=route.service, base_url=settings.service_url(route.service),
            path="v1/" + quote(path, safe=_PATH_SAFE), peer=peer, request_id=get_correlation_id(), body=body)

    if browser_session.applies(current, segments):
        return browser_session.forward(current, segments, send)
    return send(body)


def _enforce(limiter: SharedLimiter, checks) -> None:
    """Each limit in turn; the first that refuses answers 429 with Retry-After. A store that does not answer
    refuses the request with 503 (fail closed, ADR 0017)."""
    for limit, key in checks:
        try:
            decision = limiter.hit(limit, key)
        except RateLimitStoreUnavailable:
            raise ServiceUnavailable(code="detail.rate_limit_store_unavailable", retry_after=5) from None
        if not decision.allowed:
            raise TooManyRequests(code="detail.rate_limited", params={"retry_after": decision.retry_after},
                                  retry_after=decision.retry_after)


def _small_body() -> bytes | None:
    """The body of a login request, read whole so that its account can be limited; it is then sent on as
    read. A body over ``_LOGIN_BODY_MAX``, announced or chunked, is refused with 413: sent on unread it would
    name no account here and slip past the account's limit. ``None`` when it is not JSON (identity reads no
    password from it)."""
    if not request.is_json:
        return None
    request.max_content_length = _LOGIN_BODY_MAX  # the limit the 413 states
    if request.content_length is not None and request.content_length > _LOGIN_BODY_MAX:
        raise body_too_large()
    # werkzeug cuts a chunked body at its limit without a word: one byte more tells "too big" from "fits".
    request.max_content_length = _LOGIN_BODY_MAX + 1
    body = request.get_data(cache=True)
    request.max_content_length = _LOGIN_BODY_MAX
    if len(body) > _LOGIN_BODY_MAX:
        raise body_too_large()
    return body


def _login_account(body: bytes | None) -> str | None:
    """The e-mail address a login names, as identity compares it (trimmed, lower case); ``None`` when the
    body names none (identity refuses it anyway)."""
    if not body:
        return None
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    email = document.get("email") if isinstance(document, dict) else None
    if not isinstance(email, str) or not email.strip() or len(email) > 320:
        return None
    return email.strip().lower().encode("utf-8", "backslashreplace").decode("utf-8")
