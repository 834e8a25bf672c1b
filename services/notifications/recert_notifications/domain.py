"""Who hears of what, the messages and their delivery, and the rules of both. No Flask, no SQL, no broker.

An event becomes zero or more ``Notice``s: a template, an audience (the person the event is about, the
assessor it names, or every DNV officer) and the *fact* it reports. A message is made once per fact,
recipient and channel: the same event redelivered, or the same fact sent again in a new envelope (a reminder
schedule that ran twice), makes nothing new.
"""
from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from recert_common.clock import local_day
from recert_common.domain_errors import DomainError, NotFoundError
from recert_common.rules import result_expected_window

DNV_OFFICER = "dnv_officer"


class Channel(enum.StrEnum):
    EMAIL = "email"
    IN_APP = "in_app"


class State(enum.StrEnum):
    PENDING = "pending"  # e-mail waiting for its (next) attempt
    SENT = "sent"  # e-mail accepted by the SMTP server
    FAILED = "failed"  # e-mail given up on: shown to operators, who may retry it
    DELIVERED = "delivered"  # in-app: in the inbox from the moment it is made


class Audience(enum.Enum):
    PERSON = "person"  # data.account_id: the jobcoach (or staff member) the event is about
    ASSESSOR = "assessor"  # data.assessor_id
    DNV_OFFICERS = "dnv_officers"  # every known, enabled contact with the role dnv_officer


@dataclass(frozen=True)
class Contact:
    account_id: UUID
    full_name: str
    email: str
    language: str
    roles: frozenset[str]
    disabled: bool = False

    def as_context(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "full_name": self.full_name, "email": self.email}


@dataclass(frozen=True)
class Message:
    """One message to one person on one channel, with its delivery state."""

    id: UUID
    recipient_id: UUID | None  # None: an e-mail to an address that is no account (the service desk)
    channel: Channel
    template: str
    fact_key: str
    trigger_event_id: UUID | None
    trigger_event_type: str | None
    language: str
    subject: str
    body_text: str
    body_html: str
    email_address: str | None
    state: State
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    failed_at: datetime | None = None
    read_at: datetime | None = None
    created_at: datetime | None = None
    service_request_id: UUID | None = None  # the service desk's request an e-mail is about (ADR 0029)


@dataclass(frozen=True)
class NewMessage:
    """A message about to be made: e-mail starts pending and due at once, in-app is delivered at once."""

    id: UUID
    recipient_id: UUID | None  # None: an e-mail to an address that is no account (the service desk)
    channel: Channel
    template: str
    fact_key: str
    trigger_event_id: UUID | None
    trigger_event_type: str | None
    language: str
    subject: str
    body_text: str
    body_html: str
    email_address: str | None
    # The service desk's request the message is about: deleting the request deletes it (ADR 0029).
    service_request_id: UUID | None = None

    @property
    def initial_state(self) -> State:
        return State.PENDING if self.channel == Channel.EMAIL else State.DELIVERED


@dataclass(frozen=True)
class DueEmail:
    """An e-mail claimed for its next try, with the name and the current address of its recipient's contact
    (None: no contact, or not known)."""

    message: Message
    recipient_name: str | None
    recipient_email: str | None = None


@dataclass(frozen=True)
class DueReminder:
    """An open supplement deadline within the reminder window, not reminded of for its date yet."""

    case_id: UUID
    account_id: UUID
    due_on: date


@dataclass(frozen=True)
class ParkedNotice:
    """A notice waiting for its recipient's contact; ``envelope`` is the event as it came (JSON)."""

    fact_key: str
    template: str
    event_id: UUID
    envelope: dict[str, Any]
    parked_at: datetime | None = None

    @property
    def fact(self) -> str:
        return self.fact_key.partition(":")[2]


@dataclass(frozen=True)
class FinalDecision:
    """A positive or negative certification decision: the start of the retention period (ADR 0020)."""

    decision_id: UUID
    account_id: UUID
    decided_at: datetime


# --- refusals --------------------------------------------------------------------------------------------


