"""The PE registry's use cases. Each change runs in one transaction that writes the state and its event.

Evidence is the exception that needs two stores: the bytes stream into the object store first (nothing is
held in memory and no transaction stays open while a person uploads), then the row and its event are
written in one transaction; when that transaction fails, the object is deleted again, so a refused or
failed upload leaves neither an object nor a row.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, BinaryIO
from uuid import UUID

import psycopg

from recert_common import access_log, bus
from recert_common.clock import utcnow
from recert_common.db import Database
from recert_common.errors import NotFound
from recert_common.events import registry
from recert_common.filetypes import UploadRefused, safe_filename
from recert_common.rules import Framework, load_framework, normalise_registration_number, pe_period_last_day
from recert_common.storage import ObjectChunks, ObjectNotFound, ObjectStore, UploadTooLarge
from recert_pe_registry import store
from recert_pe_registry.bucket import EvidenceBucket
from recert_pe_registry.domain import (
    NOLOC_CATEGORY,
    PERIOD_CERTIFICATE,
    SOURCE_MANUAL,
    SOURCE_NOLOC,
    Activity,
    Dedup,
    Evidence,
    FilenameMissing,
    InvalidInput,
    MultipartRefused,
    Period,
    Summary,
    SummaryItem,
    Viewer,
    check_activity,
    dedup,
    evidence_object_key,
    fallback_period,
    has_proof,
    local_day,
    may_read,
    needs_assignment_check,
    noloc_study_load,
    refused_changes,
    requested_period,
    summarise,
)
from recert_pe_registry.problems import (
    ActivityLocked,
    ImportedActivityReadOnly,
    InvalidActivity,
    account_not_found,
    activity_not_found,
    evidence_not_found,
    refusal_problem,
)
from recert_pe_registry.settings import PeRegistrySettings

PRODUCER = "pe-registry"
NOLOC_EVENT = "noloc.academy.activity.completed"
_STUDY_LOAD_FIELDS = ("category", "amount", "unit", "completed_on")

_log = logging.getLogger(__name__)


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


class PeRegistry:
    def __init__(self, db: Database, bucket: EvidenceBucket, settings: PeRegistrySettings, *,
                 clock: Callable[[], datetime] = utcnow):
        self.db = db
        self.bucket = bucket
        self.settings = settings
        self.clock = clock

    def today(self) -> date:
        return local_day(self.clock())

    # --- activities ------------------------------------------------------------------------------------

    def record_activity(self, account_id: UUID, *, title: str, provider: str, completed_on: date,
                        category: int, amount: Decimal, unit: str,
                        description: str | None = None) -> Activity:
        today = self.today()
        framework = load_framework(completed_on.year)
        with self.db.transaction() as conn:
            period = current_period(conn, account_id, today)
            load = _checked(category=category, amount=amount, unit=unit, completed_on=completed_on,
                            framework=framework, period_start=period.first, today=today)
            row = store.insert_activity(conn, {
                "id": uuid.uuid4(), "account_id": account_id, "title": title, "provider": provider,
                "completed_on": completed_on, "category": category, "amount": load.amount, "unit": load.unit,
                "points": load.points, "description": description, "source": SOURCE_MANUAL,
                "external_id": None, "framework_version": framework.version,
            })
            activity = Activity.from_row(row)
            _record_activity_event(conn, "pe.activity.recorded", activity)
        return activity

    def list_activities(self, viewer: Viewer, account_id: UUID, *, first: date | None = None,
                        last: date | None = None, category: int | None = None, page: int = 1,
                        page_size: int = 20) -> tuple[list[Activity], int]:
        with self.db.transaction() as conn:
            if not self._may_read(conn, viewer, account_id):
                raise account_not_found()
            # An assessor sees the activities of the snapshot they assess, not the rest.
            assessor = viewer.account_id if needs_assignment_check(viewer, account_id) else None
            rows, total = store.activities(conn, account_id, first=first, last=last, category=category,
                                           limit=page_size, offset=(page - 1) * page_size,
                                           assessor_id=assessor)
            _log_read(conn, viewer, account_id, "activities", account_id, None)
            return _with_evidence(conn, rows), total

    def access_log(self, account_id: UUID, *, page: int, page_size: int) -> tuple[list[dict], int]:
        """Who else read the jobcoach's activities and evidence, latest first."""
        with self.db.transaction() as conn:
            return access_log.list_reads(conn, account_id, page=page, page_size=page_size)

    def activity(self, viewer: Viewer, activity_id: UUID) -> Activity:
        with self.db.transaction() as conn:
            row = store.activity(conn, activity_id)
            if row is None or not self._may_read(conn, viewer, row["account_id"], activity_id=activity_id):
                raise activity_not_found()
            _log_read(conn, viewer, row["account_id"], "activity", row["id"], row["title"])
            return _with_evidence(conn, [row])[0]

    def update_activity(self, account_id: UUID, activity_id: UUID, changes: Mapping[str, Any]) -> Activity:
        today = self.today()
        with self.db.transaction() as conn:
            current = self._own_activity(conn, account_id, activity_id, writable=True)
            refused = refused_changes(current, changes)
            if refused:
                raise ImportedActivityReadOnly(refused)
            values = dict(changes)
            if any(name in changes for name in _STUDY_LOAD_FIELDS):
                merged = {name: changes.get(name, getattr(current, name)) for name in _STUDY_LOAD_FIELDS}
                framework = load_framework(merged["completed_on"].year)
                date_changed = "completed_on" in changes
                # An unchanged date is not judged again: the period may have moved on since it was recorded.
                load = _checked(**merged, framework=framework,
                                period_start=current_period(conn, account_id, today).first
                                if date_changed else date.min,
                                today=today if date_changed else date.max)
                values.update(amount=load.amount, unit=load.unit, points=load.points,
                              framework_version=framework.version)
            activity = Activity.from_row(store.update_activity(conn, activity_id, values))
            _record_activity_event(conn, "pe.activity.updated", activity)
            return _with_evidence(conn, [store.activity(conn, activity_id)])[0]

    def remove_activity(self, account_id: UUID, activity_id: UUID) -> None:
        with self.db.transaction() as conn:
            store.lock_account(conn, account_id)
            activity = self._own_activity(conn, account_id, activity_id, writable=True)
            keys = store.object_keys_of_activity(conn, activity_id)
            store.delete_activity(conn, activity_id)
            orphans = store.unreferenced(conn, keys)
            bus.record(conn, "pe.activity.removed", {
                "activity_id": activity.id, "account_id": activity.account_id,
                "category": str(activity.category), "points": activity.points,
            }, producer=PRODUCER, subject=activity.account_id)
        for key in orphans:
            self.bucket.discard(key)

    # --- evidence --------------------------------------------------------------------------------------

    def attach_evidence(self, account_id: UUID, activity_id: UUID, stream: BinaryIO, *, filename: str | None,
                        kind: str = "other", declared_length: int | None = None,
                        content_type: str | None = None) -> AttachResult:
        """Stream ``stream`` into the bucket as evidence of the caller's activity.

        Everything that can be refused without reading the body is refused first: the activity (404/409),
        a form instead of a file, a missing or unsafe filename, a declared length over the limit.
        """
        limit = self.settings.max_evidence_bytes
        try:
            if content_type and content_type.lower().startswith("multipart/"):
                raise MultipartRefused()
            if filename is None:
                raise FilenameMissing()
            display = safe_filename(filename)
            if declared_length is not None and declared_length > limit:
                raise UploadTooLarge(limit)
        except UploadRefused as exc:
            raise refusal_problem(exc) from None
        with self.db.transaction() as conn:
            self._own_activity(conn, account_id, activity_id, writable=True)

        key = evidence_object_key(account_id, uuid.uuid4())
        try:
            stored = self.bucket.put(key, stream, max_bytes=limit, filename=display)
        except UploadRefused as exc:
            raise refusal_problem(exc) from None
        try:
            with self.db.transaction() as conn:
                store.lock_account(conn, account_id)
                self._own_activity(conn, account_id, activity_id, writable=True)
                same_file = [Evidence.from_row(row)
                             for row in store.evidence_with_sha256(conn, account_id, stored.sha256)]
                verdict = dedup(activity_id, same_file)
                if verdict.outcome is Dedup.SAME_ACTIVITY:
                    result = AttachResult(verdict.existing, created=False, duplicate_of=verdict.existing.id)
                else:
                    object_key = verdict.existing.object_key if verdict.outcome is Dedup.LINK else key
                    evidence = Evidence.from_row(store.insert_evidence(conn, {
                        "id": uuid.uuid4(), "activity_id": activity_id, "account_id": account_id,
                        "object_key": object_key, "sha256": stored.sha256, "size": stored.size,
                        "content_type": stored.content_type, "filename": display, "kind": kind,
                    }))
                    bus.record(conn, "pe.evidence.attached", {
                        "evidence_id": evidence.id, "activity_id": activity_id, "account_id": account_id,
                        "sha256": evidence.sha256, "size": evidence.size,
                        "content_type": evidence.content_type, "filename": evidence.filename,
                    }, producer=PRODUCER, subject=account_id)
                    result = AttachResult(evidence, created=True,
                                          duplicate_of=verdict.existing.id if verdict.existing else None)
        except BaseException:
            self.bucket.discard(key)
            raise
        if result.evidence.object_key != key:
            # The same bytes were stored before: keep that object, drop this upload's copy.
            self.bucket.discard(key)
        return result

    def evidence(self, viewer: Viewer, evidence_id: UUID) -> Evidence:
        with self.db.transaction() as conn:
            evidence = self._readable_evidence(conn, viewer, evidence_id)
            _log_read(conn, viewer, evidence.account_id, "evidence", evidence.id, evidence.filename)
            return evidence

    def open_evidence(self, viewer: Viewer, evidence_id: UUID) -> tuple[Evidence, ObjectChunks]:
        """The evidence and its bytes as a stream; close the stream (the response does) when done."""
        with self.db.transaction() as conn:
            evidence = self._readable_evidence(conn, viewer, evidence_id)
            _log_read(conn, viewer, evidence.account_id, "evidence_content", evidence.id, evidence.filename)
        try:
            return evidence, self.bucket.stream(evidence.object_key)
        except ObjectNotFound:
            _log.error("evidence object missing", extra={"evidence_id": str(evidence_id),
                                                         "object_key": evidence.object_key})
            raise NotFound(code="pe.detail.evidence_content_missing") from None

    def remove_evidence(self, account_id: UUID, evidence_id: UUID) -> None:
        with self.db.transaction() as conn:
            store.lock_account(conn, account_id)
            row = store.evidence(conn, evidence_id)
            if row is None or row["account_id"] != account_id:
                raise evidence_not_found()
            self._own_activity(conn, account_id, row["activity_id"], writable=True)
            store.delete_evidence(conn, evidence_id)
            bus.record(conn, "pe.evidence.removed", {
                "evidence_id": evidence_id, "activity_id": row["activity_id"], "account_id": account_id,
                "sha256": row["sha256"],
            }, producer=PRODUCER, subject=account_id)
            orphans = store.unreferenced(conn, [row["object_key"]])
        for key in orphans:
            self.bucket.discard(key)

    # --- summary ---------------------------------------------------------------------------------------

    def summary(self, viewer: Viewer, account_id: UUID, *, first: date | None = None,
                last: date | None = None) -> Summary:
        """Points per category in a period: by default the current certificate period."""
        today = self.today()
        with self.db.transaction() as conn:
            if not self._may_read(conn, viewer, account_id):
                raise account_not_found()
            try:
                period = requested_period(current_period(conn, account_id, today), first, last)
            except InvalidInput as exc:
                raise InvalidActivity(exc.errors) from None
            items = [SummaryItem(row["id"], row["title"], row["completed_on"], row["category"], row["points"],
                                 has_proof(row["source"], row["evidence_count"]))
                     for row in store.summary_items(conn, account_id, period.first, period.last)]
        return summarise(account_id, period, items, load_framework(period.last.year))

    # --- retention (ADR 0020) ---------------------------------------------------------------------------

    def purge_expired_evidence(self, now: datetime | None = None) -> PurgeResult:
        """Delete the evidence (rows, then the objects no row uses any more) of every portfolio whose final
        decision is longer ago than the retention period. The activities stay: what was done and its
        points are the certification's record; the files proving it are not kept for ever."""
        now = now or utcnow()
        cutoff = now - timedelta(days=self.settings.evidence_retention_days)
        deleted: list[dict] = []
        with self.db.transaction() as conn:
            decisions = store.due_final_decisions(conn, cutoff)
            for decision in decisions:
                deleted += store.delete_decided_evidence(conn, decision["account_id"], decision["decided_at"])
                store.mark_purged(conn, decision["decision_id"], now)
            orphans = store.unreferenced(conn, [row["object_key"] for row in deleted])
        for key in orphans:
            self.bucket.discard(key)
        if decisions:
            _log.info("evidence past its retention deleted", extra={
                "decisions": len(decisions), "evidence": len(deleted), "objects": len(orphans)})
        return PurgeResult(decisions=len(decisions), evidence=len(deleted), objects=len(orphans))

    # --- access ----------------------------------------------------------------------------------------

    def _may_read(self, conn: psycopg.Connection, viewer: Viewer, owner_id: UUID, *,
                  activity_id: UUID | None = None) -> bool:
        """See ``domain.may_read``. An assessor's "assigned" means: assigned to a case of the owner that is
        being assessed now (from the assignment, or a supplement's submission, to the decision) and, for one
        activity (or its evidence), that the activity is in that case's submitted snapshot."""
        assigned = needs_assignment_check(viewer, owner_id) and store.is_assessing(
            conn, viewer.account_id, owner_id, activity_id)
        return may_read(viewer, owner_id, assigned=assigned)

    def _own_activity(self, conn: psycopg.Connection, account_id: UUID, activity_id: UUID, *,
                      writable: bool) -> Activity:
        """The caller's activity (404 for anyone else's), row-locked; 409 when ``writable`` and submitted."""
        row = store.activity(conn, activity_id, for_update=writable)
        if row is None or row["account_id"] != account_id:
            raise activity_not_found()
        activity = Activity.from_row(row)
        if writable and activity.locked:
            raise ActivityLocked()
        return activity

    def _readable_evidence(self, conn: psycopg.Connection, viewer: Viewer, evidence_id: UUID) -> Evidence:
        row = store.evidence(conn, evidence_id)
        if row is None or not self._may_read(conn, viewer, row["account_id"], activity_id=row["activity_id"]):
            raise evidence_not_found()
        return Evidence.from_row(row)


