"""Identity's service on the in-memory unit of work (``identity_fakes.py``): no database, broker or
network."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import identity_fakes as fakes
import pytest

from recert_identity.crypto import SecretBox, new_key
from recert_identity.domain import PasswordHasher
from recert_identity.keys import KeyRing
from recert_identity.service import IdentityService
from recert_identity.settings import IdentitySettings

T0 = datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC)  # 10 s into a 30-second TOTP step


class Clock:
    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def hasher() -> PasswordHasher:
    # Cheap argon2 parameters keep the suite fast; the algorithm (argon2id) is the production one.
    return PasswordHasher(time_cost=1, memory_kib=1024, parallelism=1)


@pytest.fixture(scope="session")
def settings() -> IdentitySettings:
    return IdentitySettings.from_env("identity", env={}, secrets_key=new_key(), argon2_time_cost=1,
                                     argon2_memory_kib=1024, argon2_parallelism=1)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def uow():
    return fakes.FakeIdentityUnitOfWork()


@pytest.fixture
def service(uow, settings, hasher, clock) -> IdentityService:
    box = SecretBox.from_setting(settings.secrets_key)
    keys = KeyRing(box, access_token_ttl=timedelta(seconds=settings.access_token_ttl_seconds),
                   publish_ahead=timedelta(seconds=settings.key_publish_ahead_seconds))
    return IdentityService(lambda: uow, settings, box=box, hasher=hasher, keys=keys, clock=clock)
