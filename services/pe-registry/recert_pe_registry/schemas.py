"""The bodies and queries the PE registry's HTTP API reads and writes. Input schemas refuse unknown fields.

Points and amounts travel as decimal strings (``"1.5"``, ``"28"``), never as floats; dates are ISO 8601.
"""
from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from recert_common.rules import format_number
from recert_common.schemas import MAX_PAGE, PageSchema, Strict, UtcDateTime, always_sent, text
from recert_pe_registry.domain import EVIDENCE_KINDS, READING_FAILURES, UNITS

_UNIT_DESCRIPTION = ("sbu: study-load hours (1 PE point each); ects: ECTS credits (28 PE points each); "
                     "points: PE points awarded directly by the provider.")


class Points(fields.String):
    """Output only: a decimal as a plain string, no trailing zeros (``Decimal("12.50")`` -> ``"12.5"``)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format_number(Decimal(value), "en")


class Amount(fields.Decimal):
    """An input amount: a JSON number or a decimal string, at most two decimals, finite."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("description", "A decimal number, e.g. 1.5 or \"1.5\".")
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        number = super()._deserialize(value, attr, data, **kwargs)
        if number.as_tuple().exponent < -2:
            raise ValidationError("pe.field.two_decimals")
        return number


def _category(*, strict: bool = True, **kwargs) -> fields.Integer:
    # Strict in JSON bodies (1.5 or "1" is a mistake there); a query string is text by nature.
    return fields.Integer(strict=strict, metadata={
        "description": "Number of a category of the assessment framework (GET /v1/pe/categories); "
                       "1 is bij- en nascholing in het vakgebied."}, **kwargs)


# --- activities -------------------------------------------------------------------------------------------


class ActivityCreateSchema(Strict):
    title = text(300, required=True)
    provider = text(200, required=True)
    completed_on = fields.Date(required=True, metadata={
        "description": "Not after today, not before the start of the current certificate period."})
    category = _category(required=True)
    amount = Amount(required=True)
    unit = fields.String(required=True, validate=validate.OneOf(tuple(UNITS)),
                         metadata={"description": _UNIT_DESCRIPTION})
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))


class ActivityUpdateSchema(Strict):
    """Only the fields given change; the points are computed again when the study load changes."""

    title = text(300)
    provider = text(200)
    completed_on = fields.Date()
    category = _category()
    amount = Amount()
    unit = fields.String(validate=validate.OneOf(tuple(UNITS)), metadata={"description": _UNIT_DESCRIPTION})
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("pe.field.nothing_to_change")


@always_sent
class EvidenceSchema(Schema):
    id = fields.UUID()
    activity_id = fields.UUID()
    account_id = fields.UUID()
    filename = fields.String()
    content_type = fields.String(metadata={"description": "The real type, from the file's first bytes."})
    size = fields.Integer(metadata={"description": "Bytes."})
    sha256 = fields.String()
    kind = fields.String(metadata={"enum": list(EVIDENCE_KINDS)})
    created_at = UtcDateTime()


@always_sent
class ActivitySchema(Schema):
    id = fields.UUID()
    account_id = fields.UUID()
    title = fields.String()
    provider = fields.String()
    completed_on = fields.Date()
    category = fields.Integer()
    amount = Points(metadata={"description": "The study load, in unit."})
    unit = fields.String(metadata={"enum": list(UNITS), "description": _UNIT_DESCRIPTION})
    points = Points(metadata={
        "description": "PE points of the activity; category maxima apply in the summary."})
    description = fields.String(allow_none=True)
    source = fields.String(metadata={"enum": ["manual", "noloc_academy"]})
    external_id = fields.String(allow_none=True, metadata={
        "description": "Noloc Academie id of an imported activity (provenance); null when entered by hand."})
    locked = fields.Boolean(metadata={
        "description": "Part of a submitted portfolio: cannot be changed or removed, nor get evidence."})
    framework_version = fields.String()
    evidence = fields.List(fields.Nested(EvidenceSchema))
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class ActivityQuerySchema(Strict):
    from_ = fields.Date(data_key="from", load_default=None,
                        metadata={"description": "Completed on or after."})
    to = fields.Date(load_default=None, metadata={"description": "Completed on or before."})
    category = _category(strict=False, load_default=None)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise ValidationError("Must be less than or equal to {}.".format(data["to"].isoformat()), "from")


class ActivityPageSchema(PageSchema):
    items = fields.List(fields.Nested(ActivitySchema))


# --- evidence ---------------------------------------------------------------------------------------------


class EvidenceUploadQuerySchema(Strict):
    filename = fields.String(load_default=None, metadata={
        "description": "The file's name, when the request has no Content-Disposition header."})
    kind = fields.String(load_default="other", validate=validate.OneOf(EVIDENCE_KINDS))


class EvidenceUploadSchema(EvidenceSchema):
    deduplicated = fields.Boolean(metadata={
        "description": "The same file (SHA-256) was stored before by this jobcoach; its bytes are reused."})
    duplicate_of = fields.UUID(allow_none=True, metadata={
        "description": "The evidence that already holds these bytes (this activity's own on a 200)."})


# --- summary and categories -------------------------------------------------------------------------------


class SummaryQuerySchema(Strict):
    from_ = fields.Date(data_key="from", load_default=None,
                        metadata={"description": "Default: the start of the current certificate period."})
    to = fields.Date(load_default=None, metadata={"description": "Default: the certificate's expiry date."})