# --- shared by the use cases and the event handlers ---------------------------------------------------------


def _log_read(conn: psycopg.Connection, viewer: Viewer, owner_id: UUID, kind: str, object_id: UUID,
              label: str | None) -> None:
    """Someone else's read of a jobcoach's evidence, in the reading transaction (ADR 0020)."""
    access_log.record_read(conn, owner_id=owner_id, reader_id=viewer.account_id, reader_roles=viewer.roles,
                           kind=kind, object_id=object_id, label=label)


def current_period(conn: psycopg.Connection, account_id: UUID, today: date) -> Period:
    """The jobcoach's current PE period: from the certificate read model, else the fallback."""
    row = store.certificate_period(conn, account_id)
    if row is not None:
        last = pe_period_last_day(row["valid_until"], extended_until=row["extended_until"])
        return Period(row["starts_on"], last, PERIOD_CERTIFICATE)
    return fallback_period(today, load_framework(today.year))


def _checked(*, framework: Framework, **values: Any):
    try:
        return check_activity(framework=framework, **values)
    except InvalidInput as exc:
        raise InvalidActivity(exc.errors) from None


def _with_evidence(conn: psycopg.Connection, rows: Sequence[Mapping[str, Any]]) -> list[Activity]:
    by_activity: dict[UUID, list[Evidence]] = {}
    for row in store.evidence_of(conn, [row["id"] for row in rows]):
        by_activity.setdefault(row["activity_id"], []).append(Evidence.from_row(row))
    return [Activity.from_row(row, by_activity.get(row["id"], ())) for row in rows]


