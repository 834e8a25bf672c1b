"""SQL of the PE registry. Every function takes the connection of the caller's transaction; rows are dicts."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from recert_common import access_log, accounts

_ACTIVITY = """
    SELECT a.*, EXISTS (SELECT 1 FROM submission_locks l WHERE l.activity_id = a.id) AS locked
    FROM activities a
"""


# --- activities -------------------------------------------------------------------------------------------


def lock_account(conn: psycopg.Connection, account_id: UUID) -> None:
    """Serialise this account's evidence changes (dedup by SHA-256 must see every committed upload)."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"pe-account:{account_id}",))


def insert_activity(conn: psycopg.Connection, row: Mapping[str, Any]) -> dict:
    columns = ", ".join(row)
    placeholders = ", ".join(f"%({name})s" for name in row)
    conn.execute(f"INSERT INTO activities ({columns}) VALUES ({placeholders})", row)
    return activity(conn, row["id"])


def activity(conn: psycopg.Connection, activity_id: UUID, *, for_update: bool = False) -> dict | None:
    if for_update:
        # Row lock first, so that a concurrent portfolio.submitted cannot slip in between check and change.
        conn.execute("SELECT 1 FROM activities WHERE id = %s FOR UPDATE", (activity_id,))
    return conn.execute(_ACTIVITY + " WHERE a.id = %s", (activity_id,)).fetchone()


def activities(conn: psycopg.Connection, account_id: UUID, *, first: date | None, last: date | None,
               category: int | None, limit: int, offset: int,
               assessor_id: UUID | None = None) -> tuple[list[dict], int]:
    """One page of an account's activities, newest completion first, and how many match in all; with
    ``assessor_id``, only those of the snapshots that assessor assesses now."""
    where, params = _activity_filter(account_id, first, last, category)
    if assessor_id is not None:
        where += f" AND a.id IN ({_ASSESSABLE_ACTIVITIES})"
        params = [*params, assessor_id, account_id]
    total = conn.execute(f"SELECT count(*) AS n FROM activities a WHERE {where}", params).fetchone()["n"]
    rows = conn.execute(
        _ACTIVITY + f" WHERE {where} ORDER BY a.completed_on DESC, a.created_at DESC, a.id"
        " LIMIT %s OFFSET %s",
        [*params, limit, offset]).fetchall()
    return rows, total


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


def update_activity(conn: psycopg.Connection, activity_id: UUID, changes: Mapping[str, Any]) -> dict:
    assignments = ", ".join(f"{name} = %({name})s" for name in changes)
    conn.execute(f"UPDATE activities SET {assignments}, updated_at = now() WHERE id = %(id)s",
                 {**changes, "id": activity_id})
    return activity(conn, activity_id)


def delete_activity(conn: psycopg.Connection, activity_id: UUID) -> None:
    conn.execute("DELETE FROM activities WHERE id = %s", (activity_id,))


def summary_items(conn: psycopg.Connection, account_id: UUID, first: date, last: date) -> list[dict]:
    """The activities completed in the period, each with how many evidence files it has."""
    return conn.execute(
        """SELECT a.id, a.title, a.completed_on, a.category, a.points, a.source,
                  (SELECT count(*) FROM evidence e WHERE e.activity_id = a.id) AS evidence_count
           FROM activities a WHERE a.account_id = %s AND a.completed_on BETWEEN %s AND %s""",
        (account_id, first, last)).fetchall()


# --- evidence ---------------------------------------------------------------------------------------------


def evidence_of(conn: psycopg.Connection, activity_ids: Sequence[UUID]) -> list[dict]:
    if not activity_ids:
        return []
    return conn.execute("SELECT * FROM evidence WHERE activity_id = ANY(%s) ORDER BY created_at, id",
                        (list(activity_ids),)).fetchall()


def evidence(conn: psycopg.Connection, evidence_id: UUID) -> dict | None:
    return conn.execute("SELECT * FROM evidence WHERE id = %s", (evidence_id,)).fetchone()


