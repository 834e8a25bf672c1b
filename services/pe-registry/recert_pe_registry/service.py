"""The PE registry's use cases, each in one unit of work that writes the state and its events together.

Evidence is the exception that needs two stores: the bytes stream into the object store first (nothing is
held in memory and no transaction stays open while a person uploads), then the row and its event are
written in one unit of work; when that fails, the object is deleted again, so a refused or failed upload
leaves neither an object nor a row.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, BinaryIO
from uuid import UUID

from recert_common.access_log import Read
from recert_common.clock import local_day, utcnow
from recert_common.db import Database
from recert_common.roles import Role
from recert_common.rules import normalise_registration_number
from recert_common.storage import (
    ObjectChunks,
    ObjectNotFound,
    ObjectStore,
    StorageError,
    UploadRefused,
    UploadTooLarge,
)
from recert_common.uow import UnitOfWork
from recert_pe_registry import extraction, reading
from recert_pe_registry.domain import (
    AccountNotFound,
    Activity,
    ActivityFacts,
    ActivityNotFound,
    Dedup,
    Evidence,
    EvidenceContentMissing,
    EvidenceNotFound,
    EvidenceRefused,
    Reading,
    ReadingNotFound,
    Summary,
    Viewer,
    check_hold,
    current_period,
    dedup,
    evidence_filename,
    evidence_object_key,
    manual_activity,
    may_read,
    may_read_summary,
    needs_assignment_check,
    noloc_activity,
    proposal_data,
    reading_evidence_kind,
    reading_retry_delay,
    requested_period,
    revised_values,
    summarise,
    summary_framework,
)
from recert_pe_registry.settings import PeRegistrySettings
from recert_pe_registry.store import SqlPeRegistryUnitOfWork

_log = logging.getLogger(__name__)


#: Final decisions whose evidence one transaction of the retention purge deletes.
PURGE_BATCH = 100


@dataclass(frozen=True)
class PurgeResult:
    decisions: int
    evidence: int
    objects: int


@dataclass(frozen=True)
class AttachResult:
    evidence: Evidence
    created: bool  # False: the file was evidence of this activity already, nothing was added
    duplicate_of: UUID | None  # the evidence already holding the same bytes, if any


class PeRegistryService:
    """``uow`` opens a unit of work per use case; ``evidence_store`` is the bucket of evidence files; ``db``
    is the database the app's readiness probe and token revocations use (None in the fast tests)."""

    def __init__(self, uow: Callable[[], UnitOfWork], settings: PeRegistrySettings,
                 evidence_store: ObjectStore, *, db: Database | None = None,
                 clock: Callable[[], datetime] = utcnow):
        self.uow = uow
        self.settings = settings
        self.evidence_store = evidence_store
        self.db = db
        self.clock = clock

    def today(self) -> date:
        return local_day(self.clock(), self.settings.zone)

    # --- activities ------------------------------------------------------------------------------------

    def record_activity(self, account_id: UUID, *, title: str, provider: str, completed_on: date,
                        category: int, amount: Decimal, unit: str,
                        description: str | None = None) -> Activity:
        today = self.today()
        with self.uow() as uow:
            period = current_period(uow.periods.get(account_id), today)
            draft = manual_activity(uuid.uuid4(), account_id, title=title, provider=provider,
                                    completed_on=completed_on, category=category, amount=amount, unit=unit,
                                    description=description, period_start=period.first, today=today)
            activity = uow.activities.add(draft)
            publish_activity(uow, "pe.activity.recorded", activity)
        return activity

    def list_activities(self, viewer: Viewer, account_id: UUID, *, first: date | None = None,
                        last: date | None = None, category: int | None = None, page: int = 1,
                        page_size: int = 20) -> tuple[list[Activity], int]:
        with self.uow() as uow:
            if not _may_read(uow, viewer, account_id):
                raise AccountNotFound()
            # An assessor sees the activities of the snapshot they assess, not the rest.
            assessor = viewer.account_id if needs_assignment_check(viewer, account_id) else None
            activities, total = uow.activities.page(
                account_id, first=first, last=last, category=category, limit=page_size,
                offset=(page - 1) * page_size, assessor_id=assessor)
            _log_read(uow, viewer, account_id, "activities", account_id, None)
            return activities, total

    def access_log(self, account_id: UUID, *, page: int, page_size: int) -> tuple[list[Read], int]:
        """Who else read the jobcoach's activities and evidence, latest first."""
        with self.uow() as uow:
            return uow.access_log.page(account_id, page=page, page_size=page_size)

    def activity(self, viewer: Viewer, activity_id: UUID) -> Activity:
        with self.uow() as uow:
            activity = uow.activities.get(activity_id, with_evidence=True)
            if activity is None or not _may_read(uow, viewer, activity.account_id, activity_id=activity_id):
                raise ActivityNotFound()
            _log_read(uow, viewer, activity.account_id, "activity", activity.id, activity.title)
            return activity

    def update_activity(self, account_id: UUID, activity_id: UUID, changes: Mapping[str, Any]) -> Activity:
        today = self.today()
        with self.uow() as uow:
            current = _own_activity(uow, account_id, activity_id, writable=True)
            period_start = (current_period(uow.periods.get(account_id), today).first
                            if "completed_on" in changes else None)
            values = revised_values(current, changes, period_start=period_start, today=today)
            activity = uow.activities.update(activity_id, values)
            publish_activity(uow, "pe.activity.updated", activity)
            return activity

    def remove_activity(self, account_id: UUID, activity_id: UUID) -> None:
        with self.uow() as uow:
            uow.activities.lock_account(account_id)
            activity = _own_activity(uow, account_id, activity_id, writable=True)
            keys = uow.evidence.object_keys_of_activity(activity_id)
            uow.activities.delete(activity_id)
            orphans = uow.evidence.unreferenced(keys)
            uow.publish("pe.activity.removed", {
                "activity_id": activity.id, "account_id": activity.account_id,
                "category": str(activity.category), "points": activity.points,
            }, subject=activity.account_id)
        self._discard(orphans)

    # --- holding a submission's activities (ADR 0044) ---------------------------------------------------

    def hold_for_submission(self, account_id: UUID, *, submission_id: UUID, first: date, last: date,
                            seen: Sequence[ActivityFacts], activity_ids: Sequence[UUID]) -> datetime:
        """Portfolio is about to seal ``submission_id``: hold ``activity_ids`` so that they cannot change
        until its event makes the hold a lock, provided that what portfolio ``seen`` of the account's
        activities from ``first`` to ``last`` is what is stored. Returns until when the hold stands."""
        with self.uow() as uow:
            uow.activities.lock_account(account_id)
            check_hold(seen, uow.activities.facts_in_period(account_id, first, last), activity_ids)
            return uow.activities.hold_for_submission(
                submission_id=submission_id, account_id=account_id, activity_ids=activity_ids,
                seconds=self.settings.submission_hold_seconds)

    def release_hold(self, account_id: UUID, submission_id: UUID) -> None:
        """The submission the hold was for did not commit: the activities are free again."""
        with self.uow() as uow:
            uow.activities.release_hold(submission_id=submission_id, account_id=account_id)

    # --- evidence --------------------------------------------------------------------------------------

    def attach_evidence(self, account_id: UUID, activity_id: UUID, stream: BinaryIO, *, filename: str | None,
                        kind: str = "other", declared_length: int | None = None,
                        content_type: str | None = None) -> AttachResult:
        """Stream ``stream`` into the bucket as evidence of the caller's activity.

        Everything that can be refused without reading the body is refused first: a form instead of a file,
        a missing or unsafe filename, a declared length over the limit, the activity (not found, locked).
        """
        limit = self.settings.max_evidence_bytes
        display = evidence_filename(content_type, filename)
        if declared_length is not None and declared_length > limit:
            raise EvidenceRefused(refusal=UploadTooLarge(limit))
        with self.uow() as uow:
            _own_activity(uow, account_id, activity_id, writable=True)

        key = evidence_object_key(account_id, uuid.uuid4())
        try:
            # `migrate` made the bucket; asked once more per process in case the store was emptied since.
            self.evidence_store.ensure_bucket()
            stored = self.evidence_store.put_stream(key, stream, max_bytes=limit, filename=display)
        except UploadRefused as refusal:
            raise EvidenceRefused(refusal=refusal) from None
        try:
            with self.uow() as uow:
                uow.activities.lock_account(account_id)
                _own_activity(uow, account_id, activity_id, writable=True)
                verdict = dedup(activity_id, uow.evidence.with_sha256(account_id, stored.sha256))
                if verdict.outcome is Dedup.SAME_ACTIVITY:
                    result = AttachResult(verdict.existing, created=False, duplicate_of=verdict.existing.id)
                else:
                    object_key = verdict.existing.object_key if verdict.outcome is Dedup.LINK else key
                    evidence = uow.evidence.add(
                        id=uuid.uuid4(), activity_id=activity_id, account_id=account_id,
                        object_key=object_key, sha256=stored.sha256, size=stored.size,
                        content_type=stored.content_type, filename=display, kind=kind)
                    uow.publish("pe.evidence.attached", {
                        "evidence_id": evidence.id, "activity_id": activity_id, "account_id": account_id,
                        "sha256": evidence.sha256, "size": evidence.size,
                        "content_type": evidence.content_type, "filename": evidence.filename,
                    }, subject=account_id)
                    result = AttachResult(evidence, created=True,
                                          duplicate_of=verdict.existing.id if verdict.existing else None)
        except BaseException:
            self._discard([key])
            raise
        if result.evidence.object_key != key:
            # The same bytes were stored before: keep that object, drop this upload's copy.
            self._discard([key])
        return result

    def evidence(self, viewer: Viewer, evidence_id: UUID) -> Evidence:
        with self.uow() as uow:
            evidence = _readable_evidence(uow, viewer, evidence_id)
            _log_read(uow, viewer, evidence.account_id, "evidence", evidence.id, evidence.filename)
            return evidence

    def open_evidence(self, viewer: Viewer, evidence_id: UUID) -> tuple[Evidence, ObjectChunks]:
        """The evidence and its bytes as a stream; close the stream (the response does) when done."""
        with self.uow() as uow:
            evidence = _readable_evidence(uow, viewer, evidence_id)
            _log_read(uow, viewer, evidence.account_id, "evidence_content", evidence.id, evidence.filename)
        try:
            return evidence, self.evidence_store.stream(evidence.object_key)
        except ObjectNotFound:
            _log.error("evidence object missing", extra={"evidence_id": str(evidence_id),
                                                         "object_key": evidence.object_key})
            raise EvidenceContentMissing() from None

    def remove_evidence(self, account_id: UUID, evidence_id: UUID) -> None:
        with self.uow() as uow:
            uow.activities.lock_account(account_id)
            evidence = uow.evidence.get(evidence_id)
            if evidence is None or evidence.account_id != account_id:
                raise EvidenceNotFound()
            _own_activity(uow, account_id, evidence.activity_id, writable=True)
            uow.evidence.delete(evidence_id)
            publish_evidence_removed(uow, evidence)
            orphans = uow.evidence.unreferenced([evidence.object_key])
        self._discard(orphans)

    # --- evidence read for the jobcoach (ADR 0027) ------------------------------------------------------

    def upload_for_reading(self, account_id: UUID, stream: BinaryIO, *, filename: str | None,
                           declared_length: int | None = None, content_type: str | None = None) -> Reading:
        """Stream a document into the bucket, checked like evidence (PDF, PNG, JPEG, e-mail or plain text),
        and leave it for the worker to read. Nothing is read here, in the request."""
        limit = self.settings.max_evidence_bytes
        display = evidence_filename(content_type, filename)
        if declared_length is not None and declared_length > limit:
            raise EvidenceRefused(refusal=UploadTooLarge(limit))
        reading_id = uuid.uuid4()
        key = evidence_object_key(account_id, reading_id)
        try:
            self.evidence_store.ensure_bucket()
            stored = self.evidence_store.put_stream(key, stream, max_bytes=limit, filename=display,
                                                    allowed_types=extraction.READABLE_TYPES)
        except UploadRefused as refusal:
            raise EvidenceRefused(refusal=refusal) from None
        try:
            with self.uow() as uow:
                return uow.readings.add(id=reading_id, account_id=account_id, object_key=key,
                                        sha256=stored.sha256, size=stored.size,
                                        content_type=stored.content_type, filename=display)
        except BaseException:
            self._discard([key])
            raise

    def list_readings(self, account_id: UUID, *, page: int = 1, page_size: int = 20
                      ) -> tuple[list[Reading], int]:
        with self.uow() as uow:
            return uow.readings.page(account_id, limit=page_size, offset=(page - 1) * page_size)

    def reading(self, account_id: UUID, reading_id: UUID) -> Reading:
        with self.uow() as uow:
            return _own_reading(uow, account_id, reading_id)

    def confirm_reading(self, account_id: UUID, reading_id: UUID, *, title: str, provider: str,
                        completed_on: date, category: int, amount: Decimal, unit: str,
                        description: str | None = None) -> Activity:
        """Record the activity as the jobcoach confirmed or corrected it, with the read file as its
        evidence, in one unit of work (``pe.activity.recorded`` and ``pe.evidence.attached``); the reading
        is done with. Checked like any new activity."""
        today = self.today()
        discard: list[str] = []
        with self.uow() as uow:
            uow.activities.lock_account(account_id)
            found = _own_reading(uow, account_id, reading_id, for_update=True)
            period = current_period(uow.periods.get(account_id), today)
            draft = manual_activity(uuid.uuid4(), account_id, title=title, provider=provider,
                                    completed_on=completed_on, category=category, amount=amount, unit=unit,
                                    description=description, period_start=period.first, today=today)
            activity = uow.activities.add(draft)
            publish_activity(uow, "pe.activity.recorded", activity)
            # The same bytes stored before as this jobcoach's evidence: link that object, drop this copy.
            same = uow.evidence.with_sha256(account_id, found.sha256)
            object_key = same[0].object_key if same else found.object_key
            if same:
                discard.append(found.object_key)
            evidence = uow.evidence.add(
                id=uuid.uuid4(), activity_id=activity.id, account_id=account_id, object_key=object_key,
                sha256=found.sha256, size=found.size, content_type=found.content_type,
                filename=found.filename, kind=reading_evidence_kind(found.content_type))
            uow.publish("pe.evidence.attached", {
                "evidence_id": evidence.id, "activity_id": activity.id, "account_id": account_id,
                "sha256": evidence.sha256, "size": evidence.size, "content_type": evidence.content_type,
                "filename": evidence.filename,
            }, subject=account_id)
            uow.readings.delete(reading_id)
            recorded = uow.activities.get(activity.id, with_evidence=True)
        self._discard(discard)
        return recorded

    def dismiss_reading(self, account_id: UUID, reading_id: UUID) -> None:
        """Forget the reading and its file: nothing was recorded."""
        with self.uow() as uow:
            found = _own_reading(uow, account_id, reading_id, for_update=True)
            uow.readings.delete(reading_id)
        self._discard([found.object_key])

    def read_next(self) -> Reading | None:
        """The worker's step: claim the oldest due reading, read its file (outside any transaction: OCR
        takes seconds) and store the proposal or the failure with its event in one unit of work. None
        when nothing was due. A failure that is not the document's (storage, a crash of the reader) is
        tried again later, at most ``reading_max_attempts`` times in all."""
        settings = self.settings
        with self.uow() as uow:
            claimed = uow.readings.claim(settings.reading_lease_seconds)
        if claimed is None:
            return None
        method: str | None = None
        try:
            with self.evidence_store.stream(claimed.object_key) as chunks:
                data = b"".join(chunks)
            extracted = extraction.extract_text(claimed.content_type, data)
            method = extracted.method
            proposal = reading.propose(extracted.text, self.today())
        except extraction.ReadingFailed as failed:
            if failed.reason != "ocr_missing" or claimed.attempts >= settings.reading_max_attempts:
                return self._finish_reading(claimed, failure=failed.reason, method=method)
            return self._retry_reading(claimed)
        except Exception:
            _log.exception("reading failed", extra={"reading_id": str(claimed.id)})
            if claimed.attempts >= settings.reading_max_attempts:
                return self._finish_reading(claimed, failure="gave_up", method=method)
            return self._retry_reading(claimed)
        return self._finish_reading(claimed, proposal=proposal, method=method)

    def read_pending(self) -> int:
        """Read every due reading; how many were finished or put back."""
        count = 0
        while self.read_next() is not None:
            count += 1
        return count

    def _retry_reading(self, claimed: Reading) -> Reading:
        with self.uow() as uow:
            uow.readings.retry_later(claimed.id, reading_retry_delay(claimed.attempts,
                                                                     self.settings.reading_retry_seconds))
        return claimed

    def _finish_reading(self, claimed: Reading, *, method: str | None, failure: str | None = None,
                        proposal: reading.Proposal | None = None) -> Reading:
        with self.uow() as uow:
            current = uow.readings.get(claimed.id, for_update=True)
            if current is None or current.state != claimed.state:
                return claimed  # dismissed or confirmed while it was read: nothing to announce
            if proposal is not None:
                done = uow.readings.propose(claimed.id, method=method, proposal=proposal_data(proposal))
                found = {"title": proposal.title, "provider": proposal.provider,
                         "completed_on": proposal.completed_on, "amount": proposal.amount,
                         "unit": proposal.unit, "points": proposal.points}
                uow.publish("pe.reading.proposed", {
                    "reading_id": done.id, "account_id": done.account_id, "method": method,
                    **{key: value for key, value in found.items() if value is not None},
                }, subject=done.account_id)
            else:
                done = uow.readings.fail(claimed.id, reason=failure, method=method)
                uow.publish("pe.reading.failed", {
                    "reading_id": done.id, "account_id": done.account_id, "reason": failure,
                }, subject=done.account_id)
        _log.info("document read", extra={"reading_id": str(done.id), "state": done.state, "method": method})
        return done

    # --- summary ---------------------------------------------------------------------------------------

    def summary(self, viewer: Viewer, account_id: UUID, *, first: date | None = None,
                last: date | None = None) -> Summary:
        """Points per category in a period: by default the current certificate period."""
        today = self.today()
        with self.uow() as uow:
            mentoring = Role.MENTOR in viewer.roles and uow.mentorships.is_mentoring(viewer.account_id,
                                                                                     account_id)
            if not _may_read(uow, viewer, account_id) and not may_read_summary(
                    viewer, account_id, assigned=False, mentoring=mentoring):
                raise AccountNotFound()
            certificate = uow.periods.get(account_id)
            period = requested_period(current_period(certificate, today), first, last)
            items = uow.activities.summary_items(account_id, period.first, period.last)
        return summarise(account_id, period, items, summary_framework(certificate, period))

    # --- retention (ADR 0020) ---------------------------------------------------------------------------

    def purge_expired_evidence(self, now: datetime | None = None, *, batch: int = PURGE_BATCH) -> PurgeResult:
        """Delete the evidence (rows, then the objects no row uses any more) of every portfolio whose final
        decision is longer ago than the retention period. The activities stay: what was done and its
        points are the certification's record; the files proving it are not kept for ever.

        Up to ``batch`` decisions a transaction: each takes a lock per account, and PostgreSQL's lock table
        holds a few thousand in all, which the first run after a backlog could otherwise need at once."""
        now = now or self.clock()
        cutoff = now - timedelta(days=self.settings.evidence_retention_days)
        total = PurgeResult(decisions=0, evidence=0, objects=0)
        while True:
            with self.uow() as uow:
                decisions = uow.retention.due_final_decisions(cutoff, limit=batch)
                # The lock uploads and removals take: an upload could otherwise link to a file whose row is
                # deleted here, or this purge count the file's users before such an upload's row committed,
                # and new evidence would point at a deleted file. Sorted, so that two purges cannot deadlock.
                for account_id in sorted({decision.account_id for decision in decisions}):
                    uow.activities.lock_account(account_id)
                deleted: list[str] = []
                for decision in decisions:
                    for evidence in uow.retention.delete_decided_evidence(decision.account_id,
                                                                          decision.decided_at):
                        deleted.append(evidence.object_key)
                        publish_evidence_removed(uow, evidence)
                    uow.retention.mark_purged(decision.decision_id, now)
                orphans = uow.evidence.unreferenced(deleted)
            self._discard(orphans)
            total = PurgeResult(decisions=total.decisions + len(decisions),
                                evidence=total.evidence + len(deleted), objects=total.objects + len(orphans))
            if len(decisions) < batch:
                break
        if total.decisions:
            _log.info("evidence past its retention deleted", extra={
                "decisions": total.decisions, "evidence": total.evidence, "objects": total.objects})
        return total

    def _discard(self, keys: Iterable[str]) -> None:
        discard_objects(self.evidence_store, keys)


