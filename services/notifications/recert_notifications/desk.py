"""The service desk's rules (ADR 0029): requests to DNV's support, their states, who may read and write a
thread, and the secret tokens of the e-mailed links. No Flask, no SQL, no broker.

A request is opened by a logged-in person (open at once) or by a person who cannot log in, with their e-mail
address (``unconfirmed`` until the link in the e-mail is followed: only then does support see it). Support
answers (``answered``) and sets the state (open, answered, closed); a reply of the requester opens it
again. A closed request takes no more replies: the requester opens a new one.
"""
from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from recert_common.domain_errors import DomainError, NotFoundError


class RequestState(enum.StrEnum):
    UNCONFIRMED = "unconfirmed"
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


#: The states support may set by hand (``unconfirmed`` is only ever the start of a logged-out request).
SETTABLE_STATES: tuple[str, ...] = (RequestState.OPEN, RequestState.ANSWERED, RequestState.CLOSED)
#: The states the queue can be filtered by: what support sees.
QUEUE_STATES: tuple[str, ...] = SETTABLE_STATES


class PostKind(enum.StrEnum):
    QUESTION = "question"  # the text the request was opened with
    REPLY = "reply"  # the requester's
    ANSWER = "answer"  # support's
    NOTE = "note"  # what support did (a reset authenticator app), in the thread for both sides


@dataclass(frozen=True)
class ServiceRequest:
    id: UUID
    requester_account_id: UUID | None
    requester_email: str
    requester_name: str
    language: str
    subject: str
    state: RequestState
    matched_account_id: UUID | None
    confirmed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def logged_in(self) -> bool:
        """Opened by a logged-in person (who follows it in the portal), or with an e-mail address."""
        return self.requester_account_id is not None

    @property
    def matched(self) -> bool:
        return self.matched_account_id is not None


@dataclass(frozen=True)
class Post:
    id: UUID
    request_id: UUID
    kind: PostKind
    author_account_id: UUID | None
    author_name: str
    text: str
    created_at: datetime

    @property
    def from_support(self) -> bool:
        return self.kind in (PostKind.ANSWER, PostKind.NOTE)


@dataclass(frozen=True)
class Attachment:
    id: UUID
    request_id: UUID
    object_key: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: UUID
    created_at: datetime


@dataclass(frozen=True)
class Thread:
    request: ServiceRequest
    posts: list[Post] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)


# --- refusals --------------------------------------------------------------------------------------------


class RequestNotFound(NotFoundError):
    """Someone else's request, an unconfirmed one for support, or none: they look the same."""


class ContactNotKnownYet(DomainError):
    """The account's contact has not reached notifications yet (a brand-new account): try again shortly."""


class LinkNotValid(DomainError):
    """A confirmation or thread link that is unknown, used or expired."""


class RequestClosed(DomainError):
    """A closed request takes no replies or answers; support may open it again."""


class StateNotSettable(DomainError):
    state: str


class AttachmentNotFound(NotFoundError):
    pass


class AttachmentRefused(DomainError):
    """An upload not stored; ``refusal`` (a ``recert_common.filetypes.UploadRefused``) says why."""


# --- rules -----------------------------------------------------------------------------------------------


def new_token() -> tuple[str, str]:
    """A secret for a link (256 bits, URL-safe) and its SHA-256, which is all that is stored."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def confirm_expiry(now: datetime, hours: int) -> datetime:
    return now + timedelta(hours=hours)


def link_expiry(now: datetime, days: int) -> datetime:
    return now + timedelta(days=days)


def normalised_email(address: str) -> str:
    return address.strip()


def may_open_unconfirmed(recent_unconfirmed: int, limit: int) -> bool:
    """Whether one more unconfirmed request may be made (and mailed) for an address: ``recent_unconfirmed``
    were made for it in the last day. Beyond the limit the answer stays the same but no e-mail goes, so the
    form cannot be used to flood somebody's mailbox from many client addresses."""
    return recent_unconfirmed < limit


def after_reply(request: ServiceRequest) -> RequestState:
    """A requester's reply: refused on a closed request, otherwise it is open (again) for support."""
    if request.state == RequestState.CLOSED:
        raise RequestClosed()
    return RequestState.OPEN


def after_answer(request: ServiceRequest) -> RequestState:
    """Support's answer: refused on a closed request (open it first), otherwise it is answered."""
    if request.state == RequestState.CLOSED:
        raise RequestClosed()
    return RequestState.ANSWERED


def settable(state: str) -> RequestState:
    if state not in SETTABLE_STATES:
        raise StateNotSettable(state=state)
    return RequestState(state)


def belongs_to(request: ServiceRequest, account_id: UUID) -> bool:
    """The account's request: opened by it logged in, or opened logged out from the address identity
    announced for it and matched to it when confirmed (whoever confirmed it reads that mailbox)."""
    return account_id in (request.requester_account_id, request.matched_account_id)


def visible_to_requester(request: ServiceRequest | None, account_id: UUID) -> ServiceRequest:
    """The request for its person, logged in: theirs (``belongs_to``) or it does not exist for them. A
    logged-out requester follows it through the links, which never say whether the address matched."""
    if request is None or not belongs_to(request, account_id):
        raise RequestNotFound()
    return request


def visible_to_support(request: ServiceRequest | None) -> ServiceRequest:
    """Support sees a request once it is confirmed; an unconfirmed one does not exist for them yet."""
    if request is None or request.state == RequestState.UNCONFIRMED:
        raise RequestNotFound()
    return request


def identity_note(language: str, *, by: str, identity_check: str | None) -> str:
    """The note in the thread when support reset the requester's authenticator app (both sides read it)."""
    check = (identity_check or "").strip()
    if language == "en":
        text = f"{by} unlinked the authenticator app of this account. The next login links a new one."
        return text + (f"\nHow identity was checked: {check}" if check else "")
    text = (f"{by} heeft de authenticator-app van dit account losgekoppeld. Bij de volgende login koppel je "
            "een nieuwe.")
    return text + (f"\nZo is de identiteit gecontroleerd: {check}" if check else "")
