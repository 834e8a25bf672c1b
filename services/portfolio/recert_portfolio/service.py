"""Portfolio's use cases. Each runs in one transaction that writes the state change and its events together.

The jobcoach's use cases act on their current cycle (the one cycle not closed), locked for the transaction so
that an edit and a submit cannot interleave. The functions at the end (``open_cycle``, ``close_cycle``,
``apply_attendance``) are used by the event handlers, inside the consumer's transaction.

"Today" decides the submission window and which dates are in the future; it comes from an injectable
function so tests can stand on any day, and from the real calendar (in the configured zone) otherwise.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, BinaryIO
from uuid import UUID

import psycopg

from recert_common import access_log, bus
from recert_common.auth import Principal, Role
from recert_common.clock import utcnow
from recert_common.db import Database
from recert_common.storage import ObjectChunks, ObjectStore, StorageError, UploadRefused
from recert_portfolio import snapshot, store
from recert_portfolio.domain import (
    A_PARTS,
    SOURCE_NOLOC,
    SOURCE_UPLOAD,
    Cycle,
    CycleAction,
    CycleDates,
    CycleKind,
    CycleState,
    Meeting,
    Part,
    Portfolio,
    Proof,
    Submission,
    Supplement,
    WindowRefusal,
    accepts_noloc_meeting,
    allows,
    edit_refusal,
    editable_parts,
    meeting_date_refusal,
    pe_period,
    ticked,
    transition,
    window_refusal,
)
from recert_portfolio.problems import (
    MeetingConflict,
    PortfolioLocked,
    PortfolioNotReady,
    StateConflict,
    SubmissionWindowClosed,
    SupplementIncomplete,
    UploadProblem,
    WithdrawNotAllowed,
    invalid_field,
    invalid_meeting_date,
    no_current_cycle,
    not_found,
    unknown_part,
)
from recert_portfolio.readiness import Readiness, assess
from recert_portfolio.settings import PortfolioSettings

PRODUCER = "portfolio"
UNCHANGED: Any = object()
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CycleView:
    """A cycle with its portfolio as the jobcoach sees it today."""

    portfolio: Portfolio
    today: date

    @property
    def cycle(self) -> Cycle:
        return self.portfolio.cycle

    @property
    def window_open_today(self) -> bool:
        return self.cycle.state == CycleState.OPEN and window_refusal(self.cycle, self.today) is None

    @property
    def editable_parts(self) -> tuple[str, ...]:
        return editable_parts(self.cycle, self.portfolio.supplement, self.today)


class PortfolioService:
    def __init__(self, db: Database, settings: PortfolioSettings, proofs: ObjectStore, *,
                 today: Callable[[], date] | None = None, now: Callable[[], datetime] = utcnow):
        self.db = db
        self.settings = settings
        self.proofs = proofs
        self.today = today or settings.calendar_today()
        self.now = now

    # --- reading -----------------------------------------------------------------------------------------

    def _portfolio(self, conn: psycopg.Connection, cycle: Cycle) -> Portfolio:
        supplement = store.latest_supplement(conn, cycle.id)
        return Portfolio(cycle=cycle, parts=store.parts(conn, cycle.id),
                         meetings=store.meetings(conn, cycle.id), supplement=supplement)

    def _current(self, conn: psycopg.Connection, account_id: UUID, *, for_update: bool = False) -> Cycle:
        cycle = store.current_cycle(conn, account_id, for_update=for_update)
        if cycle is None:
            raise no_current_cycle()
        return cycle

    def current(self, account_id: UUID) -> CycleView:
        with self.db.transaction() as conn:
            return CycleView(self._portfolio(conn, self._current(conn, account_id)), self.today())

    def cycle(self, cycle_id: UUID) -> CycleView | None:
        """Any cycle by id; the caller checks who may see it."""
        with self.db.transaction() as conn:
            found = store.cycle(conn, cycle_id)
            return None if found is None else CycleView(self._portfolio(conn, found), self.today())

    def list_cycles(self, *, account_id: UUID | None, page: int, page_size: int) -> tuple[list[Cycle], int]:
        with self.db.transaction() as conn:
            return store.list_cycles(conn, account_id=account_id, page=page, page_size=page_size)

    def meetings(self, account_id: UUID) -> tuple[Meeting, ...]:
        with self.db.transaction() as conn:
            return store.meetings(conn, self._current(conn, account_id).id)

    def meeting(self, meeting_id: UUID) -> Meeting | None:
        with self.db.transaction() as conn:
            return store.meeting(conn, meeting_id)

    def readiness(self, account_id: UUID) -> tuple[CycleView, Readiness]:
        with self.db.transaction() as conn:
            cycle = self._current(conn, account_id)
            portfolio = self._portfolio(conn, cycle)
            activities = store.pe_activities(conn, account_id)
        result = assess(cycle, portfolio.parts, portfolio.meetings, activities,
                        supplement=portfolio.supplement)
        return CycleView(portfolio, self.today()), result

    def supplement(self, account_id: UUID) -> Supplement:
        with self.db.transaction() as conn:
            supplement = store.latest_supplement(conn, self._current(conn, account_id).id)
        if supplement is None:
            raise not_found()
        return supplement

    # --- editing -----------------------------------------------------------------------------------------

    def _editable(self, conn: psycopg.Connection, cycle: Cycle, part: str) -> Supplement | None:
        """The open supplement (if any), after checking that ``part`` may be edited today."""
        supplement = None
        if cycle.state == CycleState.SUPPLEMENT_OPEN:
            supplement = store.latest_supplement(conn, cycle.id)
        refusal = edit_refusal(cycle, supplement, part, self.today())
        if refusal is not None:
            raise PortfolioLocked(refusal, part=part, due_on=supplement.due_on if supplement else None)
        return supplement

    def save_part(self, account_id: UUID, part: str, *, text: str, declared: bool | None = None,
                  declared_now: bool | None = None, meeting_id: UUID | None = UNCHANGED,
                  supplement_only: bool = False) -> Part:
        """Save a draft of ``part`` (as often as wanted). ``declared`` ticks or unticks A1's declaration
        "worked as executive jobcoach in the past four years", ``declared_now`` its declaration "works as
        executive jobcoach now" (None: unchanged; the first tick's moment is kept); ``meeting_id`` chooses
        the meeting of A3's reflection report."""
        if part not in A_PARTS:
            raise unknown_part(part)
        if declared is not None and part != "A1":
            raise invalid_field("executive_jobcoach_declared", "portfolio.field.only_for_a1")
        if declared_now is not None and part != "A1":
            raise invalid_field("currently_executive_jobcoach_declared", "portfolio.field.only_for_a1")
        if meeting_id is not UNCHANGED and part != "A3":
            raise invalid_field("meeting_id", "portfolio.field.only_for_a3")
        now = self.now()
        with self.db.transaction() as conn:
            cycle = self._current(conn, account_id, for_update=True)
            if supplement_only and cycle.state != CycleState.SUPPLEMENT_OPEN:
                raise StateConflict("portfolio.detail.no_supplement", state=str(cycle.state))
            supplement = self._editable(conn, cycle, part)
            current = store.parts(conn, cycle.id).get(part) or Part(part)
            declared_at = ticked(current.declared_at, declared, now)
            works_now_declared_at = ticked(current.works_now_declared_at, declared_now, now)
            chosen = current.meeting_id
            if meeting_id is not UNCHANGED:
                if meeting_id is not None:
                    meeting = store.meeting(conn, meeting_id)
                    if meeting is None or meeting.cycle_id != cycle.id:
                        raise invalid_field("meeting_id", "portfolio.field.unknown_meeting")
                chosen = meeting_id
            saved = Part(part, text=text, declared_at=declared_at,
                         works_now_declared_at=works_now_declared_at, meeting_id=chosen, updated_at=now)
            store.save_part(conn, cycle.id, saved)
            if supplement is not None:
                store.mark_part_revised(conn, supplement.id, part)
        return saved

    def add_meeting(self, account_id: UUID, *, met_on: date, kind: str, group_name: str | None = None,
                    supervisor_name: str | None = None, duration_minutes: int | None = None) -> Meeting:
        today = self.today()
        with self.db.transaction() as conn:
            cycle = self._current(conn, account_id, for_update=True)
            self._editable(conn, cycle, "A3")
            supplement = store.latest_supplement(conn, cycle.id)
            refusal = meeting_date_refusal(cycle, met_on, today, supplement)
            if refusal is not None:
                raise invalid_meeting_date(refusal, starts_on=cycle.starts_on, today=today,
                                           ends_on=pe_period(cycle, supplement).last)
            meeting = Meeting(id=uuid.uuid4(), cycle_id=cycle.id, account_id=account_id, met_on=met_on,
                              kind=kind, group_name=group_name, supervisor_name=supervisor_name,
                              duration_minutes=duration_minutes, source=SOURCE_UPLOAD, external_id=None,
                              proof=None, created_at=self.now())
            store.insert_meeting(conn, meeting)
        return meeting

    def _own_changeable_meeting(self, conn: psycopg.Connection, account_id: UUID, meeting_id: UUID
                                ) -> Meeting:
        meeting = store.meeting(conn, meeting_id)
        if meeting is None or meeting.account_id != account_id:
            raise not_found()
        cycle = store.cycle(conn, meeting.cycle_id, for_update=True)
        self._editable(conn, cycle, "A3")
        if meeting.source == SOURCE_NOLOC:
            raise MeetingConflict("portfolio.detail.meeting_from_noloc")
        return meeting

    def delete_meeting(self, account_id: UUID, meeting_id: UUID) -> None:
        with self.db.transaction() as conn:
            meeting = self._own_changeable_meeting(conn, account_id, meeting_id)
            if store.meeting_is_reported_on(conn, meeting.id):
                raise MeetingConflict("portfolio.detail.meeting_in_use")
            # The proof object stays: a withdrawn submission's snapshot may still name it.
            store.delete_meeting(conn, meeting.id)

    # --- proof files -------------------------------------------------------------------------------------

    def upload_proof(self, account_id: UUID, meeting_id: UUID, stream: BinaryIO, *,
                     filename: str | None) -> Meeting:
        """Store the file streamed in as the meeting's proof. Checked before the upload (so a refused request
        sends nothing to storage) and again after it, in the transaction that links the file."""
        with self.db.transaction() as conn:
            self._own_changeable_meeting(conn, account_id, meeting_id)
        self.proofs.ensure_bucket()
        key = f"{account_id}/{meeting_id}/{uuid.uuid4()}"
        try:
            stored = self.proofs.put_stream(key, stream, max_bytes=self.settings.proof_max_bytes,
                                            filename=filename)
        except UploadRefused as refusal:
            raise UploadProblem(refusal) from None
        try:
            with self.db.transaction() as conn:
                self._own_changeable_meeting(conn, account_id, meeting_id)
                proof = Proof(id=uuid.uuid4(), account_id=account_id, object_key=key, sha256=stored.sha256,
                              size=stored.size, content_type=stored.content_type, filename=stored.filename,
                              uploaded_at=self.now())
                store.insert_proof(conn, proof)
                store.set_meeting_proof(conn, meeting_id, proof.id)
                return store.meeting(conn, meeting_id)
        except BaseException:
            # Submitted meanwhile, or the database failed: keep no orphan object.
            try:
                self.proofs.delete(key)
            except Exception:
                _log.warning("could not remove the refused proof object", extra={"key": key})
            raise

    def open_proof(self, proof: Proof) -> ObjectChunks:
        return self.proofs.stream(proof.object_key)

    def proof(self, proof_id: UUID) -> Proof | None:
        with self.db.transaction() as conn:
            return store.proof(conn, proof_id)

    # --- submitting --------------------------------------------------------------------------------------

    def submit(self, account_id: UUID) -> Submission:
        today, now = self.today(), self.now()
        with self.db.transaction() as conn:
            cycle = self._current(conn, account_id, for_update=True)
            if not allows(cycle.state, CycleAction.SUBMIT):
                raise StateConflict("portfolio.detail.already_submitted", state=str(cycle.state))
            refusal = window_refusal(cycle, today)
            if refusal is not None:
                raise SubmissionWindowClosed(refusal, opens_on=cycle.window_opens_on,
                                             closes_on=cycle.submit_by)
            portfolio = self._portfolio(conn, cycle)
            readiness = self._assess(conn, portfolio)
            if not readiness.ready:
                raise PortfolioNotReady(readiness)
            submission = self._seal(conn, "submission", portfolio, readiness, now)
            store.set_cycle_state(conn, cycle.id, transition(cycle.state, CycleAction.SUBMIT), now=now,
                                  submission_id=submission.id)
            bus.record(conn, "portfolio.submitted", {
                "portfolio_id": cycle.portfolio_id, "cycle_id": cycle.id, "submission_id": submission.id,
                "account_id": account_id, "certificate_id": cycle.certificate_id,
                "certificate_expires_on": cycle.expires_on, "submitted_at": now,
                "snapshot_hash": submission.snapshot_hash,
                "pe_activity_ids": [a.activity_id for a in readiness.pe_activities],
                "pe_points_counted": readiness.pe.counted_total,
                "reflection_meetings": readiness.proven_meetings,
                "is_new_portfolio_after_negative": cycle.is_after_negative,
            }, producer=PRODUCER, subject=account_id)
        return submission

    @staticmethod
    def _assess(conn: psycopg.Connection, portfolio: Portfolio) -> Readiness:
        return assess(portfolio.cycle, portfolio.parts, portfolio.meetings,
                      store.pe_activities(conn, portfolio.cycle.account_id), supplement=portfolio.supplement)

    def _seal(self, conn: psycopg.Connection, kind: str, portfolio: Portfolio, readiness: Readiness,
              now: datetime, supplement: Supplement | None = None) -> Submission:
        cycle = portfolio.cycle
        submission_id = uuid.uuid4()
        document = snapshot.build(kind=kind, submission_id=submission_id, submitted_at=now, cycle=cycle,
                                  parts=portfolio.parts, meetings=portfolio.meetings, readiness=readiness,
                                  supplement=supplement)
        content, digest = snapshot.seal(document)
        submission = Submission(
            id=submission_id, kind=kind, cycle_id=cycle.id, portfolio_id=cycle.portfolio_id,
            account_id=cycle.account_id,
            about_submission_id=supplement.submission_id if supplement else submission_id,
            supplement_id=supplement.id if supplement else None, submitted_at=now, content=content,
            snapshot_hash=digest)
        store.insert_submission(conn, submission)
        return submission

    def withdraw(self, account_id: UUID, reason: str | None = None) -> CycleView:
        now = self.now()
        with self.db.transaction() as conn:
            cycle = self._current(conn, account_id, for_update=True)
            if not allows(cycle.state, CycleAction.WITHDRAW):
                raise StateConflict("portfolio.detail.not_submitted", state=str(cycle.state))
            if store.assessor_assigned(conn, cycle.submission_id):
                raise WithdrawNotAllowed()
            store.insert_withdrawal(conn, cycle.submission_id, now, reason)
            store.set_cycle_state(conn, cycle.id, transition(cycle.state, CycleAction.WITHDRAW), now=now,
                                  submission_id=None)
            bus.record(conn, "portfolio.withdrawn", {
                "portfolio_id": cycle.portfolio_id, "cycle_id": cycle.id,
                "submission_id": cycle.submission_id, "account_id": account_id, "reason": reason,
            }, producer=PRODUCER, subject=account_id)
            cycle = store.cycle(conn, cycle.id)
            return CycleView(self._portfolio(conn, cycle), self.today())

    def submit_supplement(self, account_id: UUID) -> Submission:
        today, now = self.today(), self.now()
        with self.db.transaction() as conn:
            cycle = self._current(conn, account_id, for_update=True)
            supplement = store.latest_supplement(conn, cycle.id)
            if not allows(cycle.state, CycleAction.SUBMIT_SUPPLEMENT) or supplement is None:
                raise StateConflict("portfolio.detail.no_supplement", state=str(cycle.state))
            if today > supplement.due_on:
                raise SubmissionWindowClosed(WindowRefusal.CLOSED, opens_on=supplement.opened_at.date(),
                                             closes_on=supplement.due_on)
            if supplement.unrevised_parts:
                raise SupplementIncomplete(supplement.unrevised_parts)
            portfolio = self._portfolio(conn, cycle)
            readiness = self._assess(conn, portfolio)
            submission = self._seal(conn, "supplement", portfolio, readiness, now, supplement)
            store.mark_supplement_submitted(conn, supplement.id, now, submission.id)
            store.set_cycle_state(conn, cycle.id, transition(cycle.state, CycleAction.SUBMIT_SUPPLEMENT),
                                  now=now)
            bus.record(conn, "portfolio.supplement.submitted", {
                "supplement_id": supplement.id, "case_id": supplement.case_id,
                "portfolio_id": cycle.portfolio_id, "submission_id": supplement.submission_id,
                "account_id": account_id, "parts": list(supplement.parts), "submitted_at": now,
                "snapshot_hash": submission.snapshot_hash,
                # Part B supplemented: DNV's PE check is done again on these (ADR 0011).
                **({"pe_activity_ids": [a.activity_id for a in readiness.pe_activities],
                    "pe_points_counted": readiness.pe.counted_total} if "B" in supplement.parts else {}),
            }, producer=PRODUCER, subject=account_id)
        return submission

    # --- snapshots ---------------------------------------------------------------------------------------

    def submission(self, submission_id: UUID) -> Submission | None:
        with self.db.transaction() as conn:
            return store.submission(conn, submission_id)

    # --- retention (ADR 0020) -----------------------------------------------------------------------------

    def purge_expired_snapshots(self, today: date | None = None) -> tuple[int, int, int]:
        """Delete the submitted snapshots and proof files (rows, then objects) of every cycle whose final
        decision is more than the retention period ago; returns (decisions, snapshots, proof files). The
        cycle itself (its dates and state) stays."""
        cutoff = (today or self.today()) - timedelta(days=self.settings.retention_days)
        snapshots, keys = 0, []
        with self.db.transaction() as conn:
            conn.execute("SELECT set_config('recert.retention', 'on', true)")
            due = store.due_final_decisions(conn, cutoff)
            for decision in due:
                count, proof_keys = store.purge_cycle_snapshots(conn, decision["cycle_id"])
                snapshots += count
                keys += proof_keys
                store.mark_decision_purged(conn, decision["decision_id"], self.now())
        for key in keys:
            try:
                self.proofs.delete(key)
            except StorageError:  # an orphan object is logged; the rows are gone already
                _log.exception("could not delete a proof object", extra={"object_key": key})
        if due:
            _log.info("snapshots past their retention deleted", extra={
                "decisions": len(due), "snapshots": snapshots, "proofs": len(keys)})
        return len(due), snapshots, len(keys)

    def log_read(self, principal: Principal, owner_id: UUID, kind: str, object_id: UUID,
                 label: str | None = None) -> None:
        """Someone else's read of a jobcoach's cycle, proof or snapshot (ADR 0020). Called before anything is
        served: when the row cannot be written, the read fails."""
        if principal.account_id == owner_id:
            return
        with self.db.transaction() as conn:
            access_log.record_read(conn, owner_id=owner_id, reader_id=principal.account_id,
                                   reader_roles=principal.roles, kind=kind, object_id=object_id, label=label)

    def access_log(self, account_id: UUID, *, page: int, page_size: int) -> tuple[list[dict], int]:
        """Who else read the jobcoach's cycles, proofs and snapshots, latest first."""
        with self.db.transaction() as conn:
            return access_log.list_reads(conn, account_id, page=page, page_size=page_size)

    def may_read(self, principal: Principal, submission: Submission) -> bool:
        """The owner, DNV officers, and the assessor of a case about this submission."""
        if principal.account_id == submission.account_id or principal.has_any_role(Role.DNV_OFFICER):
            return True
        if not principal.has_any_role(Role.ASSESSOR):
            return False
        with self.db.transaction() as conn:
            return store.assessor_may_read(conn, submission.about_submission_id, principal.account_id)

    def list_submissions(self, principal: Principal, *, account_id: UUID | None, cycle_id: UUID | None,
                         page: int, page_size: int) -> tuple[list[Submission], int]:
        """DNV officers see every submission, assessors those of their cases, a jobcoach their own."""
        scope: dict[str, Any] = {"account_id": account_id, "cycle_id": cycle_id}
        if not principal.has_any_role(Role.DNV_OFFICER):
            if principal.has_any_role(Role.ASSESSOR):
                scope["assessor_id"] = principal.account_id
            else:
                scope["account_id"] = principal.account_id
        with self.db.transaction() as conn:
            return store.list_submissions(conn, **scope, page=page, page_size=page_size)


