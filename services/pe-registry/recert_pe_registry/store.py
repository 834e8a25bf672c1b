"""The PE registry's SQL: ``SqlPeRegistryUnitOfWork`` and the repositories it binds to its transaction.

Every repository is built on the connection of one unit of work and returns domain types
(``recert_pe_registry.domain``), never rows.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from recert_common import access_log, accounts
from recert_common.bus import outbox
from recert_common.db import transaction_lock
from recert_common.events import registry
from recert_common.uow import SqlUnitOfWork
from recert_pe_registry.domain import (
    READING_FAILED,
    READING_PENDING,
    READING_PROPOSED,
    Activity,
    ActivityDraft,
    ActivityFacts,
    CertificatePeriod,
    Evidence,
    Reading,
    SummaryItem,
    has_proof,
)

NOLOC_EVENT = "noloc.academy.activity.completed"

# A submission's lock, or a hold that has not lapsed (ADR 0044).
_LOCK_STANDS = "(l.held_until IS NULL OR l.held_until > now())"
_ACTIVITY = f"""
    SELECT a.*, EXISTS (SELECT 1 FROM submission_locks l WHERE l.activity_id = a.id AND {_LOCK_STANDS})
           AS locked
    FROM activities a
"""
_ACTIVITY_FIELDS = tuple(f.name for f in fields(Activity) if f.name != "evidence")
_EVIDENCE_FIELDS = tuple(f.name for f in fields(Evidence))


def _activity(row: Mapping[str, Any], evidence: Iterable[Evidence] = ()) -> Activity:
    return Activity(**{name: row[name] for name in _ACTIVITY_FIELDS}, evidence=tuple(evidence))


def _evidence(row: Mapping[str, Any]) -> Evidence:
    return Evidence(**{name: row[name] for name in _EVIDENCE_FIELDS})


@dataclass(frozen=True)
class ParkedCompletion:
    """A Noloc completion kept until the holder of its membership number is known; ``data`` as loaded by
    the event's schema."""

    external_id: str
    event_id: UUID
    data: Mapping[str, Any]
    received_at: datetime


@dataclass(frozen=True)
class FinalDecision:
    decision_id: UUID
    account_id: UUID
    decided_at: datetime


# --- activities and their evidence ------------------------------------------------------------------------


