"""Notifications' unit of work in memory, for the fast use-case and handler tests: the repositories of
``store.py`` with the same methods and the same answers, on plain dictionaries; and a mailer that keeps what
it is given or fails as told.

A block that raises leaves the data as it was (as the database's rollback does), and its events are not
published. ``FakeNotificationsDatabase`` is shared by every unit of work a test's service opens, and keeps
what they all published (``published``); its clock
(``now``) stands for the database's ``clock_timestamp()`` and moves on a microsecond at every reading, so that
rows made one after the other keep their order.
"""
from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from recert_common.events import Event
from recert_common.uow import FakeUnitOfWork
from recert_notifications.desk import Attachment, Post, PostKind, RequestState, ServiceRequest
from recert_notifications.domain import (
    Channel,
    Contact,
    DueEmail,
    DueReminder,
    FinalDecision,
    Message,
    NewMessage,
    ParkedNotice,
    State,
)
from recert_notifications.mailer import Mail, SendFailed
from recert_notifications.store import SqlNotificationsUnitOfWork


class FakeNotificationsDatabase:
    def __init__(self, now: datetime = datetime(2027, 7, 18, 8, 0, tzinfo=UTC)) -> None:
        self.clock = now
        self.contacts: dict[UUID, dict[str, Any]] = {}
        self.contact_tombstones: dict[UUID, dict[str, Any]] = {}  # disabled_at, erased_at
        self.submissions: dict[UUID, dict[str, Any]] = {}
        self.deadlines: dict[UUID, dict[str, Any]] = {}
        self.parked: dict[tuple[str, UUID], dict[str, Any]] = {}
        self.messages: dict[UUID, Message] = {}
        self.final_decisions: dict[UUID, dict[str, Any]] = {}
        # The service desk: requests (with their confirmation token's hash and expiry), posts, attachments
        # and the secret links (hash -> request id, expiry).
        self.requests: dict[UUID, dict[str, Any]] = {}
        self.posts: list[Post] = []
        self.attachments: list[Attachment] = []
        self.links: dict[str, tuple[UUID, datetime]] = {}
        # What every unit of work on this database committed, in order.
        self.published: list[Event] = []

    def now(self) -> datetime:
        self.clock += timedelta(microseconds=1)
        return self.clock

    def advance(self, delta: timedelta) -> None:
        self.clock += delta




class _Repository:
    def __init__(self, db: FakeNotificationsDatabase):
        self.db = db


class FakeContactRepository(_Repository):
    def upsert(self, *, account_id: UUID, full_name: str, email: str, language: str, roles: Iterable[str],
               as_of: datetime) -> bool:
        ended = self.db.contact_tombstones.get(account_id, {})
        if ended.get("erased_at") is not None:
            return False
        row = self.db.contacts.get(account_id)
        if row is not None and row["profile_as_of"] > as_of:
            return False
        self.db.contacts[account_id] = {
            "full_name": full_name, "email": email, "language": language, "roles": sorted(set(roles)),
            "profile_as_of": as_of,
            "disabled_at": ended.get("disabled_at") or (row["disabled_at"] if row else None),
            "confirmed_email": row.get("confirmed_email") if row else None}
        return True

    def confirm_email(self, account_id: UUID, email: str) -> None:
        if account_id in self.db.contacts:
            self.db.contacts[account_id]["confirmed_email"] = email

    def by_confirmed_email(self, email: str) -> list[Contact]:
        return [self.get(account_id) for account_id, row in sorted(self.db.contacts.items())  # type: ignore
                if (row.get("confirmed_email") or "").lower() == email.lower() and row["disabled_at"] is None]

    def confirmed_email(self, account_id: UUID) -> str | None:
        row = self.db.contacts.get(account_id)
        return row.get("confirmed_email") if row else None

    def disable(self, account_id: UUID, at: datetime) -> None:
        ended = self.db.contact_tombstones.setdefault(account_id, {"disabled_at": None, "erased_at": None})
        if ended["disabled_at"] is None:
            ended["disabled_at"] = at
        row = self.db.contacts.get(account_id)
        if row is not None and row["disabled_at"] is None:
            row["disabled_at"] = at

    def erased(self, account_id: UUID) -> bool:
        return self.db.contact_tombstones.get(account_id, {}).get("erased_at") is not None

    def get(self, account_id: UUID | None) -> Contact | None:
        row = self.db.contacts.get(account_id) if account_id is not None else None
        if row is None:
            return None
        return Contact(account_id=account_id, full_name=row["full_name"], email=row["email"],  # type: ignore
                       language=row["language"], roles=frozenset(row["roles"]),
                       disabled=row["disabled_at"] is not None)

    def with_role(self, role: str) -> list[Contact]:
        return [self.get(account_id) for account_id, row in sorted(self.db.contacts.items())  # type: ignore
                if role in row["roles"] and row["disabled_at"] is None]

    def erase(self, account_id: UUID, at: datetime) -> None:
        self.db.contacts.pop(account_id, None)
        ended = self.db.contact_tombstones.setdefault(account_id, {"disabled_at": None, "erased_at": None})
        if ended["erased_at"] is None:
            ended["erased_at"] = at


