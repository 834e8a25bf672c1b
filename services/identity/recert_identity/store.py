"""SQL of the identity database (psycopg 3, dict rows). Every function runs in the caller's transaction."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from recert_identity.domain import Account, Lockout, email_key

_ACCOUNT_COLUMNS = tuple(field.name for field in dataclasses.fields(Account))
_SELECT_ACCOUNT = f"SELECT {', '.join(_ACCOUNT_COLUMNS)} FROM accounts"
_UNIQUE_FIELDS = {"accounts_email_key": "email"}


class DuplicateAccount(Exception):
    def __init__(self, fields: Iterable[str]):
        self.fields = tuple(fields)
        super().__init__(", ".join(self.fields))


def _account(row: dict[str, Any] | None) -> Account | None:
    if row is None:
        return None
    return Account(**{**row, "roles": tuple(row["roles"])})


def _lock(for_update: bool) -> str:
    return " FOR UPDATE" if for_update else ""


# --- accounts --------------------------------------------------------------------------------------------


def email_taken(conn: psycopg.Connection, email: str) -> bool:
    return conn.execute("SELECT EXISTS (SELECT 1 FROM accounts WHERE lower(email) = %s) AS taken",
                        (email_key(email),)).fetchone()["taken"]


def verified_holders_of_number(conn: psycopg.Connection, membership_number: str) -> list[Account]:
    """The verified accounts that give ``membership_number`` (a number is not unique: ADR 0018)."""
    rows = conn.execute(f"{_SELECT_ACCOUNT} WHERE membership_number = %s AND email_verified_at IS NOT NULL "
                        "ORDER BY created_at", (membership_number,)).fetchall()
    return [_account(row) for row in rows]


def insert_account(conn: psycopg.Connection, account: Account) -> None:
    """Raises ``DuplicateAccount`` when the e-mail address is taken (also by a concurrent insert)."""
    values = dataclasses.asdict(account)
    values["roles"] = list(account.roles)
    placeholders = ", ".join(f"%({name})s" for name in _ACCOUNT_COLUMNS)
    try:
        with conn.transaction():  # a savepoint, so the caller's transaction survives the violation
            conn.execute(f"INSERT INTO accounts ({', '.join(_ACCOUNT_COLUMNS)}) VALUES ({placeholders})",
                         values)
    except psycopg.errors.UniqueViolation as exc:
        raise DuplicateAccount([_UNIQUE_FIELDS.get(exc.diag.constraint_name or "", "email")]) from None


def update_account(conn: psycopg.Connection, account: Account) -> None:
    """Write every mutable column of ``account`` (the service changes the entity, this saves it)."""
    mutable = [name for name in _ACCOUNT_COLUMNS if name not in {"id", "created_at"}]
    values = dataclasses.asdict(account)
    values["roles"] = list(account.roles)
    conn.execute(f"UPDATE accounts SET {', '.join(f'{n} = %({n})s' for n in mutable)} WHERE id = %(id)s",
                 values)


def get_account(conn: psycopg.Connection, account_id: UUID, *, for_update: bool = False) -> Account | None:
    return _account(conn.execute(f"{_SELECT_ACCOUNT} WHERE id = %s{_lock(for_update)}",
                                 (account_id,)).fetchone())


def find_account_by_email(conn: psycopg.Connection, email: str, *,
                          for_update: bool = False) -> Account | None:
    return _account(conn.execute(f"{_SELECT_ACCOUNT} WHERE lower(email) = %s{_lock(for_update)}",
                                 (email_key(email),)).fetchone())


def list_accounts(conn: psycopg.Connection, *, role: str | None, limit: int, offset: int
                  ) -> tuple[list[Account], int]:
    where, params = ("WHERE %(role)s = ANY(roles)", {"role": role}) if role else ("", {})
    total = conn.execute(f"SELECT count(*) AS n FROM accounts {where}", params).fetchone()["n"]
    rows = conn.execute(
        f"{_SELECT_ACCOUNT} {where} ORDER BY created_at, id LIMIT %(limit)s OFFSET %(offset)s",
        {**params, "limit": limit, "offset": offset}).fetchall()
    return [_account(row) for row in rows], total


# --- recovery codes --------------------------------------------------------------------------------------


def replace_recovery_codes(conn: psycopg.Connection, account_id: UUID, hashes: Iterable[bytes]) -> None:
    conn.execute("DELETE FROM recovery_codes WHERE account_id = %s", (account_id,))
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO recovery_codes (account_id, code_hash) VALUES (%s, %s)",
                        [(account_id, code_hash) for code_hash in hashes])


def use_recovery_code(conn: psycopg.Connection, account_id: UUID, code_hash: bytes, now: datetime) -> bool:
    """Spend the code when it is one of the account's unused codes; whether it was."""
    row = conn.execute(
        """UPDATE recovery_codes SET used_at = %s
           WHERE account_id = %s AND code_hash = %s AND used_at IS NULL RETURNING 1 AS spent""",
        (now, account_id, code_hash)).fetchone()
    return row is not None


