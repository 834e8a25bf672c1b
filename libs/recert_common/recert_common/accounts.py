"""The account read model: what a consuming service keeps of identity's verified accounts, newest first.

Five services keep a table of accounts from ``identity.account.registered`` and ``identity.account.updated``
(pe-registry and portfolio for Noloc's membership numbers, assessment for names and certificate holders,
billing for invoice recipients, notifications for contacts). Each table has its own columns; all keep the
same promise: the row holds the account as identity last described it, whatever order the events arrive
in. ADR 0005 says consumers must allow reordering (two relays, a retried row): an older update handled after
a newer one must not overwrite it.

``upsert_account`` is that promise, written once: an ``INSERT ... ON CONFLICT (account_id) DO UPDATE ...
WHERE`` the stored event time is not newer than the event's ``occurred_at``. It returns whether the row was
written, so a service runs its follow-up (applying parked Noloc facts, filling in invoice recipients) only
for the account's current data. Events with the same ``occurred_at`` are applied (the later arrival wins
among equals, as a redelivered fact changes nothing). A row stored before the service kept the event time
(``NULL``) is overwritten by any event.

Table and column names are composed as SQL identifiers (``psycopg.sql``), values are always parameters.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

KEY = "account_id"


def upsert_statement(table: str, columns: Collection[str], *, as_of_column: str = "occurred_at",
                     keep_if_null: Collection[str] = (), touch: Collection[str] = ()) -> sql.Composed:
    """The guarded upsert of ``columns`` (the key and the event-time column are added) into ``table``.

    ``keep_if_null``: columns an event without a value leaves as they are (``COALESCE``); ``touch``:
    columns set to ``now()`` when the row is updated (a service's own ``updated_at``). Named parameters,
    one per column, with the column's name.
    """
    columns = list(columns)
    if KEY in columns or as_of_column in columns:
        raise ValueError(f"{KEY} and {as_of_column} are added by upsert_statement, not given as columns")
    if len(set(columns)) != len(columns):
        raise ValueError("a column is given twice")
    unknown = (set(keep_if_null) - set(columns)) | (set(touch) & {KEY, as_of_column, *columns})
    if unknown:
        raise ValueError(f"keep_if_null must name given columns, touch other ones: {sorted(unknown)}")
    target = sql.Identifier(table)
    every = [KEY, *columns, as_of_column]

    def assignment(column: str) -> sql.Composed:
        name = sql.Identifier(column)
        if column in keep_if_null:
            return sql.SQL("{name} = COALESCE(EXCLUDED.{name}, {table}.{name})").format(name=name,
                                                                                        table=target)
        return sql.SQL("{name} = EXCLUDED.{name}").format(name=name)

    assignments = [assignment(c) for c in [*columns, as_of_column]]
    assignments += [sql.SQL("{} = now()").format(sql.Identifier(c)) for c in touch]
    return sql.SQL(
        "INSERT INTO {table} ({columns}) VALUES ({values}) "
        "ON CONFLICT ({key}) DO UPDATE SET {assignments} "
        "WHERE {table}.{as_of} IS NULL OR {table}.{as_of} <= EXCLUDED.{as_of} "
        "RETURNING {key}"
    ).format(
        table=target,
        columns=sql.SQL(", ").join(sql.Identifier(c) for c in every),
        values=sql.SQL(", ").join(sql.Placeholder(c) for c in every),
        key=sql.Identifier(KEY),
        assignments=sql.SQL(", ").join(assignments),
        as_of=sql.Identifier(as_of_column),
    )


def upsert_account(conn: psycopg.Connection, table: str, account_id: UUID, occurred_at: datetime,
                   values: Mapping[str, Any], *, as_of_column: str = "occurred_at",
                   keep_if_null: Collection[str] = (), touch: Collection[str] = ()) -> bool:
    """Write the account's ``values`` (column -> value) as of ``occurred_at`` (the event's time) into
    ``table``, unless the row holds a newer state already. Returns whether the row was written."""
    statement = upsert_statement(table, list(values), as_of_column=as_of_column, keep_if_null=keep_if_null,
                                 touch=touch)
    params = {KEY: account_id, **values, as_of_column: occurred_at}
    return conn.execute(statement, params).fetchone() is not None
