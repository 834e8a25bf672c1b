"""Identity's own settings, on top of what every service reads."""
from __future__ import annotations

import dataclasses

from recert_common.config import ConfigError, ServiceSettings, env_field
from recert_identity.problems import SupportContact

NEW_KEY_HINT = ('python -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())"')


@dataclasses.dataclass(frozen=True)
class IdentitySettings(ServiceSettings):
    # One or more 32-byte keys, base64url, comma-separated: the first encrypts, all decrypt (key rotation).
    secrets_key: str = env_field("RECERT_IDENTITY_SECRETS_KEY", "")
    access_token_ttl_seconds: int = env_field("RECERT_IDENTITY_ACCESS_TOKEN_TTL_SECONDS", 900)
    # A refresh-token family (one login session) ends this long after the login, however often it is used.
    refresh_token_ttl_seconds: int = env_field("RECERT_IDENTITY_REFRESH_TOKEN_TTL_SECONDS", 43_200)
    lock_threshold: int = env_field("RECERT_IDENTITY_LOCK_THRESHOLD", 5)
    lock_seconds: int = env_field("RECERT_IDENTITY_LOCK_SECONDS", 900)
    challenge_ttl_seconds: int = env_field("RECERT_IDENTITY_CHALLENGE_TTL_SECONDS", 300)
    # How long the e-mailed links work: verifying the address, and choosing a new password (ADR 0018).
    verification_ttl_seconds: int = env_field("RECERT_IDENTITY_VERIFICATION_TTL_SECONDS", 86_400)
    password_reset_ttl_seconds: int = env_field("RECERT_IDENTITY_PASSWORD_RESET_TTL_SECONDS", 1_800)
    totp_issuer: str = env_field("RECERT_IDENTITY_TOTP_ISSUER", "Register Jobcoach")
    # A rotated key is published this long before it signs, so verifiers with a cached key set know it.
    key_publish_ahead_seconds: int = env_field("RECERT_IDENTITY_KEY_PUBLISH_AHEAD_SECONDS", 300)
    # argon2id cost; the defaults are argon2-cffi's (RFC 9106 low-memory profile). Tests lower them.
    argon2_time_cost: int = env_field("RECERT_IDENTITY_ARGON2_TIME_COST", 3)
    argon2_memory_kib: int = env_field("RECERT_IDENTITY_ARGON2_MEMORY_KIB", 65_536)
    argon2_parallelism: int = env_field("RECERT_IDENTITY_ARGON2_PARALLELISM", 4)
    # The password of the accounts ``seed-demo`` creates; empty means the printed default.
    demo_password: str = env_field("RECERT_IDENTITY_DEMO_PASSWORD", "")
    # The AVG (ADR 0020): a closed account is erased this many days after it was closed.
    erase_after_days: int = env_field("RECERT_IDENTITY_ERASE_AFTER_DAYS", 30)
    # DNV's support, named in the answers to login and two-step-verification trouble (notifications reads
    # the same variables for its e-mails: one support desk for the platform).
    support_email: str = env_field("RECERT_SUPPORT_EMAIL", "support@registerjobcoach.nl")
    support_phone: str = env_field("RECERT_SUPPORT_PHONE", "")
    # Notifications, whose service desk identity asks whether a service request is the account's before DNV's
    # support resets an authenticator app from it (ADR 0029); the gateway reads the same variable.
    notifications_url: str = env_field("RECERT_NOTIFICATIONS_URL", "http://127.0.0.1:8005")

    @property
    def support(self) -> SupportContact:
        return SupportContact(self.support_email, self.support_phone)

    def __post_init__(self):
        super().__post_init__()
        if not self.secrets_key:
            raise ConfigError(f"RECERT_IDENTITY_SECRETS_KEY must be set; make one with: {NEW_KEY_HINT}")
        if "@" not in self.support_email:
            raise ConfigError(f"RECERT_SUPPORT_EMAIL: not an e-mail address: {self.support_email!r}")
        for name in ("access_token_ttl_seconds", "refresh_token_ttl_seconds", "lock_threshold",
                     "lock_seconds", "challenge_ttl_seconds", "verification_ttl_seconds",
                     "password_reset_ttl_seconds"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
