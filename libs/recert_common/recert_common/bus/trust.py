"""Whether a consumer may believe a received event: the second line behind the broker's permissions.

RabbitMQ refuses a message whose ``user_id`` property differs from the user of the connection that publishes
it, so ``user_id`` says which broker user sent it. An event is accepted only when

- its envelope's ``producer`` is the producer the catalogue names for its type, and
- the message's ``user_id`` is that producer's broker user (``<prefix><producer>``, see ``access``);

and, for what Noloc's system sends, only when it is something Noloc may claim (``OUTSIDE_CLAIMS``). A
message the consumer itself forwarded to its retry queue carries its own ``user_id``; the original sender is
kept in the ``x-original-user-id`` header, which is believed only on messages sent by the consumer's own user.
So is the retry count in ``x-retries`` (``retries``): any publisher can set headers, and an unreadable or
forged count must neither stop the consumer nor move an event past its retries.

``trusted_users`` is the single-user mode of the test harness (everything on ``guest``): a message from one
of those users passes the ``user_id`` comparison. Empty by default: the strict mapping is what runs.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from recert_common.bus.access import DEFAULT_USER_PREFIX
from recert_common.clock import CalendarSettings
from recert_common.events import Event, registry

ORIGINAL_USER_HEADER = "x-original-user-id"
RETRIES_HEADER = "x-retries"


def header_count(headers: dict | None, name: str) -> int:
    """A count kept in a message header: a whole number from 0 up, else 0. Headers come from whoever
    published, and a count that is no number must not stop whoever reads it."""
    value = (headers or {}).get(name, 0)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _utc_today() -> date:
    return datetime.now(UTC).date()


def _academy_activity(event: Event, latest_day: date) -> str | None:
    from recert_common.rules import InvalidPeAmount, load_framework, pe_points  # noqa: PLC0415

    data = event.data
    if data["completed_on"] > latest_day:
        return f"completed_on {data['completed_on'].isoformat()} is in the future"
    framework = load_framework(data["completed_on"].year)
    if data.get("points") is not None:
        amount, unit = data["points"], "points"
    else:
        amount, unit = data["amount"], {"sbu": "hours", "ects": "ects"}[data["unit"]]
    try:
        pe_points(amount, unit, framework=framework)
    except InvalidPeAmount as exc:
        return f"{amount} {data.get('unit') or 'points'} is outside the framework's bounds: {exc}"
    return None


def _meeting(event: Event, latest_day: date) -> str | None:
    if event.data["met_on"] > latest_day:
        return f"met_on {event.data['met_on'].isoformat()} is in the future"
    return None


#: What an outside party may claim, per event type: a check that returns why not, or None. The second argument
#: is the latest plausible day of what happened (the consumer's today plus a day of grace).
OUTSIDE_CLAIMS: dict[str, Callable[[Event, date], str | None]] = {
    "noloc.academy.activity.completed": _academy_activity,
    "noloc.meeting.attended": _meeting,
}


@dataclass(frozen=True)
class BusTrust:
    own_user: str
    user_prefix: str = DEFAULT_USER_PREFIX
    trusted_users: frozenset[str] = field(default_factory=frozenset)
    #: The consumer's calendar day: the service's own clock, so a service running on a fixed day (demos,
    #: tests) judges dates as it does everywhere else.
    today: Callable[[], date] = _utc_today

    @classmethod
    def from_settings(cls, settings, own_user: str, today: Callable[[], date] | None = None) -> BusTrust:
        trusted = frozenset(u.strip() for u in settings.bus_trusted_users.split(",") if u.strip())
        return cls(own_user=own_user, user_prefix=settings.broker_user_prefix, trusted_users=trusted,
                   today=today or (settings.calendar_today() if isinstance(settings, CalendarSettings)
                                   else _utc_today))

    def sender(self, user_id: str | None, headers: dict | None) -> str | None:
        """The broker user that published the event (through our own retry queue, the original one)."""
        headers = headers or {}
        if user_id == self.own_user and ORIGINAL_USER_HEADER in headers:
            original = headers[ORIGINAL_USER_HEADER]
            return (original.decode() if isinstance(original, bytes) else str(original)) or None
        return user_id

    def retries(self, user_id: str | None, headers: dict | None, max_retries: int) -> int:
        """How often the event was retried: the count this consumer wrote when it sent the message to its
        retry queue. 0 on a message from anyone else, and on a count that is not a whole number from 0 to
        ``max_retries``."""
        count = header_count(headers, RETRIES_HEADER) if user_id == self.own_user else 0
        return count if count <= max_retries else 0

    def refusal(self, event: Event, user_id: str | None, headers: dict | None = None) -> str | None:
        """Why ``event`` must not be believed, or None when it may."""
        expected = registry.get(event.type, event.version).producer
        if event.producer != expected:
            return f"envelope names producer {event.producer!r}, but {event.type} is produced by {expected!r}"
        sender = self.sender(user_id, headers)
        if not sender:
            return "the message carries no user_id: its sender is unknown"
        if sender not in self.trusted_users and sender != f"{self.user_prefix}{expected}":
            return (f"published by broker user {sender!r}, but {event.type} is produced by {expected!r} "
                    f"(broker user {self.user_prefix}{expected!r})")
        check = OUTSIDE_CLAIMS.get(event.type)
        if check is not None:
            try:
                # A day of grace for the time zones ahead of the consumer's.
                reason = check(event, self.today() + timedelta(days=1))
            except Exception as exc:  # a claim that cannot be checked is not believed
                reason = f"the claim cannot be checked ({type(exc).__name__}: {exc})"
            if reason:
                return f"{expected} may not claim this: {reason}"
        return None
