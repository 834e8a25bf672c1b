"""The submitted snapshot: what DNV receives, as canonical JSON, and its SHA-256.

Canonical means: keys sorted, no insignificant whitespace, UTF-8, lists in a fixed order (meetings by date
then id, PE activities by id, evidence hashes sorted). The same portfolio therefore always gives the same
bytes and the same hash, and anyone holding the JSON can recompute the hash.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from recert_common.schemas import utc_text
from recert_portfolio.domain import A_PARTS, Cycle, Meeting, Part, PeActivity, Submission, Supplement
from recert_portfolio.readiness import Readiness

SNAPSHOT_FORMAT = 1


def _json_value(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # "12.50" and "12.5" are one amount: one spelling, so that the hash does not depend on the scale.
        return format(value.normalize(), "f")
    raise TypeError(f"{type(value).__name__} has no place in a snapshot")


def canonical_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                      default=_json_value)


def snapshot_hash(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _part(part: Part) -> dict[str, Any]:
    body: dict[str, Any] = {"text": part.text}
    if part.part == "A1":
        body["executive_jobcoach_declared_at"] = part.declared_at
        body["currently_executive_jobcoach_declared_at"] = part.works_now_declared_at
    if part.part == "A3":
        body["meeting_id"] = part.meeting_id
    return body


def _meeting(meeting: Meeting) -> dict[str, Any]:
    proof = meeting.proof
    return {
        "id": meeting.id,
        "met_on": meeting.met_on,
        "kind": meeting.kind,
        "group_name": meeting.group_name,
        "supervisor_name": meeting.supervisor_name,
        "duration_minutes": meeting.duration_minutes,
        "source": meeting.source,
        "external_id": meeting.external_id,
        "proof": None if proof is None else {
            "id": proof.id, "sha256": proof.sha256, "size": proof.size, "content_type": proof.content_type,
            "filename": proof.filename,
        },
    }


def _activity(activity: PeActivity) -> dict[str, Any]:
    return {
        "activity_id": activity.activity_id,
        "category": activity.category,
        "title": activity.title,
        "completed_on": activity.completed_on,
        "points": activity.points,
        "evidence_sha256s": sorted(activity.evidence_sha256s),
    }


def build(*, kind: str, submission_id: UUID, submitted_at: datetime, cycle: Cycle, parts: Mapping[str, Part],
          meetings: Sequence[Meeting], readiness: Readiness, supplement: Supplement | None = None
          ) -> dict[str, Any]:
    """The snapshot document (JSON-able through ``canonical_json``)."""
    activities = sorted(readiness.pe_activities, key=lambda a: str(a.activity_id))
    document: dict[str, Any] = {
        "format": SNAPSHOT_FORMAT,
        "kind": kind,
        "submission_id": submission_id,
        "submitted_at": submitted_at,
        "portfolio_id": cycle.portfolio_id,
        "cycle_id": cycle.id,
        "account_id": cycle.account_id,
        "certificate_id": cycle.certificate_id,
        "certificate_expires_on": cycle.expires_on,
        "period_starts_on": cycle.starts_on,
        "period_ends_on": readiness.period.last if readiness.period else cycle.period.last,
        "is_new_portfolio_after_negative": cycle.is_after_negative,
        "parts": {name: _part(parts.get(name) or Part(name)) for name in A_PARTS},
        "reflection_meetings": [_meeting(m) for m in sorted(meetings, key=lambda m: (m.met_on, str(m.id)))],
        "required_reflection_meetings": readiness.required_meetings,
        "pe": {
            "framework_version": readiness.pe.framework_version,
            "activity_ids": [a.activity_id for a in activities],
            "activities": [_activity(a) for a in activities],
            "points_counted": readiness.pe.counted_total,
            "points_required": readiness.pe.required_total,
        },
    }
    if supplement is not None:
        document["supplement"] = {
            "id": supplement.id,
            "case_id": supplement.case_id,
            "original_submission_id": supplement.submission_id,
            "parts": list(supplement.parts),
            "assignments": [{"part": a.part, "assignment": a.assignment} for a in supplement.assignments],
            "due_on": supplement.due_on,
        }
    return document


def seal(document: Mapping[str, Any]) -> tuple[str, str]:
    """``(canonical JSON, its SHA-256)``."""
    canonical = canonical_json(document)
    return canonical, snapshot_hash(canonical)


def document(submission: Submission) -> dict[str, Any]:
    """The stored snapshot of ``submission``, parsed."""
    return json.loads(submission.content)


def verified(submission: Submission) -> bool:
    """Whether the stored snapshot still hashes to the hash taken when it was submitted."""
    return snapshot_hash(submission.content) == submission.snapshot_hash


def listed_proof_id(submission: Submission, meeting_id: UUID) -> UUID | None:
    """The proof file the snapshot lists for the meeting (the file as submitted, even if replaced since)."""
    listed = document(submission)["reflection_meetings"]
    found = next((m["proof"]["id"] for m in listed if m["id"] == str(meeting_id) and m["proof"]), None)
    return UUID(found) if found else None
