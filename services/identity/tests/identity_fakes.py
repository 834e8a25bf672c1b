"""Identity's unit of work in memory, for the fast use-case tests: the repositories of ``store.py`` with the
same methods and the same answers, on plain dictionaries.

A block that raises leaves the data as it was (as the database's rollback does), and its events are not
published. ``FakeIdentityDatabase`` is shared by every unit of work a test's service opens.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from recert_common.uow import FakeUnitOfWork
from recert_identity.domain import (
    Account,
    AccountExists,
    Challenge,
    EmailToken,
    Lockout,
    RefreshToken,
    SigningKey,
    email_key,
)
from recert_identity.store import SqlIdentityUnitOfWork


class FakeIdentityDatabase:
    def __init__(self) -> None:
        self.accounts: dict[UUID, Account] = {}
        self.closed_at: dict[UUID, datetime] = {}
        self.recovery_codes: dict[tuple[UUID, bytes], datetime | None] = {}  # -> used_at
        self.email_tokens: dict[bytes, dict[str, Any]] = {}
        self.throttles: dict[tuple[UUID, str], tuple[Lockout, datetime]] = {}
        self.challenges: dict[bytes, Challenge] = {}
        self.families: dict[UUID, dict[str, Any]] = {}
        self.refresh_tokens: dict[bytes, dict[str, Any]] = {}
        self.signing_keys: list[SigningKey] = []
        self.revoked_sessions: dict[UUID, dict[str, Any]] = {}
        self.account_revocations: dict[UUID, dict[str, Any]] = {}

    def erase_account(self, account_id: UUID) -> None:
        """What ``ON DELETE CASCADE`` removes with the account row."""
        self.accounts.pop(account_id, None)
        self.closed_at.pop(account_id, None)
        self.recovery_codes = {k: v for k, v in self.recovery_codes.items() if k[0] != account_id}
        self.email_tokens = {k: v for k, v in self.email_tokens.items() if v["account_id"] != account_id}
        self.throttles = {k: v for k, v in self.throttles.items() if k[0] != account_id}
        self.challenges = {k: v for k, v in self.challenges.items() if v.account_id != account_id}
        families = {k for k, v in self.families.items() if v["account_id"] == account_id}
        self.drop_families(families)

    def drop_families(self, family_ids: set[UUID]) -> None:
        self.families = {k: v for k, v in self.families.items() if k not in family_ids}
        self.refresh_tokens = {k: v for k, v in self.refresh_tokens.items()
                               if v["family_id"] not in family_ids}


class _Repository:
    def __init__(self, db: FakeIdentityDatabase):
        self.db = db


class FakeAccounts(_Repository):
    def email_taken(self, email: str) -> bool:
        return self.find_by_email(email) is not None

    def verified_holders_of_number(self, membership_number: str) -> list[Account]:
        return sorted((a for a in self.db.accounts.values()
                       if a.membership_number == membership_number and a.email_verified),
                      key=lambda a: a.created_at)

    def add(self, account: Account) -> None:
        if self.email_taken(account.email):
            raise AccountExists(["email"])
        self.db.accounts[account.id] = account

    def save(self, account: Account) -> None:
        stored = self.db.accounts.get(account.id)
        if stored is not None:
            self.db.accounts[account.id] = dataclasses.replace(account, created_at=stored.created_at)

    def get(self, account_id: UUID, *, for_update: bool = False) -> Account | None:
        return self.db.accounts.get(account_id)

    def find_by_email(self, email: str, *, for_update: bool = False) -> Account | None:
        return next((a for a in self.db.accounts.values() if email_key(a.email) == email_key(email)), None)

    def page(self, *, role: str | None, limit: int, offset: int) -> tuple[list[Account], int]:
        chosen = sorted((a for a in self.db.accounts.values() if role is None or role in a.roles),
                        key=lambda a: (a.created_at, a.id))
        return chosen[offset:offset + limit], len(chosen)

    def mark_closed(self, account_id: UUID, closed_at: datetime) -> None:
        if account_id in self.db.accounts:
            self.db.closed_at[account_id] = closed_at

    def closed_before(self, cutoff: datetime) -> list[tuple[UUID, datetime]]:
        return sorted(((i, at) for i, at in self.db.closed_at.items() if at <= cutoff), key=lambda r: r[1])

    def erase(self, account_id: UUID) -> None:
        self.db.erase_account(account_id)


class FakeRecoveryCodes(_Repository):
    def replace(self, account_id: UUID, hashes: Iterable[bytes]) -> None:
        self.delete_all(account_id)
        for code_hash in hashes:
            self.db.recovery_codes[(account_id, code_hash)] = None

    def use(self, account_id: UUID, code_hash: bytes, now: datetime) -> bool:
        key = (account_id, code_hash)
        if key not in self.db.recovery_codes or self.db.recovery_codes[key] is not None:
            return False
        self.db.recovery_codes[key] = now
        return True

    def delete_all(self, account_id: UUID) -> None:
        self.db.recovery_codes = {k: v for k, v in self.db.recovery_codes.items() if k[0] != account_id}


class FakeEmailTokens(_Repository):
    def add(self, *, token_hash: bytes, account_id: UUID, purpose: str, created_at: datetime,
            expires_at: datetime) -> None:
        self.db.email_tokens[token_hash] = {"account_id": account_id, "purpose": str(purpose),
                                            "created_at": created_at, "expires_at": expires_at,
                                            "used_at": None}

    def _usable_row(self, token_hash: bytes, purpose: str, now: datetime) -> dict[str, Any] | None:
        row = self.db.email_tokens.get(token_hash)
        if row is None or row["purpose"] != str(purpose) or row["used_at"] is not None:
            return None
        if row["expires_at"] <= now:
            return None
        return row

    def usable(self, token_hash: bytes, purpose: str, now: datetime) -> EmailToken | None:
        row = self._usable_row(token_hash, purpose, now)
        return EmailToken(row["account_id"], row["created_at"]) if row else None

    def take(self, token_hash: bytes, purpose: str, now: datetime) -> EmailToken | None:
        row = self._usable_row(token_hash, purpose, now)
        if row is None:
            return None
        row["used_at"] = now
        return EmailToken(row["account_id"], row["created_at"])

    def delete_all(self, account_id: UUID, purpose: str) -> None:
        self.db.email_tokens = {k: v for k, v in self.db.email_tokens.items()
                                if not (v["account_id"] == account_id and v["purpose"] == str(purpose))}


class FakeLoginThrottles(_Repository):
    def get(self, account_id: UUID, source: str, *, for_update: bool = False) -> Lockout:
        entry = self.db.throttles.get((account_id, source))
        return entry[0] if entry else Lockout()

    def save(self, account_id: UUID, source: str, lockout: Lockout, now: datetime) -> None:
        self.db.throttles[(account_id, source)] = (lockout, now)

    def delete(self, account_id: UUID, source: str) -> None:
        self.db.throttles.pop((account_id, source), None)


class FakeChallenges(_Repository):
    def add(self, challenge: Challenge) -> None:
        self.db.challenges[challenge.id_hash] = challenge

    def get_for_update(self, id_hash: bytes) -> Challenge | None:
        return self.db.challenges.get(id_hash)

    def delete_all(self, account_id: UUID) -> None:
        self.db.challenges = {k: v for k, v in self.db.challenges.items() if v.account_id != account_id}


class FakeSessions(_Repository):
    def add_family(self, family_id: UUID, account_id: UUID, created_at: datetime,
                   expires_at: datetime) -> None:
        self.db.families[family_id] = {"account_id": account_id, "created_at": created_at,
                                       "expires_at": expires_at, "revoked_at": None, "revoked_reason": None}

    def add_token(self, token_hash: bytes, family_id: UUID, now: datetime) -> None:
        self.db.refresh_tokens[token_hash] = {"family_id": family_id, "issued_at": now, "used_at": None}

    def token_for_update(self, token_hash: bytes) -> RefreshToken | None:
        token = self.db.refresh_tokens.get(token_hash)
        if token is None:
            return None
        family = self.db.families[token["family_id"]]
        return RefreshToken(token_hash=token_hash, family_id=token["family_id"], used_at=token["used_at"],
                            account_id=family["account_id"], expires_at=family["expires_at"],
                            revoked_at=family["revoked_at"])

    def mark_used(self, token_hash: bytes, now: datetime) -> None:
        self.db.refresh_tokens[token_hash]["used_at"] = now

    def revoke(self, family_id: UUID, now: datetime, reason: str) -> bool:
        family = self.db.families.get(family_id)
        if family is None or family["revoked_at"] is not None:
            return False
        family.update(revoked_at=now, revoked_reason=reason)
        return True

    def revoke_all_of(self, account_id: UUID, now: datetime, reason: str, *,
                      keep: UUID | None = None) -> list[UUID]:
        ended = [family_id for family_id, family in self.db.families.items()
                 if family["account_id"] == account_id and family["revoked_at"] is None and family_id != keep]
        for family_id in ended:
            self.revoke(family_id, now, reason)
        return ended


class FakeRevocations(_Repository):
    """The same promises as ``recert_common.revocation``'s writers."""

    def _account_row(self, account_id: UUID) -> dict[str, Any]:
        return self.db.account_revocations.setdefault(
            account_id, {"disabled_at": None, "tokens_not_before": None, "kept_session_id": None})

    def end_session(self, *, session_id: UUID, account_id: UUID, ended_at: datetime, reason: str) -> None:
        self.db.revoked_sessions.setdefault(session_id, {"account_id": account_id, "ended_at": ended_at,
                                                         "reason": reason})

    def end_sessions_of(self, *, account_id: UUID, ended_at: datetime, session_ids: Iterable[UUID],
                        kept_session_id: UUID | None, reason: str) -> None:
        for ended in session_ids:
            self.end_session(session_id=ended, account_id=account_id, ended_at=ended_at, reason=reason)
        row = self._account_row(account_id)
        if row["tokens_not_before"] is None or row["tokens_not_before"] < ended_at:
            row.update(tokens_not_before=ended_at, kept_session_id=kept_session_id)

    def disable_account(self, *, account_id: UUID, disabled_at: datetime) -> None:
        row = self._account_row(account_id)
        row["disabled_at"] = row["disabled_at"] or disabled_at


