"""The PE registry's HTTP API, under /v1/pe: activities, evidence files, the points summary and the
category list; and under /v1/internal the hold portfolio asks for before it seals a submission (ADR 0044).

Who sees what: a jobcoach records and changes their own activities and evidence; the owner, DNV officers
and an assessor assigned to a case of the jobcoach read activities, evidence and the summary; anyone else
gets 404, as if the resource did not exist.

Evidence is uploaded as the raw request body (not multipart), so it streams into the object store:
``POST /v1/pe/activities/{id}/evidence`` with the file's bytes, its name in
``Content-Disposition: attachment; filename="..."`` (``filename*=UTF-8''...`` for non-ASCII names) or, when
that header is absent, in ``?filename=``.
"""
from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from flask import current_app, request, url_for
from flask_smorest import Blueprint

from recert_common.access_log import AccessLogPageSchema
from recert_common.auth import Role, current_principal, require_auth, require_roles
from recert_common.errors import UPLOAD_PROBLEMS, request_language
from recert_common.files import file_response, upload_filename
from recert_common.filetypes import UnsafeFilename, openapi_file_content, upload_rules
from recert_common.rules import load_framework
from recert_common.schemas import PageQuerySchema, UploadRulesSchema, page_body
from recert_common.submission_holds import SubmissionHeldSchema, SubmissionHoldSchema
from recert_common.web import answers
from recert_pe_registry.domain import (
    UNITS,
    ActivityFacts,
    EvidenceRefused,
    Reading,
    Summary,
    Viewer,
    evidence_missing_message,
    reading_failure_message,
)
from recert_pe_registry.extraction import READABLE_TYPES
from recert_pe_registry.problems import (
    EVIDENCE_PROBLEMS,
    ActivityLockedProblem,
    ImportedActivityProblem,
    PeChangedSinceSeenProblem,
)
from recert_pe_registry.schemas import (
    ActivityCreateSchema,
    ActivityPageSchema,
    ActivityQuerySchema,
    ActivitySchema,
    ActivityUpdateSchema,
    CategoriesSchema,
    EvidenceSchema,
    EvidenceUploadQuerySchema,
    EvidenceUploadSchema,
    ReadingPageSchema,
    ReadingSchema,
    ReadingUploadQuerySchema,
    SummaryQuerySchema,
    SummarySchema,
)
from recert_pe_registry.service import PeRegistryService

pe = Blueprint("pe", __name__, url_prefix="/v1/pe",
               description="PE activities, their evidence files and the points summary.")
# Asked by portfolio only, with the jobcoach's own token; the gateway routes nothing under /v1/internal.
internal = Blueprint("internal", __name__, url_prefix="/v1/internal",
                     description="What portfolio asks before it seals a submission (ADR 0044); not public.")
BLUEPRINTS = (pe, internal)

_RAW_FILE_BODY = {
    "required": True,
    "description": "The file itself (PDF, PNG, JPEG, plain text or e-mail), at most 20 MB by default. Its "
                   "type is decided from its first bytes; the Content-Type sent is ignored. Name the file in "
                   "Content-Disposition (attachment; filename=\"...\") or in ?filename=.",
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}
_FILE_RESPONSE = {
    "description": "The file's bytes, streamed, with its stored type and name.",
    "content": openapi_file_content(),
}


def _service() -> PeRegistryService:
    return current_app.extensions["pe_registry"]


def _viewer() -> Viewer:
    principal = current_principal()
    return Viewer(principal.account_id, principal.roles)


def _me() -> UUID:
    return current_principal().account_id


# --- activities ------------------------------------------------------------------------------------------


@pe.post("/activities")
@require_roles(Role.JOBCOACH)
@pe.arguments(ActivityCreateSchema)
@pe.response(201, ActivitySchema)
def record_activity(data: dict[str, Any]):
    """Record a PE activity of one's own; its PE points follow from the amount and unit."""
    activity = _service().record_activity(_me(), **data)
    return activity, 201, {"Location": url_for("pe.activity", activity_id=activity.id)}


