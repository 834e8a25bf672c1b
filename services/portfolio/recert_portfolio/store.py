"""Portfolio's database: ``SqlPortfolioUnitOfWork`` and the repositories it binds to its transaction (psycopg
3, dict rows). Each repository holds the SQL of one aggregate or read model and returns domain types."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from recert_common import access_log, accounts, pe_copy
from recert_common.bus import outbox
from recert_common.uow import SqlUnitOfWork
from recert_portfolio.domain import (
    CalendarFeed,
    Case,
    Cycle,
    CycleKind,
    CycleState,
    DueDecision,
    Meeting,
    NolocAttendance,
    Part,
    PeActivity,
    Proof,
    Submission,
    Supplement,
    SupplementAssignment,
    WithdrawalRequest,
)
from recert_portfolio.mentors import MentorAccount, MentorComment, Mentorship

Conn = psycopg.Connection


def _lock(for_update: bool) -> str:
    return " FOR UPDATE" if for_update else ""


class _Repository:
    def __init__(self, conn: Conn):
        self.conn = conn


# --- accounts (read model) -------------------------------------------------------------------------------


class AccountRepository(_Repository):
    def upsert(self, account_id: UUID, membership_number: str | None, roles: Iterable[str],
               occurred_at: datetime, *, full_name: str | None = None,
               membership_kind: str | None = None) -> bool:
        """Keep the account as of ``occurred_at`` unless a newer state is stored (recert_common.accounts);
        returns whether it was written."""
        # Several accounts may give one number (ADR 0018): ``holder_of_number`` tells whose it is.
        return accounts.upsert_account(self.conn, "accounts", account_id, occurred_at,
                                       {"membership_number": membership_number, "roles": list(roles),
                                        "full_name": full_name, "membership_kind": membership_kind},
                                       touch=("updated_at",))

    def holder_of_number(self, membership_number: str) -> UUID | None:
        """The holder of the number for Noloc's events: the account that gives the number AND has a cycle,
        i.e. holds a certificate (linked by assessment only when the import's number and e-mail address
        matched the verified account, or by a claim code). A number alone is no proof (ADR 0018)."""
        row = self.conn.execute(
            """SELECT a.account_id FROM accounts a
               WHERE a.membership_number = %s
                 AND EXISTS (SELECT 1 FROM cycles c WHERE c.account_id = a.account_id)
               ORDER BY a.updated_at DESC LIMIT 1""", (membership_number,)).fetchone()
        return row["account_id"] if row else None

    def membership_number_of(self, account_id: UUID) -> str | None:
        row = self.conn.execute("SELECT membership_number FROM accounts WHERE account_id = %s",
                                (account_id,)).fetchone()
        return row["membership_number"] if row else None


# --- Noloc attendance (read model) -----------------------------------------------------------------------

_ATTENDANCE_FIELDS = tuple(f.name for f in dataclasses.fields(NolocAttendance))


class AttendanceRepository(_Repository):
    def add(self, fact: NolocAttendance) -> bool:
        """Keep one of Noloc's facts; False when its external id was seen before."""
        row = self.conn.execute(
            """INSERT INTO noloc_attendance (external_id, membership_number, met_on, kind, group_name,
                                             supervisor_name, duration_minutes)
               VALUES (%(external_id)s, %(membership_number)s, %(met_on)s, %(kind)s, %(group_name)s,
                       %(supervisor_name)s, %(duration_minutes)s)
               ON CONFLICT (external_id) DO NOTHING RETURNING external_id""",
            dataclasses.asdict(fact),
        ).fetchone()
        return row is not None

    def claim(self, membership_number: str, account_id: UUID) -> int:
        """Give the parked facts of ``membership_number`` their account. Returns how many."""
        return self.conn.execute(
            "UPDATE noloc_attendance SET account_id = %s WHERE membership_number = %s AND meeting_id IS NULL",
            (account_id, membership_number),
        ).rowcount

    def unapplied(self, account_id: UUID) -> list[NolocAttendance]:
        rows = self.conn.execute(
            "SELECT * FROM noloc_attendance WHERE account_id = %s AND meeting_id IS NULL "
            "ORDER BY met_on, external_id FOR UPDATE", (account_id,)).fetchall()
        return [NolocAttendance(**{name: row[name] for name in _ATTENDANCE_FIELDS}) for row in rows]

    def mark_applied(self, external_id: str, meeting_id: UUID) -> None:
        self.conn.execute("UPDATE noloc_attendance SET meeting_id = %s WHERE external_id = %s",
                          (meeting_id, external_id))


# --- PE (read model) -------------------------------------------------------------------------------------


