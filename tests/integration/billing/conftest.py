"""Billing's app and consumer (in-thread) on a fresh, migrated database with real RabbitMQ, a settable
"today" and tokens minted by a test key; the helpers are in billing_support and service_harness."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The tests import billing_support by name; pytest.ini puts only tests/integration on the path.
sys.path.insert(0, str(Path(__file__).parent))

from billing_support import WEBHOOK_SECRET, Harness  # noqa: E402

import recert_billing  # noqa: E402
from recert_billing.app import create_app  # noqa: E402
from recert_billing.handlers import subscriptions  # noqa: E402
from recert_billing.service import build_service  # noqa: E402
from recert_billing.settings import BillingSettings  # noqa: E402

from service_harness import bus_settings, fresh_database, real_today_fixture, running_service  # noqa: E402


@pytest.fixture(scope="module")
def billing(infra):
    tag, url = fresh_database(infra, "billing", recert_billing)
    settings = BillingSettings.from_env(
        "billing", env={}, **bus_settings(infra, url, tag), webhook_secret=WEBHOOK_SECRET,
        dnv_details=("DNV Business Assurance", "Adres volgt"))
    with running_service(infra, settings, build_service=build_service, create_app=create_app, pool_size=12,
                         worker_parts=lambda db, service, clock: (subscriptions(settings, db, today=clock),)
                         ) as parts:
        yield Harness(**parts)


_today_is_real = real_today_fixture("billing")


@pytest.fixture(autouse=True)
def _events_happen_on_the_tests_days(request):
    if "billing" in request.fixturenames:
        request.getfixturevalue("billing").reset_event_order()
