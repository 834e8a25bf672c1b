"""The bodies notifications' HTTP API reads and writes. Input schemas refuse unknown fields."""
from __future__ import annotations

from marshmallow import Schema, fields

from recert_common.schemas import PageQuerySchema, PageSchema, UtcDateTime, always_sent

# --- input -----------------------------------------------------------------------------------------------


class InboxQuerySchema(PageQuerySchema):
    unread = fields.Boolean(load_default=False, metadata={"description": "true: only unread messages."})


# --- output ----------------------------------------------------------------------------------------------


@always_sent
class InboxMessageSchema(Schema):
    id = fields.UUID()
    template = fields.String(metadata={"description": "What the message is about, e.g. portfolio_submitted."})
    language = fields.String(metadata={"enum": ["nl", "en"]})
    subject = fields.String()
    body_text = fields.String()
    body_html = fields.String(metadata={"description": "The same text as HTML (escaped, safe to show)."})
    created_at = UtcDateTime()
    read = fields.Function(lambda message: message.read_at is not None, dump_only=True,
                           metadata={"type": "boolean"})
    read_at = UtcDateTime(allow_none=True)
    trigger_event_type = fields.String(allow_none=True)


class InboxPageSchema(PageSchema):
    items = fields.List(fields.Nested(InboxMessageSchema))


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


class EmailDeliveryPageSchema(PageSchema):
    items = fields.List(fields.Nested(EmailDeliverySchema))