def evidence_with_sha256(conn: psycopg.Connection, account_id: UUID, sha256: str) -> list[dict]:
    return conn.execute(
        "SELECT * FROM evidence WHERE account_id = %s AND sha256 = %s ORDER BY created_at, id",
        (account_id, sha256)).fetchall()


def insert_evidence(conn: psycopg.Connection, row: Mapping[str, Any]) -> dict:
    columns = ", ".join(row)
    placeholders = ", ".join(f"%({name})s" for name in row)
    return conn.execute(f"INSERT INTO evidence ({columns}) VALUES ({placeholders}) RETURNING *",
                        row).fetchone()


def delete_evidence(conn: psycopg.Connection, evidence_id: UUID) -> None:
    conn.execute("DELETE FROM evidence WHERE id = %s", (evidence_id,))


def object_keys_of_activity(conn: psycopg.Connection, activity_id: UUID) -> list[str]:
    rows = conn.execute("SELECT DISTINCT object_key FROM evidence WHERE activity_id = %s",
                        (activity_id,)).fetchall()
    return [row["object_key"] for row in rows]


def unreferenced(conn: psycopg.Connection, object_keys: Iterable[str]) -> list[str]:
    """Those of ``object_keys`` no evidence row points at any more."""
    keys = sorted(set(object_keys))
    if not keys:
        return []
    used = {row["object_key"] for row in conn.execute(
        "SELECT DISTINCT object_key FROM evidence WHERE object_key = ANY(%s)", (keys,)).fetchall()}
    return [key for key in keys if key not in used]


# --- Noloc Academie imports -------------------------------------------------------------------------------


def claim_noloc_import(conn: psycopg.Connection, account_id: UUID, external_id: str, activity_id: UUID,
                       event_id: UUID) -> bool:
    """Record that this completion is imported; False when it was imported before."""
    return conn.execute(
        "INSERT INTO noloc_imports (account_id, external_id, activity_id, event_id) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT DO NOTHING RETURNING activity_id",
        (account_id, external_id, activity_id, event_id)).fetchone() is not None


def lock_membership_number(conn: psycopg.Connection, membership_number: str) -> None:
    """Serialise a Noloc event and an account change for one number, so no completion is parked after
    its account's registration looked for parked completions."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"pe-member:{membership_number}",))


def park_noloc(conn: psycopg.Connection, membership_number: str, external_id: str, event_id: UUID,
               data: Mapping[str, Any]) -> None:
    conn.execute(
        "INSERT INTO pending_noloc_activities (membership_number, external_id, event_id, data) "
        "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (membership_number, external_id, event_id, Jsonb(dict(data))))


def take_parked_noloc(conn: psycopg.Connection, membership_number: str) -> list[dict]:
    return conn.execute(
        "DELETE FROM pending_noloc_activities WHERE membership_number = %s "
        "RETURNING external_id, event_id, data, received_at", (membership_number,)).fetchall()


# --- read models ------------------------------------------------------------------------------------------


def upsert_account(conn: psycopg.Connection, account_id: UUID, membership_number: str | None,
                   changed_at: datetime) -> bool:
    """Keep the newest state of the account; False when a newer one is stored already (late event)."""
    return accounts.upsert_account(conn, "accounts", account_id, changed_at,
                                   {"membership_number": membership_number}, as_of_column="changed_at")


def account_with_membership_number(conn: psycopg.Connection, membership_number: str) -> UUID | None:
    """The holder of the number for Noloc's events: the account that gives the number AND holds a
    certificate (linked by assessment only when the import's number and e-mail address matched the verified
    account, or by a claim code). A number alone is no proof: anyone can give someone else's (ADR 0018)."""
    row = conn.execute(
        """SELECT a.account_id FROM accounts a JOIN certificate_periods p ON p.account_id = a.account_id
           WHERE a.membership_number = %s ORDER BY p.occurred_at DESC LIMIT 1""",
        (membership_number,)).fetchone()
    return row["account_id"] if row else None


