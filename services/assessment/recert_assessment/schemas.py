"""The bodies assessment's HTTP API reads and writes. Input schemas refuse unknown fields."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_load, validate

from recert_assessment.domain import (
    ADVICES,
    ASSESSED_PARTS,
    OBJECTION_OUTCOMES,
    TEXT_MAX_LENGTH,
    VERDICTS,
    AssessmentForm,
    AssessorConflict,
    Finding,
    PartVerdict,
    SupplementAssignment,
)
from recert_assessment.states import CaseState
from recert_common import i18n
from recert_common.credentials.verify import REASONS
from recert_common.errors import request_language
from recert_common.schemas import (
    Computed,
    PageQuerySchema,
    PageSchema,
    Strict,
    UtcDateTime,
    always_sent,
    not_blank,
)
from recert_common.schemas import text as text_field

# --- input -----------------------------------------------------------------------------------------------


class CaseQuerySchema(PageQuerySchema):
    account_id = fields.UUID(metadata={"description": "DNV officers only: the cases of one jobcoach."})
    assessor_id = fields.UUID(metadata={"description": "DNV officers only: the cases of one assessor."})
    state = fields.String(validate=validate.OneOf([str(s) for s in CaseState]))


class RejectionInputSchema(Strict):
    activity_id = fields.UUID(required=True, metadata={"description": "One of the snapshot's PE activities."})
    reason = text_field(2000, required=True)


class FindingSchema(Strict):
    text = text_field(2000, required=True)
    activity_id = fields.UUID(allow_none=True)
    category = fields.String(allow_none=True, validate=validate.Length(max=32))

    @post_load
    def _finding(self, data: dict[str, Any], **kwargs) -> Finding:
        return Finding(data["text"].strip(), data.get("activity_id"), data.get("category"))


class PeCheckInputSchema(Strict):
    passed = fields.Boolean(required=True, metadata={
        "description": "true only when the PE rules are met after the rejected activities."})
    findings = fields.List(fields.Nested(FindingSchema), load_default=list, validate=validate.Length(max=100),
                           metadata={"description": "Required (or a rejected activity) when not passed."})


class AssignInputSchema(Strict):
    assessor_id = fields.UUID(required=True)


class VerdictInputSchema(Strict):
    verdict = fields.String(required=True, validate=validate.OneOf(VERDICTS))
    findings = text_field(TEXT_MAX_LENGTH, required=True)


class PartsInputSchema(Strict):
    A1 = fields.Nested(VerdictInputSchema, required=True)
    A3 = fields.Nested(VerdictInputSchema, required=True)
    B = fields.Nested(VerdictInputSchema, required=True)


class FeedbackInputSchema(Strict):
    A2 = fields.String(allow_none=True, validate=validate.Length(max=TEXT_MAX_LENGTH))
    A4 = fields.String(allow_none=True, validate=validate.Length(max=TEXT_MAX_LENGTH))


class SupplementInputSchema(Strict):
    part = fields.String(required=True, validate=validate.OneOf(ASSESSED_PARTS))
    assignment = text_field(5000, required=True)


class AdviceInputSchema(Strict):
    parts = fields.Nested(PartsInputSchema, required=True, metadata={
        "description": "A verdict (meets / does_not_meet) with findings for each assessed part: A1, A3, B."})
    feedback = fields.Nested(FeedbackInputSchema, load_default=dict, metadata={
        "description": "Optional feedback on A2 and A4; never part of the verdict."})
    development_advice = text_field(TEXT_MAX_LENGTH, required=True)
    advice = fields.String(required=True, validate=validate.OneOf(ADVICES))
    supplements = fields.List(fields.Nested(SupplementInputSchema), load_default=list, metadata={
        "description": "Postponed only: the supplementary assignments, one or more per part that does not "
                       "meet."})

    @post_load
    def _form(self, data: dict[str, Any], **kwargs) -> AssessmentForm:
        parts = data["parts"]
        feedback = {part: text.strip() for part, text in data["feedback"].items() if text and text.strip()}
        return AssessmentForm(
            verdicts=tuple(PartVerdict(part, parts[part]["verdict"], parts[part]["findings"].strip())
                           for part in ASSESSED_PARTS),
            feedback=feedback, development_advice=data["development_advice"].strip(), advice=data["advice"],
            supplements=tuple(SupplementAssignment(s["part"], s["assignment"].strip())
                              for s in data["supplements"]))


class DecisionInputSchema(Strict):
    decision = fields.String(required=True, validate=validate.OneOf(ADVICES))
    reason = fields.String(allow_none=True, validate=validate.Length(max=5000), metadata={
        "description": "Required when the decision departs from the advice."})

    @post_load
    def _blank_is_none(self, data: dict[str, Any], **kwargs) -> dict[str, Any]:
        reason = (data.get("reason") or "").strip()
        data["reason"] = reason or None
        return data


class ObjectionInputSchema(Strict):
    reason = text_field(5000, required=True)


class ObjectionOutcomeInputSchema(Strict):
    outcome = fields.String(required=True, validate=validate.OneOf(OBJECTION_OUTCOMES))
    reason = text_field(5000, required=True)


class FormQuerySchema(Strict):
    round = fields.Integer(validate=validate.OneOf((1, 2)), metadata={
        "description": "1: the assessment, 2: the reassessment after a supplement; default the latest."})


class CertificateQuerySchema(PageQuerySchema):
    number = fields.String(validate=validate.Length(min=1, max=32))
    account_id = fields.UUID()
    state = fields.String(validate=validate.OneOf(("active", "lapsed")))


class RegisterQuerySchema(Strict):
    q = fields.String(required=True, validate=[validate.Length(min=3, max=100), not_blank], metadata={
        "description": "A certificate number, or (part of) a name; at least 3 characters."})


# --- output ----------------------------------------------------------------------------------------------


class CaseSummarySchema(Schema):
    id = fields.UUID()
    account_id = fields.UUID()
    certificate_id = fields.UUID()
    portfolio_id = fields.UUID()
    cycle_id = fields.UUID()
    submission_id = fields.UUID()
    state = fields.String(metadata={"enum": [str(s) for s in CaseState]})
    due_on = fields.Date()
    submitted_at = UtcDateTime()
    certificate_expires_on = fields.Date()
    is_new_portfolio_after_negative = fields.Boolean()
    assessor_id = fields.UUID(allow_none=True)
    opened_at = UtcDateTime()


@always_sent
class CaseListItemSchema(CaseSummarySchema):
    """A ``CaseListItem``: the case's summary and the jobcoach's name."""

    jobcoach_name = fields.String(allow_none=True, metadata={
        "description": "The jobcoach's full name (null when assessment has not heard it yet)."})

    def get_attribute(self, obj, attr, default):
        if attr == "jobcoach_name":
            return obj.jobcoach_name
        return super().get_attribute(obj.case, attr, default)


class CasePageSchema(PageSchema):
    items = fields.List(fields.Nested(CaseListItemSchema))


class FindingOutSchema(Schema):
    text = fields.String()
    activity_id = fields.UUID(allow_none=True)
    category = fields.String(allow_none=True)


class PeCheckResultSchema(Schema):
    passed = fields.Boolean()
    points_counted = fields.Decimal(as_string=True)
    points_required = fields.Decimal(as_string=True)
    findings = fields.List(fields.Nested(FindingOutSchema))
    completed_by = fields.UUID()
    completed_at = UtcDateTime()


class SupplementAssignmentSchema(Schema):
    part = fields.String()
    assignment = fields.String()


@always_sent
class AdviceSummarySchema(Schema):
    round = fields.Integer()
    advice = fields.String(metadata={"enum": list(ADVICES)})
    assessor_id = fields.UUID()
    given_at = UtcDateTime()
    supplement_due_on = fields.Date(allow_none=True, metadata={
        "description": "Only on advices given before ADR 0011; the term runs from DNV's postponed decision."})
    verdicts = Computed("_verdicts", fields.Dict(keys=fields.String(), values=fields.String(
        metadata={"enum": list(VERDICTS)})), metadata={"description": "The verdict per assessed part."})
    supplements = fields.List(fields.Nested(SupplementAssignmentSchema), attribute="form.supplements")

    def _verdicts(self, advice) -> dict[str, str]:
        return {v.part: v.verdict for v in advice.form.verdicts}


@always_sent
class DecisionSchema(Schema):
    id = fields.UUID()
    round = fields.Integer(metadata={"description": "0: the decision on part B after a failed PE check; 1: "
                                                    "after the assessment; 2: after the reassessment."})
    decision = fields.String(metadata={"enum": list(ADVICES)})
    follows_advice = fields.Boolean(metadata={"description": "Always true after a failed PE check, where "
                                                             "there is no advice."})
    reason = fields.String(allow_none=True)
    decided_on = fields.Date()
    decided_by = fields.UUID()
    decided_at = UtcDateTime()
    objection_deadline = fields.Date()
    new_portfolio_deadline = fields.Date(allow_none=True)
    supplement_due_on = fields.Date(allow_none=True, metadata={
        "description": "Postponed only: the last day for the supplement, 3 months from decided_on."})
    annulled_at = UtcDateTime(allow_none=True, metadata={
        "description": "When an objection upheld against it annulled the decision (only the postponed "
                       "decision on part B after a failed PE check, round 0): it no longer stands, its "
                       "supplement is void and the case went back to DNV's PE check. null: it stands."})
    annulled_by_objection_id = fields.UUID(allow_none=True, metadata={
        "description": "The upheld objection that annulled the decision."})


class ObjectionSchema(Schema):
    id = fields.UUID()
    case_id = fields.UUID()
    decision_id = fields.UUID()
    account_id = fields.UUID()
    reason = fields.String()
    filed_at = UtcDateTime()
    outcome = fields.String(allow_none=True, metadata={"enum": list(OBJECTION_OUTCOMES)})
    outcome_reason = fields.String(allow_none=True)
    decided_by = fields.UUID(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)


@always_sent
class SupplementSchema(Schema):
    supplement_id = fields.UUID()
    submission_id = fields.UUID(metadata={"description": "The original submission the case is about."})
    supplement_submission_id = fields.UUID(allow_none=True, metadata={
        "description": "The supplement's own snapshot: GET /v1/portfolio/submissions/{id} (null for a "
                       "supplement received before portfolio's event carried it)."})
    parts = fields.List(fields.String())
    submitted_at = UtcDateTime()
    snapshot_hash = fields.String()


@always_sent
class ProgressStepSchema(Schema):
    step = fields.String(metadata={"enum": ["submitted", "pe_check", "assessment", "decision", "supplement",
                                            "reassessment"]})
    round = fields.Integer(metadata={"description": "1: the portfolio; 2: the supplement after a postponed "
                                                    "decision."})
    status = fields.String(metadata={"enum": ["done", "current", "upcoming"]})
    done_on = fields.Date(allow_none=True, metadata={
        "description": "When the step was done (null while open, and for an advice the jobcoach may not see "
                       "yet)."})
    expected_from = fields.Date(allow_none=True, metadata={
        "description": "An open decision: the day its normal window opens (6 weeks after the submission); "
                       "null in a case that went back to the PE check after an upheld objection."})
    expected_by = fields.Date(allow_none=True, metadata={
        "description": "An open step: the day it is expected by (the result's due date, 8 weeks after the "
                       "submission, the supplement, or the return to the PE check after an upheld "
                       "objection; the supplement: its deadline). null when not yet known."})


@always_sent
class CaseDetailSchema(Schema):
    """A ``CaseView``."""

    id = fields.UUID(attribute="case.id")
    account_id = fields.UUID(attribute="case.account_id")
    jobcoach_name = Computed("_jobcoach_name", fields.String(), allow_none=True)
    certificate_id = fields.UUID(attribute="case.certificate_id")
    portfolio_id = fields.UUID(attribute="case.portfolio_id")
    cycle_id = fields.UUID(attribute="case.cycle_id")
    submission_id = fields.UUID(attribute="case.submission_id", metadata={
        "description": "The snapshot: GET /v1/portfolio/submissions/{id} (the assigned assessor too)."})
    submitted_at = UtcDateTime(attribute="case.submitted_at")
    snapshot_hash = fields.String(attribute="case.snapshot_hash")
    certificate_expires_on = fields.Date(attribute="case.certificate_expires_on")
    is_new_portfolio_after_negative = fields.Boolean(attribute="case.is_new_portfolio_after_negative")
    state = fields.String(attribute="case.state", metadata={"enum": [str(s) for s in CaseState]})
    stage = fields.String(allow_none=True, metadata={
        "enum": ["pe_check", "assessment", "supplement", "decision"], "description": "null once closed."})
    due_on = fields.Date(attribute="case.due_on")
    opened_at = UtcDateTime(attribute="case.opened_at")
    paid = Computed("_paid", fields.Boolean(),
                    metadata={"description": "The recertification invoice is paid."})
    reassessment_paid = Computed("_reassessment_paid", fields.Boolean())
    pe_activity_ids = fields.List(fields.UUID(), attribute="case.pe_activity_ids")
    pe_points_claimed = fields.Decimal(as_string=True, attribute="case.pe_points_claimed")
    reflection_meetings = fields.Integer(attribute="case.reflection_meetings")
    assessor_id = fields.UUID(attribute="case.assessor_id", allow_none=True)
    assessor_name = Computed("_assessor_name", fields.String(), allow_none=True)
    supplement_due_on = fields.Date(attribute="case.supplement_due_on", allow_none=True)
    supplement_missed_at = UtcDateTime(attribute="case.supplement_missed_at", allow_none=True, metadata={
        "description": "When portfolio said the supplement was not handed in by its due date (ADR 0042): "
                       "from then on DNV may decide without it."})
    mentor_ids = fields.List(fields.UUID(), metadata={
        "description": "The jobcoach's mentors (portfolio's mentorships, running or ended in the certificate "
                       "period): never the jobcoach's assessor."})
    pe_check = fields.Nested(PeCheckResultSchema, allow_none=True)
    advices = fields.List(fields.Nested(AdviceSummarySchema), metadata={
        "description": "The jobcoach sees an advice once DNV decided on it."})
    decisions = fields.List(fields.Nested(DecisionSchema))
    objections = fields.List(fields.Nested(ObjectionSchema))
    supplement = fields.Nested(SupplementSchema, allow_none=True)
    progress = fields.List(fields.Nested(ProgressStepSchema), metadata={
        "description": "The case's steps as the jobcoach's portal shows them, each done on its day or "
                       "expected by one."})

    def _jobcoach_name(self, view) -> str | None:
        return view.names.get(view.case.account_id)

    def _assessor_name(self, view) -> str | None:
        return view.names.get(view.case.assessor_id) if view.case.assessor_id else None

    def _paid(self, view) -> bool:
        return view.case.paid_at is not None

    def _reassessment_paid(self, view) -> bool:
        return view.case.reassessment_paid_at is not None


@always_sent
class EvidenceSchema(Schema):
    evidence_id = fields.UUID()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()


class RejectionSchema(Schema):
    reason = fields.String()
    rejected_by = fields.UUID()
    rejected_at = UtcDateTime()


class CheckedActivitySchema(Schema):
    activity_id = fields.UUID()
    known = Computed("_known", fields.Boolean(), metadata={
        "description": "false: the snapshot names it but pe-registry's event has not arrived yet."})
    title = fields.String(attribute="activity.title", allow_none=True)
    category = fields.String(attribute="activity.category", allow_none=True)
    category_number = fields.Integer(allow_none=True)
    completed_on = fields.Date(attribute="activity.completed_on", allow_none=True)
    unit = fields.String(attribute="activity.unit", allow_none=True)
    amount = fields.Decimal(as_string=True, attribute="activity.amount", allow_none=True)
    points = fields.Decimal(as_string=True, attribute="activity.points", allow_none=True)
    source = fields.String(attribute="activity.source", allow_none=True)
    counted = fields.Boolean()
    rejection = fields.Nested(RejectionSchema, allow_none=True)
    evidence = Computed("_evidence", fields.List(fields.Nested(EvidenceSchema)), metadata={
        "description": "Files at pe-registry (GET /v1/pe/... for the assigned assessor and DNV officers)."})

    def _known(self, item) -> bool:
        return item.activity is not None

    def _evidence(self, item) -> list[dict[str, Any]]:
        return EvidenceSchema(many=True).dump(item.activity.evidence if item.activity else ())


class TextsSchema(Schema):
    """A text in each language the portal speaks."""

    nl = fields.String(required=True)
    en = fields.String(required=True)


class PeCategorySchema(Schema):
    number = fields.Integer()
    key = fields.String()
    name = Computed("_name", fields.Nested(TextsSchema))
    minimum = fields.Decimal(as_string=True)
    maximum = fields.Decimal(as_string=True, allow_none=True)
    raw = fields.Decimal(as_string=True)
    counted = fields.Decimal(as_string=True)
    missing = fields.Decimal(as_string=True)

    def _name(self, category) -> dict[str, str]:
        return {"nl": category.name.nl, "en": category.name.en}


class PeCheckSchema(Schema):
    """A ``PeCheckView``: the rules applied to the snapshot's activities, and the check once completed."""

    case_id = fields.UUID(attribute="case.id")
    state = fields.String(attribute="case.state")
    framework_version = fields.String(attribute="proposal.summary.framework_version")
    rules_met = fields.Boolean(attribute="proposal.summary.met")
    required_total = fields.Decimal(as_string=True, attribute="proposal.summary.required_total")
    counted_total = fields.Decimal(as_string=True, attribute="proposal.summary.counted_total")
    raw_total = fields.Decimal(as_string=True, attribute="proposal.summary.raw_total")
    points_claimed = fields.Decimal(as_string=True, attribute="case.pe_points_claimed", metadata={
        "description": "What the jobcoach saw on submitting."})
    categories = fields.List(fields.Nested(PeCategorySchema), attribute="proposal.summary.categories")
    activities = fields.List(fields.Nested(CheckedActivitySchema), attribute="proposal.activities")
    unknown_activity_ids = fields.List(fields.UUID(), attribute="proposal.unknown_activity_ids")
    completed = fields.Nested(PeCheckResultSchema, attribute="check", allow_none=True)


