"""Encryption at rest: AES-GCM bound to a context, with several keys for rotation."""
from __future__ import annotations

import base64

import pytest

from recert_identity.crypto import DecryptionError, SecretBox, new_key
from recert_identity.settings import IdentitySettings


def box(*keys: str) -> SecretBox:
    return SecretBox.from_setting(",".join(keys))


def test_a_value_decrypts_in_its_own_context_only():
    sealed = box(key := new_key()).encrypt(b"JBSWY3DPEHPK3PXP", context="totp:a")
    assert sealed.startswith("v1.") and "JBSWY3DP" not in sealed
    assert box(key).decrypt(sealed, context="totp:a") == b"JBSWY3DPEHPK3PXP"
    with pytest.raises(DecryptionError):
        box(key).decrypt(sealed, context="totp:b")  # copied into another account's row


def test_each_encryption_uses_a_fresh_nonce():
    secrets_box = box(new_key())
    assert secrets_box.encrypt(b"same", context="c") != secrets_box.encrypt(b"same", context="c")


def test_an_altered_ciphertext_or_another_key_is_refused():
    key = new_key()
    sealed = box(key).encrypt(b"secret", context="c")
    version, key_id, body = sealed.split(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    for altered in (f"{version}.{key_id}.{flipped}", f"v2.{key_id}.{body}", "garbage"):
        with pytest.raises(DecryptionError):
            box(key).decrypt(altered, context="c")
    with pytest.raises(DecryptionError):
        box(new_key()).decrypt(sealed, context="c")


def test_after_rotation_the_new_key_encrypts_and_the_old_still_decrypts():
    old, new = new_key(), new_key()
    sealed_before = box(old).encrypt(b"before", context="c")
    rotated = box(new, old)
    assert rotated.decrypt(sealed_before, context="c") == b"before"
    sealed_after = rotated.encrypt(b"after", context="c")
    assert box(new).decrypt(sealed_after, context="c") == b"after"
    with pytest.raises(DecryptionError):
        box(old).decrypt(sealed_after, context="c")


SIXTEEN_BYTES = base64.urlsafe_b64encode(b"16 bytes only...").decode()


@pytest.mark.parametrize("setting", ["", "not base64!", SIXTEEN_BYTES])
def test_unusable_keys_are_refused(setting):
    with pytest.raises(ValueError):
        SecretBox.from_setting(setting)


def test_settings_require_a_secrets_key():
    with pytest.raises(ValueError, match="RECERT_IDENTITY_SECRETS_KEY"):
        IdentitySettings.from_env("identity", env={})
    settings = IdentitySettings.from_env("identity", env={"RECERT_IDENTITY_SECRETS_KEY": new_key(),
                                                          "RECERT_IDENTITY_LOCK_SECONDS": "30"})
    assert (settings.lock_seconds, settings.lock_threshold, settings.access_token_ttl_seconds) == (30, 5, 900)
    assert settings.totp_issuer == "Register Jobcoach"
