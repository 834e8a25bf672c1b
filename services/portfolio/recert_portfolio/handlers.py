"""The events portfolio consumes, each handled in the consumer's transaction (the bus dedupes event ids).

All of them arrive on one queue, ``portfolio.events``, so that one producer's events are handled in the
order they were published (a case is opened before its assessor is assigned). An event that needs
something not known yet (a decision about a case whose opening has not arrived) raises ``NotYetKnown`` and
is retried with back-off, which also covers the rare reordering after a retry.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

import psycopg

from recert_common.bus import Subscription
from recert_common.clock import utcnow
from recert_common.db import Database
from recert_common.events import Event
from recert_common.storage import ObjectStore, StorageError
from recert_portfolio import store
from recert_portfolio.domain import (
    CycleAction,
    CycleKind,
    CycleState,
    Supplement,
    SupplementAssignment,
    after_negative_cycle_dates,
    negative_allows_new_portfolio,
    regular_cycle_dates,
    transition,
)
from recert_portfolio.service import apply_attendance, close_cycle, open_cycle
from recert_portfolio.settings import PortfolioSettings

_log = logging.getLogger(__name__)


class NotYetKnown(Exception):
    """The event refers to something whose own event has not been handled yet: retry later."""


class Handlers:
    def __init__(self, zone: ZoneInfo):
        self.zone = zone

    def _day(self, event: Event) -> date:
        """The calendar day the event happened on, where the jobcoach lives."""
        return event.occurred_at.astimezone(self.zone).date()

    # --- identity ----------------------------------------------------------------------------------------

    def on_account(self, conn: psycopg.Connection, event: Event) -> None:
        """identity announces verified accounts only; Noloc's meetings for the number go to the account when
        it holds the number's certificate (``store.holder_of_number``). An older update arriving after a
        newer one changes nothing."""
        data = event.data
        account_id, number = data["account_id"], data["membership_number"]
        if store.upsert_account(conn, account_id, number, data["roles"], event.occurred_at):
            self._claim_attendance(conn, account_id, number)

    @staticmethod
    def _claim_attendance(conn: psycopg.Connection, account_id, number: str | None) -> None:
        if number is not None and store.holder_of_number(conn, number) == account_id \
                and store.claim_attendance(conn, number, account_id):
            apply_attendance(conn, account_id, utcnow())

    # --- Noloc -------------------------------------------------------------------------------------------

    def on_meeting_attended(self, conn: psycopg.Connection, event: Event) -> None:
        data = event.data
        if not store.insert_attendance(conn, data):
            return  # the same meeting sent again under a new event id
        account_id = store.holder_of_number(conn, data["membership_number"])
        if account_id is None:
            _log.info("Noloc meeting parked until the holder of its membership number is known",
                      extra={"external_id": data["external_id"]})
            return
        store.claim_attendance(conn, data["membership_number"], account_id)
        apply_attendance(conn, account_id, utcnow())

    # --- pe-registry -------------------------------------------------------------------------------------

    def on_pe_activity(self, conn: psycopg.Connection, event: Event) -> None:
        store.upsert_pe_activity(conn, event.data)

    def on_pe_activity_removed(self, conn: psycopg.Connection, event: Event) -> None:
        store.delete_pe_activity(conn, event.data["activity_id"])

    def on_pe_evidence(self, conn: psycopg.Connection, event: Event) -> None:
        data = event.data
        store.insert_evidence(conn, data["evidence_id"], data["activity_id"], data["account_id"],
                              data["sha256"])

    def on_pe_evidence_removed(self, conn: psycopg.Connection, event: Event) -> None:
        store.delete_evidence(conn, event.data["evidence_id"])

    # --- certificates ------------------------------------------------------------------------------------

    def _start_regular_cycle(self, conn: psycopg.Connection, data: dict, decided_on: date | None) -> None:
        account_id, certificate_id = data["account_id"], data["certificate_id"]
        dates = regular_cycle_dates(data["valid_until"], valid_from=data["valid_from"], decided_on=decided_on)
        if store.cycle_for_period(conn, certificate_id, dates.expires_on, CycleKind.REGULAR) is not None:
            return  # this period has its cycle already (the event was sent again)
        now = utcnow()
        current = store.current_cycle(conn, account_id, for_update=True)
        if current is not None:
            close_cycle(conn, current, now)
        open_cycle(conn, account_id=account_id, certificate_id=certificate_id, kind=CycleKind.REGULAR,
                   dates=dates, now=now)

    def on_certificate_registered(self, conn: psycopg.Connection, event: Event) -> None:
        """The account holds its certificate now: its cycle opens (taken over, so no decision here), and
        Noloc's meetings for its number that waited for their holder are its own."""
        self._start_regular_cycle(conn, event.data, None)
        account_id = event.data["account_id"]
        self._claim_attendance(conn, account_id, store.membership_number_of(conn, account_id))

    def on_certificate_renewed(self, conn: psycopg.Connection, event: Event) -> None:
        """Renewed or reactivated: the next cycle starts the day after the positive decision."""
        decided_on = store.decision_day(conn, event.data["decision_id"]) or self._day(event)
        self._start_regular_cycle(conn, event.data, decided_on)

    def on_certificate_lapsed(self, conn: psycopg.Connection, event: Event) -> None:
        data = event.data
        if data["reason"] != "not_recertified":
            return  # after a negative decision the cycle was closed already, and a new one may be open
        current = store.current_cycle(conn, data["account_id"], for_update=True)
        if current is not None and current.certificate_id == data["certificate_id"] \
                and current.state == CycleState.OPEN:
            close_cycle(conn, current, utcnow())

    # --- assessment --------------------------------------------------------------------------------------

    def on_case_opened(self, conn: psycopg.Connection, event: Event) -> None:
        data = event.data
        store.upsert_case(conn, data["case_id"], data["account_id"], submission_id=data["submission_id"])

    def on_assessor_assigned(self, conn: psycopg.Connection, event: Event) -> None:
        data = event.data
        store.upsert_case(conn, data["case_id"], data["account_id"], assessor_id=data["assessor_id"])

    def _cycle_of_case(self, conn: psycopg.Connection, case_id: uuid.UUID):
        case = store.case(conn, case_id)
        if case is None or case["submission_id"] is None:
            raise NotYetKnown(f"case {case_id}")
        cycle = store.cycle_of_submission(conn, case["submission_id"], for_update=True)
        if cycle is None:
            raise NotYetKnown(f"submission {case['submission_id']}")
        return case, cycle

    def _open_supplement(self, conn: psycopg.Connection, data: dict) -> None:
        """DNV's postponed decision (never the assessor's advice, ADR 0011) reopens the parts it names until
        its supplement_due_on, 3 months from the decision date, and so extends the PE period to that date."""
        case, cycle = self._cycle_of_case(conn, data["case_id"])
        if cycle.state != CycleState.SUBMITTED or cycle.submission_id != case["submission_id"]:
            _log.warning("postponed decision for a cycle that is not waiting for it",
                         extra={"case_id": str(data["case_id"]), "state": str(cycle.state)})
            return
        supplement = Supplement(
            id=uuid.uuid4(), cycle_id=cycle.id, case_id=data["case_id"], submission_id=case["submission_id"],
            parts=tuple(dict.fromkeys(item["part"] for item in data["supplements"])),
            assignments=tuple(SupplementAssignment(s["part"], s["assignment"]) for s in data["supplements"]),
            due_on=data["supplement_due_on"], opened_at=utcnow())
        if store.insert_supplement(conn, supplement):
            store.set_cycle_state(conn, cycle.id, transition(cycle.state, CycleAction.OPEN_SUPPLEMENT),
                                  now=supplement.opened_at)
            # The period now runs to the supplement's deadline: Noloc meetings dated after the expiry date
            # that were waiting for that join the cycle.
            apply_attendance(conn, cycle.account_id, supplement.opened_at)

    def on_decision_made(self, conn: psycopg.Connection, event: Event) -> None:
        data = event.data
        decided_on = self._day(event)
        store.insert_decision(conn, data["decision_id"], data["case_id"], data["decision"], decided_on)
        if data["decision"] == "postponed":
            self._open_supplement(conn, data)
            return
        if data["decision"] != "negative":
            return  # positive: certificate.renewed/reactivated follows and opens the next cycle
        _, cycle = self._cycle_of_case(conn, data["case_id"])
        if cycle.state == CycleState.CLOSED:
            return
        now = utcnow()
        close_cycle(conn, cycle, now)
        if negative_allows_new_portfolio(cycle):
            open_cycle(conn, account_id=cycle.account_id, certificate_id=data["certificate_id"],
                       kind=CycleKind.AFTER_NEGATIVE, now=now, previous=cycle,
                       dates=after_negative_cycle_dates(cycle, decided_on, data["new_portfolio_deadline"]))