@always_sent
class VerdictSchema(Schema):
    verdict = fields.String(metadata={"enum": list(VERDICTS)})
    findings = fields.String()


class FeedbackSchema(Schema):
    """The assessor's feedback on the parts that are not assessed (null: none)."""

    A2 = fields.String(required=True, allow_none=True)
    A4 = fields.String(required=True, allow_none=True)


@always_sent
class FormSchema(Schema):
    """A ``GivenAdvice``: the whole assessment form."""

    case_id = fields.UUID()
    round = fields.Integer()
    assessor_id = fields.UUID()
    given_at = UtcDateTime()
    advice = fields.String(metadata={"enum": list(ADVICES)})
    parts = Computed("_parts", fields.Dict(keys=fields.String(), values=fields.Nested(VerdictSchema)),
                     metadata={"description": "The verdict and findings per assessed part."})
    feedback = Computed("_feedback", fields.Nested(FeedbackSchema))
    development_advice = fields.String(attribute="form.development_advice")
    supplements = fields.List(fields.Nested(SupplementAssignmentSchema), attribute="form.supplements")
    supplement_due_on = fields.Date(allow_none=True, metadata={
        "description": "Only on advices given before ADR 0011; the term runs from DNV's postponed decision."})

    def _parts(self, given) -> dict[str, Any]:
        return {v.part: {"verdict": v.verdict, "findings": v.findings} for v in given.form.verdicts}

    def _feedback(self, given) -> dict[str, str | None]:
        return {part: given.form.feedback.get(part) for part in ("A2", "A4")}


