"""Signing-key rotation (in a database of its own: rotation changes what every other test would sign with)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt


def kid_of(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def published(client) -> set[str]:
    return {key["kid"] for key in client.get("/v1/.well-known/jwks.json").get_json()["keys"]}


def test_a_rotation_for_a_leaked_key_signs_at_once_and_withdraws_the_key_that_leaked(client, db):
    person = client.enrolled()
    old_token = person.tokens["access_token"]
    old = kid_of(old_token)
    assert published(client) == {old}

    rotated = client.service.rotate_keys(immediately=True)
    new = rotated["kid"]

    # What the leaked key signed (or whoever holds it signs) verifies nowhere once the key sets are fetched
    # again; identity reads its own at once. The session goes on with a token from the new key.
    assert rotated["withdrawn"] == [old] and published(client) == {new}
    assert client.get("/v1/accounts/me", token=old_token).status_code == 401
    assert db.execute("SELECT count(*) AS n FROM signing_keys WHERE kid = %s", (old,)).fetchone()["n"] == 0
    renewed = client.post("/v1/auth/refresh", json={"refresh_token": person.tokens["refresh_token"]})
    assert renewed.status_code == 200 and kid_of(renewed.get_json()["access_token"]) == new
    assert client.get("/v1/accounts/me", token=renewed.get_json()["access_token"]).status_code == 200


def test_a_scheduled_rotation_publishes_the_key_before_it_signs_and_the_old_one_until_its_tokens_expire(
        client):
    person = client.enrolled()
    current = kid_of(person.tokens["access_token"])

    upcoming = client.service.rotate_keys()["kid"]

    assert published(client) >= {current, upcoming}
    assert kid_of(client.log_in(person, 0)["access_token"]) == current
    now = datetime.now(UTC)
    with client.service.uow() as uow:
        ring, keys = client.service.keys, uow.signing_keys
        assert ring.signing_key(keys, now + timedelta(seconds=301))[0] == upcoming
        # Listed for one token lifetime plus the verifiers' 5 minutes of caching after its successor
        # signs, then no more.
        signs = now + timedelta(seconds=300)
        assert ring.published_key(keys, current, signs + timedelta(seconds=900 + 290)) is not None
        assert ring.published_key(keys, current, signs + timedelta(seconds=900 + 310)) is None


def test_stored_private_keys_are_encrypted(client, db):
    client.enrolled()
    for row in db.execute("SELECT private_jwk_encrypted FROM signing_keys "
                          "WHERE private_jwk_encrypted IS NOT NULL").fetchall():
        assert row["private_jwk_encrypted"].startswith("v1.")
        assert '"d"' not in row["private_jwk_encrypted"]