class PeRepository(_Repository):
    """Portfolio's copy of pe-registry's activities and evidence hashes, in pe-registry's order whatever
    order the events arrive in (``recert_common.pe_copy``)."""

    def upsert_activity(self, account_id: UUID, activity: PeActivity, occurred_at: datetime) -> bool:
        """Keep ``activity`` as of ``occurred_at`` (``pe_copy.upsert_activity``); whether it was written."""
        return pe_copy.upsert_activity(self.conn, {
            "activity_id": activity.activity_id, "account_id": account_id, "category": activity.category,
            "title": activity.title, "completed_on": activity.completed_on, "points": activity.points,
            "source": activity.source}, occurred_at)

    def remove_activity(self, activity_id: UUID, account_id: UUID, removed_at: datetime) -> None:
        pe_copy.remove_activity(self.conn, activity_id, account_id, removed_at)

    def add_evidence(self, evidence_id: UUID, activity_id: UUID, account_id: UUID, sha256: str) -> bool:
        return pe_copy.add_evidence(self.conn, {"evidence_id": evidence_id, "activity_id": activity_id,
                                                "account_id": account_id, "sha256": sha256})

    def remove_evidence(self, evidence_id: UUID, account_id: UUID, removed_at: datetime) -> None:
        pe_copy.remove_evidence(self.conn, evidence_id, account_id, removed_at)

    def activities(self, account_id: UUID) -> tuple[PeActivity, ...]:
        rows = self.conn.execute(
            """SELECT a.activity_id, a.category, a.title, a.completed_on, a.points, a.source,
                      coalesce(array_agg(e.sha256 ORDER BY e.sha256) FILTER (WHERE e.sha256 IS NOT NULL),
                               '{}') AS evidence
               FROM pe_activities a LEFT JOIN pe_evidence e ON e.activity_id = a.activity_id
               WHERE a.account_id = %s
               GROUP BY a.activity_id ORDER BY a.completed_on, a.activity_id""", (account_id,)).fetchall()
        return tuple(PeActivity(activity_id=r["activity_id"], category=r["category"], title=r["title"],
                                completed_on=r["completed_on"], points=r["points"],
                                evidence_sha256s=tuple(r["evidence"]), source=r["source"]) for r in rows)


# --- assessment cases and decisions (read models) --------------------------------------------------------


# Whether the assignment being upserted (EXCLUDED) is to replace the stored one: it names an assessor and is
# not older than the stored assignment (a stored row without assessor or time takes it).
_NEWER_ASSIGNMENT = ("(EXCLUDED.assessor_id IS NOT NULL AND (cases.assessor_id IS NULL"
                     " OR cases.assigned_at IS NULL OR cases.assigned_at <= EXCLUDED.assigned_at))")


class CaseRepository(_Repository):
    def upsert(self, case_id: UUID, account_id: UUID, *, submission_id: UUID | None = None,
               assessor_id: UUID | None = None, assigned_at: datetime | None = None) -> None:
        """Either event may come first after a retry; each fills in what it knows. An assignment
        (``assessor_id`` with ``assigned_at``, the event's time) older than the one stored leaves the
        assessor alone: a late or replayed assignment must not undo a reassignment. Equal times apply; a row
        without a time (from before the column) takes the next assignment."""
        self.conn.execute(
            """INSERT INTO cases (case_id, account_id, submission_id, assessor_id, assigned_at)
               VALUES (%(case)s, %(account)s, %(submission)s, %(assessor)s, %(at)s)
               ON CONFLICT (case_id) DO UPDATE
                   SET submission_id = coalesce(EXCLUDED.submission_id, cases.submission_id),
                       assessor_id = CASE WHEN %(newer)s THEN EXCLUDED.assessor_id ELSE cases.assessor_id END,
                       assigned_at = CASE WHEN %(newer)s THEN EXCLUDED.assigned_at ELSE cases.assigned_at END,
                       updated_at = now()""".replace("%(newer)s", _NEWER_ASSIGNMENT),
            {"case": case_id, "account": account_id, "submission": submission_id, "assessor": assessor_id,
             "at": assigned_at},
        )

    def get(self, case_id: UUID) -> Case | None:
        row = self.conn.execute("SELECT case_id, account_id, submission_id, assessor_id FROM cases "
                                "WHERE case_id = %s", (case_id,)).fetchone()
        return Case(**row) if row else None

    def assessor_assigned(self, submission_id: UUID | None) -> bool:
        row = self.conn.execute("SELECT EXISTS (SELECT 1 FROM cases WHERE submission_id = %s "
                                "AND assessor_id IS NOT NULL) AS assigned", (submission_id,)).fetchone()
        return row["assigned"]

    def assessor_may_read(self, about_submission_id: UUID, assessor_id: UUID) -> bool:
        """Whether ``assessor_id`` is assigned to a case about the submission that is being assessed now
        (from the assignment, or the supplement's submission, to the decision)."""
        row = self.conn.execute(
            """SELECT EXISTS (SELECT 1 FROM cases c JOIN case_access x ON x.case_id = c.case_id AND x.open
                               WHERE c.submission_id = %s AND c.assessor_id = %s) AS allowed""",
            (about_submission_id, assessor_id)).fetchone()
        return row["allowed"]

    def set_access(self, case_id: UUID, *, open_: bool, at: datetime) -> None:
        """Open or close the assigned assessor's access to the case's snapshot as of ``at``; a change older
        than the one recorded changes nothing (events may arrive late or be retried)."""
        self.conn.execute(
            """INSERT INTO case_access (case_id, open, changed_at) VALUES (%s, %s, %s)
               ON CONFLICT (case_id) DO UPDATE SET open = EXCLUDED.open, changed_at = EXCLUDED.changed_at
                   WHERE case_access.changed_at <= EXCLUDED.changed_at""",
            (case_id, open_, at))

    def add_decision(self, decision_id: UUID, case_id: UUID, decision: str, decided_on: date) -> None:
        self.conn.execute(
            "INSERT INTO decisions (decision_id, case_id, decision, decided_on) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (decision_id) DO NOTHING", (decision_id, case_id, decision, decided_on))

    def decision_kind(self, decision_id: UUID) -> str | None:
        """The decision (positive, postponed, negative) as recorded; None before its event is handled."""
        row = self.conn.execute("SELECT decision FROM decisions WHERE decision_id = %s",
                                (decision_id,)).fetchone()
        return row["decision"] if row else None

    def decision_day(self, decision_id: UUID) -> date | None:
        row = self.conn.execute("SELECT decided_on FROM decisions WHERE decision_id = %s",
                                (decision_id,)).fetchone()
        return row["decided_on"] if row else None

    def due_final_decisions(self, decided_on_or_before: date) -> list[DueDecision]:
        """Final decisions (positive, negative) on or before the day whose cycle is not purged yet, locked."""
        rows = self.conn.execute(
            "SELECT d.decision_id, s.cycle_id FROM decisions d JOIN cases c ON c.case_id = d.case_id"
            " JOIN submissions s ON s.id = c.submission_id"
            " WHERE d.decision IN ('positive', 'negative') AND d.decided_on <= %s AND d.purged_at IS NULL"
            " ORDER BY d.decided_on FOR UPDATE OF d SKIP LOCKED", (decided_on_or_before,)).fetchall()
        return [DueDecision(row["decision_id"], row["cycle_id"]) for row in rows]

    def mark_purged(self, decision_id: UUID, at: datetime) -> None:
        self.conn.execute("UPDATE decisions SET purged_at = %s WHERE decision_id = %s", (at, decision_id))


