"""Notifications' service and handlers on the in-memory unit of work (``notifications_fakes.py``): no
database, broker, SMTP server or network. ``world`` is one test's service with its fake database, mailer
and calendar day, and the events other services publish, as the consumer hands them over."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import notifications_fakes as fakes
import pytest

from recert_common.events import Event, load_event, new_event
from recert_common.uow import fake_handled
from recert_notifications.domain import Channel, Message
from recert_notifications.handlers import Handlers
from recert_notifications.service import NotificationsService
from recert_notifications.settings import NotificationsSettings
from recert_notifications.templates import Renderer, Support

PRODUCERS = {"identity": "identity", "portfolio": "portfolio", "assessment": "assessment",
             "certification": "assessment", "billing": "billing"}


@dataclasses.dataclass
class Person:
    account_id: UUID
    full_name: str
    email: str
    language: str
    roles: list[str]


# One renderer for every test: its compiled templates are what takes time, and it keeps no other state.
_RENDERERS: dict[tuple[str, str, str], Renderer] = {}


def _renderer(settings: NotificationsSettings) -> Renderer:
    key = (settings.time_zone, settings.support_email, settings.support_phone)
    if key not in _RENDERERS:
        _RENDERERS[key] = Renderer(settings.zone, support=Support(settings.support_email,
                                                                  settings.support_phone))
    return _RENDERERS[key]


class World:
    def __init__(self, **settings: Any):
        self.settings = NotificationsSettings.from_env(
            "notifications", env={}, **{"send_max_attempts": 3, "send_retry_base_seconds": 30.0,
                                        "send_retry_max_seconds": 3600.0, "send_batch_size": 100,
                                        "portal_url": "https://mijn.example.org", **settings})
        self.db = fakes.FakeNotificationsDatabase()
        self.mailer = fakes.FakeMailer()
        self.day = date(2027, 7, 18)
        self.service = NotificationsService(self.uow, self.settings, renderer=_renderer(self.settings),
                                            mailer_factory=lambda: self.mailer, today=lambda: self.day,
                                            now=self.db.now)
        self.handlers = Handlers(self.service)

    def uow(self):
        return fakes.FakeNotificationsUnitOfWork(self.db)

    # --- events as the consumer hands them over ----------------------------------------------------------

    def event(self, event_type: str, data: dict[str, Any], *, occurred_at: datetime | None = None,
              subject: Any = "account") -> Event:
        """The event through the catalogue's schema and back, as the consumer loads it."""
        subject = data.get("account_id") if subject == "account" else subject
        made = new_event(event_type, data, producer=PRODUCERS[event_type.split(".")[0]], subject=subject)
        if occurred_at is not None:
            made = dataclasses.replace(made, occurred_at=occurred_at)
        return load_event(made.to_json())

    def handle(self, event_or_type: Event | str, data: dict[str, Any] | None = None, **options: Any) -> Event:
        event = event_or_type if isinstance(event_or_type, Event) else self.event(event_or_type, data,
                                                                                  **options)
        handler = self.handlers.table().get(event.type)
        assert handler is not None, f"notifications does not consume {event.type}"
        fake_handled(self.uow(), handler, event)
        return event

    def again(self, event: Event) -> Event:
        """The same fact in a new envelope (a new event id)."""
        return self.handle(event.type, event.data, subject=event.subject)

    # --- people ------------------------------------------------------------------------------------------

    def person(self, full_name: str, *roles: str, language: str = "nl", register: bool = True) -> Person:
        account_id = uuid.uuid4()
        person = Person(account_id, full_name, f"{full_name.lower().replace(' ', '.')}@example.org", language,
                        list(roles) or ["jobcoach"])
        if register:
            self.handle("identity.account.registered", self.profile(person))
        return person

    @staticmethod
    def profile(person: Person, **changes: Any) -> dict[str, Any]:
        jobcoach = "jobcoach" in person.roles
        return {"account_id": person.account_id, "email": person.email, "full_name": person.full_name,
                "roles": person.roles, "membership_kind": "member" if jobcoach else None,
                "membership_number": "12345678" if jobcoach else None, "preferred_language": person.language,
                **changes}

    # --- what other services publish ---------------------------------------------------------------------

    @staticmethod
    def submitted(person: Person, *, certificate_id: UUID, expires_on: date = date(2027, 9, 30),
                  submission_id: UUID | None = None) -> dict[str, Any]:
        return {"portfolio_id": uuid.uuid4(), "cycle_id": uuid.uuid4(),
                "submission_id": submission_id or uuid.uuid4(), "account_id": person.account_id,
                "certificate_id": certificate_id, "certificate_expires_on": expires_on,
                "submitted_at": datetime(2027, 7, 1, 9, 30, tzinfo=UTC), "snapshot_hash": "a" * 64,
                "pe_activity_ids": [uuid.uuid4()], "pe_points_counted": Decimal("75"),
                "reflection_meetings": 4, "is_new_portfolio_after_negative": False}

    @staticmethod
    def expiring(person: Person, *, certificate_id: UUID, valid_until: date = date(2027, 9, 30),
                 months_before: int = 1) -> dict[str, Any]:
        return {"certificate_id": certificate_id, "certificate_number": "RJ-2023-0042",
                "account_id": person.account_id, "months_before": months_before, "valid_until": valid_until,
                "window_opens_on": valid_until - timedelta(days=92), "window_open": True}

    @staticmethod
    def decision(person: Person, decision: str, *, case_id: UUID, **extra: Any) -> dict[str, Any]:
        data = {"decision_id": uuid.uuid4(), "case_id": case_id, "account_id": person.account_id,
                "certificate_id": uuid.uuid4(), "decision": decision, "follows_advice": True,
                "objection_deadline": date(2027, 8, 29), **extra}
        if decision == "postponed":
            data.setdefault("supplement_due_on", date(2027, 8, 1))
            data.setdefault("supplements", [{"part": "A3", "assignment": "Schrijf het verslag opnieuw."}])
        if decision == "negative":
            data.setdefault("new_portfolio_deadline", date(2027, 10, 1))
        return data

    @staticmethod
    def supplement(person: Person, *, case_id: UUID) -> dict[str, Any]:
        return {"supplement_id": uuid.uuid4(), "case_id": case_id, "portfolio_id": uuid.uuid4(),
                "submission_id": uuid.uuid4(), "account_id": person.account_id, "parts": ["A3"],
                "submitted_at": datetime(2027, 7, 20, 10, 0, tzinfo=UTC), "snapshot_hash": "b" * 64}

    # --- looking inside ----------------------------------------------------------------------------------

    def messages(self, person: Person, channel: Channel | None = None) -> list[Message]:
        return sorted((m for m in self.db.messages.values() if m.recipient_id == person.account_id
                       and (channel is None or m.channel == channel)), key=lambda m: m.created_at)

    def templates(self, person: Person, channel: Channel | None = None) -> list[str]:
        return [m.template for m in self.messages(person, channel)]

    def published(self, event_type: str | None = None) -> list[Event]:
        """What was committed, as a consumer would load it."""
        return [load_event(e.to_json()) for e in self.db.published
                if event_type is None or e.type == event_type]


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def make_world():
    return World
