"""Identity's unit of work and the SQL of its repositories (psycopg 3, dict rows).

``SqlIdentityUnitOfWork`` opens one transaction of the identity database and builds one repository per
concern on it; every repository method runs in that transaction and returns domain types.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg

from recert_common import revocation
from recert_common.bus import outbox
from recert_common.keys import SqlKeyTable
from recert_common.uow import SqlUnitOfWork
from recert_identity.domain import (
    Account,
    AccountExists,
    Challenge,
    ChallengeKind,
    EmailToken,
    Lockout,
    RefreshToken,
    email_key,
)

_ACCOUNT_COLUMNS = tuple(field.name for field in dataclasses.fields(Account))
_SELECT_ACCOUNT = f"SELECT {', '.join(_ACCOUNT_COLUMNS)} FROM accounts"
_UNIQUE_FIELDS = {"accounts_email_key": "email"}


def _account(row: dict[str, Any] | None) -> Account | None:
    if row is None:
        return None
    return Account(**{**row, "roles": tuple(row["roles"])})


def _lock(for_update: bool) -> str:
    return " FOR UPDATE" if for_update else ""


class _Repository:
    def __init__(self, conn: psycopg.Connection):
        self.conn = conn


class Accounts(_Repository):
    def email_taken(self, email: str) -> bool:
        return self.conn.execute("SELECT EXISTS (SELECT 1 FROM accounts WHERE lower(email) = %s) AS taken",
                                 (email_key(email),)).fetchone()["taken"]

    def verified_holders_of_number(self, membership_number: str) -> list[Account]:
        """The verified accounts that give ``membership_number`` (a number is not unique: ADR 0018)."""
        rows = self.conn.execute(
            f"{_SELECT_ACCOUNT} WHERE membership_number = %s AND email_verified_at IS NOT NULL "
            "ORDER BY created_at", (membership_number,)).fetchall()
        return [_account(row) for row in rows]

    def add(self, account: Account) -> None:
        """Raises ``AccountExists`` when the e-mail address is taken (also by a concurrent insert)."""
        values = dataclasses.asdict(account)
        values["roles"] = list(account.roles)
        placeholders = ", ".join(f"%({name})s" for name in _ACCOUNT_COLUMNS)
        try:
            with self.conn.transaction():  # a savepoint, so the caller's transaction survives the violation
                self.conn.execute(
                    f"INSERT INTO accounts ({', '.join(_ACCOUNT_COLUMNS)}) VALUES ({placeholders})", values)
        except psycopg.errors.UniqueViolation as exc:
            raise AccountExists([_UNIQUE_FIELDS.get(exc.diag.constraint_name or "", "email")]) from None

    def save(self, account: Account) -> None:
        """Write every mutable column of ``account`` (the service changes the entity, this saves it)."""
        mutable = [name for name in _ACCOUNT_COLUMNS if name not in {"id", "created_at"}]
        values = dataclasses.asdict(account)
        values["roles"] = list(account.roles)
        self.conn.execute(
            f"UPDATE accounts SET {', '.join(f'{n} = %({n})s' for n in mutable)} WHERE id = %(id)s", values)

    def get(self, account_id: UUID, *, for_update: bool = False) -> Account | None:
        return _account(self.conn.execute(f"{_SELECT_ACCOUNT} WHERE id = %s{_lock(for_update)}",
                                          (account_id,)).fetchone())

    def find_by_email(self, email: str, *, for_update: bool = False) -> Account | None:
        return _account(self.conn.execute(f"{_SELECT_ACCOUNT} WHERE lower(email) = %s{_lock(for_update)}",
                                          (email_key(email),)).fetchone())

    def page(self, *, role: str | None, limit: int, offset: int) -> tuple[list[Account], int]:
        where, params = ("WHERE %(role)s = ANY(roles)", {"role": role}) if role else ("", {})
        total = self.conn.execute(f"SELECT count(*) AS n FROM accounts {where}", params).fetchone()["n"]
        rows = self.conn.execute(
            f"{_SELECT_ACCOUNT} {where} ORDER BY created_at, id LIMIT %(limit)s OFFSET %(offset)s",
            {**params, "limit": limit, "offset": offset}).fetchall()
        return [_account(row) for row in rows], total

    def mark_closed(self, account_id: UUID, closed_at: datetime) -> None:
        self.conn.execute("UPDATE accounts SET closed_at = %s WHERE id = %s", (closed_at, account_id))

    def closed_before(self, cutoff: datetime) -> list[tuple[UUID, datetime]]:
        """``(id, closed_at)`` of the accounts closed at or before ``cutoff``, locked; one that another
        process holds is left for the next run."""
        rows = self.conn.execute("SELECT id, closed_at FROM accounts WHERE closed_at <= %s ORDER BY closed_at"
                                 " FOR UPDATE SKIP LOCKED", (cutoff,)).fetchall()
        return [(row["id"], row["closed_at"]) for row in rows]

    def erase(self, account_id: UUID) -> None:
        """The account and everything hanging on it (codes, challenges, sessions, links: cascaded)."""
        self.conn.execute("DELETE FROM accounts WHERE id = %s", (account_id,))


class RecoveryCodes(_Repository):
    def replace(self, account_id: UUID, hashes: Iterable[bytes]) -> None:
        self.conn.execute("DELETE FROM recovery_codes WHERE account_id = %s", (account_id,))
        with self.conn.cursor() as cur:
            cur.executemany("INSERT INTO recovery_codes (account_id, code_hash) VALUES (%s, %s)",
                            [(account_id, code_hash) for code_hash in hashes])

    def use(self, account_id: UUID, code_hash: bytes, now: datetime) -> bool:
        """Spend the code when it is one of the account's unused codes; whether it was."""
        row = self.conn.execute(
            """UPDATE recovery_codes SET used_at = %s
               WHERE account_id = %s AND code_hash = %s AND used_at IS NULL RETURNING 1 AS spent""",
            (now, account_id, code_hash)).fetchone()
        return row is not None

    def delete_all(self, account_id: UUID) -> None:
        self.conn.execute("DELETE FROM recovery_codes WHERE account_id = %s", (account_id,))