def subscriptions(settings: PortfolioSettings, db: Database) -> Sequence[Subscription]:
    h = Handlers(settings.zone)
    return (Subscription("events", {
        "identity.account.registered": h.on_account,
        "identity.account.updated": h.on_account,
        "noloc.meeting.attended": h.on_meeting_attended,
        "pe.activity.recorded": h.on_pe_activity,
        "pe.activity.updated": h.on_pe_activity,
        "pe.activity.removed": h.on_pe_activity_removed,
        "pe.evidence.attached": h.on_pe_evidence,
        "pe.evidence.removed": h.on_pe_evidence_removed,
        "certification.certificate.registered": h.on_certificate_registered,
        "certification.certificate.renewed": h.on_certificate_renewed,
        "certification.certificate.reactivated": h.on_certificate_renewed,
        "certification.certificate.lapsed": h.on_certificate_lapsed,
        "certification.decision.made": h.on_decision_made,
        "assessment.case.opened": h.on_case_opened,
        "assessment.assessor.assigned": h.on_assessor_assigned,
        "identity.account.erased": _erasure_handler(
            ObjectStore.from_settings(settings, settings.proof_bucket)),
    }),)


def _erasure_handler(proofs: ObjectStore):
    """identity.account.erased: forget the person (ADR 0020): cycles, parts, meetings, snapshots, the read
    models, and the proof files. The objects go inside the handler's transaction: should it then fail, the
    redelivered event deletes again (a missing object is no error)."""
    def on_account_erased(conn: psycopg.Connection, event: Event) -> None:
        keys = store.forget_account(conn, event.data["account_id"])
        for key in keys:
            try:
                proofs.delete(key)
            except StorageError:
                _log.exception("could not delete a proof object", extra={"object_key": key})
        _log.info("account forgotten", extra={"account_id": str(event.data["account_id"]),
                                              "objects": len(keys)})

    return on_account_erased
