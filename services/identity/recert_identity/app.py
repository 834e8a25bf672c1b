"""The identity web app: ``create_app(settings) -> Flask``."""
from __future__ import annotations

from flask import Flask

from recert_common.auth import TokenVerifier
from recert_common.web import create_service_app
from recert_identity.api import BLUEPRINTS
from recert_identity.keys import OwnKeySource
from recert_identity.problems import problem_map
from recert_identity.service import IdentityService, build_service
from recert_identity.settings import IdentitySettings


def create_app(settings: IdentitySettings | None = None, *, service: IdentityService | None = None,
               verifier: TokenVerifier | None = None) -> Flask:
    settings = settings or IdentitySettings.from_env("identity")
    service = service or build_service(settings)
    # Identity verifies its own tokens against the keys in its database, not over HTTP.
    verifier = verifier or TokenVerifier(OwnKeySource(service.uow, service.keys, service.clock),
                                         issuer=settings.jwt_issuer, audience=settings.jwt_audience)
    return create_service_app(settings, service, title="Identity", extension="identity",
                              blueprints=BLUEPRINTS, verifier=verifier,
                              problems=problem_map(settings.support))