class ActivityRepository:
    def __init__(self, conn: psycopg.Connection):
        self.conn = conn

    def lock_account(self, account_id: UUID) -> None:
        """Serialise this account's evidence changes (dedup by SHA-256 must see every committed upload)."""
        transaction_lock(self.conn, f"pe-account:{account_id}")

    def add(self, draft: ActivityDraft) -> Activity:
        row = {f.name: getattr(draft, f.name) for f in fields(draft)}
        columns = ", ".join(row)
        placeholders = ", ".join(f"%({name})s" for name in row)
        self.conn.execute(f"INSERT INTO activities ({columns}) VALUES ({placeholders})", row)
        return self.get(draft.id)

    def get(self, activity_id: UUID, *, for_update: bool = False, with_evidence: bool = False
            ) -> Activity | None:
        if for_update:
            # Row lock first, so that a concurrent portfolio.submitted cannot slip in between check and
            # change.
            self.conn.execute("SELECT 1 FROM activities WHERE id = %s FOR UPDATE", (activity_id,))
        row = self.conn.execute(_ACTIVITY + " WHERE a.id = %s", (activity_id,)).fetchone()
        if row is None:
            return None
        return self._with_evidence([row])[0] if with_evidence else _activity(row)

    def page(self, account_id: UUID, *, first: date | None, last: date | None, category: int | None,
             limit: int, offset: int, assessor_id: UUID | None = None) -> tuple[list[Activity], int]:
        """One page of an account's activities with their evidence, newest completion first, and how many
        match in all; with ``assessor_id``, only those of the snapshots that assessor assesses now."""
        where, params = _activity_filter(account_id, first, last, category)
        if assessor_id is not None:
            where += f" AND a.id IN ({_ASSESSABLE_ACTIVITIES})"
            params = [*params, assessor_id, account_id]
        total = self.conn.execute(f"SELECT count(*) AS n FROM activities a WHERE {where}",
                                  params).fetchone()["n"]
        rows = self.conn.execute(
            _ACTIVITY + f" WHERE {where} ORDER BY a.completed_on DESC, a.created_at DESC, a.id"
            " LIMIT %s OFFSET %s",
            [*params, limit, offset]).fetchall()
        return self._with_evidence(rows), total

    def _with_evidence(self, rows: Sequence[Mapping[str, Any]]) -> list[Activity]:
        by_activity: dict[UUID, list[Evidence]] = {}
        if rows:
            for row in self.conn.execute(
                    "SELECT * FROM evidence WHERE activity_id = ANY(%s) ORDER BY created_at, id",
                    ([row["id"] for row in rows],)).fetchall():
                by_activity.setdefault(row["activity_id"], []).append(_evidence(row))
        return [_activity(row, by_activity.get(row["id"], ())) for row in rows]

    def update(self, activity_id: UUID, changes: Mapping[str, Any]) -> Activity:
        """Write ``changes`` (field -> value); the activity as stored now, with its evidence."""
        assignments = ", ".join(f"{name} = %({name})s" for name in changes)
        self.conn.execute(f"UPDATE activities SET {assignments}, updated_at = now() WHERE id = %(id)s",
                          {**changes, "id": activity_id})
        return self.get(activity_id, with_evidence=True)

    def delete(self, activity_id: UUID) -> None:
        self.conn.execute("DELETE FROM activities WHERE id = %s", (activity_id,))

    def summary_items(self, account_id: UUID, first: date, last: date) -> list[SummaryItem]:
        """The activities completed in the period, each with whether it has proof."""
        rows = self.conn.execute(
            """SELECT a.id, a.title, a.completed_on, a.category, a.points, a.source,
                      (SELECT count(*) FROM evidence e WHERE e.activity_id = a.id) AS evidence_count
               FROM activities a WHERE a.account_id = %s AND a.completed_on BETWEEN %s AND %s""",
            (account_id, first, last)).fetchall()
        return [SummaryItem(row["id"], row["title"], row["completed_on"], row["category"], row["points"],
                            has_proof(row["source"], row["evidence_count"])) for row in rows]

    def lock_for_submission(self, *, submission_id: UUID, account_id: UUID,
                            activity_ids: Iterable[UUID]) -> bool:
        """Make the activities read-only as part of ``submission_id``, for good: its hold, if any, becomes
        the lock. False, and nothing locked, when the submission was withdrawn already (a late event)."""
        if self.conn.execute("SELECT 1 FROM withdrawn_submissions WHERE submission_id = %s",
                             (submission_id,)).fetchone() is not None:
            return False
        ids = sorted(set(activity_ids))
        if ids:
            # Waits for a change to one of them in flight, which then commits before the lock does.
            self.conn.execute("SELECT id FROM activities WHERE id = ANY(%s) ORDER BY id FOR UPDATE", (ids,))
            self.conn.execute(
                "INSERT INTO submission_locks (activity_id, submission_id, account_id) "
                "SELECT id, %s, %s FROM unnest(%s::uuid[]) AS id "
                "ON CONFLICT (activity_id, submission_id) DO UPDATE SET held_until = NULL",
                (submission_id, account_id, ids))
        return True

    def facts_in_period(self, account_id: UUID, first: date, last: date) -> list[ActivityFacts]:
        """What a snapshot records of each of the account's activities completed from ``first`` to ``last``,
        row-locked: a change to one of them waits until this transaction ends. Locked first and read in a
        statement of its own, as ``get`` does: a statement that waited for a row still reads the evidence as
        it was when it began, and would miss what the change it waited for committed."""
        self.conn.execute(
            "SELECT id FROM activities WHERE account_id = %s AND completed_on BETWEEN %s AND %s"
            " ORDER BY id FOR UPDATE", (account_id, first, last))
        rows = self.conn.execute(
            """SELECT a.id, a.category, a.title, a.completed_on, a.points,
                      coalesce(array_agg(e.sha256) FILTER (WHERE e.id IS NOT NULL), '{}') AS sha256s
                 FROM activities a LEFT JOIN evidence e ON e.activity_id = a.id
                WHERE a.account_id = %s AND a.completed_on BETWEEN %s AND %s
                GROUP BY a.id""", (account_id, first, last)).fetchall()
        return [ActivityFacts(id=r["id"], category=r["category"], title=r["title"],
                              completed_on=r["completed_on"], points=r["points"],
                              evidence_sha256s=frozenset(r["sha256s"])) for r in rows]

    def hold_for_submission(self, *, submission_id: UUID, account_id: UUID, activity_ids: Iterable[UUID],
                            seconds: float) -> datetime:
        """Hold the activities for ``submission_id`` for ``seconds`` by the database's clock, which the
        ``locked`` flag reads too (ADR 0044); returns until when. The account's holds for other submissions
        go: portfolio asks again only when the submission they were for did not commit."""
        self.conn.execute(
            "DELETE FROM submission_locks WHERE account_id = %s AND held_until IS NOT NULL"
            " AND submission_id <> %s", (account_id, submission_id))
        until = self.conn.execute("SELECT now() + make_interval(secs => %s) AS until",
                                  (seconds,)).fetchone()["until"]
        self.conn.execute(
            "INSERT INTO submission_locks (activity_id, submission_id, account_id, held_until) "
            "SELECT id, %s, %s, %s FROM unnest(%s::uuid[]) AS id "
            "ON CONFLICT (activity_id, submission_id) DO UPDATE SET held_until = EXCLUDED.held_until "
            "WHERE submission_locks.held_until IS NOT NULL",
            (submission_id, account_id, until, sorted(set(activity_ids))))
        return until

    def release_hold(self, *, submission_id: UUID, account_id: UUID) -> int:
        """Let go of the account's hold for ``submission_id``; a submission's lock stays."""
        return self.conn.execute(
            "DELETE FROM submission_locks WHERE submission_id = %s AND account_id = %s"
            " AND held_until IS NOT NULL", (submission_id, account_id)).rowcount

    def release_submission(self, submission_id: UUID, *, account_id: UUID, withdrawn_at: datetime) -> int:
        """The submission was withdrawn: its locks (and hold) go, and it is remembered as withdrawn, so that
        its own event handled later (retried or replayed) locks nothing. Returns how many locks went."""
        self.conn.execute(
            "INSERT INTO withdrawn_submissions (submission_id, account_id, withdrawn_at) VALUES (%s, %s, %s)"
            " ON CONFLICT (submission_id) DO NOTHING", (submission_id, account_id, withdrawn_at))
        return self.conn.execute("DELETE FROM submission_locks WHERE submission_id = %s",
                                 (submission_id,)).rowcount


