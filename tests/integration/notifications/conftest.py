"""Notifications' app and worker (consumer and schedules, in-thread) on a fresh, migrated database, with real
RabbitMQ, a real SMTP server (aiosmtpd) started here, short back-off, and tokens minted by a test key; the
helpers are in notifications_support and service_harness. Each test module gets its own database, queue and
SMTP server."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The tests import notifications_support by name; pytest.ini puts only tests/integration on the path.
sys.path.insert(0, str(Path(__file__).parent))

from notifications_support import MAX_ATTEMPTS, Harness, SmtpServer  # noqa: E402

import recert_notifications  # noqa: E402
from recert_notifications.app import create_app  # noqa: E402
from recert_notifications.handlers import subscriptions  # noqa: E402
from recert_notifications.service import build_service  # noqa: E402
from recert_notifications.settings import NotificationsSettings  # noqa: E402
from recert_notifications.worker import schedules  # noqa: E402

from service_harness import bus_settings, fresh_database, real_today_fixture, running_service  # noqa: E402


@pytest.fixture(scope="module")
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def notifications(infra, smtp):
    tag, url = fresh_database(infra, "notifications", recert_notifications)
    settings = NotificationsSettings.from_env(
        "notifications", env={}, **bus_settings(infra, url, tag), smtp_host="127.0.0.1", smtp_port=smtp.port,
        smtp_timeout_seconds=5.0, send_max_attempts=MAX_ATTEMPTS, send_retry_base_seconds=0.2,
        send_retry_max_seconds=1.0, send_poll_seconds=0.05, reminder_poll_seconds=0.1,
        portal_url="https://mijn.registerjobcoach.test")

    def worker_parts(db, service, clock):
        return subscriptions(settings, db, service=service), schedules(settings, db, service=service)

    with running_service(infra, settings, build_service=build_service, create_app=create_app,
                         worker_parts=worker_parts) as parts:
        yield Harness(**parts, smtp=smtp)


_today_is_real = real_today_fixture("notifications")
