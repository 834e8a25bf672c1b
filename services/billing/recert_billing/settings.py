"""Billing's own settings, on top of what every service reads."""
from __future__ import annotations

import dataclasses

from recert_common.clock import DEFAULT_TIME_ZONE, CalendarSettings
from recert_common.config import ConfigError, ServiceSettings, env_field


def _lines(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split("|") if part.strip())


@dataclasses.dataclass(frozen=True)
class BillingSettings(CalendarSettings, ServiceSettings):
    # The secret the payment provider signs its webhook bodies with (HMAC-SHA256). Empty: every webhook
    # call is refused, because an HMAC under an empty key proves nothing.
    webhook_secret: str = env_field("RECERT_BILLING_WEBHOOK_SECRET", "")
    # How far the signed timestamp of a webhook call may be from our clock (seconds, either side): a signed
    # request captured and replayed later than this is refused.
    webhook_tolerance_seconds: float = env_field("RECERT_BILLING_WEBHOOK_TOLERANCE_SECONDS", 300.0)
    # How far a payment's paid_at may lie before the invoice's issue or after now (clocks differ a little,
    # providers round to the second) before it is not believed.
    paid_at_skew_seconds: float = env_field("RECERT_BILLING_PAID_AT_SKEW_SECONDS", 300.0)
    # How often the worker looks for affiliates whose yearly register fee of the current year is not
    # invoiced yet (it runs in every worker; the invoices are idempotent per account and year).
    register_fee_interval_seconds: float = env_field("RECERT_BILLING_REGISTER_FEE_INTERVAL_SECONDS", 3600.0)
    # Which calendar day it is (issue date, due date, the year of the number and of the fee) is decided in
    # this zone.
    time_zone: str = env_field("RECERT_BILLING_TIME_ZONE", DEFAULT_TIME_ZONE)
    # A fixed "today" (ISO date) for demonstrations; empty in production.
    today: str = env_field("RECERT_BILLING_TODAY", "")
    # What the PDF prints under each issuer's name (address, KvK and VAT numbers, IBAN): lines separated by
    # "|". The real details are DNV's and Noloc's to supply; empty prints the name alone.
    dnv_details: tuple[str, ...] = env_field("RECERT_BILLING_DNV_DETAILS", (), parse=_lines)
    noloc_details: tuple[str, ...] = env_field("RECERT_BILLING_NOLOC_DETAILS", (), parse=_lines)

    def __post_init__(self):
        super().__post_init__()
        if self.webhook_tolerance_seconds <= 0 or self.paid_at_skew_seconds < 0:
            raise ConfigError("RECERT_BILLING_WEBHOOK_TOLERANCE_SECONDS must be positive and "
                              "RECERT_BILLING_PAID_AT_SKEW_SECONDS not negative")
        if self.register_fee_interval_seconds <= 0:
            raise ConfigError("RECERT_BILLING_REGISTER_FEE_INTERVAL_SECONDS must be positive")
        self.check_calendar()

    def issuer_details(self, issuer: str) -> tuple[str, ...]:
        return {"DNV": self.dnv_details, "Noloc": self.noloc_details}.get(issuer, ())
