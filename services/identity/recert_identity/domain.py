"""Identity's rules and entities: no Flask, no SQL, no broker.

Passwords (policy and argon2id), the lockout arithmetic, TOTP with its window and replay rule, recovery
codes, opaque tokens, the judgement of a presented refresh token, the records the repositories return, and
the refusals the use cases raise (``problems.py`` answers them).
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

from recert_common.domain_errors import DomainError, NotFoundError, PermissionRefused
from recert_common.keys import StoredKey
from recert_common.roles import Role

STAFF_ROLES: frozenset[str] = frozenset(
    {Role.ASSESSOR, Role.DNV_OFFICER, Role.NOLOC_ADMIN, Role.MENTOR, Role.DNV_SUPPORT})
LANGUAGES = ("nl", "en")
# Who may unlink someone's authenticator app: a Noloc admin anyone's; a DNV officer (DNV's support helps with
# login) that of a jobcoach or an assessor, not of another DNV officer or a Noloc admin, whose accounts carry
# more power than the officer's own. DNV's support staff (issue 14, ADR 0029) that of a jobcoach, an assessor
# or a mentor, and only from a service request whose requester is matched to the account
# (``support_reset_refusal``); never a staff account with DNV's or Noloc's powers.
_TOTP_RESETTERS = frozenset({Role.NOLOC_ADMIN, Role.DNV_OFFICER, Role.DNV_SUPPORT})
_RESET_ONLY_BY_ADMIN = frozenset({Role.DNV_OFFICER, Role.NOLOC_ADMIN})
_RESET_BY_SUPPORT = frozenset({Role.JOBCOACH, Role.ASSESSOR, Role.MENTOR})


def may_reset_totp(actor_roles: frozenset[str] | set[str], target_roles: tuple[str, ...]) -> bool:
    """Whether someone with ``actor_roles`` may reset the TOTP of an account with ``target_roles``."""
    if Role.NOLOC_ADMIN in actor_roles:
        return True
    if Role.DNV_OFFICER in actor_roles and not _RESET_ONLY_BY_ADMIN.intersection(target_roles):
        return True
    return Role.DNV_SUPPORT in actor_roles and bool(target_roles) and set(target_roles) <= _RESET_BY_SUPPORT


def resets_through_desk(actor_roles: frozenset[str] | set[str]) -> bool:
    """DNV's support resets only from a service request (naming it and how identity was checked); a Noloc
    admin or a DNV officer may name one, and need not."""
    return Role.DNV_SUPPORT in actor_roles and not actor_roles & {Role.NOLOC_ADMIN, Role.DNV_OFFICER}


@dataclass(frozen=True)
class DeskRequest:
    """What identity needs to know of a service request (notifications' desk): whose it is, and its state."""

    id: UUID
    matched_account_id: UUID | None
    state: str


def support_reset_refusal(request: DeskRequest | None, account_id: UUID) -> str | None:
    """Why a reset from this service request is refused (None: allowed): the request must exist, be still
    open or answered, and its requester be matched to this account by a confirmed e-mail address."""
    if request is None:
        return "request_not_found"
    if request.matched_account_id != account_id:
        return "request_not_matched"
    if request.state == "closed":
        return "request_closed"
    return None


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

    def after_source_failure(self, now: datetime, policy: LockoutPolicy) -> Lockout:
        """The state of one source's count (per account and client address) after one more failure.

        Counted afresh from 1 once the source's lock starts, so that the source stays "one that failed"
        (``locked_for_source``) while the account's lock lasts.
        """
        after = self.after_failure(now, policy)
        return replace(after, failed_attempts=1) if after.is_locked(now) else after

    @staticmethod
    def after_success() -> Lockout:
        return Lockout(0, None)


def locked_for_source(account: Lockout, source: Lockout, now: datetime) -> bool:
    """Whether an account whose count is ``account`` is locked for the client whose count is ``source``:
    the source is locked, or the account is and this source failed too (a source that has not failed, its
    owner elsewhere, is let through: strangers' failures cannot keep the owner out, ADR 0018)."""
    return source.is_locked(now) or (account.is_locked(now) and source.failed_attempts > 0)


def locked_until(*lockouts: Lockout) -> datetime:
    """The latest end of the given locks (at least one of them is locked)."""
    return max(lockout.locked_until for lockout in lockouts if lockout.locked_until is not None)


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


@dataclass(frozen=True)
class EmailToken:
    """An e-mailed link's stored half (its token only as a hash): whose it is and when it was made."""

    account_id: UUID
    created_at: datetime


@dataclass(frozen=True)
class Challenge:
    """Login step 1 passed: what step 2 must prove (an enrolment carries the secret its QR code showed)."""

    id_hash: bytes
    account_id: UUID
    kind: ChallengeKind
    pending_secret_encrypted: str | None
    created_at: datetime
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= now


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


@dataclass(frozen=True)
class RefreshToken:
    """A presented refresh token's stored half with its family (the login session it belongs to)."""

    token_hash: bytes
    family_id: UUID
    used_at: datetime | None
    account_id: UUID
    expires_at: datetime  # the family's
    revoked_at: datetime | None  # the family's

    def verdict(self, now: datetime) -> RefreshVerdict:
        return judge_refresh(used_at=self.used_at, family_revoked_at=self.revoked_at,
                             family_expires_at=self.expires_at, now=now)


# --- signing keys (the ring's timeline is in keys.py) ------------------------------------------------------

SigningKey = StoredKey  # the record is recert_common's, shared with assessment's issuer keys


# --- refusals (``problems.py`` answers each; none says anything about HTTP) ---------------------------------


class InputRefused(DomainError):
    """Values that break a rule, as message codes per field (``{"password": ["identity.password.*"]}``)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors=errors)


class CredentialsRejected(DomainError):
    """Login step 1 refused: one refusal for an unknown e-mail, a wrong password, a locked or a disabled
    account (anything more would tell a stranger which addresses have accounts)."""


class EmailUnverified(DomainError):
    """The right password, but the address is not verified yet (a new link went out)."""


class ChallengeRefused(DomainError):
    """The login challenge is unknown, expired, used, or no longer fits the account."""


class CodeRefused(DomainError):
    """A wrong, expired or already used second-factor code (which of these is not said)."""


class AccountLockedOut(DomainError):
    """Too many failures: told only to a caller who has proven the password."""

    def __init__(self, locked_until: datetime, now: datetime):
        super().__init__(locked_until=locked_until, now=now)


class RefreshRefused(DomainError):
    """The refresh token is unknown, spent, expired or its session ended."""


class EmailLinkInvalid(DomainError):
    """An e-mailed link that is unknown, expired or used already."""


class AccountExists(DomainError):
    """The e-mail address (or another unique field) is in use already."""

    def __init__(self, fields: tuple[str, ...] | list[str]):
        super().__init__(", ".join(fields), fields=tuple(fields))


class AccountNotFound(NotFoundError):
    """No account with this id."""


class AlreadyDisabled(DomainError):
    pass


class DisablingOneself(DomainError):
    pass


class TotpNotEnrolled(DomainError):
    """There is no authenticator app to unlink."""


class TotpResetNotAllowed(PermissionRefused):
    """Only a Noloc admin unlinks the app of a DNV officer or a Noloc admin (``may_reset_totp``)."""


class DeskResetRefused(DomainError):
    """DNV's support asked a reset from a service request that does not allow it: ``reason`` is one of
    ``support_reset_refusal``'s (not found, not matched to the account, closed)."""

    reason: str
