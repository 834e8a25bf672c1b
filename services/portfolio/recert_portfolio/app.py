"""The portfolio web app: ``create_app(settings) -> Flask``."""
from __future__ import annotations

from flask import Flask

from recert_common import readiness
from recert_common.auth import TokenVerifier
from recert_common.web import create_base_app
from recert_portfolio.api import BLUEPRINTS
from recert_portfolio.service import PortfolioService, build_service
from recert_portfolio.settings import PortfolioSettings


def create_app(settings: PortfolioSettings | None = None, *, service: PortfolioService | None = None,
               verifier: TokenVerifier | None = None) -> Flask:
    settings = settings or PortfolioSettings.from_env("portfolio")
    service = service or build_service(settings)
    app, api = create_base_app(
        settings, title="Portfolio", version="1.0.0",
        verifier=verifier or TokenVerifier.from_settings(settings),
        readiness={"database": service.db.ping, "broker": readiness.broker(settings.amqp_url),
                   "storage": service.proofs.ping})
    app.extensions["portfolio"] = service
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    return app
