"""Notifications' HTTP API (all under /v1/messages).

Who sees what: everyone signed in (jobcoach, assessor, DNV officer, Noloc admin) reads and marks only their
own in-app messages; anyone else's answers 404, as if it did not exist. Noloc admins, who operate the
platform, also see the e-mails that failed for good and may send one again; DNV officers see them too (a
decision or an assignment that did not reach its reader is theirs to follow up), and ask Noloc to send
one again once the address is right.
"""
from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import current_app
from flask_smorest import Blueprint

from recert_common.auth import Role, current_principal, require_auth, require_roles
from recert_common.schemas import page_body
from recert_common.web import answers
from recert_notifications.problems import NotFailed
from recert_notifications.schemas import (
    EmailDeliveryPageSchema,
    EmailDeliverySchema,
    InboxMessageSchema,
    InboxPageSchema,
    InboxQuerySchema,
    MarkedSchema,
    PageQuerySchema,
    UnreadCountSchema,
)
from recert_notifications.service import NotificationsService

messages = Blueprint("messages", __name__, url_prefix="/v1/messages",
                     description="The in-app inbox of the signed-in person, and failed e-mail for operators.")
from recert_notifications.desk_api import service_desk  # noqa: E402 (after messages, as documented)

BLUEPRINTS = (messages, service_desk)


def _service() -> NotificationsService:
    return current_app.extensions["notifications"]


def _me() -> UUID:
    return current_principal().account_id


@messages.get("")
@require_auth
@messages.arguments(InboxQuerySchema, location="query")
@messages.response(200, InboxPageSchema)
def list_messages(query: dict[str, Any]):
    """Your in-app messages, newest first (``unread=true``: only the unread ones)."""
    items, total = _service().inbox(_me(), unread_only=query["unread"], page=query["page"],
                                    page_size=query["page_size"])
    return page_body(items, total, query)


@messages.get("/unread-count")
@require_auth
@messages.response(200, UnreadCountSchema)
def unread_count():
    """How many of your in-app messages are unread."""
    return {"unread": _service().unread_count(_me())}


@messages.post("/read-all")
@require_auth
@messages.response(200, MarkedSchema)
def read_all():
    """Mark all your in-app messages read."""
    return {"marked": _service().mark_all_read(_me())}


@messages.get("/failed")
@require_roles(Role.NOLOC_ADMIN, Role.DNV_OFFICER)
@messages.arguments(PageQuerySchema, location="query")
@messages.response(200, EmailDeliveryPageSchema)
def list_failed(query: dict[str, Any]):
    """E-mails that failed for good (after the last try, or refused permanently), latest first."""
    items, total = _service().failed_emails(page=query["page"], page_size=query["page_size"])
    return page_body(items, total, query)


@messages.get("/<uuid:message_id>")
@require_auth
@messages.response(200, InboxMessageSchema)
def get_message(message_id: UUID):
    """One of your in-app messages; 404 for anyone else's."""
    return _service().inbox_message(_me(), message_id)


@messages.post("/<uuid:message_id>/read")
@require_auth
@messages.response(200, InboxMessageSchema)
def mark_read(message_id: UUID):
    """Mark one of your in-app messages read (again: no change); 404 for anyone else's."""
    return _service().mark_read(_me(), message_id)


@messages.post("/<uuid:message_id>/retry")
@answers(NotFailed)
@require_roles(Role.NOLOC_ADMIN)
@messages.response(200, EmailDeliverySchema)
def retry(message_id: UUID):
    """Send a failed e-mail again, with a new series of tries; 409 when it has not failed."""
    return _service().retry(message_id)