# --- shared by the use cases and the event handlers ---------------------------------------------------------


def publish_evidence_removed(uow: UnitOfWork, evidence: Evidence) -> None:
    """The jobcoach removed the file, or its retention ran out: every read model of it forgets it."""
    uow.publish("pe.evidence.removed", {
        "evidence_id": evidence.id, "activity_id": evidence.activity_id, "account_id": evidence.account_id,
        "sha256": evidence.sha256,
    }, subject=evidence.account_id)


def discard_objects(evidence: ObjectStore, keys: Iterable[str]) -> None:
    """Remove objects no row needs any more; a failure leaves an orphan behind, which is logged."""
    for key in keys:
        try:
            evidence.delete(key)
        except StorageError:
            _log.exception("could not delete evidence object", extra={"object_key": key})


def _may_read(uow: UnitOfWork, viewer: Viewer, owner_id: UUID, *, activity_id: UUID | None = None) -> bool:
    """See ``domain.may_read``. An assessor's "assigned" means: assigned to a case of the owner that is
    being assessed now (from the assignment, or a supplement's submission, to the decision) and, for one
    activity (or its evidence), that the activity is in that case's submitted snapshot."""
    assigned = needs_assignment_check(viewer, owner_id) and uow.cases.is_assessing(
        viewer.account_id, owner_id, activity_id)
    return may_read(viewer, owner_id, assigned=assigned)


