"""The demo's frontend: HTTP calls to the gateway as a web app makes them, TOTP codes computed the way an
authenticator app does, and the loud failure a step raises when the system does not do what it should.

Nothing here imports the services: the demo sees the platform only through its public HTTP API.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pyotp
import requests

TOTP_STEP_SECONDS = 30
# A code typed in the last moments of its time step may reach the server in the next one.
TOTP_SAFETY_SECONDS = 2.0
# The gateway limits logins per client address; a demo run twice in a minute may meet that limit.
MAX_RATE_LIMIT_WAIT = 65.0


class StepFailed(Exception):
    """The system did not do what the step expects: what was expected, and what came back instead."""

    def __init__(self, expected: str, observed: str):
        super().__init__(f"{expected}: {observed}")
        self.expected = expected
        self.observed = observed


class UnknownAuthenticator(StepFailed):
    """The account has an authenticator app linked whose secret the demo does not have."""


def describe(response: requests.Response) -> str:
    """Status and, for a problem+json answer, its title, detail and field errors; else the body's start."""
    text = f"HTTP {response.status_code}"
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and ("title" in body or "detail" in body):
        text += f" {body.get('title', '')}".rstrip()
        if body.get("detail"):
            text += f" - {body['detail']}"
        if body.get("errors"):
            text += f" {json.dumps(body['errors'], ensure_ascii=False)}"
    elif response.text:
        snippet = response.text.strip().replace("\n", " ")
        text += f" {snippet[:300]}"
    return text


