"""Portfolio's app and worker (in-thread) on a fresh, migrated database, with real RabbitMQ and S3 storage
and tokens minted by a test key; the helpers are in portfolio_support and service_harness."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The tests import portfolio_support by name; pytest.ini puts only tests/integration on the path.
sys.path.insert(0, str(Path(__file__).parent))

from portfolio_support import Harness, PeRegistryAgrees  # noqa: E402

import recert_portfolio  # noqa: E402
from recert_portfolio.app import create_app  # noqa: E402
from recert_portfolio.handlers import subscriptions  # noqa: E402
from recert_portfolio.service import build_service  # noqa: E402
from recert_portfolio.settings import PortfolioSettings  # noqa: E402

from service_harness import bus_settings, fresh_database, real_today_fixture, running_service  # noqa: E402

PROOF_MAX_BYTES = 64 * 1024  # small, so that "too large" needs no 20 MB body


@pytest.fixture(scope="module")
def portfolio(infra):
    tag, url = fresh_database(infra, "portfolio", recert_portfolio)
    settings = PortfolioSettings.from_env(
        "portfolio", env={}, **bus_settings(infra, url, tag), s3_endpoint=infra.s3_endpoint,
        s3_access_key=infra.s3_access_key, s3_secret_key=infra.s3_secret_key, s3_secure=False,
        proof_bucket=f"portfolio-proof-{tag}", proof_max_bytes=PROOF_MAX_BYTES)
    with running_service(infra, settings, build_service=build_service, create_app=create_app,
                         worker_parts=lambda db, service, clock: (subscriptions(settings, db),)) as parts:
        holds = PeRegistryAgrees()
        parts["service"].pe_holds = lambda: holds
        yield Harness(**parts)


_today_is_real = real_today_fixture("portfolio")