class FakeSubmissionRepository(_Repository):
    def record(self, *, submission_id: UUID, account_id: UUID, certificate_id: UUID,
               certificate_expires_on: date, submitted_at: datetime) -> bool:
        row = self.db.submissions.setdefault(submission_id, {"account_id": account_id, "withdrawn_at": None})
        given = {"certificate_id": certificate_id, "certificate_expires_on": certificate_expires_on,
                 "submitted_at": submitted_at}
        for name, value in given.items():
            if row.get(name) is None:
                row[name] = value
        return row["withdrawn_at"] is None

    def withdraw(self, submission_id: UUID, account_id: UUID, at: datetime) -> None:
        row = self.db.submissions.setdefault(submission_id, {
            "account_id": account_id, "certificate_id": None, "certificate_expires_on": None,
            "submitted_at": None, "withdrawn_at": None})
        if row["withdrawn_at"] is None:
            row["withdrawn_at"] = at

    def has_submission(self, certificate_id: UUID, expires_on: date) -> bool:
        return any(row["certificate_id"] == certificate_id and row["certificate_expires_on"] == expires_on
                   and row["withdrawn_at"] is None for row in self.db.submissions.values())

    def forget(self, account_id: UUID) -> None:
        self.db.submissions = {k: v for k, v in self.db.submissions.items() if v["account_id"] != account_id}


class FakeSupplementDeadlineRepository(_Repository):
    def open(self, case_id: UUID, account_id: UUID, due_on: date, at: datetime) -> bool:
        row = self.db.deadlines.get(case_id)
        if row is None:
            self.db.deadlines[case_id] = {"account_id": account_id, "due_on": due_on, "closed_at": None,
                                          "reminded_for": None, "opened_as_of": at, "annulled_at": None}
            return True
        if row["opened_as_of"] is None or row["opened_as_of"] <= at:
            if row["closed_at"] is not None and row["closed_at"] < at:
                row["closed_at"] = None
            row.update(due_on=due_on, opened_as_of=at)
        return row["annulled_at"] is None or row["annulled_at"] < at

    def close(self, case_id: UUID, account_id: UUID, at: datetime) -> None:
        self._close(case_id, account_id, at, annulled=False)

    def annul(self, case_id: UUID, account_id: UUID, at: datetime) -> bool:
        return self._close(case_id, account_id, at, annulled=True)

    def _close(self, case_id: UUID, account_id: UUID, at: datetime, *, annulled: bool) -> bool:
        row = self.db.deadlines.setdefault(case_id, {
            "account_id": account_id, "due_on": None, "closed_at": None, "reminded_for": None,
            "opened_as_of": None, "annulled_at": None})
        if row["opened_as_of"] is not None and row["opened_as_of"] > at:
            return False
        row["closed_at"] = at if row["closed_at"] is None else max(row["closed_at"], at)
        if annulled:
            row["annulled_at"] = at if row["annulled_at"] is None else max(row["annulled_at"], at)
        return True

    def due_for_reminder(self, *, first_due_on: date, last_due_on: date, limit: int) -> list[DueReminder]:
        due = [DueReminder(case_id, row["account_id"], row["due_on"])
               for case_id, row in self.db.deadlines.items()
               if row["closed_at"] is None and row["due_on"] is not None
               and first_due_on <= row["due_on"] <= last_due_on
               and row["reminded_for"] != row["due_on"]]
        return sorted(due, key=lambda d: (d.due_on, d.case_id))[:limit]

    def mark_reminded(self, case_id: UUID, due_on: date) -> None:
        self.db.deadlines[case_id]["reminded_for"] = due_on

    def forget(self, account_id: UUID) -> None:
        self.db.deadlines = {k: v for k, v in self.db.deadlines.items() if v["account_id"] != account_id}


