"""The bodies portfolio's HTTP API reads and writes. Input schemas refuse unknown fields."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from recert_common.schemas import (
    Computed,
    PageQuerySchema,
    PageSchema,
    Strict,
    UtcDateTime,
    always_sent,
    text,
    utc_text,
)
from recert_portfolio import snapshot, wegwijzer
from recert_portfolio.domain import (
    A_PARTS,
    ALL_PARTS,
    MEETING_KINDS,
    TEXT_MAX_LENGTH,
    CycleKind,
    CycleState,
    CycleView,
    SupplementState,
)
from recert_portfolio.mentors import COMMENT_PARTS, SHARED
from recert_portfolio.readiness import Readiness


def _optional_name(**kwargs) -> fields.String:
    return fields.String(allow_none=True, validate=validate.Length(max=200), **kwargs)


# --- input -----------------------------------------------------------------------------------------------


class PartInputSchema(Strict):
    text = fields.String(required=True, validate=validate.Length(max=TEXT_MAX_LENGTH),
                         metadata={"description": "The draft text; saved as often as wanted."})
    executive_jobcoach_declared = fields.Boolean(metadata={
        "description": "A1 only: the declaration 'in the past four years I worked as executive "
                       "jobcoach'. true records when it was ticked (the first time), false unticks; "
                       "omitted: unchanged."})
    currently_executive_jobcoach_declared = fields.Boolean(metadata={
        "description": "A1 only: the declaration 'I work as executive jobcoach now'. Ticked and unticked "
                       "like executive_jobcoach_declared; a portfolio needs both to be ready."})
    meeting_id = fields.UUID(allow_none=True, metadata={
        "description": "A3 only: the reflection meeting the report is about; omitted: unchanged."})


class MeetingInputSchema(Strict):
    met_on = fields.Date(required=True, metadata={"description": "Not in the future, not before the period."})
    kind = fields.String(required=True, validate=validate.OneOf(MEETING_KINDS))
    group_name = _optional_name()
    supervisor_name = _optional_name()
    duration_minutes = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=24 * 60))

    @post_load
    def _blank_is_absent(self, data: dict[str, Any], **kwargs) -> dict[str, Any]:
        for name in ("group_name", "supervisor_name"):
            value = data.get(name)
            data[name] = value.strip() if value and value.strip() else None
        return data

    @validates_schema
    def _group_or_supervisor(self, data: dict[str, Any], **kwargs) -> None:
        if not any((data.get(name) or "").strip() for name in ("group_name", "supervisor_name")):
            raise ValidationError("portfolio.field.group_or_supervisor", "group_name")


class WithdrawInputSchema(Strict):
    reason = fields.String(allow_none=True, validate=validate.Length(max=1000))


class CycleQuerySchema(PageQuerySchema):
    account_id = fields.UUID(metadata={"description": "DNV officers only: the cycles of one jobcoach."})


class SubmissionQuerySchema(PageQuerySchema):
    account_id = fields.UUID()
    cycle_id = fields.UUID()


# --- output ----------------------------------------------------------------------------------------------


@always_sent
class ProofSchema(Schema):
    id = fields.UUID()
    sha256 = fields.String()
    size = fields.Integer()
    content_type = fields.String()
    filename = fields.String(allow_none=True)
    uploaded_at = UtcDateTime()


class MeetingFieldsSchema(Schema):
    """What every answer about a reflection meeting says of it: the jobcoach's list, a submission's copy and
    the mentor's read-only view."""

    id = fields.UUID()
    met_on = fields.Date()
    kind = fields.String(metadata={"enum": list(MEETING_KINDS)})
    group_name = fields.String(allow_none=True)
    supervisor_name = fields.String(allow_none=True)
    duration_minutes = fields.Integer(allow_none=True)
    source = fields.String(metadata={"description": "upload: entered by the jobcoach (proof is a file); "
                                                    "noloc: from Noloc's planning tool (its own proof)."})


