"""The events the PE registry consumes, each handled inside the consumer's transaction (the bus records the
event id in the inbox in that same transaction, so a redelivery has no second effect).

Read models: accounts (membership number -> account, for Noloc), certificate periods, case assignments with
their submission and whether they are being assessed (an assessor's access), and submission locks. Noloc
Academie completions become activities of the number's holder: the verified account that gives the number
and holds a certificate (ADR 0018). One for a number without such a holder is parked and applied when the
holder is known (the account registers, changes to the number, or gets its certificate).
"""
from __future__ import annotations

import logging
from collections.abc import Sequence

import psycopg

from recert_common.bus import Subscription
from recert_common.config import ServiceSettings
from recert_common.db import Database
from recert_common.events import Event
from recert_common.rules import load_framework, pe_period_first_day
from recert_common.storage import ObjectStore
from recert_pe_registry import store
from recert_pe_registry.bucket import EvidenceBucket
from recert_pe_registry.domain import local_day, noloc_study_load
from recert_pe_registry.service import (
    import_noloc_activity,
    noloc_loaded_data,
    noloc_wire_data,
    normalised_number,
)

_log = logging.getLogger(__name__)

FINAL_DECISIONS = frozenset({"positive", "negative"})  # a postponed decision is followed by another


def on_account(conn: psycopg.Connection, event: Event) -> None:
    """identity.account.registered / updated (identity announces verified accounts only): remember the
    account's membership number, and import what Noloc sent for that number before, when the account holds
    the number's certificate."""
    data = event.data
    number = normalised_number(data["membership_number"])
    if number is not None:
        store.lock_membership_number(conn, number)
    if not store.upsert_account(conn, data["account_id"], number, event.occurred_at) or number is None:
        return
    _apply_parked(conn, data["account_id"], number)


def _apply_parked(conn: psycopg.Connection, account_id, number: str) -> None:
    """What Noloc sent for ``number`` before its holder was known, imported for ``account_id`` when that
    account is the holder (see ``store.account_with_membership_number``)."""
    if store.account_with_membership_number(conn, number) != account_id:
        return
    for parked in store.take_parked_noloc(conn, number):
        activity = import_noloc_activity(conn, account_id, noloc_loaded_data(parked["data"]),
                                         parked["event_id"])
        _log.info("parked Noloc activity applied", extra={
            "account_id": str(account_id), "external_id": parked["external_id"],
            "activity_id": str(activity.id) if activity else None})


def on_noloc_activity_completed(conn: psycopg.Connection, event: Event) -> None:
    data = event.data
    # Judged before parking: an implausible study load fails here (and ends in the dead-letter queue for an
    # operator) instead of failing the account's registration later.
    noloc_study_load(amount=data.get("amount"), unit=data.get("unit"), points=data.get("points"),
                     framework=load_framework(data["completed_on"].year))
    number = normalised_number(data["membership_number"])
    store.lock_membership_number(conn, number)
    account_id = store.account_with_membership_number(conn, number)
    if account_id is None:
        store.park_noloc(conn, number, data["external_id"], event.id, noloc_wire_data(data))
        _log.info("Noloc activity parked until its account is known",
                  extra={"external_id": data["external_id"], "event_id": str(event.id)})
        return
    import_noloc_activity(conn, account_id, data, event.id)


def on_certificate(conn: psycopg.Connection, event: Event) -> None:
    """certification.certificate.registered / renewed / reactivated: the jobcoach's current PE period; the
    account holds a certificate now, so what Noloc sent for its number before is imported.

    The period's first day is ``recert_common.rules.pe_period_first_day``: a registered certificate was
    taken over without a decision here (its period starts on its ``valid_from``); a renewal or reactivation
    follows a decision taken the day the event was published (its period starts the day after)."""
    data = event.data
    imported = event.type == "certification.certificate.registered"
    decided_on = None if imported else local_day(event.occurred_at)
    number = store.membership_number_of(conn, data["account_id"])
    if number is not None:
        store.lock_membership_number(conn, number)
    store.upsert_certificate_period(
        conn, account_id=data["account_id"], certificate_id=data["certificate_id"],
        starts_on=pe_period_first_day(valid_from=data["valid_from"], decided_on=decided_on),
        valid_from=data["valid_from"], valid_until=data["valid_until"], occurred_at=event.occurred_at)
    if number is not None:
        _apply_parked(conn, data["account_id"], number)


