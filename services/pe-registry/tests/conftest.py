"""The PE registry's fast tests: the service and the event handlers on the in-memory unit of work of
``pe_registry_fakes.py``."""
from __future__ import annotations

import pe_registry_fakes as fakes
import pytest

from recert_pe_registry.handlers import Handlers
from recert_pe_registry.service import PeRegistryService
from recert_pe_registry.settings import PeRegistrySettings


@pytest.fixture
def settings() -> PeRegistrySettings:
    return PeRegistrySettings.from_env("pe-registry", env={}, max_evidence_bytes=1000)


@pytest.fixture
def db():
    return fakes.FakeDatabase()


@pytest.fixture
def uow(db):
    """The unit of work the service and the handlers get: one for the whole test, so that what it
    published accumulates in ``uow.published``."""
    return fakes.FakePeRegistryUnitOfWork(db)


@pytest.fixture
def objects():
    return fakes.FakeObjectStore()


@pytest.fixture
def service(uow, settings, objects) -> PeRegistryService:
    return PeRegistryService(lambda: uow, settings, objects, clock=lambda: fakes.NOW)


@pytest.fixture
def handlers(settings, objects) -> Handlers:
    return Handlers(settings, objects)
