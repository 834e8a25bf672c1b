"""The events notifications consumes, each handled in the consumer's transaction (the bus dedupes event ids).

All of them arrive on one queue, ``notifications.events``. Events come in any order across producers: one
about a person whose contact has not arrived yet is parked (``parked_notices``) and made into messages
when identity's account event arrives, rather than retried through the bus, where a slow identity would
end it in the dead-letter queue.
"""
from __future__ import annotations

from collections.abc import Sequence

import psycopg

from recert_common.bus import Subscription
from recert_common.db import Database
from recert_common.events import Event
from recert_notifications import domain, store
from recert_notifications.service import NotificationsService, build_service
from recert_notifications.settings import NotificationsSettings


class Handlers:
    def __init__(self, service: NotificationsService):
        self.service = service

    # --- identity: the contact read model ----------------------------------------------------------------

    def on_account(self, conn: psycopg.Connection, event: Event) -> None:
        data = event.data
        store.upsert_contact(conn, account_id=data["account_id"], full_name=data["full_name"],
                             email=data["email"], language=data["preferred_language"], roles=data["roles"],
                             as_of=event.occurred_at)
        self.service.notify(conn, event)
        self.service.deliver_parked(conn, data["account_id"])

    def on_verification_requested(self, conn: psycopg.Connection, event: Event) -> None:
        """The link goes to the address being verified: the event carries the contact, which identity
        announces to no one else before the address is verified."""
        data = event.data
        store.upsert_contact(conn, account_id=data["account_id"], full_name=data["full_name"],
                             email=data["email"], language=data["preferred_language"], roles=data["roles"],
                             as_of=event.occurred_at)
        self.service.notify(conn, event)

    def on_account_disabled(self, conn: psycopg.Connection, event: Event) -> None:
        store.disable_contact(conn, event.data["account_id"], event.occurred_at)

    # --- read models that word and time the messages -----------------------------------------------------

    def on_portfolio_submitted(self, conn: psycopg.Connection, event: Event) -> None:
        store.record_submission(conn, event.data)
        self.service.notify(conn, event)

    def on_portfolio_withdrawn(self, conn: psycopg.Connection, event: Event) -> None:
        store.withdraw_submission(conn, event.data["submission_id"], event.occurred_at)
        self.service.notify(conn, event)

    def on_decision_made(self, conn: psycopg.Connection, event: Event) -> None:
        """Only DNV's postponed decision starts a supplement term (ADR 0011), which the reminder schedule
        watches; any other decision ends the one that ran."""
        data = event.data
        if data["decision"] == "postponed":
            store.open_supplement_deadline(conn, data["case_id"], data["account_id"],
                                           data["supplement_due_on"])
        else:
            store.close_supplement_deadline(conn, data["case_id"], event.occurred_at)
            # Final: the messages before it are kept for the retention period only (ADR 0020).
            store.note_final_decision(conn, data["decision_id"], data["account_id"], event.occurred_at)
        self.service.notify(conn, event)

    def on_supplement_submitted(self, conn: psycopg.Connection, event: Event) -> None:
        store.close_supplement_deadline(conn, event.data["case_id"], event.occurred_at)
        self.service.notify(conn, event)

    def on_account_erased(self, conn: psycopg.Connection, event: Event) -> None:
        """identity.account.erased: forget the person (ADR 0020): their contact, messages and the rest."""
        store.forget_account(conn, event.data["account_id"])

    # --- everything else only becomes messages -----------------------------------------------------------

    def on_event(self, conn: psycopg.Connection, event: Event) -> None:
        self.service.notify(conn, event)

    def table(self) -> dict[str, object]:
        handlers: dict[str, object] = {event_type: self.on_event for event_type in domain.ROUTES}
        handlers.update({
            "identity.account.registered": self.on_account,
            "identity.account.updated": self.on_account,
            "identity.account.disabled": self.on_account_disabled,
            "identity.account.erased": self.on_account_erased,
            "identity.email.verification_requested": self.on_verification_requested,
            "portfolio.submitted": self.on_portfolio_submitted,
            "portfolio.withdrawn": self.on_portfolio_withdrawn,
            "portfolio.supplement.submitted": self.on_supplement_submitted,
            "certification.decision.made": self.on_decision_made,
        })
        return handlers


def subscriptions(settings: NotificationsSettings, db: Database, *,
                  service: NotificationsService | None = None) -> Sequence[Subscription]:
    handlers = Handlers(service or build_service(settings, db))
    return (Subscription("events", handlers.table()),)  # type: ignore[arg-type]