def build_service(settings: PortfolioSettings, db: Database | None = None, *,
                  today: Callable[[], date] | None = None, now: Callable[[], datetime] = utcnow
                  ) -> PortfolioService:
    db = db or Database.from_settings(settings, "portfolio-web")
    proofs = ObjectStore.from_settings(settings, settings.proof_bucket)
    return PortfolioService(db, settings, proofs, today=today, now=now)


# --- used by the event handlers, inside the consumer's transaction --------------------------------------


def open_cycle(conn: psycopg.Connection, *, account_id: UUID, certificate_id: UUID, kind: CycleKind,
               dates: CycleDates, now: datetime, previous: Cycle | None = None) -> Cycle | None:
    """Open a cycle (the caller closed the account's current one) and announce it. None when this
    certificate period had its cycle of this kind already."""
    cycle = Cycle(id=uuid.uuid4(), portfolio_id=uuid.uuid4(), account_id=account_id,
                  certificate_id=certificate_id, kind=kind, state=CycleState.OPEN,
                  starts_on=dates.starts_on, expires_on=dates.expires_on,
                  window_opens_on=dates.window_opens_on, submit_by=dates.submit_by,
                  submission_id=None, previous_cycle_id=previous.id if previous else None, opened_at=now,
                  closed_at=None)
    if not store.insert_cycle(conn, cycle):
        return None
    if previous is not None and kind == CycleKind.AFTER_NEGATIVE:
        _copy_portfolio(conn, previous, cycle, now)
    bus.record(conn, "portfolio.cycle.opened", {
        "cycle_id": cycle.id, "account_id": account_id, "certificate_id": certificate_id, "kind": str(kind),
        "expires_on": cycle.expires_on, "window_opens_on": cycle.window_opens_on,
        "submit_by": cycle.submit_by, "pe_period_starts_on": cycle.starts_on,
    }, producer=PRODUCER, subject=account_id)
    apply_attendance(conn, account_id, now)
    return cycle