@pe.get("/activities")
@answers(404)
@require_roles(Role.JOBCOACH)
@pe.arguments(ActivityQuerySchema, location="query")
@pe.response(200, ActivityPageSchema)
def list_activities(query: dict[str, Any]):
    """One's own activities, latest completion first, a page at a time; filtered by period and category."""
    return _page(_me(), query)


@pe.get("/activities/<uuid:activity_id>")
@require_auth
@pe.response(200, ActivitySchema)
def activity(activity_id: UUID):
    """One activity with its evidence: for its owner, DNV officers and the jobcoach's assigned assessor."""
    return _service().activity(_viewer(), activity_id)


@pe.patch("/activities/<uuid:activity_id>")
@answers(ActivityLockedProblem, ImportedActivityProblem)
@require_roles(Role.JOBCOACH)
@pe.arguments(ActivityUpdateSchema)
@pe.response(200, ActivitySchema)
def update_activity(data: dict[str, Any], activity_id: UUID):
    """Change one's activity while it is not part of a submitted portfolio (409 when it is)."""
    return _service().update_activity(_me(), activity_id, data)


@pe.delete("/activities/<uuid:activity_id>")
@answers(ActivityLockedProblem)
@require_roles(Role.JOBCOACH)
@pe.response(204)
def remove_activity(activity_id: UUID):
    """Remove one's activity and its evidence while it is not part of a submitted portfolio."""
    _service().remove_activity(_me(), activity_id)


@pe.get("/accounts/<uuid:account_id>/activities")
@require_auth
@pe.arguments(ActivityQuerySchema, location="query")
@pe.response(200, ActivityPageSchema)
def account_activities(query: dict[str, Any], account_id: UUID):
    """A jobcoach's activities, for DNV officers and the jobcoach's assigned assessor (and the jobcoach)."""
    return _page(account_id, query)


def _page(account_id: UUID, query: dict[str, Any]) -> dict[str, Any]:
    items, total = _service().list_activities(
        _viewer(), account_id, first=query["from_"], last=query["to"], category=query["category"],
        page=query["page"], page_size=query["page_size"])
    return page_body(items, total, query)


@pe.get("/access-log")
@require_roles(Role.JOBCOACH)
@pe.arguments(PageQuerySchema, location="query")
@pe.response(200, AccessLogPageSchema)
def access_log(query: dict[str, Any]):
    """Who else (an assessor, a DNV officer) read one's activities and evidence, and when: latest first."""
    items, total = _service().access_log(_me(), page=query["page"], page_size=query["page_size"])
    return page_body(items, total, query)


# --- evidence --------------------------------------------------------------------------------------------


@pe.post("/activities/<uuid:activity_id>/evidence")
@answers(ActivityLockedProblem, *UPLOAD_PROBLEMS, *EVIDENCE_PROBLEMS)
@require_roles(Role.JOBCOACH)
@pe.arguments(EvidenceUploadQuerySchema, location="query")
@pe.response(201, EvidenceUploadSchema)
@pe.alt_response(200, schema=EvidenceUploadSchema,
                 description="The same file is evidence of this activity already; nothing was added.")
@pe.doc(requestBody=_RAW_FILE_BODY)
def attach_evidence(query: dict[str, Any], activity_id: UUID):
    """Upload a file as evidence of one's activity (the raw file as the body, streamed to storage).

    The same file (SHA-256) stored before by the same jobcoach is recognised: for another activity it is
    linked (201, ``deduplicated``, bytes stored once), for this activity nothing is added (200).
    """
    service = _service()
    # Only this route takes large bodies; one byte over the limit proves a stream without a length too big.
    request.max_content_length = service.settings.max_evidence_bytes + 1
    try:
        filename = upload_filename(request)
    except UnsafeFilename as refusal:
        raise EvidenceRefused(refusal=refusal) from None
    result = service.attach_evidence(
        _me(), activity_id, _RequestBody(), filename=filename,
        kind=query["kind"], declared_length=request.content_length, content_type=request.mimetype)
    body = {**dataclasses.asdict(result.evidence), "deduplicated": result.duplicate_of is not None,
            "duplicate_of": result.duplicate_of}
    if not result.created:
        return body, 200
    return body, 201, {"Location": url_for("pe.evidence", evidence_id=result.evidence.id)}


