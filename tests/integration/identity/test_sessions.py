"""Ended sessions stay ended (issue 11 section 4, ADR 0019): identity refuses an ended session's access
tokens in the same transaction that ends it, and announces it to the other services through its outbox."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import jwt
from identity_support import PASSWORD, outbox


def refresh(client, token):
    return client.post("/v1/auth/refresh", json={"refresh_token": token})


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
    ended = service.end_every_session(uuid.UUID(person.id), now=datetime.now(UTC), reason="password_reset")
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

