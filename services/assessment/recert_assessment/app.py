"""The assessment web app: ``create_app(settings) -> Flask``."""
from __future__ import annotations

from flask import Flask

from recert_assessment.api import BLUEPRINTS
from recert_assessment.service import AssessmentService, build_service
from recert_assessment.settings import AssessmentSettings
from recert_common import readiness
from recert_common.auth import TokenVerifier
from recert_common.web import create_base_app


def create_app(settings: AssessmentSettings | None = None, *, service: AssessmentService | None = None,
               verifier: TokenVerifier | None = None) -> Flask:
    settings = settings or AssessmentSettings.from_env("assessment")
    service = service or build_service(settings)
    app, api = create_base_app(
        settings, title="Assessment", version="1.0.0",
        verifier=verifier or TokenVerifier.from_settings(settings),
        readiness={"database": service.db.ping, "broker": readiness.broker(settings.amqp_url)})
    app.extensions["assessment"] = service
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    return app
