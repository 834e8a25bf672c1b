"""The notifications web app: ``create_app(settings) -> Flask``."""
from __future__ import annotations

from flask import Flask

from recert_common import readiness
from recert_common.auth import TokenVerifier
from recert_common.web import create_base_app
from recert_notifications.api import BLUEPRINTS
from recert_notifications.service import NotificationsService, build_service
from recert_notifications.settings import NotificationsSettings


def create_app(settings: NotificationsSettings | None = None, *, service: NotificationsService | None = None,
               verifier: TokenVerifier | None = None) -> Flask:
    settings = settings or NotificationsSettings.from_env("notifications")
    service = service or build_service(settings)
    app, api = create_base_app(
        settings, title="Notifications", version="1.0.0",
        verifier=verifier or TokenVerifier.from_settings(settings),
        readiness={"database": service.db.ping, "broker": readiness.broker(settings.amqp_url)})
    app.extensions["notifications"] = service
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    return app
