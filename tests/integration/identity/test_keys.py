"""Signing-key rotation (in a database of its own: rotation changes what every other test would sign with)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt


def kid_of(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def published(client) -> set[str]:
    return {key["kid"] for key in client.get("/v1/.well-known/jwks.json").get_json()["keys"]}


def test_a_rotated_key_signs_at_once_and_the_old_one_verifies_until_its_tokens_expire(client, db):
    person = client.enrolled()
    old_token = person.tokens["access_token"]
    old = kid_of(old_token)
    assert published(client) == {old}

    new = client.service.rotate_keys(immediately=True)["kid"]

    assert published(client) == {old, new}
    assert kid_of(client.log_in(person, 0)["access_token"]) == new
    assert client.get("/v1/accounts/me", token=old_token).status_code == 200
    # The old key can never sign again: its private half is gone.
    row = db.execute("SELECT private_jwk_encrypted FROM signing_keys WHERE kid = %s", (old,)).fetchone()
    assert row["private_jwk_encrypted"] is None
    # Listed for one token lifetime plus the verifiers' 5 minutes of caching, then no more.
    now = datetime.now(UTC)
    with client.service.uow() as uow:
        ring, keys = client.service.keys, uow.signing_keys
        assert ring.published_key(keys, old, now + timedelta(seconds=900 + 290)) is not None
        assert ring.published_key(keys, old, now + timedelta(seconds=900 + 310)) is None
        assert [k["kid"] for k in ring.jwks(keys, now + timedelta(seconds=900 + 310))["keys"]] == [new]


def test_a_scheduled_rotation_publishes_the_key_before_it_signs(client):
    person = client.enrolled()
    current = kid_of(person.tokens["access_token"])

    upcoming = client.service.rotate_keys()["kid"]

    assert published(client) >= {current, upcoming}
    assert kid_of(client.log_in(person, 0)["access_token"]) == current
    with client.service.uow() as uow:
        later = datetime.now(UTC) + timedelta(seconds=301)
        assert client.service.keys.signing_key(uow.signing_keys, later)[0] == upcoming


def test_stored_private_keys_are_encrypted(client, db):
    client.enrolled()
    for row in db.execute("SELECT private_jwk_encrypted FROM signing_keys "
                          "WHERE private_jwk_encrypted IS NOT NULL").fetchall():
        assert row["private_jwk_encrypted"].startswith("v1.")
        assert '"d"' not in row["private_jwk_encrypted"]
