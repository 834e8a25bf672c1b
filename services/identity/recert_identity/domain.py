"""Identity's rules and entities: no Flask, no SQL, no broker.

Passwords (policy and argon2id), the lockout arithmetic, TOTP with its window and replay rule, recovery
codes, opaque tokens, and the judgement of a presented refresh token.
"""
from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import argon2
import pyotp
from zxcvbn import zxcvbn

from recert_common.auth import Role

STAFF_ROLES: frozenset[str] = frozenset({Role.ASSESSOR, Role.DNV_OFFICER, Role.NOLOC_ADMIN})
LANGUAGES = ("nl", "en")
# Who may unlink someone's authenticator app: a Noloc admin anyone's; a DNV officer (DNV's support helps with
# login) that of a jobcoach or an assessor, not of another DNV officer or a Noloc admin, whose accounts carry
# more power than the officer's own.
_TOTP_RESETTERS = frozenset({Role.NOLOC_ADMIN, Role.DNV_OFFICER})
_RESET_ONLY_BY_ADMIN = frozenset({Role.DNV_OFFICER, Role.NOLOC_ADMIN})


def may_reset_totp(actor_roles: frozenset[str] | set[str], target_roles: tuple[str, ...]) -> bool:
    """Whether someone with ``actor_roles`` may reset the TOTP of an account with ``target_roles``."""
    if Role.NOLOC_ADMIN in actor_roles:
        return True
    return Role.DNV_OFFICER in actor_roles and not _RESET_ONLY_BY_ADMIN.intersection(target_roles)


TOTP_RESETTER_ROLES: tuple[str, ...] = tuple(sorted(_TOTP_RESETTERS))

# --- accounts --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    id: UUID
    email: str
    full_name: str
    roles: tuple[str, ...]
    membership_kind: str | None
    membership_number: str | None
    preferred_language: str
    password_hash: str
    totp_secret_encrypted: str | None
    totp_last_step: int | None
    totp_reset_at: datetime | None
    failed_attempts: int
    locked_until: datetime | None
    disabled_at: datetime | None
    disabled_by: UUID | None
    created_at: datetime
    updated_at: datetime
    email_verified_at: datetime | None = None  # None: the owner has not opened the link sent to the address

    @property
    def totp_enrolled(self) -> bool:
        return self.totp_secret_encrypted is not None

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def lockout(self) -> Lockout:
        return Lockout(self.failed_attempts, self.locked_until)

    def profile(self) -> dict[str, Any]:
        """The account as the ``identity.account.*`` events carry it."""
        return {
            "account_id": self.id, "email": self.email, "full_name": self.full_name,
            "roles": list(self.roles), "membership_kind": self.membership_kind,
            "membership_number": self.membership_number, "preferred_language": self.preferred_language,
        }


def email_key(email: str) -> str:
    """What makes two e-mail addresses the same account: case never does."""
    return email.strip().lower()


# --- passwords -------------------------------------------------------------------------------------------

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 1024  # bounds the work one request can ask of argon2
# zxcvbn's score (0-4) a password must reach: 3 is "safely unguessable: moderate protection from an offline
# slow-hash scenario" (about 10^8 guesses and more), which argon2id makes an online-only attack.
PASSWORD_MIN_SCORE = 3
# zxcvbn's lists are English; these are the Dutch words (and our own names) that guessers try first.
_DUTCH_GUESSES = (
    "wachtwoord", "welkom", "geheim", "inloggen", "hallo", "voorjaar", "zomer", "najaar", "herfst", "winter",
    "lente", "januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
    "oktober", "november", "december", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag",
    "zondag", "liefde", "schatje", "prinses", "voetbal", "ajax", "feyenoord", "psv", "nederland", "holland",
    "amsterdam", "rotterdam", "utrecht", "denhaag", "eindhoven", "groningen", "oranje", "jobcoach", "coach",
    "loopbaan", "register", "registerjobcoach", "noloc", "dnv", "portfolio", "certificaat", "wereld",
    "computer", "qwerty", "azerty", "abcdef", "gebruiker", "beheerder", "kantoor", "werk",
)
# zxcvbn's run time grows with the length and it refuses more than 72 characters: its verdict on the first 72
# is the verdict (a password that long is not guessable unless its start is).
_STRENGTH_CHECKED_LENGTH = 72


def password_guessable(password: str, *, user_inputs: tuple[str, ...] = ()) -> bool:
    """Whether ``password`` is common or guessable (ASVS 2.1.7): zxcvbn, offline, with its shipped lists
    of common passwords, names and words, and ``user_inputs`` (e-mail, name) as words an attacker knows."""
    inputs = [part for value in user_inputs for part in re.split(r"[@.\s_-]+", value.lower()) if part]
    # ... and whole: the address's local part ("jan.jansen") and the name run together ("janjansen").
    inputs += [value.lower().split("@")[0] for value in user_inputs]
    inputs += [re.sub(r"[\s.-]+", "", value.lower().split("@")[0]) for value in user_inputs]
    inputs.extend(_DUTCH_GUESSES)
    return zxcvbn(password[:_STRENGTH_CHECKED_LENGTH], user_inputs=inputs)["score"] < PASSWORD_MIN_SCORE


def password_policy_violations(password: str, *, email: str | None = None,
                               full_name: str | None = None) -> list[str]:
    """Message codes (``identity.password.*``) of every rule ``password`` breaks; empty when it is fine."""
    problems = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append("identity.password.too_short")
    if len(password) > PASSWORD_MAX_LENGTH:
        problems.append("identity.password.too_long")
    if not password.strip():
        problems.append("identity.password.blank")
    elif email is not None and email_key(password) == email_key(email):
        problems.append("identity.password.is_email")
    elif len(password) <= PASSWORD_MAX_LENGTH and password_guessable(
            password, user_inputs=tuple(v for v in (email, full_name) if v)):
        problems.append("identity.password.guessable")
    return problems


