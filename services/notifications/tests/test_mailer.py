"""The e-mail as it leaves, and what SMTP's answers mean for the message."""
from __future__ import annotations

import smtplib
import uuid
from datetime import UTC, datetime

import pytest

from recert_notifications.mailer import Mail, build_message, classify
from recert_notifications.settings import NotificationsSettings

SETTINGS = NotificationsSettings.from_env("notifications", env={})


def _mail(**overrides) -> Mail:
    values = {"message_id": uuid.UUID("6f1c2b9e-8d7a-4a51-9f55-3f0a2d1e4c77"), "to_name": "Jet de Vries",
              "to_address": "jet@example.org", "subject": "Je portfolio is ingediend",
              "text": "Beste Jet,\n", "html": "<p>Beste Jet,</p>\n", "language": "nl",
              "created_at": datetime(2026, 11, 28, 9, 0, tzinfo=UTC)}
    return Mail(**{**values, **overrides})


def test_the_message_id_is_made_from_our_id_so_every_attempt_carries_the_same():
    first = build_message(_mail(), SETTINGS.sender_address)
    second = build_message(_mail(subject="anders"), SETTINGS.sender_address)
    assert first["Message-ID"] == "<6f1c2b9e-8d7a-4a51-9f55-3f0a2d1e4c77@registerjobcoach.nl>"
    assert second["Message-ID"] == first["Message-ID"]


def test_the_message_has_both_bodies_and_says_it_was_sent_automatically():
    message = build_message(_mail(), SETTINGS.sender_address)
    assert message["From"] == "Register Jobcoach <noreply@registerjobcoach.nl>"
    assert message["To"] == "Jet de Vries <jet@example.org>"
    assert message["Auto-Submitted"] == "auto-generated" and message["Content-Language"] == "nl"
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert message.get_body(("plain",)).get_content() == "Beste Jet,\n"


@pytest.mark.parametrize(("exc", "permanent", "connection"), [
    (smtplib.SMTPRecipientsRefused({"a@x": (550, b"5.1.1 no such user")}), True, False),
    (smtplib.SMTPRecipientsRefused({"a@x": (451, b"4.7.1 greylisted")}), False, False),
    (smtplib.SMTPDataError(554, b"5.7.1 rejected as spam"), True, False),
    (smtplib.SMTPDataError(451, b"4.3.0 try again later"), False, False),
    (smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials"), False, False),
    (smtplib.SMTPSenderRefused(553, b"5.7.1 sender not allowed", "noreply@x"), False, False),
    (smtplib.SMTPConnectError(421, b"4.3.2 service not available"), False, True),
    (smtplib.SMTPServerDisconnected("gone"), False, True),
    (ConnectionRefusedError(111, "Connection refused"), False, True),
    (TimeoutError("timed out"), False, True),
])
def test_smtp_answers_are_permanent_only_for_5xx_refusals_of_this_message(exc, permanent, connection):
    failure = classify(exc)
    assert (failure.permanent, failure.connection) == (permanent, connection)
    assert failure.error
