"""The events notifications consumes, each handled in a unit of work joining the consumer's transaction (the
bus dedupes event ids).

All of them arrive on one queue, ``notifications.events``. Events come in any order across producers: one
about a person whose contact has not arrived yet is parked (``parked_notices``) and made into messages
when identity's account event arrives, rather than retried through the bus, where a slow identity would
end it in the dead-letter queue.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from typing import Any

from recert_common.bus import Subscription
from recert_common.db import Database
from recert_common.events import Event
from recert_common.uow import handled_in
from recert_notifications import domain
from recert_notifications.service import NotificationsService, build_service
from recert_notifications.settings import NotificationsSettings
from recert_notifications.store import SqlNotificationsUnitOfWork

_log = logging.getLogger(__name__)


class Handlers:
    def __init__(self, service: NotificationsService):
        self.service = service

    # --- identity: the contact read model ----------------------------------------------------------------

    @staticmethod
    def _keep_contact(uow: Any, event: Event) -> bool:
        data = event.data
        return uow.contacts.upsert(account_id=data["account_id"], full_name=data["full_name"],
                                   email=data["email"], language=data["preferred_language"],
                                   roles=data["roles"], as_of=event.occurred_at)

    def on_account(self, uow: Any, event: Event) -> None:
        if self._keep_contact(uow, event):
            # Announced by identity: a verified address, which a logged-out service request is matched by.
            uow.contacts.confirm_email(event.data["account_id"], event.data["email"])
        self.service.notify(uow, event)
        self.service.deliver_parked(uow, event.data["account_id"])

    def on_verification_requested(self, uow: Any, event: Event) -> None:
        """The link goes to the address being verified: the event carries the contact, which identity
        announces to no one else before the address is verified."""
        self._keep_contact(uow, event)
        self.service.notify(uow, event)

    # A registration or profile may be handled after the account was disabled or erased (a failed handler is
    # retried at the back of the queue, a dead letter replayed later): the contact keeps both (ADR 0010).

    def on_account_disabled(self, uow: Any, event: Event) -> None:
        uow.contacts.disable(event.data["account_id"], event.occurred_at)

    def on_account_erased(self, uow: Any, event: Event) -> None:
        """identity.account.erased: forget the person (ADR 0020): their messages (an e-mail not sent yet
        included), parked notices, deadlines, submissions, final decisions, contact and the events published
        about them."""
        account_id = event.data["account_id"]
        # Read before the contact goes: the address the person's logged-out requests and e-mails were sent to.
        address = uow.contacts.confirmed_email(account_id)
        # The service requests the person opened, that were matched to them, or that were made logged out
        # from their address (also while the account was closed, when they matched nobody), with their
        # posts, e-mails and attachments (ADR 0029).
        keys = uow.desk.forget(account_id, address)
        uow.messages.forget(account_id, address)
        for repository in (uow.parked, uow.deadlines, uow.submissions, uow.final_decisions):
            repository.forget(account_id)
        # The bare id and the time stay, so that a profile handled late makes no contact again (ADR 0020).
        uow.contacts.erase(account_id, event.occurred_at)
        uow.outbox.forget_published_about(account_id)
        if keys:
            store = self.service.desk.store()
            for key in keys:
                store.delete(key)

    def on_totp_reset(self, uow: Any, event: Event) -> None:
        """The message to the person, and, when support reset it from a service request, the note in that
        request's thread (ADR 0029)."""
        self.service.notify(uow, event)
        self.service.desk.note_totp_reset(uow, event)

    # --- read models that word and time the messages -----------------------------------------------------

    # portfolio.submitted and portfolio.withdrawn may be handled in either order: a failed handler is retried
    # at the back of the queue, and a dead letter is replayed after later events (ADR 0010, amended).

    def on_portfolio_submitted(self, uow: Any, event: Event) -> None:
        data = event.data
        if not uow.submissions.record(submission_id=data["submission_id"], account_id=data["account_id"],
                                      certificate_id=data["certificate_id"],
                                      certificate_expires_on=data["certificate_expires_on"],
                                      submitted_at=data["submitted_at"]):
            # Its withdrawal was told already: "we received your portfolio" now would say it is in.
            _log.info("submission handled after its withdrawal: not told", extra={
                "submission_id": str(data["submission_id"]), "event_id": str(event.id)})
            return
        self.service.notify(uow, event)

    def on_portfolio_withdrawn(self, uow: Any, event: Event) -> None:
        data = event.data
        uow.submissions.withdraw(data["submission_id"], data["account_id"], event.occurred_at)
        self.service.notify(uow, event)

    def on_decision_made(self, uow: Any, event: Event) -> None:
        """Only DNV's postponed decision starts a supplement term (ADR 0011), which the reminder schedule
        watches; any other decision ends the one that ran. A postponement handled after the supplement or
        the final decision (a replayed dead letter) opens nothing (ADR 0010, amended); one handled after an
        upheld objection annulled it is not told either: the jobcoach heard it no longer applies."""
        data = event.data
        if data["decision"] == "postponed":
            if not uow.deadlines.open(data["case_id"], data["account_id"], data["supplement_due_on"],
                                      event.occurred_at):
                _log.info("postponed decision handled after its annulment: not told", extra={
                    "decision_id": str(data["decision_id"]), "event_id": str(event.id)})
                return
        else:
            uow.deadlines.close(data["case_id"], data["account_id"], event.occurred_at)
            # Final: the messages before it are kept for the retention period only (ADR 0020).
            uow.final_decisions.note(data["decision_id"], data["account_id"], event.occurred_at)
        self.service.notify(uow, event)

    def on_supplement_submitted(self, uow: Any, event: Event) -> None:
        uow.deadlines.close(event.data["case_id"], event.data["account_id"], event.occurred_at)
        self.service.notify(uow, event)

    def on_objection_decided(self, uow: Any, event: Event) -> None:
        """An objection upheld against the postponed decision DNV took on the failed PE check alone
        (``next_step`` "pe_check") annuls that decision with the PE supplement it asked for, and the case goes
        back to the PE check (ADR 0011, amended): the supplement term ends, so no reminder follows, and a
        postponement of before, handled late, opens it no more. Any other outcome leaves the term as it is.

        Handled only after a newer postponement of the case (this event was retried or dead-lettered and
        replayed): that term stays, and the jobcoach, told of it already, reads the ordinary upheld text (a
        new decision was taken), not that no term runs."""
        data = event.data
        if domain.annuls_supplement(data) \
                and not uow.deadlines.annul(data["case_id"], data["account_id"], event.occurred_at):
            event = dataclasses.replace(event, data={**data, "next_step": "new_decision"})
        self.service.notify(uow, event)

    # --- everything else only becomes messages -----------------------------------------------------------

    def on_event(self, uow: Any, event: Event) -> None:
        self.service.notify(uow, event)

    def table(self) -> dict[str, Callable[[Any, Event], None]]:
        """Event type -> the method that handles it with a unit of work."""
        handlers: dict[str, Callable[[Any, Event], None]] = {
            event_type: self.on_event for event_type in domain.ROUTES}
        handlers.update({
            "identity.account.registered": self.on_account,
            "identity.account.updated": self.on_account,
            "identity.account.disabled": self.on_account_disabled,
            "identity.account.erased": self.on_account_erased,
            "identity.email.verification_requested": self.on_verification_requested,
            "identity.totp.reset": self.on_totp_reset,
            "portfolio.submitted": self.on_portfolio_submitted,
            "portfolio.withdrawn": self.on_portfolio_withdrawn,
            "portfolio.supplement.submitted": self.on_supplement_submitted,
            "certification.decision.made": self.on_decision_made,
            "assessment.objection.decided": self.on_objection_decided,
        })
        return handlers


def subscriptions(settings: NotificationsSettings, db: Database, *,
                  service: NotificationsService | None = None) -> Sequence[Subscription]:
    handlers = Handlers(service or build_service(settings, db))
    return (Subscription("events", {event_type: handled_in(SqlNotificationsUnitOfWork.joining, handler)
                                    for event_type, handler in handlers.table().items()}),)
