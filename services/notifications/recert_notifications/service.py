"""Notifications' use cases, each in one unit of work (``SqlNotificationsUnitOfWork`` in ``store``).

Making messages (``notify``, ``deliver_parked``) runs in the unit of work of the event handler, which joins
the consumer's transaction: the read-model update, the message rows and their events commit together with
the inbox row of the event.

Sending (``send_due``) claims one due e-mail at a time with ``FOR UPDATE SKIP LOCKED``, hands it to the SMTP
server and records the outcome in the same unit of work, so two workers never send the same row. The one
window in which a message can go out twice: the server accepted it and the process died (or the database
failed) before the commit. The row is then still pending and is sent again, with the same ``Message-ID``
header (made from the message id) so that mail systems can drop the duplicate. E-mail is therefore
at-least-once at the SMTP level and exactly-once in our records; in-app messages are exactly-once.

Reading and marking the inbox, and the operators' view of failed e-mail, are one short unit of work each.
"""
from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from recert_common.clock import utcnow
from recert_common.db import Database
from recert_common.events import Event, load_event
from recert_common.events import get as event_schema
from recert_common.uow import UnitOfWork
from recert_notifications import domain
from recert_notifications.domain import Channel, Contact, DueEmail, Message, NewMessage, Notice, State
from recert_notifications.mailer import Mail, SendFailed, SmtpMailer
from recert_notifications.settings import NotificationsSettings
from recert_notifications.store import SqlNotificationsUnitOfWork
from recert_notifications.templates import Renderer, Support

_log = logging.getLogger(__name__)


