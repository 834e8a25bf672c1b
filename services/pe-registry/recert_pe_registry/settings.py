"""The PE registry's own settings, on top of what every service reads."""
from __future__ import annotations

import dataclasses

from recert_common.clock import DEFAULT_TIME_ZONE, CalendarSettings
from recert_common.config import ConfigError, ServiceSettings, env_field

MiB = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class PeRegistrySettings(CalendarSettings, ServiceSettings):
    # The bucket holding evidence files; no other service writes to it.
    evidence_bucket: str = env_field("RECERT_PE_REGISTRY_EVIDENCE_BUCKET", "pe-evidence")
    # The largest evidence file accepted, in bytes (20 MiB, shown to people as "20 MB").
    max_evidence_bytes: int = env_field("RECERT_PE_REGISTRY_MAX_EVIDENCE_BYTES", 20 * MiB)
    # How long after the final decision on a portfolio its evidence files are kept (ADR 0020): 2 years.
    evidence_retention_days: int = env_field("RECERT_PE_REGISTRY_EVIDENCE_RETENTION_DAYS", 730)
    # How often the worker looks for evidence past its retention.
    retention_interval_seconds: float = env_field("RECERT_PE_REGISTRY_RETENTION_INTERVAL_SECONDS", 3600.0)
    # How long a hold on a submission's activities stands without portfolio's event (ADR 0044): long enough
    # to outlast an outage of portfolio's relay or this worker, short enough that a hold whose submission
    # never committed does not keep the jobcoach from their activities for long.
    submission_hold_seconds: float = env_field("RECERT_PE_REGISTRY_SUBMISSION_HOLD_SECONDS", 86400.0)
    # The jobcoaches' calendar: "today" (no activity dated after it) and the day a (re)certification was
    # decided (the next PE period starts the day after) are days in this zone.
    time_zone: str = env_field("RECERT_PE_REGISTRY_TIME_ZONE", DEFAULT_TIME_ZONE)

    # Evidence read for the jobcoach (ADR 0027): how often the worker tries to read one document before it
    # gives up, how long one attempt may hold it (a worker that dies frees it after this), the first
    # wait before another attempt (doubling), and how long the worker sleeps between looks when no
    # NOTIFY wakes it.
    reading_max_attempts: int = env_field("RECERT_PE_REGISTRY_READING_MAX_ATTEMPTS", 3)
    reading_lease_seconds: float = env_field("RECERT_PE_REGISTRY_READING_LEASE_SECONDS", 300.0)
    reading_retry_seconds: float = env_field("RECERT_PE_REGISTRY_READING_RETRY_SECONDS", 30.0)
    reading_poll_seconds: float = env_field("RECERT_PE_REGISTRY_READING_POLL_SECONDS", 5.0)

    def __post_init__(self):
        super().__post_init__()
        if self.max_evidence_bytes < 1:
            raise ConfigError("RECERT_PE_REGISTRY_MAX_EVIDENCE_BYTES must be at least 1")
        self.check_calendar()
        if self.reading_max_attempts < 1:
            raise ConfigError("RECERT_PE_REGISTRY_READING_MAX_ATTEMPTS must be at least 1")
        if self.evidence_retention_days < 0:
            raise ConfigError("RECERT_PE_REGISTRY_EVIDENCE_RETENTION_DAYS must not be negative")