class EmailTokens(_Repository):
    """E-mailed links (verification, password reset), stored as hashes."""

    def add(self, *, token_hash: bytes, account_id: UUID, purpose: str, created_at: datetime,
            expires_at: datetime) -> None:
        self.conn.execute(
            "INSERT INTO email_tokens (token_hash, account_id, purpose, created_at, expires_at) "
            "VALUES (%s, %s, %s, %s, %s)", (token_hash, account_id, purpose, created_at, expires_at))

    def usable(self, token_hash: bytes, purpose: str, now: datetime) -> EmailToken | None:
        """The token when it is unused, unexpired and for ``purpose``; else None. Spends nothing."""
        row = self.conn.execute(
            """SELECT account_id, created_at FROM email_tokens
               WHERE token_hash = %(hash)s AND purpose = %(purpose)s AND used_at IS NULL
                 AND expires_at > %(now)s""",
            {"now": now, "hash": token_hash, "purpose": purpose}).fetchone()
        return EmailToken(**row) if row else None

    def take(self, token_hash: bytes, purpose: str, now: datetime) -> EmailToken | None:
        """Spend the token when it is unused, unexpired and for ``purpose``; the token, or None."""
        row = self.conn.execute(
            """UPDATE email_tokens SET used_at = %(now)s
               WHERE token_hash = %(hash)s AND purpose = %(purpose)s AND used_at IS NULL
                 AND expires_at > %(now)s
               RETURNING account_id, created_at""",
            {"now": now, "hash": token_hash, "purpose": purpose}).fetchone()
        return EmailToken(**row) if row else None

    def delete_all(self, account_id: UUID, purpose: str) -> None:
        self.conn.execute("DELETE FROM email_tokens WHERE account_id = %s AND purpose = %s",
                          (account_id, purpose))


