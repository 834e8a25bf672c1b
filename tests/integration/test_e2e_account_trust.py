"""Issue 11, sections 2 and 3, through the gateway with every service running and the e-mails caught by a
real SMTP server: who owns an account (a verified e-mail address), who owns a certificate (the import's
number and address, never the number alone), what the public register shows (the import's name), the same
answer to every registration, the password reset by e-mailed link, and guessable passwords refused.

Every person here opens the links from the e-mails the SMTP server caught, as they would in their mailbox.
"""
from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from smtp_mailbox import mailbox_fixture

from e2e_fixtures import office_fixture, running_system
from frontend import (
    PASSWORD,
    RESET_PASSWORD,
    VERIFY_EMAIL,
    Frontend,
    Person,
    unique_email,
    unique_member_number,
)
from journeys import TODAY, eventually, ok

SERVICES = ["identity", "pe-registry", "portfolio", "assessment", "billing", "notifications"]
CSV_HEADER = "noloc_number,certificate_number,valid_until,email,name\n"


mailbox = mailbox_fixture()


@pytest.fixture(scope="module")
def system(infra, tmp_path_factory, mailbox):
    with running_system(infra, tmp_path_factory, SERVICES, {
        "RECERT_GATEWAY_AUTH_RATE_LIMIT": "off",
        "RECERT_SMTP_HOST": "127.0.0.1", "RECERT_SMTP_PORT": str(mailbox.port),
        "RECERT_NOTIFICATIONS_SEND_POLL_SECONDS": "0.3",
        # The tests stand in for a proxy in front of the gateway, which says where each client comes from.
        "RECERT_GATEWAY_TRUSTED_PROXIES": "127.0.0.1/32",
    }) as system:
        yield system


@pytest.fixture(scope="module")
def app(system, mailbox) -> Frontend:
    """The frontend; a registration opens the link from the e-mail the SMTP server caught."""
    return Frontend(system.gateway, mail=mailbox.token)


office = office_fixture()


def _registration(**changes) -> dict:
    return {"email": unique_email(), "full_name": "Jan Jansen", "password": PASSWORD,
            "membership_number": unique_member_number(), **changes}


def _import(app: Frontend, office, number: str, certificate: str, holder_email: str, name: str) -> dict:
    line = f"{number},{certificate},{(TODAY + timedelta(days=500)).isoformat()},{holder_email},{name}\n"
    return ok(app.post("certificates/import", office.admin, data=(CSV_HEADER + line).encode(),
                       headers={"Content-Type": "text/csv"}))


def test_taken_and_new_registrations_get_the_same_answer_and_the_owner_an_email(app, mailbox):
    owner = app.login(app.register(full_name="Olga Eigenaar"))
    started = time.monotonic()
    new = app.post("accounts", json=_registration())
    new_seconds = time.monotonic() - started
    answers = {}
    taken_data = (("email", owner.email.upper()), ("membership_number", owner.account["membership_number"]))
    for field, taken in taken_data:
        started = time.monotonic()
        answers[field] = app.post("accounts", json=_registration(**{field: taken}))
        seconds = time.monotonic() - started
        assert abs(seconds - new_seconds) < 1.0, (field, seconds, new_seconds)

    for response in (new, *answers.values()):
        assert response.status_code == 202, response.text
        assert response.json() == new.json()
        assert "Location" not in response.headers
    assert new.json()["status"] == "check_email"
    # The owner hears of both attempts; nothing changed about the account.
    tried = eventually(lambda: (told := [t for s, t in mailbox.texts(owner.email) if "probeerde" in s])
                       and len(told) == 2 and told, what="both attempts told to the owner")
    assert sorted("jouw e-mailadres" in text for text in tried) == [False, True]
    assert any("jouw lidmaatschaps- of aansluitnummer" in text for text in tried)
    assert app.get("accounts/me", owner).json()["email"] == owner.email


def test_an_unverified_account_can_only_verify(app, mailbox):
    body = _registration()
    assert app.post("accounts", json=body).status_code == 202
    refused = app.post("auth/login", json={"email": body["email"], "password": PASSWORD})
    assert refused.status_code == 403
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert "Bevestig eerst je e-mailadres" in refused.json()["detail"]
    # The refused login sent a fresh link and spent the registration's: wait for both e-mails, use the newest.
    eventually(lambda: len(mailbox.to(body["email"])) == 2, what="the second verification e-mail")
    token = mailbox.token(body["email"], VERIFY_EMAIL)
    account = ok(app.post("accounts/verify-email", json={"token": token, "password": PASSWORD}))
    assert account["email_verified"] is True
    again = app.post("accounts/verify-email", json={"token": token, "password": PASSWORD})
    assert again.status_code == 400  # single use
    assert ok(app.post("auth/login", json={"email": body["email"], "password": PASSWORD}))["kind"] == "enrol"