def on_case_opened(conn: psycopg.Connection, event: Event) -> None:
    """assessment.case.opened: which submission (and so which snapshot of activities) the case is about."""
    data = event.data
    store.record_case(conn, case_id=data["case_id"], submission_id=data["submission_id"],
                      account_id=data["account_id"])


def on_decision_made(conn: psycopg.Connection, event: Event) -> None:
    """certification.decision.made: the case is decided, so the assessor's access ends (the supplement
    reopens it). A postponed decision lets the period run to the supplement deadline, a negative one to the
    deadline of a whole new portfolio (``rules.pe_period_last_day``), so activities dated after the expiry
    date count for the supplement or the new portfolio. Positive: the renewal's own event starts the next
    period. A final decision (positive or negative) starts the evidence's retention period (ADR 0020)."""
    data = event.data
    store.set_case_access(conn, data["case_id"], open_=False, at=event.occurred_at)
    if data["decision"] in FINAL_DECISIONS:
        store.note_final_decision(conn, data["decision_id"], data["account_id"], event.occurred_at)
    until = {"postponed": data.get("supplement_due_on"),
             "negative": data.get("new_portfolio_deadline")}.get(data["decision"])
    if until is None:
        return
    if not store.extend_certificate_period(conn, account_id=data["account_id"],
                                           certificate_id=data["certificate_id"], until=until):
        _log.info("decision about a certificate that is not the account's current one", extra={
            "decision_id": str(data["decision_id"]), "certificate_id": str(data["certificate_id"])})


def on_assessor_assigned(conn: psycopg.Connection, event: Event) -> None:
    """The assessor reads the case's snapshot from now until the decision."""
    data = event.data
    store.upsert_assignment(conn, case_id=data["case_id"], account_id=data["account_id"],
                            assessor_id=data["assessor_id"], assigned_at=event.occurred_at)
    store.set_case_access(conn, data["case_id"], open_=True, at=event.occurred_at)


def on_supplement_submitted(conn: psycopg.Connection, event: Event) -> None:
    """The supplement is reassessed by the same assessor: access to the case's snapshot returns."""
    store.set_case_access(conn, event.data["case_id"], open_=True, at=event.occurred_at)


def on_portfolio_submitted(conn: psycopg.Connection, event: Event) -> None:
    data = event.data
    store.lock_activities(conn, submission_id=data["submission_id"], account_id=data["account_id"],
                          activity_ids=data["pe_activity_ids"])


def on_portfolio_withdrawn(conn: psycopg.Connection, event: Event) -> None:
    store.release_submission(conn, event.data["submission_id"])


HANDLERS = {
    "identity.account.registered": on_account,
    "identity.account.updated": on_account,
    "noloc.academy.activity.completed": on_noloc_activity_completed,
    "certification.certificate.registered": on_certificate,
    "certification.certificate.renewed": on_certificate,
    "certification.certificate.reactivated": on_certificate,
    "assessment.case.opened": on_case_opened,
    "assessment.assessor.assigned": on_assessor_assigned,
    "certification.decision.made": on_decision_made,
    "portfolio.supplement.submitted": on_supplement_submitted,
    "portfolio.submitted": on_portfolio_submitted,
    "portfolio.withdrawn": on_portfolio_withdrawn,
}

#: One consumer, queue ``pe-registry.events``: every handler is small and ordering across types matters
#: little (each read model is guarded against late events by its own timestamps).
SUBSCRIPTIONS: Sequence[Subscription] = (Subscription("events", HANDLERS),)


def erasure_handler(bucket: EvidenceBucket):
    """identity.account.erased: forget the person (ADR 0020): every row about them, and their evidence
    files. The objects go first, inside the handler's transaction: should the transaction then fail, the
    redelivered event finds the rows and deletes again (a missing object is no error)."""
    def on_account_erased(conn: psycopg.Connection, event: Event) -> None:
        keys = store.forget_account(conn, event.data["account_id"])
        for key in keys:
            bucket.discard(key)
        _log.info("account forgotten", extra={"account_id": str(event.data["account_id"]),
                                              "objects": len(keys)})

    return on_account_erased


def subscriptions(settings: ServiceSettings, db: Database) -> Sequence[Subscription]:
    bucket = EvidenceBucket(ObjectStore.from_settings(settings, settings.evidence_bucket))
    return (Subscription("events", {**HANDLERS, "identity.account.erased": erasure_handler(bucket)}),)
