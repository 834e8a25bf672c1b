"""Login in two steps: enrolment, TOTP window and replay, recovery codes, lockout and enumeration."""
from __future__ import annotations

import base64
import time

import argon2
import jwt
from identity_support import PASSWORD, code, event_types, outbox, secret_of, unique_email

from recert_common.auth import StaticKeySource, TokenVerifier

REQUEST_ID = {"X-Request-ID": "same-request-id"}


def problem(response) -> tuple[int, dict, str | None]:
    return response.status_code, response.get_json(), response.headers.get("WWW-Authenticate")


def account_row(db, account_id):
    return db.execute("SELECT * FROM accounts WHERE id = %s", (account_id,)).fetchone()


def test_first_login_enrols_an_authenticator_then_asks_for_its_codes(client, db):
    account = client.register()
    first = client.challenge(account["email"])
    assert first["kind"] == "enrol"
    assert first["otpauth_uri"].startswith("otpauth://totp/Register%20Jobcoach:")
    assert "issuer=Register%20Jobcoach" in first["otpauth_uri"]
    assert first["qr_svg"].startswith("<svg")
    assert base64.b64decode(first["qr_png_base64"]).startswith(b"\x89PNG\r\n\x1a\n")

    # Logging in again offers a fresh secret, and only the latest challenge counts.
    second = client.challenge(account["email"])
    secret = secret_of(second["otpauth_uri"])
    assert secret != secret_of(first["otpauth_uri"])
    stale = client.verify(first["challenge_id"], code(secret_of(first["otpauth_uri"])))
    assert stale.status_code == 401
    assert list(stale.get_json()["errors"]) == ["challenge_id"]

    response = client.verify(second["challenge_id"], code(secret, -1))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    tokens = response.get_json()
    assert (tokens["token_type"], tokens["expires_in"]) == ("Bearer", 900)
    assert len(set(tokens["recovery_codes"])) == 10
    verifier = TokenVerifier(StaticKeySource(client.get("/v1/.well-known/jwks.json").get_json()),
                             issuer="recert-identity", audience="recert")
    principal = verifier.verify(tokens["access_token"])
    assert str(principal.account_id) == account["id"]
    assert principal.roles == {"jobcoach"} and principal.amr == {"pwd", "otp"}
    assert principal.claims["exp"] - principal.claims["iat"] == 900
    assert jwt.get_unverified_header(tokens["access_token"])["kid"]

    enrolled = outbox(db, account["id"])[-1]
    assert (enrolled["type"], enrolled["data"]["after_reset"]) == ("identity.totp.enrolled", False)
    row = account_row(db, account["id"])
    assert row["totp_secret_encrypted"].startswith("v1.") and secret not in row["totp_secret_encrypted"]
    hashes = db.execute("SELECT code_hash FROM recovery_codes WHERE account_id = %s",
                        (account["id"],)).fetchall()
    assert len(hashes) == 10
    assert not {bytes(h["code_hash"]) for h in hashes} & {c.encode() for c in tokens["recovery_codes"]}

    again = client.challenge(account["email"])
    assert again["kind"] == "totp"
    assert not {"otpauth_uri", "qr_svg", "qr_png_base64"} & set(again)
    assert client.verify(again["challenge_id"], code(secret, 0)).status_code == 200


def test_a_recovery_code_replaces_a_totp_code_once(client):
    person = client.enrolled()
    first, second = person.tokens["recovery_codes"][:2]

    challenge = client.challenge(person.email)
    assert client.verify(challenge["challenge_id"], first).status_code == 200
    challenge = client.challenge(person.email)
    reused = client.verify(challenge["challenge_id"], first)
    assert reused.status_code == 401
    assert list(reused.get_json()["errors"]) == ["code"]
    # Typed by hand: lower case, without dashes, the same challenge once more.
    assert client.verify(challenge["challenge_id"], second.replace("-", "").lower()).status_code == 200


def test_a_code_is_accepted_once_and_the_next_one_still_works(client):
    person = client.enrolled()  # used the code of the previous time step
    current = code(person.secret, 0)
    challenge = client.challenge(person.email)
    assert client.verify(challenge["challenge_id"], current).status_code == 200

    challenge = client.challenge(person.email)
    replayed = client.verify(challenge["challenge_id"], current)
    assert replayed.status_code == 401
    assert replayed.get_json()["type"].endswith("/code-rejected")
    assert client.verify(challenge["challenge_id"], code(person.secret, +1)).status_code == 200


def test_one_step_either_way_is_accepted_two_are_not(client):
    account = client.register()
    challenge = client.challenge(account["email"])
    secret = secret_of(challenge["otpauth_uri"])
    assert client.verify(challenge["challenge_id"], code(secret, +2)).status_code == 401
    assert client.verify(challenge["challenge_id"], code(secret, -2)).status_code == 401
    assert client.verify(challenge["challenge_id"], code(secret, -1)).status_code == 200

    challenge = client.challenge(account["email"])
    assert client.verify(challenge["challenge_id"], code(secret, +1)).status_code == 200


