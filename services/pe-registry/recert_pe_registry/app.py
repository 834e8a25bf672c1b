"""The PE registry web app: ``create_app(settings) -> Flask``."""
from __future__ import annotations

from flask import Flask

from recert_common import readiness
from recert_common.auth import TokenVerifier
from recert_common.web import create_base_app
from recert_pe_registry.api import BLUEPRINTS
from recert_pe_registry.service import PeRegistry, build_service
from recert_pe_registry.settings import PeRegistrySettings


def create_app(settings: PeRegistrySettings | None = None, *, service: PeRegistry | None = None,
               verifier: TokenVerifier | None = None) -> Flask:
    settings = settings or PeRegistrySettings.from_env("pe-registry")
    service = service or build_service(settings)
    app, api = create_base_app(
        settings, title="PE registry", version="1.0.0",
        verifier=verifier or TokenVerifier.from_settings(settings),
        readiness={"database": service.db.ping, "broker": readiness.broker(settings.amqp_url),
                   "storage": service.bucket.ready})
    app.extensions["pe_registry"] = service
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    return app
