"""Notifications' app and worker (consumer and schedules, in-thread) on a fresh, migrated database, with real
RabbitMQ, a real SMTP server (aiosmtpd) started here, short back-off, and tokens minted by a test key; the
helpers are in notifications_support. Each test module gets its own database, queue and SMTP server."""
from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

# The tests import notifications_support by name; pytest.ini puts only tests/integration on the path.
sys.path.insert(0, str(Path(__file__).parent))

from notifications_support import MAX_ATTEMPTS, Clock, Harness, SmtpServer  # noqa: E402

import recert_notifications  # noqa: E402
from recert_common.auth import StaticKeySource, TokenVerifier, generate_ed25519_jwk  # noqa: E402
from recert_common.db import Database, migrate_service  # noqa: E402
from recert_common.worker import Worker  # noqa: E402
from recert_notifications.app import create_app  # noqa: E402
from recert_notifications.handlers import subscriptions  # noqa: E402
from recert_notifications.service import build_service  # noqa: E402
from recert_notifications.settings import NotificationsSettings  # noqa: E402
from recert_notifications.worker import schedules  # noqa: E402

MIGRATIONS = Path(recert_notifications.__file__).parent / "migrations"


@pytest.fixture(scope="module")
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def notifications(infra, smtp):
    tag = uuid.uuid4().hex[:6]
    url = infra.database_url(f"notifications_{tag}")
    migrate_service(url, "notifications", MIGRATIONS)
    settings = NotificationsSettings.from_env(
        "notifications", env={}, database_url=url, amqp_url=infra.amqp_url, exchange=infra.exchange,
        queue_prefix=f"{infra.queue_prefix}{tag}.", queue_expires_ms=600_000, consumer_max_retries=4,
        consumer_retry_base_ms=200, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_timeout_seconds=5.0,
        send_max_attempts=MAX_ATTEMPTS, send_retry_base_seconds=0.2, send_retry_max_seconds=1.0,
        send_poll_seconds=0.05, reminder_poll_seconds=0.1, portal_url="https://mijn.registerjobcoach.test",
        log_level="WARNING")
    db = Database(url, max_size=8).open(wait=True)
    clock = Clock()
    service = build_service(settings, db, today=clock)
    private, public = generate_ed25519_jwk(f"test-{tag}")
    verifier = TokenVerifier(StaticKeySource([public]), issuer=settings.jwt_issuer,
                             audience=settings.jwt_audience)
    app = create_app(settings, service=service, verifier=verifier)
    worker = Worker(settings, db, subscriptions(settings, db, service=service),
                    schedules(settings, db, service=service), relay=False)
    for consumer in worker.consumers:
        infra.queues.update(consumer.topology.all_queue_names())
    worker.start().wait_ready()
    yield Harness(app=app, service=service, settings=settings, db=db, amqp_url=infra.amqp_url,
                  private_jwk=private, clock=clock, smtp=smtp)
    worker.stop()
    db.close()


@pytest.fixture(autouse=True)
def _today_is_real(request):
    """Every test starts on the real date; a test that needs another day sets it."""
    if "notifications" in request.fixturenames:
        request.getfixturevalue("notifications").clock.day = Clock().day
