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


VERIFY = "identity.email.verification_requested"


def test_registration_mails_a_link_and_announces_the_account_only_when_verified(client, db):
    email = f"Jan.Jansen.{uuid.uuid4().hex[:8]}@Example.org"
    number = unique_member_number()
    response = client.post("/v1/accounts", json=registration(email=email, membership_number=f" {number} "))

    assert response.status_code == 202
    assert response.get_json()["status"] == "check_email"
    row = db.execute("SELECT id, email_verified_at, password_hash FROM accounts WHERE email = %s",
                     (email,)).fetchone()
    assert row["email_verified_at"] is None
    assert row["password_hash"].startswith("$argon2id$")
    [requested] = outbox(db, row["id"])
    assert requested["type"] == VERIFY  # nobody but notifications hears of an unverified account
    token = requested["data"]["token"]
    stored = db.execute("SELECT token_hash FROM email_tokens WHERE account_id = %s", (row["id"],)).fetchone()
    assert bytes(stored["token_hash"]) != token.encode()  # only the hash is kept

    response = client.post("/v1/accounts/verify-email", json={"token": token, "password": PASSWORD})

    assert response.status_code == 200, response.get_json()
    account = response.get_json()
    assert account["email"] == email
    assert account["roles"] == ["jobcoach"]
    assert account["email_verified"] is True
    assert (account["membership_kind"], account["membership_number"]) == ("member", number)
    assert account["totp_enrolled"] is False
    assert "password" not in json.dumps(account)
    assert event_types(db, account["id"]) == [VERIFY, "identity.account.registered"]
    assert outbox(db, account["id"])[-1]["data"] == {
        "account_id": account["id"], "email": email, "full_name": "Jan Jansen", "roles": ["jobcoach"],
        "membership_kind": "member", "membership_number": number, "preferred_language": "nl"}
    again = client.post("/v1/accounts/verify-email", json={"token": token, "password": PASSWORD})
    assert again.status_code == 400  # single use
    assert again.mimetype == "application/problem+json"


def test_an_unverified_account_can_do_nothing_but_verify(client, db):
    body = registration()
    assert client.post("/v1/accounts", json=body).status_code == 202

    refused = client.login(body["email"], PASSWORD)

    assert refused.status_code == 403
    assert refused.get_json()["type"].endswith("/email-not-verified")
    assert "Bevestig eerst je e-mailadres" in refused.get_json()["detail"]
    wrong = client.login(body["email"], "a wrong password here")
    assert wrong.status_code == 401  # a stranger without the password learns nothing
    links = [e for e in outbox(db) if e["type"] == VERIFY and e["data"]["email"] == body["email"]]
    assert len(links) == 2  # the login sent a fresh link to the address
    first = client.post("/v1/accounts/verify-email", json={"token": links[0]["data"]["token"],
                                                                     "password": PASSWORD})
    assert first.status_code == 400  # replaced by the newer one
    second = client.post("/v1/accounts/verify-email", json={"token": links[1]["data"]["token"],
                                                                      "password": PASSWORD})
    assert second.status_code == 200
    assert client.login(body["email"], PASSWORD).status_code == 200


def test_an_expired_link_is_refused(make_client, db):
    short = make_client(verification_ttl_seconds=1)
    body = registration()
    assert short.post("/v1/accounts", json=body).status_code == 202
    token = short.mailed_token(body["email"], VERIFY)
    db.execute("UPDATE email_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = "
               "sha256(%s::bytea)", (token.encode(),))
    expired = short.post("/v1/accounts/verify-email", json={"token": token, "password": PASSWORD})
    assert expired.status_code == 400


def test_an_affiliate_number_is_recorded_as_such(client):
    number = f"EXT-{uuid.uuid4().int % 1_000_000:06d}"
    account = client.register(number=number.lower(), preferred_language="en")
    assert (account["membership_kind"], account["membership_number"]) == ("affiliate", number)
    assert account["preferred_language"] == "en"


