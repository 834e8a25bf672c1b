"""The PE registry's fast tests: the service and the event handlers on the in-memory unit of work of
``fakes.py`` (imported as ``pe_registry_fakes``: every service's tests have a ``fakes`` module, and the
suites run in one process)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("pe_registry_fakes", Path(__file__).with_name("fakes.py"))
fakes = importlib.util.module_from_spec(_spec)
sys.modules["pe_registry_fakes"] = fakes
_spec.loader.exec_module(fakes)

from recert_pe_registry.handlers import Handlers  # noqa: E402
from recert_pe_registry.service import PeRegistryService  # noqa: E402
from recert_pe_registry.settings import PeRegistrySettings  # noqa: E402


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
