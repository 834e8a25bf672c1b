"""Notifications' use cases, each in one unit of work (``SqlNotificationsUnitOfWork`` in ``store``).

Making messages (``notify``, ``deliver_parked``) runs in the unit of work of the event handler, which joins
the consumer's transaction: the read-model update, the message rows and their events commit together with
the inbox row of the event.

Sending (``send_due``) claims one due e-mail at a time with ``FOR UPDATE SKIP LOCKED``, hands it to the SMTP
server and records the outcome in the same unit of work, so two workers never send the same row. When the
database fails between the server's acceptance and the commit, the worker remembers the message as handed
over and, once the database is back, records it sent without sending it again (the soak under faults found
PostgreSQL restarts doubling e-mails before). The one window left in which a message can go out twice: the
process died after the server accepted it and before the commit. The row is then still pending and is sent
again, with the same ``Message-ID`` header (made from the message id) so that mail systems can drop the
duplicate. E-mail is therefore at-least-once at the SMTP level and exactly-once in our records; in-app
messages are exactly-once.

Reading and marking the inbox, and the operators' view of failed e-mail, are one short unit of work each.
"""
from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, BinaryIO
from uuid import UUID

from recert_common.clock import utcnow
from recert_common.db import Database
from recert_common.events import Event, load_event
from recert_common.events import get as event_schema
from recert_common.storage import ObjectChunks, ObjectNotFound, ObjectStore, UploadRefused, UploadTooLarge
from recert_common.uow import UnitOfWork
from recert_notifications import desk, domain
from recert_notifications.desk import Attachment, PostKind, RequestState, ServiceRequest, Thread
from recert_notifications.domain import Channel, Contact, DueEmail, Message, NewMessage, Notice, State
from recert_notifications.mailer import Mail, SendFailed, SmtpMailer
from recert_notifications.settings import NotificationsSettings
from recert_notifications.store import SqlNotificationsUnitOfWork
from recert_notifications.templates import Renderer, Support

_log = logging.getLogger(__name__)


def record_sent(uow: Any, message_id: UUID, account_id: UUID, channel: Channel, template: str,
                trigger_event_id: UUID | None) -> None:
    """Announce a message as sent (``notifications.message.sent``), for the in-app and e-mail channels and
    the service desk's mails alike."""
    uow.publish("notifications.message.sent", {
        "message_id": message_id, "account_id": account_id, "channel": str(channel), "template": template,
        "trigger_event_id": trigger_event_id,
    }, subject=account_id)