def test_a_code_that_is_no_code_is_422_and_not_counted(client, db):
    person = client.enrolled()
    challenge = client.challenge(person.email)
    for bad in ("12345", "1234567", "abcdef", ""):
        response = client.verify(challenge["challenge_id"], bad)
        assert response.status_code == 422
        assert list(response.get_json()["errors"]) == ["code"]
    assert account_row(db, person.id)["failed_attempts"] == 0


def test_five_failures_of_either_kind_lock_the_account_for_a_while(make_client, db):
    client = make_client(lock_seconds=2)
    person = client.enrolled()
    for _ in range(3):
        assert client.login(person.email, "wrong password!").status_code == 401
    challenge = client.challenge(person.email)  # a right password does not clear the count
    assert client.verify(challenge["challenge_id"], code(person.secret, 5)).status_code == 401

    locked = client.verify(challenge["challenge_id"], code(person.secret, 5))

    assert locked.status_code == 429
    assert locked.get_json()["type"].endswith("/account-locked")
    assert 1 <= int(locked.headers["Retry-After"]) <= 3
    [event] = [e for e in outbox(db, person.id) if e["type"] == "identity.account.locked"]
    assert event["data"]["reason"] == "failed_totp_codes"
    locked_until = account_row(db, person.id)["locked_until"]

    # While locked, the right password gets the answer of a wrong one, and wrong ones are not counted.
    unknown = client.post("/v1/auth/login", json={"email": unique_email(), "password": PASSWORD},
                          headers=REQUEST_ID)
    right = client.post("/v1/auth/login", json={"email": person.email, "password": PASSWORD},
                        headers=REQUEST_ID)
    assert problem(right) == problem(unknown)
    assert client.login(person.email, "wrong password!").status_code == 401
    assert client.verify(challenge["challenge_id"], code(person.secret, 0)).status_code == 401
    row = account_row(db, person.id)
    assert (row["failed_attempts"], row["locked_until"]) == (0, locked_until)
    assert event_types(db, person.id).count("identity.account.locked") == 1

    time.sleep(2.1)
    assert client.log_in(person, 0)["access_token"]


def test_the_fifth_wrong_password_locks_and_says_no_more_than_the_first(client, db):
    person = client.enrolled()
    answers = [problem(client.post("/v1/auth/login", json={"email": person.email, "password": f"wrong {i}"},
                                   headers=REQUEST_ID)) for i in range(5)]
    assert answers == [answers[0]] * 5
    assert answers[0][0] == 401
    assert answers[0][1]["type"].endswith("/invalid-credentials")
    [event] = [e for e in outbox(db, person.id) if e["type"] == "identity.account.locked"]
    assert event["data"]["reason"] == "failed_passwords"
    assert client.login(person.email).status_code == 401


def test_a_completed_login_clears_the_count(client, db):
    person = client.enrolled()
    for _ in range(4):
        client.login(person.email, "wrong password!")
    client.log_in(person, 0)
    for _ in range(4):
        client.login(person.email, "wrong password!")
    row = account_row(db, person.id)
    assert (row["failed_attempts"], row["locked_until"]) == (4, None)
    assert "identity.account.locked" not in event_types(db, person.id)


def test_unknown_email_and_wrong_password_get_the_same_answer_after_the_same_work(client, monkeypatch):
    person = client.enrolled()
    verified: list[str] = []
    original = argon2.PasswordHasher.verify

    def counting(self, hash, password):
        verified.append(hash)
        return original(self, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)
    unknown = client.post("/v1/auth/login", json={"email": unique_email(), "password": PASSWORD},
                          headers=REQUEST_ID)
    wrong = client.post("/v1/auth/login", json={"email": person.email, "password": "wrong password!"},
                        headers=REQUEST_ID)

    assert problem(unknown) == problem(wrong)
    assert unknown.status_code == 401
    assert len(verified) == 2  # argon2 ran once for each
    # Both hashes are argon2id with the same cost parameters: the same work.
    assert [h.split("$")[1:4] for h in verified] == [verified[1].split("$")[1:4]] * 2


def test_an_expired_challenge_is_refused_without_counting(make_client, db):
    client = make_client(challenge_ttl_seconds=1)
    account = client.register()
    challenge = client.challenge(account["email"])
    time.sleep(1.1)
    response = client.verify(challenge["challenge_id"], code(secret_of(challenge["otpauth_uri"])))
    assert response.status_code == 401
    assert list(response.get_json()["errors"]) == ["challenge_id"]
    assert account_row(db, account["id"])["failed_attempts"] == 0
    assert event_types(db, account["id"]) == [
        "identity.email.verification_requested", "identity.account.registered"]


