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
                          preferred_language: str = "nl") -> Account:
        return self._create_account(email=email, full_name=full_name, password=password, number=number,
                                    roles=(Role.JOBCOACH,), preferred_language=preferred_language)

    def create_staff(self, *, email: str, full_name: str, password: str, roles: Iterable[str],
                     preferred_language: str = "nl") -> Account:
        return self._create_account(email=email, full_name=full_name, password=password,
                                    roles=tuple(sorted(set(roles))), number=None,
                                    preferred_language=preferred_language)

    def _create_account(self, *, email: str, full_name: str, password: str, roles: tuple[str, ...],
                        number: RegistrationNumber | None, preferred_language: str) -> Account:
        email = email.strip()
        violations = password_policy_violations(password, email=email)
        if violations:
            raise ValidationProblem({"password": violations})
        now = self.clock()
        account = Account(
            id=uuid.uuid4(), email=email, full_name=full_name.strip(), roles=roles,
            membership_kind=number.kind if number else None,
            membership_number=number.value if number else None,
            preferred_language=preferred_language, password_hash=self.hasher.hash(password),
            totp_secret_encrypted=None, totp_last_step=None, totp_reset_at=None, failed_attempts=0,
            locked_until=None, disabled_at=None, disabled_by=None, created_at=now, updated_at=now)
        with self.db.transaction() as conn:
            taken = store.duplicate_fields(conn, email, account.membership_number)
            if taken:
                raise Duplicate(taken)
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
        errors = password_policy_violations(new_password, email=account.email)
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

    def start_login(self, email: str, password: str) -> LoginChallenge:
        """Step 1. ``InvalidCredentials`` for every refusal (see its docstring); argon2 runs exactly once
        whatever the reason, against a dummy hash for an unknown e-mail, so the answer takes as long."""
        now = self.clock()
        with self.db.transaction() as conn:
            account = store.find_account_by_email(conn, email)
        correct = self.hasher.verify(account.password_hash if account else None, password)
        if account is None:
            raise InvalidCredentials(self.settings.support)
        # Upgrading a hash made with older argon2 costs takes a second hash: only on the way to a challenge,
        # or a locked account would answer a right password more slowly than a wrong one.
        usable = not account.disabled and not account.lockout.is_locked(now)
        rehash = self.hasher.hash(password) if correct and usable and self.hasher.needs_rehash(
            account.password_hash) else None
        challenge: LoginChallenge | None = None
        with self.db.transaction() as conn:
            account = self._existing(conn, account.id, for_update=True)
            if account.disabled or account.lockout.is_locked(now):
                pass  # not counted: a locked account's counter must not be pushed further by strangers
            elif not correct:
                self._record_failure(conn, account, now, "failed_passwords")
            else:
                if rehash:
                    store.update_account(conn, replace(account, password_hash=rehash))
                challenge = self._new_challenge(conn, account, now)
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

    def finish_login(self, challenge_id: str, code: str) -> Tokens:
        """Step 2: a TOTP code (or, once enrolled, a recovery code) for the challenge of step 1."""
        now = self.clock()
        factor = second_factor_kind(code)
        refusal: Problem | None = None
        tokens: Tokens | None = None
        with self.db.transaction() as conn:
            challenge = store.get_challenge(conn, token_hash(challenge_id))
            account = (self._existing(conn, challenge["account_id"], for_update=True)
                       if challenge is not None else None)
            if challenge is None or challenge["expires_at"] <= now or account.disabled:
                refusal = ChallengeInvalid()
            elif account.lockout.is_locked(now):
                refusal = AccountLocked(account.locked_until, now, self.settings.support)
            elif challenge["kind"] == ChallengeKind.ENROL and account.totp_enrolled:
                refusal = ChallengeInvalid()  # enrolled meanwhile (by the seed); log in again
            else:
                tokens = self._second_factor(conn, account, challenge, code, factor, now)
                if tokens is None:
                    account = self._record_failure(conn, account, now, "failed_totp_codes")
                    support = self.settings.support
                    refusal = (AccountLocked(account.locked_until, now, support)
                               if account.lockout.is_locked(now) else CodeRejected(support))
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
