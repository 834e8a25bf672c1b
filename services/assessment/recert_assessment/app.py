"""The assessment web app: ``create_app(settings) -> Flask``."""
from __future__ import annotations

from flask import Flask

from recert_assessment.api import BLUEPRINTS
from recert_assessment.problems import PROBLEMS
from recert_assessment.service import AssessmentService, build_service
from recert_assessment.settings import AssessmentSettings
from recert_common.auth import TokenVerifier
from recert_common.web import create_service_app


def create_app(settings: AssessmentSettings | None = None, *, service: AssessmentService | None = None,
               verifier: TokenVerifier | None = None) -> Flask:
    settings = settings or AssessmentSettings.from_env("assessment")
    service = service or build_service(settings)
    return create_service_app(settings, service, title="Assessment", extension="assessment",
                              blueprints=BLUEPRINTS, problems=PROBLEMS, verifier=verifier)