def membership_number_of(conn: psycopg.Connection, account_id: UUID) -> str | None:
    row = conn.execute("SELECT membership_number FROM accounts WHERE account_id = %s",
                       (account_id,)).fetchone()
    return row["membership_number"] if row else None


def upsert_certificate_period(conn: psycopg.Connection, *, account_id: UUID, certificate_id: UUID,
                              starts_on: date, valid_from: date, valid_until: date,
                              occurred_at: datetime) -> bool:
    """The certificate that runs longest is the current one; among equals, the latest event. A new
    validity drops the extension of the previous one; the same validity sent again keeps it."""
    return conn.execute(
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
        (account_id, certificate_id, starts_on, valid_from, valid_until, occurred_at)).fetchone() is not None


def extend_certificate_period(conn: psycopg.Connection, *, account_id: UUID, certificate_id: UUID,
                              until: date) -> bool:
    """Let the current period of this certificate run up to ``until`` (never shorter); False when the
    account's current period belongs to another certificate or is unknown."""
    return conn.execute(
        """UPDATE certificate_periods SET extended_until = greatest(extended_until, %s)
           WHERE account_id = %s AND certificate_id = %s RETURNING account_id""",
        (until, account_id, certificate_id)).fetchone() is not None


def certificate_period(conn: psycopg.Connection, account_id: UUID) -> dict | None:
    return conn.execute("SELECT * FROM certificate_periods WHERE account_id = %s", (account_id,)).fetchone()


def upsert_assignment(conn: psycopg.Connection, *, case_id: UUID, account_id: UUID, assessor_id: UUID,
                      assigned_at: datetime) -> None:
    """One assessor per case: a reassignment replaces the previous assessor (unless it is older)."""
    conn.execute(
        """INSERT INTO case_assignments (case_id, account_id, assessor_id, assigned_at)
           VALUES (%s, %s, %s, %s)
           ON CONFLICT (case_id) DO UPDATE
               SET account_id = EXCLUDED.account_id, assessor_id = EXCLUDED.assessor_id,
                   assigned_at = EXCLUDED.assigned_at
               WHERE case_assignments.assigned_at <= EXCLUDED.assigned_at""",
        (case_id, account_id, assessor_id, assigned_at))


def record_case(conn: psycopg.Connection, *, case_id: UUID, submission_id: UUID, account_id: UUID) -> None:
    conn.execute(
        "INSERT INTO case_submissions (case_id, submission_id, account_id) VALUES (%s, %s, %s) "
        "ON CONFLICT (case_id) DO NOTHING", (case_id, submission_id, account_id))


def set_case_access(conn: psycopg.Connection, case_id: UUID, *, open_: bool, at: datetime) -> None:
    """Open or close the assessor's access to ``case_id`` as of ``at``; an older change than the one
    recorded changes nothing (events may arrive late)."""
    conn.execute(
        """INSERT INTO case_access (case_id, open, changed_at) VALUES (%s, %s, %s)
           ON CONFLICT (case_id) DO UPDATE SET open = EXCLUDED.open, changed_at = EXCLUDED.changed_at
               WHERE case_access.changed_at <= EXCLUDED.changed_at""",
        (case_id, open_, at))


# The snapshots an assessor may read now: of the cases assigned to them that are running, the submitted
# activities (parameters: assessor, account).
_ASSESSABLE_ACTIVITIES = """
    SELECT l.activity_id
      FROM case_assignments a
      JOIN case_access x ON x.case_id = a.case_id AND x.open
      JOIN case_submissions c ON c.case_id = a.case_id
      JOIN submission_locks l ON l.submission_id = c.submission_id
     WHERE a.assessor_id = %s AND a.account_id = %s"""


