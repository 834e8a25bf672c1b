"""Notifications' own settings, on top of what every service reads.

The SMTP variables have no service in their names (``RECERT_SMTP_HOST``...): one mail relay serves the
platform, and ``make dev`` sets them for its local sink.
"""
from __future__ import annotations

import dataclasses
from email.headerregistry import Address
from email.utils import parseaddr

from recert_common.clock import DEFAULT_TIME_ZONE, CalendarSettings
from recert_common.config import ConfigError, ServiceSettings, env_field


@dataclasses.dataclass(frozen=True)
class NotificationsSettings(CalendarSettings, ServiceSettings):
    smtp_host: str = env_field("RECERT_SMTP_HOST", "127.0.0.1")
    smtp_port: int = env_field("RECERT_SMTP_PORT", 25)
    # STARTTLS upgrades a plain connection (usually port 587); SSL speaks TLS from the start (port 465).
    smtp_starttls: bool = env_field("RECERT_SMTP_STARTTLS", False)
    smtp_ssl: bool = env_field("RECERT_SMTP_SSL", False)
    smtp_username: str = env_field("RECERT_SMTP_USERNAME", "")
    smtp_password: str = env_field("RECERT_SMTP_PASSWORD", "")
    smtp_from: str = env_field("RECERT_SMTP_FROM", "Register Jobcoach <noreply@registerjobcoach.nl>")
    smtp_timeout_seconds: float = env_field("RECERT_SMTP_TIMEOUT_SECONDS", 10.0)
    # E-mail delivery: how often a message is tried, and the back-off between tries (doubling from the base,
    # capped): with the defaults 30 s, 1, 2, 4, 8, 16, 32 min, then hourly; failed after about 3 hours.
    send_max_attempts: int = env_field("RECERT_NOTIFICATIONS_SEND_MAX_ATTEMPTS", 10)
    send_retry_base_seconds: float = env_field("RECERT_NOTIFICATIONS_SEND_RETRY_BASE_SECONDS", 30.0)
    send_retry_max_seconds: float = env_field("RECERT_NOTIFICATIONS_SEND_RETRY_MAX_SECONDS", 3600.0)
    send_poll_seconds: float = env_field("RECERT_NOTIFICATIONS_SEND_POLL_SECONDS", 2.0)
    send_batch_size: int = env_field("RECERT_NOTIFICATIONS_SEND_BATCH_SIZE", 100)
    # The reminder before a supplement's due date, and how often the worker looks for due reminders.
    supplement_reminder_days: int = env_field("RECERT_NOTIFICATIONS_SUPPLEMENT_REMINDER_DAYS", 14)
    reminder_poll_seconds: float = env_field("RECERT_NOTIFICATIONS_REMINDER_POLL_SECONDS", 3600.0)
    # How long after a final decision the messages a jobcoach had before it are kept (ADR 0020): 2 years.
    retention_days: int = env_field("RECERT_NOTIFICATIONS_RETENTION_DAYS", 730)
    retention_interval_seconds: float = env_field("RECERT_NOTIFICATIONS_RETENTION_INTERVAL_SECONDS", 3600.0)
    # Dates and times in messages, and which day "today" is, are those of this zone.
    time_zone: str = env_field("RECERT_NOTIFICATIONS_TIME_ZONE", DEFAULT_TIME_ZONE)
    # Where messages send people to act (log in, submit); no trailing slash.
    portal_url: str = env_field("RECERT_NOTIFICATIONS_PORTAL_URL", "https://mijn.registerjobcoach.nl")
    # DNV's support, named in the messages about login and the authenticator app (identity reads the same).
    support_email: str = env_field("RECERT_SUPPORT_EMAIL", "support@registerjobcoach.nl")
    support_phone: str = env_field("RECERT_SUPPORT_PHONE", "")
    # The service desk (ADR 0029): the bucket of the attachments (no other service writes to it) and the
    # largest attachment (10 MiB, shown as "10 MB").
    desk_bucket: str = env_field("RECERT_NOTIFICATIONS_DESK_BUCKET", "desk-attachments")
    desk_max_attachment_bytes: int = env_field("RECERT_NOTIFICATIONS_DESK_MAX_ATTACHMENT_BYTES", 10 << 20)
    # How long the confirmation link of a logged-out person's request works, and the link to the thread in
    # each later e-mail to them.
    desk_confirm_hours: int = env_field("RECERT_NOTIFICATIONS_DESK_CONFIRM_HOURS", 24)
    desk_link_days: int = env_field("RECERT_NOTIFICATIONS_DESK_LINK_DAYS", 60)
    # At most this many unconfirmed requests (and confirmation e-mails) per address a day; the gateway limits
    # the requests per client address besides.
    desk_unconfirmed_per_address: int = env_field("RECERT_NOTIFICATIONS_DESK_UNCONFIRMED_PER_ADDRESS", 3)

    def __post_init__(self):
        super().__post_init__()
        if self.smtp_ssl and self.smtp_starttls:
            raise ConfigError("RECERT_SMTP_SSL and RECERT_SMTP_STARTTLS exclude each other; choose one")
        if bool(self.smtp_username) != bool(self.smtp_password):
            raise ConfigError("RECERT_SMTP_USERNAME and RECERT_SMTP_PASSWORD go together")
        if "@" not in self.support_email:
            raise ConfigError(f"RECERT_SUPPORT_EMAIL: not an e-mail address: {self.support_email!r}")
        if "@" not in parseaddr(self.smtp_from)[1]:
            raise ConfigError(f"RECERT_SMTP_FROM: not an address: {self.smtp_from!r}")
        for name in ("send_max_attempts", "send_batch_size", "supplement_reminder_days",
                     "desk_max_attachment_bytes", "desk_confirm_hours", "desk_link_days",
                     "desk_unconfirmed_per_address"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
        for name in ("send_retry_base_seconds", "send_retry_max_seconds", "send_poll_seconds",
                     "reminder_poll_seconds", "smtp_timeout_seconds", "retention_interval_seconds"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be positive")
        if self.retention_days < 0:
            raise ConfigError("RECERT_NOTIFICATIONS_RETENTION_DAYS must not be negative")
        self.check_calendar()

    @property
    def sender_address(self) -> Address:
        name, address = parseaddr(self.smtp_from)
        return Address(display_name=name, addr_spec=address)