class AssessorOptionSchema(Schema):
    """An ``AssessorOption``: an assessor and whether they may assess this case."""

    assessor_id = fields.UUID(attribute="account.account_id")
    full_name = fields.String(attribute="account.full_name")
    eligible = fields.Boolean(metadata={"description": "false: a conflict of interest excludes them."})
    conflict = fields.String(allow_none=True, metadata={
        "enum": [str(c) for c in AssessorConflict],
        "description": "Why they are excluded (null when eligible): the jobcoach themselves, the "
                       "jobcoach's mentor (current or past in the certificate period), or the assessor "
                       "of the jobcoach's previous portfolio."})
    reason = fields.Method("_reason", allow_none=True, metadata={
        "type": "string",
        "description": "The exclusion said in the request's language (null when eligible)."})
    assigned = fields.Boolean(metadata={"description": "Whether they are this case's assessor now."})

    def _reason(self, option: Any) -> str | None:
        if option.conflict is None:
            return None
        return i18n.translate(f"assessment.detail.assessor_{option.conflict}", request_language())


class AuditEntrySchema(Schema):
    at = UtcDateTime()
    actor_id = fields.UUID(allow_none=True, metadata={"description": "null: the system (an event, the "
                                                                     "scheduler)."})
    role = fields.String()
    action = fields.String()
    # Genuinely free-form: each action keeps its own details (ids, dates, amounts, lists of parts), written
    # by the use case that records it; a client shows them as they are.
    details = fields.Dict(keys=fields.String(), metadata={"additionalProperties": True})


