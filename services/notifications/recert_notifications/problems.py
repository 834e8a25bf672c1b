"""Notifications' problem types, the answer to each refusal of the domain (``PROBLEMS``), and the texts a
person reads, in Dutch and English (ADR 0004)."""
from __future__ import annotations

from recert_common import i18n
from recert_common.domain_errors import ProblemMap
from recert_common.errors import Conflict, NotFound, extension_members
from recert_notifications.domain import MessageNotFailed, MessageNotFound


class NotFailed(Conflict):
    """Only an e-mail that failed for good can be retried by hand; a pending one is being retried already."""

    slug, title_code = "message-not-failed", "notifications.problem.not_failed"
    members = extension_members(state="string")

    def __init__(self, *, state: str):
        super().__init__(code="notifications.detail.not_failed", params={"state": i18n.Label(state)},
                         extensions={"state": state})


PROBLEMS = ProblemMap({
    MessageNotFound: lambda error: NotFound(code="notifications.detail.not_found"),
    MessageNotFailed: lambda error: NotFailed(state=error.state),
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

__all__ = ["PROBLEMS", "NotFailed"]