@always_sent
class MeetingSchema(MeetingFieldsSchema):
    cycle_id = fields.UUID()
    external_id = fields.String(allow_none=True)
    proven = fields.Boolean()
    proof = fields.Nested(ProofSchema, allow_none=True)


@always_sent
class PartSchema(Schema):
    part = fields.String(metadata={"enum": list(A_PARTS)})
    text = fields.String()
    executive_jobcoach_declared = Computed("_declared", fields.Boolean(), allow_none=True,
                                           metadata={"description": "A1 only; else null."})
    executive_jobcoach_declared_at = Computed("_declared_at", UtcDateTime(), allow_none=True)
    currently_executive_jobcoach_declared = Computed(
        "_declared_now", fields.Boolean(), allow_none=True,
        metadata={"description": "A1 only ('works as executive jobcoach now'); else null."})
    currently_executive_jobcoach_declared_at = Computed("_declared_now_at", UtcDateTime(), allow_none=True)
    meeting_id = Computed("_meeting_id", fields.UUID(), allow_none=True,
                          metadata={"description": "A3 only; else null."})
    updated_at = UtcDateTime(allow_none=True)

    def _declared(self, part) -> bool | None:
        return part.declared_at is not None if part.part == "A1" else None

    def _declared_at(self, part) -> str | None:
        return utc_text(part.declared_at)

    def _declared_now(self, part) -> bool | None:
        return part.works_now_declared_at is not None if part.part == "A1" else None

    def _declared_now_at(self, part) -> str | None:
        return utc_text(part.works_now_declared_at)

    def _meeting_id(self, part) -> str | None:
        return str(part.meeting_id) if part.meeting_id else None


@always_sent
class AssignmentSchema(Schema):
    part = fields.String(metadata={"enum": list(ALL_PARTS)})
    assignment = fields.String()


@always_sent
class SupplementSchema(Schema):
    id = fields.UUID()
    case_id = fields.UUID()
    submission_id = fields.UUID(metadata={"description": "The original submission the case is about."})
    parts = fields.List(fields.String(), metadata={
        "description": "The parts DNV's postponed decision reopened."})
    assignments = fields.List(fields.Nested(AssignmentSchema))
    due_on = fields.Date()
    opened_at = UtcDateTime()
    revised_parts = fields.List(fields.String())
    submitted_at = UtcDateTime(allow_none=True)
    supplement_submission_id = fields.UUID(allow_none=True)
    state = fields.String(metadata={"enum": [str(s) for s in SupplementState], "description":
                                    "open: to be handed in by due_on; submitted: handed in; missed: not "
                                    "handed in by due_on, and nothing is handed in after it; annulled: DNV "
                                    "upheld the objection against the postponed decision that asked for it "
                                    "and checks the PE of the submitted portfolio again, so it is no longer "
                                    "due (ADR 0011)."})
    annulled_at = UtcDateTime(allow_none=True, metadata={
        "description": "When the supplement was annulled; null unless state is annulled."})


class PartsSchema(Schema):
    """The cycle's parts A1-A4 by name (documentation of ``CycleSchema.parts``)."""

    A1 = fields.Nested(PartSchema, required=True)
    A2 = fields.Nested(PartSchema, required=True)
    A3 = fields.Nested(PartSchema, required=True)
    A4 = fields.Nested(PartSchema, required=True)


class CycleSummarySchema(Schema):
    id = fields.UUID(attribute="cycle.id")
    portfolio_id = fields.UUID(attribute="cycle.portfolio_id")
    account_id = fields.UUID(attribute="cycle.account_id")
    certificate_id = fields.UUID(attribute="cycle.certificate_id")
    kind = fields.String(attribute="cycle.kind", metadata={"enum": [str(k) for k in CycleKind]})
    state = fields.String(attribute="cycle.state", metadata={"enum": [str(s) for s in CycleState]})
    starts_on = fields.Date(attribute="cycle.starts_on",
                            metadata={"description": "Meetings and PE activities count from this day."})
    expires_on = fields.Date(attribute="cycle.expires_on")
    window_opens_on = fields.Date(attribute="cycle.window_opens_on")
    submit_by = fields.Date(attribute="cycle.submit_by")
    submission_id = fields.UUID(attribute="cycle.submission_id", allow_none=True)
    opened_at = UtcDateTime(attribute="cycle.opened_at")
    closed_at = UtcDateTime(attribute="cycle.closed_at", allow_none=True)
    is_new_portfolio_after_negative = fields.Boolean(attribute="cycle.is_after_negative")
    required_reflection_meetings = fields.Integer(attribute="cycle.required_meetings")