# --- cycles ----------------------------------------------------------------------------------------------

_CYCLE_COLUMNS = tuple(f.name for f in dataclasses.fields(Cycle))


def _cycle(row: Mapping[str, Any] | None) -> Cycle | None:
    if row is None:
        return None
    values = {name: row[name] for name in _CYCLE_COLUMNS}
    return Cycle(**{**values, "kind": CycleKind(row["kind"]), "state": CycleState(row["state"])})


class CycleRepository(_Repository):
    def add(self, cycle: Cycle) -> bool:
        """False when this certificate period already has its cycle of this kind."""
        values = {name: getattr(cycle, name) for name in _CYCLE_COLUMNS}
        values["kind"], values["state"] = str(cycle.kind), str(cycle.state)
        row = self.conn.execute(
            f"INSERT INTO cycles ({', '.join(_CYCLE_COLUMNS)}) "
            f"VALUES ({', '.join(f'%({n})s' for n in _CYCLE_COLUMNS)}) "
            "ON CONFLICT (certificate_id, expires_on, kind) DO NOTHING RETURNING id", values).fetchone()
        return row is not None

    def for_period(self, certificate_id: UUID, expires_on: date, kind: CycleKind) -> Cycle | None:
        return _cycle(self.conn.execute(
            "SELECT * FROM cycles WHERE certificate_id = %s AND expires_on = %s AND kind = %s",
            (certificate_id, expires_on, str(kind))).fetchone())

    def current(self, account_id: UUID, *, for_update: bool = False) -> Cycle | None:
        return _cycle(self.conn.execute(
            f"SELECT * FROM cycles WHERE account_id = %s AND state <> 'closed'{_lock(for_update)}",
            (account_id,)).fetchone())

    def get(self, cycle_id: UUID, *, for_update: bool = False) -> Cycle | None:
        return _cycle(self.conn.execute(f"SELECT * FROM cycles WHERE id = %s{_lock(for_update)}",
                                        (cycle_id,)).fetchone())

    def of_submission(self, submission_id: UUID, *, for_update: bool = False) -> Cycle | None:
        return _cycle(self.conn.execute(
            f"SELECT c.* FROM cycles c JOIN submissions s ON s.cycle_id = c.id WHERE s.id = %s"
            f"{' FOR UPDATE OF c' if for_update else ''}", (submission_id,)).fetchone())

    def save(self, cycle: Cycle) -> None:
        """Write what a transition changes: the state, the submission under assessment, the closing time, the
        announcement of a missed deadline."""
        self.conn.execute("UPDATE cycles SET state = %s, submission_id = %s, closed_at = %s, "
                          "deadline_missed_at = %s WHERE id = %s",
                          (str(cycle.state), cycle.submission_id, cycle.closed_at, cycle.deadline_missed_at,
                           cycle.id))

    def past_deadline_ids(self, today: date) -> list[UUID]:
        """Open cycles whose last day to submit is before ``today`` and not yet announced as missed (the
        domain decides again on the locked row: ``Cycle.miss_deadline``)."""
        return [row["id"] for row in self.conn.execute(
            "SELECT id FROM cycles WHERE state = 'open' AND submit_by < %s AND deadline_missed_at IS NULL "
            "ORDER BY submit_by, id", (today,)).fetchall()]

    def page(self, *, account_id: UUID | None, page: int, page_size: int) -> tuple[list[Cycle], int]:
        where, params = "", {}
        if account_id is not None:
            where, params = "WHERE account_id = %(account_id)s", {"account_id": account_id}
        total = self.conn.execute(f"SELECT count(*) AS n FROM cycles {where}", params).fetchone()["n"]
        rows = self.conn.execute(
            f"SELECT * FROM cycles {where} ORDER BY opened_at DESC, id LIMIT %(limit)s OFFSET %(offset)s",
            {**params, "limit": page_size, "offset": (page - 1) * page_size}).fetchall()
        return [_cycle(r) for r in rows], total


