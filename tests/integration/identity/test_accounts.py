"""Registration, bad input, one's own profile and password: against the real database and its outbox."""
from __future__ import annotations

import json
import uuid

import pytest
from identity_support import PASSWORD, event_types, outbox, unique_email, unique_member_number


def counts(db) -> tuple[int, int]:
    accounts = db.execute("SELECT count(*) AS n FROM accounts").fetchone()["n"]
    events = db.execute("SELECT count(*) AS n FROM outbox").fetchone()["n"]
    return accounts, events


def registration(**changes) -> dict:
    body = {"email": unique_email(), "full_name": "Jan Jansen", "password": PASSWORD,
            "membership_number": unique_member_number()}
    body.update(changes)
    return {key: value for key, value in body.items() if value is not ...}


def test_registration_makes_a_jobcoach_and_announces_it(client, db):
    email = f"Jan.Jansen.{uuid.uuid4().hex[:8]}@Example.org"
    number = unique_member_number()
    response = client.post("/v1/accounts", json=registration(email=email, membership_number=f" {number} "))

    assert response.status_code == 201
    account = response.get_json()
    assert account["email"] == email
    assert account["roles"] == ["jobcoach"]
    assert (account["membership_kind"], account["membership_number"]) == ("member", number)
    assert account["preferred_language"] == "nl"
    assert account["totp_enrolled"] is False
    assert "password" not in json.dumps(account)
    [event] = outbox(db, account["id"])
    assert event["type"] == "identity.account.registered"
    assert event["data"] == {
        "account_id": account["id"], "email": email, "full_name": "Jan Jansen", "roles": ["jobcoach"],
        "membership_kind": "member", "membership_number": number, "preferred_language": "nl"}
    stored = db.execute("SELECT password_hash FROM accounts WHERE id = %s", (account["id"],)).fetchone()
    assert stored["password_hash"].startswith("$argon2id$")


def test_an_affiliate_number_is_recorded_as_such(client):
    number = f"EXT-{uuid.uuid4().int % 1_000_000:06d}"
    account = client.register(number=number.lower(), preferred_language="en")
    assert (account["membership_kind"], account["membership_number"]) == ("affiliate", number)
    assert account["preferred_language"] == "en"


@pytest.mark.parametrize("field", ["email", "membership_number"])
def test_a_taken_email_or_number_is_409_naming_the_field(client, db, field):
    first = client.register()
    taken = {"email": first["email"].upper(), "membership_number": first["membership_number"]}[field]
    before = counts(db)

    response = client.post("/v1/accounts", json=registration(**{field: taken}))

    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert list(response.get_json()["errors"]) == [field]
    assert counts(db) == before


@pytest.mark.parametrize(("changes", "field"), [
    ({"membership_number": "12AB"}, "membership_number"),
    ({"membership_number": "12345"}, "membership_number"),
    ({"membership_number": "1234567", "membership_kind": "affiliate"}, "membership_number"),
    ({"membership_number": "EXT-000001", "membership_kind": "member"}, "membership_number"),
    ({"membership_number": 1234567}, "membership_number"),
    ({"membership_number": ...}, "membership_number"),
    ({"email": "not-an-address"}, "email"),
    ({"email": ...}, "email"),
    ({"password": "elevenchars"}, "password"),
    ({"password": " " * 20}, "password"),
    ({"full_name": "   "}, "full_name"),
    ({"preferred_language": "de"}, "preferred_language"),
    ({"roles": ["noloc_admin"]}, "roles"),
])
def test_bad_registrations_are_422_naming_the_field_and_change_nothing(client, db, changes, field):
    before = counts(db)
    response = client.post("/v1/accounts", json=registration(**changes))
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]
    assert counts(db) == before


def test_the_password_may_not_be_the_email_address(client, db):
    email = unique_email()
    response = client.post("/v1/accounts", json=registration(email=email, password=email.upper()))
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["password"]


def test_the_number_message_follows_accept_language(client):
    body = registration(membership_number="12AB")
    dutch = client.post("/v1/accounts", json=body).get_json()["errors"]["membership_number"][0]
    english = client.post("/v1/accounts", json=body, headers={"Accept-Language": "en"}).get_json()
    assert "lidmaatschapsnummer" in dutch
    assert "membership number" in english["errors"]["membership_number"][0]
    assert english["title"] == "The input is not valid"


@pytest.mark.parametrize(("body", "status"), [
    ('{"email": "a@example.org", ', 400),
    ('["a", "list"]', 422),
    (json.dumps({"padding": "x" * 2_000_000}), 413),
])
def test_malformed_and_oversized_bodies_are_refused(client, db, body, status):
    before = counts(db)
    response = client.post("/v1/accounts", data=body, content_type="application/json")
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert counts(db) == before


def test_own_account_and_profile_changes(client, db):
    person = client.enrolled()
    token = person.tokens["access_token"]
    assert client.get("/v1/accounts/me", token=token).get_json()["id"] == person.id

    changed = client.patch("/v1/accounts/me", json={"full_name": "Jan de Wit", "preferred_language": "en"},
                           token=token)
    assert changed.status_code == 200
    assert (changed.get_json()["full_name"], changed.get_json()["preferred_language"]) == ("Jan de Wit", "en")
    update = outbox(db, person.id)[-1]
    assert update["type"] == "identity.account.updated"
    assert update["data"]["changed"] == ["full_name", "preferred_language"]
    assert update["data"]["full_name"] == "Jan de Wit"

    events = len(outbox(db, person.id))
    assert client.patch("/v1/accounts/me", json={"full_name": "Jan de Wit"}, token=token).status_code == 200
    for refused in ({}, {"roles": ["noloc_admin"]}, {"email": unique_email()}, {"full_name": ""}):
        assert client.patch("/v1/accounts/me", json=refused, token=token).status_code == 422
    assert len(outbox(db, person.id)) == events  # nothing changed, nothing announced
    assert client.patch("/v1/accounts/me", json={"full_name": "X"}).status_code == 401


def test_password_change_ends_other_sessions_and_keeps_this_one(client, db):
    person = client.enrolled()
    other_session = person.tokens
    this_session = client.log_in(person, 0)
    token = this_session["access_token"]
    new_password = "a completely new passphrase"

    wrong = client.post("/v1/accounts/me/password", token=token,
                        json={"current_password": "not the password", "new_password": new_password})
    assert wrong.status_code == 422
    assert list(wrong.get_json()["errors"]) == ["current_password"]
    short = client.post("/v1/accounts/me/password", token=token,
                        json={"current_password": PASSWORD, "new_password": "short"})
    assert list(short.get_json()["errors"]) == ["new_password"]
    assert client.login(person.email, PASSWORD).status_code == 200  # unchanged so far

    changed = client.post("/v1/accounts/me/password", token=token,
                          json={"current_password": PASSWORD, "new_password": new_password})
    assert changed.status_code == 204
    assert client.login(person.email, PASSWORD).status_code == 401
    assert client.login(person.email, new_password).get_json()["kind"] == "totp"
    assert client.post("/v1/auth/refresh", json={"refresh_token": other_session["refresh_token"]}
                       ).status_code == 401
    assert client.post("/v1/auth/refresh", json={"refresh_token": this_session["refresh_token"]}
                       ).status_code == 200
    # The other sessions' access tokens are refused everywhere (ADR 0019); nothing else is announced.
    assert event_types(db, person.id) == ["identity.account.registered", "identity.totp.enrolled",
                                          "identity.account.sessions_ended"]