def _own_activity(uow: UnitOfWork, account_id: UUID, activity_id: UUID, *, writable: bool) -> Activity:
    """The caller's activity (not found for anyone else's), row-locked and checked writable when
    ``writable``."""
    activity = uow.activities.get(activity_id, for_update=writable)
    if activity is None or activity.account_id != account_id:
        raise ActivityNotFound()
    if writable:
        activity.ensure_writable()
    return activity


def _own_reading(uow: UnitOfWork, account_id: UUID, reading_id: UUID, *, for_update: bool = False) -> Reading:
    """The caller's reading; not found for anyone else's (also for DNV: a reading is not evidence yet)."""
    found = uow.readings.get(reading_id, for_update=for_update)
    if found is None or found.account_id != account_id:
        raise ReadingNotFound()
    return found


def _readable_evidence(uow: UnitOfWork, viewer: Viewer, evidence_id: UUID) -> Evidence:
    evidence = uow.evidence.get(evidence_id)
    if evidence is None or not _may_read(uow, viewer, evidence.account_id, activity_id=evidence.activity_id):
        raise EvidenceNotFound()
    return evidence


def _log_read(uow: UnitOfWork, viewer: Viewer, owner_id: UUID, kind: str, object_id: UUID,
              label: str | None) -> None:
    """Someone else's read of a jobcoach's evidence, in the reading transaction (ADR 0020)."""
    uow.access_log.record(owner_id=owner_id, reader_id=viewer.account_id, reader_roles=viewer.roles,
                               kind=kind, object_id=object_id, label=label)