class MessageNotFound(NotFoundError):
    """For someone else's message as well as for one that does not exist: the two look the same."""


class MessageNotFailed(DomainError):
    """Only an e-mail that failed for good can be retried by hand; a pending one is being retried already."""

    state: str


@dataclass(frozen=True)
class Notice:
    """One template to one person (``account_id``) or to everyone with ``role``, about one ``fact``."""

    template: str
    fact: str
    account_id: UUID | None = None
    role: str | None = None

    @property
    def fact_key(self) -> str:
        return f"{self.template}:{self.fact}"


@dataclass(frozen=True)
class Route:
    template: str
    audience: Audience
    # The data fields that name the fact; empty: the event itself (its id) is the fact.
    fact_fields: tuple[str, ...] = ()


_PERSON, _ASSESSOR, _OFFICERS = Audience.PERSON, Audience.ASSESSOR, Audience.DNV_OFFICERS

ROUTES: dict[str, tuple[Route, ...]] = {
    "identity.account.registered": (Route("account_registered", _PERSON, ("account_id",)),),
    "identity.email.verification_requested": (Route("email_verification", _PERSON),),
    "identity.registration.attempted": (Route("registration_attempted", _PERSON),),
    "identity.password.reset_requested": (Route("password_reset_link", _PERSON),),
    "identity.password.reset": (Route("password_reset", _PERSON),),
    "identity.totp.enrolled": (Route("totp_enrolled", _PERSON),),
    "identity.totp.reset": (Route("totp_reset", _PERSON),),
    "identity.account.locked": (Route("account_locked", _PERSON, ("account_id", "locked_until")),),
    "certification.certificate.expiring": (
        Route("certificate_expiring", _PERSON, ("certificate_id", "valid_until", "months_before")),),
    "portfolio.submitted": (Route("portfolio_submitted", _PERSON, ("submission_id",)),),
    "portfolio.withdrawn": (Route("portfolio_withdrawn", _PERSON, ("submission_id",)),),
    "portfolio.supplement.submitted": (Route("supplement_submitted", _PERSON, ("supplement_id",)),),
    "assessment.case.opened": (Route("case_opened", _OFFICERS, ("case_id",)),),
    "assessment.case.overdue": (Route("case_overdue", _OFFICERS, ("case_id", "stage", "due_on")),),
    # A case may have two PE checks: the failed one and the one done again after the supplement for B (ADR
    # 0011). Assessment announces each check once (one outbox row per completed check, a redelivery keeps its
    # id), and the event carries nothing that tells one check of a case from the other: the event is the fact.
    "assessment.pe_check.completed": (Route("pe_check_completed", _PERSON),),
    # Each refusal answers a request of its own (ADR 0041): the event is the fact.
    "assessment.withdrawal.refused": (Route("withdrawal_refused", _PERSON),),
    # A case can come back to an assessor after a reassignment (A, then B, then A again): each assignment is
    # announced once by assessment, and each is news to the assessor it names. The event is the fact.
    "assessment.assessor.assigned": (Route("assessor_assigned", _ASSESSOR),),
    # The advice is internal to DNV until DNV decides (ADR 0011): its officers hear of it, the jobcoach not.
    "assessment.advice.given": (Route("advice_given", _OFFICERS, ("case_id", "is_reassessment")),),
    "assessment.objection.filed": (Route("objection_filed", _PERSON, ("objection_id",)),),
    "assessment.objection.decided": (Route("objection_decided", _PERSON, ("objection_id",)),),
    "certification.decision.made": (Route("decision_made", _PERSON, ("decision_id",)),),
    "certification.certificate.renewed": (
        Route("certificate_renewed", _PERSON, ("certificate_id", "valid_until")),),
    "certification.certificate.reactivated": (
        Route("certificate_reactivated", _PERSON, ("certificate_id", "decision_id")),),
    "certification.certificate.lapsed": (
        Route("certificate_lapsed", _PERSON, ("certificate_id", "lapsed_on")),),
    "billing.invoice.issued": (Route("invoice_issued", _PERSON, ("invoice_id",)),),
    "billing.invoice.paid": (Route("invoice_paid", _PERSON, ("invoice_id",)),),
    "billing.invoice.cancelled": (Route("invoice_cancelled", _PERSON, ("invoice_id",)),),
    # Issue 14 (ADR 0026): the wegwijzer's nudge, once per milestone per cycle.
    "portfolio.milestone.behind": (Route("milestone_behind", _PERSON, ("cycle_id", "milestone")),),
}

