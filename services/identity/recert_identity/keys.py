"""The Ed25519 keys that sign access tokens: stored in the database, private halves encrypted.

A key is *pending* from its creation until ``activates_at``, *current* (it signs) until a newer key
activates, then *retired*. Following ADR 0004, a rotated key is published ``publish_ahead`` before it signs
(verifiers cache the key set for 5 minutes), and a retired key stays published for one access-token lifetime
plus those 5 minutes, so every token it signed keeps verifying until it expires. A retired key's private
half is dropped: nothing may sign with it again.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from recert_common.auth import ALGORITHM, UnknownKey
from recert_common.keys import KeyStore, make_key, private_jwk
from recert_common.uow import UnitOfWork
from recert_identity.crypto import SecretBox
from recert_identity.domain import SigningKey

VERIFIER_CACHE = timedelta(minutes=5)  # how long services keep a fetched key set (recert_common.auth)


@dataclass(frozen=True)
class KeyTimeline:
    """Which keys sign and which are published at one instant (pure: computed from the stored keys)."""

    current: SigningKey | None
    published: list[SigningKey]
    retired: list[SigningKey]


def timeline(keys: Sequence[SigningKey], now: datetime, access_token_ttl: timedelta) -> KeyTimeline:
    """``keys`` ordered by activation. A key retires when the next key activates."""
    active = [key for key in keys if key.activates_at <= now]
    pending = [key for key in keys if key.activates_at > now]
    current = active[-1] if active else None
    published, retired = [], []
    for key, successor in zip(active, active[1:], strict=False):
        retired.append(key)
        if now < successor.activates_at + access_token_ttl + VERIFIER_CACHE:
            published.append(key)
    if current is not None:
        published.append(current)
    return KeyTimeline(current=current, published=published + pending, retired=retired)


PURPOSE = "signing-key"  # what the private halves are encrypted for (``recert_common.keys``)


class KeyRing:
    """The keys' life cycle; each method works in the caller's unit of work, on its ``signing_keys``."""

    def __init__(self, box: SecretBox, *, access_token_ttl: timedelta, publish_ahead: timedelta):
        self.box = box
        self.access_token_ttl = access_token_ttl
        self.publish_ahead = publish_ahead

    def _timeline(self, keys: KeyStore, now: datetime) -> KeyTimeline:
        return timeline(keys.all(), now, self.access_token_ttl)

    def _create(self, keys: KeyStore, now: datetime, activates_at: datetime) -> str:
        kid = f"{now:%Y%m%d}-{secrets.token_hex(4)}"
        keys.add(make_key(self.box, PURPOSE, kid, now=now, activates_at=activates_at))
        return kid

    def signing_key(self, keys: KeyStore, now: datetime) -> tuple[str, dict[str, Any]]:
        """``(kid, private JWK)`` of the current key; the very first key is made on first use."""
        current = self._timeline(keys, now).current
        if current is None:
            keys.lock()
            current = self._timeline(keys, now).current
            if current is None:
                self._create(keys, now, activates_at=now)
                current = self._timeline(keys, now).current
        return current.kid, private_jwk(self.box, PURPOSE, current)

    def rotate(self, keys: KeyStore, now: datetime, *, immediately: bool = False) -> dict[str, Any]:
        """Make the next key: it signs after ``publish_ahead``. ``immediately`` is for a leaked key: the new
        key signs at once and every key that has signed until now is withdrawn, so that tokens made with a
        leaked key stop verifying (here at once, in services when their cached key set expires) instead of
        for another token lifetime. Sessions go on: their next refresh gets a token from the new key."""
        keys.lock()
        withdrawn = [key.kid for key in keys.all() if key.activates_at <= now] if immediately else []
        if withdrawn:
            keys.remove(withdrawn)
        activates_at = now if immediately else now + self.publish_ahead
        kid = self._create(keys, now, activates_at=activates_at)
        self.drop_retired_private_keys(keys, now)
        return {"kid": kid, "activates_at": activates_at.isoformat(), "withdrawn": withdrawn}

    def jwks(self, keys: KeyStore, now: datetime) -> dict[str, Any]:
        return {"keys": [dict(key.public_jwk) for key in self._timeline(keys, now).published]}

    def published_key(self, keys: KeyStore, kid: str, now: datetime) -> dict[str, Any] | None:
        return next((dict(key.public_jwk) for key in self._timeline(keys, now).published if key.kid == kid),
                    None)

    def drop_retired_private_keys(self, keys: KeyStore, now: datetime) -> None:
        retired = [key.kid for key in self._timeline(keys, now).retired if key.private_jwk_encrypted]
        if retired:
            keys.drop_private_halves(retired)


class OwnKeySource:
    """A ``recert_common.auth.KeySource`` for identity's own endpoints: the keys it publishes, read from its
    database (identity fetching its own JWKS over HTTP would be a needless loop)."""

    def __init__(self, uow: Callable[[], UnitOfWork], ring: KeyRing, clock: Callable[[], datetime]):
        self.uow = uow
        self.ring = ring
        self.clock = clock

    def get_key(self, kid: str) -> jwt.PyJWK:
        with self.uow() as uow:
            public = self.ring.published_key(uow.signing_keys, kid, self.clock())
        if public is None:
            raise UnknownKey(f"unknown kid {kid!r}")
        return jwt.PyJWK(public, algorithm=ALGORITHM)