def _record_activity_event(conn: psycopg.Connection, type_: str, activity: Activity) -> None:
    bus.record(conn, type_, {
        "activity_id": activity.id, "account_id": activity.account_id, "category": str(activity.category),
        "title": activity.title, "completed_on": activity.completed_on, "unit": activity.unit,
        "amount": activity.amount, "points": activity.points, "source": activity.source,
        "external_id": activity.external_id,
    }, producer=PRODUCER, subject=activity.account_id)


def noloc_wire_data(data: Mapping[str, Any]) -> dict:
    """A loaded Noloc event's data as it travels (JSON-safe), to park it."""
    return registry.get(NOLOC_EVENT).schema().dump(data)


def noloc_loaded_data(wire: Mapping[str, Any]) -> dict:
    return registry.get(NOLOC_EVENT).schema().load(wire)


def import_noloc_activity(conn: psycopg.Connection, account_id: UUID, data: Mapping[str, Any],
                          event_id: UUID) -> Activity | None:
    """Record a Noloc Academie completion as a category-1 activity of ``account_id``, once.

    Returns None when this completion (Noloc's ``external_id``) was imported for the account before, also
    when the jobcoach has removed that activity since: a completion is one fact, however often it is sent.
    Dates are not judged against the period: Noloc vouches for them, and the summary counts by period.
    """
    completed_on = data["completed_on"]
    framework = load_framework(completed_on.year)
    load = noloc_study_load(amount=data.get("amount"), unit=data.get("unit"), points=data.get("points"),
                            framework=framework)
    activity_id = uuid.uuid4()
    if not store.claim_noloc_import(conn, account_id, data["external_id"], activity_id, event_id):
        return None
    row = store.insert_activity(conn, {
        "id": activity_id, "account_id": account_id, "title": data["title"], "provider": data["provider"],
        "completed_on": completed_on, "category": NOLOC_CATEGORY, "amount": load.amount, "unit": load.unit,
        "points": load.points, "description": None, "source": SOURCE_NOLOC,
        "external_id": data["external_id"], "framework_version": framework.version,
    })
    activity = Activity.from_row(row)
    _record_activity_event(conn, "pe.activity.recorded", activity)
    return activity


def normalised_number(raw: str | None) -> str | None:
    return normalise_registration_number(raw) if raw else None


def build_service(settings: PeRegistrySettings, db: Database | None = None) -> PeRegistry:
    db = db or Database.from_settings(settings, "pe-registry")
    bucket = EvidenceBucket(ObjectStore.from_settings(settings, settings.evidence_bucket))
    return PeRegistry(db, bucket, settings)