# Messages carrying a secret link: by e-mail only, never copied into the in-app inbox (whoever reads the
# inbox is logged in already and must not find a link that works without the mailbox).
EMAIL_ONLY: frozenset[str] = frozenset({"email_verification", "password_reset_link"})

# Made by the worker's schedule, not by an event: a reminder before a supplement's due date.
SUPPLEMENT_DUE_SOON = "supplement_due_soon"

# Made by the service desk's use cases (ADR 0029), in the transaction of what they report: the link that
# confirms a logged-out person's request, a new request and a requester's reply to DNV's support address,
# support's answer to the requester.
DESK_CONFIRM = "desk_confirm"
DESK_REQUEST_OPENED = "desk_request_opened"
DESK_REQUEST_REPLIED = "desk_request_replied"
DESK_REQUEST_ANSWERED = "desk_request_answered"
DESK_TEMPLATES = frozenset({DESK_CONFIRM, DESK_REQUEST_OPENED, DESK_REQUEST_REPLIED, DESK_REQUEST_ANSWERED})

# Every template the service can make; the template files must match this set exactly.
TEMPLATES: frozenset[str] = frozenset(
    {route.template for routes in ROUTES.values() for route in routes} | {SUPPLEMENT_DUE_SOON}
    | DESK_TEMPLATES)


def channels_for(template: str) -> tuple[Channel, ...]:
    """E-mail always; the in-app inbox too unless the message carries a secret link (``EMAIL_ONLY``)."""
    return (Channel.EMAIL,) if template in EMAIL_ONLY else (Channel.EMAIL, Channel.IN_APP)


def _fact_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def fact(fields: Mapping[str, Any]) -> str:
    """``{"case_id": ..., "due_on": ...}`` -> "case_id=...|due_on=2027-08-01": stable across envelopes."""
    return "|".join(f"{name}={_fact_value(value)}" for name, value in fields.items())


def notices_for(event_type: str, data: Mapping[str, Any], event_id: UUID) -> list[Notice]:
    """What the event must become; an empty list for events nobody needs to hear about."""
    notices = []
    for route in ROUTES.get(event_type, ()):
        what = fact({name: data[name] for name in route.fact_fields}) if route.fact_fields \
            else fact({"event": event_id})
        if route.audience is Audience.DNV_OFFICERS:
            notices.append(Notice(route.template, what, role=DNV_OFFICER))
        else:
            field = "assessor_id" if route.audience is Audience.ASSESSOR else "account_id"
            notices.append(Notice(route.template, what, account_id=data[field]))
    return notices


def annuls_supplement(objection: Mapping[str, Any]) -> bool:
    """Whether ``assessment.objection.decided`` annulled the postponed decision taken on the failed PE check
    alone, with the PE supplement it asked for (ADR 0011, amended): upheld, and the case goes back to the PE
    check. An upheld objection from before ``next_step`` existed (None) was followed by a new decision."""
    return objection["outcome"] == "upheld" and objection.get("next_step") == "pe_check"


def supplement_reminder(case_id: UUID, account_id: UUID, due_on: date) -> Notice:
    """Once per case and due date: a later postponement with a new date is reminded of again."""
    return Notice(SUPPLEMENT_DUE_SOON, fact({"case_id": case_id, "due_on": due_on}), account_id=account_id)


def reminder_window(today: date, days_before: int) -> tuple[date, date]:
    """The due dates to remind of today: from today up to ``days_before`` days ahead, both included (a
    reminder is due from ``days_before`` days before the due date up to the due date itself)."""
    return today, today + timedelta(days=days_before)