class NotificationsService:
    def __init__(self, uow: Callable[[], UnitOfWork], settings: NotificationsSettings, *,
                 renderer: Renderer | None = None, mailer_factory: Callable[[], Any] | None = None,
                 today: Callable[[], date] | None = None, now: Callable[[], datetime] = utcnow,
                 db: Database | None = None, desk_store: ObjectStore | None = None):
        self.uow = uow
        # The web app's readiness check and revocation read model use the database itself.
        self.db = db
        self.settings = settings
        self.renderer = renderer or Renderer(settings.zone, support=Support(settings.support_email,
                                                                            settings.support_phone))
        self.mailer_factory = mailer_factory or (lambda: SmtpMailer(settings))
        self.now = now
        self.today = today or settings.calendar_today()
        # The service desk (ADR 0029) and its attachments' bucket (made by migrate).
        self.desk_store = desk_store
        self.desk = ServiceDesk(self)
        # E-mails the SMTP server accepted whose unit of work then failed (the database went away before the
        # commit): still pending in the database, they are recorded sent at their next claim, not sent again.
        self._handed_over: set[UUID] = set()

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
        if recipient is None and uow.contacts.erased(notice.account_id):
            # An event about an erased person handled late (ADR 0020): nobody to tell, and parking it would
            # keep what it says of them.
            _log.info("no messages for an erased account", extra={
                "account_id": str(notice.account_id), "template": notice.template, "event_id": str(event.id)})
            return 0
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
                record_sent(uow, message.id, recipient.account_id, channel, notice.template,
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
                self._handed_over.discard(due.message.id)  # committed: the row says what happened
                if failure is not None and failure.connection:
                    break
        finally:
            mailer.close()
        return tried

    def _send_one(self, uow: Any, mailer: Any, due: DueEmail) -> SendFailed | None:
        message = due.message
        attempts = message.attempts + 1
        address = domain.address_for(message, due.recipient_email)
        if address != message.email_address:
            # The recipient's address changed since the message was made (corrected after a failure, or
            # changed by its owner): the next try goes to the address known now, and the row says so.
            uow.messages.readdress(message.id, address)
        mail = Mail(message_id=message.id, to_name=due.recipient_name or "",
                    to_address=address, subject=message.subject, text=message.body_text,
                    html=message.body_html, language=message.language,
                    created_at=message.created_at)  # type: ignore[arg-type]  # both set on every e-mail row
        if message.id in self._handed_over:
            _log.info("e-mail handed over before the database failed: recorded sent, not sent again",
                      extra={"message_id": str(message.id)})
        else:
            try:
                mailer.send(mail)
            except SendFailed as failure:
                self._record_failure(uow, message, attempts, failure)
                return failure
            self._handed_over.add(message.id)  # until the commit: see send_due
        uow.messages.mark_sent(message.id, attempts)
        if message.recipient_id is not None:  # an e-mail to an address that is no account has no subject
            record_sent(uow, message.id, message.recipient_id, Channel.EMAIL, message.template,
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
        if message.recipient_id is None:  # no account: operators see it in the failed e-mails, no event
            return
        uow.publish("notifications.message.failed", {
            "message_id": message.id, "account_id": message.recipient_id, "channel": str(Channel.EMAIL),
            "template": message.template, "trigger_event_id": message.trigger_event_id, "attempts": attempts,
            "permanent": final, "error": failure.error[:1000] or "unknown error",
        }, subject=message.recipient_id)

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
        """A failed e-mail gets a new series of tries, from now, to the address its recipient has now (the
        runbook corrects the address in identity first; docs/operations.md, EmailsFailed)."""
        with self.uow() as uow:
            failed = domain.check_retry(uow.messages.get(message_id, for_update=True), message_id)
            contact = uow.contacts.get(failed.recipient_id)
            address = domain.address_for(failed, contact.email if contact else None)
            requeued = uow.messages.requeue_failed(message_id, address)
        assert requeued is not None  # it was failed, and locked since
        return requeued


class ServiceDesk:
    """The service desk's use cases (ADR 0029), each one unit of work: the request's state, its thread,
    the e-mails it calls for and its events commit together, so each e-mail is made exactly once with what
    it reports. The secret of a link exists only in the e-mail that carries it; the database keeps its
    SHA-256."""

    def __init__(self, notifications: NotificationsService):
        self.n = notifications
        self.settings = notifications.settings

    @property
    def uow(self) -> Callable[[], UnitOfWork]:
        return self.n.uow

    # -- e-mail --

    def _url(self, path: str) -> str:
        return self.settings.portal_url.rstrip("/") + path

    def _mail(self, uow: Any, template: str, fact: str, *, request_id: UUID, address: str, name: str,
              language: str, context: dict[str, Any], account_id: UUID | None = None) -> None:
        """One message of ``template`` about ``fact`` of the request ``request_id``: to the account (e-mail
        and inbox, unless it carries a secret link) or, without one, to the address (e-mail only). The
        messages belong to the request: they are deleted with it (erasure, ADR 0020 and 0029)."""
        rendered = self.n.renderer.render(template, language, {
            **context, "recipient": {"full_name": name, "email": address, "account_id": account_id},
            "portal_url": self.settings.portal_url.rstrip("/")})
        fact_key = f"{template}:{fact}"
        channels = domain.channels_for(template) if account_id is not None else (Channel.EMAIL,)
        for channel in channels:
            message = NewMessage(
                id=uuid.uuid4(), recipient_id=account_id, channel=channel, template=template,
                fact_key=fact_key,
                trigger_event_id=None, trigger_event_type=None, language=language, subject=rendered.subject,
                body_text=rendered.text, body_html=rendered.html,
                email_address=address if channel == Channel.EMAIL else None, service_request_id=request_id)
            if account_id is None:
                uow.messages.add_to_address(message)
            elif uow.messages.add(message) and channel == Channel.IN_APP:
                record_sent(uow, message.id, account_id, channel, template, None)

    def _mail_support(self, uow: Any, template: str, request: ServiceRequest, post_id: UUID,
                      text: str) -> None:
        self._mail(uow, template, f"post={post_id}", request_id=request.id,
                   address=self.settings.support_email, name="helpdesk", language="nl", context={
                       "request_subject": request.subject, "requester_name": request.requester_name,
                       "requester_email": request.requester_email, "logged_in": request.logged_in,
                       "text": text, "thread_url": self._url(f"/ondersteuning/verzoek?id={request.id}")})

    def _mail_requester(self, uow: Any, request: ServiceRequest, post_id: UUID, text: str) -> None:
        context: dict[str, Any] = {"request_subject": request.subject, "text": text}
        if request.logged_in:
            context.update(by_link=False, thread_url=self._url(f"/hulp/verzoek?id={request.id}"))
        else:
            token, expires_at = self._new_link(uow, request.id)
            context.update(by_link=True, thread_url=self._url(f"/hulp/gesprek?token={token}"),
                           link_expires_at=expires_at)
        self._mail(uow, domain.DESK_REQUEST_ANSWERED, f"post={post_id}", request_id=request.id,
                   address=request.requester_email, name=request.requester_name, language=request.language,
                   context=context, account_id=request.requester_account_id)

    def _new_link(self, uow: Any, request_id: UUID) -> tuple[str, datetime]:
        token, digest = desk.new_token()
        expires_at = desk.link_expiry(self.n.now(), self.settings.desk_link_days)
        uow.desk.add_link(digest, request_id, expires_at)
        return token, expires_at

    def _publish(self, uow: Any, event_type: str, request: ServiceRequest, data: dict[str, Any]) -> None:
        uow.publish(event_type, {"request_id": request.id, **data},
                    subject=request.requester_account_id or request.matched_account_id)

    def _opened(self, uow: Any, request: ServiceRequest, question: str, post_id: UUID) -> None:
        self._mail_support(uow, domain.DESK_REQUEST_OPENED, request, post_id, question)
        self._publish(uow, "notifications.service_request.opened", request, {
            "account_id": request.requester_account_id, "matched_account_id": request.matched_account_id,
            "logged_in": request.logged_in})

    def _thread(self, uow: Any, request: ServiceRequest) -> Thread:
        return Thread(request, uow.desk.posts(request.id), uow.desk.attachments(request.id))

    @staticmethod
    def _name(uow: Any, account_id: UUID, fallback: str) -> str:
        contact = uow.contacts.get(account_id)
        return contact.full_name if contact else fallback

    # -- a logged-in person --

    def open_request(self, account_id: UUID, *, subject: str, text: str) -> Thread:
        with self.uow() as uow:
            contact = uow.contacts.get(account_id)
            if contact is None:
                raise desk.ContactNotKnownYet()
            request = uow.desk.add(
                id=uuid.uuid4(), requester_account_id=account_id, requester_email=contact.email,
                requester_name=contact.full_name, language=contact.language, subject=subject,
                state=RequestState.OPEN, matched_account_id=account_id)
            post = uow.desk.add_post(id=uuid.uuid4(), request_id=request.id, kind=PostKind.QUESTION,
                                     author_account_id=account_id, author_name=contact.full_name, text=text)
            assert post is not None
            self._opened(uow, request, text, post.id)
            return self._thread(uow, request)

    def my_requests(self, account_id: UUID, *, page: int, page_size: int) -> tuple[list[ServiceRequest], int]:
        with self.uow() as uow:
            return uow.desk.mine(account_id, page=page, page_size=page_size)

    def my_thread(self, account_id: UUID, request_id: UUID) -> Thread:
        with self.uow() as uow:
            return self._thread(uow, desk.visible_to_requester(uow.desk.get(request_id), account_id))

    def reply(self, account_id: UUID, request_id: UUID, text: str) -> Thread:
        with self.uow() as uow:
            request = desk.visible_to_requester(uow.desk.get(request_id, for_update=True), account_id)
            return self._reply(uow, request, text, author_account_id=account_id)

    def _reply(self, uow: Any, request: ServiceRequest, text: str, *,
               author_account_id: UUID | None) -> Thread:
        state = desk.after_reply(request)
        post = uow.desk.add_post(id=uuid.uuid4(), request_id=request.id, kind=PostKind.REPLY,
                                 author_account_id=author_account_id, author_name=request.requester_name,
                                 text=text)
        assert post is not None
        request = uow.desk.set_state(request.id, state)
        self._mail_support(uow, domain.DESK_REQUEST_REPLIED, request, post.id, text)
        self._publish(uow, "notifications.service_request.replied", request, {
            "post_id": post.id, "account_id": request.requester_account_id})
        return self._thread(uow, request)

    def attach(self, account_id: UUID, request_id: UUID, stream: BinaryIO, *, filename: str,
               declared_length: int | None) -> Attachment:
        """Stream a file into the desk's bucket as an attachment of one's request, checked as evidence is:
        size while streaming, real type from the first bytes against the allow-list."""
        limit = self.settings.desk_max_attachment_bytes
        if declared_length is not None and declared_length > limit:
            raise desk.AttachmentRefused(refusal=UploadTooLarge(limit))
        with self.uow() as uow:
            request = desk.visible_to_requester(uow.desk.get(request_id), account_id)
            if request.state == RequestState.CLOSED:
                raise desk.RequestClosed()
        store = self.store()
        key = f"desk/{request_id}/{uuid.uuid4()}"
        try:
            store.ensure_bucket()
            stored = store.put_stream(key, stream, max_bytes=limit, filename=filename)
        except UploadRefused as refusal:
            raise desk.AttachmentRefused(refusal=refusal) from None
        attachment = Attachment(id=uuid.uuid4(), request_id=request_id, object_key=key,
                                filename=stored.filename or filename, content_type=stored.content_type,
                                size=stored.size, sha256=stored.sha256, uploaded_by=account_id,
                                created_at=self.n.now())
        try:
            with self.uow() as uow:
                uow.desk.add_attachment(attachment)
        except BaseException:
            store.delete(key)
            raise
        return attachment

    def store(self) -> ObjectStore:
        """The attachments' bucket (``migrate`` makes it; an upload makes sure once more)."""
        if self.n.desk_store is None:
            self.n.desk_store = ObjectStore.from_settings(self.settings, self.settings.desk_bucket)
        return self.n.desk_store

    def open_attachment(self, request_id: UUID, attachment_id: UUID, *,
                        account_id: UUID | None) -> tuple[Attachment, ObjectChunks]:
        """The file: for the requester (``account_id``) or, with None, for support."""
        with self.uow() as uow:
            request = uow.desk.get(request_id)
            if account_id is None:
                desk.visible_to_support(request)
            else:
                desk.visible_to_requester(request, account_id)
            found = uow.desk.attachment(request_id, attachment_id)
        if found is None:
            raise desk.AttachmentNotFound()
        try:
            return found, self.store().stream(found.object_key)
        except ObjectNotFound:
            _log.error("desk attachment object missing", extra={"attachment_id": str(attachment_id)})
            raise desk.AttachmentNotFound() from None

    # -- a person who cannot log in --

    def open_request_logged_out(self, *, email: str, name: str, subject: str, text: str,
                                language: str) -> None:
        """An unconfirmed request and the e-mail with its confirmation link. Answers the same whether or not
        the address has an account, and whether or not the address's daily limit stopped the e-mail."""
        email = desk.normalised_email(email)
        now = self.n.now()
        with self.uow() as uow:
            # Requests at the same moment would each count the others' uncommitted rows as absent.
            uow.desk.lock_address(email)
            recent = uow.desk.unconfirmed_since(email, now - timedelta(days=1))
            if not desk.may_open_unconfirmed(recent, self.settings.desk_unconfirmed_per_address):
                _log.warning("service request refused: too many unconfirmed for the address")
                return
            token, digest = desk.new_token()
            expires_at = desk.confirm_expiry(now, self.settings.desk_confirm_hours)
            request = uow.desk.add(
                id=uuid.uuid4(), requester_account_id=None, requester_email=email, requester_name=name,
                language=language, subject=subject, state=RequestState.UNCONFIRMED, matched_account_id=None,
                confirm_token_sha256=digest, confirm_expires_at=expires_at)
            uow.desk.add_post(id=uuid.uuid4(), request_id=request.id, kind=PostKind.QUESTION,
                              author_account_id=None, author_name=name, text=text)
            self._mail(uow, domain.DESK_CONFIRM, f"request={request.id}", request_id=request.id,
                       address=email, name=name, language=language,
                       context={"request_subject": subject, "token": token, "expires_at": expires_at})

    def confirm(self, token: str) -> tuple[Thread, str]:
        """The request of the link, confirmed: support sees it now and hears of it. Returns its thread and a
        new secret link to it for the confirmation page."""
        with self.uow() as uow:
            def matched(address: str) -> UUID | None:
                found = uow.contacts.by_confirmed_email(address)
                return found[0].account_id if len(found) == 1 else None

            request = uow.desk.confirm(desk.token_hash(token), self.n.now(), matched)
            if request is None:
                raise desk.LinkNotValid()
            posts = uow.desk.posts(request.id)
            self._opened(uow, request, posts[0].text if posts else "", posts[0].id if posts else request.id)
            link, _ = self._new_link(uow, request.id)
            return self._thread(uow, request), link

    def _by_link(self, uow: Any, token: str, *, for_update: bool = False) -> ServiceRequest:
        request = uow.desk.by_link(desk.token_hash(token), self.n.now(), for_update=for_update)
        if request is None:
            raise desk.LinkNotValid()
        return request

    def link_thread(self, token: str) -> Thread:
        with self.uow() as uow:
            return self._thread(uow, self._by_link(uow, token))

    def link_reply(self, token: str, text: str) -> Thread:
        with self.uow() as uow:
            return self._reply(uow, self._by_link(uow, token, for_update=True), text, author_account_id=None)

    def purge_unconfirmed(self, now: datetime | None = None) -> int:
        """Delete the logged-out requests never confirmed, a day after their link expired (ADR 0029)."""
        with self.uow() as uow:
            deleted = uow.desk.delete_unconfirmed((now or self.n.now()) - timedelta(days=1))
        if deleted:
            _log.info("unconfirmed service requests deleted", extra={"requests": deleted})
        return deleted

    # -- DNV's support --

    def queue(self, *, state: str | None, page: int, page_size: int) -> tuple[list[ServiceRequest], int]:
        with self.uow() as uow:
            return uow.desk.queue(state=state, page=page, page_size=page_size)

    def support_thread(self, request_id: UUID) -> Thread:
        with self.uow() as uow:
            return self._thread(uow, desk.visible_to_support(uow.desk.get(request_id)))

    def answer(self, support_id: UUID, request_id: UUID, text: str) -> Thread:
        with self.uow() as uow:
            request = desk.visible_to_support(uow.desk.get(request_id, for_update=True))
            state = desk.after_answer(request)
            post = uow.desk.add_post(id=uuid.uuid4(), request_id=request.id, kind=PostKind.ANSWER,
                                     author_account_id=support_id,
                                     author_name=self._name(uow, support_id, "helpdesk"), text=text)
            assert post is not None
            request = uow.desk.set_state(request.id, state)
            self._mail_requester(uow, request, post.id, text)
            self._publish(uow, "notifications.service_request.answered", request, {
                "post_id": post.id, "answered_by": support_id})
            return self._thread(uow, request)

    def set_state(self, support_id: UUID, request_id: UUID, state: str) -> Thread:
        wanted = desk.settable(state)
        with self.uow() as uow:
            request = desk.visible_to_support(uow.desk.get(request_id, for_update=True))
            if request.state != wanted:
                previous = request.state
                request = uow.desk.set_state(request.id, wanted)
                self._publish(uow, "notifications.service_request.state_changed", request, {
                    "state": str(wanted), "previous_state": str(previous), "changed_by": support_id})
            return self._thread(uow, request)

    # -- identity's reset of an authenticator app, asked from a request --

    def note_totp_reset(self, uow: Any, event: Event) -> None:
        """identity.totp.reset naming a service request: the note in its thread (once per event), when the
        request is the reset account's (opened by it or matched to it)."""
        data = event.data
        request_id = data.get("service_request_id")
        if request_id is None:
            return
        request = uow.desk.get(request_id, for_update=True)
        if request is None:
            _log.warning("totp reset names an unknown service request", extra={"request_id": str(request_id)})
            return
        if not desk.belongs_to(request, data["account_id"]):
            # A reset may name only a request of the account it reset (ADR 0029): identity checks that for
            # support, not for an officer or an admin, and the note (with how identity was checked) must not
            # land in someone else's thread.
            _log.warning("totp reset names a service request of another account: no note", extra={
                "request_id": str(request_id), "account_id": str(data["account_id"]),
                "event_id": str(event.id)})
            return
        by = self._name(uow, data["reset_by"], "helpdesk") if data.get("reset_by") else "helpdesk"
        uow.desk.add_post(id=uuid.uuid4(), request_id=request.id, kind=PostKind.NOTE,
                          author_account_id=data.get("reset_by"), author_name=by,
                          text=desk.identity_note(request.language, by=by,
                                                  identity_check=data.get("identity_check")),
                          source_event_id=event.id)


def _envelope(event: Event) -> dict[str, Any]:
    """The event as it came, JSON-safe again (its data dumped through its schema), for ``load_event``."""
    schema = event_schema(event.type, event.version).writer
    message = event.to_message()
    message["data"] = schema.dump(event.data)
    return message


def build_service(settings: NotificationsSettings, db: Database | None = None, **options: Any
                  ) -> NotificationsService:
    db = db or Database.from_settings(settings, "notifications")
    return NotificationsService(functools.partial(SqlNotificationsUnitOfWork, db), settings, db=db, **options)


__all__ = ["NotificationsService", "ServiceDesk", "build_service"]
