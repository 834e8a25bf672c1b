"""Billing's use cases and handlers on the in-memory unit of work (``billing_fakes.py``): no database,
broker or network."""
from __future__ import annotations

from datetime import date

import billing_fakes as fakes
import pytest

from recert_billing.handlers import Handlers
from recert_billing.service import BillingService
from recert_billing.settings import BillingSettings

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