def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    """Final decisions made up to this instant have had their retention period (ADR 0020)."""
    return now - timedelta(days=retention_days)


def _extras(template: str, data: Mapping[str, Any], *, zone: ZoneInfo, today: date) -> dict[str, Any]:
    """Values a template needs besides the event's data: computed here, so templates only format."""
    if template == "portfolio_submitted":
        submitted_on = local_day(data["submitted_at"], zone)
        window = result_expected_window(submitted_on)
        return {"submitted_on": submitted_on, "result_from": window.first, "result_until": window.last}
    if template == SUPPLEMENT_DUE_SOON:
        return {"days_left": (data["due_on"] - today).days}
    if template == "certificate_expiring":
        # The real time left on the day the message is written, not the reminder's bucket (12, 6, 3 or 1
        # months): "over 62 dagen" 62 days before the last valid day. Never negative.
        return {"days_left": max(0, (data["valid_until"] - today).days)}
    return {}


def message_context(template: str, data: Mapping[str, Any], *, recipient: Contact, person: Contact | None,
                    assessor: Contact | None, portal_url: str, occurred_at: datetime, zone: ZoneInfo,
                    today: date, already_submitted: bool = False) -> dict[str, Any]:
    """Everything a template may use: the event's data, who it goes to, the people the event names
    (``person``: the account it is about; ``assessor``; None when not known), and computed values."""
    context = dict(data)
    context.update(
        recipient=recipient.as_context(), person=person.as_context() if person else None,
        assessor=assessor.as_context() if assessor else None, portal_url=portal_url.rstrip("/"),
        occurred_at=occurred_at, already_submitted=already_submitted,
        **_extras(template, data, zone=zone, today=today))
    return context


# --- e-mail delivery -------------------------------------------------------------------------------------


def retry_delay(attempts: int, *, base_seconds: float, max_seconds: float) -> timedelta:
    """Back-off after the ``attempts``-th failed try: base, 2x base, 4x base, ..., at most ``max_seconds``."""
    if attempts < 1:
        raise ValueError("attempts counts tries made, from 1")
    return timedelta(seconds=min(max_seconds, base_seconds * 2 ** min(attempts - 1, 30)))


@dataclass(frozen=True)
class AttemptOutcome:
    state: State
    next_attempt_in: timedelta | None  # None when no further try follows


def after_failed_attempt(attempts: int, *, permanent: bool, max_attempts: int, base_seconds: float,
                         max_seconds: float) -> AttemptOutcome:
    """``attempts`` tries failed, the last one permanently or not: try again later, or give up."""
    if permanent or attempts >= max_attempts:
        return AttemptOutcome(State.FAILED, None)
    return AttemptOutcome(State.PENDING, retry_delay(attempts, base_seconds=base_seconds,
                                                     max_seconds=max_seconds))


# Messages that belong to the address they were made for, whatever the contact says later: the link of an
# e-mail verification proves that very address (ADR 0018), so it never follows a change.
ADDRESS_BOUND: frozenset[str] = frozenset({"email_verification"})


def address_for(message: Message, current: str | None) -> str | None:
    """Where an e-mail goes at its next try: the address its recipient has now (``current``, the contact's),
    so that a retry after a corrected address and an e-mail still waiting when someone changed theirs reach
    the right mailbox; the stored address when there is no contact (an address that is no account, or a
    contact not known) and for a message bound to its address (``ADDRESS_BOUND``)."""
    if current is None or message.recipient_id is None or message.template in ADDRESS_BOUND:
        return message.email_address
    return current


def check_retry(message: Message | None, message_id: UUID) -> Message:
    """The e-mail an operator may send again: one that failed for good. An in-app message is not found."""
    if message is None or message.channel != Channel.EMAIL:
        raise MessageNotFound(message_id=message_id)
    if message.state != State.FAILED:
        raise MessageNotFailed(state=str(message.state))
    return message
