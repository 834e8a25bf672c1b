"""Who may do what on the broker: the one declared table, derived from the events catalogue.

Every party that talks to the broker has a broker user of its own (``<prefix><party>``, e.g.
``recert-portfolio``) on the platform's vhost:

- each **service** may publish on the events exchange exactly the event types the catalogue names it the
  producer of (a topic permission whose write pattern lists those routing keys), and may declare, bind and
  read only its own queues (``<service>.<purpose>`` with their retry and dead-letter queues), binding them
  only to the event types the catalogue names it a consumer of (the topic permission's read pattern, which
  RabbitMQ checks on ``queue.bind``): a service cannot listen to identity's events that carry the links of
  a password reset or an address verification, nor to anything else it does not consume;
- **Noloc's system** may publish exactly the ``noloc.*`` types of the catalogue and read only its own queue;
- **DNV's system** may publish nothing and read only its own queue.

The outside parties cannot declare, bind or delete anything: their queues are declared and bound here, by the
operator's ``python -m recert_common.bus provision`` (see ``provision``), which also creates the vhost, the
users, their permissions and topic permissions. The same user name belongs to the producer a consumer checks
the ``user_id`` property against (``recert_common.bus.trust``).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from recert_common.events import catalogue, registry

DEFAULT_USER_PREFIX = "recert-"
DEFAULT_VHOST = "recert"

# What the outside parties receive: their queue's bindings on the events exchange. Kept short on purpose:
# the events about certificates and decisions, which are DNV's and Noloc's business; nothing else (no
# identity, portfolio or PE data).
OUTSIDE_SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "dnv": ("certification.#",),
    "noloc": ("certification.certificate.#", "certification.credential.#"),
}
OUTSIDE_PARTIES = tuple(OUTSIDE_SUBSCRIPTIONS)


@dataclass(frozen=True)
class Party:
    """One broker user and what it may do. ``publishes`` are exact event types (routing keys)."""

    name: str
    publishes: tuple[str, ...]
    outside: bool
    receives: tuple[str, ...] = ()
    consumes: tuple[str, ...] = ()  # exact event types a service binds its queues to

    def user(self, prefix: str = DEFAULT_USER_PREFIX) -> str:
        return f"{prefix}{self.name}"

    def queue_prefix(self, queue_prefix: str = "") -> str:
        """Every queue of this party starts with this: ``<queue prefix><party>.``."""
        return f"{queue_prefix}{self.name}."

    def outside_queue(self, queue_prefix: str = "") -> str | None:
        return f"{self.queue_prefix(queue_prefix)}events" if self.outside else None

    def permissions(self, exchange: str, queue_prefix: str = "") -> dict[str, str]:
        """RabbitMQ's configure/write/read patterns on the vhost."""
        own = re.escape(self.queue_prefix(queue_prefix)) + ".*"
        ex = re.escape(exchange)
        if self.outside:
            return {"configure": "^$", "write": f"^{ex}$" if self.publishes else "^$", "read": f"^{own}$"}
        # A service declares its own queues (configure; the exchange it only checks passively, so it cannot
        # delete or redefine it), binds them to the exchange (write on the queue, read on the exchange),
        # publishes events (write on the exchange) and sends retries and dead letters to its own queues
        # through the default exchange (write on amq.default).
        return {"configure": f"^{own}$", "write": f"^({ex}|amq\\.default|{own})$",
                "read": f"^({ex}|{own})$"}

    def topic_write(self) -> str:
        """The routing keys this party may publish on the events exchange, or none at all (``^$``)."""
        return _exactly(self.publishes)

    def topic_read(self) -> str:
        """The binding keys this party may bind a queue with on the events exchange: exactly the types it
        consumes. Outside parties bind nothing (their bindings are the operator's, made by ``provision``
        with the administrator's user)."""
        return _exactly(self.consumes)


def _exactly(types: tuple[str, ...]) -> str:
    if not types:
        return "^$"
    return "^(" + "|".join(re.escape(t) for t in types) + ")$"


def platform_types() -> list[registry.EventType]:
    """The catalogue's event types (a test may register types of its own: they get no broker user)."""
    return [entry for entry in registry.all_types() if entry.schema.__module__ == catalogue.__name__]


def producers() -> dict[str, tuple[str, ...]]:
    """Producer -> the event types the catalogue names it the producer of (every registered version)."""
    found: dict[str, set[str]] = {}
    for entry in platform_types():
        found.setdefault(entry.producer, set()).add(entry.type)
    return {name: tuple(sorted(types)) for name, types in sorted(found.items())}


def parties(services: Iterable[str] | None = None) -> list[Party]:
    """The table: every producer of the catalogue and every expected consumer, plus DNV's system.

    ``services`` adds services that only consume (none today) or that a test registers."""
    made, heard = producers(), consumers()
    names = set(made) | set(heard) | set(services or ()) | set(OUTSIDE_PARTIES)
    return [Party(name, made.get(name, ()), outside=name in OUTSIDE_SUBSCRIPTIONS,
                  receives=OUTSIDE_SUBSCRIPTIONS.get(name, ()),
                  consumes=() if name in OUTSIDE_SUBSCRIPTIONS else heard.get(name, ()))
            for name in sorted(names)]


def consumers() -> dict[str, tuple[str, ...]]:
    """Service -> the event types the catalogue names it a consumer of."""
    found: dict[str, set[str]] = {}
    for type_, names in catalogue.CONSUMERS.items():
        for name in names:
            found.setdefault(name, set()).add(type_)
    return {name: tuple(sorted(types)) for name, types in sorted(found.items())}


def party(name: str) -> Party:
    for found in parties([name]):
        if found.name == name:
            return found
    raise LookupError(name)