class OverdueItemSchema(Schema):
    """An ``OverdueItem``."""

    case = fields.Nested(CaseListItemSchema)
    status = fields.String(metadata={"enum": ["overdue", "due_soon"]})
    stage = fields.String(metadata={"enum": ["pe_check", "assessment", "supplement", "decision"]})
    days_overdue = fields.Integer()


CaseStateCountsSchema = Schema.from_dict(
    {str(state): fields.Integer(required=True) for state in CaseState}, name="CaseStateCounts")


class CaseCountsSchema(Schema):
    """How many cases there are in each state (every state, 0 included), and how many open cases
    ``GET /v1/cases/overdue`` lists as overdue and as due soon."""

    by_state = fields.Nested(CaseStateCountsSchema, required=True)
    overdue = fields.Integer(required=True, metadata={"description": "Open cases past their due date."})
    due_soon = fields.Integer(required=True, metadata={
        "description": "Open cases due today or within RECERT_ASSESSMENT_DUE_SOON_DAYS."})


class OverdueQuerySchema(Strict):
    limit = fields.Integer(validate=validate.Range(min=1, max=1000), metadata={
        "description": "At most this many, the most urgent first (default: all)."})


class CertificateSchema(Schema):
    """A ``CertificateView``."""

    id = fields.UUID(attribute="certificate.id")
    number = fields.String(attribute="certificate.number")
    membership_number = fields.String(attribute="certificate.membership_number")
    account_id = fields.UUID(attribute="certificate.account_id", allow_none=True, metadata={
        "description": "null until an account with the membership number registers."})
    name = fields.String(allow_none=True)
    valid_from = fields.Date(attribute="certificate.valid_from")
    valid_until = fields.Date(attribute="certificate.valid_until")
    state = fields.String(attribute="certificate.state", metadata={"enum": ["active", "lapsed"]})
    lapsed_on = fields.Date(attribute="certificate.lapsed_on", allow_none=True)
    lapse_reason = fields.String(attribute="certificate.lapse_reason", allow_none=True)


