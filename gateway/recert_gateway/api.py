"""The gateway's HTTP endpoints: ``/api/v1/openapi.json``, ``/api/v1/asyncapi.json`` (the events) and
everything else under ``/api/v1/``, forwarded.

For a forwarded request, in this order: the path must be clean and routed (400, 404); a rate-limited request
must be within its client's limit (429); a request that is not public must carry a valid access token (401,
or 503 when identity's keys cannot be had); then its body limit is set (an upload's is higher) and it goes to
its service.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, request

from recert_common.auth import current_principal
from recert_common.context import get_correlation_id
from recert_common.errors import BadRequest, NotFound, TooManyRequests, accept_upload
from recert_common.events.asyncapi import asyncapi_document
from recert_gateway.compose import Composer
from recert_gateway.openapi import MergedOpenAPI
from recert_gateway.peers import resolve_peer
from recert_gateway.proxy import Forwarder
from recert_gateway.ratelimit import SlidingWindowLimiter
from recert_gateway.routes import METHODS, InvalidPath, RouteTable, split_path
from recert_gateway.settings import GatewaySettings

API_PREFIX = "/api/v1"
# Characters left as they are when the decoded path is quoted again for the service (RFC 3986 pchar and "/").
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


@dataclass
class Gateway:
    settings: GatewaySettings
    routes: RouteTable
    forwarder: Forwarder
    openapi: MergedOpenAPI
    limiter: SlidingWindowLimiter | None
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
    method = request.method
    peer = resolve_peer(request.remote_addr, request.headers.get("X-Forwarded-For"),
                        request.headers.get("X-Forwarded-Proto"), request.scheme, settings.trusted_proxies)

    limit_rule = route.rate_limit_rule(method, segments)
    if limit_rule is not None and gateway.limiter is not None:
        decision = gateway.limiter.hit((peer.client, str(limit_rule)))
        if not decision.allowed:
            raise TooManyRequests(code="detail.rate_limited", params={"retry_after": decision.retry_after},
                                  retry_after=decision.retry_after)

    if not route.is_public(method, segments):
        current_principal()  # the 401 problem when the token is missing or not valid

    if route.is_upload(method, segments):
        accept_upload(settings.max_upload_bytes)  # over it: the same upload-too-large problem as a service

    return gateway.forwarder.forward(
        request, service=route.service, base_url=settings.service_url(route.service),
        path="v1/" + quote(path, safe=_PATH_SAFE), peer=peer, request_id=get_correlation_id())
