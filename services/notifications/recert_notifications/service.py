"""Notifications' use cases.

Making messages (``notify``, ``deliver_parked``) runs inside the consumer's transaction: the read-model
update, the message rows and their outbox events commit together with the inbox row of the event.

Sending (``send_due``) claims one due e-mail at a time with ``FOR UPDATE SKIP LOCKED``, hands it to the SMTP
server and records the outcome in the same transaction, so two workers never send the same row. The one
window in which a message can go out twice: the server accepted it and the process died (or the database
failed) before the commit. The row is then still pending and is sent again, with the same ``Message-ID``
header (made from the message id) so that mail systems can drop the duplicate. E-mail is therefore
at-least-once at the SMTP level and exactly-once in our records; in-app messages are exactly-once.

Reading and marking the inbox, and the operators' view of failed e-mail, are one short transaction each.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg

from recert_common import bus
from recert_common.clock import utcnow
from recert_common.db import Database
from recert_common.events import Event, load_event
from recert_common.events import get as event_schema
from recert_notifications import domain, store
from recert_notifications.domain import Channel, Contact, Notice, State
from recert_notifications.mailer import Mail, SendFailed, SmtpMailer
from recert_notifications.problems import NotFailed, not_found
from recert_notifications.settings import NotificationsSettings
from recert_notifications.templates import Renderer, Support

PRODUCER = "notifications"
_log = logging.getLogger(__name__)


class NotificationsService:
    def __init__(self, db: Database, settings: NotificationsSettings, *, renderer: Renderer | None = None,
                 mailer_factory: Callable[[], Any] | None = None, today: Callable[[], date] | None = None,
                 now: Callable[[], datetime] = utcnow):
        self.db = db
        self.settings = settings
        self.renderer = renderer or Renderer(settings.zone, support=Support(settings.support_email,
                                                                            settings.support_phone))
        self.mailer_factory = mailer_factory or (lambda: SmtpMailer(settings))
        self.now = now
        self.today = today or settings.calendar_today()

    # --- making messages (in the consumer's transaction) -------------------------------------------------

    def notify(self, conn: psycopg.Connection, event: Event) -> int:
        """Every message ``event`` calls for. Returns how many rows were made."""
        made = 0
        for notice in domain.notices_for(event.type, event.data, event.id):
            made += self._deliver(conn, notice, event)
        return made

    def deliver_parked(self, conn: psycopg.Connection, account_id: UUID) -> int:
        """The notices that waited for ``account_id``'s contact, made now that it is known."""
        made = 0
        for row in store.take_parked(conn, account_id):
            event = load_event(row["event"])
            template, _, what = row["fact_key"].partition(":")
            made += self._deliver(conn, Notice(template, what, account_id=account_id), event)
        return made

    def _deliver(self, conn: psycopg.Connection, notice: Notice, event: Event) -> int:
        if notice.role is not None:
            # Those who hold the role now; someone given it later does not hear of what came before.
            holders = store.contacts_with_role(conn, notice.role)
            if not holders:
                _log.warning("nobody holds the role to hear of this", extra={
                    "role": notice.role, "template": notice.template, "event_id": str(event.id)})
            return sum(self._make(conn, holder, notice, event.data, event) for holder in holders)
        assert notice.account_id is not None
        recipient = store.contact(conn, notice.account_id)
        if recipient is None:
            # Identity's account event has not arrived yet: keep the event and make the message then.
            store.park(conn, fact_key=notice.fact_key, recipient_id=notice.account_id,
                       template=notice.template, event_id=event.id, envelope=_envelope(event))
            _log.info("notice parked until the contact is known", extra={
                "account_id": str(notice.account_id), "template": notice.template, "event_id": str(event.id)})
            return 0
        return self._make(conn, recipient, notice, event.data, event)

    def _context(self, conn: psycopg.Connection, recipient: Contact, notice: Notice, data: dict[str, Any],
                 occurred_at: datetime) -> dict[str, Any]:
        already_submitted = notice.template == "certificate_expiring" and store.has_submission(
            conn, data["certificate_id"], data["valid_until"])
        return domain.message_context(
            notice.template, data, recipient=recipient, person=store.contact(conn, data.get("account_id")),
            assessor=store.contact(conn, data.get("assessor_id")), portal_url=self.settings.portal_url,
            occurred_at=occurred_at, zone=self.settings.zone, today=self.today(),
            already_submitted=already_submitted)

    def _make(self, conn: psycopg.Connection, recipient: Contact, notice: Notice, data: dict[str, Any],
              event: Event | None) -> int:
        """The e-mail and the in-app message of one notice to one person, unless the fact was messaged."""
        if recipient.disabled:
            _log.info("no messages for a disabled account", extra={
                "account_id": str(recipient.account_id), "template": notice.template})
            return 0
        occurred_at = event.occurred_at if event else self.now()
        rendered = self.renderer.render(notice.template, recipient.language,
                                        self._context(conn, recipient, notice, data, occurred_at))
        made = 0
        email_only = notice.template in domain.EMAIL_ONLY  # a secret link stays out of the inbox
        channels = (Channel.EMAIL,) if email_only else (Channel.EMAIL, Channel.IN_APP)
        for channel in channels:
            message = store.NewMessage(
                id=uuid.uuid4(), recipient_id=recipient.account_id, channel=channel, template=notice.template,
                fact_key=notice.fact_key, trigger_event_id=event.id if event else None,
                trigger_event_type=event.type if event else None, language=recipient.language,
                subject=rendered.subject, body_text=rendered.text, body_html=rendered.html,
                email_address=recipient.email if channel == Channel.EMAIL else None)
            if not store.insert_message(conn, message):
                continue
            made += 1
            if channel == Channel.IN_APP:  # in the inbox from now on: that is its delivery
                self._record_sent(conn, message.id, recipient.account_id, channel, notice.template,
                                  message.trigger_event_id)
        return made

    # --- supplement reminders (the worker's schedule) ----------------------------------------------------

    def purge_expired_messages(self, now: datetime | None = None) -> tuple[int, int]:
        """Delete the messages a jobcoach got before each final decision that is more than the retention
        period ago (ADR 0020); the decision's own message and everything after it stay. Returns
        (decisions, messages)."""
        now = now or self.now()
        with self.db.transaction() as conn:
            decisions, deleted = store.purge_messages_before_decisions(
                conn, now - timedelta(days=self.settings.retention_days), now)
        if decisions:
            _log.info("messages past their retention deleted", extra={"decisions": decisions,
                                                                       "messages": deleted})
        return decisions, deleted

    def send_reminders(self, limit: int = 200) -> int:
        """Remind of supplements due within ``supplement_reminder_days``, once per case and due date."""
        first, last = domain.reminder_window(self.today(), self.settings.supplement_reminder_days)
        made = 0
        with self.db.transaction() as conn:
            due = store.due_supplement_reminders(conn, first_due_on=first, last_due_on=last, limit=limit)
            for row in due:
                recipient = store.contact(conn, row["account_id"])
                if recipient is None:
                    continue  # not known yet: the next run tries again
                notice = domain.supplement_reminder(row["case_id"], row["account_id"], row["due_on"])
                data = {"case_id": row["case_id"], "due_on": row["due_on"], "account_id": row["account_id"]}
                made += self._make(conn, recipient, notice, data, None)
                store.mark_reminded(conn, row["case_id"], row["due_on"])
        return made

    # --- sending e-mail (the worker's schedule) ----------------------------------------------------------

    def send_due(self) -> int:
        """Send the due e-mails, one transaction each, up to ``send_batch_size``. Returns how many were tried.

        A server that cannot be reached ends the batch: the message that found out is rescheduled and the
        rest wait for the next run instead of each waiting for a timeout.
        """
        mailer = self.mailer_factory()
        tried = 0
        try:
            while tried < self.settings.send_batch_size:
                with self.db.transaction() as conn:
                    row = store.claim_due_email(conn)
                    if row is None:
                        break
                    tried += 1
                    failure = self._send_one(conn, mailer, row)
                if failure is not None and failure.connection:
                    break
        finally:
            mailer.close()
        return tried

    def _send_one(self, conn: psycopg.Connection, mailer: Any, row: dict[str, Any]) -> SendFailed | None:
        attempts = row["attempts"] + 1
        mail = Mail(message_id=row["id"], to_name=row["recipient_name"] or "",
                    to_address=row["email_address"], subject=row["subject"], text=row["body_text"],
                    html=row["body_html"], language=row["language"], created_at=row["created_at"])
        try:
            mailer.send(mail)
        except SendFailed as failure:
            self._record_failure(conn, row, attempts, failure)
            return failure
        store.mark_sent(conn, row["id"], attempts)
        self._record_sent(conn, row["id"], row["recipient_id"], Channel.EMAIL, row["template"],
                          row["trigger_event_id"])
        return None

    def _record_failure(self, conn: psycopg.Connection, row: dict[str, Any], attempts: int,
                        failure: SendFailed) -> None:
        s = self.settings
        outcome = domain.after_failed_attempt(
            attempts, permanent=failure.permanent, max_attempts=s.send_max_attempts,
            base_seconds=s.send_retry_base_seconds, max_seconds=s.send_retry_max_seconds)
        retry_in = outcome.next_attempt_in.total_seconds() if outcome.next_attempt_in is not None else None
        store.mark_attempt_failed(conn, row["id"], attempts=attempts, error=failure.error,
                                  retry_in_seconds=retry_in)
        final = outcome.state == State.FAILED
        (_log.error if final else _log.warning)("e-mail not delivered", extra={
            "message_id": str(row["id"]), "attempts": attempts, "final": final, "error": failure.error})
        bus.record(conn, "notifications.message.failed", {
            "message_id": row["id"], "account_id": row["recipient_id"], "channel": str(Channel.EMAIL),
            "template": row["template"], "trigger_event_id": row["trigger_event_id"], "attempts": attempts,
            "permanent": final, "error": failure.error[:1000] or "unknown error",
        }, producer=PRODUCER, subject=row["recipient_id"])

    def _record_sent(self, conn: psycopg.Connection, message_id: UUID, account_id: UUID, channel: Channel,
                     template: str, trigger_event_id: UUID | None) -> None:
        bus.record(conn, "notifications.message.sent", {
            "message_id": message_id, "account_id": account_id, "channel": str(channel), "template": template,
            "trigger_event_id": trigger_event_id,
        }, producer=PRODUCER, subject=account_id)

    # --- the inbox (HTTP) --------------------------------------------------------------------------------

    def inbox(self, account_id: UUID, *, unread_only: bool, page: int,
              page_size: int) -> tuple[list[dict[str, Any]], int]:
        with self.db.transaction() as conn:
            return store.inbox(conn, account_id, unread_only=unread_only, page=page, page_size=page_size)

    def unread_count(self, account_id: UUID) -> int:
        with self.db.transaction() as conn:
            return store.unread_count(conn, account_id)

    def inbox_message(self, account_id: UUID, message_id: UUID) -> dict[str, Any]:
        with self.db.transaction() as conn:
            found = store.inbox_message(conn, account_id, message_id)
        if found is None:
            raise not_found()
        return found

    def mark_read(self, account_id: UUID, message_id: UUID) -> dict[str, Any]:
        with self.db.transaction() as conn:
            found = store.mark_read(conn, account_id, message_id)
        if found is None:
            raise not_found()
        return found

    def mark_all_read(self, account_id: UUID) -> int:
        with self.db.transaction() as conn:
            return store.mark_all_read(conn, account_id)

    # --- operators (HTTP) --------------------------------------------------------------------------------

    def failed_emails(self, *, page: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
        with self.db.transaction() as conn:
            return store.failed_emails(conn, page=page, page_size=page_size)

    def retry(self, message_id: UUID) -> dict[str, Any]:
        """A failed e-mail gets a new series of tries, from now."""
        with self.db.transaction() as conn:
            found = store.message(conn, message_id, for_update=True)
            if found is None or found["channel"] != Channel.EMAIL:
                raise not_found()
            requeued = store.requeue_failed(conn, message_id)
            if requeued is None:
                raise NotFailed(state=found["state"])
        return requeued


def _envelope(event: Event) -> dict[str, Any]:
    """The event as it came, JSON-safe again (its data dumped through its schema), for ``load_event``."""
    schema = event_schema(event.type, event.version).schema()
    message = event.to_message()
    message["data"] = schema.dump(event.data)
    return message


def build_service(settings: NotificationsSettings, db: Database | None = None, **options: Any
                  ) -> NotificationsService:
    db = db or Database.from_settings(settings, "notifications")
    return NotificationsService(db, settings, **options)


__all__ = ["PRODUCER", "NotificationsService", "build_service"]
