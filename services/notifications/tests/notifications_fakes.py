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


class FakeNotificationsDatabase:
    def __init__(self, now: datetime = datetime(2027, 7, 18, 8, 0, tzinfo=UTC)) -> None:
        self.clock = now
        self.contacts: dict[UUID, dict[str, Any]] = {}
        self.submissions: dict[UUID, dict[str, Any]] = {}
        self.deadlines: dict[UUID, dict[str, Any]] = {}
        self.parked: dict[tuple[str, UUID], dict[str, Any]] = {}
        self.messages: dict[UUID, Message] = {}
        self.final_decisions: dict[UUID, dict[str, Any]] = {}
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
        row = self.db.contacts.get(account_id)
        if row is not None and row["profile_as_of"] > as_of:
            return False
        self.db.contacts[account_id] = {
            "full_name": full_name, "email": email, "language": language, "roles": sorted(set(roles)),
            "profile_as_of": as_of, "disabled_at": row["disabled_at"] if row else None}
        return True

    def disable(self, account_id: UUID, at: datetime) -> None:
        row = self.db.contacts.get(account_id)
        if row is not None and row["disabled_at"] is None:
            row["disabled_at"] = at

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

    def forget(self, account_id: UUID) -> None:
        self.db.contacts.pop(account_id, None)


class FakeSubmissionRepository(_Repository):
    def record(self, *, submission_id: UUID, account_id: UUID, certificate_id: UUID,
               certificate_expires_on: date, submitted_at: datetime) -> None:
        self.db.submissions.setdefault(submission_id, {
            "account_id": account_id, "certificate_id": certificate_id,
            "certificate_expires_on": certificate_expires_on, "submitted_at": submitted_at,
            "withdrawn_at": None})

    def withdraw(self, submission_id: UUID, at: datetime) -> None:
        row = self.db.submissions.get(submission_id)
        if row is not None and row["withdrawn_at"] is None:
            row["withdrawn_at"] = at

    def has_submission(self, certificate_id: UUID, expires_on: date) -> bool:
        return any(row["certificate_id"] == certificate_id and row["certificate_expires_on"] == expires_on
                   and row["withdrawn_at"] is None for row in self.db.submissions.values())

    def forget(self, account_id: UUID) -> None:
        self.db.submissions = {k: v for k, v in self.db.submissions.items() if v["account_id"] != account_id}


class FakeSupplementDeadlineRepository(_Repository):
    def open(self, case_id: UUID, account_id: UUID, due_on: date) -> None:
        row = self.db.deadlines.get(case_id)
        if row is None:
            self.db.deadlines[case_id] = {"account_id": account_id, "due_on": due_on, "closed_at": None,
                                          "reminded_for": None}
            return
        if row["due_on"] != due_on:
            row["closed_at"] = None
        row["due_on"] = due_on

    def close(self, case_id: UUID, at: datetime) -> None:
        row = self.db.deadlines.get(case_id)
        if row is not None and row["closed_at"] is None:
            row["closed_at"] = at

    def due_for_reminder(self, *, first_due_on: date, last_due_on: date, limit: int) -> list[DueReminder]:
        due = [DueReminder(case_id, row["account_id"], row["due_on"])
               for case_id, row in self.db.deadlines.items()
               if row["closed_at"] is None and first_due_on <= row["due_on"] <= last_due_on
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

    def claim_due_email(self) -> DueEmail | None:
        now = self.db.now()
        due = [m for m in self.db.messages.values()
               if m.state == State.PENDING and m.next_attempt_at is not None and m.next_attempt_at <= now]
        if not due:
            return None
        message = min(due, key=lambda m: (m.next_attempt_at, m.created_at))
        contact = self.db.contacts.get(message.recipient_id)
        return DueEmail(message, contact["full_name"] if contact else None)

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

    def requeue_failed(self, message_id: UUID) -> Message | None:
        message = self.db.messages.get(message_id)
        if message is None or message.state != State.FAILED:
            return None
        return self._replace(message, state=State.PENDING, attempts=0, next_attempt_at=self.db.now(),
                             failed_at=None)

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

    def delete_settled_before(self, recipient_id: UUID, before: datetime) -> int:
        doomed = [m.id for m in self.db.messages.values() if m.recipient_id == recipient_id
                  and m.created_at < before and m.state != State.PENDING]  # type: ignore[operator]
        for message_id in doomed:
            del self.db.messages[message_id]
        return len(doomed)

    def forget(self, account_id: UUID) -> None:
        self.db.messages = {k: m for k, m in self.db.messages.items() if m.recipient_id != account_id}


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


class FakeNotificationsUnitOfWork(FakeUnitOfWork):
    producer = "notifications"

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