def _activity_filter(account_id: UUID, first: date | None, last: date | None,
                     category: int | None) -> tuple[str, list[Any]]:
    clauses, params = ["a.account_id = %s"], [account_id]
    if first is not None:
        clauses.append("a.completed_on >= %s")
        params.append(first)
    if last is not None:
        clauses.append("a.completed_on <= %s")
        params.append(last)
    if category is not None:
        clauses.append("a.category = %s")
        params.append(category)
    return " AND ".join(clauses), params


class EvidenceRepository:
    def __init__(self, conn: psycopg.Connection):
        self.conn = conn

    def get(self, evidence_id: UUID) -> Evidence | None:
        row = self.conn.execute("SELECT * FROM evidence WHERE id = %s", (evidence_id,)).fetchone()
        return _evidence(row) if row else None

    def with_sha256(self, account_id: UUID, sha256: str) -> list[Evidence]:
        rows = self.conn.execute(
            "SELECT * FROM evidence WHERE account_id = %s AND sha256 = %s ORDER BY created_at, id",
            (account_id, sha256)).fetchall()
        return [_evidence(row) for row in rows]

    def add(self, *, id: UUID, activity_id: UUID, account_id: UUID, object_key: str, sha256: str,  # noqa: A002
            size: int, content_type: str, filename: str, kind: str) -> Evidence:
        return _evidence(self.conn.execute(
            "INSERT INTO evidence (id, activity_id, account_id, object_key, sha256, size, content_type,"
            " filename, kind) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING *",
            (id, activity_id, account_id, object_key, sha256, size, content_type, filename, kind)).fetchone())

    def delete(self, evidence_id: UUID) -> None:
        self.conn.execute("DELETE FROM evidence WHERE id = %s", (evidence_id,))

    def object_keys_of_activity(self, activity_id: UUID) -> list[str]:
        rows = self.conn.execute("SELECT DISTINCT object_key FROM evidence WHERE activity_id = %s",
                                 (activity_id,)).fetchall()
        return [row["object_key"] for row in rows]

    def unreferenced(self, object_keys: Iterable[str]) -> list[str]:
        """Those of ``object_keys`` no evidence row points at any more."""
        keys = sorted(set(object_keys))
        if not keys:
            return []
        used = {row["object_key"] for row in self.conn.execute(
            "SELECT DISTINCT object_key FROM evidence WHERE object_key = ANY(%s)", (keys,)).fetchall()}
        return [key for key in keys if key not in used]


