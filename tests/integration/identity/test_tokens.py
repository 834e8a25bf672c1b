"""Refresh-token rotation and reuse detection, logout, and access tokens identity must refuse."""
from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from recert_common.auth import access_token_claims, generate_ed25519_jwk, sign_token


def refresh(client, token):
    return client.post("/v1/auth/refresh", json={"refresh_token": token})


def test_refresh_rotates_and_a_reused_token_revokes_its_session(client, db):
    person = client.enrolled()
    other_session = client.log_in(person, 0)
    first = person.tokens["refresh_token"]

    rotated = refresh(client, first)
    assert rotated.status_code == 200
    assert rotated.headers["Cache-Control"] == "no-store"
    second = rotated.get_json()
    assert second["refresh_token"] != first and "recovery_codes" not in second
    assert client.get("/v1/accounts/me", token=second["access_token"]).status_code == 200

    reused = refresh(client, first)
    assert reused.status_code == 401
    assert list(reused.get_json()["errors"]) == ["refresh_token"]
    assert refresh(client, second["refresh_token"]).status_code == 401  # the whole family is revoked
    reasons = db.execute("SELECT revoked_reason FROM refresh_families WHERE account_id = %s "
                         "ORDER BY created_at", (person.id,)).fetchall()
    assert [r["revoked_reason"] for r in reasons] == ["reuse_detected", None]
    assert refresh(client, other_session["refresh_token"]).status_code == 200  # other sessions live on


def test_logout_ends_the_session(client):
    person = client.enrolled()
    token = person.tokens["refresh_token"]
    assert client.post("/v1/auth/logout", json={"refresh_token": token}).status_code == 204
    assert refresh(client, token).status_code == 401
    assert client.post("/v1/auth/logout", json={"refresh_token": "unknown"}).status_code == 204
    assert client.post("/v1/auth/logout", json={"token": token}).status_code == 422
    assert refresh(client, "never-issued").status_code == 401


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _forged_tokens(client, person) -> dict[str, str]:
    good = person.tokens["access_token"]
    header, payload, signature = good.split(".")
    claims = jwt.decode(good, options={"verify_signature": False})
    kid = jwt.get_unverified_header(good)["kid"]
    with client.service.uow() as uow:
        real_kid, real_key = client.service.keys.signing_key(uow.signing_keys, datetime.now(UTC))
    stranger_key, _ = generate_ed25519_jwk(kid)
    stale = access_token_claims(person.id, ["jobcoach"], issuer="recert-identity", audience="recert",
                                ttl=timedelta(minutes=15), now=datetime.now(UTC) - timedelta(hours=1))
    return {
        "tampered": f"{header}.{_b64({**claims, 'roles': ['noloc_admin']})}.{signature}",
        "alg none": f"{_b64({'alg': 'none', 'typ': 'at+jwt', 'kid': kid})}.{payload}.",
        "unknown kid": sign_token(generate_ed25519_jwk("not-ours")[0], "not-ours", claims),
        "our kid, other key": sign_token(stranger_key, kid, claims),
        "expired": sign_token(real_key, real_kid, stale),
        "no typ": jwt.encode(claims, jwt.PyJWK(real_key).key, algorithm="EdDSA", headers={"kid": real_kid}),
        "other audience": sign_token(real_key, real_kid, {**claims, "aud": "elsewhere"}),
        "garbage": "not.a.token",
    }


@pytest.mark.parametrize("kind", ["tampered", "alg none", "unknown kid", "our kid, other key", "expired",
                                  "no typ", "other audience", "garbage"])
def test_forged_and_stale_tokens_are_refused(client, kind):
    person = client.enrolled()
    assert client.get("/v1/accounts/me", token=person.tokens["access_token"]).status_code == 200
    response = client.get("/v1/accounts/me", token=_forged_tokens(client, person)[kind])
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_no_token_is_401(client):
    response = client.get("/v1/accounts/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="recert"'


@pytest.mark.parametrize(("body", "status"), [
    (b'{"refresh_token": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400),  # RecursionError in the parser
    (b'{"refresh_token": ' + b"[" * 70 + b"]" * 70 + b"}", 400),  # deeper than any document of ours
    (b'{"refresh_token": "a\\ud800b"}', 422),  # a lone surrogate: valid JSON, not a character
    (b'{"refresh_token": "x", "a\\udfffb": 1}', 422),  # in a key as well
])
def test_a_deep_or_surrogate_body_on_the_public_refresh_route_is_a_client_error(client, body, status):
    response = client.post("/v1/auth/refresh", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    if status == 422:
        assert response.get_json()["errors"]