# --- parts -----------------------------------------------------------------------------------------------


class PartRepository(_Repository):
    def of_cycle(self, cycle_id: UUID) -> dict[str, Part]:
        rows = self.conn.execute("SELECT * FROM parts WHERE cycle_id = %s", (cycle_id,)).fetchall()
        return {r["part"]: Part(part=r["part"], text=r["text"], declared_at=r["declared_at"],
                                works_now_declared_at=r["works_now_declared_at"], meeting_id=r["meeting_id"],
                                updated_at=r["updated_at"]) for r in rows}

    def save(self, cycle_id: UUID, part: Part) -> None:
        self.conn.execute(
            """INSERT INTO parts (cycle_id, part, text, declared_at, works_now_declared_at, meeting_id,
                                  updated_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (cycle_id, part) DO UPDATE
                   SET text = EXCLUDED.text, declared_at = EXCLUDED.declared_at,
                       works_now_declared_at = EXCLUDED.works_now_declared_at,
                       meeting_id = EXCLUDED.meeting_id, updated_at = EXCLUDED.updated_at""",
            (cycle_id, part.part, part.text, part.declared_at, part.works_now_declared_at, part.meeting_id,
             part.updated_at))

    def report_is_about(self, meeting_id: UUID) -> bool:
        """Whether a reflection report is about the meeting."""
        row = self.conn.execute("SELECT EXISTS (SELECT 1 FROM parts WHERE meeting_id = %s) AS used",
                                (meeting_id,)).fetchone()
        return row["used"]


# --- meetings and proofs ---------------------------------------------------------------------------------

_MEETING_SELECT = """
    SELECT m.*, p.id AS p_id, p.account_id AS p_account_id, p.object_key AS p_object_key,
           p.sha256 AS p_sha256, p.size AS p_size, p.content_type AS p_content_type, p.filename AS p_filename,
           p.uploaded_at AS p_uploaded_at
    FROM meetings m LEFT JOIN proofs p ON p.id = m.proof_id"""


def _proof(row: Mapping[str, Any], prefix: str = "") -> Proof | None:
    if row[f"{prefix}id"] is None:
        return None
    return Proof(**{name: row[f"{prefix}{name}"] for name in (f.name for f in dataclasses.fields(Proof))})


def _meeting(row: Mapping[str, Any] | None) -> Meeting | None:
    if row is None:
        return None
    return Meeting(id=row["id"], cycle_id=row["cycle_id"], account_id=row["account_id"], met_on=row["met_on"],
                   kind=row["kind"], group_name=row["group_name"], supervisor_name=row["supervisor_name"],
                   duration_minutes=row["duration_minutes"], source=row["source"],
                   external_id=row["external_id"], proof=_proof(row, "p_"), created_at=row["created_at"])


class MeetingRepository(_Repository):
    def of_cycle(self, cycle_id: UUID) -> tuple[Meeting, ...]:
        rows = self.conn.execute(f"{_MEETING_SELECT} WHERE m.cycle_id = %s ORDER BY m.met_on, m.created_at, "
                                 "m.id", (cycle_id,)).fetchall()
        return tuple(_meeting(r) for r in rows)

    def get(self, meeting_id: UUID) -> Meeting | None:
        return _meeting(self.conn.execute(f"{_MEETING_SELECT} WHERE m.id = %s", (meeting_id,)).fetchone())

    def add(self, meeting: Meeting) -> bool:
        """False when the cycle holds this Noloc meeting already."""
        row = self.conn.execute(
            """INSERT INTO meetings (id, cycle_id, account_id, met_on, kind, group_name, supervisor_name,
                                     duration_minutes, source, external_id, proof_id, created_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (cycle_id, external_id) WHERE external_id IS NOT NULL DO NOTHING RETURNING id""",
            (meeting.id, meeting.cycle_id, meeting.account_id, meeting.met_on, meeting.kind,
             meeting.group_name, meeting.supervisor_name, meeting.duration_minutes, meeting.source,
             meeting.external_id, meeting.proof.id if meeting.proof else None, meeting.created_at)).fetchone()
        return row is not None

    def delete(self, meeting_id: UUID) -> None:
        self.conn.execute("DELETE FROM meetings WHERE id = %s", (meeting_id,))

    def set_proof(self, meeting_id: UUID, proof_id: UUID) -> None:
        self.conn.execute("UPDATE meetings SET proof_id = %s WHERE id = %s", (proof_id, meeting_id))


class ProofRepository(_Repository):
    def add(self, proof: Proof) -> None:
        values = dataclasses.asdict(proof)
        placeholders = ", ".join(f"%({n})s" for n in values)
        self.conn.execute(f"INSERT INTO proofs ({', '.join(values)}) VALUES ({placeholders})", values)

    def get(self, proof_id: UUID) -> Proof | None:
        row = self.conn.execute("SELECT * FROM proofs WHERE id = %s", (proof_id,)).fetchone()
        return _proof(row) if row else None


# --- submissions -----------------------------------------------------------------------------------------

_SUBMISSION_SELECT = """
    SELECT s.*, w.withdrawn_at, w.reason AS withdraw_reason
    FROM submissions s LEFT JOIN withdrawals w ON w.submission_id = s.id"""


def _submission(row: Mapping[str, Any] | None) -> Submission | None:
    if row is None:
        return None
    return Submission(**{f.name: row[f.name] for f in dataclasses.fields(Submission)})


