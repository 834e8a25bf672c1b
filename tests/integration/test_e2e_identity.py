"""Identity through the gateway, as a frontend uses it: identity and the gateway run as real processes
against the run's PostgreSQL and RabbitMQ."""
from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import pyotp

from recert_common.auth import access_token_claims, generate_ed25519_jwk, sign_token
from recert_identity.service import build_service
from recert_identity.settings import IdentitySettings

from e2e_fixtures import app_fixture, system_fixture
from frontend import Frontend, Person, unique_email

LOCK_SECONDS = 3


SUPPORT = {"email": "hulp@dnv.test", "phone": "088 123 45 67"}

system = system_fixture(["identity"], extra_env={
    "RECERT_IDENTITY_LOCK_SECONDS": str(LOCK_SECONDS),
    "RECERT_GATEWAY_AUTH_RATE_LIMIT": "off",
    "RECERT_SUPPORT_EMAIL": SUPPORT["email"], "RECERT_SUPPORT_PHONE": SUPPORT["phone"],
})
app = app_fixture()


def _problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    return response.json()


def test_register_enrol_login_refresh_and_logout(app):
    person = app.register()
    assert person.account["roles"] == ["jobcoach"] and person.account["totp_enrolled"] is False

    first = app.login_step1(person).json()
    assert first["kind"] == "enrol" and first["otpauth_uri"].startswith("otpauth://totp/")
    assert first["qr_svg"].lstrip().startswith("<")
    assert base64.b64decode(first["qr_png_base64"])[:4] == b"\x89PNG"
    app.login(person)
    assert len(person.recovery_codes) == 10
    me = app.get("accounts/me", person)
    assert me.status_code == 200 and me.json()["email"] == person.email and me.json()["totp_enrolled"]

    again = app.login_step1(person).json()
    assert again["kind"] == "totp" and "otpauth_uri" not in again
    app.login(person)

    spent = person.refresh_token
    assert app.refresh(person).status_code == 200
    assert app.get("accounts/me", person).status_code == 200
    # The spent refresh token used again: refused, and its whole family (the fresh token too) revoked.
    _problem(app.post("auth/refresh", json={"refresh_token": spent}), 401)
    _problem(app.refresh(person), 401)

    app.login(person)
    assert app.post("auth/logout", json={"refresh_token": person.refresh_token}).status_code == 204
    _problem(app.refresh(person), 401)


def test_a_replayed_code_is_refused(app):
    person = app.login(app.register())
    challenge = app.login_step1(person).json()
    used = sorted(person._used_steps)[-1]
    replayed = pyotp.TOTP(person.secret).generate_otp(used)
    body = _problem(app.post("auth/login/verify", json={"challenge_id": challenge["challenge_id"],
                                                         "code": replayed}), 401)
    assert body["title"]  # Dutch by default
    assert body["type"].endswith("/code-rejected") and body["support"] == SUPPORT  # DNV's support helps
    assert app.get("accounts/me", person).status_code == 200  # the earlier login still stands


def test_lockout_after_five_failures_and_release_after_the_lock_time(app):
    person = app.login(app.register())
    for _ in range(5):
        _problem(app.login_step1(person, password="wrong password 123"), 401)
    # Locked: even the right password gets the same 401 as a wrong one (no account enumeration).
    locked = app.login_step1(person)
    assert locked.status_code == 401
    time.sleep(LOCK_SECONDS + 0.5)
    app.login(person)
    assert app.get("accounts/me", person).status_code == 200


def test_a_recovery_code_works_once(app):
    person = app.login(app.register())
    recovery = person.recovery_codes[0]
    challenge = app.login_step1(person).json()
    ok = app.post("auth/login/verify", json={"challenge_id": challenge["challenge_id"], "code": recovery})
    assert ok.status_code == 200, ok.text
    challenge = app.login_step1(person).json()
    again = app.post("auth/login/verify", json={"challenge_id": challenge["challenge_id"], "code": recovery})
    _problem(again, 401)