def test_unknown_challenge_and_bad_login_bodies(client):
    assert client.verify("no-such-challenge", "123456").status_code == 401
    for body in ({"email": "a@example.org"}, {"email": "a@example.org", "password": "x", "extra": 1},
                 {"email": 5, "password": "x"}):
        assert client.post("/v1/auth/login", json=body).status_code == 422


def test_a_hash_made_with_older_costs_is_upgraded_at_login(client, make_client, db):
    account = client.register()
    stronger = make_client(argon2_time_cost=2)
    assert "t=1," in account_row(db, account["id"])["password_hash"]
    assert stronger.login(account["email"]).status_code == 200
    assert "t=2," in account_row(db, account["id"])["password_hash"]
    assert stronger.login(account["email"]).status_code == 200


def test_login_and_code_trouble_name_dnvs_support_as_configured(make_client):
    client = make_client(lock_seconds=60, support_email="hulp@dnv.test", support_phone="088 123 45 67")
    person = client.enrolled()
    support = {"email": "hulp@dnv.test", "phone": "088 123 45 67"}

    wrong_password = client.login(person.email, "wrong password!")
    assert wrong_password.status_code == 401
    body = wrong_password.get_json()
    assert body["support"] == support
    assert "De support van DNV helpt je: hulp@dnv.test / 088 123 45 67." in body["detail"]

    challenge = client.challenge(person.email)
    rejected = client.verify(challenge["challenge_id"], code(person.secret, 5))
    assert rejected.get_json()["type"].endswith("/code-rejected")
    assert rejected.get_json()["support"] == support
    assert "hulp@dnv.test / 088 123 45 67" in rejected.get_json()["detail"]
    english = client.post("/v1/auth/login/verify", json={"challenge_id": challenge["challenge_id"],
                                                          "code": code(person.secret, 5)},
                          headers={"Accept-Language": "en"})
    assert "DNV's support can reset the link: hulp@dnv.test / 088 123 45 67." in english.get_json()["detail"]

    for _ in range(2):
        locked = client.verify(challenge["challenge_id"], code(person.secret, 5))
    assert locked.get_json()["type"].endswith("/account-locked")
    assert locked.get_json()["support"] == support
    assert "contact op met de support van DNV: hulp@dnv.test / 088 123 45 67." in locked.get_json()["detail"]


def test_without_a_phone_number_the_support_is_its_email_address(make_client):
    client = make_client(support_email="hulp@dnv.test")
    body = client.login(unique_email(), "wrong password!").get_json()
    assert body["support"] == {"email": "hulp@dnv.test"}
    assert body["detail"].endswith("De support van DNV helpt je: hulp@dnv.test.")


def test_a_strangers_five_wrong_passwords_do_not_keep_the_owner_out(client, db):
    """Issue 11: five wrong passwords from anyone used to lock any account for 15 minutes."""
    person = client.enrolled()
    stranger, owner = {"X-Forwarded-For": "203.0.113.66"}, {"X-Forwarded-For": "198.51.100.7"}
    for i in range(5):
        wrong = client.post("/v1/auth/login", json={"email": person.email, "password": f"raden {i} poging"},
                            headers=stranger)
        assert wrong.status_code == 401
    [event] = [e for e in outbox(db, person.id) if e["type"] == "identity.account.locked"]
    assert event["data"]["reason"] == "failed_passwords"
    # The stranger stays out, even with the right password, and their tries are not counted further.
    right_from_stranger = client.post("/v1/auth/login", json={"email": person.email, "password": PASSWORD},
                                      headers=stranger)
    assert right_from_stranger.status_code == 401

    step1 = client.post("/v1/auth/login", json={"email": person.email, "password": PASSWORD}, headers=owner)
    assert step1.status_code == 200, step1.get_json()
    wrong_code = client.post("/v1/auth/login/verify", headers=owner, json={
        "challenge_id": step1.get_json()["challenge_id"], "code": code(person.secret, 5)})
    assert wrong_code.status_code == 401
    # One wrong code from the owner's address while the account is locked: that address must wait now too.
    step1 = client.post("/v1/auth/login", json={"email": person.email, "password": PASSWORD}, headers=owner)
    assert step1.status_code == 401
    elsewhere = {"X-Forwarded-For": "192.0.2.10"}
    step1 = client.post("/v1/auth/login", json={"email": person.email, "password": PASSWORD},
                        headers=elsewhere)
    tokens = client.post("/v1/auth/login/verify", headers=elsewhere, json={
        "challenge_id": step1.get_json()["challenge_id"], "code": code(person.secret, 0)})
    assert tokens.status_code == 200, tokens.get_json()
    assert tokens.get_json()["access_token"]
    row = account_row(db, person.id)
    assert (row["failed_attempts"], row["locked_until"]) == (0, None)  # a completed login ends the lock
    still_out = client.post("/v1/auth/login", json={"email": person.email, "password": PASSWORD},
                            headers=stranger)
    assert still_out.status_code == 401  # the stranger's own lock lasts its time
