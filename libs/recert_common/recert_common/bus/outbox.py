"""Writing events into the caller's transaction: the producer side of the transactional outbox.

Call ``record`` with the connection of the transaction that makes the state change; the event is published
by the relay only if that transaction commits.
"""
from __future__ import annotations

import uuid
from collections.abc import Sequence

import psycopg
from psycopg.types.json import Jsonb

from recert_common.events import Event, new_event


def add(conn: psycopg.Connection, event: Event) -> Event:
    conn.execute(
        "INSERT INTO outbox (event_id, event_type, body) VALUES (%s, %s, %s)",
        (event.id, event.type, Jsonb(event.to_message())),
    )
    return event


def add_many(conn: psycopg.Connection, events: Sequence[Event]) -> None:
    """Add ``events`` with one statement, in their order: a batch costs one round trip, not one per event.
    The bodies travel as one JSON array (a ``jsonb[]`` parameter would escape every quote of every body)."""
    if not events:
        return
    conn.execute(
        "INSERT INTO outbox (event_id, event_type, body) "
        "SELECT (body->>'id')::uuid, body->>'type', body "
        "FROM jsonb_array_elements(%s) WITH ORDINALITY AS e (body, n) ORDER BY n",
        (Jsonb([event.to_message() for event in events]),),
    )


def record(conn: psycopg.Connection, type_: str, data: dict, *, producer: str,
           subject: uuid.UUID | str | None = None) -> Event:
    """Make an event of ``type_`` (validated by its schema) and add it to the outbox."""
    return add(conn, new_event(type_, data, producer=producer, subject=subject))


def forget_published_about(conn: psycopg.Connection, subject: uuid.UUID | str) -> None:
    """Delete the published events about ``subject`` (a person being erased, ADR 0020): the rows kept for
    audit hold what the person wrote (titles, file names, reasons). Unpublished ones stay: their consumers
    have yet to hear them, and each forgets the person itself."""
    conn.execute("DELETE FROM outbox WHERE published_at IS NOT NULL AND body ->> 'subject' = %s",
                 (str(subject),))


def pending_count(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL").fetchone()
    return row["n"] if isinstance(row, dict) else row[0]
