"""Notifications' problem types, the answer to each refusal of the domain (``PROBLEMS``), and the texts a
person reads, in Dutch and English (ADR 0004)."""
from __future__ import annotations

from recert_common import i18n
from recert_common.domain_errors import ProblemMap
from recert_common.errors import (
    BadRequest,
    Conflict,
    NotFound,
    UploadProblem,
    ValidationProblem,
    extension_members,
    upload_problem,
)
from recert_notifications import desk
from recert_notifications.domain import MessageNotFailed, MessageNotFound


class NotFailed(Conflict):
    """Only an e-mail that failed for good can be retried by hand; a pending one is being retried already."""

    slug, title_code = "message-not-failed", "notifications.problem.not_failed"
    members = extension_members(state="string")

    def __init__(self, *, state: str):
        super().__init__(code="notifications.detail.not_failed", params={"state": i18n.Label(state)},
                         extensions={"state": state})


class LinkNotValidProblem(BadRequest):
    """The link of an e-mail (confirmation, thread) is unknown, used or expired: which, is not said."""

    slug, title_code = "desk-link-not-valid", "desk.problem.link_not_valid"

    def __init__(self) -> None:
        super().__init__(code="desk.detail.link_not_valid")


class RequestClosedProblem(Conflict):
    slug, title_code = "desk-request-closed", "desk.problem.request_closed"

    def __init__(self) -> None:
        super().__init__(code="desk.detail.request_closed")


class ContactNotKnownYetProblem(Conflict):
    slug, title_code = "desk-contact-not-known-yet", "desk.problem.contact_not_known_yet"

    def __init__(self) -> None:
        super().__init__(code="desk.detail.contact_not_known_yet")


def _attachment_refused(error: desk.AttachmentRefused) -> UploadProblem:
    """An attachment is refused with the same problem type, title and members as evidence (recert_common)."""
    return upload_problem(error.refusal)


PROBLEMS = ProblemMap({
    MessageNotFound: lambda error: NotFound(code="notifications.detail.not_found"),
    MessageNotFailed: lambda error: NotFailed(state=error.state),
    desk.RequestNotFound: lambda error: NotFound(code="desk.detail.request_not_found"),
    desk.AttachmentNotFound: lambda error: NotFound(code="desk.detail.attachment_not_found"),
    desk.LinkNotValid: lambda error: LinkNotValidProblem(),
    desk.RequestClosed: lambda error: RequestClosedProblem(),
    desk.ContactNotKnownYet: lambda error: ContactNotKnownYetProblem(),
    desk.StateNotSettable: lambda error: ValidationProblem({"state": ["desk.field.state_not_settable"]}),
    desk.AttachmentRefused: _attachment_refused,
})

i18n.register_messages({
    "notifications.problem.not_failed": {"nl": "Dit bericht is niet mislukt",
                                         "en": "This message has not failed"},
    "notifications.detail.not_found": {"nl": "Dit bericht is niet gevonden.",
                                       "en": "This message was not found."},
    "notifications.detail.not_failed": {
        "nl": "Alleen een mislukte e-mail kan opnieuw worden verstuurd; deze heeft de status {state}.",
        "en": "Only a failed e-mail can be sent again; this one is {state}."},
})

i18n.register_messages({
    "desk.problem.link_not_valid": {"nl": "Deze link werkt niet (meer)",
                                    "en": "This link does not work (any more)"},
    "desk.problem.request_closed": {"nl": "Deze vraag is gesloten", "en": "This request is closed"},
    "desk.problem.contact_not_known_yet": {"nl": "Je account is nog niet bekend bij de helpdesk",
                                           "en": "Your account is not known to the help desk yet"},
    "desk.detail.link_not_valid": {
        "nl": "De link is onbekend, al gebruikt of verlopen. Stel je vraag opnieuw, dan krijg je een nieuwe.",
        "en": "The link is unknown, used already or expired. Ask your question again to get a new one."},
    "desk.detail.request_closed": {
        "nl": "Op een gesloten vraag kun je niet meer reageren. Stel een nieuwe vraag.",
        "en": "A closed request takes no more replies. Ask a new question."},
    "desk.detail.contact_not_known_yet": {
        "nl": "Je account is net gemaakt en nog niet bij de helpdesk bekend. Probeer het over een minuut "
              "opnieuw.",
        "en": "Your account was just made and is not known to the help desk yet. Try again in a minute."},
    "desk.detail.request_not_found": {"nl": "Deze vraag is niet gevonden.",
                                      "en": "This request was not found."},
    "desk.detail.attachment_not_found": {"nl": "Deze bijlage is niet gevonden.",
                                         "en": "This attachment was not found."},
    "desk.field.state_not_settable": {"nl": "Kies open, beantwoord of gesloten.",
                                      "en": "Choose open, answered or closed."},
})

__all__ = ["PROBLEMS", "ContactNotKnownYetProblem", "LinkNotValidProblem", "NotFailed",
           "RequestClosedProblem"]
