"""The bodies notifications' HTTP API reads and writes. Input schemas refuse unknown fields."""
from __future__ import annotations

from datetime import UTC

from marshmallow import RAISE, Schema, fields, validate


class Strict(Schema):
    class Meta:
        unknown = RAISE


class UtcDateTime(fields.DateTime):
    """An instant in RFC 3339, always in UTC."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- input -----------------------------------------------------------------------------------------------


class PageQuerySchema(Strict):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class InboxQuerySchema(PageQuerySchema):
    unread = fields.Boolean(load_default=False, metadata={"description": "true: only unread messages."})


# --- output ----------------------------------------------------------------------------------------------


class InboxMessageSchema(Schema):
    id = fields.UUID()
    template = fields.String(metadata={"description": "What the message is about, e.g. portfolio_submitted."})
    language = fields.String(metadata={"enum": ["nl", "en"]})
    subject = fields.String()
    body_text = fields.String()
    body_html = fields.String(metadata={"description": "The same text as HTML (escaped, safe to show)."})
    created_at = UtcDateTime()
    read = fields.Function(lambda row: row["read_at"] is not None, dump_only=True)
    read_at = UtcDateTime(allow_none=True)
    trigger_event_type = fields.String(allow_none=True)


class InboxPageSchema(Schema):
    items = fields.List(fields.Nested(InboxMessageSchema))
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()


class UnreadCountSchema(Schema):
    unread = fields.Integer()


class MarkedSchema(Schema):
    marked = fields.Integer(metadata={"description": "How many messages were unread and are read now."})


class EmailDeliverySchema(Schema):
    """An e-mail as operators see it: to whom, what, and how delivery went."""

    id = fields.UUID()
    recipient_id = fields.UUID()
    email_address = fields.String()
    template = fields.String()
    language = fields.String()
    subject = fields.String()
    state = fields.String(metadata={"enum": ["pending", "sent", "failed"]})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    next_attempt_at = UtcDateTime(allow_none=True)
    failed_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()
    trigger_event_id = fields.UUID(allow_none=True)
    trigger_event_type = fields.String(allow_none=True)


class EmailDeliveryPageSchema(Schema):
    items = fields.List(fields.Nested(EmailDeliverySchema))
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()
