"""The service desk's HTTP API, all under /v1/desk (ADR 0029).

Who sees what: every logged-in person opens requests and reads and answers their own (``/v1/desk/requests``;
anyone else's answers 404); DNV's support staff (``dnv_support``) work the queue of confirmed requests
(``/v1/desk/queue``). A person who cannot log in opens a request with an e-mail address and follows it
through secret links in the e-mails (``/v1/desk/public``: no token; the gateway rate limits them per client
address); the answer to opening one is the same for every address.
"""
from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import current_app, request
from flask_smorest import Blueprint

from recert_common.auth import Role, current_principal, require_auth, require_roles
from recert_common.errors import UPLOAD_PROBLEMS, request_language
from recert_common.files import file_response, upload_filename
from recert_common.filetypes import UnsafeFilename, openapi_file_content, upload_rules
from recert_common.schemas import UploadRulesSchema, page_body
from recert_common.web import answers
from recert_notifications import desk
from recert_notifications.problems import ContactNotKnownYetProblem, LinkNotValidProblem, RequestClosedProblem
from recert_notifications.schemas import (
    AcceptedSchema,
    AttachmentQuerySchema,
    AttachmentSchema,
    ConfirmedSchema,
    NewLoggedOutRequestSchema,
    NewRequestSchema,
    PageQuerySchema,
    PostTextSchema,
    QueuePageSchema,
    QueueQuerySchema,
    RequestPageSchema,
    StateChangeSchema,
    SupportThreadSchema,
    ThreadSchema,
    TokenReplySchema,
    TokenSchema,
)
from recert_notifications.service import ServiceDesk

service_desk = Blueprint(
    "desk", __name__, url_prefix="/v1/desk",
    description="The service desk: requests to DNV's support, their threads and e-mails.")

_RAW_FILE_BODY = {
    "required": True,
    "description": "The file itself (PDF, PNG, JPEG, plain text or e-mail), at most 10 MB by default. Its "
                   "type is decided from its first bytes; the Content-Type sent is ignored. Name the file in "
                   "Content-Disposition (attachment; filename=\"...\") or in ?filename=.",
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}
_FILE_RESPONSE = {"description": "The file's bytes, streamed, with its stored type and name.",
                  "content": openapi_file_content()}


def _desk() -> ServiceDesk:
    return current_app.extensions["notifications"].desk


def _me() -> UUID:
    return current_principal().account_id


# --- a logged-in person --------------------------------------------------------------------------------


@service_desk.post("/requests")
@answers(ContactNotKnownYetProblem)
@require_auth
@service_desk.arguments(NewRequestSchema)
@service_desk.response(201, ThreadSchema)
def open_request(data: dict[str, Any]):
    """Ask DNV's support a question: the request is open at once, and support hears of it by e-mail."""
    return _desk().open_request(_me(), subject=data["subject"], text=data["text"])


@service_desk.get("/requests")
@require_auth
@service_desk.arguments(PageQuerySchema, location="query")
@service_desk.response(200, RequestPageSchema)
def my_requests(query: dict[str, Any]):
    """Your requests, newest first."""
    items, total = _desk().my_requests(_me(), page=query["page"], page_size=query["page_size"])
    return page_body(items, total, query)


@service_desk.get("/requests/<uuid:request_id>")
@require_auth
@service_desk.response(200, ThreadSchema)
def my_thread(request_id: UUID):
    """One of your requests with its thread; 404 for anyone else's."""
    return _desk().my_thread(_me(), request_id)


@service_desk.post("/requests/<uuid:request_id>/replies")
@answers(RequestClosedProblem)
@require_auth
@service_desk.arguments(PostTextSchema)
@service_desk.response(201, ThreadSchema)
def reply(data: dict[str, Any], request_id: UUID):
    """Reply in your request's thread: it is open for support again (409 once it is closed)."""
    return _desk().reply(_me(), request_id, data["text"])


@service_desk.post("/requests/<uuid:request_id>/attachments")
@answers(RequestClosedProblem, *UPLOAD_PROBLEMS)
@require_auth
@service_desk.arguments(AttachmentQuerySchema, location="query")
@service_desk.response(201, AttachmentSchema)
@service_desk.doc(requestBody=_RAW_FILE_BODY)
def attach(query: dict[str, Any], request_id: UUID):
    """Add a file to your request (the raw file as the body, streamed to storage), checked as evidence is."""
    service = _desk()
    # Only this route takes large bodies; one byte over the limit proves a stream without a length too big.
    request.max_content_length = service.settings.desk_max_attachment_bytes + 1
    try:
        filename = upload_filename(request)
        if not filename:
            raise UnsafeFilename("empty")
    except UnsafeFilename as refusal:
        raise desk.AttachmentRefused(refusal=refusal) from None
    try:
        return service.attach(_me(), request_id, _RequestBody(), filename=filename,
                              declared_length=request.content_length)
    except desk.AttachmentRefused:
        _drain()
        raise


def _drain() -> None:
    """Read what is left of a refused upload's body (the gateway bounds it), so that the connection it came
    on stays usable: refused with its body unread, the connection was closed under the gateway's next
    request on it (a 502)."""
    stream = request.environ.get("wsgi.input")
    if stream is None:
        return
    while stream.read(64 * 1024):
        pass


