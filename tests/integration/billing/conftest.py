"""Billing's app and consumer (in-thread) on a fresh, migrated database with real RabbitMQ, a settable
"today" and tokens minted by a test key; the helpers are in billing_support."""
from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

# The tests import billing_support by name; pytest.ini puts only tests/integration on the path.
sys.path.insert(0, str(Path(__file__).parent))

from billing_support import WEBHOOK_SECRET, Clock, Harness  # noqa: E402

import recert_billing  # noqa: E402
from recert_billing.app import create_app  # noqa: E402
from recert_billing.handlers import subscriptions  # noqa: E402
from recert_billing.service import build_service  # noqa: E402
from recert_billing.settings import BillingSettings  # noqa: E402
from recert_common.auth import StaticKeySource, TokenVerifier, generate_ed25519_jwk  # noqa: E402
from recert_common.db import Database, migrate_service  # noqa: E402
from recert_common.worker import Worker  # noqa: E402

MIGRATIONS = Path(recert_billing.__file__).parent / "migrations"


@pytest.fixture(scope="module")
def billing(infra):
    tag = uuid.uuid4().hex[:6]
    url = infra.database_url(f"billing_{tag}")
    migrate_service(url, "billing", MIGRATIONS)
    settings = BillingSettings.from_env(
        "billing", env={}, database_url=url, amqp_url=infra.amqp_url, exchange=infra.exchange,
        queue_prefix=f"{infra.queue_prefix}{tag}.", queue_expires_ms=600_000, consumer_max_retries=4,
        consumer_retry_base_ms=200, webhook_secret=WEBHOOK_SECRET, log_level="WARNING",
        dnv_details=("DNV Business Assurance", "Adres volgt"))
    db = Database(url, max_size=12).open(wait=True)
    clock = Clock()
    service = build_service(settings, db, today=clock)
    private, public = generate_ed25519_jwk(f"test-{tag}")
    verifier = TokenVerifier(StaticKeySource([public]), issuer=settings.jwt_issuer,
                             audience=settings.jwt_audience)
    app = create_app(settings, service=service, verifier=verifier)
    worker = Worker(settings, db, subscriptions(settings, db, today=clock), relay=False)
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
    if "billing" in request.fixturenames:
        harness = request.getfixturevalue("billing")
        harness.clock.day = Clock().day