class SubmissionRepository(_Repository):
    def add(self, submission: Submission) -> None:
        columns = ("id", "kind", "cycle_id", "portfolio_id", "account_id", "about_submission_id",
                   "supplement_id", "submitted_at", "content", "snapshot_hash")
        self.conn.execute(f"INSERT INTO submissions ({', '.join(columns)}) "
                          f"VALUES ({', '.join(f'%({c})s' for c in columns)})",
                          {c: getattr(submission, c) for c in columns})

    def get(self, submission_id: UUID) -> Submission | None:
        return _submission(self.conn.execute(f"{_SUBMISSION_SELECT} WHERE s.id = %s",
                                             (submission_id,)).fetchone())

    def withdraw(self, submission_id: UUID, withdrawn_at: datetime, reason: str | None) -> None:
        self.conn.execute("INSERT INTO withdrawals (submission_id, withdrawn_at, reason) VALUES (%s, %s, %s)",
                          (submission_id, withdrawn_at, reason))

    def request_withdrawal(self, request: WithdrawalRequest) -> None:
        """Store a new request; one after a refusal replaces the refused one."""
        self.conn.execute(
            "INSERT INTO withdrawal_requests (submission_id, requested_at, reason) VALUES (%s, %s, %s) "
            "ON CONFLICT (submission_id) DO UPDATE SET requested_at = EXCLUDED.requested_at, "
            "reason = EXCLUDED.reason, refused_at = NULL, refused_stage = NULL",
            (request.submission_id, request.requested_at, request.reason))

    def withdrawal_request(self, submission_id: UUID | None) -> WithdrawalRequest | None:
        row = self.conn.execute("SELECT * FROM withdrawal_requests WHERE submission_id = %s",
                                (submission_id,)).fetchone() if submission_id else None
        return WithdrawalRequest(**row) if row else None

    def refuse_withdrawal(self, submission_id: UUID, refused_at: datetime, stage: str) -> bool:
        """Mark the pending request refused; False when there is none (the answer came twice)."""
        return self.conn.execute(
            "UPDATE withdrawal_requests SET refused_at = %s, refused_stage = %s "
            "WHERE submission_id = %s AND refused_at IS NULL",
            (refused_at, stage, submission_id)).rowcount == 1

    def page(self, *, account_id: UUID | None = None, assessor_id: UUID | None = None,
             cycle_id: UUID | None = None, page: int, page_size: int) -> tuple[list[Submission], int]:
        conditions, params = [], {}
        if account_id is not None:
            conditions.append("s.account_id = %(account_id)s")
            params["account_id"] = account_id
        if cycle_id is not None:
            conditions.append("s.cycle_id = %(cycle_id)s")
            params["cycle_id"] = cycle_id
        if assessor_id is not None:
            conditions.append("EXISTS (SELECT 1 FROM cases c WHERE c.submission_id = s.about_submission_id "
                              "AND c.assessor_id = %(assessor_id)s)")
            params["assessor_id"] = assessor_id
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        total = self.conn.execute(f"SELECT count(*) AS n FROM submissions s {where}", params).fetchone()["n"]
        rows = self.conn.execute(f"{_SUBMISSION_SELECT} {where} ORDER BY s.submitted_at DESC, s.id "
                                 "LIMIT %(limit)s OFFSET %(offset)s",
                                 {**params, "limit": page_size, "offset": (page - 1) * page_size}).fetchall()
        return [_submission(r) for r in rows], total


# --- supplements -----------------------------------------------------------------------------------------


def _supplement(row: Mapping[str, Any] | None) -> Supplement | None:
    if row is None:
        return None
    return Supplement(
        id=row["id"], cycle_id=row["cycle_id"], case_id=row["case_id"], submission_id=row["submission_id"],
        parts=tuple(row["parts"]),
        assignments=tuple(SupplementAssignment(a["part"], a["assignment"]) for a in row["assignments"]),
        due_on=row["due_on"], opened_at=row["opened_at"], revised_parts=tuple(row["revised_parts"]),
        submitted_at=row["submitted_at"], supplement_submission_id=row["supplement_submission_id"],
        missed_at=row["missed_at"], annulled_at=row["annulled_at"], decision_id=row["decision_id"])