@always_sent
class PeriodSchema(Schema):
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    source = fields.String(metadata={"enum": ["certificate", "fallback", "requested"], "description": (
        "certificate: the current certificate period; fallback: no certificate known yet, the last four "
        "years up to today; requested: from/to as asked.")})


@always_sent
class CategorySummarySchema(Schema):
    number = fields.Integer()
    key = fields.String()
    name = fields.String()
    minimum = Points()
    maximum = Points(allow_none=True)
    raw = Points(metadata={"description": "Every point of the activities with evidence in the period."})
    counted = Points(metadata={"description": "Raw capped at the maximum."})
    uncounted = Points(metadata={"description": "Points above the maximum."})
    missing = Points(metadata={"description": "Still needed to reach the minimum."})
    activities = fields.Integer(metadata={"description": "Activities with evidence (these count)."})
    activities_without_evidence = fields.Integer(metadata={
        "description": "Activities recorded without evidence: they do not count until evidence is added."})
    points_without_evidence = Points()


@always_sent
class WithoutEvidenceSchema(Schema):
    activity_id = fields.UUID()
    title = fields.String()
    completed_on = fields.Date()
    category = fields.Integer()
    points = Points(metadata={"description": "Points that would count with evidence (before maxima)."})
    message = fields.String(metadata={"description": "\"Bewijs ontbreekt ...\", in the language of "
                                                    "Accept-Language."})


@always_sent
class MissingSchema(Schema):
    code = fields.String(metadata={"enum": ["category_minimum", "total"]})
    category = fields.Integer(allow_none=True)
    points = Points()
    message = fields.String(metadata={"description": "In the language of Accept-Language."})


@always_sent
class SummarySchema(Schema):
    account_id = fields.UUID()
    period = fields.Nested(PeriodSchema)
    framework_version = fields.String()
    categories_official = fields.Boolean(metadata={
        "description": "False while the category list is the platform's default, not Noloc's official one."})
    required_total = Points()
    recorded_total = Points(metadata={
        "description": "Every point recorded in the period, with or without evidence, before maxima."})
    without_evidence_total = Points(metadata={
        "description": "Points of activities without evidence: recorded, not counted."})
    raw_total = Points(metadata={
        "description": "Points of the activities with evidence (or imported from the Noloc Academie), before "
                       "maxima: recorded_total - without_evidence_total."})
    counted_total = Points(metadata={
        "description": "raw_total with the category maxima applied: what readiness and the snapshot count."})
    missing_total = Points()
    points_still_needed = Points()
    met = fields.Boolean()
    minimum_met = fields.Boolean()
    total_met = fields.Boolean()
    categories = fields.List(fields.Nested(CategorySummarySchema))
    missing = fields.List(fields.Nested(MissingSchema))
    activities_without_evidence = fields.List(fields.Nested(WithoutEvidenceSchema), metadata={
        "description": "Activities in the period that lack evidence (bewijs ontbreekt), oldest first."})


class UnitSchema(Schema):
    unit = fields.String()
    name = fields.String()
    points_per_unit = Points()
    max_per_activity = Points()


class CategorySchema(Schema):
    number = fields.Integer()
    key = fields.String()
    name = fields.String()
    minimum = Points()
    maximum = Points(allow_none=True)


class CategoriesSchema(Schema):
    framework_version = fields.String()
    official = fields.Boolean()
    note = fields.String()
    required_total = Points()
    units = fields.List(fields.Nested(UnitSchema))
    categories = fields.List(fields.Nested(CategorySchema))


# --- evidence read for the jobcoach (ADR 0027) --------------------------------------------------------------


class ReadingUploadQuerySchema(Strict):
    filename = fields.String(load_default=None, metadata={
        "description": "The file's name, when the request has no Content-Disposition header."})


@always_sent
class ProposalSchema(Schema):
    """What the reading found; null where the document did not say it clearly."""

    title = fields.String(allow_none=True)
    provider = fields.String(allow_none=True)
    completed_on = fields.Date(allow_none=True, metadata={
        "description": "The day the activity was held (the last day of a range)."})
    amount = Points(allow_none=True, metadata={"description": "The study load, in unit."})
    unit = fields.String(allow_none=True, metadata={"enum": [*UNITS, None], "description": _UNIT_DESCRIPTION})
    points = Points(allow_none=True, metadata={"description": "The PE points the amount gives."})
    category = fields.Integer(allow_none=True, metadata={
        "description": "Never guessed (the category list is the platform's default): the jobcoach chooses."})


@always_sent
class ReadingSchema(Schema):
    id = fields.UUID()
    account_id = fields.UUID()
    state = fields.String(metadata={"enum": ["pending", "proposed", "failed"], "description": (
        "pending: waiting for or being read; proposed: see proposal; failed: see failure.")})
    filename = fields.String()
    content_type = fields.String(metadata={"description": "The real type, from the file's first bytes."})
    size = fields.Integer(metadata={"description": "Bytes."})
    sha256 = fields.String()
    method = fields.String(allow_none=True, metadata={
        "enum": ["pdf_text", "email", "text", "ocr", None],
        "description": "How the text was taken from the file."})
    proposal = fields.Nested(ProposalSchema, allow_none=True)
    failure = fields.String(allow_none=True, metadata={"enum": [*READING_FAILURES, None]})
    failure_message = fields.String(allow_none=True, metadata={
        "description": "Why the reading failed and what to do, in the language of Accept-Language."})
    created_at = UtcDateTime()
    read_at = UtcDateTime(allow_none=True)


class ReadingPageSchema(PageSchema):
    items = fields.List(fields.Nested(ReadingSchema))
