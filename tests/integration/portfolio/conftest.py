"""Portfolio's app and worker (in-thread) on a fresh, migrated database, with real RabbitMQ and S3 storage
and tokens minted by a test key; the helpers are in portfolio_support."""
from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

# The tests import portfolio_support by name; pytest.ini puts only tests/integration on the path.
sys.path.insert(0, str(Path(__file__).parent))

from portfolio_support import Clock, Harness  # noqa: E402

import recert_portfolio  # noqa: E402
from recert_common.auth import StaticKeySource, TokenVerifier, generate_ed25519_jwk  # noqa: E402
from recert_common.db import Database, migrate_service  # noqa: E402
from recert_common.worker import Worker  # noqa: E402
from recert_portfolio.app import create_app  # noqa: E402
from recert_portfolio.handlers import subscriptions  # noqa: E402
from recert_portfolio.service import build_service  # noqa: E402
from recert_portfolio.settings import PortfolioSettings  # noqa: E402

MIGRATIONS = Path(recert_portfolio.__file__).parent / "migrations"
PROOF_MAX_BYTES = 64 * 1024  # small, so that "too large" needs no 20 MB body


@pytest.fixture(scope="module")
def portfolio(infra):
    tag = uuid.uuid4().hex[:6]
    url = infra.database_url(f"portfolio_{tag}")
    migrate_service(url, "portfolio", MIGRATIONS)
    settings = PortfolioSettings.from_env(
        "portfolio", env={}, database_url=url, amqp_url=infra.amqp_url, exchange=infra.exchange,
        queue_prefix=f"{infra.queue_prefix}{tag}.", queue_expires_ms=600_000, consumer_max_retries=4,
        consumer_retry_base_ms=200, s3_endpoint=infra.s3_endpoint, s3_access_key=infra.s3_access_key,
        s3_secret_key=infra.s3_secret_key, s3_secure=False, proof_bucket=f"portfolio-proof-{tag}",
        proof_max_bytes=PROOF_MAX_BYTES, log_level="WARNING")
    db = Database(url, max_size=8).open(wait=True)
    clock = Clock()
    service = build_service(settings, db, today=clock)
    private, public = generate_ed25519_jwk(f"test-{tag}")
    verifier = TokenVerifier(StaticKeySource([public]), issuer=settings.jwt_issuer,
                             audience=settings.jwt_audience)
    app = create_app(settings, service=service, verifier=verifier)
    worker = Worker(settings, db, subscriptions(settings, db), relay=False)
    for consumer in worker.consumers:
        infra.queues.update(consumer.topology.all_queue_names())
    worker.start().wait_ready()
    yield Harness(app=app, service=service, settings=settings, db=db, amqp_url=infra.amqp_url,
                  private_jwk=private, clock=clock)
    worker.stop()
    db.close()


@pytest.fixture(autouse=True)
def _today_is_real(request):
    """Every test starts on the real date; a test that needs another day sets it."""
    if "portfolio" in request.fixturenames:
        harness = request.getfixturevalue("portfolio")
        harness.clock.day = Clock().day