@always_sent
class WithdrawalRequestSchema(Schema):
    state = fields.String(metadata={"enum": ["pending", "refused"], "description":
                                    "pending: assessment has not answered yet; refused: an assessor was "
                                    "assigned first, and the submission stands."})
    requested_at = UtcDateTime()
    reason = fields.String(allow_none=True)
    refused_at = UtcDateTime(allow_none=True)
    refused_stage = fields.String(allow_none=True, metadata={
        "description": "The assessment case's state when the request was refused."})


# The dashboard (gateway) sends a cycle without its parts and meetings.
@always_sent(except_=("parts", "meetings"))
class CycleSchema(CycleSummarySchema):
    today = fields.Date()
    window_open_today = fields.Boolean()
    editable_parts = fields.List(fields.String())
    parts = Computed("_parts", fields.Nested(PartsSchema))
    meetings = Computed("_meetings", fields.List(fields.Nested(MeetingSchema)))
    supplement = Computed("_supplement", fields.Nested(SupplementSchema), allow_none=True, metadata={
        "description": "The cycle's latest supplement, in whatever state; null when DNV never asked for one. "
                       "An annulled one stays here (state annulled) while the cycle is submitted again."})
    withdrawal = Computed("_withdrawal", fields.Nested(WithdrawalRequestSchema), allow_none=True, metadata={
        "description": "The latest request to withdraw the submission in progress (ADR 0041); null when "
                       "there is none. A granted request leaves the cycle open and this null."})

    def _withdrawal(self, view: CycleView) -> dict[str, Any] | None:
        request = view.portfolio.withdrawal
        return None if request is None else WithdrawalRequestSchema().dump(request)

    def _parts(self, view: CycleView) -> dict[str, Any]:
        return {name: PartSchema().dump(view.portfolio.part(name)) for name in A_PARTS}

    def _meetings(self, view: CycleView) -> list[dict[str, Any]]:
        return MeetingSchema(many=True).dump(view.portfolio.meetings)

    def _supplement(self, view: CycleView) -> dict[str, Any] | None:
        supplement = view.portfolio.supplement
        return None if supplement is None else SupplementSchema().dump(supplement)


class CyclePageSchema(PageSchema):
    items = fields.List(fields.Nested(CycleSummarySchema))


class SnapshotPartSchema(Schema):
    text = fields.String(required=True)
    executive_jobcoach_declared_at = UtcDateTime(allow_none=True, metadata={"description": "A1 only."})
    currently_executive_jobcoach_declared_at = UtcDateTime(allow_none=True,
                                                           metadata={"description": "A1 only."})
    meeting_id = fields.UUID(allow_none=True, metadata={"description": "A3 only."})


class SnapshotPartsSchema(Schema):
    A1 = fields.Nested(SnapshotPartSchema, required=True)
    A2 = fields.Nested(SnapshotPartSchema, required=True)
    A3 = fields.Nested(SnapshotPartSchema, required=True)
    A4 = fields.Nested(SnapshotPartSchema, required=True)


class SnapshotProofSchema(Schema):
    id = fields.UUID(required=True)
    sha256 = fields.String(required=True)
    size = fields.Integer(required=True)
    content_type = fields.String(required=True)
    filename = fields.String(required=True, allow_none=True)


@always_sent
class SnapshotMeetingSchema(MeetingFieldsSchema):
    external_id = fields.String(allow_none=True)
    proof = fields.Nested(SnapshotProofSchema, allow_none=True)


