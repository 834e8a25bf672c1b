"""E-mail over SMTP: building the message and handing it to the configured server.

Every message carries a ``Message-ID`` made from our message id, the same on every attempt: if the server
accepted a message but we could not record that (the process crashed between the server's "250" and our
commit), the next attempt sends it again under the same ``Message-ID``, which receiving systems use to drop
duplicates. That window is the only way a person can get an e-mail twice (a database failing there is
remembered by the worker instead); see ``service.NotificationsService.send_due``.

A failure says whether it is ``permanent`` (the server refused this recipient or message with a 5xx code:
trying again cannot help) and whether it was the ``connection`` (the server is unreachable: the sender
stops its batch rather than try every due message against a server that is down).
"""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from uuid import UUID

from recert_notifications.settings import NotificationsSettings


@dataclass(frozen=True)
class Mail:
    message_id: UUID
    to_name: str
    to_address: str
    subject: str
    text: str
    html: str
    language: str
    created_at: datetime


class SendFailed(Exception):
    def __init__(self, error: str, *, permanent: bool = False, connection: bool = False):
        super().__init__(error)
        self.error = error
        self.permanent = permanent
        self.connection = connection


def message_id_header(message_id: UUID, domain: str) -> str:
    return f"<{message_id}@{domain}>"


def build_message(mail: Mail, sender: Address) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = Address(display_name=mail.to_name, addr_spec=mail.to_address)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = message_id_header(mail.message_id, sender.domain)
    # Out-of-office replies and the like should not answer a notification (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    # After the bodies: making the message multipart moves every Content-* header into its first part.
    message["Content-Language"] = mail.language
    return message


def _decoded(text: bytes | str) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def classify(exc: Exception) -> SendFailed:
    """What an exception from smtplib (or the socket beneath it) means for the message."""
    if isinstance(exc, SendFailed):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = list(exc.recipients.values())
        text = "; ".join(f"{code} {_decoded(reply)}" for code, reply in answers)
        return SendFailed(f"recipient refused: {text}",
                          permanent=bool(answers) and all(500 <= code < 600 for code, _ in answers))
    # Refused logins and senders are our configuration, not this message: worth trying again once fixed.
    if isinstance(exc, (smtplib.SMTPAuthenticationError, smtplib.SMTPSenderRefused)):
        return SendFailed(f"{exc.smtp_code} {_decoded(exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPConnectError):
        return SendFailed(f"{exc.smtp_code} {_decoded(exc.smtp_error)}", connection=True)
    if isinstance(exc, smtplib.SMTPResponseException):
        return SendFailed(f"{exc.smtp_code} {_decoded(exc.smtp_error)}",
                          permanent=500 <= exc.smtp_code < 600)
    if isinstance(exc, (smtplib.SMTPServerDisconnected, OSError)):
        return SendFailed(f"{type(exc).__name__}: {exc}", connection=True)
    return SendFailed(f"{type(exc).__name__}: {exc}")


class SmtpMailer:
    """One SMTP session, opened on the first send and reused for the batch; ``close`` ends it."""

    def __init__(self, settings: NotificationsSettings):
        self.settings = settings
        self.sender = settings.sender_address
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if s.smtp_ssl:
            smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds, context=context)
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
        try:
            if s.smtp_starttls:
                smtp.starttls(context=context)
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, mail: Mail) -> None:
        """Hand ``mail`` to the server; raises ``SendFailed``."""
        try:
            message = build_message(mail, self.sender)
        except (ValueError, TypeError) as exc:  # an address the e-mail library cannot write: never sendable
            raise SendFailed(f"cannot build the message: {exc}", permanent=True) from exc
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(message)
        except Exception as exc:
            # After any error the session's state is unknown: start the next message on a new one.
            self.close()
            raise classify(exc) from exc

    def close(self) -> None:
        if self._smtp is None:
            return
        smtp, self._smtp = self._smtp, None
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
