"""Portfolio's own settings, on top of what every service reads."""
from __future__ import annotations

import dataclasses
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from recert_common.config import ConfigError, ServiceSettings, env_field

MiB = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class PortfolioSettings(ServiceSettings):
    proof_bucket: str = env_field("RECERT_PORTFOLIO_PROOF_BUCKET", "portfolio-proof")
    proof_max_bytes: int = env_field("RECERT_PORTFOLIO_PROOF_MAX_BYTES", 20 * MiB)
    # Which calendar day "today" is (the submission window, dates in the future) is decided in this zone.
    time_zone: str = env_field("RECERT_PORTFOLIO_TIME_ZONE", "Europe/Amsterdam")
    # A fixed "today" (ISO date) for demonstrations and end-to-end tests of the submission window; empty in
    # production, where the real date is used.
    today: str = env_field("RECERT_PORTFOLIO_TODAY", "")

    def __post_init__(self):
        super().__post_init__()
        if self.proof_max_bytes < 1:
            raise ConfigError("RECERT_PORTFOLIO_PROOF_MAX_BYTES must be at least 1")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"RECERT_PORTFOLIO_TIME_ZONE: unknown time zone {self.time_zone!r}") from exc
        if self.today:
            try:
                date.fromisoformat(self.today)
            except ValueError as exc:
                raise ConfigError(f"RECERT_PORTFOLIO_TODAY: not an ISO date: {self.today!r}") from exc

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)
