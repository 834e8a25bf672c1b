"""Billing's use cases and handlers on the in-memory unit of work (``fakes.py``): no database, broker or
network."""
from __future__ import annotations

import importlib.util
import sys
from datetime import date
from pathlib import Path

import pytest

from recert_billing.handlers import Handlers
from recert_billing.service import BillingService
from recert_billing.settings import BillingSettings


def _load_fakes():
    # Loaded under a name of its own: other services' tests have a fakes.py too (pytest's importlib mode).
    name = "recert_billing_tests_fakes"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("fakes.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


fakes = _load_fakes()

SETTINGS = BillingSettings.from_env("billing", env={}, webhook_secret="whsec-unit")


@pytest.fixture
def clock():
    return fakes.Clock(date(2026, 3, 10))


@pytest.fixture
def uow():
    return fakes.FakeBillingUnitOfWork()


@pytest.fixture
def service(uow, clock):
    return BillingService(lambda: uow, SETTINGS, today=clock)


@pytest.fixture
def story(uow, clock):
    return fakes.Story(uow, Handlers(clock), clock)
