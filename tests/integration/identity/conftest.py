"""Identity's app on a fresh, migrated database of its own (fixtures); the helpers are in identity_support."""
from __future__ import annotations

import sys
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

# The tests import identity_support by name; pytest.ini puts only tests/integration on the path.
sys.path.insert(0, str(Path(__file__).parent))

from identity_support import IdentityClient  # noqa: E402

import recert_identity  # noqa: E402
from recert_identity.app import create_app  # noqa: E402
from recert_identity.crypto import new_key  # noqa: E402
from recert_identity.service import build_service  # noqa: E402
from recert_identity.settings import IdentitySettings  # noqa: E402

from service_harness import fresh_database  # noqa: E402


@pytest.fixture(scope="module")
def database_url(infra) -> str:
    return fresh_database(infra, "identity", recert_identity)[1]


@pytest.fixture(scope="module")
def make_settings(infra, database_url):
    secrets_key = new_key()

    def make(**overrides) -> IdentitySettings:
        # Cheap argon2 parameters keep the suite fast; the algorithm (argon2id) is the production one.
        values = dict(database_url=database_url, amqp_url=infra.amqp_url, exchange=infra.exchange,
                      secrets_key=secrets_key, argon2_time_cost=1, argon2_memory_kib=1024,
                      argon2_parallelism=1, log_level="WARNING", bus_trusted_users=infra.amqp_user)
        return IdentitySettings.from_env("identity", env={}, **{**values, **overrides})

    return make


@pytest.fixture(scope="module")
def make_client(make_settings):
    services = []

    def make(**overrides) -> IdentityClient:
        settings = make_settings(**overrides)
        service = build_service(settings)
        services.append(service)
        return IdentityClient(create_app(settings, service=service), service)

    yield make
    for service in services:
        service.db.close()


@pytest.fixture(scope="module")
def client(make_client) -> IdentityClient:
    return make_client()


@pytest.fixture
def db(database_url):
    with psycopg.connect(database_url, row_factory=dict_row, autocommit=True) as conn:
        yield conn
