"""Encryption at rest of secrets (AES-256-GCM): identity's TOTP secrets and signing keys, assessment's
credential issuer keys.

A ciphertext is ``v1.<key id>.<base64url(nonce + ciphertext)>``. The key id (a hash prefix of the key) lets
several keys be configured at once: the first encrypts, every one decrypts, so the secrets key can be
rotated without a flag day. Each value is bound to a ``context`` (``totp:<account id>``) as associated data:
a ciphertext copied into another row does not decrypt there. Each service has its own secrets key and its own
``label`` (hashed into the key id).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = "v1"
_NONCE_BYTES = 12
_KEY_BYTES = 32


class DecryptionError(ValueError):
    """The value was not made by any configured key for this context, or was altered."""


IDENTITY_LABEL = "recert-identity-secrets-key"


def _key_id(key: bytes, label: str = IDENTITY_LABEL) -> str:
    return hashlib.sha256(label.encode() + b":" + key).hexdigest()[:8]


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key() -> str:
    """A fresh secrets key as the setting expects it."""
    return base64.urlsafe_b64encode(os.urandom(_KEY_BYTES)).decode("ascii")


class SecretBox:
    def __init__(self, keys: Sequence[bytes], *, label: str = IDENTITY_LABEL):
        if not keys:
            raise ValueError("at least one secrets key is needed")
        for key in keys:
            if len(key) != _KEY_BYTES:
                raise ValueError(f"a secrets key is {_KEY_BYTES} bytes, not {len(key)}")
        self._encrypting = keys[0]
        self._label = label
        self._keys = {_key_id(key, label): AESGCM(key) for key in keys}

    @classmethod
    def from_setting(cls, value: str, *, label: str = IDENTITY_LABEL) -> SecretBox:
        """Keys from a setting such as ``RECERT_IDENTITY_SECRETS_KEY``: base64url, comma-separated, the
        newest first."""
        keys = []
        for part in (p.strip() for p in value.split(",")):
            if not part:
                continue
            try:
                keys.append(_b64decode(part))
            except (binascii.Error, ValueError) as exc:
                raise ValueError(f"a secrets key is not base64url: {exc}") from None
        return cls(keys, label=label)

    def encrypt(self, plaintext: bytes, *, context: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(self._encrypting).encrypt(nonce, plaintext, context.encode())
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
        return f"{_VERSION}.{_key_id(self._encrypting, self._label)}.{body}"

    def decrypt(self, token: str, *, context: str) -> bytes:
        version, _, rest = token.partition(".")
        key_id, _, body = rest.partition(".")
        aead = self._keys.get(key_id)
        if version != _VERSION or aead is None:
            raise DecryptionError("not encrypted with a configured key")
        try:
            raw = _b64decode(body)
            return aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode())
        except (InvalidTag, binascii.Error, ValueError):
            raise DecryptionError("ciphertext or context does not match") from None
