"""The stored Ed25519 keys (recert_common.keys): a private half opens only for its own purpose and kid."""
from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import jwt
import pytest

from recert_common.crypto import DecryptionError, SecretBox, new_key
from recert_common.keys import make_key, private_jwk

NOW = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
def box() -> SecretBox:
    return SecretBox.from_setting(new_key())


def test_a_made_key_signs_what_its_public_half_verifies(box):
    key = make_key(box, "issuer-key", "rj-1", now=NOW, activates_at=NOW)
    assert key.kid == "rj-1" and key.public_jwk["kid"] == "rj-1" and "d" not in key.public_jwk
    assert key.private_jwk_encrypted.startswith("v1.") and '"d"' not in key.private_jwk_encrypted
    token = jwt.encode({"sub": "x"}, jwt.PyJWK(private_jwk(box, "issuer-key", key)).key, algorithm="EdDSA",
                       headers={"kid": key.kid})
    assert jwt.decode(token, jwt.PyJWK(key.public_jwk).key, algorithms=["EdDSA"]) == {"sub": "x"}


def test_a_private_half_opens_only_for_its_purpose_and_its_kid(box):
    key = make_key(box, "signing-key", "k1", now=NOW, activates_at=NOW)
    other = make_key(box, "signing-key", "k2", now=NOW, activates_at=NOW)
    with pytest.raises(DecryptionError):
        private_jwk(box, "issuer-key", key)  # another kind of secret
    copied = dataclasses.replace(other, private_jwk_encrypted=key.private_jwk_encrypted)
    with pytest.raises(DecryptionError):  # copied into another key's row
        private_jwk(box, "signing-key", copied)
    with pytest.raises(DecryptionError):
        private_jwk(SecretBox.from_setting(new_key()), "signing-key", key)  # another service's secrets key


def test_a_retired_key_cannot_be_opened(box):
    key = dataclasses.replace(make_key(box, "signing-key", "k1", now=NOW, activates_at=NOW),
                              private_jwk_encrypted=None)
    with pytest.raises(ValueError, match="no longer has its private half"):
        private_jwk(box, "signing-key", key)
