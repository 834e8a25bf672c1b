"""A copy of pe-registry's activities and evidence, kept in pe-registry's order whatever order its events
arrive in (ADR 0044, amended 2026-12-07).

Portfolio (which sends its copy to pe-registry's submission hold) and assessment (whose copy DNV's PE check
weighs) keep the same tables: ``pe_activities`` (with ``occurred_at``), ``pe_evidence``, and the tombstones
``pe_removed_activities`` and ``pe_removed_evidence``. Each service chooses its own columns; the promise is
written once, here: a retried event goes to the back of the queue and an operator may replay a dead letter
days later, so

- a recorded or updated event older than the one stored changes nothing (events with the same time are
  applied, the later arrival wins; a row from before the copy kept the time, ``NULL``, takes any event);
- pe-registry never uses an activity or evidence id again, so a removal is final: it leaves a tombstone
  that keeps a late event from bringing the activity or the evidence back.

The events carry no version of their own; their ``occurred_at`` is taken after pe-registry locked the
activity's row, so it orders the events about one activity. Column names are composed as SQL identifiers,
values are always parameters.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql


def upsert_activity(conn: psycopg.Connection, values: Mapping[str, Any], occurred_at: datetime) -> bool:
    """Keep the activity (``values``: column -> value, ``activity_id`` among them) as of ``occurred_at``
    unless the row holds a newer event or the activity was removed; returns whether it was written."""
    columns = [*values, "occurred_at"]
    updated = [c for c in columns if c not in ("activity_id", "account_id")]
    statement = sql.SQL(
        "INSERT INTO pe_activities ({columns}) SELECT {values} "
        "WHERE NOT EXISTS (SELECT 1 FROM pe_removed_activities WHERE activity_id = %(activity_id)s) "
        "ON CONFLICT (activity_id) DO UPDATE SET {assignments}, updated_at = now() "
        "WHERE pe_activities.occurred_at IS NULL OR pe_activities.occurred_at <= EXCLUDED.occurred_at "
        "RETURNING activity_id"
    ).format(
        columns=sql.SQL(", ").join(sql.Identifier(c) for c in columns),
        values=sql.SQL(", ").join(sql.Placeholder(c) for c in columns),
        assignments=sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c))
                                       for c in updated))
    return conn.execute(statement, {**values, "occurred_at": occurred_at}).fetchone() is not None


def add_evidence(conn: psycopg.Connection, values: Mapping[str, Any]) -> bool:
    """Keep the evidence (``values``: column -> value, ``evidence_id`` and ``activity_id`` among them) unless
    it or its activity was removed (its event was handled late); returns whether it was added."""
    statement = sql.SQL(
        "INSERT INTO pe_evidence ({columns}) SELECT {values} "
        "WHERE NOT EXISTS (SELECT 1 FROM pe_removed_evidence WHERE evidence_id = %(evidence_id)s) "
        "AND NOT EXISTS (SELECT 1 FROM pe_removed_activities WHERE activity_id = %(activity_id)s) "
        "ON CONFLICT (evidence_id) DO NOTHING RETURNING evidence_id"
    ).format(columns=sql.SQL(", ").join(sql.Identifier(c) for c in values),
             values=sql.SQL(", ").join(sql.Placeholder(c) for c in values))
    return conn.execute(statement, values).fetchone() is not None


def remove_activity(conn: psycopg.Connection, activity_id: UUID, account_id: UUID,
                    removed_at: datetime) -> None:
    """Forget the activity and its evidence, and remember that it was removed."""
    conn.execute("INSERT INTO pe_removed_activities (activity_id, account_id, removed_at) "
                 "VALUES (%s, %s, %s) ON CONFLICT (activity_id) DO NOTHING",
                 (activity_id, account_id, removed_at))
    conn.execute("DELETE FROM pe_evidence WHERE activity_id = %s", (activity_id,))
    conn.execute("DELETE FROM pe_activities WHERE activity_id = %s", (activity_id,))


def remove_evidence(conn: psycopg.Connection, evidence_id: UUID, account_id: UUID,
                    removed_at: datetime) -> None:
    """Forget the evidence, and remember that it was removed."""
    conn.execute("INSERT INTO pe_removed_evidence (evidence_id, account_id, removed_at) "
                 "VALUES (%s, %s, %s) ON CONFLICT (evidence_id) DO NOTHING",
                 (evidence_id, account_id, removed_at))
    conn.execute("DELETE FROM pe_evidence WHERE evidence_id = %s", (evidence_id,))
