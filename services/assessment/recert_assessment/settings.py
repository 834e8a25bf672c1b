"""Assessment's own settings, on top of what every service reads."""
from __future__ import annotations

import dataclasses

from recert_common.clock import DEFAULT_TIME_ZONE, CalendarSettings
from recert_common.config import ConfigError, ServiceSettings, env_field

MiB = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class AssessmentSettings(CalendarSettings, ServiceSettings):
    # Which calendar day "today" is (expiry, lapse, deadlines) is decided in this zone.
    time_zone: str = env_field("RECERT_ASSESSMENT_TIME_ZONE", DEFAULT_TIME_ZONE)
    # A fixed "today" (ISO date) for demonstrations and end-to-end tests; empty in production.
    today: str = env_field("RECERT_ASSESSMENT_TODAY", "")
    # How often the worker looks for expiring and expired certificates and overdue cases.
    schedule_seconds: float = env_field("RECERT_ASSESSMENT_SCHEDULE_SECONDS", 60.0)
    # The term for an objection (bezwaar) against a decision, stated in the decision.
    objection_weeks: int = env_field("RECERT_ASSESSMENT_OBJECTION_WEEKS", 6)
    # The overdue list also shows cases due within this many days.
    due_soon_days: int = env_field("RECERT_ASSESSMENT_DUE_SOON_DAYS", 14)
    # The largest certificate CSV accepted (the gateway lets this path through with a large body).
    import_max_bytes: int = env_field("RECERT_ASSESSMENT_IMPORT_MAX_BYTES", 5 * MiB)
    # Verifiable credentials (ADR 0030). One or more 32-byte keys, base64url, comma-separated: the first
    # encrypts the issuer keys' private halves, all decrypt (as RECERT_IDENTITY_SECRETS_KEY).
    secrets_key: str = env_field("RECERT_ASSESSMENT_SECRETS_KEY", "")
    # Where the platform is reached from outside: the portal at /, the API at /api/v1. Credentials name
    # their issuer, status list and verification page under it, so it must be the public address.
    public_url: str = env_field("RECERT_ASSESSMENT_PUBLIC_URL", "https://mijn.registerjobcoach.nl")
    # The issuer's name in every credential.
    credential_issuer_name: str = env_field("RECERT_ASSESSMENT_CREDENTIAL_ISSUER_NAME", "Register Jobcoach")

    def __post_init__(self):
        super().__post_init__()
        for name in ("schedule_seconds", "objection_weeks", "import_max_bytes"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be positive")
        if self.due_soon_days < 0:
            raise ConfigError("RECERT_ASSESSMENT_DUE_SOON_DAYS may not be negative")
        if not self.secrets_key:
            raise ConfigError("RECERT_ASSESSMENT_SECRETS_KEY must be set; make one with: python -c \"import "
                              "base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())\"")
        if not self.public_url.startswith(("https://", "http://")):
            raise ConfigError("RECERT_ASSESSMENT_PUBLIC_URL must be an http(s) URL")
        self.check_calendar()