@always_sent
class SnapshotActivitySchema(Schema):
    activity_id = fields.UUID()
    category = fields.String()
    title = fields.String()
    completed_on = fields.Date()
    points = fields.Decimal(as_string=True)
    evidence_sha256s = fields.List(fields.String())


@always_sent
class SnapshotPeSchema(Schema):
    framework_version = fields.String()
    activity_ids = fields.List(fields.UUID())
    activities = fields.List(fields.Nested(SnapshotActivitySchema))
    points_counted = fields.Decimal(as_string=True)
    points_required = fields.Decimal(as_string=True)


@always_sent
class SnapshotSupplementSchema(Schema):
    id = fields.UUID()
    case_id = fields.UUID()
    original_submission_id = fields.UUID()
    parts = fields.List(fields.String())
    assignments = fields.List(fields.Nested(AssignmentSchema))
    due_on = fields.Date()


class SnapshotSchema(Schema):
    """The frozen portfolio as ``snapshot.build`` writes it (documentation of ``SubmissionDetail.snapshot``;
    the answer is the stored JSON itself, so that it still hashes to ``snapshot_hash``)."""

    format = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": ["submission", "supplement"]})
    submission_id = fields.UUID(required=True)
    submitted_at = UtcDateTime(required=True)
    portfolio_id = fields.UUID(required=True)
    cycle_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    certificate_id = fields.UUID(required=True)
    certificate_expires_on = fields.Date(required=True)
    period_starts_on = fields.Date(required=True)
    period_ends_on = fields.Date(required=True)
    is_new_portfolio_after_negative = fields.Boolean(required=True)
    parts = fields.Nested(SnapshotPartsSchema, required=True)
    reflection_meetings = fields.List(fields.Nested(SnapshotMeetingSchema), required=True)
    required_reflection_meetings = fields.Integer(required=True)
    pe = fields.Nested(SnapshotPeSchema, required=True)
    supplement = fields.Nested(SnapshotSupplementSchema, metadata={"description": "A supplement's only."})


class SubmissionSchema(Schema):
    id = fields.UUID()
    kind = fields.String(metadata={"enum": ["submission", "supplement"]})
    cycle_id = fields.UUID()
    portfolio_id = fields.UUID()
    account_id = fields.UUID()
    about_submission_id = fields.UUID(metadata={
        "description": "The submission the assessment case is about: itself, or the original one."})
    supplement_id = fields.UUID(allow_none=True)
    submitted_at = UtcDateTime()
    snapshot_hash = fields.String(metadata={"description": "SHA-256 (hex) of the canonical snapshot JSON."})
    withdrawn_at = UtcDateTime(allow_none=True)
    withdraw_reason = fields.String(allow_none=True)


@always_sent
class SubmissionDetailSchema(SubmissionSchema):
    snapshot = Computed("_snapshot", fields.Nested(SnapshotSchema), metadata={
        "description": "The frozen portfolio. Serialised with sorted keys and no whitespace (UTF-8) it "
                       "hashes to snapshot_hash."})
    hash_verified = Computed("_verified", fields.Boolean(), metadata={
        "description": "Whether the stored snapshot still hashes to snapshot_hash."})

    def _snapshot(self, submission) -> dict[str, Any]:
        return snapshot.document(submission)

    def _verified(self, submission) -> bool:
        return snapshot.verified(submission)


class SubmissionPageSchema(PageSchema):
    items = fields.List(fields.Nested(SubmissionSchema))


@always_sent
class MissingSchema(Schema):
    code = fields.String()
    message = fields.String()
    # The message's parameters by name (a count, a part, an id): what the message says, for a client that
    # words it itself; which names a code has depends on the code, its values are counts or text.
    params = fields.Dict(keys=fields.String(), values=fields.Raw(
        metadata={"oneOf": [{"type": "integer"}, {"type": "string"}]}))


@always_sent
class PartReadinessSchema(Schema):
    complete = fields.Boolean()
    missing = fields.List(fields.Nested(MissingSchema))