class NotificationsService:
    def __init__(self, uow: Callable[[], UnitOfWork], settings: NotificationsSettings, *,
                 renderer: Renderer | None = None, mailer_factory: Callable[[], Any] | None = None,
                 today: Callable[[], date] | None = None, now: Callable[[], datetime] = utcnow,
                 db: Database | None = None):
        self.uow = uow
        # The web app's readiness check and revocation read model use the database itself.
        self.db = db
        self.settings = settings
        self.renderer = renderer or Renderer(settings.zone, support=Support(settings.support_email,
                                                                            settings.support_phone))
        self.mailer_factory = mailer_factory or (lambda: SmtpMailer(settings))
        self.now = now
        self.today = today or settings.calendar_today()

    # --- making messages (in the event handler's unit of work) -------------------------------------------

    def notify(self, uow: Any, event: Event) -> int:
        """Every message ``event`` calls for. Returns how many rows were made."""
        made = 0
        for notice in domain.notices_for(event.type, event.data, event.id):
            made += self._deliver(uow, notice, event)
        return made

    def deliver_parked(self, uow: Any, account_id: UUID) -> int:
        """The notices that waited for ``account_id``'s contact, made now that it is known."""
        made = 0
        for parked in uow.parked.take(account_id):
            event = load_event(parked.envelope)
            made += self._deliver(uow, Notice(parked.template, parked.fact, account_id=account_id), event)
        return made

    def _deliver(self, uow: Any, notice: Notice, event: Event) -> int:
        if notice.role is not None:
            # Those who hold the role now; someone given it later does not hear of what came before.
            holders = uow.contacts.with_role(notice.role)
            if not holders:
                _log.warning("nobody holds the role to hear of this", extra={
                    "role": notice.role, "template": notice.template, "event_id": str(event.id)})
            return sum(self._make(uow, holder, notice, event.data, event) for holder in holders)
        assert notice.account_id is not None
        recipient = uow.contacts.get(notice.account_id)
        if recipient is None:
            # Identity's account event has not arrived yet: keep the event and make the message then.
            uow.parked.park(fact_key=notice.fact_key, recipient_id=notice.account_id,
                            template=notice.template, event_id=event.id, envelope=_envelope(event))
            _log.info("notice parked until the contact is known", extra={
                "account_id": str(notice.account_id), "template": notice.template, "event_id": str(event.id)})
            return 0
        return self._make(uow, recipient, notice, event.data, event)

    def _context(self, uow: Any, recipient: Contact, notice: Notice, data: dict[str, Any],
                 occurred_at: datetime) -> dict[str, Any]:
        already_submitted = notice.template == "certificate_expiring" and uow.submissions.has_submission(
            data["certificate_id"], data["valid_until"])
        return domain.message_context(
            notice.template, data, recipient=recipient, person=uow.contacts.get(data.get("account_id")),
            assessor=uow.contacts.get(data.get("assessor_id")), portal_url=self.settings.portal_url,
            occurred_at=occurred_at, zone=self.settings.zone, today=self.today(),
            already_submitted=already_submitted)

    def _make(self, uow: Any, recipient: Contact, notice: Notice, data: dict[str, Any],
              event: Event | None) -> int:
        """The e-mail and the in-app message of one notice to one person, unless the fact was messaged."""
        if recipient.disabled:
            _log.info("no messages for a disabled account", extra={
                "account_id": str(recipient.account_id), "template": notice.template})
            return 0
        occurred_at = event.occurred_at if event else self.now()
        rendered = self.renderer.render(notice.template, recipient.language,
                                        self._context(uow, recipient, notice, data, occurred_at))
        made = 0
        for channel in domain.channels_for(notice.template):
            message = NewMessage(
                id=uuid.uuid4(), recipient_id=recipient.account_id, channel=channel, template=notice.template,
                fact_key=notice.fact_key, trigger_event_id=event.id if event else None,
                trigger_event_type=event.type if event else None, language=recipient.language,
                subject=rendered.subject, body_text=rendered.text, body_html=rendered.html,
                email_address=recipient.email if channel == Channel.EMAIL else None)
            if not uow.messages.add(message):
                continue
            made += 1
            if channel == Channel.IN_APP:  # in the inbox from now on: that is its delivery
                self._record_sent(uow, message.id, recipient.account_id, channel, notice.template,
                                  message.trigger_event_id)
        return made

    # --- retention and supplement reminders (the worker's schedules) -------------------------------------

    def purge_expired_messages(self, now: datetime | None = None) -> tuple[int, int]:
        """Delete the messages a jobcoach got before each final decision that is more than the retention
        period ago (ADR 0020); the decision's own message, e-mails still being sent and everything after it
        stay. Returns (decisions, messages)."""
        now = now or self.now()
        deleted = 0
        with self.uow() as uow:
            cutoff = domain.retention_cutoff(now, self.settings.retention_days)
            due = uow.final_decisions.due_for_purge(cutoff)
            for decision in due:
                deleted += uow.messages.delete_settled_before(decision.account_id, decision.decided_at)
                uow.final_decisions.mark_purged(decision.decision_id, now)
        if due:
            _log.info("messages past their retention deleted", extra={"decisions": len(due),
                                                                       "messages": deleted})
        return len(due), deleted

    def send_reminders(self, limit: int = 200) -> int:
        """Remind of supplements due within ``supplement_reminder_days``, once per case and due date."""
        first, last = domain.reminder_window(self.today(), self.settings.supplement_reminder_days)
        made = 0
        with self.uow() as uow:
            for due in uow.deadlines.due_for_reminder(first_due_on=first, last_due_on=last, limit=limit):
                recipient = uow.contacts.get(due.account_id)
                if recipient is None:
                    continue  # not known yet: the next run tries again
                notice = domain.supplement_reminder(due.case_id, due.account_id, due.due_on)
                data = {"case_id": due.case_id, "due_on": due.due_on, "account_id": due.account_id}
                made += self._make(uow, recipient, notice, data, None)
                uow.deadlines.mark_reminded(due.case_id, due.due_on)
        return made

    # --- sending e-mail (the worker's schedule) ----------------------------------------------------------

    def send_due(self) -> int:
        """Send the due e-mails, one unit of work each, up to ``send_batch_size``. Returns how many were
        tried.

        A server that cannot be reached ends the batch: the message that found out is rescheduled and the
        rest wait for the next run instead of each waiting for a timeout.
        """
        mailer = self.mailer_factory()
        tried = 0
        try:
            while tried < self.settings.send_batch_size:
                with self.uow() as uow:
                    due = uow.messages.claim_due_email()
                    if due is None:
                        break
                    tried += 1
                    failure = self._send_one(uow, mailer, due)
                if failure is not None and failure.connection:
                    break
        finally:
            mailer.close()
        return tried

    def _send_one(self, uow: Any, mailer: Any, due: DueEmail) -> SendFailed | None:
        message = due.message
        attempts = message.attempts + 1
        mail = Mail(message_id=message.id, to_name=due.recipient_name or "",
                    to_address=message.email_address, subject=message.subject, text=message.body_text,
                    html=message.body_html, language=message.language,
                    created_at=message.created_at)  # type: ignore[arg-type]  # both set on every e-mail row
        try:
            mailer.send(mail)
        except SendFailed as failure:
            self._record_failure(uow, message, attempts, failure)
            return failure
        uow.messages.mark_sent(message.id, attempts)
        self._record_sent(uow, message.id, message.recipient_id, Channel.EMAIL, message.template,
                          message.trigger_event_id)
        return None

    def _record_failure(self, uow: Any, message: Message, attempts: int, failure: SendFailed) -> None:
        s = self.settings
        outcome = domain.after_failed_attempt(
            attempts, permanent=failure.permanent, max_attempts=s.send_max_attempts,
            base_seconds=s.send_retry_base_seconds, max_seconds=s.send_retry_max_seconds)
        uow.messages.mark_attempt_failed(message.id, attempts=attempts, error=failure.error,
                                         retry_in=outcome.next_attempt_in)
        final = outcome.state == State.FAILED
        (_log.error if final else _log.warning)("e-mail not delivered", extra={
            "message_id": str(message.id), "attempts": attempts, "final": final, "error": failure.error})
        uow.publish("notifications.message.failed", {
            "message_id": message.id, "account_id": message.recipient_id, "channel": str(Channel.EMAIL),
            "template": message.template, "trigger_event_id": message.trigger_event_id, "attempts": attempts,
            "permanent": final, "error": failure.error[:1000] or "unknown error",
        }, subject=message.recipient_id)

    def _record_sent(self, uow: Any, message_id: UUID, account_id: UUID, channel: Channel, template: str,
                     trigger_event_id: UUID | None) -> None:
        uow.publish("notifications.message.sent", {
            "message_id": message_id, "account_id": account_id, "channel": str(channel), "template": template,
            "trigger_event_id": trigger_event_id,
        }, subject=account_id)

    # --- the inbox (HTTP) --------------------------------------------------------------------------------

    def inbox(self, account_id: UUID, *, unread_only: bool, page: int,
              page_size: int) -> tuple[list[Message], int]:
        with self.uow() as uow:
            return uow.messages.inbox(account_id, unread_only=unread_only, page=page, page_size=page_size)

    def unread_count(self, account_id: UUID) -> int:
        with self.uow() as uow:
            return uow.messages.unread_count(account_id)

    def inbox_message(self, account_id: UUID, message_id: UUID) -> Message:
        with self.uow() as uow:
            found = uow.messages.inbox_message(account_id, message_id)
        if found is None:
            raise domain.MessageNotFound(message_id=message_id)
        return found

    def mark_read(self, account_id: UUID, message_id: UUID) -> Message:
        with self.uow() as uow:
            found = uow.messages.mark_read(account_id, message_id)
        if found is None:
            raise domain.MessageNotFound(message_id=message_id)
        return found

    def mark_all_read(self, account_id: UUID) -> int:
        with self.uow() as uow:
            return uow.messages.mark_all_read(account_id)

    # --- operators (HTTP) --------------------------------------------------------------------------------

    def failed_emails(self, *, page: int, page_size: int) -> tuple[list[Message], int]:
        with self.uow() as uow:
            return uow.messages.failed_emails(page=page, page_size=page_size)

    def retry(self, message_id: UUID) -> Message:
        """A failed e-mail gets a new series of tries, from now."""
        with self.uow() as uow:
            domain.check_retry(uow.messages.get(message_id, for_update=True), message_id)
            requeued = uow.messages.requeue_failed(message_id)
        assert requeued is not None  # it was failed, and locked since
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
    return NotificationsService(functools.partial(SqlNotificationsUnitOfWork, db), settings, db=db, **options)


__all__ = ["NotificationsService", "build_service"]
