"""The bodies notifications' HTTP API reads and writes. Input schemas refuse unknown fields."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from recert_common.schemas import PageQuerySchema, PageSchema, Strict, UtcDateTime, always_sent
from recert_notifications.desk import QUEUE_STATES, SETTABLE_STATES, PostKind

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
    recipient_id = fields.UUID(allow_none=True, metadata={
        "description": "null: an e-mail to an address that is no account (the service desk's)."})
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


# --- the service desk (ADR 0029) -------------------------------------------------------------------------

_SUBJECT = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "What the request is about, in one line."})
_TEXT = fields.String(required=True, validate=validate.Length(min=1, max=10000))
_STATES = ["unconfirmed", "open", "answered", "closed"]


class NewRequestSchema(Strict):
    subject = _SUBJECT
    text = _TEXT


class NewLoggedOutRequestSchema(Strict):
    email = fields.Email(required=True, validate=validate.Length(max=254),
                         metadata={"description": "Where the confirmation link and the answers go."})
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    subject = _SUBJECT
    text = _TEXT
    language = fields.String(load_default="nl", validate=validate.OneOf(["nl", "en"]),
                             metadata={"description": "The language of the e-mails."})


class PostTextSchema(Strict):
    text = _TEXT


class TokenSchema(Strict):
    token = fields.String(required=True, validate=validate.Length(min=16, max=128),
                          metadata={"description": "The secret from the e-mailed link."})


class TokenReplySchema(TokenSchema):
    text = _TEXT


class StateChangeSchema(Strict):
    state = fields.String(required=True, validate=validate.OneOf(list(SETTABLE_STATES)))


class QueueQuerySchema(PageQuerySchema):
    state = fields.String(load_default=None, validate=validate.OneOf(list(QUEUE_STATES)),
                          metadata={"description": "Only requests in this state."})


class AttachmentQuerySchema(Strict):
    filename = fields.String(load_default=None, validate=validate.Length(min=1, max=255),
                             metadata={"description": "The file's name, unless Content-Disposition names "
                                                      "it."})


@always_sent
class RequestSummarySchema(Schema):
    id = fields.UUID()
    subject = fields.String()
    state = fields.String(metadata={"enum": _STATES})
    requester_name = fields.String()
    logged_in = fields.Boolean(metadata={"description": "false: opened with an e-mail address, "
                                                        "followed through the e-mails."})
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


@always_sent
class QueueItemSchema(RequestSummarySchema):
    requester_email = fields.String()
    matched_account_id = fields.UUID(allow_none=True, metadata={
        "description": "The account whose confirmed address is the requester's; null when none is."})


class RequestPageSchema(PageSchema):
    items = fields.List(fields.Nested(RequestSummarySchema))


class QueuePageSchema(PageSchema):
    items = fields.List(fields.Nested(QueueItemSchema))


@always_sent
class PostSchema(Schema):
    id = fields.UUID()
    kind = fields.String(metadata={"enum": [k.value for k in PostKind]})
    from_support = fields.Boolean()
    author_name = fields.String()
    text = fields.String()
    created_at = UtcDateTime()


@always_sent
class AttachmentSchema(Schema):
    id = fields.UUID()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    created_at = UtcDateTime()


@always_sent
class ThreadSchema(Schema):
    """A request and its thread, as its requester sees it."""

    request = fields.Nested(RequestSummarySchema)
    posts = fields.List(fields.Nested(PostSchema))
    attachments = fields.List(fields.Nested(AttachmentSchema))


@always_sent
class SupportThreadSchema(ThreadSchema):
    """A request and its thread, as DNV's support sees it: with the address and the matched account."""

    request = fields.Nested(QueueItemSchema)


@always_sent
class ConfirmedSchema(Schema):
    thread = fields.Nested(ThreadSchema)
    token = fields.String(metadata={"description": "A secret link's token to follow the request (POST "
                                                  "/v1/desk/public/thread)."})


class AcceptedSchema(Schema):
    accepted = fields.Boolean(metadata={"description": "Always true: the answer is the same for every "
                                                       "address."})
