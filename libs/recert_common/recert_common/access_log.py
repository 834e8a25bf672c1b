"""Who read a jobcoach's documents: the access log of the AVG (GDPR art. 15: the data subject may know who
received their data).

A service that serves a jobcoach's evidence, proofs or snapshots to someone else (an assessor, a DNV officer)
writes one row per read with :func:`record_read` in the transaction that found the thing readable, or at
least before the first byte leaves: a read that cannot be logged is not served. The owner's own reads are not
logged. Each such service has the table (its migration ``0020_avg.sql``) and serves the
jobcoach's own log (``GET /v1/<area>/access-log``) through :func:`list_reads` and
:class:`AccessLogPageSchema`. See ``docs/adr/0020-a-persons-data.md``.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import psycopg
from marshmallow import Schema, fields
from psycopg.rows import dict_row

from recert_common.clock import utcnow
from recert_common.roles import Role
from recert_common.schemas import PageSchema, UtcDateTime

# The role that let a reader in, most powerful first: what the jobcoach sees as "as whom".
_ROLE_ORDER = (Role.DNV_OFFICER, Role.DNV_SUPPORT, Role.ASSESSOR, Role.NOLOC_ADMIN, Role.MENTOR,
               Role.JOBCOACH)


def reader_role(roles: Iterable[str]) -> str:
    """The one role a reader is shown with: DNV officer before assessor (a person may hold both)."""
    held = set(roles)
    return next((role.value for role in _ROLE_ORDER if role.value in held), sorted(held)[0] if held else "")


def record_read(conn: psycopg.Connection, *, owner_id: UUID, reader_id: UUID, reader_roles: Iterable[str],
                kind: str, object_id: UUID, label: str | None = None) -> bool:
    """Log that ``reader_id`` read the ``kind`` thing ``object_id`` of ``owner_id``; nothing when the owner
    reads their own. Returns whether a row was written."""
    if reader_id == owner_id:
        return False
    conn.execute(
        "INSERT INTO access_log (id, owner_id, reader_id, reader_role, kind, object_id, label, read_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (uuid.uuid4(), owner_id, reader_id, reader_role(reader_roles), kind, object_id, label, utcnow()))
    return True


@dataclass(frozen=True)
class Read:
    """One line of a jobcoach's access log."""

    id: UUID
    reader_id: UUID
    reader_role: str
    kind: str
    object_id: UUID
    label: str | None
    read_at: datetime


def list_reads(conn: psycopg.Connection, owner_id: UUID, *, page: int, page_size: int
               ) -> tuple[list[Read], int]:
    """The owner's log, latest read first, one page."""
    with conn.cursor(row_factory=dict_row) as cur:
        total = cur.execute("SELECT count(*) AS n FROM access_log WHERE owner_id = %s",
                            (owner_id,)).fetchone()["n"]
        rows = cur.execute(
            "SELECT id, reader_id, reader_role, kind, object_id, label, read_at FROM access_log"
            " WHERE owner_id = %s ORDER BY read_at DESC, id LIMIT %s OFFSET %s",
            (owner_id, page_size, (page - 1) * page_size)).fetchall()
    return [Read(**row) for row in rows], total


def forget(conn: psycopg.Connection, account_id: UUID) -> int:
    """Delete every row about the account, as owner or as reader (their account was erased); returns how
    many rows went."""
    return conn.execute("DELETE FROM access_log WHERE owner_id = %s OR reader_id = %s",
                        (account_id, account_id)).rowcount


class AccessLog:
    """The access log as a repository of a service's unit of work (pe-registry's and portfolio's)."""

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn

    def record(self, *, owner_id: UUID, reader_id: UUID, reader_roles: Iterable[str], kind: str,
               object_id: UUID, label: str | None = None) -> None:
        record_read(self.conn, owner_id=owner_id, reader_id=reader_id, reader_roles=reader_roles, kind=kind,
                    object_id=object_id, label=label)

    def page(self, owner_id: UUID, *, page: int, page_size: int) -> tuple[list[Read], int]:
        return list_reads(self.conn, owner_id, page=page, page_size=page_size)

    def forget(self, account_id: UUID) -> int:
        return forget(self.conn, account_id)


class MemoryAccessLog:
    """``AccessLog``'s in-memory twin, for the services' fast tests: the same answers, kept in a list."""

    def __init__(self, reads: list[tuple[UUID, Read]] | None = None):
        self.reads = reads if reads is not None else []  # (owner_id, read), oldest first

    def record(self, *, owner_id: UUID, reader_id: UUID, reader_roles: Iterable[str], kind: str,
               object_id: UUID, label: str | None = None) -> None:
        if reader_id != owner_id:
            self.reads.append((owner_id, Read(uuid.uuid4(), reader_id, reader_role(reader_roles), kind,
                                              object_id, label, utcnow())))

    def page(self, owner_id: UUID, *, page: int, page_size: int) -> tuple[list[Read], int]:
        mine = [read for owner, read in reversed(self.reads) if owner == owner_id]
        return mine[(page - 1) * page_size:page * page_size], len(mine)

    def forget(self, account_id: UUID) -> int:
        kept = [(owner, read) for owner, read in self.reads if account_id not in (owner, read.reader_id)]
        gone, self.reads[:] = len(self.reads) - len(kept), kept
        return gone


class AccessLogEntrySchema(Schema):
    id = fields.UUID(metadata={"description": "This log entry."})
    reader_id = fields.UUID(metadata={"description": "The account that read it."})
    reader_role = fields.String(metadata={"description": "The role it read as: assessor or dnv_officer."})
    kind = fields.String(metadata={"description": "What was read, e.g. evidence_content, submission."})
    object_id = fields.UUID(metadata={"description": "The id of what was read."})
    label = fields.String(allow_none=True, metadata={"description": "Its name (a file name or title)."})
    read_at = UtcDateTime(metadata={"description": "When."})


class AccessLogPageSchema(PageSchema):
    items = fields.List(fields.Nested(AccessLogEntrySchema))