def delete_recovery_codes(conn: psycopg.Connection, account_id: UUID) -> None:
    conn.execute("DELETE FROM recovery_codes WHERE account_id = %s", (account_id,))


# --- e-mailed links (verification, password reset) --------------------------------------------------------


def insert_email_token(conn: psycopg.Connection, *, token_hash: bytes, account_id: UUID, purpose: str,
                       created_at: datetime, expires_at: datetime) -> None:
    conn.execute("INSERT INTO email_tokens (token_hash, account_id, purpose, created_at, expires_at) "
                 "VALUES (%s, %s, %s, %s, %s)", (token_hash, account_id, purpose, created_at, expires_at))


def get_email_token(conn: psycopg.Connection, token_hash: bytes, purpose: str,
                    now: datetime) -> dict[str, Any] | None:
    """The token's row when it is unused, unexpired and for ``purpose``; else None. Spends nothing."""
    return conn.execute(
        """SELECT account_id, created_at FROM email_tokens
           WHERE token_hash = %(hash)s AND purpose = %(purpose)s AND used_at IS NULL
             AND expires_at > %(now)s""",
        {"now": now, "hash": token_hash, "purpose": purpose}).fetchone()


def take_email_token(conn: psycopg.Connection, token_hash: bytes, purpose: str,
                     now: datetime) -> dict[str, Any] | None:
    """Spend the token when it is unused, unexpired and for ``purpose``; its row, or None."""
    return conn.execute(
        """UPDATE email_tokens SET used_at = %(now)s
           WHERE token_hash = %(hash)s AND purpose = %(purpose)s AND used_at IS NULL AND expires_at > %(now)s
           RETURNING account_id, created_at""",
        {"now": now, "hash": token_hash, "purpose": purpose}).fetchone()


def delete_email_tokens(conn: psycopg.Connection, account_id: UUID, purpose: str) -> None:
    conn.execute("DELETE FROM email_tokens WHERE account_id = %s AND purpose = %s", (account_id, purpose))


# --- failed logins per account and source ---------------------------------------------------------------


def login_throttle(conn: psycopg.Connection, account_id: UUID, source: str, *,
                   for_update: bool = False) -> Lockout:
    row = conn.execute(f"SELECT failed_attempts, locked_until FROM login_throttle "
                       f"WHERE account_id = %s AND source = %s{_lock(for_update)}",
                       (account_id, source)).fetchone()
    return Lockout(row["failed_attempts"], row["locked_until"]) if row else Lockout()


def save_login_throttle(conn: psycopg.Connection, account_id: UUID, source: str, lockout: Lockout,
                        now: datetime) -> None:
    conn.execute(
        """INSERT INTO login_throttle (account_id, source, failed_attempts, locked_until, updated_at)
           VALUES (%s, %s, %s, %s, %s)
           ON CONFLICT (account_id, source) DO UPDATE SET failed_attempts = EXCLUDED.failed_attempts,
               locked_until = EXCLUDED.locked_until, updated_at = EXCLUDED.updated_at""",
        (account_id, source, lockout.failed_attempts, lockout.locked_until, now))


def delete_login_throttle(conn: psycopg.Connection, account_id: UUID, source: str) -> None:
    conn.execute("DELETE FROM login_throttle WHERE account_id = %s AND source = %s", (account_id, source))


# --- login challenges ------------------------------------------------------------------------------------


def insert_challenge(conn: psycopg.Connection, *, id_hash: bytes, account_id: UUID, kind: str,
                     pending_secret_encrypted: str | None, created_at: datetime,
                     expires_at: datetime) -> None:
    conn.execute(
        """INSERT INTO login_challenges
               (id_hash, account_id, kind, pending_secret_encrypted, created_at, expires_at)
           VALUES (%s, %s, %s, %s, %s, %s)""",
        (id_hash, account_id, kind, pending_secret_encrypted, created_at, expires_at))


def get_challenge(conn: psycopg.Connection, id_hash: bytes) -> dict[str, Any] | None:
    return conn.execute("SELECT * FROM login_challenges WHERE id_hash = %s FOR UPDATE", (id_hash,)).fetchone()


def delete_challenges(conn: psycopg.Connection, account_id: UUID) -> None:
    conn.execute("DELETE FROM login_challenges WHERE account_id = %s", (account_id,))


# --- refresh tokens --------------------------------------------------------------------------------------


def insert_family(conn: psycopg.Connection, family_id: UUID, account_id: UUID, created_at: datetime,
                  expires_at: datetime) -> None:
    conn.execute("INSERT INTO refresh_families (id, account_id, created_at, expires_at) "
                 "VALUES (%s, %s, %s, %s)", (family_id, account_id, created_at, expires_at))


