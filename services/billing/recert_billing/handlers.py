"""The events billing consumes, each handled in a unit of work that joins the consumer's transaction (the
bus dedupes event ids).

All of them arrive on one queue, ``billing.events``, so that one producer's events are handled in the order
they were published. Events may still come in any order across producers (and after a retry): a
certificate of an account billing does not know yet is kept and its fees are invoiced when the account's
event arrives; a withdrawal handled before its submission keeps the submission from being invoiced. A
redelivered or repeated event issues nothing new: each invoice has a unique trigger (see the migration).

Invoices are issued on the day the event is handled (the service's "today"); the certificate year a register
fee starts from is the one running on the day the event happened (``service.event_day``), so that a late
event (a retry, a replayed dead letter) still invoices the year running then.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

from recert_billing.domain import (
    InvoiceKind,
    becomes_affiliate,
    draft_invoice,
    withdrawal_credit_reason,
)
from recert_billing.service import (
    BillingUnitOfWork,
    cancel_invoice,
    event_day,
    issue_invoice,
    issue_noloc_fees,
    start_register_fee,
)
from recert_billing.settings import BillingSettings
from recert_billing.store import SqlBillingUnitOfWork
from recert_common.bus import Subscription
from recert_common.clock import DEFAULT_TIME_ZONE, utcnow
from recert_common.db import Database
from recert_common.events import Event
from recert_common.uow import handled_in

_log = logging.getLogger(__name__)


class Handlers:
    def __init__(self, today: Callable[[], date], now: Callable[[], datetime] = utcnow, *,
                 zone: tzinfo = ZoneInfo(DEFAULT_TIME_ZONE)):
        self.today = today
        self.now = now
        self.zone = zone

    def _day(self, event: Event) -> date:
        """The day ``event`` happened on, in billing's calendar (never after today)."""
        return event_day(event.occurred_at, self.zone, self.today())

    # --- identity ----------------------------------------------------------------------------------------

    def on_account(self, uow: BillingUnitOfWork, event: Event) -> None:
        """Keep the recipient's details. Registering charges nothing (no affiliate-number fee: ADR 0013).
        An affiliate whose certificate arrived first gets the register fees due for it now; a member who
        becomes an affiliate owes them from the certificate year running then, not for the years before.
        An older update arriving after a newer one changes nothing. "Then" is the day the update happened,
        not the day it is handled."""
        data = event.data
        account_id = data["account_id"]
        before = uow.accounts.get(account_id)
        if not uow.accounts.upsert(data, event.occurred_at):
            return
        uow.invoices.fill_in_recipient(account_id, data["full_name"], data["membership_number"])
        if becomes_affiliate(before, data.get("membership_kind")):
            for certificate in uow.certificates.active(account_id):
                start_register_fee(uow, certificate.certificate_id, known_on=self._day(event))
        issue_noloc_fees(uow, account_id, today=self.today(), now=self.now())

    # --- portfolio ---------------------------------------------------------------------------------------

    def on_portfolio_submitted(self, uow: BillingUnitOfWork, event: Event) -> None:
        data = event.data
        if uow.withdrawals.is_withdrawn(data["submission_id"]):
            _log.info("submission withdrawn before it was invoiced: no invoice",
                      extra={"submission_id": str(data["submission_id"])})
            return
        issue_invoice(uow, draft_invoice(InvoiceKind.RECERTIFICATION, account_id=data["account_id"],
                                         issued_on=self.today(), submission_id=data["submission_id"]),
                      now=self.now())

    def on_supplement_submitted(self, uow: BillingUnitOfWork, event: Event) -> None:
        data = event.data
        issue_invoice(uow, draft_invoice(InvoiceKind.REASSESSMENT, account_id=data["account_id"],
                                         issued_on=self.today(), submission_id=data["submission_id"],
                                         case_id=data["case_id"], supplement_id=data["supplement_id"]),
                      now=self.now())

    def on_portfolio_withdrawn(self, uow: BillingUnitOfWork, event: Event) -> None:
        """Remember the withdrawal (a submission handled after it is not invoiced) and cancel the
        submission's invoice, once (``domain.withdrawal_credit_reason``)."""
        data = event.data
        uow.withdrawals.record(data["submission_id"], data["account_id"], event.occurred_at,
                               data.get("reason"))
        invoice = uow.invoices.recertification_for(data["submission_id"], for_update=True)
        reason = withdrawal_credit_reason(invoice)
        if reason is not None:
            cancel_invoice(uow, invoice, reason_code=reason, today=self.today(), now=self.now())

    # --- certificates ------------------------------------------------------------------------------------

    def on_certificate_active(self, uow: BillingUnitOfWork, event: Event) -> None:
        """Registered, renewed or reactivated: an affiliate owes the register fee per certificate year from
        the year running on the day this happened on (or from the first year after
        ``register_fee_paid_until``, when the import states that Noloc was paid up to then); the years due
        now are invoiced at once (also the year running then, when the event is handled after the next one
        started), each later one by the worker's schedule when it starts."""
        data = event.data
        uow.certificates.upsert(certificate_id=data["certificate_id"], account_id=data["account_id"],
                                certificate_number=data["certificate_number"], state="active",
                                as_of=event.occurred_at, valid_from=data["valid_from"],
                                valid_until=data["valid_until"])
        start_register_fee(uow, data["certificate_id"], known_on=self._day(event),
                           paid_until=data.get("register_fee_paid_until"))
        issue_noloc_fees(uow, data["account_id"], today=self.today(), now=self.now())

    def on_certificate_lapsed(self, uow: BillingUnitOfWork, event: Event) -> None:
        """No register fee after this; one already issued for the running certificate year stays due."""
        data = event.data
        uow.certificates.upsert(certificate_id=data["certificate_id"], account_id=data["account_id"],
                                certificate_number=data["certificate_number"], state="lapsed",
                                as_of=event.occurred_at)

    def table(self) -> dict[str, Callable[[BillingUnitOfWork, Event], None]]:
        """Which handler each event type goes to."""
        return {
            "identity.account.registered": self.on_account,
            "identity.account.updated": self.on_account,
            "portfolio.submitted": self.on_portfolio_submitted,
            "portfolio.supplement.submitted": self.on_supplement_submitted,
            "portfolio.withdrawn": self.on_portfolio_withdrawn,
            "certification.certificate.registered": self.on_certificate_active,
            "certification.certificate.renewed": self.on_certificate_active,
            "certification.certificate.reactivated": self.on_certificate_active,
            "certification.certificate.lapsed": self.on_certificate_lapsed,
        }


def subscriptions(settings: BillingSettings, db: Database, *, today: Callable[[], date] | None = None,
                  now: Callable[[], datetime] = utcnow) -> Sequence[Subscription]:
    """``today``/``now``: the clocks the integration tests set (the settings' calendar otherwise)."""
    h = Handlers(today or settings.calendar_today(), now, zone=settings.zone)
    return (Subscription("events", {event_type: handled_in(SqlBillingUnitOfWork.joining, handler)
                                    for event_type, handler in h.table().items()}),)
