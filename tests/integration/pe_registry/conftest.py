"""The PE registry on a fresh, migrated database and a bucket of its own, with its worker's consumer running
in-thread against the run's exchange (fixtures); the helpers are in pe_support."""
from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

# The tests import pe_support by name; pytest.ini puts only tests/integration on the path.
sys.path.insert(0, str(Path(__file__).parent))

from pe_support import PeEnv  # noqa: E402

import recert_pe_registry  # noqa: E402
from recert_common.auth import StaticKeySource, TokenVerifier, generate_ed25519_jwk  # noqa: E402
from recert_common.db import Database, migrate_service  # noqa: E402
from recert_common.worker import Worker  # noqa: E402
from recert_pe_registry.app import create_app  # noqa: E402
from recert_pe_registry.handlers import subscriptions  # noqa: E402
from recert_pe_registry.service import build_service  # noqa: E402
from recert_pe_registry.settings import PeRegistrySettings  # noqa: E402

MIGRATIONS = Path(recert_pe_registry.__file__).parent / "migrations"


@pytest.fixture(scope="module")
def make_settings(infra):
    tag = uuid.uuid4().hex[:6]
    url = infra.database_url(f"pe_registry_{tag}")
    migrate_service(url, "pe-registry", MIGRATIONS)

    def make(**overrides) -> PeRegistrySettings:
        values = dict(
            database_url=url, amqp_url=infra.amqp_url, exchange=infra.exchange,
            queue_prefix=f"{infra.queue_prefix}{tag}.", queue_expires_ms=600_000,
            consumer_max_retries=1, consumer_retry_base_ms=100,
            s3_endpoint=infra.s3_endpoint, s3_access_key=infra.s3_access_key,
            s3_secret_key=infra.s3_secret_key, s3_secure=False,
            evidence_bucket=f"pe-evidence-{infra.run_id}-{tag}", log_level="WARNING")
        return PeRegistrySettings.from_env("pe-registry", env={}, **{**values, **overrides})

    return make


@pytest.fixture(scope="module")
def pe(infra, make_settings):
    settings = make_settings()
    private_jwk, public_jwk = generate_ed25519_jwk("pe-tests")
    verifier = TokenVerifier(StaticKeySource([public_jwk]), issuer=settings.jwt_issuer,
                             audience=settings.jwt_audience)
    service = build_service(settings)
    app = create_app(settings, service=service, verifier=verifier)
    worker_db = Database(settings.database_url, max_size=4).open(wait=True)
    worker = Worker(settings, worker_db, subscriptions(settings, worker_db), relay=False)
    for consumer in worker.consumers:
        infra.queues.update(consumer.topology.all_queue_names())
    worker.start().wait_ready()
    try:
        yield PeEnv(app=app, service=service, settings=settings, infra=infra, private_jwk=private_jwk,
                    kid="pe-tests")
    finally:
        worker.stop()
        worker_db.close()
        service.db.close()
