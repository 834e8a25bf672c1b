"""The unit of work: the seam between a service's use cases and its database.

A use case opens one unit of work, reads and changes its aggregates through the unit of work's repositories,
announces what others must hear about with ``publish`` and leaves the block: everything it wrote and every
event it published are committed together, or nothing is when the block raises (the outbox, ADR 0003). Event
handlers get a unit of work that joins the consumer's transaction, so the inbox row, the handler's writes and
its events commit as one (``handled_in``).

Each service subclasses ``SqlUnitOfWork`` (its repositories, built on the transaction's connection, in
``store.py``) and, for its fast tests, ``FakeUnitOfWork`` (the same repositories in memory). Services and
handlers are written against the attributes the two share, never against a ``psycopg.Connection``.

Unlike cosmicpython's ``AbstractUnitOfWork`` the block commits when it ends without an exception: no use case
here wants to leave without committing, and a forgotten ``commit()`` would silently lose an event.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar

from recert_common.bus import outbox
from recert_common.events import Event, new_event

if TYPE_CHECKING:
    import psycopg

    from recert_common.db import Database


class UnitOfWork:
    """What a use case sees: the service's repositories, ``publish``, and a block that commits as one."""

    producer: ClassVar[str]

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.rollback()

    def publish(self, event_type: str, data: Mapping[str, Any], *, subject: Any = None) -> None:
        """Announce ``event_type`` as this service; it leaves with the commit, or not at all."""
        raise NotImplementedError

    def publish_many(self, event_type: str, items: Iterable[tuple[Mapping[str, Any], Any]]) -> None:
        """Announce one ``event_type`` for each ``(data, subject)`` of ``items``, as ``publish`` does; a
        batch of thousands (the expiry scheduler's) is written at once."""
        for data, subject in items:
            self.publish(event_type, data, subject=subject)

    def commit(self) -> None:
        raise NotImplementedError

    def rollback(self) -> None:
        raise NotImplementedError


class SqlUnitOfWork(UnitOfWork):
    """One PostgreSQL transaction of the service's database; subclasses build their repositories in
    ``bind(conn)``."""

    def __init__(self, db: Database | None = None, *, conn: psycopg.Connection | None = None):
        if (db is None) == (conn is None):
            raise ValueError("give either a database to open a transaction in or a connection to join")
        self._db = db
        self._joined = conn
        self._transaction: Any = None
        self.conn: psycopg.Connection | None = conn
        if conn is not None:
            self.bind(conn)

    @classmethod
    def joining(cls, conn: psycopg.Connection) -> Self:
        """A unit of work inside a transaction someone else commits (the consumer's, with its inbox row)."""
        return cls(conn=conn)

    def bind(self, conn: psycopg.Connection) -> None:
        """Build the repositories on ``conn``."""

    def __enter__(self) -> Self:
        if self._joined is None:
            self._transaction = self._db.transaction()
            self.conn = self._transaction.__enter__()
            self.bind(self.conn)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._joined is not None:
            return  # the owner of the transaction commits or rolls back
        transaction, self._transaction = self._transaction, None
        transaction.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        """Commits at the end of the block (``Database.transaction``); nothing to do before."""

    def rollback(self) -> None:
        """Rolls back at the end of a block that raised; nothing to do before."""

    def publish(self, event_type: str, data: Mapping[str, Any], *, subject: Any = None) -> None:
        outbox.record(self.conn, event_type, data, producer=self.producer, subject=subject)

    def publish_many(self, event_type: str, items: Iterable[tuple[Mapping[str, Any], Any]]) -> None:
        outbox.add_many(self.conn, [new_event(event_type, dict(data), producer=self.producer, subject=subject)
                                    for data, subject in items])


class FakeUnitOfWork(UnitOfWork):
    """The unit of work of the fast tests: repositories in memory, events kept in ``published`` once the
    block commits. Events are checked against their schemas as the outbox checks them.

    A subclass keeps its in-memory tables as the attributes of one object, ``data``, which its repositories
    read and write. A block that raises leaves ``data`` as it found it and publishes nothing, as a
    rolled-back transaction would; the tables are restored in place, so a repository holding one of them
    keeps seeing the live table.
    """

    data: Any = None

    def __init__(self) -> None:
        self.published: list[Event] = []
        self._pending: list[Event] = []
        self._before: dict[str, Any] | None = None
        self.commits = 0

    def __enter__(self) -> Self:
        self._before = copy.deepcopy(vars(self.data)) if self.data is not None else None
        return self

    def publish(self, event_type: str, data: Mapping[str, Any], *, subject: Any = None) -> None:
        self._pending.append(new_event(event_type, dict(data), producer=self.producer, subject=subject))

    def commit(self) -> None:
        self.published.extend(self._pending)
        self._pending.clear()
        self._before = None
        self.commits += 1

    def rollback(self) -> None:
        self._pending.clear()
        if self._before is not None:
            _restore(self.data, self._before)
            self._before = None

    def published_types(self) -> list[str]:
        return [event.type for event in self.published]


def _restore(data: Any, saved: dict[str, Any]) -> None:
    for name, value in saved.items():
        current = getattr(data, name, None)
        if isinstance(current, list | dict | set) and type(current) is type(value):
            current.clear()
            (current.extend if isinstance(current, list) else current.update)(value)
        else:
            setattr(data, name, value)


U = TypeVar("U", bound=UnitOfWork)


class UnitOfWorkFactory(Generic[U]):
    """Opens a fresh unit of work per use case: ``with self.uow() as uow``."""

    def __init__(self, make: Callable[[], U]):
        self._make = make

    def __call__(self) -> U:
        return self._make()


def handled_in(joining: Callable[[psycopg.Connection], U],
               handler: Callable[[U, Event], None]) -> Callable[[psycopg.Connection, Event], None]:
    """A bus handler (``(conn, event)``) that runs ``handler`` with a unit of work joining the consumer's
    transaction."""

    def handle(conn: psycopg.Connection, event: Event) -> None:
        handler(joining(conn), event)

    handle.__name__ = getattr(handler, "__name__", "handle")
    handle.__doc__ = handler.__doc__
    return handle


def fake_handled(uow: U, handler: Callable[[U, Event], None], event: Event) -> None:
    """Run an event handler against a fake unit of work as the consumer would: committed when it returns."""
    with uow:
        handler(uow, event)


__all__ = ["FakeUnitOfWork", "SqlUnitOfWork", "UnitOfWork", "UnitOfWorkFactory", "fake_handled",
           "handled_in"]

