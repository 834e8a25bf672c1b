"""What notifications' integration tests share: a real SMTP server (aiosmtpd) that captures what it accepts
and can refuse chosen recipients for a while, and a harness (on top of service_harness's) that publishes other
services' events, redelivers them, and waits for e-mails."""
from __future__ import annotations

import dataclasses
import email
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

from recert_common.events import Event, load_event, new_event

from ports import free_port
from service_harness import Clock, ServiceHarness, wait_for

# With the test back-off (0.2 s doubling, at most 1 s), an e-mail fails for good 2.5 s after its first try.
MAX_ATTEMPTS = 5
PRODUCERS = {"identity": "identity", "portfolio": "portfolio", "assessment": "assessment",
             "certification": "assessment", "billing": "billing"}


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


class Harness(ServiceHarness):
    producers = PRODUCERS

    def __init__(self, *, smtp: SmtpServer, clock: Clock, **parts):
        super().__init__(clock=clock, **parts)
        self.smtp = smtp
        self.published: list[Event] = []

    @property
    def mailbox(self) -> Mailbox:
        return self.smtp.mailbox

    # --- events ------------------------------------------------------------------------------------------

    def publish(self, type_: str, data: dict, *, subject=None, wait: bool = True) -> Event:
        """Publish as the producing service would (about the account in ``data`` unless told otherwise);
        wait until notifications' consumer has handled it."""
        if subject is None:
            subject = data.get("account_id")
        event = super().publish(type_, data, subject=subject, wait=False)
        self.published.append(event)
        if wait:
            self.wait_handled(event.id)
        return event

    def redeliver(self, event: Event) -> None:
        """The very same envelope again, as the broker does after a lost acknowledgement."""
        self.publish_raw(event.to_json(), event.type)

    def republish(self, event: Event) -> Event:
        """The same fact in a new envelope (a new event id), as a producer's schedule that ran twice sends."""
        return self.publish(event.type, load_event(event.to_json()).data, subject=event.subject)

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


def subjects(received: list[Received]) -> Counter:
    return Counter((recipient, r.subject) for r in received for recipient in r.recipients)


def event_at(type_: str, data: dict, at: datetime) -> Event:
    """Another service's event as its producer makes it, dated ``at`` (to deliver it late, or early)."""
    made = new_event(type_, data, producer=PRODUCERS[type_.split(".")[0]], subject=data.get("account_id"))
    return dataclasses.replace(made, occurred_at=at)


def deliver_in_order(h, *events: Event) -> None:
    """One after the other, each handled before the next is published: the order they are handled in."""
    for event in events:
        h.publish_raw(event.to_json(), event.type)
        h.wait_handled(event.id)
