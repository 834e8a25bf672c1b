"""The PE registry on a fresh, migrated database and a bucket of its own, with its worker's consumer running
in-thread against the run's exchange (fixtures); the helpers are in pe_support and service_harness."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The tests import pe_support by name; pytest.ini puts only tests/integration on the path.
sys.path.insert(0, str(Path(__file__).parent))

from pe_support import PeEnv  # noqa: E402

import recert_pe_registry  # noqa: E402
from recert_common.db import Database  # noqa: E402
from recert_common.worker import Worker  # noqa: E402
from recert_pe_registry.app import create_app  # noqa: E402
from recert_pe_registry.handlers import subscriptions  # noqa: E402
from recert_pe_registry.service import build_service  # noqa: E402
from recert_pe_registry.settings import PeRegistrySettings  # noqa: E402

from service_harness import bus_settings, fresh_database, signing_keys, worker_running  # noqa: E402


@pytest.fixture(scope="module")
def make_settings(infra):
    tag, url = fresh_database(infra, "pe-registry", recert_pe_registry)

    def make(**overrides) -> PeRegistrySettings:
        values = bus_settings(
            infra, url, tag, consumer_max_retries=1, consumer_retry_base_ms=100,
            s3_endpoint=infra.s3_endpoint, s3_access_key=infra.s3_access_key,
            s3_secret_key=infra.s3_secret_key, s3_secure=False,
            evidence_bucket=f"pe-evidence-{infra.run_id}-{tag}")
        return PeRegistrySettings.from_env("pe-registry", env={}, **{**values, **overrides})

    return make


@pytest.fixture(scope="module")
def pe(infra, make_settings):
    settings = make_settings()
    private_jwk, verifier = signing_keys(settings, "pe-tests")
    service = build_service(settings)
    app = create_app(settings, service=service, verifier=verifier)
    worker_db = Database(settings.database_url, max_size=4).open(wait=True)
    worker = Worker(settings, worker_db, subscriptions(settings, worker_db), relay=False)
    try:
        with worker_running(infra, worker):
            yield PeEnv(app=app, service=service, settings=settings, infra=infra, private_jwk=private_jwk)
    finally:
        worker_db.close()
        service.db.close()
