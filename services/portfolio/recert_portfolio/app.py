"""The portfolio web app: ``create_app(settings) -> Flask``."""
from __future__ import annotations

from flask import Flask

from recert_common import readiness
from recert_common.auth import TokenVerifier
from recert_common.web import create_service_app
from recert_portfolio.api import BLUEPRINTS
from recert_portfolio.problems import PROBLEMS
from recert_portfolio.service import PortfolioService, build_service
from recert_portfolio.settings import PortfolioSettings


def create_app(settings: PortfolioSettings | None = None, *, service: PortfolioService | None = None,
               verifier: TokenVerifier | None = None) -> Flask:
    settings = settings or PortfolioSettings.from_env("portfolio")
    service = service or build_service(settings)
    return create_service_app(settings, service, title="Portfolio", extension="portfolio",
                              blueprints=BLUEPRINTS, verifier=verifier, problems=PROBLEMS,
                              storage=readiness.storage(service.proofs))