# --- evidence read for the jobcoach (ADR 0027) ------------------------------------------------------------

#: The channel the worker listens on; an upload notifies it when its transaction commits.
READINGS_CHANNEL = "pe_readings"
_READING_FIELDS = tuple(f.name for f in fields(Reading))


def _reading(row: Mapping[str, Any]) -> Reading:
    return Reading(**{name: row[name] for name in _READING_FIELDS})


class ReadingRepository:
    def __init__(self, conn: psycopg.Connection):
        self.conn = conn

    def add(self, *, id: UUID, account_id: UUID, object_key: str, sha256: str, size: int,  # noqa: A002
            content_type: str, filename: str) -> Reading:
        row = self.conn.execute(
            "INSERT INTO readings (id, account_id, object_key, sha256, size, content_type, filename, state)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING *",
            (id, account_id, object_key, sha256, size, content_type, filename, READING_PENDING)).fetchone()
        self.conn.execute(f"NOTIFY {READINGS_CHANNEL}")
        return _reading(row)

    def get(self, reading_id: UUID, *, for_update: bool = False) -> Reading | None:
        lock = " FOR UPDATE" if for_update else ""
        row = self.conn.execute("SELECT * FROM readings WHERE id = %s" + lock, (reading_id,)).fetchone()
        return _reading(row) if row else None

    def page(self, account_id: UUID, *, limit: int, offset: int) -> tuple[list[Reading], int]:
        total = self.conn.execute("SELECT count(*) AS n FROM readings WHERE account_id = %s",
                                  (account_id,)).fetchone()["n"]
        rows = self.conn.execute(
            "SELECT * FROM readings WHERE account_id = %s ORDER BY created_at DESC, id LIMIT %s OFFSET %s",
            (account_id, limit, offset)).fetchall()
        return [_reading(row) for row in rows], total

    def claim(self, lease_seconds: float) -> Reading | None:
        """The oldest pending reading that is due, its attempt counted and leased (``not_before`` moved a
        lease ahead), or None. Skips rows another worker holds."""
        row = self.conn.execute(
            """UPDATE readings SET attempts = attempts + 1,
                      not_before = now() + make_interval(secs => %s)
               WHERE id = (SELECT id FROM readings WHERE state = %s AND not_before <= now()
                           ORDER BY not_before, created_at FOR UPDATE SKIP LOCKED LIMIT 1)
               RETURNING *""", (lease_seconds, READING_PENDING)).fetchone()
        return _reading(row) if row else None

    def retry_later(self, reading_id: UUID, delay_seconds: float) -> None:
        self.conn.execute("UPDATE readings SET not_before = now() + make_interval(secs => %s) WHERE id = %s"
                          " AND state = %s", (delay_seconds, reading_id, READING_PENDING))

    def propose(self, reading_id: UUID, *, method: str, proposal: Mapping[str, Any]) -> Reading:
        return _reading(self.conn.execute(
            "UPDATE readings SET state = %s, method = %s, proposal = %s, read_at = now() WHERE id = %s"
            " RETURNING *", (READING_PROPOSED, method, Jsonb(dict(proposal)), reading_id)).fetchone())

    def fail(self, reading_id: UUID, *, reason: str, method: str | None) -> Reading:
        return _reading(self.conn.execute(
            "UPDATE readings SET state = %s, failure = %s, method = %s, read_at = now() WHERE id = %s"
            " RETURNING *", (READING_FAILED, reason, method, reading_id)).fetchone())

    def delete(self, reading_id: UUID) -> None:
        self.conn.execute("DELETE FROM readings WHERE id = %s", (reading_id,))


# --- Noloc Academie imports -------------------------------------------------------------------------------