class LoginThrottles(_Repository):
    """Failed logins per account and source (the client's address)."""

    def get(self, account_id: UUID, source: str, *, for_update: bool = False) -> Lockout:
        row = self.conn.execute(f"SELECT failed_attempts, locked_until FROM login_throttle "
                                f"WHERE account_id = %s AND source = %s{_lock(for_update)}",
                                (account_id, source)).fetchone()
        return Lockout(row["failed_attempts"], row["locked_until"]) if row else Lockout()

    def save(self, account_id: UUID, source: str, lockout: Lockout, now: datetime) -> None:
        self.conn.execute(
            """INSERT INTO login_throttle (account_id, source, failed_attempts, locked_until, updated_at)
               VALUES (%s, %s, %s, %s, %s)
               ON CONFLICT (account_id, source) DO UPDATE SET failed_attempts = EXCLUDED.failed_attempts,
                   locked_until = EXCLUDED.locked_until, updated_at = EXCLUDED.updated_at""",
            (account_id, source, lockout.failed_attempts, lockout.locked_until, now))

    def delete(self, account_id: UUID, source: str) -> None:
        self.conn.execute("DELETE FROM login_throttle WHERE account_id = %s AND source = %s",
                          (account_id, source))


class Challenges(_Repository):
    """Login challenges (step 1 passed), stored by the hash of their id."""

    def add(self, challenge: Challenge) -> None:
        self.conn.execute(
            """INSERT INTO login_challenges
                   (id_hash, account_id, kind, pending_secret_encrypted, created_at, expires_at)
               VALUES (%s, %s, %s, %s, %s, %s)""",
            (challenge.id_hash, challenge.account_id, str(challenge.kind), challenge.pending_secret_encrypted,
             challenge.created_at, challenge.expires_at))

    def get_for_update(self, id_hash: bytes) -> Challenge | None:
        row = self.conn.execute("SELECT id_hash, account_id, kind, pending_secret_encrypted, created_at, "
                                "expires_at FROM login_challenges WHERE id_hash = %s FOR UPDATE",
                                (id_hash,)).fetchone()
        return Challenge(**{**row, "kind": ChallengeKind(row["kind"])}) if row else None

    def delete_all(self, account_id: UUID) -> None:
        self.conn.execute("DELETE FROM login_challenges WHERE account_id = %s", (account_id,))


class Sessions(_Repository):
    """Login sessions: refresh-token families and their tokens (stored as hashes)."""

    def add_family(self, family_id: UUID, account_id: UUID, created_at: datetime,
                   expires_at: datetime) -> None:
        self.conn.execute("INSERT INTO refresh_families (id, account_id, created_at, expires_at) "
                          "VALUES (%s, %s, %s, %s)", (family_id, account_id, created_at, expires_at))

    def add_token(self, token_hash: bytes, family_id: UUID, now: datetime) -> None:
        self.conn.execute("INSERT INTO refresh_tokens (token_hash, family_id, issued_at) VALUES (%s, %s, %s)",
                          (token_hash, family_id, now))

    def token_for_update(self, token_hash: bytes) -> RefreshToken | None:
        """The token with its family, both rows locked."""
        row = self.conn.execute(
            """SELECT t.token_hash, t.family_id, t.used_at, f.account_id, f.expires_at, f.revoked_at
               FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
               WHERE t.token_hash = %s FOR UPDATE""", (token_hash,)).fetchone()
        return RefreshToken(**row) if row else None

    def mark_used(self, token_hash: bytes, now: datetime) -> None:
        self.conn.execute("UPDATE refresh_tokens SET used_at = %s WHERE token_hash = %s", (now, token_hash))

    def revoke(self, family_id: UUID, now: datetime, reason: str) -> bool:
        """Whether the family was open until now (False: it had been revoked before)."""
        return self.conn.execute("UPDATE refresh_families SET revoked_at = %s, revoked_reason = %s "
                                 "WHERE id = %s AND revoked_at IS NULL RETURNING id",
                                 (now, reason, family_id)).fetchone() is not None

    def revoke_all_of(self, account_id: UUID, now: datetime, reason: str, *,
                      keep: UUID | None = None) -> list[UUID]:
        """The ids of the families that were open until now."""
        rows = self.conn.execute("UPDATE refresh_families SET revoked_at = %s, revoked_reason = %s "
                                 "WHERE account_id = %s AND revoked_at IS NULL AND id IS DISTINCT FROM %s "
                                 "RETURNING id",
                                 (now, reason, account_id, keep)).fetchall()
        return [row["id"] for row in rows]