class FakeParkedNoticeRepository(_Repository):
    def park(self, *, fact_key: str, recipient_id: UUID, template: str, event_id: UUID,
             envelope: dict[str, Any]) -> None:
        self.db.parked.setdefault((fact_key, recipient_id), {
            "notice": ParkedNotice(fact_key=fact_key, template=template, event_id=event_id,
                                   envelope=copy.deepcopy(envelope), parked_at=self.db.now())})

    def take(self, recipient_id: UUID) -> list[ParkedNotice]:
        keys = [key for key in self.db.parked if key[1] == recipient_id]
        return [self.db.parked.pop(key)["notice"] for key in keys]

    def forget(self, account_id: UUID) -> None:
        self.take(account_id)


class FakeMessageRepository(_Repository):
    def _replace(self, message: Message, **changes: Any) -> Message:
        self.db.messages[message.id] = changed = dataclasses.replace(message, **changes)
        return changed

    def add(self, message: NewMessage) -> bool:
        key = (message.fact_key, message.recipient_id, message.channel)
        if any((m.fact_key, m.recipient_id, m.channel) == key for m in self.db.messages.values()):
            return False
        now = self.db.now()
        email = message.channel == Channel.EMAIL
        self.db.messages[message.id] = Message(
            **{field.name: getattr(message, field.name) for field in dataclasses.fields(NewMessage)},
            state=message.initial_state, next_attempt_at=now if email else None,
            sent_at=None if email else now, created_at=now)
        return True

    def add_to_address(self, message: NewMessage) -> bool:
        assert message.recipient_id is None and message.channel == Channel.EMAIL
        key = (message.fact_key, message.email_address)
        if any(m.recipient_id is None and (m.fact_key, m.email_address) == key
               for m in self.db.messages.values()):
            return False
        now = self.db.now()
        self.db.messages[message.id] = Message(
            **{field.name: getattr(message, field.name) for field in dataclasses.fields(NewMessage)},
            state=State.PENDING, next_attempt_at=now, created_at=now)
        return True

    def claim_due_email(self) -> DueEmail | None:
        now = self.db.now()
        due = [m for m in self.db.messages.values()
               if m.state == State.PENDING and m.next_attempt_at is not None and m.next_attempt_at <= now]
        if not due:
            return None
        message = min(due, key=lambda m: (m.next_attempt_at, m.created_at))
        contact = self.db.contacts.get(message.recipient_id)
        if contact is None:
            return DueEmail(message, None, None)
        return DueEmail(message, contact["full_name"], contact["email"])

    def readdress(self, message_id: UUID, email_address: str) -> None:
        self._replace(self.db.messages[message_id], email_address=email_address)

    def mark_sent(self, message_id: UUID, attempts: int) -> None:
        self._replace(self.db.messages[message_id], state=State.SENT, attempts=attempts,
                      sent_at=self.db.now(), next_attempt_at=None)

    def mark_attempt_failed(self, message_id: UUID, *, attempts: int, error: str,
                            retry_in: timedelta | None) -> None:
        now = self.db.now()
        self._replace(self.db.messages[message_id], attempts=attempts, last_error=error[:1000],
                      state=State.FAILED if retry_in is None else State.PENDING,
                      next_attempt_at=None if retry_in is None else now + retry_in,
                      failed_at=now if retry_in is None else None)

    def get(self, message_id: UUID, *, for_update: bool = False) -> Message | None:
        return self.db.messages.get(message_id)

    def requeue_failed(self, message_id: UUID, email_address: str | None = None) -> Message | None:
        message = self.db.messages.get(message_id)
        if message is None or message.state != State.FAILED:
            return None
        return self._replace(message, state=State.PENDING, attempts=0, next_attempt_at=self.db.now(),
                             failed_at=None, email_address=email_address or message.email_address)

    def _inbox(self, recipient_id: UUID) -> list[Message]:
        return [m for m in self.db.messages.values()
                if m.recipient_id == recipient_id and m.channel == Channel.IN_APP]

    @staticmethod
    def _page(messages: list[Message], page: int, page_size: int) -> list[Message]:
        return messages[(page - 1) * page_size:page * page_size]

    def inbox(self, recipient_id: UUID, *, unread_only: bool, page: int,
              page_size: int) -> tuple[list[Message], int]:
        found = [m for m in self._inbox(recipient_id) if not unread_only or m.read_at is None]
        found.sort(key=lambda m: str(m.id))
        found.sort(key=lambda m: m.created_at, reverse=True)  # type: ignore[arg-type, return-value]
        return self._page(found, page, page_size), len(found)

    def unread_count(self, recipient_id: UUID) -> int:
        return sum(1 for m in self._inbox(recipient_id) if m.read_at is None)

    def inbox_message(self, recipient_id: UUID, message_id: UUID) -> Message | None:
        return next((m for m in self._inbox(recipient_id) if m.id == message_id), None)

    def mark_read(self, recipient_id: UUID, message_id: UUID) -> Message | None:
        message = self.inbox_message(recipient_id, message_id)
        if message is None:
            return None
        return self._replace(message, read_at=message.read_at or self.db.now())

    def mark_all_read(self, recipient_id: UUID) -> int:
        unread = [m for m in self._inbox(recipient_id) if m.read_at is None]
        now = self.db.now()
        for message in unread:
            self._replace(message, read_at=now)
        return len(unread)

    def failed_emails(self, *, page: int, page_size: int) -> tuple[list[Message], int]:
        found = [m for m in self.db.messages.values() if m.state == State.FAILED]
        found.sort(key=lambda m: str(m.id))
        found.sort(key=lambda m: m.failed_at, reverse=True)  # type: ignore[arg-type, return-value]
        return self._page(found, page, page_size), len(found)

    def _matched_requesters_mail(self, m: Message, account_id: UUID) -> bool:
        """An e-mail to the address of a request made logged out and matched to ``account_id``."""
        row = self.db.requests.get(m.service_request_id) if m.service_request_id else None
        request = row["request"] if row else None
        return (m.recipient_id is None and request is not None and request.requester_account_id is None
                and request.matched_account_id == account_id and m.email_address == request.requester_email)

    def delete_settled_before(self, recipient_id: UUID, before: datetime) -> int:
        doomed = [m.id for m in self.db.messages.values()
                  if (m.recipient_id == recipient_id or self._matched_requesters_mail(m, recipient_id))
                  and m.created_at < before and m.state != State.PENDING]  # type: ignore[operator]
        for message_id in doomed:
            del self.db.messages[message_id]
        return len(doomed)

    def forget(self, account_id: UUID, address: str | None = None) -> None:
        def doomed(m: Message) -> bool:
            return m.recipient_id == account_id or (
                bool(address) and m.recipient_id is None and m.service_request_id is None
                and (m.email_address or "").lower() == address.lower())  # type: ignore[union-attr]

        self.db.messages = {k: m for k, m in self.db.messages.items() if not doomed(m)}


