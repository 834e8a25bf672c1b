"""The PE registry web app: ``create_app(settings) -> Flask``."""
from __future__ import annotations

from flask import Flask

from recert_common import readiness
from recert_common.auth import TokenVerifier
from recert_common.web import create_service_app
from recert_pe_registry.api import BLUEPRINTS
from recert_pe_registry.problems import PROBLEMS
from recert_pe_registry.service import PeRegistryService, build_service
from recert_pe_registry.settings import PeRegistrySettings


def create_app(settings: PeRegistrySettings | None = None, *, service: PeRegistryService | None = None,
               verifier: TokenVerifier | None = None) -> Flask:
    settings = settings or PeRegistrySettings.from_env("pe-registry")
    service = service or build_service(settings)
    return create_service_app(settings, service, title="PE registry", extension="pe_registry",
                              blueprints=BLUEPRINTS, verifier=verifier, problems=PROBLEMS,
                              storage=readiness.storage(service.evidence_store))

