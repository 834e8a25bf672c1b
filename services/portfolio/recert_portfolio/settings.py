"""Portfolio's own settings, on top of what every service reads."""
from __future__ import annotations

import dataclasses

from recert_common.clock import DEFAULT_TIME_ZONE, CalendarSettings
from recert_common.config import ConfigError, ServiceSettings, env_field

MiB = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class PortfolioSettings(CalendarSettings, ServiceSettings):
    proof_bucket: str = env_field("RECERT_PORTFOLIO_PROOF_BUCKET", "portfolio-proof")
    proof_max_bytes: int = env_field("RECERT_PORTFOLIO_PROOF_MAX_BYTES", 20 * MiB)
    # Which calendar day "today" is (the submission window, dates in the future) is decided in this zone.
    time_zone: str = env_field("RECERT_PORTFOLIO_TIME_ZONE", DEFAULT_TIME_ZONE)
    # A fixed "today" (ISO date) for demonstrations and end-to-end tests of the submission window; empty in
    # production, where the real date is used.
    today: str = env_field("RECERT_PORTFOLIO_TODAY", "")
    # How long after the final decision on a cycle its snapshots and proof files are kept (ADR 0020): 2 years.
    retention_days: int = env_field("RECERT_PORTFOLIO_RETENTION_DAYS", 730)
    # How often the worker looks for snapshots past their retention.
    retention_interval_seconds: float = env_field("RECERT_PORTFOLIO_RETENTION_INTERVAL_SECONDS", 3600.0)

    # The key the secret calendar feed addresses are made with (HMAC-SHA256; ADR 0026): at least 32
    # characters. Empty: no calendar feeds (the operations answer 503). Changing it ends every feed address.
    calendar_secret: str = env_field("RECERT_PORTFOLIO_CALENDAR_SECRET", "")
    # How often the worker looks for milestones that turned "behind" (the nudge): once a day.
    wegwijzer_interval_seconds: float = env_field("RECERT_PORTFOLIO_WEGWIJZER_INTERVAL_SECONDS", 86400.0)
    # How often the worker looks for a last day to submit, or a supplement's due date, that passed with
    # nothing handed in (ADR 0042): assessment acts on what it announces, so soon after midnight matters.
    deadline_interval_seconds: float = env_field("RECERT_PORTFOLIO_DEADLINE_INTERVAL_SECONDS", 300.0)

    # pe-registry, which holds a submission's PE activities before portfolio seals it (ADR 0044); the
    # gateway reads the same variable.
    pe_registry_url: str = env_field("RECERT_PE_REGISTRY_URL", "http://127.0.0.1:8003")

    def __post_init__(self):
        super().__post_init__()
        if self.proof_max_bytes < 1:
            raise ConfigError("RECERT_PORTFOLIO_PROOF_MAX_BYTES must be at least 1")
        self.check_calendar()
        if self.calendar_secret and len(self.calendar_secret) < 32:
            raise ConfigError("RECERT_PORTFOLIO_CALENDAR_SECRET must be at least 32 characters (or empty)")
        if self.retention_days < 0:
            raise ConfigError("RECERT_PORTFOLIO_RETENTION_DAYS must not be negative")