def test_registering_someone_elses_address_first_does_not_win_their_account(client, db):
    """A stranger registers the victim's address with a password of their own; the victim registers too and
    opens the link: the account is the victim's, with the victim's password, and the stranger's is void."""
    victim = registration(full_name="Vera Echt")
    stranger = {**victim, "full_name": "Sjaak Vooraf", "password": "sjaak zijn eigen wachtwoord"}
    assert client.post("/v1/accounts", json=stranger).status_code == 202
    stranger_link = client.mailed_token(victim["email"], VERIFY)
    assert client.post("/v1/accounts", json=victim).status_code == 202
    victim_link = client.mailed_token(victim["email"], VERIFY)

    # The stranger's link is void, and the victim's link needs the victim's password.
    void = client.post("/v1/accounts/verify-email", json={"token": stranger_link,
                                                          "password": stranger["password"]})
    assert void.status_code == 400
    wrong = client.post("/v1/accounts/verify-email", json={"token": victim_link,
                                                           "password": stranger["password"]})
    assert wrong.status_code == 422 and list(wrong.get_json()["errors"]) == ["password"]
    account = client.post("/v1/accounts/verify-email", json={"token": victim_link, "password": PASSWORD})
    assert account.status_code == 200, account.get_json()
    assert account.get_json()["full_name"] == "Vera Echt"
    assert client.login(victim["email"], stranger["password"]).status_code == 401
    assert client.login(victim["email"], PASSWORD).status_code == 200


@pytest.mark.parametrize("field", ["email", "membership_number"])
def test_a_taken_email_or_number_gets_the_same_answer_and_its_owner_is_told(client, db, field):
    owner = client.register()
    taken = {"email": owner["email"].upper(), "membership_number": owner["membership_number"]}[field]

    fresh = client.post("/v1/accounts", json=registration())
    response = client.post("/v1/accounts", json=registration(**{field: taken}))

    assert response.status_code == fresh.status_code == 202
    assert response.get_json() == fresh.get_json()
    assert response.headers.get("Location") is None
    told = [e for e in outbox(db, owner["id"]) if e["type"] == "identity.registration.attempted"]
    assert [e["data"]["attempted_with"] for e in told] == [field]
    assert db.execute("SELECT count(*) AS n FROM accounts WHERE lower(email) = lower(%s)",
                      (owner["email"],)).fetchone()["n"] == 1


def test_a_number_someone_else_typed_first_does_not_block_its_holder(client, db):
    number = unique_member_number()
    squatter = client.register(number=number)  # a stranger, verified with their own address

    response = client.post("/v1/accounts", json=registration(membership_number=number))

    assert response.status_code == 202
    told = [e["data"] for e in outbox(db, squatter["id"]) if e["type"] == "identity.registration.attempted"]
    assert told == [{"account_id": squatter["id"], "attempted_with": "membership_number"}]
    holder = client.register(number=number)  # the real member registers and verifies all the same
    assert holder["membership_number"] == number and holder["id"] != squatter["id"]


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


@pytest.mark.parametrize("password", ["password1234", "Wachtwoord123!", "qwertyuiop123", "Jobcoach2024!"])
def test_a_common_or_guessable_password_is_refused_in_dutch_and_english(client, db, password):
    before = counts(db)
    body = registration(password=password)
    dutch = client.post("/v1/accounts", json=body)
    english = client.post("/v1/accounts", json=body, headers={"Accept-Language": "en"})
    assert dutch.status_code == english.status_code == 422
    assert dutch.get_json()["errors"]["password"] == [
        "Dit wachtwoord is te makkelijk te raden: het is veelgebruikt of lijkt op een woord, naam, datum of "
        "reeks. Kies iets langers en minder voorspelbaars, bijvoorbeeld een paar losse woorden."]
    assert "too easy to guess" in english.get_json()["errors"]["password"][0]
    assert counts(db) == before


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
    assert event_types(db, person.id) == [VERIFY, "identity.account.registered", "identity.totp.enrolled",
                                          "identity.account.sessions_ended"]