class SupplementRepository(_Repository):
    def add(self, supplement: Supplement) -> bool:
        """False when the case has a supplement in force already (one not annulled)."""
        row = self.conn.execute(
            """INSERT INTO supplements (id, cycle_id, case_id, submission_id, parts, assignments, due_on,
                                        opened_at, decision_id)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (case_id) WHERE annulled_at IS NULL DO NOTHING RETURNING id""",
            (supplement.id, supplement.cycle_id, supplement.case_id, supplement.submission_id,
             list(supplement.parts), Jsonb([{"part": a.part, "assignment": a.assignment}
                                            for a in supplement.assignments]),
             supplement.due_on, supplement.opened_at, supplement.decision_id)).fetchone()
        return row is not None

    def latest(self, cycle_id: UUID) -> Supplement | None:
        """The cycle's latest supplement, whatever its state (an annulled one too)."""
        return _supplement(self.conn.execute("SELECT * FROM supplements WHERE cycle_id = %s "
                                             "ORDER BY opened_at DESC, id LIMIT 1", (cycle_id,)).fetchone())

    def of_case(self, case_id: UUID) -> Supplement | None:
        """The case's latest supplement, whatever its state."""
        return _supplement(self.conn.execute("SELECT * FROM supplements WHERE case_id = %s "
                                             "ORDER BY opened_at DESC, id LIMIT 1", (case_id,)).fetchone())

    def mark_revised(self, supplement_id: UUID, part: str) -> None:
        self.conn.execute("UPDATE supplements SET revised_parts = array_append(revised_parts, %s) "
                          "WHERE id = %s AND NOT (%s = ANY(revised_parts))", (part, supplement_id, part))

    def save_submitted(self, supplement: Supplement) -> None:
        self.conn.execute(
            "UPDATE supplements SET submitted_at = %s, supplement_submission_id = %s WHERE id = %s",
            (supplement.submitted_at, supplement.supplement_submission_id, supplement.id))

    def save_missed(self, supplement: Supplement) -> None:
        self.conn.execute("UPDATE supplements SET missed_at = %s WHERE id = %s",
                          (supplement.missed_at, supplement.id))

    def save_annulled(self, supplement: Supplement) -> None:
        self.conn.execute("UPDATE supplements SET annulled_at = %s WHERE id = %s",
                          (supplement.annulled_at, supplement.id))

    def past_due_cycle_ids(self, today: date) -> list[UUID]:
        """Cycles whose open supplement was not handed in by a due date before ``today``, not annulled and not
        yet announced as missed (the domain decides again on the locked cycle: ``Supplement.miss``)."""
        return [row["cycle_id"] for row in self.conn.execute(
            "SELECT s.cycle_id FROM supplements s JOIN cycles c ON c.id = s.cycle_id "
            "WHERE c.state = 'supplement_open' AND s.submitted_at IS NULL AND s.missed_at IS NULL "
            "AND s.annulled_at IS NULL AND s.due_on < %s ORDER BY s.due_on, s.cycle_id", (today,)).fetchall()]


# --- who read what, and forgetting (ADR 0020) -----------------------------------------------------------


class RetentionRepository(_Repository):
    """The only deletes of submitted snapshots: the database refuses them unless the transaction has
    ``recert.retention`` on, which these methods set."""

    def _allow(self) -> None:
        self.conn.execute("SELECT set_config('recert.retention', 'on', true)")

    def purge_cycle_snapshots(self, cycle_id: UUID) -> tuple[int, list[str]]:
        """Delete the cycle's submitted snapshots (with their withdrawals and supplements) and every proof
        file row of the cycle, current or listed in a snapshot, that no meeting of a later cycle still uses
        (a new portfolio after a negative decision takes the meetings over); returns how many snapshots
        went and the proofs' object keys."""
        self._allow()
        conn = self.conn
        proof_ids = [row["id"] for row in conn.execute(
            "SELECT proof_id AS id FROM meetings WHERE cycle_id = %s AND proof_id IS NOT NULL"
            " UNION SELECT (m.value -> 'proof' ->> 'id')::uuid FROM submissions s,"
            " jsonb_array_elements(s.content::jsonb -> 'reflection_meetings') AS m"
            " WHERE s.cycle_id = %s AND jsonb_typeof(m.value -> 'proof') = 'object'",
            (cycle_id, cycle_id)).fetchall()]
        conn.execute("UPDATE meetings SET proof_id = NULL WHERE cycle_id = %s", (cycle_id,))
        for table in ("withdrawals", "withdrawal_requests"):
            conn.execute(f"DELETE FROM {table} WHERE submission_id IN (SELECT id FROM submissions"
                         " WHERE cycle_id = %s)", (cycle_id,))
        conn.execute("DELETE FROM supplements WHERE cycle_id = %s", (cycle_id,))
        snapshots = conn.execute("DELETE FROM submissions WHERE cycle_id = %s", (cycle_id,)).rowcount
        keys = [row["object_key"] for row in conn.execute(
            "DELETE FROM proofs WHERE id = ANY(%s) AND NOT EXISTS (SELECT 1 FROM meetings m"
            " WHERE m.proof_id = proofs.id) RETURNING object_key", (proof_ids,)).fetchall()]
        return snapshots, keys

    def forget_account(self, account_id: UUID) -> list[str]:
        """Delete every row about the account (identity.account.erased), its snapshots included; returns
        the object keys of its proofs, for the caller to delete from the store."""
        self._allow()
        conn = self.conn
        cycles = "SELECT id FROM cycles WHERE account_id = %(a)s"
        submissions = "SELECT id FROM submissions WHERE account_id = %(a)s"
        cases = "SELECT case_id FROM cases WHERE account_id = %(a)s"
        number = conn.execute("SELECT membership_number FROM accounts WHERE account_id = %(a)s",
                              {"a": account_id}).fetchone()
        for statement in (
                "DELETE FROM calendar_feeds WHERE account_id = %(a)s",
                "DELETE FROM milestone_nudges WHERE account_id = %(a)s",
                f"DELETE FROM withdrawals WHERE submission_id IN ({submissions})",
                f"DELETE FROM withdrawal_requests WHERE submission_id IN ({submissions})",
                f"DELETE FROM supplements WHERE cycle_id IN ({cycles})",
                "DELETE FROM submissions WHERE account_id = %(a)s",
                f"DELETE FROM parts WHERE cycle_id IN ({cycles})",
                "DELETE FROM meetings WHERE account_id = %(a)s",
                "UPDATE cycles SET previous_cycle_id = NULL WHERE account_id = %(a)s",
                "DELETE FROM cycles WHERE account_id = %(a)s",
                f"DELETE FROM decisions WHERE case_id IN ({cases})",
                f"DELETE FROM case_access WHERE case_id IN ({cases})",
                "DELETE FROM cases WHERE account_id = %(a)s",
                "DELETE FROM pe_evidence WHERE account_id = %(a)s",
                "DELETE FROM pe_activities WHERE account_id = %(a)s",
                "DELETE FROM pe_removed_evidence WHERE account_id = %(a)s",
                "DELETE FROM pe_removed_activities WHERE account_id = %(a)s",
                "DELETE FROM noloc_attendance WHERE account_id = %(a)s",
                "DELETE FROM mentorships WHERE account_id = %(a)s OR mentor_id = %(a)s",
                "DELETE FROM mentor_profiles WHERE account_id = %(a)s",
                "DELETE FROM accounts WHERE account_id = %(a)s"):
            conn.execute(statement, {"a": account_id})
        access_log.forget(conn, account_id)
        outbox.forget_published_about(conn, account_id)  # reasons and titles sent before
        if number and number["membership_number"]:
            conn.execute("DELETE FROM noloc_attendance WHERE membership_number = %s",
                         (number["membership_number"],))
        return [row["object_key"] for row in conn.execute(
            "DELETE FROM proofs WHERE account_id = %s RETURNING object_key", (account_id,)).fetchall()]


