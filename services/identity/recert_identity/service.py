"""Identity's use cases. Each runs in one unit of work that writes the state change and its events together.

A refused attempt that must still leave a trace (a failed password or code counts towards the lock; a
reused refresh token revokes its family) commits that trace and raises its refusal after the unit of work.
Password hashing runs outside units of work: argon2 is slow on purpose and must not hold a row lock.

Identity produces the session and account events that feed every service's revocation read model, and
writes its own read model (``uow.revocations``) in the unit of work that ends the sessions, so it refuses the
tokens itself in the same instant; it consumes none of those events.
"""
from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from recert_common.auth import Role, access_token_claims, sign_token
from recert_common.clock import utcnow
from recert_common.db import Database
from recert_common.rules import RegistrationNumber
from recert_common.uow import UnitOfWork
from recert_identity.crypto import SecretBox
from recert_identity.desk_client import DeskClient
from recert_identity.domain import (
    Account,
    AccountExists,
    AccountLockedOut,
    AccountNotFound,
    AlreadyDisabled,
    Challenge,
    ChallengeKind,
    ChallengeRefused,
    CodeRefused,
    CredentialsRejected,
    DeskResetRefused,
    DisablingOneself,
    EmailLinkInvalid,
    EmailTokenPurpose,
    EmailUnverified,
    InputRefused,
    Lockout,
    LockoutPolicy,
    PasswordHasher,
    RefreshRefused,
    RefreshVerdict,
    SecondFactorKind,
    TotpNotEnrolled,
    TotpResetNotAllowed,
    accepted_totp_step,
    locked_for_source,
    locked_until,
    may_reset_totp,
    new_opaque_token,
    new_recovery_codes,
    new_totp_secret,
    otpauth_uri,
    password_policy_violations,
    recovery_code_hash,
    resets_through_desk,
    second_factor_kind,
    support_reset_refusal,
    token_hash,
)
from recert_identity.keys import KeyRing
from recert_identity.settings import IdentitySettings
from recert_identity.store import SqlIdentityUnitOfWork

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
    """``uow`` opens a unit of work per use case (``SqlIdentityUnitOfWork``, or the tests' fake). ``db`` is
    the database behind it, for what the app checks besides the use cases (readiness, the revocation read
    model on each request); no use case touches it."""

    def __init__(self, uow: Callable[[], UnitOfWork], settings: IdentitySettings, *, box: SecretBox,
                 hasher: PasswordHasher, keys: KeyRing, clock: Callable[[], datetime] = utcnow,
                 db: Database | None = None):
        self.uow = uow
        self.db = db
        self.settings = settings
        self.box = box
        self.hasher = hasher
        self.keys = keys
        self.clock = clock
        self.lockout_policy = LockoutPolicy(settings.lock_threshold, settings.lock_seconds)
        # notifications' service desk, asked before DNV's support resets an app from a request (ADR 0029).
        self.desk: Callable[[], Any] = functools.cache(lambda: DeskClient(settings.notifications_url))

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
            raise InputRefused({"password": violations})
        now = self.clock()
        password_hash = self.hasher.hash(password)  # whatever follows, so that every answer takes as long
        with self.uow() as uow:
            existing = uow.accounts.find_by_email(email, for_update=True)
            if existing is not None:
                if existing.email_verified:
                    self._registration_attempted(uow, existing, "email")
                    return None
                # Not verified: the latest registration's data replace the earlier (maybe a stranger's,
                # who cannot open the link), and only its own link works (ADR 0018).
                existing = replace(existing, full_name=full_name.strip(), password_hash=password_hash,
                                   membership_kind=number.kind, membership_number=number.value,
                                   preferred_language=preferred_language, updated_at=now)
                uow.accounts.save(existing)
                return self._send_verification(uow, existing, now)
            holders = uow.accounts.verified_holders_of_number(number.value)
            account = Account(
                id=uuid.uuid4(), email=email, full_name=full_name.strip(), roles=(Role.JOBCOACH,),
                membership_kind=number.kind, membership_number=number.value,
                preferred_language=preferred_language, password_hash=password_hash,
                totp_secret_encrypted=None, totp_last_step=None, totp_reset_at=None, failed_attempts=0,
                locked_until=None, disabled_at=None, disabled_by=None, created_at=now, updated_at=now,
                email_verified_at=None)
            try:
                uow.accounts.add(account)
            except AccountExists:
                return None  # the same address registered at the same moment: that one's e-mail goes
            for holder in holders:
                self._registration_attempted(uow, holder, "membership_number")
            return self._send_verification(uow, account, now)

    @staticmethod
    def _registration_attempted(uow: UnitOfWork, owner: Account, field: str) -> None:
        uow.publish("identity.registration.attempted", {"account_id": owner.id, "attempted_with": field},
                    subject=owner.id)

    def _send_verification(self, uow: UnitOfWork, account: Account, now: datetime) -> str:
        """A new verification link for ``account`` (earlier ones stop working), sent through notifications."""
        token, expires_at = self._new_email_token(uow, account, EmailTokenPurpose.VERIFY_EMAIL, now,
                                                  self.settings.verification_ttl_seconds)
        uow.publish("identity.email.verification_requested",
                    {**account.profile(), "token": token, "expires_at": expires_at}, subject=account.id)
        return token

    @staticmethod
    def _new_email_token(uow: UnitOfWork, account: Account, purpose: EmailTokenPurpose, now: datetime,
                         ttl_seconds: int) -> tuple[str, datetime]:
        uow.email_tokens.delete_all(account.id, purpose)
        token = new_opaque_token()
        expires_at = now + timedelta(seconds=ttl_seconds)
        uow.email_tokens.add(token_hash=token_hash(token), account_id=account.id, purpose=purpose,
                             created_at=now, expires_at=expires_at)
        return token, expires_at

    def verify_email(self, token: str, password: str) -> Account:
        """Open the link, with the password chosen at registration: the account is verified and announced
        to every service (``identity.account.registered``: other services know only verified accounts).

        The link proves the mailbox, the password the registration: someone who registered another person's
        address first (a password of their own) cannot have that person verify the account for them. A
        wrong password is refused without spending the link; an expired, used or unknown link is refused
        as such.
        """
        now = self.clock()
        with self.uow() as uow:
            link = uow.email_tokens.usable(token_hash(token), EmailTokenPurpose.VERIFY_EMAIL, now)
            account = self._existing(uow, link.account_id) if link else None
        if account is None or account.disabled:
            raise EmailLinkInvalid()
        if not self.hasher.verify(account.password_hash, password):
            raise InputRefused({"password": ["identity.field.registration_password_wrong"]})
        with self.uow() as uow:
            link = uow.email_tokens.take(token_hash(token), EmailTokenPurpose.VERIFY_EMAIL, now)
            checked = account.password_hash
            account = self._existing(uow, link.account_id, for_update=True) if link else None
            if account is None or account.disabled or account.password_hash != checked:
                raise EmailLinkInvalid()  # spent, or registered anew meanwhile: its newer link counts
            account = replace(account, email_verified_at=now, updated_at=now)
            uow.accounts.save(account)
            uow.email_tokens.delete_all(account.id, EmailTokenPurpose.VERIFY_EMAIL)
            uow.publish("identity.account.registered", account.profile(), subject=account.id)
        return account

    def create_staff(self, *, email: str, full_name: str, password: str, roles: Iterable[str],
                     preferred_language: str = "nl") -> Account:
        """A Noloc admin (or the operator) makes the account for a known person: the address counts as
        verified, and an address in use is refused openly: the caller is staff, not a stranger."""
        email = email.strip()
        violations = password_policy_violations(password, email=email, full_name=full_name)
        if violations:
            raise InputRefused({"password": violations})
        now = self.clock()
        account = Account(
            id=uuid.uuid4(), email=email, full_name=full_name.strip(), roles=tuple(sorted(set(roles))),
            membership_kind=None, membership_number=None, preferred_language=preferred_language,
            password_hash=self.hasher.hash(password), totp_secret_encrypted=None, totp_last_step=None,
            totp_reset_at=None, failed_attempts=0, locked_until=None, disabled_at=None, disabled_by=None,
            created_at=now, updated_at=now, email_verified_at=now)
        with self.uow() as uow:
            if uow.accounts.email_taken(email):
                raise AccountExists(["email"])
            uow.accounts.add(account)
            uow.publish("identity.account.registered", account.profile(), subject=account.id)
        return account

    def account(self, account_id: UUID) -> Account:
        with self.uow() as uow:
            return self._existing(uow, account_id)

    def list_accounts(self, *, role: str | None, page: int, page_size: int) -> tuple[list[Account], int]:
        with self.uow() as uow:
            return uow.accounts.page(role=role, limit=page_size, offset=(page - 1) * page_size)

    def update_profile(self, account_id: UUID, **changes: Any) -> Account:
        """Change ``full_name`` and/or ``preferred_language``; an event only when something really changed."""
        with self.uow() as uow:
            account = self._existing(uow, account_id, for_update=True)
            changed = sorted(name for name, value in changes.items() if getattr(account, name) != value)
            if not changed:
                return account
            account = replace(account, **{name: changes[name] for name in changed}, updated_at=self.clock())
            uow.accounts.save(account)
            uow.publish("identity.account.updated", {**account.profile(), "changed": changed},
                        subject=account.id)
        return account

    def change_password(self, account_id: UUID, *, current_password: str, new_password: str,
                        session_id: UUID | None) -> None:
        """Other sessions (refresh-token families) end; the one making the change (``session_id``) stays."""
        now = self.clock()
        with self.uow() as uow:
            account = self._existing(uow, account_id)
        errors = password_policy_violations(new_password, email=account.email, full_name=account.full_name)
        if new_password == current_password:
            errors.append("identity.password.unchanged")
        if errors:
            raise InputRefused({"new_password": errors})
        if account.lockout.is_locked(now):
            raise AccountLockedOut(account.locked_until, now)
        checked = account.password_hash
        correct = self.hasher.verify(checked, current_password)
        new_hash = self.hasher.hash(new_password) if correct else None
        refusal: Exception | None = None
        with self.uow() as uow:
            account = self._existing(uow, account_id, for_update=True)
            correct = correct and account.password_hash == checked  # changed meanwhile: checked in vain
            if account.lockout.is_locked(now):
                refusal = AccountLockedOut(account.locked_until, now)
            elif not correct:
                account = self._record_failure(uow, account, now, "failed_passwords")
                refusal = InputRefused({"current_password": ["identity.field.current_password_wrong"]})
                if account.lockout.is_locked(now):
                    refusal = AccountLockedOut(account.locked_until, now)
            else:
                uow.accounts.save(replace(account, password_hash=new_hash, updated_at=now))
                self._end_every_session(uow, account.id, now=now, reason="password_changed",
                                        keep_session_id=session_id)
        if refusal is not None:
            raise refusal

    def request_password_reset(self, email: str) -> str | None:
        """Forgotten password: a single-use link, valid briefly, to the address of a usable account. Nothing
        for an unknown, unverified or disabled one, and the caller cannot tell the difference. Returns the
        token when one was made (never shown by the HTTP API)."""
        now = self.clock()
        with self.uow() as uow:
            account = uow.accounts.find_by_email(email, for_update=True)
            if account is None or account.disabled or not account.email_verified:
                return None
            token, expires_at = self._new_email_token(uow, account, EmailTokenPurpose.RESET_PASSWORD, now,
                                                      self.settings.password_reset_ttl_seconds)
            uow.publish("identity.password.reset_requested",
                        {"account_id": account.id, "token": token, "expires_at": expires_at},
                        subject=account.id)
        return token

    def reset_password(self, token: str, new_password: str) -> None:
        """Set a new password with an e-mailed link. Every session ends (``end_every_session``: its access
        tokens are refused everywhere), ``identity.password.reset`` is announced; the second factor is
        untouched, so the next login still asks for it."""
        now = self.clock()
        with self.uow() as uow:
            link = uow.email_tokens.usable(token_hash(token), EmailTokenPurpose.RESET_PASSWORD, now)
            account = self._existing(uow, link.account_id) if link else None
        if account is None or account.disabled:
            raise EmailLinkInvalid()
        violations = password_policy_violations(new_password, email=account.email,
                                                full_name=account.full_name)
        if violations:
            raise InputRefused({"new_password": violations})  # the link stays usable for a better one
        new_hash = self.hasher.hash(new_password)
        with self.uow() as uow:
            if uow.email_tokens.take(token_hash(token), EmailTokenPurpose.RESET_PASSWORD, now) is None:
                raise EmailLinkInvalid()
            account = self._existing(uow, account.id, for_update=True)
            uow.accounts.save(replace(account, password_hash=new_hash, updated_at=now))
            uow.email_tokens.delete_all(account.id, EmailTokenPurpose.RESET_PASSWORD)
            # Access tokens too, not only refresh tokens: refused by every service once the event arrives.
            self._end_every_session(uow, account.id, now=now, reason="password_reset")
            uow.publish("identity.password.reset", {"account_id": account.id, "sessions_ended_at": now},
                        subject=account.id)

    def disable(self, account_id: UUID, *, by: UUID | None, reason: str | None = None) -> Account:
        now = self.clock()
        with self.uow() as uow:
            account = self._existing(uow, account_id, for_update=True)
            if by == account.id:
                raise DisablingOneself()
            if account.disabled:
                raise AlreadyDisabled()
            account = replace(account, disabled_at=now, disabled_by=by, updated_at=now)
            uow.accounts.save(account)
            uow.challenges.delete_all(account.id)
            # Every token of the account is refused from now on: here at once, elsewhere through the event.
            uow.sessions.revoke_all_of(account.id, now, "account_disabled")
            uow.revocations.disable_account(account_id=account.id, disabled_at=now)
            uow.publish("identity.account.disabled", {"account_id": account.id, "disabled_by": by,
                                                      "reason": reason}, subject=account.id)
        return account

    def reset_totp(self, account_id: UUID, *, by: UUID | None, reason: str | None = None,
                   by_roles: Iterable[str] = (Role.NOLOC_ADMIN,), service_request_id: UUID | None = None,
                   identity_check: str | None = None, token: str | None = None) -> Account:
        """Unlink the authenticator: the next login enrols a new one. Sessions end and recovery codes go.
        ``by_roles``: the caller's roles; a DNV officer may reset only a jobcoach's or an assessor's.

        DNV's support (ADR 0029) resets a jobcoach's, an assessor's or a mentor's, only from a service request
        (``service_request_id``, ``identity_check``) whose requester notifications' desk matched to this
        account; asked with the caller's ``token``. The event names the request, so the thread notes it. A
        request is checked whoever names it, and only those who read the desk may name one: the thread would
        otherwise carry the note, and the identity check, into another person's request."""
        roles = frozenset(by_roles)
        if service_request_id is not None and Role.DNV_SUPPORT not in roles:
            raise InputRefused({"service_request_id": ["identity.field.desk_request_support_only"]})
        if resets_through_desk(roles):
            missing = {name: ["identity.field.desk_reset_required"]
                       for name, value in (("service_request_id", service_request_id),
                                           ("identity_check", (identity_check or "").strip()))
                       if not value}
            if missing:
                raise InputRefused(missing)
        now = self.clock()
        with self.uow() as uow:
            account = self._existing(uow, account_id)
            if not may_reset_totp(roles, account.roles):
                raise TotpResetNotAllowed()
        if service_request_id is not None:
            assert token is not None, "a reset through the desk is asked with the caller's token"
            found = self.desk().request(service_request_id, token=token)
            refusal = support_reset_refusal(found, account_id)
            if refusal is not None:
                raise DeskResetRefused(reason=refusal)
        with self.uow() as uow:
            account = self._existing(uow, account_id, for_update=True)
            if not may_reset_totp(roles, account.roles):
                raise TotpResetNotAllowed()
            if not account.totp_enrolled:
                raise TotpNotEnrolled()
            account = replace(account, totp_secret_encrypted=None, totp_last_step=None, totp_reset_at=now,
                              updated_at=now)
            uow.accounts.save(account)
            uow.recovery_codes.delete_all(account.id)
            self._end_every_session(uow, account.id, now=now, reason="totp_reset")
            uow.publish("identity.totp.reset", {"account_id": account.id, "reset_by": by, "reason": reason,
                                                "service_request_id": service_request_id,
                                                "identity_check": identity_check}, subject=account.id)
        return account

    def enrol_totp(self, account_id: UUID, secret: str) -> list[str]:
        """Link an authenticator without a login (the demo seed; a login is the normal way). Returns the
        recovery codes."""
        with self.uow() as uow:
            account = self._existing(uow, account_id, for_update=True)
            encrypted = self.box.encrypt(secret.encode(), context=_totp_context(account.id))
            return self._complete_enrolment(uow, account, encrypted, step=None, now=self.clock())[1]

    def totp_secret(self, account_id: UUID) -> str | None:
        with self.uow() as uow:
            account = self._existing(uow, account_id)
        if account.totp_secret_encrypted is None:
            return None
        return self.box.decrypt(account.totp_secret_encrypted, context=_totp_context(account.id)).decode()

    def find_by_email(self, email: str) -> Account | None:
        with self.uow() as uow:
            return uow.accounts.find_by_email(email)

    # --- closing and erasure (the AVG's right to erasure, ADR 0020) --------------------------------------
    #
    # A jobcoach closes their own account: it can no longer log in at once (its sessions end,
    # ``identity.account.disabled`` tells the others). RECERT_IDENTITY_ERASE_AFTER_DAYS later (default 30:
    # time to undo a mistake with DNV's support and for open invoices to be settled) the worker's schedule
    # erases it: the account row and everything hanging on it (recovery codes, challenges, sessions), the sent
    # events about it in identity's outbox, and ``identity.account.erased`` is published in the same unit of
    # work so that every service forgets the person (billing keeps its invoices, which the law requires for
    # 7 years).

    def close_account(self, account_id: UUID, password: str) -> None:
        """Close one's account, confirmed with one's password (a wrong one counts as a failed login, as when
        changing the password)."""
        now = self.clock()
        with self.uow() as uow:
            account = self._existing(uow, account_id)
        if account.lockout.is_locked(now):
            raise AccountLockedOut(account.locked_until, now)
        checked = account.password_hash
        correct = self.hasher.verify(checked, password)
        refusal: Exception | None = None
        with self.uow() as uow:
            account = self._existing(uow, account_id, for_update=True)
            correct = correct and account.password_hash == checked  # changed meanwhile: checked in vain
            if not correct:
                account = self._record_failure(uow, account, now, "failed_passwords")
                refusal = InputRefused({"password": ["identity.field.current_password_wrong"]})
                if account.lockout.is_locked(now):
                    refusal = AccountLockedOut(account.locked_until, now)
            else:
                uow.accounts.mark_closed(account.id, now)
                if not account.disabled:
                    uow.accounts.save(replace(account, disabled_at=now, disabled_by=None, updated_at=now))
                    uow.challenges.delete_all(account.id)
                    uow.sessions.revoke_all_of(account.id, now, "account_closed")
                    # Identity does not hear its own events: its read model learns here, as in disable().
                    uow.revocations.disable_account(account_id=account.id, disabled_at=now)
                    uow.publish("identity.account.disabled", {"account_id": account.id, "disabled_by": None,
                                                              "reason": "closed by its holder"},
                                subject=account.id)
        if refusal is not None:
            raise refusal

    def erase_closed_accounts(self, now: datetime | None = None) -> int:
        """Erase every account closed longer than the grace period ago; returns how many."""
        now = now or self.clock()
        cutoff = now - timedelta(days=self.settings.erase_after_days)
        with self.uow() as uow:
            due = uow.accounts.closed_before(cutoff)
            for account_id, closed_at in due:
                uow.housekeeping.forget_sent_events_about(account_id)
                uow.accounts.erase(account_id)
                uow.publish("identity.account.erased", {"account_id": account_id, "closed_at": closed_at},
                            subject=account_id)
        if due:
            _log.info("closed accounts erased", extra={"accounts": len(due)})
        return len(due)

    # --- login -------------------------------------------------------------------------------------------

    def start_login(self, email: str, password: str, source: str = "unknown") -> LoginChallenge:
        """Step 1. ``CredentialsRejected`` for every refusal (see its docstring); argon2 runs exactly once
        whatever the reason, against a dummy hash for an unknown e-mail, so the answer takes as long.

        Failures count per account (five lock it) and per account and ``source`` (the client's address; five
        lock that source out of that account). A locked account still lets a source that has not failed
        (its owner, elsewhere) through with the right password to step 2, where a valid code completes the
        login: strangers' failures cannot keep the owner out (ADR 0018)."""
        now = self.clock()
        with self.uow() as uow:
            account = uow.accounts.find_by_email(email)
            throttle = uow.throttles.get(account.id, source) if account else Lockout()
        checked = account.password_hash if account else None
        correct = self.hasher.verify(checked, password)
        if account is None:
            raise CredentialsRejected()
        # Upgrading a hash made with older argon2 costs takes a second hash: only on the way to a challenge,
        # or a locked account would answer a right password more slowly than a wrong one.
        usable = not account.disabled and not locked_for_source(account.lockout, throttle, now)
        rehash = self.hasher.hash(password) if correct and usable and self.hasher.needs_rehash(
            account.password_hash) else None
        challenge: LoginChallenge | None = None
        unverified = False
        with self.uow() as uow:
            account = self._existing(uow, account.id, for_update=True)
            throttle = uow.throttles.get(account.id, source, for_update=True)
            # A password changed or reset since it was checked: the old one must not start a login.
            correct = correct and account.password_hash == checked
            if account.disabled or throttle.is_locked(now):
                pass  # not counted: a locked counter must not be pushed further by strangers
            elif not correct:
                self._record_source_failure(uow, account, source, throttle, now)
                if not account.lockout.is_locked(now):
                    self._record_failure(uow, account, now, "failed_passwords")
            elif locked_for_source(account.lockout, throttle, now):
                pass  # the account is locked and this source is among those that failed
            elif not account.email_verified:
                # Only someone with the password hears it; the link goes to the address, not to them.
                self._send_verification(uow, account, now)
                unverified = True
            else:
                if rehash:
                    uow.accounts.save(replace(account, password_hash=rehash))
                challenge = self._new_challenge(uow, account, now)
        if unverified:
            raise EmailUnverified()
        if challenge is None:
            raise CredentialsRejected()
        return challenge

    def _new_challenge(self, uow: UnitOfWork, account: Account, now: datetime) -> LoginChallenge:
        uow.challenges.delete_all(account.id)  # only the latest step 1 counts (and its QR code)
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
        uow.challenges.add(Challenge(id_hash=token_hash(challenge_id), account_id=account.id, kind=kind,
                                     pending_secret_encrypted=pending, created_at=now, expires_at=expires_at))
        return LoginChallenge(challenge_id, kind, expires_at, uri)

    def finish_login(self, challenge_id: str, code: str, source: str = "unknown") -> Tokens:
        """Step 2: a TOTP code (or, once enrolled, a recovery code) for the challenge of step 1. While the
        account is locked, only a ``source`` without failures may try (see ``start_login``)."""
        now = self.clock()
        factor = second_factor_kind(code)
        refusal: Exception | None = None
        tokens: Tokens | None = None
        with self.uow() as uow:
            challenge = uow.challenges.get_for_update(token_hash(challenge_id))
            account = (self._existing(uow, challenge.account_id, for_update=True)
                       if challenge is not None else None)
            throttle = uow.throttles.get(account.id, source, for_update=True) if account else Lockout()
            if challenge is None or challenge.expired(now) or account.disabled:
                refusal = ChallengeRefused()
            elif locked_for_source(account.lockout, throttle, now):
                refusal = AccountLockedOut(locked_until(account.lockout, throttle), now)
            elif challenge.kind == ChallengeKind.ENROL and account.totp_enrolled:
                refusal = ChallengeRefused()  # enrolled meanwhile (by the seed); log in again
            else:
                tokens = self._second_factor(uow, account, challenge, code, factor, now)
                if tokens is None:
                    self._record_source_failure(uow, account, source, throttle, now)
                    refusal = CodeRefused()
                    if not account.lockout.is_locked(now):  # locked by others: told as a wrong code
                        account = self._record_failure(uow, account, now, "failed_totp_codes")
                        if account.lockout.is_locked(now):
                            refusal = AccountLockedOut(account.locked_until, now)
                else:
                    uow.throttles.delete(account.id, source)
        if refusal is not None:
            raise refusal
        return tokens

    def _second_factor(self, uow: UnitOfWork, account: Account, challenge: Challenge, code: str,
                       factor: SecondFactorKind | None, now: datetime) -> Tokens | None:
        """Tokens when ``code`` is accepted (recording the step or spending the recovery code), else None."""
        if challenge.kind == ChallengeKind.ENROL:
            pending = challenge.pending_secret_encrypted
            secret = self.box.decrypt(pending, context=_totp_context(account.id)).decode()
            step = None
            if factor is SecondFactorKind.TOTP:
                step = accepted_totp_step(secret, code.strip(), now, None)
            if step is None:
                return None
            account, codes = self._complete_enrolment(uow, account, pending, step=step, now=now)
            return replace(self._login_succeeded(uow, account, now), recovery_codes=codes)
        if factor is SecondFactorKind.TOTP:
            secret = self.box.decrypt(account.totp_secret_encrypted, context=_totp_context(account.id))
            step = accepted_totp_step(secret.decode(), code.strip(), now, account.totp_last_step)
            if step is None:
                return None
            account = replace(account, totp_last_step=step)
        elif factor is SecondFactorKind.RECOVERY_CODE:
            if not uow.recovery_codes.use(account.id, recovery_code_hash(code), now):
                return None
        else:
            return None
        return self._login_succeeded(uow, account, now)

    @staticmethod
    def _complete_enrolment(uow: UnitOfWork, account: Account, secret_encrypted: str, *, step: int | None,
                            now: datetime) -> tuple[Account, list[str]]:
        codes = new_recovery_codes()
        account = replace(account, totp_secret_encrypted=secret_encrypted, totp_last_step=step,
                          updated_at=now)
        uow.accounts.save(account)
        uow.recovery_codes.replace(account.id, [recovery_code_hash(c) for c in codes])
        uow.publish("identity.totp.enrolled",
                    {"account_id": account.id, "after_reset": account.totp_reset_at is not None},
                    subject=account.id)
        return account, codes

    def _login_succeeded(self, uow: UnitOfWork, account: Account, now: datetime) -> Tokens:
        # Only a completed login clears the failures: clearing them at step 1 would give someone who knows
        # the password unlimited guesses at the code.
        account = replace(account, failed_attempts=0, locked_until=None)
        uow.accounts.save(account)
        uow.challenges.delete_all(account.id)
        family_id = uuid.uuid4()
        uow.sessions.add_family(family_id, account.id, now,
                                now + timedelta(seconds=self.settings.refresh_token_ttl_seconds))
        return self._issue_tokens(uow, account, family_id, now)

    def _issue_tokens(self, uow: UnitOfWork, account: Account, family_id: UUID, now: datetime) -> Tokens:
        refresh_token = new_opaque_token()
        uow.sessions.add_token(token_hash(refresh_token), family_id, now)
        kid, private_jwk = self.keys.signing_key(uow.signing_keys, now)
        ttl = self.settings.access_token_ttl_seconds
        claims = access_token_claims(account.id, account.roles, issuer=self.settings.jwt_issuer,
                                     audience=self.settings.jwt_audience, ttl=timedelta(seconds=ttl), now=now,
                                     amr=("pwd", "otp"), sid=str(family_id))
        return Tokens(access_token=sign_token(private_jwk, kid, claims), expires_in=ttl,
                      refresh_token=refresh_token)

    def _record_source_failure(self, uow: UnitOfWork, account: Account, source: str, throttle: Lockout,
                               now: datetime) -> Lockout:
        after = throttle.after_source_failure(now, self.lockout_policy)
        uow.throttles.save(account.id, source, after, now)
        return after

    def _record_failure(self, uow: UnitOfWork, account: Account, now: datetime, reason: str) -> Account:
        before = account.lockout
        after = before.after_failure(now, self.lockout_policy)
        account = replace(account, failed_attempts=after.failed_attempts, locked_until=after.locked_until)
        uow.accounts.save(account)
        if after.is_locked(now) and not before.is_locked(now):
            uow.challenges.delete_all(account.id)
            uow.publish("identity.account.locked",
                        {"account_id": account.id, "locked_until": after.locked_until, "reason": reason},
                        subject=account.id)
            _log.warning("account locked", extra={"account_id": str(account.id), "reason": reason})
        return account

    # --- sessions ----------------------------------------------------------------------------------------

    def refresh(self, refresh_token: str) -> Tokens:
        """Rotate: the presented token is spent and its successor returned. A spent token presented again
        means a copy exists somewhere, so its whole family (the session) is revoked and its access tokens are
        refused from now on (``identity.session.ended``)."""
        now = self.clock()
        tokens: Tokens | None = None
        with self.uow() as uow:
            presented = uow.sessions.token_for_update(token_hash(refresh_token))
            if presented is not None:
                verdict = presented.verdict(now)
                account = self._existing(uow, presented.account_id)
                if verdict is RefreshVerdict.REUSED:
                    self._end_session(uow, account.id, presented.family_id, now, "refresh_token_reused",
                                      family_reason="reuse_detected")
                    _log.warning("refresh token reused: session revoked",
                                 extra={"account_id": str(account.id), "family_id": str(presented.family_id)})
                elif verdict is RefreshVerdict.ROTATE and not account.disabled:
                    uow.sessions.mark_used(presented.token_hash, now)
                    tokens = self._issue_tokens(uow, account, presented.family_id, now)
        if tokens is None:
            raise RefreshRefused()
        return tokens

    def logout(self, refresh_token: str) -> None:
        """End the session the token belongs to, its access tokens included (``identity.session.ended``); an
        unknown token is no error (RFC 7009 section 2.2)."""
        now = self.clock()
        with self.uow() as uow:
            presented = uow.sessions.token_for_update(token_hash(refresh_token))
            if presented is not None:
                self._end_session(uow, presented.account_id, presented.family_id, now, "logout")

    @staticmethod
    def _end_session(uow: UnitOfWork, account_id: UUID, session_id: UUID, now: datetime, reason: str, *,
                     family_reason: str | None = None) -> None:
        """Revoke the session's refresh tokens and refuse its access tokens: here at once, in every other
        service when ``identity.session.ended`` arrives. A session that had ended before: nothing new."""
        if not uow.sessions.revoke(session_id, now, family_reason or reason):
            return
        uow.revocations.end_session(session_id=session_id, account_id=account_id, ended_at=now, reason=reason)
        uow.publish("identity.session.ended",
                    {"account_id": account_id, "session_id": session_id, "ended_at": now, "reason": reason},
                    subject=account_id)

    def end_every_session(self, account_id: UUID, *, reason: str, keep_session_id: UUID | None = None,
                          now: datetime | None = None) -> list[UUID]:
        """End every session of the account but ``keep_session_id`` (see ``_end_every_session``)."""
        with self.uow() as uow:
            return self._end_every_session(uow, account_id, now=now or self.clock(), reason=reason,
                                           keep_session_id=keep_session_id)

    @staticmethod
    def _end_every_session(uow: UnitOfWork, account_id: UUID, *, now: datetime, reason: str,
                           keep_session_id: UUID | None = None) -> list[UUID]:
        """End every session of the account but ``keep_session_id``, in the caller's unit of work: their
        refresh tokens are revoked and the account's access tokens issued before ``now`` (except the kept
        session's) are refused, here at once and in every other service when
        ``identity.account.sessions_ended`` arrives. ``reason``: one of the catalogue's
        ``ALL_SESSIONS_END_REASONS`` (``password_reset`` for a forgotten password). Returns the sessions
        that ended. Pending login steps end with them: a step 1 taken with the old password (or before the
        owner ended everything) must not finish into a new session (ADR 0018)."""
        uow.challenges.delete_all(account_id)
        ended = uow.sessions.revoke_all_of(account_id, now, reason, keep=keep_session_id)
        uow.revocations.end_sessions_of(account_id=account_id, ended_at=now, session_ids=ended,
                                        kept_session_id=keep_session_id, reason=reason)
        uow.publish("identity.account.sessions_ended",
                    {"account_id": account_id, "ended_at": now, "session_ids": ended,
                     "kept_session_id": keep_session_id, "reason": reason},
                    subject=account_id)
        return ended

    # --- keys and housekeeping ---------------------------------------------------------------------------

    def jwks(self) -> dict[str, Any]:
        now = self.clock()
        with self.uow() as uow:
            self.keys.signing_key(uow.signing_keys, now)  # so that the set is never empty, even before the
            return self.keys.jwks(uow.signing_keys, now)  # first login

    def rotate_keys(self, *, immediately: bool = False) -> dict[str, Any]:
        with self.uow() as uow:
            return self.keys.rotate(uow.signing_keys, self.clock(), immediately=immediately)

    def purge_expired(self) -> dict[str, int]:
        now = self.clock()
        with self.uow() as uow:
            self.keys.drop_retired_private_keys(uow.signing_keys, now)
            return uow.housekeeping.purge_expired(now)

    # --- helpers -----------------------------------------------------------------------------------------

    @staticmethod
    def _existing(uow: UnitOfWork, account_id: UUID, *, for_update: bool = False) -> Account:
        account = uow.accounts.get(account_id, for_update=for_update)
        if account is None:
            raise AccountNotFound()
        return account


def build_service(settings: IdentitySettings, db: Database | None = None) -> IdentityService:
    """The service with its collaborators made from ``settings`` (the app, the worker and the commands
    share this)."""
    db = db or Database.from_settings(settings, "identity")
    box = SecretBox.from_setting(settings.secrets_key)
    hasher = PasswordHasher(time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib,
                            parallelism=settings.argon2_parallelism)
    keys = KeyRing(box, access_token_ttl=timedelta(seconds=settings.access_token_ttl_seconds),
                   publish_ahead=timedelta(seconds=settings.key_publish_ahead_seconds))
    return IdentityService(lambda: SqlIdentityUnitOfWork(db), settings, box=box, hasher=hasher, keys=keys,
                           db=db)