class _RequestBody:
    """The request's body stream, opened at the first read: what can be refused without it is first."""

    def read(self, size: int = -1) -> bytes:
        return request.stream.read(size)


@service_desk.get("/requests/<uuid:request_id>/attachments/<uuid:attachment_id>")
@require_auth
@service_desk.doc(responses={"200": _FILE_RESPONSE})
def my_attachment(request_id: UUID, attachment_id: UUID):
    """A file of your request, streamed."""
    found, chunks = _desk().open_attachment(request_id, attachment_id, account_id=_me())
    return file_response(chunks, filename=found.filename, mimetype=found.content_type, length=found.size)


@service_desk.get("/attachment-rules")
@require_auth
@service_desk.response(200, UploadRulesSchema)
def attachment_rules():
    """What an attachment may be, so that a frontend can say so before the upload: the types (decided by the
    file's content) and the largest size (RECERT_NOTIFICATIONS_DESK_MAX_ATTACHMENT_BYTES)."""
    return upload_rules(_desk().settings.desk_max_attachment_bytes, request_language())


# --- a person who cannot log in ------------------------------------------------------------------------


@service_desk.post("/public/requests")
@service_desk.arguments(NewLoggedOutRequestSchema)
@service_desk.response(202, AcceptedSchema)
def open_request_logged_out(data: dict[str, Any]):
    """Ask DNV's support a question without logging in. An e-mail with a link goes to the address; the
    request reaches support once the link is followed. The answer is the same for every address."""
    _desk().open_request_logged_out(email=data["email"], name=data["name"], subject=data["subject"],
                                    text=data["text"], language=data["language"])
    return {"accepted": True}


@service_desk.post("/public/confirm")
@answers(LinkNotValidProblem)
@service_desk.arguments(TokenSchema)
@service_desk.response(200, ConfirmedSchema)
def confirm(data: dict[str, Any]):
    """Follow the confirmation link: the request is open for support. Returns its thread and a secret token
    to follow it with."""
    thread, token = _desk().confirm(data["token"])
    return {"thread": thread, "token": token}


@service_desk.post("/public/thread")
@answers(LinkNotValidProblem)
@service_desk.arguments(TokenSchema)
@service_desk.response(200, ThreadSchema)
def link_thread(data: dict[str, Any]):
    """The request and its thread, by the secret of a link in an e-mail about it."""
    return _desk().link_thread(data["token"])


@service_desk.post("/public/replies")
@answers(LinkNotValidProblem, RequestClosedProblem)
@service_desk.arguments(TokenReplySchema)
@service_desk.response(201, ThreadSchema)
def link_reply(data: dict[str, Any]):
    """Reply in the thread, by the secret of a link in an e-mail about it."""
    return _desk().link_reply(data["token"], data["text"])


# --- DNV's support ---------------------------------------------------------------------------------------


@service_desk.get("/queue")
@require_roles(Role.DNV_SUPPORT)
@service_desk.arguments(QueueQuerySchema, location="query")
@service_desk.response(200, QueuePageSchema)
def queue(query: dict[str, Any]):
    """The confirmed requests, the longest untouched first (``state`` filters)."""
    items, total = _desk().queue(state=query["state"], page=query["page"], page_size=query["page_size"])
    return page_body(items, total, query)


@service_desk.get("/queue/<uuid:request_id>")
@require_roles(Role.DNV_SUPPORT)
@service_desk.response(200, SupportThreadSchema)
def support_thread(request_id: UUID):
    """A confirmed request with its thread, the requester's address and the account it is matched to."""
    return _desk().support_thread(request_id)


@service_desk.post("/queue/<uuid:request_id>/answers")
@answers(RequestClosedProblem)
@require_roles(Role.DNV_SUPPORT)
@service_desk.arguments(PostTextSchema)
@service_desk.response(201, SupportThreadSchema)
def answer(data: dict[str, Any], request_id: UUID):
    """Answer in the thread: the request is answered and the requester gets the answer by e-mail."""
    return _desk().answer(_me(), request_id, data["text"])


@service_desk.post("/queue/<uuid:request_id>/state")
@require_roles(Role.DNV_SUPPORT)
@service_desk.arguments(StateChangeSchema)
@service_desk.response(200, SupportThreadSchema)
def set_state(data: dict[str, Any], request_id: UUID):
    """Set the request's state: open, answered or closed."""
    return _desk().set_state(_me(), request_id, data["state"])


@service_desk.get("/queue/<uuid:request_id>/attachments/<uuid:attachment_id>")
@require_roles(Role.DNV_SUPPORT)
@service_desk.doc(responses={"200": _FILE_RESPONSE})
def support_attachment(request_id: UUID, attachment_id: UUID):
    """A file of a confirmed request, streamed."""
    found, chunks = _desk().open_attachment(request_id, attachment_id, account_id=None)
    return file_response(chunks, filename=found.filename, mimetype=found.content_type, length=found.size)


__all__ = ["service_desk"]