def _copy_portfolio(conn: psycopg.Connection, previous: Cycle, cycle: Cycle, now: datetime) -> None:
    """A whole new portfolio after a negative decision starts from the old one's texts and meetings."""
    new_ids: dict[UUID, UUID] = {}
    for meeting in store.meetings(conn, previous.id):
        new_ids[meeting.id] = uuid.uuid4()
        copy = replace(meeting, id=new_ids[meeting.id], cycle_id=cycle.id, created_at=now)
        store.insert_meeting(conn, copy)
    for part in store.parts(conn, previous.id).values():
        copy = replace(part, meeting_id=new_ids.get(part.meeting_id), updated_at=now)
        store.save_part(conn, cycle.id, copy)


def close_cycle(conn: psycopg.Connection, cycle: Cycle, now: datetime) -> None:
    store.set_cycle_state(conn, cycle.id, transition(cycle.state, CycleAction.CLOSE), now=now)


def apply_attendance(conn: psycopg.Connection, account_id: UUID, now: datetime) -> int:
    """Turn the account's Noloc facts that fit its current cycle into meetings. Returns how many."""
    cycle = store.current_cycle(conn, account_id)
    if cycle is None:
        return 0
    applied = 0
    supplement = store.latest_supplement(conn, cycle.id)
    for fact in store.unapplied_attendance(conn, account_id):
        if not accepts_noloc_meeting(cycle, fact["met_on"], supplement):
            continue
        meeting = Meeting(id=uuid.uuid4(), cycle_id=cycle.id, account_id=account_id, met_on=fact["met_on"],
                          kind=fact["kind"], group_name=fact["group_name"],
                          supervisor_name=fact["supervisor_name"], duration_minutes=fact["duration_minutes"],
                          source=SOURCE_NOLOC, external_id=fact["external_id"], proof=None, created_at=now)
        if store.insert_meeting(conn, meeting):
            store.mark_attendance_applied(conn, fact["external_id"], meeting.id)
            applied += 1
    return applied


__all__ = ["PRODUCER", "CycleView", "PortfolioService", "apply_attendance", "build_service",
           "close_cycle", "open_cycle"]