def is_assessing(conn: psycopg.Connection, assessor_id: UUID, account_id: UUID,
                 activity_id: UUID | None = None) -> bool:
    """Whether ``assessor_id`` assesses a running case of ``account_id`` now, and, when ``activity_id`` is
    given, whether that activity is part of the case's submitted snapshot."""
    if activity_id is None:
        return conn.execute(
            """SELECT 1 FROM case_assignments a JOIN case_access x ON x.case_id = a.case_id AND x.open
                WHERE a.assessor_id = %s AND a.account_id = %s LIMIT 1""",
            (assessor_id, account_id)).fetchone() is not None
    return conn.execute(_ASSESSABLE_ACTIVITIES + " AND l.activity_id = %s LIMIT 1",
                        (assessor_id, account_id, activity_id)).fetchone() is not None


def lock_activities(conn: psycopg.Connection, *, submission_id: UUID, account_id: UUID,
                    activity_ids: Iterable[UUID]) -> None:
    ids = sorted(set(activity_ids))
    if ids:
        # Waits for a change to one of them in flight, which then commits before the lock does.
        conn.execute("SELECT id FROM activities WHERE id = ANY(%s) ORDER BY id FOR UPDATE", (ids,))
        conn.execute(
            "INSERT INTO submission_locks (activity_id, submission_id, account_id) "
            "SELECT id, %s, %s FROM unnest(%s::uuid[]) AS id ON CONFLICT DO NOTHING",
            (submission_id, account_id, ids))


def release_submission(conn: psycopg.Connection, submission_id: UUID) -> int:
    return conn.execute("DELETE FROM submission_locks WHERE submission_id = %s", (submission_id,)).rowcount


# --- retention (ADR 0020) -------------------------------------------------------------------------------


def note_final_decision(conn: psycopg.Connection, decision_id: UUID, account_id: UUID,
                        decided_at: datetime) -> None:
    conn.execute("INSERT INTO final_decisions (decision_id, account_id, decided_at) VALUES (%s, %s, %s)"
                 " ON CONFLICT DO NOTHING", (decision_id, account_id, decided_at))


def due_final_decisions(conn: psycopg.Connection, decided_before: datetime) -> list[dict]:
    """Final decisions whose retention has run out and whose evidence is not deleted yet, locked."""
    return conn.execute(
        "SELECT decision_id, account_id, decided_at FROM final_decisions"
        " WHERE purged_at IS NULL AND decided_at <= %s ORDER BY decided_at FOR UPDATE SKIP LOCKED",
        (decided_before,)).fetchall()


def delete_decided_evidence(conn: psycopg.Connection, account_id: UUID, decided_at: datetime) -> list[dict]:
    """Delete the evidence of the account's activities that were part of a portfolio submitted before the
    decision; returns the deleted rows (id, activity_id, object_key)."""
    return conn.execute(
        "DELETE FROM evidence e WHERE e.account_id = %s AND EXISTS (SELECT 1 FROM submission_locks l"
        " WHERE l.activity_id = e.activity_id AND l.locked_at <= %s)"
        " RETURNING e.id, e.activity_id, e.object_key", (account_id, decided_at)).fetchall()


def mark_purged(conn: psycopg.Connection, decision_id: UUID, at: datetime) -> None:
    conn.execute("UPDATE final_decisions SET purged_at = %s WHERE decision_id = %s", (at, decision_id))


def forget_account(conn: psycopg.Connection, account_id: UUID) -> list[str]:
    """Delete every row about the account (identity.account.erased, ADR 0020); returns the object keys of
    its evidence, for the caller to delete from the store."""
    keys = [row["object_key"] for row in conn.execute(
        "SELECT DISTINCT object_key FROM evidence WHERE account_id = %s", (account_id,)).fetchall()]
    number = conn.execute("SELECT membership_number FROM accounts WHERE account_id = %s",
                          (account_id,)).fetchone()
    for table in ("evidence", "submission_locks", "activities", "noloc_imports", "certificate_periods",
                  "case_assignments", "final_decisions", "accounts"):
        conn.execute(f"DELETE FROM {table} WHERE account_id = %s", (account_id,))  # noqa: S608 (fixed names)
    if number and number["membership_number"]:
        conn.execute("DELETE FROM pending_noloc_activities WHERE membership_number = %s",
                     (number["membership_number"],))
    access_log.forget(conn, account_id)
    return keys
