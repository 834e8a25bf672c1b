"""The events billing consumes, each handled in the consumer's transaction (the bus dedupes event ids).

All of them arrive on one queue, ``billing.events``, so that one producer's events are handled in the order
they were published. Events may still come in any order across producers (and after a retry): a
certificate of an account billing does not know yet is kept and its fees are invoiced when the account's
event arrives; a withdrawal handled before its submission keeps the submission from being invoiced. A
redelivered or repeated event issues nothing new: each invoice has a unique trigger (see the migration).

Invoices are issued on the day the event is handled (the service's "today").
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime

import psycopg

from recert_billing import store
from recert_billing.domain import InvoiceKind, InvoiceState, draft_invoice
from recert_billing.service import (
    cancel_invoice,
    issue_invoice,
    issue_noloc_fees,
    start_register_fee,
    utcnow,
)
from recert_billing.settings import BillingSettings
from recert_common.bus import Subscription
from recert_common.db import Database
from recert_common.events import Event
from recert_common.rules import KIND_AFFILIATE

_log = logging.getLogger(__name__)

WITHDRAWN = "Portfolio ingetrokken door de jobcoach"
WITHDRAWN_PAID = WITHDRAWN + "; het betaalde bedrag wordt terugbetaald"


class Handlers:
    def __init__(self, today: Callable[[], date], now: Callable[[], datetime] = utcnow):
        self.today = today
        self.now = now

    # --- identity ----------------------------------------------------------------------------------------

    def on_account(self, conn: psycopg.Connection, event: Event) -> None:
        """Keep the recipient's details. Registering charges nothing (no affiliate-number fee: ADR 0013).
        An affiliate whose certificate arrived first gets the register fees due for it now; a member who
        becomes an affiliate owes them from the certificate year running then, not for the years before.
        An older update arriving after a newer one changes nothing."""
        data = event.data
        before = store.account(conn, data["account_id"])
        if not store.upsert_account(conn, data, event.occurred_at):
            return
        store.fill_in_recipient(conn, data["account_id"], data["full_name"], data["membership_number"])
        if before is not None and before["membership_kind"] != KIND_AFFILIATE \
                and data.get("membership_kind") == KIND_AFFILIATE:
            for certificate in store.active_certificates(conn, data["account_id"]):
                start_register_fee(conn, certificate["certificate_id"], today=self.today())
        issue_noloc_fees(conn, data["account_id"], today=self.today(), now=self.now())

    # --- portfolio ---------------------------------------------------------------------------------------

    def on_portfolio_submitted(self, conn: psycopg.Connection, event: Event) -> None:
        data = event.data
        if store.is_withdrawn(conn, data["submission_id"]):
            _log.info("submission withdrawn before it was invoiced: no invoice",
                      extra={"submission_id": str(data["submission_id"])})
            return
        issue_invoice(conn, draft_invoice(InvoiceKind.RECERTIFICATION, account_id=data["account_id"],
                                          issued_on=self.today(), submission_id=data["submission_id"]),
                      now=self.now())

    def on_supplement_submitted(self, conn: psycopg.Connection, event: Event) -> None:
        data = event.data
        issue_invoice(conn, draft_invoice(InvoiceKind.REASSESSMENT, account_id=data["account_id"],
                                          issued_on=self.today(), submission_id=data["submission_id"],
                                          case_id=data["case_id"], supplement_id=data["supplement_id"]),
                      now=self.now())

    def on_portfolio_withdrawn(self, conn: psycopg.Connection, event: Event) -> None:
        data = event.data
        store.record_withdrawal(conn, data["submission_id"], data["account_id"], event.occurred_at,
                                data.get("reason"))
        invoice = store.recertification_invoice(conn, data["submission_id"], for_update=True)
        if invoice is None or invoice.state == InvoiceState.CANCELLED:
            return
        reason = WITHDRAWN_PAID if invoice.state == InvoiceState.PAID else WITHDRAWN
        cancel_invoice(conn, invoice, reason=reason, today=self.today(), now=self.now())

    # --- certificates ------------------------------------------------------------------------------------

    def on_certificate_active(self, conn: psycopg.Connection, event: Event) -> None:
        """Registered, renewed or reactivated: an affiliate owes the register fee per certificate year from
        the year running today on (or from the first year after ``register_fee_paid_until``, when the
        import states that Noloc was paid up to then); the years due now are invoiced at once, each later
        one by the worker's schedule when it starts."""
        data = event.data
        store.upsert_certificate(conn, certificate_id=data["certificate_id"], account_id=data["account_id"],
                                 certificate_number=data["certificate_number"], state="active",
                                 as_of=event.occurred_at, valid_from=data["valid_from"],
                                 valid_until=data["valid_until"])
        start_register_fee(conn, data["certificate_id"], today=self.today(),
                           paid_until=data.get("register_fee_paid_until"))
        issue_noloc_fees(conn, data["account_id"], today=self.today(), now=self.now())

    def on_certificate_lapsed(self, conn: psycopg.Connection, event: Event) -> None:
        """No register fee after this; one already issued for the running certificate year stays due."""
        data = event.data
        store.upsert_certificate(conn, certificate_id=data["certificate_id"], account_id=data["account_id"],
                                 certificate_number=data["certificate_number"], state="lapsed",
                                 as_of=event.occurred_at)


def subscriptions(settings: BillingSettings, db: Database, *, today: Callable[[], date] | None = None,
                  now: Callable[[], datetime] = utcnow) -> Sequence[Subscription]:
    h = Handlers(today or settings.calendar_today(), now)
    return (Subscription("events", {
        "identity.account.registered": h.on_account,
        "identity.account.updated": h.on_account,
        "portfolio.submitted": h.on_portfolio_submitted,
        "portfolio.supplement.submitted": h.on_supplement_submitted,
        "portfolio.withdrawn": h.on_portfolio_withdrawn,
        "certification.certificate.registered": h.on_certificate_active,
        "certification.certificate.renewed": h.on_certificate_active,
        "certification.certificate.reactivated": h.on_certificate_active,
        "certification.certificate.lapsed": h.on_certificate_lapsed,
    }),)