def insert_refresh_token(conn: psycopg.Connection, token_hash: bytes, family_id: UUID, now: datetime) -> None:
    conn.execute("INSERT INTO refresh_tokens (token_hash, family_id, issued_at) VALUES (%s, %s, %s)",
                 (token_hash, family_id, now))


def get_refresh_token(conn: psycopg.Connection, token_hash: bytes) -> dict[str, Any] | None:
    """The token with its family (``account_id``, ``expires_at``, ``revoked_at``), both rows locked."""
    return conn.execute(
        """SELECT t.token_hash, t.family_id, t.used_at, f.account_id, f.expires_at, f.revoked_at
           FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
           WHERE t.token_hash = %s FOR UPDATE""", (token_hash,)).fetchone()


def mark_refresh_token_used(conn: psycopg.Connection, token_hash: bytes, now: datetime) -> None:
    conn.execute("UPDATE refresh_tokens SET used_at = %s WHERE token_hash = %s", (now, token_hash))


def revoke_family(conn: psycopg.Connection, family_id: UUID, now: datetime, reason: str) -> bool:
    """Whether the family was open until now (False: it had been revoked before)."""
    return conn.execute("UPDATE refresh_families SET revoked_at = %s, revoked_reason = %s "
                        "WHERE id = %s AND revoked_at IS NULL RETURNING id", (now, reason, family_id)
                        ).fetchone() is not None


def revoke_families_of(conn: psycopg.Connection, account_id: UUID, now: datetime, reason: str, *,
                       keep: UUID | None = None) -> list[UUID]:
    """The ids of the families that were open until now."""
    rows = conn.execute("UPDATE refresh_families SET revoked_at = %s, revoked_reason = %s "
                        "WHERE account_id = %s AND revoked_at IS NULL AND id IS DISTINCT FROM %s "
                        "RETURNING id",
                        (now, reason, account_id, keep)).fetchall()
    return [row["id"] for row in rows]


# --- signing keys ----------------------------------------------------------------------------------------


def lock_signing_keys(conn: psycopg.Connection) -> None:
    """Serialise key creation across processes for the rest of the transaction."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('recert_identity.signing_keys'))")


def signing_keys(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Every key, oldest activation first."""
    return conn.execute("SELECT * FROM signing_keys ORDER BY activates_at, created_at").fetchall()


def insert_signing_key(conn: psycopg.Connection, *, kid: str, public_jwk: dict[str, Any],
                       private_jwk_encrypted: str, created_at: datetime, activates_at: datetime) -> None:
    conn.execute(
        """INSERT INTO signing_keys (kid, public_jwk, private_jwk_encrypted, created_at, activates_at)
           VALUES (%s, %s, %s, %s, %s)""",
        (kid, Jsonb(public_jwk), private_jwk_encrypted, created_at, activates_at))


def drop_private_keys(conn: psycopg.Connection, kids: Iterable[str]) -> None:
    conn.execute("UPDATE signing_keys SET private_jwk_encrypted = NULL WHERE kid = ANY(%s)", (list(kids),))


# --- housekeeping ----------------------------------------------------------------------------------------


def purge_expired(conn: psycopg.Connection, now: datetime) -> dict[str, int]:
    """Remove challenges, refresh-token families, e-mailed links and login counts nobody can use any more,
    and the tokens of expired links from the sent events."""
    challenges = conn.execute("DELETE FROM login_challenges WHERE expires_at <= %s", (now,)).rowcount
    families = conn.execute("DELETE FROM refresh_families WHERE expires_at <= %s", (now,)).rowcount
    links = conn.execute("DELETE FROM email_tokens WHERE expires_at <= %s", (now,)).rowcount
    # The link's token travelled to notifications in the event; once the link no longer works (expired,
    # used or replaced), the sent copy in the outbox is of no use to anyone: it goes (ADR 0018).
    conn.execute(
        """UPDATE outbox SET body = body #- '{data,token}'
           WHERE event_type IN ('identity.email.verification_requested', 'identity.password.reset_requested')
             AND published_at IS NOT NULL AND body->'data' ? 'token'
             AND NOT EXISTS (SELECT 1 FROM email_tokens t
                             WHERE t.token_hash = sha256(convert_to(outbox.body->'data'->>'token', 'UTF8'))
                               AND t.used_at IS NULL AND t.expires_at > %s)""", (now,))
    # A source's count older than a day is no threat any more (its lock ended long ago).
    throttles = conn.execute("DELETE FROM login_throttle WHERE updated_at <= %s - interval '1 day' "
                             "AND (locked_until IS NULL OR locked_until <= %s)", (now, now)).rowcount
    return {"challenges": challenges, "families": families, "email_tokens": links,
            "login_throttles": throttles}