class _RequestBody:
    """The request's body stream, opened at the first read: the service refuses what it can (unknown
    activity, declared size over the limit) before anything touches the body."""

    def read(self, size: int = -1) -> bytes:
        return request.stream.read(size)


@pe.get("/evidence/<uuid:evidence_id>")
@require_auth
@pe.response(200, EvidenceSchema)
def evidence(evidence_id: UUID):
    """What is known of an evidence file: for its owner, DNV officers and the assigned assessor."""
    return _service().evidence(_viewer(), evidence_id)


@pe.get("/evidence/<uuid:evidence_id>/content")
@require_auth
@pe.doc(responses={"200": _FILE_RESPONSE})
def evidence_content(evidence_id: UUID):
    """The file, streamed: for its owner, DNV officers and the assigned assessor."""
    found, chunks = _service().open_evidence(_viewer(), evidence_id)
    return file_response(chunks, filename=found.filename, mimetype=found.content_type, length=found.size)


@pe.delete("/evidence/<uuid:evidence_id>")
@answers(ActivityLockedProblem)
@require_roles(Role.JOBCOACH)
@pe.response(204)
def remove_evidence(evidence_id: UUID):
    """Remove an evidence file of one's activity while the activity is not part of a submitted portfolio."""
    _service().remove_evidence(_me(), evidence_id)


# --- evidence read for the jobcoach (ADR 0027) ------------------------------------------------------------

_READING_BODY = {
    "required": True,
    "description": "The document to be read: a certificate of attendance (PDF with text), a confirmation "
                   "e-mail (.eml), a screenshot or photo (PNG, JPEG) or plain text; at most 20 MB by "
                   "default. "
                   "Its type is decided from its first bytes. Name the file in Content-Disposition "
                   "(attachment; filename=\"...\") or in ?filename=.",
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}


@pe.post("/readings")
@answers(*UPLOAD_PROBLEMS, *EVIDENCE_PROBLEMS)
@require_roles(Role.JOBCOACH)
@pe.arguments(ReadingUploadQuerySchema, location="query")
@pe.response(202, ReadingSchema)
@pe.doc(requestBody=_READING_BODY)
def upload_for_reading(query: dict[str, Any]):
    """Upload a document to have it read (the raw file as the body, streamed to storage, checked like
    evidence). The answer comes at once with the reading ``pending``; the worker reads the document and
    the reading turns ``proposed`` (or ``failed``), announced as ``pe.reading.proposed``. Nothing is
    recorded until the jobcoach confirms."""
    service = _service()
    request.max_content_length = service.settings.max_evidence_bytes + 1
    try:
        filename = upload_filename(request)
    except UnsafeFilename as refusal:
        raise EvidenceRefused(refusal=refusal) from None
    found = service.upload_for_reading(
        _me(), _RequestBody(), filename=filename,
        declared_length=request.content_length, content_type=request.mimetype)
    return _reading_body(found), 202, {"Location": url_for("pe.reading", reading_id=found.id)}


@pe.get("/readings")
@answers(404)
@require_roles(Role.JOBCOACH)
@pe.arguments(PageQuerySchema, location="query")
@pe.response(200, ReadingPageSchema)
def list_readings(query: dict[str, Any]):
    """One's documents being read or waiting for confirmation, newest first. A confirmed or dismissed
    reading is gone from the list."""
    items, total = _service().list_readings(_me(), page=query["page"], page_size=query["page_size"])
    return page_body([_reading_body(item) for item in items], total, query)