# --- the wegwijzer (ADR 0026) ----------------------------------------------------------------------------


class CalendarFeedRepository(_Repository):
    def get(self, account_id: UUID) -> CalendarFeed | None:
        row = self.conn.execute(
            "SELECT account_id, nonce, created_at FROM calendar_feeds WHERE account_id = %s",
            (account_id,)).fetchone()
        return CalendarFeed(**row) if row else None

    def add(self, feed: CalendarFeed, token_sha256: str) -> CalendarFeed:
        """The account's feed: this one, or the one another request stored first."""
        self.conn.execute(
            "INSERT INTO calendar_feeds (account_id, nonce, token_sha256, created_at) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (account_id) DO NOTHING",
            (feed.account_id, feed.nonce, token_sha256, feed.created_at))
        found = self.get(feed.account_id)
        assert found is not None
        return found

    def replace(self, feed: CalendarFeed, token_sha256: str) -> None:
        self.conn.execute(
            "INSERT INTO calendar_feeds (account_id, nonce, token_sha256, created_at) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (account_id) DO UPDATE SET nonce = EXCLUDED.nonce, "
            "token_sha256 = EXCLUDED.token_sha256, created_at = EXCLUDED.created_at",
            (feed.account_id, feed.nonce, token_sha256, feed.created_at))

    def owner_of(self, token_sha256: str) -> UUID | None:
        row = self.conn.execute("SELECT account_id FROM calendar_feeds WHERE token_sha256 = %s",
                                (token_sha256,)).fetchone()
        return row["account_id"] if row else None


class NudgeRepository(_Repository):
    def add(self, cycle_id: UUID, milestone: str, account_id: UUID, at: datetime) -> bool:
        """True the first time this milestone of this cycle is nudged about."""
        row = self.conn.execute(
            "INSERT INTO milestone_nudges (cycle_id, milestone, account_id, nudged_at) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING cycle_id",
            (cycle_id, milestone, account_id, at)).fetchone()
        return row is not None

    def open_cycle_ids(self) -> list[UUID]:
        """Cycles in which the jobcoach has work to do: open, or with a supplement open."""
        return [row["id"] for row in self.conn.execute(
            "SELECT id FROM cycles WHERE state IN ('open', 'supplement_open') ORDER BY id").fetchall()]
# --- mentors (ADR 0028) -----------------------------------------------------------------------------------

_MENTORSHIP_SELECT = """
    SELECT m.*, j.full_name AS jobcoach_name, t.full_name AS mentor_name
    FROM mentorships m LEFT JOIN accounts j ON j.account_id = m.account_id
         LEFT JOIN accounts t ON t.account_id = m.mentor_id"""


def _mentorship(row: Mapping[str, Any] | None) -> Mentorship | None:
    if row is None:
        return None
    return Mentorship(id=row["id"], account_id=row["account_id"], mentor_id=row["mentor_id"],
                      shared=tuple(row["shared"]), consented_at=row["consented_at"],
                      started_at=row["started_at"], ended_at=row["ended_at"], ended_by=row["ended_by"],
                      jobcoach_name=row["jobcoach_name"], mentor_name=row["mentor_name"])


def _mentor(row: Mapping[str, Any]) -> MentorAccount:
    return MentorAccount(account_id=row["account_id"], full_name=row["full_name"] or "",
                         region=row["region"] or "", about=row["about"] or "",
                         active="mentor" in (row["roles"] or []))


