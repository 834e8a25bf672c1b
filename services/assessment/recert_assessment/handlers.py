"""The events assessment consumes, each handled in the consumer's transaction (the bus dedupes event ids).

All arrive on one queue, ``assessment.events``, so one producer's events are handled in the order they were
published (a portfolio is submitted before it is withdrawn). An event about a case not known yet raises
``NotYetKnown`` and is retried with back-off. A payment may come before its case: it is kept and applied when
the case opens.
"""
from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

import psycopg

from recert_assessment import certificates, store
from recert_assessment.service import apply_payment, open_case, receive_supplement, withdraw_case
from recert_assessment.settings import AssessmentSettings
from recert_common.bus import Subscription
from recert_common.clock import utcnow
from recert_common.db import Database
from recert_common.events import Event
from recert_common.rules import normalise_registration_number


class Handlers:
    def __init__(self, zone: ZoneInfo):
        self.zone = zone

    def on_account(self, conn: psycopg.Connection, event: Event) -> None:
        """Names and roles for assignments, and the link of an imported certificate whose holder data (number
        and e-mail address) are this verified account's. An older update arriving after a newer one
        changes nothing (the newer one linked already)."""
        data = event.data
        number = data["membership_number"]
        number = normalise_registration_number(number) if number else None
        if store.upsert_account(conn, data["account_id"], data["full_name"], number, data["roles"],
                                data["email"], occurred_at=event.occurred_at):
            certificates.link_known_account(conn, data["account_id"], number, data["email"], utcnow())

    def on_pe_activity(self, conn: psycopg.Connection, event: Event) -> None:
        store.upsert_pe_activity(conn, event.data)

    def on_pe_activity_removed(self, conn: psycopg.Connection, event: Event) -> None:
        store.delete_pe_activity(conn, event.data["activity_id"])

    def on_pe_evidence(self, conn: psycopg.Connection, event: Event) -> None:
        store.insert_evidence(conn, event.data)

    def on_pe_evidence_removed(self, conn: psycopg.Connection, event: Event) -> None:
        store.delete_evidence(conn, event.data["evidence_id"])

    def on_submitted(self, conn: psycopg.Connection, event: Event) -> None:
        open_case(conn, event.data, zone=self.zone, now=utcnow())

    def on_withdrawn(self, conn: psycopg.Connection, event: Event) -> None:
        withdraw_case(conn, event.data, utcnow())

    def on_supplement(self, conn: psycopg.Connection, event: Event) -> None:
        receive_supplement(conn, event.data, zone=self.zone, now=utcnow())

    def on_invoice_paid(self, conn: psycopg.Connection, event: Event) -> None:
        apply_payment(conn, event.data, utcnow())


def subscriptions(settings: AssessmentSettings, db: Database) -> Sequence[Subscription]:
    h = Handlers(settings.zone)
    return (Subscription("events", {
        "identity.account.registered": h.on_account,
        "identity.account.updated": h.on_account,
        "pe.activity.recorded": h.on_pe_activity,
        "pe.activity.updated": h.on_pe_activity,
        "pe.activity.removed": h.on_pe_activity_removed,
        "pe.evidence.attached": h.on_pe_evidence,
        "pe.evidence.removed": h.on_pe_evidence_removed,
        "portfolio.submitted": h.on_submitted,
        "portfolio.withdrawn": h.on_withdrawn,
        "portfolio.supplement.submitted": h.on_supplement,
        "billing.invoice.paid": h.on_invoice_paid,
    }),)