def test_a_certificate_goes_to_the_verified_holder_and_the_register_shows_the_imports_name(app, office):
    number, certificate = unique_member_number(), f"RJ-{uuid.uuid4().hex[:8].upper()}"
    holder_email = unique_email("hanna")
    # A stranger registers first with the holder's number, their own address and a name of their choice.
    stranger = app.login(app.register(number=number, full_name="Sjaak Overnemer"))

    loaded = _import(app, office, number, certificate, holder_email, "Hanna Houder")

    assert (loaded["linked"], loaded["awaiting_account"]) == (0, 1)
    entry = ok(app.get(f"register/{certificate}"))
    assert entry["name"] == "Hanna Houder"
    assert app.get("certificates/mine", stranger).status_code == 404
    # The real member registers with the address Noloc has: not refused, and the certificate is theirs.
    holder = app.login(app.register(email=holder_email, number=number, full_name="Hanna H."))
    tile = eventually(lambda: (r := app.get("certificates/mine", holder)).status_code == 200 and r.json(),
                      what="the certificate linked to the holder")
    assert tile["certificate_number"] == certificate
    eventually(lambda: app.get("portfolio/cycles/current", holder).status_code == 200, what="the cycle")
    assert ok(app.get(f"register/{certificate}"))["name"] == "Hanna Houder"
    assert app.get("certificates/mine", stranger).status_code == 404


def test_password_reset_by_the_emailed_link_ends_every_session_and_keeps_the_second_factor(app, mailbox):
    person = app.login(app.register(full_name="Vera Vergeten"))
    other_session = app.login(Person(person.email, person.password, person.account, person.secret,
                                     _used_steps=person._used_steps))
    unknown = app.post("auth/password-reset", json={"email": unique_email("niemand")})
    known = app.post("auth/password-reset", json={"email": person.email})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()

    token = eventually(lambda: mailbox.token(person.email, RESET_PASSWORD), what="the reset e-mail")
    weak = app.post("auth/password-reset/confirm", json={"token": token, "new_password": "wachtwoord123"})
    assert weak.status_code == 422
    assert "te makkelijk te raden" in weak.json()["errors"]["new_password"][0]
    new_password = "paars konijn fietst langzaam"
    assert app.post("auth/password-reset/confirm",
                    json={"token": token, "new_password": new_password}).status_code == 204
    assert app.post("auth/password-reset/confirm",
                    json={"token": token, "new_password": new_password + "!"}).status_code == 400

    # Every session ended: neither refresh token works.
    assert app.refresh(person).status_code == 401
    assert app.refresh(other_session).status_code == 401
    # The old password no longer works; the new one still asks for the authenticator's code.
    assert app.post("auth/login", json={"email": person.email, "password": PASSWORD}).status_code == 401
    step1 = ok(app.post("auth/login", json={"email": person.email, "password": new_password}))
    assert step1["kind"] == "totp"
    person.password = new_password
    assert app.login(person).access_token
    eventually(lambda: any("wachtwoord is gewijzigd" in s for s, _ in mailbox.texts(person.email)),
               what="the e-mail saying the password changed")


def test_a_common_password_is_refused_with_a_dutch_message(app):
    refused = app.post("accounts", json=_registration(password="Wachtwoord123!"))
    assert refused.status_code == 422
    [message] = refused.json()["errors"]["password"]
    assert message.startswith("Dit wachtwoord is te makkelijk te raden")
    english = Frontend(app.base.removesuffix("/api/v1"), language="en")
    refused = english.post("accounts", json=_registration(password="password1234"))
    assert refused.status_code == 422
    assert "too easy to guess" in refused.json()["errors"]["password"][0]


def test_a_strangers_five_wrong_passwords_do_not_keep_the_owner_out(app, mailbox):
    person = app.login(app.register(full_name="Olaf Eigenaar"))
    stranger, owner = {"X-Forwarded-For": "203.0.113.66"}, {"X-Forwarded-For": "198.51.100.7"}
    for attempt in range(5):
        wrong = app.post("auth/login", headers=stranger,
                         json={"email": person.email, "password": f"geraden wachtwoord {attempt}"})
        assert wrong.status_code == 401, wrong.text
    right_from_stranger = app.post("auth/login", headers=stranger,
                                   json={"email": person.email, "password": PASSWORD})
    assert right_from_stranger.status_code == 401  # the guesser's address is locked out of this account

    step1 = ok(app.post("auth/login", headers=owner, json={"email": person.email, "password": PASSWORD}))
    assert step1["kind"] == "totp"
    tokens = ok(app.post("auth/login/verify", headers=owner,
                         json={"challenge_id": step1["challenge_id"], "code": person.fresh_code()}))
    assert ok(app.get("accounts/me", token=tokens["access_token"]))["email"] == person.email
    # The owner hears that someone guessed, and that logging in themselves still works.
    text = eventually(lambda: next((t for s, t in mailbox.texts(person.email) if "geblokkeerd" in s), None),
                      what="the e-mail about the guessing")
    assert "kan wel inloggen" in text