@always_sent
class PeCategorySchema(Schema):
    number = fields.Integer()
    key = fields.String()
    name = fields.String()
    minimum = fields.Decimal(as_string=True)
    maximum = fields.Decimal(as_string=True, allow_none=True)
    raw = fields.Decimal(as_string=True)
    counted = fields.Decimal(as_string=True)
    missing = fields.Decimal(as_string=True)


@always_sent
class PeReadinessSchema(Schema):
    framework_version = fields.String()
    met = fields.Boolean()
    required_total = fields.Decimal(as_string=True)
    counted_total = fields.Decimal(as_string=True)
    raw_total = fields.Decimal(as_string=True)
    missing_total = fields.Decimal(as_string=True)
    points_still_needed = fields.Decimal(as_string=True)
    categories = fields.List(fields.Nested(PeCategorySchema))
    activity_ids = fields.List(fields.UUID(), metadata={
        "description": "The period's activities with proof (an evidence file, or from the Noloc Academie): "
                       "these count and go into the snapshot."})
    uncountable_activity_ids = fields.List(fields.String(), metadata={
        "description": "Activities whose category the assessment framework does not know; not counted."})
    without_evidence_activity_ids = fields.List(fields.UUID(), metadata={
        "description": "The period's activities without evidence (bewijs ontbreekt): recorded, not counted, "
                       "not in the snapshot."})
    period_starts_on = fields.Date(metadata={"description": "First day of the PE period."})
    period_ends_on = fields.Date(metadata={
        "description": "Last day of the PE period: the expiry date, or a later supplement or new-portfolio "
                       "deadline."})


@always_sent
class WindowSchema(Schema):
    opens_on = fields.Date()
    closes_on = fields.Date()
    open_today = fields.Boolean()


@always_sent
class ReadinessSchema(Schema):
    cycle_id = fields.UUID()
    state = fields.String()
    today = fields.Date()
    ready = fields.Boolean(metadata={"description": "Nothing is missing (the window is told apart)."})
    can_submit_today = fields.Boolean()
    window = fields.Nested(WindowSchema)
    required_reflection_meetings = fields.Integer()
    proven_reflection_meetings = fields.Integer()
    required_reflection_reports = fields.Integer(metadata={
        "description": "Reflection reports the assessment framework asks for (reflection.required_reports)."})
    parts = fields.Dict(keys=fields.String(), values=fields.Nested(PartReadinessSchema))
    pe = fields.Nested(PeReadinessSchema)


def readiness_body(view: CycleView, readiness: Readiness, language: str) -> dict[str, Any]:
    """The readiness check in ``language``: one sentence per missing item."""
    cycle, summary = view.cycle, readiness.pe
    return {
        "cycle_id": cycle.id,
        "state": str(cycle.state),
        "today": view.today,
        "ready": readiness.ready,
        "can_submit_today": readiness.ready and view.window_open_today,
        "window": {"opens_on": cycle.window_opens_on, "closes_on": cycle.submit_by,
                   "open_today": view.window_open_today},
        "required_reflection_meetings": readiness.required_meetings,
        "proven_reflection_meetings": readiness.proven_meetings,
        "required_reflection_reports": readiness.required_reports,
        "parts": {
            part.part: {"complete": part.complete,
                        "missing": [{"code": m.code, "message": m.message.render(language),
                                     "params": dict(m.params)} for m in part.missing]}
            for part in readiness.parts
        },
        "pe": {
            "framework_version": summary.framework_version,
            "met": summary.met,
            "required_total": summary.required_total,
            "counted_total": summary.counted_total,
            "raw_total": summary.raw_total,
            "missing_total": summary.missing_total,
            "points_still_needed": summary.points_still_needed,
            "categories": [{"number": c.number, "key": c.key, "name": c.name.get(language),
                            "minimum": c.minimum, "maximum": c.maximum, "raw": c.raw, "counted": c.counted,
                            "missing": c.missing} for c in summary.categories],
            "activity_ids": [a.activity_id for a in readiness.pe_activities],
            "uncountable_activity_ids": list(readiness.uncountable_activity_ids),
            "without_evidence_activity_ids": [a.activity_id for a in readiness.unproven_activities],
            "period_starts_on": readiness.period.first,
            "period_ends_on": readiness.period.last,
        },
    }


