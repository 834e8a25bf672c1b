"""Assessment's app and worker consumer (in-thread) on a fresh, migrated database per test module, with the
real RabbitMQ and tokens minted by a test key; the schedule is run by the tests themselves on a settable day.
The helpers are in assessment_support."""
from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

# The tests import assessment_support by name; pytest.ini puts only tests/integration on the path.
sys.path.insert(0, str(Path(__file__).parent))

from assessment_support import Clock, Harness  # noqa: E402

import recert_assessment  # noqa: E402
from recert_assessment.app import create_app  # noqa: E402
from recert_assessment.handlers import subscriptions  # noqa: E402
from recert_assessment.service import build_service  # noqa: E402
from recert_assessment.settings import AssessmentSettings  # noqa: E402
from recert_common.auth import StaticKeySource, TokenVerifier, generate_ed25519_jwk  # noqa: E402
from recert_common.db import Database, migrate_service  # noqa: E402
from recert_common.worker import Worker  # noqa: E402

MIGRATIONS = Path(recert_assessment.__file__).parent / "migrations"
IMPORT_MAX_BYTES = 64 * 1024  # small, so that "too large" needs no 5 MB body


@pytest.fixture(scope="module")
def assessment_settings(infra):
    tag = uuid.uuid4().hex[:6]
    url = infra.database_url(f"assessment_{tag}")
    migrate_service(url, "assessment", MIGRATIONS)
    return AssessmentSettings.from_env(
        "assessment", env={}, database_url=url, amqp_url=infra.amqp_url, exchange=infra.exchange,
        queue_prefix=f"{infra.queue_prefix}{tag}.", queue_expires_ms=600_000, consumer_max_retries=4,
        consumer_retry_base_ms=200, import_max_bytes=IMPORT_MAX_BYTES, log_level="WARNING")


@pytest.fixture(scope="module")
def assessment(infra, assessment_settings):
    settings = assessment_settings
    db = Database(settings.database_url, max_size=8).open(wait=True)
    clock = Clock()
    service = build_service(settings, db, today=clock)
    private, public = generate_ed25519_jwk(f"test-{uuid.uuid4().hex[:6]}")
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
    if "assessment" in request.fixturenames:
        harness = request.getfixturevalue("assessment")
        harness.clock.day = Clock().day
