"""A frontend's view of the system: HTTP calls to the gateway only, as a web or mobile app makes them.

TOTP codes are computed from the otpauth URI the way an authenticator app does, so the end-to-end tests go
through exactly the steps a person takes.
"""
from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

import jwt
import psycopg
import pyotp
import requests
from psycopg.rows import dict_row

PASSWORD = "correct horse battery staple"


def unique_email(prefix: str = "coach") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}@example.org"


def unique_member_number() -> str:
    return str(uuid.uuid4().int % 90_000_000 + 10_000_000)


def totp_secret(otpauth_uri: str) -> str:
    return parse_qs(urlparse(otpauth_uri).query)["secret"][0]


def totp_code(secret: str, steps_from_now: int = 0) -> str:
    """The code of the time step ``steps_from_now`` away; waits out the last 2 s of a step first so the
    server sees the same step."""
    if 30 - time.time() % 30 < 2:
        time.sleep(30 - time.time() % 30 + 0.05)
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(time.time()) + steps_from_now)


VERIFY_EMAIL, RESET_PASSWORD = "identity.email.verification_requested", "identity.password.reset_requested"


def outbox_tokens(identity_database_url: str) -> Callable[[str, str], str | None]:
    """Where a test without an SMTP server finds the link's token: the event identity recorded for
    notifications to e-mail (``kind``: VERIFY_EMAIL or RESET_PASSWORD), latest first; None when absent."""

    def token(email: str, kind: str) -> str | None:
        with psycopg.connect(identity_database_url, row_factory=dict_row) as conn:
            row = conn.execute(
                """SELECT o.body FROM outbox o JOIN accounts a ON o.body->>'subject' = a.id::text
                   WHERE lower(a.email) = lower(%s) AND o.body->>'type' = %s ORDER BY o.seq DESC LIMIT 1""",
                (email, kind)).fetchone()
        return row["body"]["data"]["token"] if row else None

    return token


LINK_TOKEN = re.compile(r"\?token=([A-Za-z0-9_-]+)")


def token_in_mail(text: str) -> str | None:
    """The token of the link in an e-mail's text."""
    match = LINK_TOKEN.search(text)
    return match.group(1) if match else None


@dataclass
class Person:
    email: str
    password: str
    account: dict = field(default_factory=dict)
    secret: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    recovery_codes: list[str] = field(default_factory=list)
    # Each login must use a fresh time step (replayed steps are refused); this walks backwards within the
    # +-1 window and then waits for the next step.
    _used_steps: set[int] = field(default_factory=set)

    @property
    def id(self) -> str:
        return self.account["id"]

    def fresh_code(self) -> str:
        totp = pyotp.TOTP(self.secret)
        while True:
            if 30 - time.time() % 30 < 2:
                time.sleep(30 - time.time() % 30 + 0.05)
            now = totp.timecode(time.time())
            for step in (now, now - 1, now + 1):
                if step not in self._used_steps and all(step > used for used in self._used_steps):
                    self._used_steps.add(step)
                    return totp.generate_otp(step)
            time.sleep(30 - time.time() % 30 + 0.05)


class Frontend:
    def __init__(self, base_url: str, language: str = "nl",
                 mail: Callable[[str, str], str | None] | None = None):
        """``mail(email, kind)``: the token of the latest link of ``kind`` e-mailed to ``email`` (the
        person opening their mailbox), e.g. ``outbox_tokens``; needed to register."""
        self.base = base_url.rstrip("/") + "/api/v1"
        self.http = requests.Session()
        self.language = language
        self.mail = mail

    def call(self, method: str, path: str, person: Person | None = None, token: str | None = None,
             **kwargs) -> requests.Response:
        headers = {"Accept-Language": self.language, **kwargs.pop("headers", {})}
        if person is not None and token is None and _expiring(person.access_token) and person.refresh_token:
            # As the portal does: a person whose access token ran out (a module's staff actor on a slow
            # machine) refreshes it rather than failing with 401.
            self.refresh(person)
        token = token or (person.access_token if person else None)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, f"{self.base}/{path.lstrip('/')}", headers=headers, timeout=30,
                                 **kwargs)

    def get(self, path, person=None, **kwargs):
        return self.call("GET", path, person, **kwargs)

    def post(self, path, person=None, **kwargs):
        return self.call("POST", path, person, **kwargs)

    def put(self, path, person=None, **kwargs):
        return self.call("PUT", path, person, **kwargs)

    def patch(self, path, person=None, **kwargs):
        return self.call("PATCH", path, person, **kwargs)

    def delete(self, path, person=None, **kwargs):
        return self.call("DELETE", path, person, **kwargs)

    # -- identity ----------------------------------------------------------------------------------------
    def register(self, email: str | None = None, number: str | None = None, password: str = PASSWORD,
                 **extra) -> Person:
        person = Person(email or unique_email(), password)
        body = {"email": person.email, "full_name": extra.pop("full_name", "Jan Jansen"),
                "password": password, "membership_number": number or unique_member_number(), **extra}
        response = self.post("accounts", json=body)
        assert response.status_code == 202, response.text
        person.account = self.verify_email(person.email, password)
        return person

    def verify_email(self, email: str, password: str) -> dict:
        """Open the link in the verification e-mail and give the password chosen at registration: the
        verified account."""
        assert self.mail is not None, "this Frontend has no mailbox to read the verification link from"
        token = _eventually_token(lambda: self.mail(email, VERIFY_EMAIL), email)
        response = self.post("accounts/verify-email", json={"token": token, "password": password})
        assert response.status_code == 200, response.text
        return response.json()

    def login_step1(self, person: Person, password: str | None = None) -> requests.Response:
        return self.post("auth/login", json={"email": person.email, "password": password or person.password})

    def login(self, person: Person) -> Person:
        """Both steps; enrols the authenticator on the first login."""
        step1 = self.login_step1(person)
        assert step1.status_code == 200, step1.text
        challenge = step1.json()
        if challenge["kind"] == "enrol":
            person.secret = totp_secret(challenge["otpauth_uri"])
        step2 = self.post("auth/login/verify", json={"challenge_id": challenge["challenge_id"],
                                                     "code": person.fresh_code()})
        assert step2.status_code == 200, step2.text
        tokens = step2.json()
        person.access_token, person.refresh_token = tokens["access_token"], tokens["refresh_token"]
        person.recovery_codes = tokens.get("recovery_codes", person.recovery_codes)
        return person

    def refresh(self, person: Person) -> requests.Response:
        response = self.post("auth/refresh", json={"refresh_token": person.refresh_token})
        if response.status_code == 200:
            person.access_token = response.json()["access_token"]
            person.refresh_token = response.json()["refresh_token"]
        return response


def _expiring(access_token: str | None, margin: float = 5.0) -> bool:
    if not access_token:
        return False
    expires = jwt.decode(access_token, options={"verify_signature": False}).get("exp")
    return expires is not None and expires - margin <= time.time()


def _eventually_token(find: Callable[[], str | None], email: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while (token := find()) is None:
        assert time.monotonic() < deadline, f"no link e-mailed to {email}"
        time.sleep(0.1)
    return token