class CertificatePageSchema(PageSchema):
    items = fields.List(fields.Nested(CertificateSchema))


@always_sent
class WindowSchema(Schema):
    opens_on = fields.Date(attribute="first")
    closes_on = fields.Date(attribute="last")


@always_sent
class TileSchema(Schema):
    """A ``Tile``: what the jobcoach's dashboard shows of the certificate."""

    certificate_id = fields.UUID(attribute="certificate.id")
    certificate_number = fields.String(attribute="certificate.number")
    valid_from = fields.Date(attribute="certificate.valid_from")
    valid_until = fields.Date(attribute="certificate.valid_until")
    state = fields.String(attribute="certificate.state", metadata={"enum": ["active", "lapsed"]})
    today = fields.Date()
    days_left = fields.Integer(metadata={"description": "Days until the expiry date; 0 on and after it."})
    submission_window = fields.Nested(WindowSchema, attribute="window", allow_none=True, metadata={
        "description": "3 months before expiry; after a negative decision: up to the new-portfolio "
                       "deadline; null once lapsed, or after the negative decision on that new portfolio "
                       "(one second chance only)."})
    window_open = fields.Boolean()


class RegisterEntrySchema(Schema):
    """Exactly what the public register tells: nothing more."""

    name = fields.String(allow_none=True, metadata={"description": "null while the holder's account is not "
                                                                   "known yet."})
    certificate_number = fields.String()
    valid_until = fields.Date()
    state = fields.String(metadata={"enum": ["active", "lapsed"]})


