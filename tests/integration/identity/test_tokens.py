"""Refresh-token rotation and reuse detection, logout, and access tokens identity must refuse."""
from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from identity_support import PASSWORD, outbox

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
    with client.service.db.transaction() as conn:
        real_kid, real_key = client.service.keys.signing_key(conn, datetime.now(UTC))
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


# --- ended sessions stay ended (issue 11 section 4): identity refuses at once and tells the others --------


def _sid(access_token: str) -> str:
    return jwt.decode(access_token, options={"verify_signature": False})["sid"]


def _fresh_login(client, person) -> dict:
    """A new login with a recovery code (the TOTP steps around now are spent by the earlier logins)."""
    challenge = client.challenge(person.email, person.password)
    response = client.verify(challenge["challenge_id"], person.tokens["recovery_codes"][0])
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _revoked(client, access_token: str) -> None:
    response = client.get("/v1/accounts/me", token=access_token)
    assert response.status_code == 401, response.get_json()
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/v1/accounts/me", token=access_token,
                      headers={"Accept-Language": "en"}).get_json()["detail"] == (
        "This session has ended. Please log in again.")


def test_logout_refuses_the_sessions_access_token_at_once_and_announces_it(client, db):
    person = client.enrolled()
    other = client.log_in(person, 1)
    access = person.tokens["access_token"]
    assert client.get("/v1/accounts/me", token=access).status_code == 200

    assert client.post("/v1/auth/logout", json={"refresh_token": person.tokens["refresh_token"]}
                       ).status_code == 204
    _revoked(client, access)
    assert client.patch("/v1/accounts/me", json={"full_name": "Na het uitloggen"}, token=access
                        ).status_code == 401  # writes too
    assert client.get("/v1/accounts/me", token=other["access_token"]).status_code == 200
    ended = [e for e in outbox(db, person.id) if e["type"] == "identity.session.ended"]
    assert [(e["data"]["session_id"], e["data"]["reason"]) for e in ended] == [(_sid(access), "logout")]
    # Logging out twice: nothing new to announce.
    assert client.post("/v1/auth/logout", json={"refresh_token": person.tokens["refresh_token"]}
                       ).status_code == 204
    assert len([e for e in outbox(db, person.id) if e["type"] == "identity.session.ended"]) == 1
    fresh = _fresh_login(client, person)
    assert client.get("/v1/accounts/me", token=fresh["access_token"]).status_code == 200


def test_a_reused_refresh_token_refuses_the_whole_sessions_access_tokens(client, db):
    person = client.enrolled()
    first_access, spent = person.tokens["access_token"], person.tokens["refresh_token"]
    rotated = refresh(client, spent).get_json()
    assert client.get("/v1/accounts/me", token=rotated["access_token"]).status_code == 200

    assert refresh(client, spent).status_code == 401
    _revoked(client, rotated["access_token"])
    _revoked(client, first_access)
    [ended] = [e for e in outbox(db, person.id) if e["type"] == "identity.session.ended"]
    assert ended["data"]["reason"] == "refresh_token_reused"
    assert ended["data"]["session_id"] == _sid(first_access) == _sid(rotated["access_token"])


def test_a_password_change_refuses_the_other_sessions_tokens_and_keeps_this_one(client, db):
    person = client.enrolled()
    other = client.log_in(person, 1)
    this = person.tokens["access_token"]
    changed = client.post("/v1/accounts/me/password", token=this,
                          json={"current_password": PASSWORD, "new_password": "a completely new passphrase"})
    assert changed.status_code == 204, changed.get_json()
    assert client.get("/v1/accounts/me", token=this).status_code == 200
    _revoked(client, other["access_token"])
    event = outbox(db, person.id)[-1]
    assert event["type"] == "identity.account.sessions_ended"
    assert event["data"]["kept_session_id"] == _sid(this)
    assert event["data"]["session_ids"] == [_sid(other["access_token"])]
    assert event["data"]["reason"] == "password_changed"


def test_end_every_session_for_a_password_reset(client, db):
    person = client.enrolled()
    other = client.log_in(person, 1)
    service = client.service
    with service.db.transaction() as conn:
        ended = service.end_every_session(conn, uuid.UUID(person.id), now=datetime.now(UTC),
                                          reason="password_reset")
    assert sorted(map(str, ended)) == sorted([_sid(person.tokens["access_token"]),
                                              _sid(other["access_token"])])
    _revoked(client, person.tokens["access_token"])
    _revoked(client, other["access_token"])
    assert refresh(client, other["refresh_token"]).status_code == 401
    event = outbox(db, person.id)[-1]
    assert (event["type"], event["data"]["reason"], event["data"]["kept_session_id"]) == (
        "identity.account.sessions_ended", "password_reset", None)
    fresh = _fresh_login(client, person)
    assert client.get("/v1/accounts/me", token=fresh["access_token"]).status_code == 200