def publish_activity(uow: UnitOfWork, type_: str, activity: Activity) -> None:
    uow.publish(type_, {
        "activity_id": activity.id, "account_id": activity.account_id, "category": str(activity.category),
        "title": activity.title, "completed_on": activity.completed_on, "unit": activity.unit,
        "amount": activity.amount, "points": activity.points, "source": activity.source,
        "external_id": activity.external_id,
    }, subject=activity.account_id)


def import_noloc_activity(uow: UnitOfWork, account_id: UUID, data: Mapping[str, Any],
                          event_id: UUID) -> Activity | None:
    """Record a Noloc Academie completion as a category-1 activity of ``account_id``, once.

    Returns None when this completion (Noloc's ``external_id``) was imported for the account before, also
    when the jobcoach has removed that activity since: a completion is one fact, however often it is sent.
    """
    draft = noloc_activity(uuid.uuid4(), account_id, data)
    if not uow.noloc.claim_import(account_id, data["external_id"], draft.id, event_id):
        return None
    activity = uow.activities.add(draft)
    publish_activity(uow, "pe.activity.recorded", activity)
    return activity


def normalised_number(raw: str | None) -> str | None:
    return normalise_registration_number(raw) if raw else None


def build_service(settings: PeRegistrySettings, db: Database | None = None) -> PeRegistryService:
    db = db or Database.from_settings(settings, "pe-registry")
    evidence_store = ObjectStore.from_settings(settings, settings.evidence_bucket)
    return PeRegistryService(lambda: SqlPeRegistryUnitOfWork(db), settings, evidence_store, db=db)