class RegisterResultSchema(Schema):
    items = fields.List(fields.Nested(RegisterEntrySchema))


class ClaimCodeSchema(Schema):
    code = fields.String(metadata={"description": "Give this to the holder; it is shown this once."})
    expires_at = UtcDateTime()
    certificate_id = fields.UUID()


class ClaimInputSchema(Strict):
    code = fields.String(required=True, validate=validate.Length(min=12, max=32), metadata={
        "description": "The code from Noloc or DNV, e.g. 7KQ2-M9XA-4FBR (case and dashes do not matter)."})


class ClaimedSchema(Schema):
    certificate_id = fields.UUID(attribute="id")
    certificate_number = fields.String(attribute="number")
    valid_until = fields.Date()


class ImportResultSchema(Schema):
    rows = fields.Integer()
    created = fields.Integer()
    unchanged = fields.Integer(metadata={
        "description": "Known already: loading a file twice changes nothing."})
    linked = fields.Integer(metadata={"description": "Created and linked to a known account (announced)."})
    awaiting_account = fields.Integer(metadata={
        "description": "Created; linked and announced once an account with the Noloc number registers."})


# --- verifiable credentials (ADR 0030) --------------------------------------------------------------------

REFUSAL_REASONS = tuple(REASONS)


@always_sent
class CredentialDownloadSchema(Schema):
    """The holder's credential: the signed JWT (what a verifier checks) and the credential it carries."""

    id = fields.UUID(attribute="credential.id")
    jwt = fields.String(attribute="credential.token", metadata={
        "description": "The credential secured with VC-JOSE (media type application/vc+jwt)."})
    credential = fields.Dict(keys=fields.String(), attribute="credential.document", metadata={
        "additionalProperties": True,
        "description": "The W3C VC 2.0 / Open Badges 3.0 credential in the JWT, decoded: JSON-LD whose "
                       "members the standards define, so it is not restated here."})
    certificate_number = fields.String(attribute="certificate.number")
    holder_name = fields.String()
    valid_from = fields.Date(attribute="credential.valid_from")
    valid_until = fields.Date(attribute="credential.valid_until")
    kid = fields.String(attribute="credential.kid")
    issued_at = UtcDateTime(attribute="credential.issued_at")
    verification_url = fields.String(metadata={"description": "The public verification page (the PDF's QR)."})