class MentorRepository(_Repository):
    """The mentor list (accounts with the mentor role and their profiles), mentorships and comments."""

    def membership_kind_of(self, account_id: UUID) -> str | None:
        row = self.conn.execute("SELECT membership_kind FROM accounts WHERE account_id = %s",
                                (account_id,)).fetchone()
        return row["membership_kind"] if row else None

    def directory(self) -> list[MentorAccount]:
        rows = self.conn.execute(
            """SELECT a.account_id, a.full_name, a.roles, p.region, p.about
               FROM accounts a LEFT JOIN mentor_profiles p ON p.account_id = a.account_id
               WHERE 'mentor' = ANY (a.roles) ORDER BY a.full_name, a.account_id""").fetchall()
        return [_mentor(r) for r in rows]

    def mentor(self, account_id: UUID) -> MentorAccount | None:
        """The account with its profile, whatever its roles now (``active`` tells)."""
        row = self.conn.execute(
            """SELECT a.account_id, a.full_name, a.roles, p.region, p.about
               FROM accounts a LEFT JOIN mentor_profiles p ON p.account_id = a.account_id
               WHERE a.account_id = %s""", (account_id,)).fetchone()
        return _mentor(row) if row else None

    def save_profile(self, account_id: UUID, *, region: str, about: str, by: UUID) -> None:
        self.conn.execute(
            """INSERT INTO mentor_profiles (account_id, region, about, updated_at, updated_by)
               VALUES (%s, %s, %s, now(), %s)
               ON CONFLICT (account_id) DO UPDATE SET region = EXCLUDED.region, about = EXCLUDED.about,
                   updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by""",
            (account_id, region, about, by))

    def add(self, mentorship: Mentorship) -> bool:
        """False when the jobcoach has this mentor already."""
        row = self.conn.execute(
            """INSERT INTO mentorships (id, account_id, mentor_id, shared, consented_at, started_at)
               VALUES (%s, %s, %s, %s, %s, %s)
               ON CONFLICT (account_id, mentor_id) WHERE ended_at IS NULL DO NOTHING RETURNING id""",
            (mentorship.id, mentorship.account_id, mentorship.mentor_id, list(mentorship.shared),
             mentorship.consented_at, mentorship.started_at)).fetchone()
        return row is not None

    def get(self, mentorship_id: UUID, *, for_update: bool = False) -> Mentorship | None:
        return _mentorship(self.conn.execute(
            f"{_MENTORSHIP_SELECT} WHERE m.id = %s{' FOR UPDATE OF m' if for_update else ''}",
            (mentorship_id,)).fetchone())

    def save_end(self, mentorship: Mentorship) -> None:
        self.conn.execute("UPDATE mentorships SET ended_at = %s, ended_by = %s WHERE id = %s",
                          (mentorship.ended_at, mentorship.ended_by, mentorship.id))

    def of_jobcoach(self, account_id: UUID) -> list[Mentorship]:
        rows = self.conn.execute(f"{_MENTORSHIP_SELECT} WHERE m.account_id = %s "
                                 "ORDER BY m.ended_at IS NOT NULL, m.started_at DESC",
                                 (account_id,)).fetchall()
        return [_mentorship(r) for r in rows]

    def of_mentor(self, mentor_id: UUID) -> list[Mentorship]:
        """The mentor's running mentorships: an ended one is gone for the mentor."""
        rows = self.conn.execute(f"{_MENTORSHIP_SELECT} WHERE m.mentor_id = %s AND m.ended_at IS NULL "
                                 "ORDER BY m.started_at DESC", (mentor_id,)).fetchall()
        return [_mentorship(r) for r in rows]

    def add_comment(self, comment: MentorComment) -> None:
        self.conn.execute(
            "INSERT INTO mentor_comments (id, mentorship_id, part, text, created_at) "
            "VALUES (%s, %s, %s, %s, %s)",
            (comment.id, comment.mentorship_id, comment.part, comment.text, comment.created_at))

    def comments(self, *, mentorship_id: UUID | None = None, account_id: UUID | None = None
                 ) -> list[MentorComment]:
        """The comments of one mentorship, or every comment a jobcoach received; oldest first."""
        where, value = ("m.id = %s", mentorship_id) if mentorship_id else ("m.account_id = %s", account_id)
        rows = self.conn.execute(
            f"""SELECT c.*, m.account_id, m.mentor_id, t.full_name AS mentor_name
                FROM mentor_comments c JOIN mentorships m ON m.id = c.mentorship_id
                     LEFT JOIN accounts t ON t.account_id = m.mentor_id
                WHERE {where} ORDER BY c.created_at, c.id""", (value,)).fetchall()
        return [MentorComment(id=r["id"], mentorship_id=r["mentorship_id"], account_id=r["account_id"],
                              mentor_id=r["mentor_id"], part=r["part"], text=r["text"],
                              created_at=r["created_at"], mentor_name=r["mentor_name"]) for r in rows]


# --- the unit of work ------------------------------------------------------------------------------------


class SqlPortfolioUnitOfWork(SqlUnitOfWork):
    producer = "portfolio"

    def bind(self, conn: Conn) -> None:
        self.accounts = AccountRepository(conn)
        self.attendance = AttendanceRepository(conn)
        self.pe = PeRepository(conn)
        self.cases = CaseRepository(conn)
        self.cycles = CycleRepository(conn)
        self.parts = PartRepository(conn)
        self.meetings = MeetingRepository(conn)
        self.proofs = ProofRepository(conn)
        self.submissions = SubmissionRepository(conn)
        self.supplements = SupplementRepository(conn)
        self.access_log = access_log.AccessLog(conn)
        self.retention = RetentionRepository(conn)
        self.calendar_feeds = CalendarFeedRepository(conn)
        self.nudges = NudgeRepository(conn)
        self.mentors = MentorRepository(conn)