class FakeFinalDecisionRepository(_Repository):
    def note(self, decision_id: UUID, account_id: UUID, decided_at: datetime) -> None:
        self.db.final_decisions.setdefault(decision_id, {"account_id": account_id, "decided_at": decided_at,
                                                         "purged_at": None})

    def due_for_purge(self, decided_before: datetime) -> list[FinalDecision]:
        return [FinalDecision(decision_id, row["account_id"], row["decided_at"])
                for decision_id, row in self.db.final_decisions.items()
                if row["purged_at"] is None and row["decided_at"] <= decided_before]

    def mark_purged(self, decision_id: UUID, at: datetime) -> None:
        self.db.final_decisions[decision_id]["purged_at"] = at

    def forget(self, account_id: UUID) -> None:
        self.db.final_decisions = {k: v for k, v in self.db.final_decisions.items()
                                   if v["account_id"] != account_id}


class FakeServiceRequestRepository(_Repository):
    def _request(self, request_id: UUID) -> ServiceRequest | None:
        row = self.db.requests.get(request_id)
        return row["request"] if row else None

    def _save(self, request: ServiceRequest, **extra: Any) -> ServiceRequest:
        row = self.db.requests.setdefault(request.id, {})
        row.update(request=request, **extra)
        return request

    def add(self, *, id: UUID, requester_account_id: UUID | None, requester_email: str, requester_name: str,
            language: str, subject: str, state: RequestState, matched_account_id: UUID | None,
            confirm_token_sha256: str | None = None, confirm_expires_at: datetime | None = None
            ) -> ServiceRequest:
        now = self.db.now()
        request = ServiceRequest(
            id=id, requester_account_id=requester_account_id, requester_email=requester_email,
            requester_name=requester_name, language=language, subject=subject, state=state,
            matched_account_id=matched_account_id,
            confirmed_at=None if state == RequestState.UNCONFIRMED else now, created_at=now, updated_at=now)
        return self._save(request, token=confirm_token_sha256, expires_at=confirm_expires_at)

    def get(self, request_id: UUID, *, for_update: bool = False) -> ServiceRequest | None:
        return self._request(request_id)

    def lock_address(self, email: str) -> None:
        """One thread at a time: nothing to serialise."""

    def unconfirmed_since(self, email: str, since: datetime) -> int:
        return sum(1 for row in self.db.requests.values()
                   if row["request"].requester_email.lower() == email.lower()
                   and row["request"].state == RequestState.UNCONFIRMED
                   and row["request"].created_at >= since)

    def confirm(self, token_sha256: str, now: datetime, matched) -> ServiceRequest | None:
        for row in self.db.requests.values():
            request = row["request"]
            if row.get("token") == token_sha256 and request.state == RequestState.UNCONFIRMED \
                    and row["expires_at"] > now:
                changed = dataclasses.replace(request, state=RequestState.OPEN, confirmed_at=self.db.now(),
                                              updated_at=self.db.now(),
                                              matched_account_id=matched(request.requester_email))
                return self._save(changed, token=None)
        return None

    def set_state(self, request_id: UUID, state: RequestState) -> ServiceRequest:
        request = self._request(request_id)
        assert request is not None
        return self._save(dataclasses.replace(request, state=state, updated_at=self.db.now()))

    def _drop(self, doomed: set[UUID]) -> None:
        """The requests, and with them (ON DELETE CASCADE) their posts, attachments and e-mails."""
        self.db.requests = {k: v for k, v in self.db.requests.items() if k not in doomed}
        self.db.posts = [p for p in self.db.posts if p.request_id not in doomed]
        self.db.attachments = [a for a in self.db.attachments if a.request_id not in doomed]
        self.db.messages = {k: m for k, m in self.db.messages.items() if m.service_request_id not in doomed}

    def mine(self, account_id: UUID, *, page: int, page_size: int) -> tuple[list[ServiceRequest], int]:
        found = sorted((row["request"] for row in self.db.requests.values()
                        if account_id in (row["request"].requester_account_id,
                                          row["request"].matched_account_id)),
                       key=lambda r: r.created_at, reverse=True)
        return found[(page - 1) * page_size:page * page_size], len(found)

    def queue(self, *, state: str | None, page: int, page_size: int) -> tuple[list[ServiceRequest], int]:
        found = sorted((row["request"] for row in self.db.requests.values()
                        if row["request"].state != RequestState.UNCONFIRMED
                        and (state is None or row["request"].state == state)),
                       key=lambda r: (r.updated_at, str(r.id)))
        return found[(page - 1) * page_size:page * page_size], len(found)

    def add_post(self, *, id: UUID, request_id: UUID, kind: PostKind, author_account_id: UUID | None,
                 author_name: str, text: str, source_event_id: UUID | None = None) -> Post | None:
        if source_event_id is not None and any(
                getattr(p, "_source", None) == source_event_id for p in self.db.posts):
            return None
        post = Post(id=id, request_id=request_id, kind=kind, author_account_id=author_account_id,
                    author_name=author_name, text=text, created_at=self.db.now())
        object.__setattr__(post, "_source", source_event_id)
        self.db.posts.append(post)
        return post

    def posts(self, request_id: UUID) -> list[Post]:
        return [p for p in self.db.posts if p.request_id == request_id]

    def add_attachment(self, attachment: Attachment) -> None:
        self.db.attachments.append(attachment)

    def attachments(self, request_id: UUID) -> list[Attachment]:
        return [a for a in self.db.attachments if a.request_id == request_id]

    def attachment(self, request_id: UUID, attachment_id: UUID) -> Attachment | None:
        return next((a for a in self.attachments(request_id) if a.id == attachment_id), None)

    def add_link(self, token_sha256: str, request_id: UUID, expires_at: datetime) -> None:
        self.db.links[token_sha256] = (request_id, expires_at)

    def by_link(self, token_sha256: str, now: datetime, *, for_update: bool = False) -> ServiceRequest | None:
        found = self.db.links.get(token_sha256)
        if found is None or found[1] <= now:
            return None
        return self._request(found[0])

    def delete_unconfirmed(self, expired_before: datetime) -> int:
        doomed = {k for k, row in self.db.requests.items()
                  if row["request"].state == RequestState.UNCONFIRMED and row["expires_at"] < expired_before}
        self._drop(doomed)
        return len(doomed)

    def forget(self, account_id: UUID, address: str | None = None) -> list[str]:
        def theirs(request: ServiceRequest) -> bool:
            return account_id in (request.requester_account_id, request.matched_account_id) or (
                bool(address) and request.requester_account_id is None and request.matched_account_id is None
                and request.requester_email.lower() == address.lower())  # type: ignore[union-attr]

        doomed = {k for k, row in self.db.requests.items() if theirs(row["request"])}
        keys = [a.object_key for a in self.db.attachments if a.request_id in doomed]
        self._drop(doomed)
        self.db.published[:] = [e for e in self.db.published if e.data.get("request_id") not in doomed]
        return keys