class PasswordHasher:
    """argon2id hashing, and verification that costs the same whether or not an account exists."""

    def __init__(self, *, time_cost: int = 3, memory_kib: int = 65_536, parallelism: int = 4):
        self._argon = argon2.PasswordHasher(time_cost=time_cost, memory_cost=memory_kib,
                                            parallelism=parallelism, type=argon2.Type.ID)
        # Verified instead of a real hash when the e-mail is unknown, so both answers take as long.
        self._dummy = self._argon.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self._argon.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            self._argon.verify(password_hash or self._dummy, password)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False
        return password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        return self._argon.check_needs_rehash(password_hash)


# --- lockout ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LockoutPolicy:
    threshold: int
    lock_seconds: int


@dataclass(frozen=True)
class Lockout:
    """Failed attempts (passwords and codes counted together) since the last successful login or lock."""

    failed_attempts: int = 0
    locked_until: datetime | None = None

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def after_failure(self, now: datetime, policy: LockoutPolicy) -> Lockout:
        """The state after one more failure; reaching the threshold locks and starts counting afresh.

        Failures while locked are not counted: they would let anyone keep an account locked forever.
        """
        if self.is_locked(now):
            return self
        attempts = self.failed_attempts + 1
        if attempts >= policy.threshold:
            return Lockout(0, now + timedelta(seconds=policy.lock_seconds))
        return replace(self, failed_attempts=attempts)

    @staticmethod
    def after_success() -> Lockout:
        return Lockout(0, None)


# --- TOTP ------------------------------------------------------------------------------------------------

TOTP_DIGITS = 6
TOTP_PERIOD_SECONDS = 30
TOTP_WINDOW_STEPS = 1  # one step either way absorbs clock drift and a code typed just as it changed


def new_totp_secret() -> str:
    return pyotp.random_base32()  # 32 base32 characters: 160 bits, as RFC 4226 recommends


def otpauth_uri(secret: str, *, account_name: str, issuer: str) -> str:
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD_SECONDS).provisioning_uri(
        name=account_name, issuer_name=issuer)


def time_step(now: datetime) -> int:
    return int(now.timestamp()) // TOTP_PERIOD_SECONDS


def accepted_totp_step(secret: str, code: str, now: datetime, last_used_step: int | None) -> int | None:
    """The time step whose code ``code`` is, within the window and after ``last_used_step``; else None.

    A step at or before the last one accepted is refused, so a code (or an older one still inside the
    window) can never be used twice.
    """
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD_SECONDS)
    current = time_step(now)
    for step in range(current - TOTP_WINDOW_STEPS, current + TOTP_WINDOW_STEPS + 1):
        if last_used_step is not None and step <= last_used_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


# --- recovery codes --------------------------------------------------------------------------------------

RECOVERY_CODE_COUNT = 10
# Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand survives.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_RECOVERY_GROUPS, _RECOVERY_GROUP_LENGTH = 4, 4  # 16 characters: 80 bits, too many to guess from a hash
_RECOVERY_CODE = re.compile(f"[{_CROCKFORD}]{{{_RECOVERY_GROUPS * _RECOVERY_GROUP_LENGTH}}}")
_TOTP_CODE = re.compile(rf"[0-9]{{{TOTP_DIGITS}}}")


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """Codes as shown to the person: ``7KQ2-M9XA-...``."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_CROCKFORD) for _ in range(_RECOVERY_GROUPS * _RECOVERY_GROUP_LENGTH))
        codes.append("-".join(raw[i:i + _RECOVERY_GROUP_LENGTH]
                              for i in range(0, len(raw), _RECOVERY_GROUP_LENGTH)))
    return codes


def recovery_code_hash(code: str) -> bytes:
    """SHA-256 of the normalised code: 80 random bits need no slow hash."""
    return hashlib.sha256(_normalise_recovery_code(code).encode()).digest()


def _normalise_recovery_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).upper().translate(_CROCKFORD_ALIASES)


class SecondFactorKind(enum.StrEnum):
    TOTP = "totp"
    RECOVERY_CODE = "recovery_code"


def second_factor_kind(code: str) -> SecondFactorKind | None:
    """Whether ``code`` looks like a TOTP code or a recovery code; None when it is neither."""
    if _TOTP_CODE.fullmatch(code.strip()):
        return SecondFactorKind.TOTP
    if _RECOVERY_CODE.fullmatch(_normalise_recovery_code(code)):
        return SecondFactorKind.RECOVERY_CODE
    return None


# --- opaque tokens (login challenges, refresh tokens) ----------------------------------------------------


def new_opaque_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    """Opaque tokens are 256 random bits: stored as SHA-256, a leaked table gives no usable token."""
    return hashlib.sha256(token.encode()).digest()


class EmailTokenPurpose(enum.StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"


class ChallengeKind(enum.StrEnum):
    ENROL = "enrol"
    TOTP = "totp"


class RefreshVerdict(enum.Enum):
    ROTATE = "rotate"  # the one current token of a live family: issue the next one
    REUSED = "reused"  # spent already: someone holds a copy, so the whole family is revoked
    DEAD = "dead"  # expired or revoked family: refuse, nothing else to do


def judge_refresh(*, used_at: datetime | None, family_revoked_at: datetime | None,
                  family_expires_at: datetime, now: datetime) -> RefreshVerdict:
    if family_revoked_at is not None or now >= family_expires_at:
        return RefreshVerdict.DEAD
    if used_at is not None:
        return RefreshVerdict.REUSED
    return RefreshVerdict.ROTATE
