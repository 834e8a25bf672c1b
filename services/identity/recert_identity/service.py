"""Identity's use cases. Each runs in one transaction that writes the state change and its events together.

A refused attempt that must still leave a trace (a failed password or code counts towards the lock; a
reused refresh token revokes its family) commits that trace and raises its problem after the transaction.
Password hashing runs outside transactions: argon2 is slow on purpose and must not hold a row lock.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg

from recert_common import bus, revocation
from recert_common.auth import Role, access_token_claims, sign_token
from recert_common.clock import utcnow
from recert_common.db import Database
from recert_common.errors import Forbidden, NotFound, Problem, ValidationProblem
from recert_common.rules import RegistrationNumber
from recert_identity import store
from recert_identity.crypto import SecretBox
from recert_identity.domain import (
    Account,
    ChallengeKind,
    EmailTokenPurpose,
    Lockout,
    LockoutPolicy,
    PasswordHasher,
    RefreshVerdict,
    SecondFactorKind,
    accepted_totp_step,
    judge_refresh,
    may_reset_totp,
    new_opaque_token,
    new_recovery_codes,
    new_totp_secret,
    otpauth_uri,
    password_policy_violations,
    recovery_code_hash,
    second_factor_kind,
    token_hash,
)
from recert_identity.keys import KeyRing
from recert_identity.problems import (
    AccountLocked,
    ChallengeInvalid,
    CodeRejected,
    Duplicate,
    EmailNotVerified,
    EmailTokenInvalid,
    InvalidCredentials,
    RefreshTokenInvalid,
    StateConflict,
)
from recert_identity.settings import IdentitySettings
from recert_identity.store import DuplicateAccount

PRODUCER = "identity"
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoginChallenge:
    challenge_id: str
    kind: ChallengeKind
    expires_at: datetime
    otpauth_uri: str | None = None  # only for an enrolment


@dataclass(frozen=True)
class Tokens:
    access_token: str
    expires_in: int
    refresh_token: str
    recovery_codes: list[str] | None = None  # only when the login completed an enrolment


def _totp_context(account_id: UUID) -> str:
    return f"totp:{account_id}"


class IdentityService:
    def __init__(self, db: Database, settings: IdentitySettings, *, box: SecretBox, hasher: PasswordHasher,
                 keys: KeyRing, clock: Callable[[], datetime] = utcnow):
        self.db = db
        self.settings = settings
        self.box = box
        self.hasher = hasher
        self.keys = keys
        self.clock = clock
        self.lockout_policy = LockoutPolicy(settings.lock_threshold, settings.lock_seconds)

    # --- accounts ----------------------------------------------------------------------------------------

    def register_jobcoach(self, *, email: str, full_name: str, password: str, number: RegistrationNumber,
                          preferred_language: str = "nl") -> str | None:
        """Start a registration. The caller hears the same whatever the data: the outcome goes by e-mail.

        A new address gets an unverified account and a link to verify it (``identity.email.verification_
        requested``); an address of an unverified account gets a fresh link (its data stays); an address of
        a verified account tells that account's owner that someone tried (``identity.registration.
        attempted``). A number is no proof of anything and blocks no one: a new account naming a number that
        verified accounts give too is made all the same, and their owners are told (ADR 0018).

        Returns the link's token when one was made (for the operator's ``seed-demo``; the HTTP API never
        shows it). Password rules are checked first: they do not depend on who holds what.
        """
        email = email.strip()
        violations = password_policy_violations(password, email=email, full_name=full_name)
        if violations:
            raise ValidationProblem({"password": violations})
        now = self.clock()
        password_hash = self.hasher.hash(password)  # whatever follows, so that every answer takes as long
        with self.db.transaction() as conn:
            existing = store.find_account_by_email(conn, email, for_update=True)
            if existing is not None:
                if existing.email_verified:
                    self._registration_attempted(conn, existing, "email")
                    return None
                # Not verified: the latest registration's data replace the earlier (maybe a stranger's,
                # who cannot open the link), and only its own link works (ADR 0018).
                existing = replace(existing, full_name=full_name.strip(), password_hash=password_hash,
                                   membership_kind=number.kind, membership_number=number.value,
                                   preferred_language=preferred_language, updated_at=now)
                store.update_account(conn, existing)
                return self._send_verification(conn, existing, now)
            holders = store.verified_holders_of_number(conn, number.value)
            account = Account(
                id=uuid.uuid4(), email=email, full_name=full_name.strip(), roles=(Role.JOBCOACH,),
                membership_kind=number.kind, membership_number=number.value,
                preferred_language=preferred_language, password_hash=password_hash,
                totp_secret_encrypted=None, totp_last_step=None, totp_reset_at=None, failed_attempts=0,
                locked_until=None, disabled_at=None, disabled_by=None, created_at=now, updated_at=now,
                email_verified_at=None)
            try:
                store.insert_account(conn, account)
            except DuplicateAccount:
                return None  # the same address registered at the same moment: that one's e-mail goes
            for holder in holders:
                self._registration_attempted(conn, holder, "membership_number")
            return self._send_verification(conn, account, now)

    def _registration_attempted(self, conn: psycopg.Connection, owner: Account, field: str) -> None:
        bus.record(conn, "identity.registration.attempted", {"account_id": owner.id, "attempted_with": field},
                   producer=PRODUCER, subject=owner.id)

    def _send_verification(self, conn: psycopg.Connection, account: Account, now: datetime) -> str:
        """A new verification link for ``account`` (earlier ones stop working), sent through notifications."""
        token, expires_at = self._new_email_token(conn, account, EmailTokenPurpose.VERIFY_EMAIL, now,
                                                  self.settings.verification_ttl_seconds)
        bus.record(conn, "identity.email.verification_requested",
                   {**account.profile(), "token": token, "expires_at": expires_at},
                   producer=PRODUCER, subject=account.id)
        return token

    @staticmethod
    def _new_email_token(conn: psycopg.Connection, account: Account, purpose: EmailTokenPurpose,
                         now: datetime, ttl_seconds: int) -> tuple[str, datetime]:
        store.delete_email_tokens(conn, account.id, purpose)
        token = new_opaque_token()
        expires_at = now + timedelta(seconds=ttl_seconds)
        store.insert_email_token(conn, token_hash=token_hash(token), account_id=account.id, purpose=purpose,
                                 created_at=now, expires_at=expires_at)
        return token, expires_at

    def verify_email(self, token: str, password: str) -> Account:
        """Open the link, with the password chosen at registration: the account is verified and announced
        to every service (``identity.account.registered``: other services know only verified accounts).

        The link proves the mailbox, the password the registration: someone who registered another person's
        address first (a password of their own) cannot have that person verify the account for them. A
        wrong password is refused (422) without spending the link; an expired, used or unknown link is 400.
        """
        now = self.clock()
        with self.db.transaction() as conn:
            row = store.get_email_token(conn, token_hash(token), EmailTokenPurpose.VERIFY_EMAIL, now)
            account = self._existing(conn, row["account_id"]) if row else None
        if account is None or account.disabled:
            raise EmailTokenInvalid()
        if not self.hasher.verify(account.password_hash, password):
            raise ValidationProblem({"password": ["identity.field.registration_password_wrong"]})
        with self.db.transaction() as conn:
            row = store.take_email_token(conn, token_hash(token), EmailTokenPurpose.VERIFY_EMAIL, now)
            checked = account.password_hash
            account = self._existing(conn, row["account_id"], for_update=True) if row else None
            if account is None or account.disabled or account.password_hash != checked:
                raise EmailTokenInvalid()  # spent, or registered anew meanwhile: its newer link counts
            account = replace(account, email_verified_at=now, updated_at=now)
            store.update_account(conn, account)
            store.delete_email_tokens(conn, account.id, EmailTokenPurpose.VERIFY_EMAIL)
            bus.record(conn, "identity.account.registered", account.profile(), producer=PRODUCER,
                       subject=account.id)
        return account

    def create_staff(self, *, email: str, full_name: str, password: str, roles: Iterable[str],
                     preferred_language: str = "nl") -> Account:
        """A Noloc admin (or the operator) makes the account for a known person: the address counts as
        verified, and an address in use is refused openly (409): the caller is staff, not a stranger."""
        email = email.strip()
        violations = password_policy_violations(password, email=email, full_name=full_name)
        if violations:
            raise ValidationProblem({"password": violations})
        now = self.clock()
        account = Account(
            id=uuid.uuid4(), email=email, full_name=full_name.strip(), roles=tuple(sorted(set(roles))),
            membership_kind=None, membership_number=None, preferred_language=preferred_language,
            password_hash=self.hasher.hash(password), totp_secret_encrypted=None, totp_last_step=None,
            totp_reset_at=None, failed_attempts=0, locked_until=None, disabled_at=None, disabled_by=None,
            created_at=now, updated_at=now, email_verified_at=now)
        with self.db.transaction() as conn:
            if store.email_taken(conn, email):
                raise Duplicate(["email"])
            try:
                store.insert_account(conn, account)
            except DuplicateAccount as exc:
                raise Duplicate(exc.fields) from None
            bus.record(conn, "identity.account.registered", account.profile(), producer=PRODUCER,
                       subject=account.id)
        return account

    def account(self, account_id: UUID) -> Account:
        with self.db.transaction() as conn:
            return self._existing(conn, account_id)

    def list_accounts(self, *, role: str | None, page: int, page_size: int) -> tuple[list[Account], int]:
        with self.db.transaction() as conn:
            return store.list_accounts(conn, role=role, limit=page_size, offset=(page - 1) * page_size)

    def update_profile(self, account_id: UUID, **changes: Any) -> Account:
        """Change ``full_name`` and/or ``preferred_language``; an event only when something really changed."""
        with self.db.transaction() as conn:
            account = self._existing(conn, account_id, for_update=True)
            changed = sorted(name for name, value in changes.items() if getattr(account, name) != value)
            if not changed:
                return account
            account = replace(account, **{name: changes[name] for name in changed}, updated_at=self.clock())
            store.update_account(conn, account)
            bus.record(conn, "identity.account.updated", {**account.profile(), "changed": changed},
                       producer=PRODUCER, subject=account.id)
        return account

    def change_password(self, account_id: UUID, *, current_password: str, new_password: str,
                        session_id: UUID | None) -> None:
        """Other sessions (refresh-token families) end; the one making the change (``session_id``) stays."""
        now = self.clock()
        with self.db.transaction() as conn:
            account = self._existing(conn, account_id)
        errors = password_policy_violations(new_password, email=account.email, full_name=account.full_name)
        if new_password == current_password:
            errors.append("identity.password.unchanged")
        if errors:
            raise ValidationProblem({"new_password": errors})
        if account.lockout.is_locked(now):
            raise AccountLocked(account.locked_until, now, self.settings.support)
        correct = self.hasher.verify(account.password_hash, current_password)
        new_hash = self.hasher.hash(new_password) if correct else None
        refusal: Problem | None = None
        with self.db.transaction() as conn:
            account = self._existing(conn, account_id, for_update=True)
            if account.lockout.is_locked(now):
                refusal = AccountLocked(account.locked_until, now, self.settings.support)
            elif not correct:
                account = self._record_failure(conn, account, now, "failed_passwords")
                refusal = ValidationProblem({"current_password": ["identity.field.current_password_wrong"]})
                if account.lockout.is_locked(now):
                    refusal = AccountLocked(account.locked_until, now, self.settings.support)
            else:
                store.update_account(conn, replace(account, password_hash=new_hash, updated_at=now))
                self.end_every_session(conn, account.id, now=now, reason="password_changed",
                                       keep_session_id=session_id)
        if refusal is not None:
            raise refusal

    def request_password_reset(self, email: str) -> str | None:
        """Forgotten password: a single-use link, valid briefly, to the address of a usable account. Nothing
        for an unknown, unverified or disabled one, and the caller cannot tell the difference. Returns the
        token when one was made (never shown by the HTTP API)."""
        now = self.clock()
        with self.db.transaction() as conn:
            account = store.find_account_by_email(conn, email, for_update=True)
            if account is None or account.disabled or not account.email_verified:
                return None
            token, expires_at = self._new_email_token(conn, account, EmailTokenPurpose.RESET_PASSWORD, now,
                                                      self.settings.password_reset_ttl_seconds)
            bus.record(conn, "identity.password.reset_requested",
                       {"account_id": account.id, "token": token, "expires_at": expires_at},
                       producer=PRODUCER, subject=account.id)
        return token

    def reset_password(self, token: str, new_password: str) -> None:
        """Set a new password with an e-mailed link. Every session ends (``end_every_session``: its access
        tokens are refused everywhere), ``identity.password.reset`` is announced; the second factor is
        untouched, so the next login still asks for it."""
        now = self.clock()
        with self.db.transaction() as conn:
            row = store.get_email_token(conn, token_hash(token), EmailTokenPurpose.RESET_PASSWORD, now)
            account = self._existing(conn, row["account_id"]) if row else None
        if account is None or account.disabled:
            raise EmailTokenInvalid()
        violations = password_policy_violations(new_password, email=account.email,
                                                full_name=account.full_name)
        if violations:
            raise ValidationProblem({"new_password": violations})  # the link stays usable for a better one
        new_hash = self.hasher.hash(new_password)
        with self.db.transaction() as conn:
            if store.take_email_token(conn, token_hash(token), EmailTokenPurpose.RESET_PASSWORD, now) is None:
                raise EmailTokenInvalid()
            account = self._existing(conn, account.id, for_update=True)
            store.update_account(conn, replace(account, password_hash=new_hash, updated_at=now))
            store.delete_email_tokens(conn, account.id, EmailTokenPurpose.RESET_PASSWORD)
            store.delete_challenges(conn, account.id)
            # Access tokens too, not only refresh tokens: refused by every service once the event arrives.
            self.end_every_session(conn, account.id, now=now, reason="password_reset")
            bus.record(conn, "identity.password.reset", {"account_id": account.id, "sessions_ended_at": now},
                       producer=PRODUCER, subject=account.id)

    def disable(self, account_id: UUID, *, by: UUID | None, reason: str | None = None) -> Account:
        now = self.clock()
        with self.db.transaction() as conn:
            account = self._existing(conn, account_id, for_update=True)
            if by == account.id:
                raise StateConflict("identity.detail.disable_self")
            if account.disabled:
                raise StateConflict("identity.detail.already_disabled")
            account = replace(account, disabled_at=now, disabled_by=by, updated_at=now)
            store.update_account(conn, account)
            store.delete_challenges(conn, account.id)
            # Every token of the account is refused from now on: here at once, elsewhere through the event.
            store.revoke_families_of(conn, account.id, now, "account_disabled")
            revocation.disable_account(conn, account_id=account.id, disabled_at=now)
            bus.record(conn, "identity.account.disabled",
                       {"account_id": account.id, "disabled_by": by, "reason": reason},
                       producer=PRODUCER, subject=account.id)
        return account

    def reset_totp(self, account_id: UUID, *, by: UUID | None, reason: str | None = None,
                   by_roles: Iterable[str] = (Role.NOLOC_ADMIN,)) -> Account:
        """Unlink the authenticator: the next login enrols a new one. Sessions end and recovery codes go.
        ``by_roles``: the caller's roles; a DNV officer may reset only a jobcoach's or an assessor's."""
        now = self.clock()
        with self.db.transaction() as conn:
            account = self._existing(conn, account_id, for_update=True)
            if not may_reset_totp(frozenset(by_roles), account.roles):
                raise Forbidden(code="identity.detail.totp_reset_by_admin_only")
            if not account.totp_enrolled:
                raise StateConflict("identity.detail.totp_not_enrolled")
            account = replace(account, totp_secret_encrypted=None, totp_last_step=None, totp_reset_at=now,
                              updated_at=now)
            store.update_account(conn, account)
            store.delete_recovery_codes(conn, account.id)
            store.delete_challenges(conn, account.id)
            self.end_every_session(conn, account.id, now=now, reason="totp_reset")
            bus.record(conn, "identity.totp.reset",
                       {"account_id": account.id, "reset_by": by, "reason": reason},
                       producer=PRODUCER, subject=account.id)
        return account

    def enrol_totp(self, account_id: UUID, secret: str) -> list[str]:
        """Link an authenticator without a login (the demo seed; a login is the normal way). Returns the
        recovery codes."""
        with self.db.transaction() as conn:
            account = self._existing(conn, account_id, for_update=True)
            encrypted = self.box.encrypt(secret.encode(), context=_totp_context(account.id))
            return self._complete_enrolment(conn, account, encrypted, step=None, now=self.clock())[1]

    def totp_secret(self, account_id: UUID) -> str | None:
        with self.db.transaction() as conn:
            account = self._existing(conn, account_id)
        if account.totp_secret_encrypted is None:
            return None
        return self.box.decrypt(account.totp_secret_encrypted, context=_totp_context(account.id)).decode()

    def find_by_email(self, email: str) -> Account | None:
        with self.db.transaction() as conn:
            return store.find_account_by_email(conn, email)

    # --- login -------------------------------------------------------------------------------------------

    def start_login(self, email: str, password: str, source: str = "unknown") -> LoginChallenge:
        """Step 1. ``InvalidCredentials`` for every refusal (see its docstring); argon2 runs exactly once
        whatever the reason, against a dummy hash for an unknown e-mail, so the answer takes as long.

        Failures count per account (five lock it) and per account and ``source`` (the client's address; five
        lock that source out of that account). A locked account still lets a source that has not failed
        (its owner, elsewhere) through with the right password to step 2, where a valid code completes the
        login: strangers' failures cannot keep the owner out (ADR 0018)."""
        now = self.clock()
        with self.db.transaction() as conn:
            account = store.find_account_by_email(conn, email)
            throttle = store.login_throttle(conn, account.id, source) if account else Lockout()
        correct = self.hasher.verify(account.password_hash if account else None, password)
        if account is None:
            raise InvalidCredentials(self.settings.support)
        # Upgrading a hash made with older argon2 costs takes a second hash: only on the way to a challenge,
        # or a locked account would answer a right password more slowly than a wrong one.
        usable = not account.disabled and not self._locked_for(account, throttle, now)
        rehash = self.hasher.hash(password) if correct and usable and self.hasher.needs_rehash(
            account.password_hash) else None
        challenge: LoginChallenge | None = None
        unverified = False
        with self.db.transaction() as conn:
            account = self._existing(conn, account.id, for_update=True)
            throttle = store.login_throttle(conn, account.id, source, for_update=True)
            if account.disabled or throttle.is_locked(now):
                pass  # not counted: a locked counter must not be pushed further by strangers
            elif not correct:
                self._record_source_failure(conn, account, source, throttle, now)
                if not account.lockout.is_locked(now):
                    self._record_failure(conn, account, now, "failed_passwords")
            elif self._locked_for(account, throttle, now):
                pass  # the account is locked and this source is among those that failed
            elif not account.email_verified:
                # Only someone with the password hears it; the link goes to the address, not to them.
                self._send_verification(conn, account, now)
                unverified = True
            else:
                if rehash:
                    store.update_account(conn, replace(account, password_hash=rehash))
                challenge = self._new_challenge(conn, account, now)
        if unverified:
            raise EmailNotVerified(self.settings.support)
        if challenge is None:
            raise InvalidCredentials(self.settings.support)
        return challenge

    def _new_challenge(self, conn: psycopg.Connection, account: Account, now: datetime) -> LoginChallenge:
        store.delete_challenges(conn, account.id)  # only the latest step 1 counts (and its QR code)
        challenge_id = new_opaque_token()
        expires_at = now + timedelta(seconds=self.settings.challenge_ttl_seconds)
        uri = pending = None
        if account.totp_enrolled:
            kind = ChallengeKind.TOTP
        else:
            kind = ChallengeKind.ENROL
            secret = new_totp_secret()
            uri = otpauth_uri(secret, account_name=account.email, issuer=self.settings.totp_issuer)
            pending = self.box.encrypt(secret.encode(), context=_totp_context(account.id))
        store.insert_challenge(conn, id_hash=token_hash(challenge_id), account_id=account.id, kind=kind,
                               pending_secret_encrypted=pending, created_at=now, expires_at=expires_at)
        return LoginChallenge(challenge_id, kind, expires_at, uri)

    def finish_login(self, challenge_id: str, code: str, source: str = "unknown") -> Tokens:
        """Step 2: a TOTP code (or, once enrolled, a recovery code) for the challenge of step 1. While the
        account is locked, only a ``source`` without failures may try (see ``start_login``)."""
        now = self.clock()
        factor = second_factor_kind(code)
        refusal: Problem | None = None
        tokens: Tokens | None = None
        with self.db.transaction() as conn:
            challenge = store.get_challenge(conn, token_hash(challenge_id))
            account = (self._existing(conn, challenge["account_id"], for_update=True)
                       if challenge is not None else None)
            throttle = (store.login_throttle(conn, account.id, source, for_update=True) if account
                        else Lockout())
            if challenge is None or challenge["expires_at"] <= now or account.disabled:
                refusal = ChallengeInvalid()
            elif self._locked_for(account, throttle, now):
                until = max(t for t in (account.locked_until, throttle.locked_until) if t is not None)
                refusal = AccountLocked(until, now, self.settings.support)
            elif challenge["kind"] == ChallengeKind.ENROL and account.totp_enrolled:
                refusal = ChallengeInvalid()  # enrolled meanwhile (by the seed); log in again
            else:
                tokens = self._second_factor(conn, account, challenge, code, factor, now)
                if tokens is None:
                    self._record_source_failure(conn, account, source, throttle, now)
                    support = self.settings.support
                    refusal = CodeRejected(support)
                    if not account.lockout.is_locked(now):  # locked by others: told as a wrong code
                        account = self._record_failure(conn, account, now, "failed_totp_codes")
                        if account.lockout.is_locked(now):
                            refusal = AccountLocked(account.locked_until, now, support)
                else:
                    store.delete_login_throttle(conn, account.id, source)
        if refusal is not None:
            raise refusal
        return tokens

    def _second_factor(self, conn: psycopg.Connection, account: Account, challenge: dict[str, Any], code: str,
                       factor: SecondFactorKind | None, now: datetime) -> Tokens | None:
        """Tokens when ``code`` is accepted (recording the step or spending the recovery code), else None."""
        if challenge["kind"] == ChallengeKind.ENROL:
            pending = challenge["pending_secret_encrypted"]
            secret = self.box.decrypt(pending, context=_totp_context(account.id)).decode()
            step = None
            if factor is SecondFactorKind.TOTP:
                step = accepted_totp_step(secret, code.strip(), now, None)
            if step is None:
                return None
            account, codes = self._complete_enrolment(conn, account, pending, step=step, now=now)
            return replace(self._login_succeeded(conn, account, now), recovery_codes=codes)
        if factor is SecondFactorKind.TOTP:
            secret = self.box.decrypt(account.totp_secret_encrypted, context=_totp_context(account.id))
            step = accepted_totp_step(secret.decode(), code.strip(), now, account.totp_last_step)
            if step is None:
                return None
            account = replace(account, totp_last_step=step)
        elif factor is SecondFactorKind.RECOVERY_CODE:
            if not store.use_recovery_code(conn, account.id, recovery_code_hash(code), now):
                return None
        else:
            return None
        return self._login_succeeded(conn, account, now)

    def _complete_enrolment(self, conn: psycopg.Connection, account: Account, secret_encrypted: str, *,
                            step: int | None, now: datetime) -> tuple[Account, list[str]]:
        codes = new_recovery_codes()
        account = replace(account, totp_secret_encrypted=secret_encrypted, totp_last_step=step,
                          updated_at=now)
        store.update_account(conn, account)
        store.replace_recovery_codes(conn, account.id, [recovery_code_hash(c) for c in codes])
        bus.record(conn, "identity.totp.enrolled",
                   {"account_id": account.id, "after_reset": account.totp_reset_at is not None},
                   producer=PRODUCER, subject=account.id)
        return account, codes

    def _login_succeeded(self, conn: psycopg.Connection, account: Account, now: datetime) -> Tokens:
        # Only a completed login clears the failures: clearing them at step 1 would give someone who knows
        # the password unlimited guesses at the code.
        account = replace(account, failed_attempts=0, locked_until=None)
        store.update_account(conn, account)
        store.delete_challenges(conn, account.id)
        family_id = uuid.uuid4()
        store.insert_family(conn, family_id, account.id, now,
                            now + timedelta(seconds=self.settings.refresh_token_ttl_seconds))
        return self._issue_tokens(conn, account, family_id, now)

    def _issue_tokens(self, conn: psycopg.Connection, account: Account, family_id: UUID,
                      now: datetime) -> Tokens:
        refresh_token = new_opaque_token()
        store.insert_refresh_token(conn, token_hash(refresh_token), family_id, now)
        kid, private_jwk = self.keys.signing_key(conn, now)
        ttl = self.settings.access_token_ttl_seconds
        claims = access_token_claims(account.id, account.roles, issuer=self.settings.jwt_issuer,
                                     audience=self.settings.jwt_audience, ttl=timedelta(seconds=ttl), now=now,
                                     amr=("pwd", "otp"), sid=str(family_id))
        return Tokens(access_token=sign_token(private_jwk, kid, claims), expires_in=ttl,
                      refresh_token=refresh_token)

    @staticmethod
    def _locked_for(account: Account, throttle: Lockout, now: datetime) -> bool:
        """Whether ``account`` is locked for the source whose count is ``throttle``: the source is locked,
        or the account is and this source failed too (a source that has not failed is let through)."""
        return throttle.is_locked(now) or (account.lockout.is_locked(now) and throttle.failed_attempts > 0)

    def _record_source_failure(self, conn: psycopg.Connection, account: Account, source: str,
                               throttle: Lockout, now: datetime) -> Lockout:
        after = throttle.after_failure(now, self.lockout_policy)
        # Counted afresh from 1 once the source's lock starts, so that the source stays "one that failed"
        # (``_locked_for``) while the account's lock lasts.
        if after.is_locked(now):
            after = replace(after, failed_attempts=1)
        store.save_login_throttle(conn, account.id, source, after, now)
        return after

    def _record_failure(self, conn: psycopg.Connection, account: Account, now: datetime,
                        reason: str) -> Account:
        before = account.lockout
        after = before.after_failure(now, self.lockout_policy)
        account = replace(account, failed_attempts=after.failed_attempts, locked_until=after.locked_until)
        store.update_account(conn, account)
        if after.is_locked(now) and not before.is_locked(now):
            store.delete_challenges(conn, account.id)
            bus.record(conn, "identity.account.locked",
                       {"account_id": account.id, "locked_until": after.locked_until, "reason": reason},
                       producer=PRODUCER, subject=account.id)
            _log.warning("account locked", extra={"account_id": str(account.id), "reason": reason})
        return account

    # --- sessions ----------------------------------------------------------------------------------------

    def refresh(self, refresh_token: str) -> Tokens:
        """Rotate: the presented token is spent and its successor returned. A spent token presented again
        means a copy exists somewhere, so its whole family (the session) is revoked and its access tokens are
        refused from now on (``identity.session.ended``)."""
        now = self.clock()
        tokens: Tokens | None = None
        with self.db.transaction() as conn:
            row = store.get_refresh_token(conn, token_hash(refresh_token))
            if row is not None:
                verdict = judge_refresh(used_at=row["used_at"], family_revoked_at=row["revoked_at"],
                                        family_expires_at=row["expires_at"], now=now)
                account = self._existing(conn, row["account_id"])
                if verdict is RefreshVerdict.REUSED:
                    self._end_session(conn, account.id, row["family_id"], now, "refresh_token_reused",
                                      family_reason="reuse_detected")
                    _log.warning("refresh token reused: session revoked",
                                 extra={"account_id": str(account.id), "family_id": str(row["family_id"])})
                elif verdict is RefreshVerdict.ROTATE and not account.disabled:
                    store.mark_refresh_token_used(conn, row["token_hash"], now)
                    tokens = self._issue_tokens(conn, account, row["family_id"], now)
        if tokens is None:
            raise RefreshTokenInvalid()
        return tokens

    def logout(self, refresh_token: str) -> None:
        """End the session the token belongs to, its access tokens included (``identity.session.ended``); an
        unknown token is no error (RFC 7009 section 2.2)."""
        now = self.clock()
        with self.db.transaction() as conn:
            row = store.get_refresh_token(conn, token_hash(refresh_token))
            if row is not None:
                self._end_session(conn, row["account_id"], row["family_id"], now, "logout")

    def _end_session(self, conn: psycopg.Connection, account_id: UUID, session_id: UUID, now: datetime,
                     reason: str, *, family_reason: str | None = None) -> None:
        """Revoke the session's refresh tokens and refuse its access tokens: here at once, in every other
        service when ``identity.session.ended`` arrives. A session that had ended before: nothing new."""
        if not store.revoke_family(conn, session_id, now, family_reason or reason):
            return
        revocation.end_session(conn, session_id=session_id, account_id=account_id, ended_at=now,
                               reason=reason)
        bus.record(conn, "identity.session.ended",
                   {"account_id": account_id, "session_id": session_id, "ended_at": now, "reason": reason},
                   producer=PRODUCER, subject=account_id)

    def end_every_session(self, conn: psycopg.Connection, account_id: UUID, *, now: datetime, reason: str,
                          keep_session_id: UUID | None = None) -> list[UUID]:
        """End every session of the account but ``keep_session_id``, in the caller's transaction: their
        refresh tokens are revoked and the account's access tokens issued before ``now`` (except the kept
        session's) are refused, here at once and in every other service when
        ``identity.account.sessions_ended`` arrives. ``reason``: one of the catalogue's
        ``ALL_SESSIONS_END_REASONS`` (``password_reset`` for a forgotten password). Returns the sessions
        that ended."""
        ended = store.revoke_families_of(conn, account_id, now, reason, keep=keep_session_id)
        revocation.end_sessions_of(conn, account_id=account_id, ended_at=now, session_ids=ended,
                                   kept_session_id=keep_session_id, reason=reason)
        bus.record(conn, "identity.account.sessions_ended",
                   {"account_id": account_id, "ended_at": now, "session_ids": ended,
                    "kept_session_id": keep_session_id, "reason": reason},
                   producer=PRODUCER, subject=account_id)
        return ended

    # --- keys and housekeeping ---------------------------------------------------------------------------

    def jwks(self) -> dict[str, Any]:
        now = self.clock()
        with self.db.transaction() as conn:
            self.keys.signing_key(conn, now)  # so that the set is never empty, even before the first login
            return self.keys.jwks(conn, now)

    def rotate_keys(self, *, immediately: bool = False) -> dict[str, Any]:
        with self.db.transaction() as conn:
            return self.keys.rotate(conn, self.clock(), immediately=immediately)

    def purge_expired(self) -> dict[str, int]:
        now = self.clock()
        with self.db.transaction() as conn:
            self.keys.drop_retired_private_keys(conn, now)
            return store.purge_expired(conn, now)

    # --- helpers -----------------------------------------------------------------------------------------

    @staticmethod
    def _existing(conn: psycopg.Connection, account_id: UUID, *, for_update: bool = False) -> Account:
        account = store.get_account(conn, account_id, for_update=for_update)
        if account is None:
            raise NotFound(code="identity.detail.account_not_found")
        return account


def build_service(settings: IdentitySettings, db: Database | None = None) -> IdentityService:
    """The service with its collaborators made from ``settings`` (the app and the commands share this)."""
    db = db or Database.from_settings(settings, "identity")
    box = SecretBox.from_setting(settings.secrets_key)
    hasher = PasswordHasher(time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib,
                            parallelism=settings.argon2_parallelism)
    keys = KeyRing(box, access_token_ttl=timedelta(seconds=settings.access_token_ttl_seconds),
                   publish_ahead=timedelta(seconds=settings.key_publish_ahead_seconds))
    return IdentityService(db, settings, box=box, hasher=hasher, keys=keys)
