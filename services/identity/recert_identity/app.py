"""The identity web app: ``create_app(settings) -> Flask``."""
from __future__ import annotations

from flask import Flask

from recert_common import readiness
from recert_common.auth import TokenVerifier
from recert_common.web import create_base_app
from recert_identity.api import BLUEPRINTS
from recert_identity.keys import DatabaseKeySource
from recert_identity.service import IdentityService, build_service
from recert_identity.settings import IdentitySettings


def create_app(settings: IdentitySettings | None = None, *, service: IdentityService | None = None) -> Flask:
    settings = settings or IdentitySettings.from_env("identity")
    service = service or build_service(settings)
    # Identity verifies its own tokens against the keys in its database, not over HTTP.
    verifier = TokenVerifier(DatabaseKeySource(service.db, service.keys, service.clock),
                             issuer=settings.jwt_issuer, audience=settings.jwt_audience)
    app, api = create_base_app(
        settings, title="Identity", version="1.0.0", verifier=verifier,
        readiness={"database": service.db.ping, "broker": readiness.broker(settings.amqp_url)})
    app.extensions["identity"] = service
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    return app