class NolocRepository:
    def __init__(self, conn: psycopg.Connection):
        self.conn = conn

    def claim_import(self, account_id: UUID, external_id: str, activity_id: UUID, event_id: UUID) -> bool:
        """Record that this completion is imported; False when it was imported before."""
        return self.conn.execute(
            "INSERT INTO noloc_imports (account_id, external_id, activity_id, event_id)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING activity_id",
            (account_id, external_id, activity_id, event_id)).fetchone() is not None

    def lock_membership_number(self, membership_number: str) -> None:
        """Serialise a Noloc event and an account change for one number, so no completion is parked after
        its account's registration looked for parked completions."""
        transaction_lock(self.conn, f"pe-member:{membership_number}")

    def park(self, membership_number: str, external_id: str, event_id: UUID, data: Mapping[str, Any]) -> None:
        """Keep ``data`` (loaded by the event's schema) as it travels (JSON)."""
        wire = registry.get(NOLOC_EVENT).writer.dump(data)
        self.conn.execute(
            "INSERT INTO pending_noloc_activities (membership_number, external_id, event_id, data) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (membership_number, external_id, event_id, Jsonb(dict(wire))))

    def take_parked(self, membership_number: str) -> list[ParkedCompletion]:
        rows = self.conn.execute(
            "DELETE FROM pending_noloc_activities WHERE membership_number = %s "
            "RETURNING external_id, event_id, data, received_at", (membership_number,)).fetchall()
        schema = registry.get(NOLOC_EVENT).writer
        return [ParkedCompletion(row["external_id"], row["event_id"], schema.load(row["data"]),
                                 row["received_at"]) for row in rows]


# --- read models ------------------------------------------------------------------------------------------


class AccountRepository:
    def __init__(self, conn: psycopg.Connection):
        self.conn = conn

    def upsert(self, account_id: UUID, membership_number: str | None, changed_at: datetime) -> bool:
        """Keep the newest state of the account; False when a newer one is stored already (late event)."""
        return accounts.upsert_account(self.conn, "accounts", account_id, changed_at,
                                       {"membership_number": membership_number}, as_of_column="changed_at")

    def holder_of(self, membership_number: str) -> UUID | None:
        """The holder of the number for Noloc's events: the account that gives the number AND holds a
        certificate (linked by assessment only when the import's number and e-mail address matched the
        verified account, or by a claim code). A number alone is no proof: anyone can give someone else's
        (ADR 0018)."""
        row = self.conn.execute(
            """SELECT a.account_id FROM accounts a JOIN certificate_periods p ON p.account_id = a.account_id
               WHERE a.membership_number = %s ORDER BY p.occurred_at DESC LIMIT 1""",
            (membership_number,)).fetchone()
        return row["account_id"] if row else None

    def membership_number_of(self, account_id: UUID) -> str | None:
        row = self.conn.execute("SELECT membership_number FROM accounts WHERE account_id = %s",
                                (account_id,)).fetchone()
        return row["membership_number"] if row else None


class CertificatePeriodRepository:
    def __init__(self, conn: psycopg.Connection):
        self.conn = conn

    def get(self, account_id: UUID) -> CertificatePeriod | None:
        row = self.conn.execute("SELECT * FROM certificate_periods WHERE account_id = %s",
                                (account_id,)).fetchone()
        return CertificatePeriod(**row) if row else None

    def upsert(self, period: CertificatePeriod) -> bool:
        """The certificate that runs longest is the current one; among equals, the latest event. A new
        validity drops the extension of the previous one; the same validity sent again keeps it
        (``period.extended_until`` is not written)."""
        return self.conn.execute(
            """INSERT INTO certificate_periods
                   (account_id, certificate_id, starts_on, valid_from, valid_until, occurred_at)
               VALUES (%s, %s, %s, %s, %s, %s)
               ON CONFLICT (account_id) DO UPDATE
                   SET certificate_id = EXCLUDED.certificate_id, starts_on = EXCLUDED.starts_on,
                       valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until,
                       occurred_at = EXCLUDED.occurred_at,
                       extended_until = CASE WHEN certificate_periods.certificate_id = EXCLUDED.certificate_id
                                              AND certificate_periods.valid_until = EXCLUDED.valid_until
                                             THEN certificate_periods.extended_until END
                   WHERE (certificate_periods.valid_until, certificate_periods.occurred_at)
                         <= (EXCLUDED.valid_until, EXCLUDED.occurred_at)
               RETURNING account_id""",
            (period.account_id, period.certificate_id, period.starts_on, period.valid_from,
             period.valid_until, period.occurred_at)).fetchone() is not None

    def extend(self, *, account_id: UUID, certificate_id: UUID, until: date) -> bool:
        """Let the current period of this certificate run up to ``until`` (never shorter); False when the
        account's current period belongs to another certificate or is unknown."""
        return self.conn.execute(
            """UPDATE certificate_periods SET extended_until = greatest(extended_until, %s)
               WHERE account_id = %s AND certificate_id = %s RETURNING account_id""",
            (until, account_id, certificate_id)).fetchone() is not None


# The snapshots an assessor may read now: of the cases assigned to them that are running, the activities of
# the case's submission and of its supplements' (parameters: assessor, account).
_ASSESSABLE_ACTIVITIES = """
    SELECT l.activity_id
      FROM case_assignments a
      JOIN case_access x ON x.case_id = a.case_id AND x.open
      JOIN case_submissions c ON c.case_id = a.case_id
      JOIN submission_locks l ON l.submission_id = c.submission_id
     WHERE a.assessor_id = %s AND a.account_id = %s"""


class CaseRepository:
    """Assessment's cases as far as an assessor's access goes (ADR 0017)."""

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn

    def upsert_assignment(self, *, case_id: UUID, account_id: UUID, assessor_id: UUID,
                          assigned_at: datetime) -> None:
        """One assessor per case: a reassignment replaces the previous assessor (unless it is older)."""
        self.conn.execute(
            """INSERT INTO case_assignments (case_id, account_id, assessor_id, assigned_at)
               VALUES (%s, %s, %s, %s)
               ON CONFLICT (case_id) DO UPDATE
                   SET account_id = EXCLUDED.account_id, assessor_id = EXCLUDED.assessor_id,
                       assigned_at = EXCLUDED.assigned_at
                   WHERE case_assignments.assigned_at <= EXCLUDED.assigned_at""",
            (case_id, account_id, assessor_id, assigned_at))

    def record_case(self, *, case_id: UUID, submission_id: UUID, account_id: UUID) -> None:
        """``submission_id`` is part of ``case_id``: the case's own submission, or a supplement's."""
        self.conn.execute(
            "INSERT INTO case_submissions (case_id, submission_id, account_id) VALUES (%s, %s, %s) "
            "ON CONFLICT DO NOTHING", (case_id, submission_id, account_id))

    def set_access(self, case_id: UUID, *, open_: bool, at: datetime) -> None:
        """Open or close the assessor's access to ``case_id`` as of ``at``; an older change than the one
        recorded changes nothing (events may arrive late)."""
        self.conn.execute(
            """INSERT INTO case_access (case_id, open, changed_at) VALUES (%s, %s, %s)
               ON CONFLICT (case_id) DO UPDATE SET open = EXCLUDED.open, changed_at = EXCLUDED.changed_at
                   WHERE case_access.changed_at <= EXCLUDED.changed_at""",
            (case_id, open_, at))

    def is_assessing(self, assessor_id: UUID, account_id: UUID, activity_id: UUID | None = None) -> bool:
        """Whether ``assessor_id`` assesses a running case of ``account_id`` now, and, when ``activity_id``
        is given, whether that activity is part of the case's submitted snapshot."""
        if activity_id is None:
            return self.conn.execute(
                """SELECT 1 FROM case_assignments a JOIN case_access x ON x.case_id = a.case_id AND x.open
                    WHERE a.assessor_id = %s AND a.account_id = %s LIMIT 1""",
                (assessor_id, account_id)).fetchone() is not None
        return self.conn.execute(_ASSESSABLE_ACTIVITIES + " AND l.activity_id = %s LIMIT 1",
                                 (assessor_id, account_id, activity_id)).fetchone() is not None


# --- mentors (ADR 0028) ----------------------------------------------------------------------------------


class MentorshipRepository:
    """Portfolio's mentorships, as far as a mentor's reading of the PE summary goes."""

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn

    def started(self, *, mentorship_id: UUID, account_id: UUID, mentor_id: UUID,
                started_at: datetime) -> None:
        self.conn.execute(
            "INSERT INTO mentorships (mentorship_id, account_id, mentor_id, started_at) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (mentorship_id) DO NOTHING",
            (mentorship_id, account_id, mentor_id, started_at))

    def ended(self, *, mentorship_id: UUID, account_id: UUID, mentor_id: UUID, started_at: datetime,
              ended_at: datetime) -> None:
        self.conn.execute(
            """INSERT INTO mentorships (mentorship_id, account_id, mentor_id, started_at, ended_at)
               VALUES (%s, %s, %s, %s, %s)
               ON CONFLICT (mentorship_id) DO UPDATE SET ended_at = EXCLUDED.ended_at""",
            (mentorship_id, account_id, mentor_id, started_at, ended_at))

    def is_mentoring(self, mentor_id: UUID, account_id: UUID) -> bool:
        return self.conn.execute(
            "SELECT 1 FROM mentorships WHERE mentor_id = %s AND account_id = %s AND ended_at IS NULL LIMIT 1",
            (mentor_id, account_id)).fetchone() is not None


# --- the person's data (ADR 0020) -------------------------------------------------------------------------


class RetentionRepository:
    def __init__(self, conn: psycopg.Connection):
        self.conn = conn

    def note_final_decision(self, decision_id: UUID, account_id: UUID, decided_at: datetime) -> None:
        self.conn.execute(
            "INSERT INTO final_decisions (decision_id, account_id, decided_at) VALUES (%s, %s, %s)"
            " ON CONFLICT DO NOTHING", (decision_id, account_id, decided_at))

    def due_final_decisions(self, decided_before: datetime, *, limit: int) -> list[FinalDecision]:
        """The first ``limit`` final decisions whose retention has run out and whose evidence is not deleted
        yet, locked."""
        rows = self.conn.execute(
            "SELECT decision_id, account_id, decided_at FROM final_decisions WHERE purged_at IS NULL"
            " AND decided_at <= %s ORDER BY decided_at LIMIT %s FOR UPDATE SKIP LOCKED",
            (decided_before, limit)).fetchall()
        return [FinalDecision(**row) for row in rows]

    def delete_decided_evidence(self, account_id: UUID, decided_at: datetime) -> list[Evidence]:
        """Delete the evidence of the account's activities that were part of a portfolio submitted before
        the decision; returns each deleted row."""
        rows = self.conn.execute(
            "DELETE FROM evidence e WHERE e.account_id = %s AND EXISTS (SELECT 1 FROM submission_locks l"
            " WHERE l.activity_id = e.activity_id AND l.held_until IS NULL AND l.locked_at <= %s)"
            " RETURNING e.*", (account_id, decided_at)).fetchall()
        return [_evidence(row) for row in rows]

    def mark_purged(self, decision_id: UUID, at: datetime) -> None:
        self.conn.execute("UPDATE final_decisions SET purged_at = %s WHERE decision_id = %s",
                          (at, decision_id))

    def forget_account(self, account_id: UUID) -> list[str]:
        """Delete every row about the account (identity.account.erased); returns the object keys of its
        evidence, for the caller to delete from the object store."""
        keys = [row["object_key"] for row in self.conn.execute(
            "SELECT DISTINCT object_key FROM evidence WHERE account_id = %s"
            " UNION SELECT object_key FROM readings WHERE account_id = %s",
            (account_id, account_id)).fetchall()]
        number = self.conn.execute("SELECT membership_number FROM accounts WHERE account_id = %s",
                                   (account_id,)).fetchone()
        for table in ("evidence", "submission_locks", "activities", "noloc_imports", "certificate_periods",
                      "case_assignments", "final_decisions", "accounts", "mentorships", "readings",
                      "withdrawn_submissions"):
            self.conn.execute(f"DELETE FROM {table} WHERE account_id = %s", (account_id,))  # noqa: S608 (fixed names)
        self.conn.execute("DELETE FROM mentorships WHERE mentor_id = %s", (account_id,))
        if number and number["membership_number"]:
            self.conn.execute("DELETE FROM pending_noloc_activities WHERE membership_number = %s",
                              (number["membership_number"],))
        access_log.AccessLog(self.conn).forget(account_id)
        outbox.forget_published_about(self.conn, account_id)  # titles, file names, readings sent before
        return keys


class SqlPeRegistryUnitOfWork(SqlUnitOfWork):
    producer = "pe-registry"

    def bind(self, conn: psycopg.Connection) -> None:
        self.activities = ActivityRepository(conn)
        self.evidence = EvidenceRepository(conn)
        self.noloc = NolocRepository(conn)
        self.accounts = AccountRepository(conn)
        self.periods = CertificatePeriodRepository(conn)
        self.cases = CaseRepository(conn)
        self.retention = RetentionRepository(conn)
        self.mentorships = MentorshipRepository(conn)
        self.readings = ReadingRepository(conn)
        self.access_log = access_log.AccessLog(conn)
