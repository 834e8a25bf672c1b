"""A real SMTP server for the end-to-end tests: notifications sends its e-mails to it, and the tests read
them as the person would in their mailbox (the subject, the text, the link in it)."""
from __future__ import annotations

import collections
import email
import re
import threading
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller

from frontend import RESET_PASSWORD, VERIFY_EMAIL, token_in_mail
from ports import free_port

LINK_PATHS = {VERIFY_EMAIL: "/e-mailadres-bevestigen", RESET_PASSWORD: "/nieuw-wachtwoord"}


REFUSED_PREFIX = "geweigerd-"


class Mailbox:
    """aiosmtpd's handler: every message it accepts, parsed. ``port`` is where the server listens."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        # The same messages by the (lower-case) address they were delivered to: ``to`` is asked many times a
        # second by many threads in the soak, and reading every message's To header each time starved the
        # server's own thread until senders timed out.
        self.mailboxes: dict[str, list[email.message.EmailMessage]] = collections.defaultdict(list)
        self.lock = threading.Lock()
        self.port = 0
        # While set, every recipient is refused for now (451), as a server refuses when overloaded or in
        # maintenance: the sender is to try again later (the soak's fault, soak.py).
        self.refusing = False
        self.refused = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        """Refuse an address starting with REFUSED_PREFIX for good (550), as a server refuses an unknown
        mailbox: the e-mail to it fails. While ``refusing``, refuse every address for now (451)."""
        if address.lower().startswith(REFUSED_PREFIX):
            return "550 5.1.1 Mailbox unavailable"
        if self.refusing:
            with self.lock:
                self.refused += 1
            return "451 4.3.2 System not accepting messages now, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        with self.lock:
            self.messages.append(message)
            for address in envelope.rcpt_tos:
                self.mailboxes[address.lower()].append(message)
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        """The messages delivered to ``address``, in arrival order."""
        with self.lock:
            return list(self.mailboxes.get(address.lower(), ()))

    def texts(self, address: str) -> list[tuple[str, str]]:
        """(subject, plain text) of every e-mail to ``address``, in arrival order."""
        return [(str(m["Subject"]), m.get_body(preferencelist=("plain",)).get_content())
                for m in self.to(address)]

    def token(self, address: str, kind: str) -> str | None:
        """The token of the newest link of ``kind`` in the e-mails to ``address`` (what the person clicks)."""
        path = LINK_PATHS[kind] + "?"
        found = [token_in_mail(text) for _, text in self.texts(address) if path in text]
        return found[-1] if found else None

    def link(self, address: str, path: str) -> str | None:
        """The newest link to ``path`` (``/e-mailadres-bevestigen``) in the e-mails to ``address``, as the
        path and query the person's browser opens."""
        pattern = re.compile(r"https?://[^/\s]+(" + re.escape(path) + r"\?token=[A-Za-z0-9_-]+)")
        found = [m.group(1) for _, text in self.texts(address) for m in pattern.finditer(text)]
        return found[-1] if found else None


def mailbox_fixture(scope: str = "module", name: str = "mailbox"):
    """A ``mailbox`` fixture (module-scoped unless said): the SMTP server runs while the scope's tests do."""

    @pytest.fixture(scope=scope, name=name)
    def mailbox():
        box = Mailbox()
        box.port = free_port()
        controller = Controller(box, hostname="127.0.0.1", port=box.port)
        controller.start()
        yield box
        controller.stop()

    return mailbox
