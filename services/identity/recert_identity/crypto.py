"""Encryption at rest of TOTP secrets and signing keys: ``recert_common.crypto`` (shared with assessment,
which keeps its credential issuer keys the same way)."""
from recert_common.crypto import DecryptionError, SecretBox, new_key

__all__ = ["DecryptionError", "SecretBox", "new_key"]
