"""The gateway's Flask app: the one HTTP API (``/api/v1/...``) in front of the services.

It has no database: it is ready when the services it routes to answer their ``/healthz``.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, g, request

from recert_common.auth import TOKEN_CACHE_SIZE, TokenVerifier
from recert_common.http import ServiceClient
from recert_common.metrics import app_registry
from recert_common.web import CLIENT_SCHEME, create_base_app
from recert_gateway import (
    archive,
    browser_session,
    messages,  # noqa: F401 - registers the gateway's message texts
)
from recert_gateway.api import Gateway, gateway_blueprint
from recert_gateway.compose import Composer
from recert_gateway.composed import available_endpoints, composed_blueprint
from recert_gateway.composed_docs import document_composed
from recert_gateway.cors import install_cors
from recert_gateway.docs import docs_blueprint
from recert_gateway.openapi import MergedOpenAPI
from recert_gateway.peers import request_peer
from recert_gateway.portal import DEFAULT_WEB_ROOT, portal_blueprint
from recert_gateway.proxy import Forwarder, new_session
from recert_gateway.ratelimit import SharedLimiter
from recert_gateway.routes import ROUTES, RouteTable
from recert_gateway.settings import GatewaySettings

READINESS_TIMEOUT = 2.0
_EXTENSION = "recert_gateway"


def create_app(settings: GatewaySettings | None = None, *, routes: RouteTable | None = None,
               verifier: TokenVerifier | None = None) -> Flask:
    settings = settings or GatewaySettings.from_env("gateway")
    routes = routes or ROUTES
    services = routes.services()
    urls = {service: settings.service_url(service) for service in services}  # fails early on a missing URL

    session = new_session(pool_size=settings.compose_workers)
    clients = {service: ServiceClient(url, service=service, timeout=settings.openapi_timeout, session=session)
               for service, url in urls.items()}
    # Ready means able to check tokens: identity's keys. A service that is down answers 503 on its own
    # routes (and is listed as missing by composed endpoints) without taking the whole API out of rotation.
    readiness = {"identity": _healthz_check(clients["identity"])}
    app, api = create_base_app(
        settings, title="Gateway", readiness=readiness, readiness_timeout=READINESS_TIMEOUT,
        verifier=verifier or TokenVerifier.from_settings(settings, cache_size=TOKEN_CACHE_SIZE),
        import_name="recert_gateway")
    install_cors(app, settings.cors_origins)

    @app.before_request
    def _client_scheme() -> None:
        # The scheme the client used, as far as a trusted proxy tells it: HSTS is sent when it is https.
        peer = request_peer(request._get_current_object(), settings.trusted_proxies)  # type: ignore[attr-defined]
        g.setdefault(CLIENT_SCHEME, peer.proto)

    composer = Composer(clients, max_workers=settings.compose_workers, timeout=settings.openapi_timeout)
    composed = available_endpoints(services)
    gateway = Gateway(
        settings=settings,
        routes=routes,
        forwarder=Forwarder(connect_timeout=settings.connect_timeout, read_timeout=settings.read_timeout,
                            registry=app_registry(app)),
        openapi=MergedOpenAPI(routes, composer, timeout=settings.openapi_timeout,
                              cache_seconds=settings.openapi_cache_seconds,
                              extend=lambda document: _extend(document, composed, services)),
        # RECERT_GATEWAY_AUTH_RATE_LIMIT=off switches every limit off (and the store is not used).
        limiter=(SharedLimiter(storage_uri=settings.rate_limit_storage,
                               prefix=settings.rate_limit_prefix) if settings.auth_rate_limit else None),
        composer=composer,
    )
    app.extensions[_EXTENSION] = gateway
    app.register_blueprint(docs_blueprint())
    app.register_blueprint(composed_blueprint(composer, composed, timeout=settings.compose_timeout))
    if archive.available(services):
        app.register_blueprint(archive.archive_blueprint(clients, session, urls,
                                                         timeout=settings.read_timeout))
    app.register_blueprint(gateway_blueprint(gateway))
    web_root = Path(settings.web_root) if settings.web_root else DEFAULT_WEB_ROOT
    app.register_blueprint(portal_blueprint(web_root))
    return app


def _extend(document: dict, composed, services) -> None:
    document_composed(document, composed)
    browser_session.document(document)
    if archive.available(services):
        archive.document_archive(document)


def _healthz_check(client: ServiceClient):
    def check() -> object:
        return client.get("/healthz", timeout=READINESS_TIMEOUT)

    return check


def gateway_of(app: Flask) -> Gateway:
    return app.extensions[_EXTENSION]
