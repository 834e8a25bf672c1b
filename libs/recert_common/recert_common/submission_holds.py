"""The one synchronous question portfolio asks pe-registry (ADR 0044): hold these activities for the
submission I am about to seal, if what I saw of them is what you have. Both services read the body through
these schemas, so the two ends cannot drift apart.

``POST /v1/internal/submission-holds`` (pe-registry, not routed by the gateway) with the jobcoach's own
access token: 201 with ``held_until``; 409 ``pe-changed-since-seen`` naming the activities that differ.
``DELETE /v1/internal/submission-holds/{submission_id}``: 204, the hold let go of.
"""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from recert_common.events.catalogue import SHA256_HEX
from recert_common.schemas import Strict, UtcDateTime

#: The problem type's slug pe-registry answers when portfolio's copy is not what it holds.
CHANGED_SLUG = "pe-changed-since-seen"

# Far above what a jobcoach records in a period (about 40 activities is usual), far below a harmful body.
MAX_ACTIVITIES = 2000
MAX_EVIDENCE_PER_ACTIVITY = 200


class ActivityFactsSchema(Strict):
    """What a snapshot records of an activity."""

    id = fields.UUID(required=True)
    category = fields.Integer(required=True, strict=True)
    title = fields.String(required=True, validate=validate.Length(max=300))
    completed_on = fields.Date(required=True)
    points = fields.Decimal(required=True, as_string=True, allow_nan=False)
    evidence_sha256s = fields.List(fields.String(validate=SHA256_HEX), required=True,
                                   validate=validate.Length(max=MAX_EVIDENCE_PER_ACTIVITY))


class HoldPeriodSchema(Strict):
    first = fields.Date(required=True, data_key="from")
    last = fields.Date(required=True, data_key="to")

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data["first"] > data["last"]:
            raise ValidationError("The period ends before it starts.", "to")


class SubmissionHoldSchema(Strict):
    submission_id = fields.UUID(required=True)
    period = fields.Nested(HoldPeriodSchema, required=True, metadata={
        "description": "The submission's PE period: every activity completed in it is compared."})
    seen = fields.List(fields.Nested(ActivityFactsSchema), required=True,
                       validate=validate.Length(max=MAX_ACTIVITIES),
                       metadata={"description": "Every activity of the jobcoach in the period, as portfolio "
                                                "has it."})
    activity_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(max=MAX_ACTIVITIES),
                               metadata={"description": "The activities the snapshot names: to hold."})


class SubmissionHeldSchema(Strict):
    submission_id = fields.UUID(required=True)
    held_until = UtcDateTime(required=True)
