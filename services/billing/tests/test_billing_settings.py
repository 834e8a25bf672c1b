"""Billing's settings from the environment."""
from __future__ import annotations

import pytest

from recert_billing.settings import BillingSettings
from recert_common.config import ConfigError


def test_defaults_refuse_webhooks_and_run_the_schedule_hourly():
    settings = BillingSettings.from_env("billing", env={})
    assert settings.webhook_secret == ""
    assert settings.register_fee_interval_seconds == 3600
    assert settings.time_zone == "Europe/Amsterdam" and settings.today == ""
    assert settings.issuer_details("DNV") == () and settings.issuer_details("Other") == ()


def test_issuer_details_are_lines_separated_by_bars():
    settings = BillingSettings.from_env("billing", env={
        "RECERT_BILLING_WEBHOOK_SECRET": "s", "RECERT_BILLING_NOLOC_DETAILS": "Noloc | Postbus 1 || NL00",
        "RECERT_BILLING_REGISTER_FEE_INTERVAL_SECONDS": "60", "RECERT_BILLING_TODAY": "2027-01-01"})
    assert settings.issuer_details("Noloc") == ("Noloc", "Postbus 1", "NL00")
    assert (settings.webhook_secret, settings.register_fee_interval_seconds) == ("s", 60)


@pytest.mark.parametrize("env", [
    {"RECERT_BILLING_REGISTER_FEE_INTERVAL_SECONDS": "0"},
    {"RECERT_BILLING_TIME_ZONE": "Mars/Olympus"},
    {"RECERT_BILLING_TODAY": "1 januari"},
])
def test_nonsense_is_refused_at_start(env):
    with pytest.raises(ConfigError):
        BillingSettings.from_env("billing", env=env)
