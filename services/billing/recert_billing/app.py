"""The billing web app: ``create_app(settings) -> Flask``."""
from __future__ import annotations

import logging

from flask import Flask

from recert_billing.api import BLUEPRINTS
from recert_billing.problems import PROBLEMS
from recert_billing.service import BillingService, build_service
from recert_billing.settings import BillingSettings
from recert_common.auth import TokenVerifier
from recert_common.web import create_service_app


def create_app(settings: BillingSettings | None = None, *, service: BillingService | None = None,
               verifier: TokenVerifier | None = None) -> Flask:
    settings = settings or BillingSettings.from_env("billing")
    service = service or build_service(settings)
    app = create_service_app(settings, service, title="Billing", extension="billing",
                             blueprints=BLUEPRINTS, problems=PROBLEMS, verifier=verifier)
    if not settings.webhook_secret:
        logging.getLogger(__name__).warning(
            "RECERT_BILLING_WEBHOOK_SECRET is not set: every payment notification will be refused")
    return app