RESET = "identity.password.reset_requested"


def test_a_forgotten_password_is_replaced_by_link_every_session_ends_and_the_code_stays(client, db):
    person = client.enrolled()
    other = client.log_in(person, 1)
    before = len(outbox(db))
    unknown = client.post("/v1/auth/password-reset", json={"email": unique_email("niemand")})
    assert len(outbox(db)) == before  # nothing to send, nothing recorded
    known = client.post("/v1/auth/password-reset", json={"email": person.email.upper()})
    assert known.status_code == unknown.status_code == 202
    assert known.get_json() == unknown.get_json()
    [requested] = [e for e in outbox(db, person.id) if e["type"] == RESET]
    token = requested["data"]["token"]
    row = db.execute("SELECT token_hash, expires_at - created_at AS valid FROM email_tokens "
                     "WHERE account_id = %s AND purpose = 'reset_password'", (person.id,)).fetchone()
    assert row["valid"].total_seconds() == 1800 and token.encode() not in bytes(row["token_hash"])

    weak = client.post("/v1/auth/password-reset/confirm",
                       json={"token": token, "new_password": "wachtwoord2024"})
    assert weak.status_code == 422
    assert weak.get_json()["errors"]["new_password"][0].startswith("Dit wachtwoord is te makkelijk te raden")
    new_password = "groene olifant leest graag"
    body = {"token": token, "new_password": new_password}
    done = client.post("/v1/auth/password-reset/confirm", json=body)
    assert done.status_code == 204
    again = client.post("/v1/auth/password-reset/confirm", json=body)
    assert again.status_code == 400 and again.get_json()["type"].endswith("/email-link-invalid")

    for session in (person.tokens, other):
        assert client.post("/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}
                           ).status_code == 401
    assert client.login(person.email, PASSWORD).status_code == 401
    assert client.login(person.email, new_password).get_json()["kind"] == "totp"  # the second factor stays
    assert event_types(db, person.id)[-2:] == ["identity.account.sessions_ended", "identity.password.reset"]
    assert client.get("/v1/accounts/me", token=other["access_token"]).status_code == 401  # refused at once


def test_an_expired_reset_link_is_refused(client, db):
    person = client.enrolled()
    assert client.post("/v1/auth/password-reset", json={"email": person.email}).status_code == 202
    token = client.mailed_token(person.email, RESET)
    db.execute("UPDATE email_tokens SET expires_at = now() - interval '1 second' WHERE account_id = %s",
               (person.id,))
    expired = client.post("/v1/auth/password-reset/confirm",
                          json={"token": token, "new_password": "groene olifant leest graag"})
    assert expired.status_code == 400
    assert client.login(person.email, PASSWORD).status_code == 200  # unchanged
    # Housekeeping drops the expired link, and its token from the sent event.
    db.execute("UPDATE outbox SET published_at = now() WHERE body->>'subject' = %s", (person.id,))
    assert client.service.purge_expired()["email_tokens"] >= 1
    assert [e["data"].get("token") for e in outbox(db, person.id) if e["type"] == RESET] == [None]


def test_a_long_password_is_judged_not_a_server_error(client):
    long_and_strong = "paars konijn fietst langzaam " * 20  # 580 characters
    assert client.post("/v1/accounts", json=registration(password=long_and_strong)).status_code == 202
    long_and_common = client.post("/v1/accounts", json=registration(password="password1234" * 20))
    assert long_and_common.status_code == 422


def test_anyone_can_ask_who_helps(make_client):
    client = make_client(support_email="hulp@dnv.example", support_phone="088 123 45 67")
    answer = client.get("/v1/support")
    assert answer.status_code == 200
    assert answer.json == {"email": "hulp@dnv.example", "phone": "088 123 45 67"}
    assert "max-age=300" in answer.headers["Cache-Control"]