def test_unknown_email_and_wrong_password_get_the_same_answer(app):
    person = app.login(app.register())
    unknown = app.login_step1(Person(unique_email(), "whatever password"))
    wrong = app.login_step1(person, password="not the password 1")
    assert unknown.status_code == wrong.status_code == 401

    def comparable(response):
        body = response.json()
        body.pop("request_id", None)
        return body

    assert comparable(unknown) == comparable(wrong)
    # Login trouble points to DNV's support as configured (issue 10, ADR 0014), through the gateway.
    assert wrong.json()["support"] == SUPPORT
    assert "De support van DNV helpt je: hulp@dnv.test / 088 123 45 67." in wrong.json()["detail"]


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _unb64(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _bad_tokens(system, person) -> dict[str, str]:
    header, payload, signature = person.access_token.split(".")
    claims = _unb64(payload)
    forged = dict(claims, roles=["noloc_admin"])
    stranger, _ = generate_ed25519_jwk("unknown-kid")
    settings = IdentitySettings.from_env("identity", env=system.env)
    service = build_service(settings)
    try:
        with service.uow() as uow:
            kid, private = service.keys.signing_key(uow.signing_keys, datetime.now(UTC))
    finally:
        service.db.close()
    expired = access_token_claims(person.id, ["jobcoach"], issuer=settings.jwt_issuer,
                                  audience=settings.jwt_audience, ttl=timedelta(minutes=15),
                                  now=datetime.now(UTC) - timedelta(hours=1))
    return {
        "tampered payload": f"{header}.{_b64(forged)}.{signature}",
        "wrong signature": f"{header}.{payload}.{signature[::-1]}",
        "unknown kid": sign_token(stranger, "unknown-kid", claims),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'at+jwt', 'kid': _unb64(header)['kid']})}.{payload}.",
        "expired": sign_token(private, kid, expired),
    }


def test_bad_tokens_are_refused_by_the_gateway_and_by_identity_itself(app, system):
    person = app.login(app.register())
    bad = _bad_tokens(system, person)
    direct = Frontend(system.url("identity"))
    direct.base = system.url("identity") + "/v1"
    for name, token in bad.items():
        via_gateway = app.get("accounts/me", token=token)
        assert via_gateway.status_code == 401, (name, via_gateway.text)
        assert via_gateway.headers["Content-Type"].startswith("application/problem+json"), name
        at_identity = direct.get("accounts/me", token=token)
        assert at_identity.status_code == 401, (name, at_identity.text)
    assert app.get("accounts/me", person).status_code == 200


def test_bad_input_is_a_problem_naming_the_field_and_changes_nothing(app):
    email = unique_email()

    def attempt(**changes):
        fields = {"email": email, "full_name": "X", "password": "long enough password",
                  "membership_number": "12345678", **changes}
        return _problem(app.post("accounts", json=fields), 422)

    body = attempt(membership_number="12")
    assert set(body["errors"]) == {"membership_number"}
    assert set(attempt(password="short")["errors"]) == {"password"}
    assert set(attempt(roles=["noloc_admin"])["errors"]) == {"roles"}
    # None of the refused attempts left an account behind: the address is still free.
    assert app.register(email=email).account["email"] == email
    _problem(app.post("accounts", data="{not json", headers={"Content-Type": "application/json"}), 400)
    person = app.register()
    same_again = {"email": person.email.upper(), "full_name": "Y", "password": "long enough password",
                  "membership_number": person.account["membership_number"]}
    duplicate = app.post("accounts", json=same_again)  # the same answer as for new data (ADR 0018)
    assert duplicate.status_code == 202 and duplicate.json()["status"] == "check_email"
    english = Frontend(app.base.removesuffix("/api/v1"), language="en")
    assert _problem(english.post("accounts", json={}), 422)["title"] != body["title"]
