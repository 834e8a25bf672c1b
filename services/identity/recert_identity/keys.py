"""The Ed25519 keys that sign access tokens: stored in the database, private halves encrypted.

A key is *pending* from its creation until ``activates_at``, *current* (it signs) until a newer key
activates, then *retired*. Following ADR 0004, a rotated key is published ``publish_ahead`` before it signs
(verifiers cache the key set for 5 minutes), and a retired key stays published for one access-token lifetime
plus those 5 minutes, so every token it signed keeps verifying until it expires. A retired key's private
half is dropped: nothing may sign with it again.
"""
from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
import psycopg

from recert_common.auth import ALGORITHM, UnknownKey, generate_ed25519_jwk
from recert_common.db import Database
from recert_identity import store
from recert_identity.crypto import SecretBox

VERIFIER_CACHE = timedelta(minutes=5)  # how long services keep a fetched key set (recert_common.auth)


@dataclass(frozen=True)
class KeyTimeline:
    """Which keys sign and which are published at one instant (pure: computed from the stored rows)."""

    current: dict[str, Any] | None
    published: list[dict[str, Any]]
    retired: list[dict[str, Any]]


def timeline(rows: Sequence[dict[str, Any]], now: datetime, access_token_ttl: timedelta) -> KeyTimeline:
    """``rows`` ordered by activation. A key retires when the next key activates."""
    active = [row for row in rows if row["activates_at"] <= now]
    pending = [row for row in rows if row["activates_at"] > now]
    current = active[-1] if active else None
    published, retired = [], []
    for row, successor in zip(active, active[1:], strict=False):
        retired.append(row)
        if now < successor["activates_at"] + access_token_ttl + VERIFIER_CACHE:
            published.append(row)
    if current is not None:
        published.append(current)
    return KeyTimeline(current=current, published=published + pending, retired=retired)


def _private_context(kid: str) -> str:
    return f"signing-key:{kid}"


class KeyRing:
    def __init__(self, box: SecretBox, *, access_token_ttl: timedelta, publish_ahead: timedelta):
        self.box = box
        self.access_token_ttl = access_token_ttl
        self.publish_ahead = publish_ahead

    def _timeline(self, conn: psycopg.Connection, now: datetime) -> KeyTimeline:
        return timeline(store.signing_keys(conn), now, self.access_token_ttl)

    def _create(self, conn: psycopg.Connection, now: datetime, activates_at: datetime) -> str:
        kid = f"{now:%Y%m%d}-{secrets.token_hex(4)}"
        private, public = generate_ed25519_jwk(kid)
        encrypted = self.box.encrypt(json.dumps(private).encode(), context=_private_context(kid))
        store.insert_signing_key(conn, kid=kid, public_jwk=public, private_jwk_encrypted=encrypted,
                                 created_at=now, activates_at=activates_at)
        return kid

    def signing_key(self, conn: psycopg.Connection, now: datetime) -> tuple[str, dict[str, Any]]:
        """``(kid, private JWK)`` of the current key; the very first key is made on first use."""
        current = self._timeline(conn, now).current
        if current is None:
            store.lock_signing_keys(conn)
            current = self._timeline(conn, now).current
            if current is None:
                self._create(conn, now, activates_at=now)
                current = self._timeline(conn, now).current
        private = self.box.decrypt(current["private_jwk_encrypted"], context=_private_context(current["kid"]))
        return current["kid"], json.loads(private)

    def rotate(self, conn: psycopg.Connection, now: datetime, *, immediately: bool = False) -> dict[str, Any]:
        """Make the next key: it signs after ``publish_ahead`` (or at once, for a compromised key)."""
        store.lock_signing_keys(conn)
        activates_at = now if immediately else now + self.publish_ahead
        kid = self._create(conn, now, activates_at=activates_at)
        self.drop_retired_private_keys(conn, now)
        return {"kid": kid, "activates_at": activates_at.isoformat()}

    def jwks(self, conn: psycopg.Connection, now: datetime) -> dict[str, Any]:
        return {"keys": [dict(row["public_jwk"]) for row in self._timeline(conn, now).published]}

    def published_key(self, conn: psycopg.Connection, kid: str, now: datetime) -> dict[str, Any] | None:
        return next((dict(row["public_jwk"]) for row in self._timeline(conn, now).published
                     if row["kid"] == kid), None)

    def drop_retired_private_keys(self, conn: psycopg.Connection, now: datetime) -> None:
        retired = [row["kid"] for row in self._timeline(conn, now).retired if row["private_jwk_encrypted"]]
        if retired:
            store.drop_private_keys(conn, retired)


class DatabaseKeySource:
    """A ``recert_common.auth.KeySource`` for identity's own endpoints: the keys it publishes, read from its
    database (identity fetching its own JWKS over HTTP would be a needless loop)."""

    def __init__(self, db: Database, ring: KeyRing, clock: Callable[[], datetime]):
        self.db = db
        self.ring = ring
        self.clock = clock

    def get_key(self, kid: str) -> jwt.PyJWK:
        with self.db.transaction() as conn:
            public = self.ring.published_key(conn, kid, self.clock())
        if public is None:
            raise UnknownKey(f"unknown kid {kid!r}")
        return jwt.PyJWK(public, algorithm=ALGORITHM)