# --- the wegwijzer (ADR 0026) ----------------------------------------------------------------------------

WEGWIJZER_ASSUMPTIONS = (
    "Each milestone's estimate is the work left (hours) and the calendar weeks it takes at an assumed pace; "
    "a milestone is 'behind' when that no longer fits before its date. Assumptions: 1 PE point is 1 "
    f"study-load hour, at {wegwijzer.PE_POINTS_PER_MONTH} points a month; a reflection meeting every "
    f"{wegwijzer.MEETING_INTERVAL_WEEKS} weeks, {wegwijzer.MEETING_HOURS} hours each with preparation; the "
    f"portfolio (A1-A4 with the reflection report) in {wegwijzer.PORTFOLIO_WEEKS} weeks (three months) at "
    f"half a day ({wegwijzer.HOURS_PER_WEEK} hours) a week, a quarter of it per part, written once the PE "
    f"points are in; a supplementary assignment in {wegwijzer.SUPPLEMENT_PART_WEEKS} weeks at half a day a "
    f"week per reopened part. The plan starts {wegwijzer.PLAN_MONTHS_AHEAD} months before the submission "
    "window opens (3 months before expiry); PE points, meetings and parts are due by the window's opening "
    "(by the supplement or new-portfolio deadline after a postponed or negative decision).")


@always_sent
class EstimateSchema(Schema):
    hours = fields.Integer(metadata={"description": "Hours of work left."})
    weeks = fields.Integer(metadata={"description": "Calendar weeks the work takes at the assumed pace."})


@always_sent
class MilestoneSchema(Schema):
    key = fields.String(metadata={"enum": [str(k) for k in wegwijzer.MilestoneKey]})
    date = fields.Date()
    state = fields.String(metadata={"enum": [str(s) for s in wegwijzer.MilestoneState]})
    estimate = fields.Nested(EstimateSchema, allow_none=True, metadata={
        "description": "null for a date to know rather than work to do (the window's opening)."})


@always_sent
class NextStepSchema(Schema):
    action = fields.String(metadata={"enum": [str(a) for a in wegwijzer.Action]})
    milestone = fields.String(allow_none=True, metadata={"enum": [str(k) for k in wegwijzer.MilestoneKey]})
    date = fields.Date(allow_none=True)


@always_sent
class PaceSchema(Schema):
    target = fields.Date(allow_none=True, metadata={
        "description": "The day part B should be complete: the PE milestone's date, once that passed the "
                       "deadline; null when both passed."})
    points_needed = fields.Decimal(as_string=True)
    category_1_needed = fields.Decimal(as_string=True)
    months_left = fields.Decimal(as_string=True)
    points_per_month = fields.Decimal(as_string=True, metadata={
        "description": "Whole points per month from today to the target (rounded up)."})
    category_1_per_month = fields.Decimal(as_string=True)
    sustainable_per_month = fields.Decimal(as_string=True, metadata={
        "description": "The pace the wegwijzer assumes a jobcoach keeps up."})


@always_sent
class WegwijzerSchema(Schema):
    cycle_id = fields.UUID(attribute="cycle.id")
    today = fields.Date()
    case_state = fields.String(metadata={"enum": [str(s) for s in wegwijzer.CaseState]})
    expires_on = fields.Date(attribute="cycle.expires_on")
    window_opens_on = fields.Date(attribute="cycle.window_opens_on")
    deadline = fields.Date(metadata={
        "description": "The last day to submit: the expiry, the supplement or the new-portfolio deadline."})
    milestones = fields.List(fields.Nested(MilestoneSchema))
    next_step = fields.Nested(NextStepSchema)
    pace = fields.Nested(PaceSchema)
    meetings_required = fields.Integer()
    meetings_proven = fields.Integer()


@always_sent
class CalendarFeedSchema(Schema):
    path = fields.String(metadata={
        "description": "The feed's secret address on the gateway (append it to the portal's origin). Anyone "
                       "with it can read the feed: renew it to end it."})
    created_at = UtcDateTime()