class Revocations(_Repository):
    """Identity's own revocation read model (``recert_common.revocation``), written in the transaction that
    ends the sessions: identity produces the events and consumes none of them."""

    def end_session(self, *, session_id: UUID, account_id: UUID, ended_at: datetime, reason: str) -> None:
        revocation.end_session(self.conn, session_id=session_id, account_id=account_id, ended_at=ended_at,
                               reason=reason)

    def end_sessions_of(self, *, account_id: UUID, ended_at: datetime, session_ids: Iterable[UUID],
                        kept_session_id: UUID | None, reason: str) -> None:
        revocation.end_sessions_of(self.conn, account_id=account_id, ended_at=ended_at,
                                   session_ids=session_ids, kept_session_id=kept_session_id, reason=reason)

    def disable_account(self, *, account_id: UUID, disabled_at: datetime) -> None:
        revocation.disable_account(self.conn, account_id=account_id, disabled_at=disabled_at)


class SigningKeys(SqlKeyTable):
    def __init__(self, conn: psycopg.Connection):
        super().__init__(conn, "signing_keys", lock_name="recert_identity.signing_keys")


class Housekeeping(_Repository):
    """What nobody can use any more, and the sent events about an erased person."""

    def purge_expired(self, now: datetime) -> dict[str, int]:
        """Remove challenges, refresh-token families, e-mailed links and login counts nobody can use any
        more, and the tokens of expired links from the sent events."""
        conn = self.conn
        challenges = conn.execute("DELETE FROM login_challenges WHERE expires_at <= %s", (now,)).rowcount
        families = conn.execute("DELETE FROM refresh_families WHERE expires_at <= %s", (now,)).rowcount
        links = conn.execute("DELETE FROM email_tokens WHERE expires_at <= %s", (now,)).rowcount
        # The link's token travelled to notifications in the event; once the link no longer works (expired,
        # used or replaced), the sent copy in the outbox is of no use to anyone: it goes (ADR 0018).
        conn.execute(
            """UPDATE outbox SET body = body #- '{data,token}'
               WHERE event_type IN ('identity.email.verification_requested',
                                    'identity.password.reset_requested')
                 AND published_at IS NOT NULL AND body->'data' ? 'token'
                 AND NOT EXISTS (
                     SELECT 1 FROM email_tokens t
                     WHERE t.token_hash = sha256(convert_to(outbox.body->'data'->>'token', 'UTF8'))
                       AND t.used_at IS NULL AND t.expires_at > %s)""", (now,))
        # A source's count older than a day is no threat any more (its lock ended long ago).
        throttles = conn.execute("DELETE FROM login_throttle WHERE updated_at <= %s - interval '1 day' "
                                 "AND (locked_until IS NULL OR locked_until <= %s)", (now, now)).rowcount
        return {"challenges": challenges, "families": families, "email_tokens": links,
                "login_throttles": throttles}

    def forget_sent_events_about(self, account_id: UUID) -> None:
        """What identity sent about the person before (their profile in registered/updated events)."""
        outbox.forget_published_about(self.conn, account_id)


class SqlIdentityUnitOfWork(SqlUnitOfWork):
    producer = "identity"

    def bind(self, conn: psycopg.Connection) -> None:
        self.accounts = Accounts(conn)
        self.recovery_codes = RecoveryCodes(conn)
        self.email_tokens = EmailTokens(conn)
        self.throttles = LoginThrottles(conn)
        self.challenges = Challenges(conn)
        self.sessions = Sessions(conn)
        self.revocations = Revocations(conn)
        self.signing_keys = SigningKeys(conn)
        self.housekeeping = Housekeeping(conn)