@pe.get("/readings/<uuid:reading_id>")
@require_roles(Role.JOBCOACH)
@pe.response(200, ReadingSchema)
def reading(reading_id: UUID):
    """One of one's readings, with its proposal once read (poll it, or listen for pe.reading.proposed)."""
    return _reading_body(_service().reading(_me(), reading_id))


@pe.post("/readings/<uuid:reading_id>/confirm")
@require_roles(Role.JOBCOACH)
@pe.arguments(ActivityCreateSchema)
@pe.response(201, ActivitySchema)
def confirm_reading(data: dict[str, Any], reading_id: UUID):
    """Record the activity as confirmed or corrected (every field of a new activity, checked the same
    way), with the read document as its evidence; the reading is done with."""
    activity = _service().confirm_reading(_me(), reading_id, **data)
    return activity, 201, {"Location": url_for("pe.activity", activity_id=activity.id)}


@pe.delete("/readings/<uuid:reading_id>")
@require_roles(Role.JOBCOACH)
@pe.response(204)
def dismiss_reading(reading_id: UUID):
    """Dismiss a reading: it and its document are removed, nothing is recorded."""
    _service().dismiss_reading(_me(), reading_id)


def _reading_body(found: Reading) -> dict[str, Any]:
    language = request_language()
    proposal = dict(found.proposal) if found.proposal else None
    if proposal and proposal.get("completed_on"):
        proposal["completed_on"] = date.fromisoformat(proposal["completed_on"])
    return {**dataclasses.asdict(found), "proposal": proposal,
            "failure_message": (reading_failure_message(found.failure).render(language)
                                if found.failure else None)}


@pe.get("/reading-rules")
@require_auth
@pe.response(200, UploadRulesSchema)
def reading_rules():
    """What a document to be read may be (PDF, PNG, JPEG, e-mail, plain text) and the largest size."""
    return upload_rules(_service().settings.max_evidence_bytes, request_language(), READABLE_TYPES)


# --- summary and categories ------------------------------------------------------------------------------


@pe.get("/summary")
@answers(404)
@require_roles(Role.JOBCOACH)
@pe.arguments(SummaryQuerySchema, location="query")
@pe.response(200, SummarySchema)
def summary(query: dict[str, Any]):
    """One's PE points per category in a period (default: the current certificate period, up to a later
    supplement or new-portfolio deadline), the category minimum and maxima applied, against the required
    total, with what is still missing in words. Only activities with evidence (or imported from the Noloc
    Academie) count; the others are listed under ``activities_without_evidence`` ("bewijs ontbreekt") and
    in ``recorded_total``/``without_evidence_total``."""
    return _summary_body(_service().summary(_viewer(), _me(), first=query["from_"], last=query["to"]))


@pe.get("/accounts/<uuid:account_id>/summary")
@require_auth
@pe.arguments(SummaryQuerySchema, location="query")
@pe.response(200, SummarySchema)
def account_summary(query: dict[str, Any], account_id: UUID):
    """A jobcoach's summary, for DNV officers and the jobcoach's assigned assessor (and the jobcoach)."""
    return _summary_body(_service().summary(_viewer(), account_id, first=query["from_"], last=query["to"]))