class CalendarQuerySchema(Strict):
    token = fields.String(required=True, validate=validate.Length(min=20, max=100), metadata={
        "description": "The feed's secret (from GET /v1/portfolio/wegwijzer/calendar)."})
    lang = fields.String(load_default="nl", validate=validate.OneOf(("nl", "en")))
# --- mentors (ADR 0028) ----------------------------------------------------------------------------------

class MentorProfileInputSchema(Strict):
    region = fields.String(required=True, validate=validate.Length(max=100),
                           metadata={"description": "Where the mentor works, e.g. a province or city."})
    about = fields.String(required=True, validate=validate.Length(max=1000),
                          metadata={"description": "A short text about the mentor, for the list."})


class ConsentInputSchema(Strict):
    drafts = fields.Boolean(required=True, metadata={"description": "Consent: the drafts of A1-A4."})
    meetings = fields.Boolean(required=True, metadata={"description": "Consent: the reflection meetings."})
    pe_summary = fields.Boolean(required=True, metadata={"description": "Consent: the PE summary."})


class MentorshipInputSchema(Strict):
    mentor_id = fields.UUID(required=True)
    consent = fields.Nested(ConsentInputSchema, required=True, metadata={
        "description": "The jobcoach's explicit consent to each shared item (read-only); each must be true."})


class CommentInputSchema(Strict):
    part = fields.String(required=True, validate=validate.OneOf(COMMENT_PARTS))
    text = text(4000, required=True)


class CommentQuerySchema(Strict):
    part = fields.String(validate=validate.OneOf(COMMENT_PARTS))


@always_sent
class MentorSchema(Schema):
    account_id = fields.UUID()
    full_name = fields.String()
    region = fields.String()
    about = fields.String()


@always_sent
class MentorFeeSchema(Schema):
    amount = fields.String(metadata={"description": "A decimal string: the mentor's fee."})
    currency = fields.String(metadata={"enum": ["EUR"]})
    paid_to = fields.String(metadata={"enum": ["mentor"], "description": "Paid to the mentor directly."})
    invoiced_by_platform = fields.Boolean(metadata={"description": "Always false: the platform invoices "
                                                                   "nothing for a mentor."})
    note = fields.String(metadata={"description": "The same, said in the request's language."})


@always_sent
class MentorListSchema(Schema):
    items = fields.List(fields.Nested(MentorSchema))
    fee = fields.Nested(MentorFeeSchema)


@always_sent
class MentorshipSchema(Schema):
    id = fields.UUID()
    account_id = fields.UUID(metadata={"description": "The jobcoach."})
    jobcoach_name = fields.String(allow_none=True)
    mentor_id = fields.UUID()
    mentor_name = fields.String(allow_none=True)
    shared = fields.List(fields.String(metadata={"enum": list(SHARED)}))
    consented_at = UtcDateTime()
    started_at = UtcDateTime()
    ended_at = UtcDateTime(allow_none=True)
    active = fields.Boolean()


@always_sent
class MenteeMeetingSchema(MeetingFieldsSchema):
    proven = fields.Boolean()


@always_sent
class MenteePortfolioSchema(Schema):
    """What the mentor reads, read-only: the current cycle's drafts and meetings (the PE summary comes from
    pe-registry: GET /pe/accounts/{account_id}/summary)."""

    mentorship = fields.Nested(MentorshipSchema)
    cycle = fields.Nested(CycleSummarySchema, allow_none=True)
    parts = fields.List(fields.Nested(PartSchema))
    meetings = fields.List(fields.Nested(MenteeMeetingSchema))


@always_sent
class MentorCommentSchema(Schema):
    id = fields.UUID()
    mentorship_id = fields.UUID()
    mentor_id = fields.UUID()
    mentor_name = fields.String(allow_none=True)
    part = fields.String(metadata={"enum": list(COMMENT_PARTS)})
    text = fields.String()
    created_at = UtcDateTime()