class FakeOutboxRepository(_Repository):
    """Every event a unit of work committed counts as published here."""

    def forget_published_about(self, account_id: UUID) -> None:
        self.db.published[:] = [e for e in self.db.published if e.subject != account_id]


class FakeNotificationsUnitOfWork(FakeUnitOfWork):
    producer = SqlNotificationsUnitOfWork.producer

    def __init__(self, db: FakeNotificationsDatabase | None = None):
        super().__init__()
        self.db = self.data = db or FakeNotificationsDatabase()  # restored by FakeUnitOfWork on a rollback
        self.published = self.db.published
        self.contacts = FakeContactRepository(self.db)
        self.submissions = FakeSubmissionRepository(self.db)
        self.deadlines = FakeSupplementDeadlineRepository(self.db)
        self.parked = FakeParkedNoticeRepository(self.db)
        self.messages = FakeMessageRepository(self.db)
        self.final_decisions = FakeFinalDecisionRepository(self.db)
        self.desk = FakeServiceRequestRepository(self.db)
        self.outbox = FakeOutboxRepository(self.db)


class FakeMailer:
    """Keeps what it sends in ``sent``; ``fail(address, failure, times)`` refuses an address (times=None:
    always). ``closed`` counts the ends of sessions."""

    def __init__(self) -> None:
        self.sent: list[Mail] = []
        self.failures: dict[str, list[Any]] = {}
        self.closed = 0

    def fail(self, address: str, failure: SendFailed, times: int | None = None) -> None:
        self.failures[address] = [failure, times]

    def send(self, mail: Mail) -> None:
        rule = self.failures.get(mail.to_address)
        if rule is not None and (rule[1] is None or rule[1] > 0):
            if rule[1] is not None:
                rule[1] -= 1
            raise rule[0]
        self.sent.append(mail)

    def close(self) -> None:
        self.closed += 1