class VerifyInputSchema(Strict):
    credential = fields.String(required=True, validate=validate.Length(min=1, max=64 * 1024), metadata={
        "description": "The credential's JWT, or the JSON download that holds it (its member jwt)."})


@always_sent
class VerificationSchema(Schema):
    """The verifier's verdict: valid, or refused with a reason; and what the credential says (also when
    refused, so that a person sees what was refused)."""

    valid = fields.Boolean()
    reason = fields.String(allow_none=True, metadata={"enum": [*REFUSAL_REASONS, None],
                                                      "description": "null when valid"})
    message = Computed("_message", fields.String(), metadata={
        "description": "The verdict for a person, in the language of Accept-Language."})
    credential_id = fields.String(attribute="summary.credential_id", allow_none=True)
    certificate_number = fields.String(attribute="summary.certificate_number", allow_none=True)
    holder_name = fields.String(attribute="summary.holder_name", allow_none=True)
    issuer_name = fields.String(attribute="summary.issuer_name", allow_none=True)
    valid_from = UtcDateTime(attribute="summary.valid_from", allow_none=True)
    valid_until = UtcDateTime(attribute="summary.valid_until", allow_none=True)
    kid = fields.String(allow_none=True)
    status_as_of = UtcDateTime(allow_none=True, metadata={
        "description": "When the status list that was read was signed; null when it was not read."})

    def _message(self, verdict: Any) -> str:
        return verdict.text(request_language())


class JwkSchema(Schema):
    kty = fields.String(metadata={"enum": ["OKP"]})
    crv = fields.String(metadata={"enum": ["Ed25519"]})
    x = fields.String()
    kid = fields.String()
    alg = fields.String(metadata={"enum": ["EdDSA"]})
    use = fields.String(metadata={"enum": ["sig"]})


class JwksSchema(Schema):
    keys = fields.List(fields.Nested(JwkSchema))


class IssuerProfileSchema(Schema):
    id = fields.String()
    type = fields.List(fields.String())
    name = fields.String()
    url = fields.String()


class RotatedKeySchema(Schema):
    kid = fields.String()
    activates_at = UtcDateTime()


class RevokedCredentialsSchema(Schema):
    credential_ids = fields.List(fields.UUID())