def _summary_body(found: Summary) -> dict[str, Any]:
    language = request_language()
    result = found.result
    lacking_points: dict[int, Decimal] = {}
    lacking_counts: dict[int, int] = {}
    for item in found.without_evidence:
        lacking_points[item.category] = lacking_points.get(item.category, Decimal(0)) + item.points
        lacking_counts[item.category] = lacking_counts.get(item.category, 0) + 1
    return {
        "account_id": found.account_id,
        "period": {"from_": found.period.first, "to": found.period.last, "source": found.period.source},
        "framework_version": result.framework_version,
        "categories_official": found.framework.pe.categories_official,
        "required_total": result.required_total,
        "recorded_total": found.recorded_total,
        "without_evidence_total": found.without_evidence_total,
        "raw_total": result.raw_total,
        "counted_total": result.counted_total,
        "missing_total": result.missing_total,
        "points_still_needed": result.points_still_needed,
        "met": result.met,
        "minimum_met": result.minimum_met,
        "total_met": result.total_met,
        "categories": [{
            "number": c.number, "key": c.key, "name": c.name.get(language), "minimum": c.minimum,
            "maximum": c.maximum, "raw": c.raw, "counted": c.counted, "uncounted": c.uncounted,
            "missing": c.missing, "activities": found.activity_counts.get(c.number, 0),
            "activities_without_evidence": lacking_counts.get(c.number, 0),
            "points_without_evidence": lacking_points.get(c.number, Decimal(0)),
        } for c in result.categories],
        "missing": [{"code": m.code, "category": m.category, "points": m.points,
                     "message": m.message.render(language)} for m in result.missing],
        "activities_without_evidence": [{
            "activity_id": item.activity_id, "title": item.title, "completed_on": item.completed_on,
            "category": item.category, "points": item.points,
            "message": evidence_missing_message(item).render(language),
        } for item in found.without_evidence],
    }


@pe.get("/evidence-rules")
@require_auth
@pe.response(200, UploadRulesSchema)
def evidence_rules():
    """What an evidence file may be, so that a frontend can say so before the upload: the types (decided by
    the file's content, with the extensions its name may carry) and the largest size this deployment
    takes (RECERT_PE_REGISTRY_MAX_EVIDENCE_BYTES). An upload is still checked against them."""
    return upload_rules(_service().settings.max_evidence_bytes, request_language())


@pe.get("/categories")
@require_auth
@pe.response(200, CategoriesSchema)
def categories():
    """The PE categories with their minimum and maximum, and the units, of the framework in force."""
    language = request_language()
    framework = load_framework(_service().today().year)
    rules = framework.pe
    return {
        "framework_version": framework.version, "official": rules.categories_official,
        "note": rules.categories_note, "required_total": rules.required_total,
        "units": [{"unit": unit, "name": rules.units[key].name.get(language),
                   "points_per_unit": rules.units[key].points_per_unit,
                   "max_per_activity": rules.units[key].max_per_activity}
                  for unit, key in UNITS.items()],
        "categories": [{"number": c.number, "key": c.key, "name": c.name.get(language), "minimum": c.minimum,
                        "maximum": c.maximum} for c in rules.categories],
    }


# --- holding a submission's activities (ADR 0044) ---------------------------------------------------------


@internal.post("/submission-holds")
@answers(PeChangedSinceSeenProblem)
@require_roles(Role.JOBCOACH)
@internal.arguments(SubmissionHoldSchema)
@internal.response(201, SubmissionHeldSchema)
def hold_for_submission(data: dict[str, Any]):
    """Hold one's activities for a submission portfolio is about to seal: read-only from now on, until
    portfolio's event makes the hold a lock (or it lapses), provided that every activity portfolio ``seen``
    in the period is as stored here; 409 naming those that differ otherwise."""
    seen = [ActivityFacts(**{**facts, "evidence_sha256s": frozenset(facts["evidence_sha256s"])})
            for facts in data["seen"]]
    held_until = _service().hold_for_submission(
        _me(), submission_id=data["submission_id"], first=data["period"]["first"],
        last=data["period"]["last"], seen=seen, activity_ids=data["activity_ids"])
    return {"submission_id": data["submission_id"], "held_until": held_until}, 201


@internal.delete("/submission-holds/<uuid:submission_id>")
@require_roles(Role.JOBCOACH)
@internal.response(204)
def release_hold(submission_id: UUID):
    """Let go of one's hold: the submission it was for did not commit. A submission's lock stays."""
    _service().release_hold(_me(), submission_id)