class Gateway:
    """The gateway's /api/v1 as a frontend calls it: one HTTP session, Dutch answers, a bearer token."""

    def __init__(self, base_url: str, *, language: str = "nl", timeout: float = 30.0,
                 on_wait: Callable[[str], None] | None = None):
        self.origin = base_url.rstrip("/")
        self.base = self.origin + "/api/v1"
        self.http = requests.Session()
        self.language = language
        self.timeout = timeout
        self.on_wait = on_wait or (lambda message: None)

    def call(self, method: str, path: str, token: str | None = None, *, expect: Iterable[int] = (200,),
             what: str | None = None, **kwargs: Any) -> requests.Response:
        """One request; any status outside ``expect`` fails the step, naming ``what`` was attempted."""
        headers = {"Accept-Language": self.language, **kwargs.pop("headers", {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        url = f"{self.base}/{path.lstrip('/')}"
        waited = 0.0
        while True:
            response = self.http.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
            retry_after = _retry_after(response)
            if response.status_code != 429 or retry_after is None \
                    or waited + retry_after > MAX_RATE_LIMIT_WAIT:
                break
            self.on_wait(f"de gateway remt {method} {path} af: {retry_after:g} s wachten")
            time.sleep(retry_after)
            waited += retry_after
        expected = tuple(expect)
        if response.status_code not in expected:
            wanted = " of ".join(str(status) for status in expected)
            raise StepFailed(f"{what or method + ' ' + path}: verwacht HTTP {wanted}", describe(response))
        return response

    def get(self, path: str, token: str | None = None, **kwargs: Any) -> Any:
        """GET that must answer 200; the JSON body."""
        return self.call("GET", path, token, **kwargs).json()

    def ready(self) -> bool:
        try:
            return self.http.get(f"{self.origin}/readyz", timeout=3).status_code == 200
        except requests.RequestException:
            return False


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def poll(expected: str, probe: Callable[[], tuple[Any, str]], *, timeout: float,
         interval: float = 0.2) -> Any:
    """Events take a moment to travel: call ``probe`` until its first value is truthy.

    ``probe`` answers ``(value, what it saw)``; on timeout the step fails with the last thing it saw."""
    deadline = time.monotonic() + timeout
    while True:
        value, seen = probe()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise StepFailed(f"{expected} (binnen {timeout:g} s)", f"na {timeout:g} s nog steeds: {seen}")
        time.sleep(interval)


# --- TOTP --------------------------------------------------------------------------------------------------


def totp_secret(otpauth_uri: str) -> str:
    return parse_qs(urlparse(otpauth_uri).query)["secret"][0]


@dataclass
class Authenticator:
    """An authenticator app for one account. Identity refuses a time step at or before the last one it
    accepted, so each code comes from a later step than the previous one (waiting when needed)."""

    secret: str
    last_step: int | None = None

    def fresh_code(self, on_wait: Callable[[str], None] | None = None) -> str:
        totp = pyotp.TOTP(self.secret)
        while True:
            remaining = TOTP_STEP_SECONDS - time.time() % TOTP_STEP_SECONDS
            if remaining < TOTP_SAFETY_SECONDS:
                time.sleep(remaining + 0.05)
            now = totp.timecode(time.time())
            # The server accepts one step either way. The earliest unused one leaves the later ones for the
            # next logins, so that runs of the demo right after each other need not wait for a new step.
            for step in (now - 1, now, now + 1):
                if self.last_step is None or step > self.last_step:
                    self.last_step = step
                    return totp.generate_otp(step)
            remaining = TOTP_STEP_SECONDS - time.time() % TOTP_STEP_SECONDS
            if on_wait:
                on_wait(f"elke TOTP-code werkt maar een keer: {remaining:.0f} s wachten op de volgende")
            time.sleep(remaining + 0.05)


class Keyring:
    """The staff's authenticator secrets, kept between demo runs (``.dev/demo-staff.json``): staff enrol on
    their first login, and a later run must log in with the same secret."""

    def __init__(self, path: Path):
        self.path = path
        self.entries: dict[str, dict[str, Any]] = json.loads(path.read_text()) if path.exists() else {}

    def authenticator(self, email: str) -> Authenticator | None:
        entry = self.entries.get(email)
        return Authenticator(entry["secret"], entry.get("last_step")) if entry else None

    def remember(self, email: str, authenticator: Authenticator, recovery_codes: list[str] | None) -> None:
        entry = self.entries.setdefault(email, {})
        entry.update(secret=authenticator.secret, last_step=authenticator.last_step)
        if recovery_codes:
            entry["recovery_codes"] = recovery_codes
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.entries, indent=2))
        temporary.chmod(0o600)
        os.replace(temporary, self.path)

    def forget(self, email: str) -> None:
        self.entries.pop(email, None)


# --- people ------------------------------------------------------------------------------------------------


@dataclass
class Session:
    """A logged-in person."""

    email: str
    token: str
    account: dict[str, Any] = field(default_factory=dict)
    enrolled_now: bool = False
    recovery_codes: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.account["id"]

    @property
    def name(self) -> str:
        return self.account.get("full_name") or self.email


def log_in(gateway: Gateway, email: str, password: str, *,
           keyring: Keyring | None = None) -> tuple[Session, Authenticator]:
    """Both login steps. An enrolment challenge links a new authenticator (kept in ``keyring`` when given);
    a TOTP challenge needs the authenticator linked before."""
    step1 = gateway.call("POST", "auth/login", json={"email": email, "password": password},
                         what=f"inloggen als {email} (stap 1, wachtwoord)").json()
    if step1.get("kind") == "enrol":
        if not step1.get("otpauth_uri"):
            raise StepFailed(f"inloggen als {email}: een otpauth-URI om de app te koppelen",
                             json.dumps(step1)[:300])
        authenticator = Authenticator(totp_secret(step1["otpauth_uri"]))
    else:
        authenticator = keyring.authenticator(email) if keyring else None
        if authenticator is None:
            where = f" ({keyring.path})" if keyring else ""
            raise UnknownAuthenticator(
                f"inloggen als {email}: het geheim van de gekoppelde authenticator-app{where}",
                "het account heeft al een app gekoppeld die de demo niet kent; laat een Noloc-beheerder de "
                "app ontkoppelen (POST /api/v1/admin/accounts/{id}/totp-reset) of begin opnieuw "
                "(make clean && make dev)")
    code = authenticator.fresh_code(gateway.on_wait)
    step2 = gateway.call("POST", "auth/login/verify",
                         json={"challenge_id": step1["challenge_id"], "code": code},
                         what=f"inloggen als {email} (stap 2, TOTP-code)").json()
    recovery_codes = step2.get("recovery_codes") or []
    if keyring is not None:
        keyring.remember(email, authenticator, recovery_codes)
    session = Session(email, step2["access_token"], enrolled_now=step1.get("kind") == "enrol",
                      recovery_codes=recovery_codes)
    session.account = gateway.get("accounts/me", session.token, what=f"het account van {email}")
    return session, authenticator
