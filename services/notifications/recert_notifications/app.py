"""The notifications web app: ``create_app(settings) -> Flask``."""
from __future__ import annotations

from flask import Flask

from recert_common import readiness
from recert_common.auth import TokenVerifier
from recert_common.web import create_service_app
from recert_notifications.api import BLUEPRINTS
from recert_notifications.problems import PROBLEMS
from recert_notifications.service import NotificationsService, build_service
from recert_notifications.settings import NotificationsSettings


def create_app(settings: NotificationsSettings | None = None, *, service: NotificationsService | None = None,
               verifier: TokenVerifier | None = None) -> Flask:
    settings = settings or NotificationsSettings.from_env("notifications")
    service = service or build_service(settings)
    return create_service_app(settings, service, title="Notifications", extension="notifications",
                              blueprints=BLUEPRINTS, verifier=verifier, problems=PROBLEMS,
                              storage=readiness.storage(service.desk.store()))
