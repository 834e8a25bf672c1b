"""Ed25519 keys kept in a service's own database, their private halves encrypted at rest (``crypto``).

identity's access-token signing keys and assessment's credential issuer keys are the same record in a table
of the same shape, made, opened and retired the same way; what differs is each service's rule for which key
signs and which keys are published (identity publishes a key ahead of its use and retires it, ADR 0004;
assessment switches at once and publishes every key for ever, ADR 0030). That rule stays in the service;
this module holds the record, the table and the making and opening of a key.

A private half is encrypted with the service's ``SecretBox`` bound to ``<purpose>:<kid>``, so a ciphertext
copied into another key's row, or into another kind of secret, does not decrypt.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from recert_common.auth import generate_ed25519_jwk
from recert_common.crypto import SecretBox


@dataclass(frozen=True)
class StoredKey:
    kid: str
    public_jwk: dict[str, Any]
    private_jwk_encrypted: str | None  # None once a newer key signs: nothing may sign with it again
    created_at: datetime
    activates_at: datetime


class KeyStore(Protocol):
    """A unit of work's repository of keys (``SqlKeyTable`` or a test's fake)."""

    def lock(self) -> None: ...
    def all(self) -> list[StoredKey]: ...
    def add(self, key: StoredKey) -> None: ...
    def drop_private_halves(self, kids: Sequence[str]) -> None: ...
    def remove(self, kids: Sequence[str]) -> None: ...


def make_key(box: SecretBox, purpose: str, kid: str, *, now: datetime, activates_at: datetime) -> StoredKey:
    """A new key pair named ``kid``, its private half encrypted for ``purpose``."""
    private, public = generate_ed25519_jwk(kid)
    encrypted = box.encrypt(json.dumps(private).encode(), context=f"{purpose}:{kid}")
    return StoredKey(kid=kid, public_jwk=public, private_jwk_encrypted=encrypted, created_at=now,
                     activates_at=activates_at)


def private_jwk(box: SecretBox, purpose: str, key: StoredKey) -> dict[str, Any]:
    """The private JWK of ``key``; ``ValueError`` when it was retired."""
    if key.private_jwk_encrypted is None:
        raise ValueError(f"key {key.kid} no longer has its private half")
    return json.loads(box.decrypt(key.private_jwk_encrypted, context=f"{purpose}:{key.kid}"))


class SqlKeyTable:
    """A table of keys (``kid, public_jwk, private_jwk_encrypted, created_at, activates_at``) in the
    transaction of ``conn``."""

    def __init__(self, conn: psycopg.Connection, table: str, *, lock_name: str):
        self.conn = conn
        self._table = sql.Identifier(table)
        self._lock_name = lock_name

    def lock(self) -> None:
        """Serialise key creation across processes for the rest of the transaction."""
        self.conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self._lock_name,))

    def all(self) -> list[StoredKey]:
        """Every key, oldest activation first."""
        rows = self.conn.execute(sql.SQL(
            "SELECT kid, public_jwk, private_jwk_encrypted, created_at, activates_at FROM {} "
            "ORDER BY activates_at, created_at").format(self._table)).fetchall()
        return [StoredKey(**row) for row in rows]

    def add(self, key: StoredKey) -> None:
        self.conn.execute(sql.SQL(
            "INSERT INTO {} (kid, public_jwk, private_jwk_encrypted, created_at, activates_at) "
            "VALUES (%s, %s, %s, %s, %s)").format(self._table),
            (key.kid, Jsonb(key.public_jwk), key.private_jwk_encrypted, key.created_at, key.activates_at))

    def drop_private_halves(self, kids: Sequence[str]) -> None:
        self.conn.execute(sql.SQL("UPDATE {} SET private_jwk_encrypted = NULL WHERE kid = ANY(%s)")
                          .format(self._table), (list(kids),))

    def remove(self, kids: Sequence[str]) -> None:
        """Keys withdrawn for good: no longer published, so nothing they signed verifies."""
        self.conn.execute(sql.SQL("DELETE FROM {} WHERE kid = ANY(%s)").format(self._table), (list(kids),))
