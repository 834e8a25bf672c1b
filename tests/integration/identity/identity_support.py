"""What identity's integration tests share: a client that takes the steps a person takes, TOTP codes as
an authenticator app computes them, and a look into the outbox."""
from __future__ import annotations

import time
import uuid
from urllib.parse import parse_qs, urlparse

import pyotp

PASSWORD = "correct horse battery"


def unique_email(prefix: str = "coach") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}@example.org"


def unique_member_number() -> str:
    return str(uuid.uuid4().int % 90_000_000 + 10_000_000)  # 8 digits


def secret_of(otpauth_uri: str) -> str:
    return parse_qs(urlparse(otpauth_uri).query)["secret"][0]


def code(secret: str, steps_from_now: int = 0) -> str:
    """The TOTP code ``steps_from_now`` steps away, computed as an authenticator app would.

    Waits out the last 2 seconds of a step first, so that the server checks within the same step.
    """
    if 30 - time.time() % 30 < 2:
        time.sleep(30 - time.time() % 30 + 0.05)
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(time.time()) + steps_from_now)


def outbox(conn, subject=None) -> list[dict]:
    """The events in the outbox (the producer's side of the contract), oldest first."""
    rows = conn.execute("SELECT body FROM outbox ORDER BY seq").fetchall()
    bodies = [row["body"] for row in rows]
    return [b for b in bodies if subject is None or b["subject"] == str(subject)]


def latest_token(conn, email, event_type) -> str:
    account = conn.execute("SELECT id FROM accounts WHERE lower(email) = lower(%s)", (email,)).fetchone()
    assert account is not None, email
    bodies = [b for b in outbox(conn, account["id"]) if b["type"] == event_type]
    assert bodies, f"no {event_type} for {email}"
    return bodies[-1]["data"]["token"]


def event_types(conn, subject) -> list[str]:
    return [body["type"] for body in outbox(conn, subject)]


class IdentityClient:
    """The Flask test client with the steps a person takes."""

    def __init__(self, app, service):
        self.app = app
        self.service = service
        self.http = app.test_client()

    def post(self, path, json=None, token=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.post(path, json=json, headers=headers, **kwargs)

    def get(self, path, token=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.get(path, headers=headers, **kwargs)

    def patch(self, path, json=None, token=None):
        return self.http.patch(path, json=json, headers={"Authorization": f"Bearer {token}"} if token else {})

    def register(self, email=None, number=None, password=PASSWORD, **extra) -> dict:
        """Register and confirm the address with the link's token, as its owner would: the account."""
        body = {"email": email or unique_email(), "full_name": "Jan Jansen", "password": password,
                "membership_number": number or unique_member_number(), **extra}
        response = self.post("/v1/accounts", json=body)
        assert response.status_code == 202, response.get_json()
        token = self.mailed_token(body["email"], "identity.email.verification_requested")
        response = self.post("/v1/accounts/verify-email", json={"token": token, "password": password})
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def mailed_token(self, email, event_type) -> str:
        """The token of the latest link of ``event_type`` for ``email``: what notifications would e-mail."""
        with self.service.db.transaction() as conn:
            return latest_token(conn, email, event_type)

    def login(self, email, password=PASSWORD):
        return self.post("/v1/auth/login", json={"email": email, "password": password})

    def challenge(self, email, password=PASSWORD) -> dict:
        response = self.login(email, password)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def verify(self, challenge_id, code_):
        return self.post("/v1/auth/login/verify", json={"challenge_id": challenge_id, "code": code_})

    def enrolled(self, email=None, password=PASSWORD, **register) -> Person:
        """A registered jobcoach who has completed the first login (enrolment)."""
        account = self.register(email=email, password=password, **register)
        challenge = self.challenge(account["email"], password)
        assert challenge["kind"] == "enrol"
        secret = secret_of(challenge["otpauth_uri"])
        response = self.verify(challenge["challenge_id"], code(secret, -1))
        assert response.status_code == 200, response.get_json()
        return Person(account, secret, response.get_json(), password)

    def enrolled_staff(self, roles=("noloc_admin",)) -> Person:
        email = unique_email("staff")
        account = self.service.create_staff(email=email, full_name="Sam Staf", password=PASSWORD, roles=roles)
        challenge = self.challenge(email)
        secret = secret_of(challenge["otpauth_uri"])
        response = self.verify(challenge["challenge_id"], code(secret, -1))
        assert response.status_code == 200, response.get_json()
        return Person({"id": str(account.id), "email": email}, secret, response.get_json(), PASSWORD)

    def log_in(self, person: Person, steps_from_now: int) -> dict:
        challenge = self.challenge(person.email, person.password)
        response = self.verify(challenge["challenge_id"], code(person.secret, steps_from_now))
        assert response.status_code == 200, response.get_json()
        return response.get_json()


class Person:
    def __init__(self, account, secret, tokens, password):
        self.account, self.secret, self.tokens, self.password = account, secret, tokens, password

    @property
    def email(self) -> str:
        return self.account["email"]

    @property
    def id(self) -> str:
        return self.account["id"]
