"""What notifications' integration tests share: a real SMTP server (aiosmtpd) that captures what it accepts
and can refuse chosen recipients for a while, a settable "today", and a harness that publishes other services'
events to the run's exchange, waits for the in-thread worker, mints tokens and looks inside the database."""
from __future__ import annotations

import email
import socket
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller
from kombu import Connection, Exchange, Producer

from recert_common.auth import access_token_claims, sign_token
from recert_common.events import Event, load_event, new_event

# With the test back-off (0.2 s doubling, at most 1 s), an e-mail fails for good 2.5 s after its first try.
MAX_ATTEMPTS = 5
PRODUCERS = {"identity": "identity", "portfolio": "portfolio", "assessment": "assessment",
             "certification": "assessment", "billing": "billing"}


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.02, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the SMTP server -------------------------------------------------------------------------------------


@dataclass
class Refusal:
    """Refuse a recipient at ``stage`` ("rcpt" or "data") with ``reply``, ``times`` times (None: always)."""

    reply: str
    stage: str = "rcpt"
    times: int | None = None
    refused: int = 0

    def applies(self) -> bool:
        return self.times is None or self.refused < self.times


@dataclass
class Received:
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()


@dataclass
class Mailbox:
    """aiosmtpd's handler: keeps every message it accepted; refuses recipients that have a ``Refusal``."""

    received: list[Received] = field(default_factory=list)
    refusals: dict[str, Refusal] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _refusal(self, addresses, stage: str) -> str | None:
        with self.lock:
            for address in addresses:
                rule = self.refusals.get(address)
                if rule is not None and rule.stage == stage and rule.applies():
                    rule.refused += 1
                    return rule.reply
        return None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd)
        refused = self._refusal([address], "rcpt")
        if refused:
            return refused
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        refused = self._refusal(envelope.rcpt_tos, "data")
        if refused:
            return refused
        message = email.message_from_bytes(envelope.content, policy=default)
        with self.lock:
            self.received.append(Received(list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if address in r.recipients]

    def all(self) -> list[Received]:
        with self.lock:
            return list(self.received)


class SmtpServer:
    """A real SMTP server on a free port; ``stop()`` and ``start()`` take it down and up on the same port."""

    def __init__(self):
        self.port = free_port()
        self.mailbox = Mailbox()
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


# --- people, events, tokens ------------------------------------------------------------------------------


@dataclass
class Person:
    account_id: uuid.UUID
    full_name: str
    email: str
    language: str
    roles: list[str]
    token: str = ""


class Clock:
    """The service's "today"; tests move it to stand where a reminder is due."""

    def __init__(self):
        self.day = date.today()

    def __call__(self) -> date:
        return self.day


class Harness:
    def __init__(self, *, app, service, settings, db, amqp_url, private_jwk, clock: Clock, smtp: SmtpServer):
        self.app = app
        self.http = app.test_client()
        self.service = service
        self.settings = settings
        self.db = db
        self.amqp_url = amqp_url
        self.private_jwk = private_jwk
        self.clock = clock
        self.smtp = smtp
        self.published: list[Event] = []

    @property
    def mailbox(self) -> Mailbox:
        return self.smtp.mailbox

    # --- tokens and HTTP ---------------------------------------------------------------------------------

    def token(self, account_id: uuid.UUID, *roles: str) -> str:
        claims = access_token_claims(account_id, roles, issuer=self.settings.jwt_issuer,
                                     audience=self.settings.jwt_audience)
        return sign_token(self.private_jwk, self.private_jwk["kid"], claims)

    def request(self, method: str, path: str, token: str | None, **kwargs):
        headers = dict(kwargs.pop("headers", None) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.open(path, method=method, headers=headers, **kwargs)

    def get(self, path, token, **kwargs):
        return self.request("GET", path, token, **kwargs)

    def post(self, path, token, **kwargs):
        return self.request("POST", path, token, **kwargs)

    # --- events ------------------------------------------------------------------------------------------

    def _send(self, body: str, routing_key: str) -> None:
        with Connection(self.amqp_url, transport_options={"confirm_publish": True}) as conn:
            Producer(conn.channel()).publish(
                body, exchange=Exchange(self.settings.exchange, type="topic", durable=True),
                routing_key=routing_key, content_type="application/json", content_encoding="utf-8",
                delivery_mode=2)

    def publish(self, type_: str, data: dict, *, subject=None, wait: bool = True) -> Event:
        """Publish as the producing service would; wait until notifications' consumer has handled it."""
        event = new_event(type_, data, producer=PRODUCERS[type_.split(".")[0]],
                          subject=subject if subject is not None else data.get("account_id"))
        self._send(event.to_json(), type_)
        self.published.append(event)
        if wait:
            self.wait_handled(event.id)
        return event

    def redeliver(self, event: Event) -> None:
        """The very same envelope again, as the broker does after a lost acknowledgement."""
        self._send(event.to_json(), event.type)

    def republish(self, event: Event) -> Event:
        """The same fact in a new envelope (a new event id), as a producer's schedule that ran twice sends."""
        return self.publish(event.type, load_event(event.to_json()).data, subject=event.subject)

    def wait_handled(self, *event_ids: uuid.UUID) -> None:
        wanted = [str(i) for i in event_ids]
        wait_for(lambda: self.scalar("SELECT count(*) FROM inbox WHERE event_id::text = ANY(%s)", wanted)
                 == len(wanted), message=f"events {wanted} handled")

    def person(self, full_name: str, *roles: str, language: str = "nl", register: bool = True) -> Person:
        account_id = uuid.uuid4()
        slug = full_name.lower().replace(" ", ".")
        person = Person(account_id, full_name, f"{slug}.{account_id.hex[:6]}@example.org", language,
                        list(roles) or ["jobcoach"])
        person.token = self.token(account_id, *person.roles)
        if register:
            self.register(person)
        return person

    def profile(self, person: Person) -> dict[str, Any]:
        jobcoach = "jobcoach" in person.roles
        return {"account_id": person.account_id, "email": person.email, "full_name": person.full_name,
                "roles": person.roles, "membership_kind": "member" if jobcoach else None,
                "membership_number": str(person.account_id.int % 90_000_000 + 10_000_000) if jobcoach
                else None,
                "preferred_language": person.language}

    def register(self, person: Person) -> Event:
        return self.publish("identity.account.registered", self.profile(person))

    # --- looking inside ----------------------------------------------------------------------------------

    def rows(self, sql: str, *params) -> list[dict]:
        with self.db.transaction() as conn:
            return conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, *params):
        with self.db.transaction() as conn:
            row = conn.execute(sql, params).fetchone()
        return next(iter(row.values()))

    def messages(self, person: Person, channel: str | None = None) -> list[dict]:
        return [m for m in self.rows("SELECT * FROM messages WHERE recipient_id = %s ORDER BY created_at",
                                     person.account_id) if channel is None or m["channel"] == channel]

    def settle(self, timeout: float = 20.0) -> None:
        """Until no e-mail waits for a try (failed ones count as settled)."""
        wait_for(lambda: self.scalar("SELECT count(*) FROM messages WHERE state = 'pending'") == 0,
                 timeout=timeout, message="every e-mail sent or failed")

    def wait_mail(self, person: Person, count: int = 1) -> list[Received]:
        return wait_for(lambda: (found := self.mailbox.to(person.email)) and len(found) >= count and found,
                        message=f"{count} mail(s) to {person.email}")

    def outbox(self, type_: str) -> list[dict]:
        rows = self.rows("SELECT body FROM outbox WHERE event_type = %s ORDER BY seq", type_)
        return [r["body"] for r in rows]


def subjects(received: list[Received]) -> Counter:
    return Counter((recipient, r.subject) for r in received for recipient in r.recipients)