class FakeSigningKeys(_Repository):
    def __init__(self, db: FakeIdentityDatabase):
        super().__init__(db)
        self.locks = 0

    def lock(self) -> None:
        self.locks += 1

    def all(self) -> list[SigningKey]:
        return sorted(self.db.signing_keys, key=lambda k: (k.activates_at, k.created_at))

    def add(self, key: SigningKey) -> None:
        self.db.signing_keys.append(key)

    def drop_private_halves(self, kids: Iterable[str]) -> None:
        kids = set(kids)
        self.db.signing_keys = [dataclasses.replace(k, private_jwk_encrypted=None) if k.kid in kids else k
                                for k in self.db.signing_keys]

    def remove(self, kids: Iterable[str]) -> None:
        kids = set(kids)
        self.db.signing_keys = [k for k in self.db.signing_keys if k.kid not in kids]


class FakeHousekeeping(_Repository):
    def __init__(self, db: FakeIdentityDatabase, uow: FakeIdentityUnitOfWork):
        super().__init__(db)
        self.uow = uow

    def purge_expired(self, now: datetime) -> dict[str, int]:
        """As the SQL does, except the outbox: the fake keeps no sent events' bodies to strip tokens from."""
        db = self.db
        challenges = [k for k, v in db.challenges.items() if v.expires_at <= now]
        for key in challenges:
            del db.challenges[key]
        families = {k for k, v in db.families.items() if v["expires_at"] <= now}
        db.drop_families(families)
        links = [k for k, v in db.email_tokens.items() if v["expires_at"] <= now]
        for key in links:
            del db.email_tokens[key]
        throttles = [k for k, (lockout, updated_at) in db.throttles.items()
                     if updated_at <= now - timedelta(days=1)
                     and (lockout.locked_until is None or lockout.locked_until <= now)]
        for key in throttles:
            del db.throttles[key]
        return {"challenges": len(challenges), "families": len(families), "email_tokens": len(links),
                "login_throttles": len(throttles)}

    def forget_sent_events_about(self, account_id: UUID) -> None:
        self.uow.published[:] = [e for e in self.uow.published if str(e.subject) != str(account_id)]


class FakeIdentityUnitOfWork(FakeUnitOfWork):
    producer = SqlIdentityUnitOfWork.producer

    def __init__(self, db: FakeIdentityDatabase | None = None):
        super().__init__()
        self.db = self.data = db or FakeIdentityDatabase()  # restored by FakeUnitOfWork on a rollback
        self.accounts = FakeAccounts(self.db)
        self.recovery_codes = FakeRecoveryCodes(self.db)
        self.email_tokens = FakeEmailTokens(self.db)
        self.throttles = FakeLoginThrottles(self.db)
        self.challenges = FakeChallenges(self.db)
        self.sessions = FakeSessions(self.db)
        self.revocations = FakeRevocations(self.db)
        self.signing_keys = FakeSigningKeys(self.db)
        self.housekeeping = FakeHousekeeping(self.db, self)

